"""A randomly initialised Qwen2.5-VL-7B built from its real architecture, and a 5 s 720p clip of random patches.

Shared by the full-size benchmarks (judging and training). No download: the weights are random, the
shapes are the real ones. ``SCINE_BENCH_ARCH=small`` swaps in a reduced architecture and a 2 s 224²
clip so the same code runs on CPU.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import torch

from scine_eval.vlm.engine import EncodedVideo
from scine_eval.vlm.loading import LoadedVLM
from scine_eval.vlm.memory import smart_resize, video_tokens
from scine_eval.vlm.presets import PRESETS
from scine_eval.vlm.spec import InputSpec

SMALL = os.environ.get("SCINE_BENCH_ARCH") == "small"
TEXT = 230
"""Tokens of the prompt before the video (system message, rubric)."""


def config():
    from transformers import Qwen2_5_VLConfig

    kwargs = PRESETS["qwen2.5-vl-7b"].config_dict()
    if SMALL:
        kwargs["text_config"].update(
            hidden_size=256,
            intermediate_size=512,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            vocab_size=152064,
            rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": [8, 12, 12]},
        )
        kwargs["vision_config"].update(depth=2, hidden_size=128, num_heads=4, intermediate_size=256,
                                       out_hidden_size=256, fullatt_block_indexes=[1])  # fmt: skip
    return Qwen2_5_VLConfig(**kwargs)


def loaded_model() -> LoadedVLM:
    """The random model on the GPU in bf16 (CPU fp32 when small), wrapped as the loader would return it."""
    from transformers import Qwen2_5_VLForConditionalGeneration

    device = "cpu" if SMALL else "cuda"
    dtype = torch.float32 if SMALL else torch.bfloat16
    cfg = config()
    torch.manual_seed(0)
    attention = os.environ.get("SCINE_BENCH_ATTN")  # sdpa, flash_attention_2, eager: compare kernels run by run
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration._from_config(
            cfg, dtype=dtype, **({"attn_implementation": attention} if attention else {})
        ).eval()
    processor = SimpleNamespace(tokenizer=SimpleNamespace(pad_token_id=cfg.text_config.bos_token_id))
    return LoadedVLM(model, processor, str(dtype).removeprefix("torch."))


def clip(cfg, dtype: torch.dtype, generator: torch.Generator) -> EncodedVideo:
    """A 5 s 1280x720 clip at 2 fps (5,980 video tokens; 2 s 224² when small) as random patches, after a prompt."""
    seconds, width, height = (2.0, 224, 224) if SMALL else (5.0, 1280, 720)
    n_video = video_tokens(seconds=seconds, width=width, height=height)
    resized_h, resized_w = smart_resize(height, width, 28, InputSpec.min_pixels, InputSpec.max_pixels)
    t, h, w = round(seconds * 2) // 2, resized_h // 14, resized_w // 14  # 2 fps, 2 frames per step
    assert t * h * w // 4 == n_video
    prefix = torch.cat(
        [
            torch.randint(0, 150000, (TEXT,), generator=generator),
            torch.tensor([cfg.vision_start_token_id]),
            torch.full((n_video,), cfg.video_token_id),
            torch.tensor([cfg.vision_end_token_id]),
        ]
    )
    return EncodedVideo(
        prefix_ids=prefix,
        pixel_values_videos=torch.randn(t * h * w, 3 * 2 * 14 * 14, generator=generator).to(dtype),
        video_grid_thw=torch.tensor([[t, h, w]]),
        second_per_grid_ts=torch.tensor([1.0]),
        frames=2 * t,
        fps=2.0,
        size=(w * 14, h * 14),
    )


def suffix(generator: torch.Generator, length: int) -> tuple[int, ...]:
    """A random question of ``length`` tokens."""
    return tuple(torch.randint(0, 150000, (length,), generator=generator).tolist())
