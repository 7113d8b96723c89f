"""Prefix reuse on a full-size, randomly initialised Qwen2.5-VL-7B (needs a CUDA GPU; skipped without).

The model is built from the 7B's real architecture (:mod:`scine_eval.vlm.presets`) with random bf16
weights: no download. A 5 s 720p clip at 2 fps (5,980 video tokens) is stood in for by random patches
of the right shape, with 8 questions of 90 tokens, scored ``independent`` vs ``batched`` in one run.
Reported per mode in ``extra_info``: videos/s and the fraction of the GPU's dense bf16 peak
(``SCINE_BENCH_PEAK_TFLOPS``, default 989 for an H100 SXM) achieved, counting 2 FLOPs per parameter
per token for the language model and the vision tower plus attention's quadratic term.

``SCINE_BENCH_ARCH=small`` runs the same code on a reduced architecture on CPU, to keep it working.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")

from scine_eval.vlm.engine import EncodedVideo, Query, VideoLM  # noqa: E402
from scine_eval.vlm.loading import LoadedVLM  # noqa: E402
from scine_eval.vlm.memory import smart_resize, video_tokens  # noqa: E402
from scine_eval.vlm.presets import PRESETS  # noqa: E402
from scine_eval.vlm.spec import InputSpec  # noqa: E402

QUESTIONS, SUFFIX, TEXT = 8, 90, 230
SMALL = os.environ.get("SCINE_BENCH_ARCH") == "small"
if not SMALL and not torch.cuda.is_available():
    pytest.skip("full-size 7B benchmark needs a CUDA GPU", allow_module_level=True)


def _config():
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


@pytest.fixture(scope="module")
def setup():
    from transformers import Qwen2_5_VLForConditionalGeneration

    device = "cpu" if SMALL else "cuda"
    dtype = torch.float32 if SMALL else torch.bfloat16
    config = _config()
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration._from_config(config, dtype=dtype).eval()
    processor = SimpleNamespace(tokenizer=SimpleNamespace(pad_token_id=config.text_config.bos_token_id))
    lm = VideoLM(LoadedVLM(model, processor, str(dtype).removeprefix("torch.")), InputSpec())
    seconds, width, height = (2.0, 224, 224) if SMALL else (5.0, 1280, 720)
    n_video = video_tokens(seconds=seconds, width=width, height=height)
    resized_h, resized_w = smart_resize(height, width, 28, InputSpec.min_pixels, InputSpec.max_pixels)
    t, h, w = round(seconds * 2) // 2, resized_h // 14, resized_w // 14  # 2 fps, 2 frames per step
    assert t * h * w // 4 == n_video
    generator = torch.Generator().manual_seed(0)
    text = torch.randint(0, 150000, (TEXT,), generator=generator)
    prefix = torch.cat(
        [
            text,
            torch.tensor([config.vision_start_token_id]),
            torch.full((n_video,), config.video_token_id),
            torch.tensor([config.vision_end_token_id]),
        ]
    )
    video = EncodedVideo(
        prefix_ids=prefix,
        pixel_values_videos=torch.randn(t * h * w, 3 * 2 * 14 * 14, generator=generator).to(dtype),
        video_grid_thw=torch.tensor([[t, h, w]]),
        second_per_grid_ts=torch.tensor([1.0]),
        frames=2 * t,
        fps=2.0,
        size=(w * 14, h * 14),
    )
    queries = [Query(0, tuple(torch.randint(0, 150000, (SUFFIX,), generator=generator).tolist()))
               for _ in range(QUESTIONS)]  # fmt: skip
    return lm, video, queries, config


def _flops(config, video: EncodedVideo, tokens: int, vision_runs: int) -> float:
    text = config.text_config
    per_token = 2 * (text.num_hidden_layers * (4 * text.hidden_size**2 + 3 * text.hidden_size * text.intermediate_size))
    attention = 2 * text.num_hidden_layers * text.hidden_size * tokens * len(video.prefix_ids)
    vision = config.vision_config
    patches = int(video.video_grid_thw.prod())
    vision_flops = (
        2 * patches * vision.depth * (4 * vision.hidden_size**2 + 3 * vision.hidden_size * vision.intermediate_size)
    )
    return per_token * tokens + attention + vision_runs * vision_flops


@pytest.mark.parametrize("mode", ["independent", "batched"])
@pytest.mark.benchmark(group="prefix-reuse-7b")
def test_full_size_8_questions(benchmark, setup, mode):
    lm, video, queries, config = setup

    def run():
        lm.states([video], queries, mode)
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    if benchmark.stats is None:  # --benchmark-disable: ran once as a smoke test
        return
    seconds = benchmark.stats.stats.median
    P, S = len(video.prefix_ids), SUFFIX
    tokens = QUESTIONS * (P + S) if mode == "independent" else P + QUESTIONS * S
    flops = _flops(config, video, tokens, QUESTIONS if mode == "independent" else 1)
    peak = float(os.environ.get("SCINE_BENCH_PEAK_TFLOPS", "989")) * 1e12
    benchmark.extra_info.update(
        videos_per_s=round(1 / seconds, 3),
        prefilled_tokens=tokens,
        tflops=round(flops / seconds / 1e12, 1),
        fraction_of_bf16_peak=round(flops / seconds / peak, 3),
        peak_memory_gib=round(torch.cuda.max_memory_allocated() / 2**30, 1) if torch.cuda.is_available() else None,
    )
    print(f"\n{mode}: {1 / seconds:.3f} videos/s, {tokens} tokens, {flops / seconds / 1e12:.1f} TFLOP/s")
