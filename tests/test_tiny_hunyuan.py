"""The tiny HunyuanVideo pipelines: built in code, saved, loaded back by folder, run for 2 steps, exported to mp4."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

pytest.importorskip("diffusers")
torch = pytest.importorskip("torch")

from scine_eval.tiny_pipelines.hunyuan import BUILDERS  # noqa: E402
from tests.helpers import build_tiny_pipeline, mp4_round_trip  # noqa: E402

FRAMES = 5  # the smallest num_frames above 1 under the 4k + 1 rule (4x temporal VAE compression)
SIZE = 16  # both check or need height/width multiples of 16 (VAE spatial factor x transformer patch)
FPS = 24  # both real checkpoints' frame rate


@dataclass(frozen=True)
class Family:
    pipeline: str
    scheduler_shift: float
    call: dict[str, Any] = field(default_factory=dict)


FAMILIES = {
    # Guidance-distilled: guidance_scale is embedded guidance (true CFG would need true_cfg_scale > 1 and a
    # negative prompt). No prompt_template / max_sequence_length: the tiny tokenizer fits the default template.
    "hunyuan": Family("HunyuanVideoPipeline", 7.0, {"guidance_scale": 6.0}),
    # CFG comes from the guider component (scale 6.0); the call takes no guidance_scale. The quoted text makes the
    # ByT5 glyph encoder run (without quotes its embeddings are zeros).
    "hunyuan-1.5": Family("HunyuanVideo15Pipeline", 5.0),
}
PROMPT = 'a neon sign reading "OPEN" flickers as the camera dollies in'


def test_every_builder_has_a_call_table():
    assert set(BUILDERS) == set(FAMILIES)


@pytest.fixture(scope="module", params=list(FAMILIES))
def built(request, tmp_path_factory):
    """(family name, folder, pipeline loaded from the folder), built once per family."""
    return build_tiny_pipeline(BUILDERS, request.param, tmp_path_factory)


def _generate(name: str, pipe) -> np.ndarray:
    return pipe(
        prompt=PROMPT,
        num_frames=FRAMES,
        height=SIZE,
        width=SIZE,
        num_inference_steps=2,
        generator=torch.Generator("cpu").manual_seed(0),
        output_type="np",
        **FAMILIES[name].call,
    ).frames


def test_folder_loads_as_the_family_pipeline(built):
    name, folder, pipe = built
    assert type(pipe).__name__ == FAMILIES[name].pipeline
    assert (folder / "model_index.json").is_file()
    assert type(pipe.scheduler).__name__ == "FlowMatchEulerDiscreteScheduler"
    assert pipe.scheduler.config.shift == FAMILIES[name].scheduler_shift


def test_loaded_tokenizer_crops_exactly_the_template(built):
    """The pipelines crop a fixed number of template tokens; the tiny vocabularies make that the whole template."""
    name, _, pipe = built
    assert pipe.tokenizer.padding_side == "right"  # the crop counts from the left
    if name == "hunyuan":
        from diffusers.pipelines.hunyuan_video.pipeline_hunyuan_video import DEFAULT_PROMPT_TEMPLATE

        assert type(pipe.tokenizer).__name__ in ("LlamaTokenizer", "LlamaTokenizerFast")
        template, crop = DEFAULT_PROMPT_TEMPLATE["template"], DEFAULT_PROMPT_TEMPLATE["crop_start"]
        ids = pipe.tokenizer(template.format("dolly in")).input_ids
        assert ids[:crop] == pipe.tokenizer(template.split("{}")[0]).input_ids
        assert pipe.tokenizer.decode(ids[crop:]) == "dolly in<|eot_id|>"
        assert crop == 95
    else:
        from diffusers.pipelines.hunyuan_video1_5.pipeline_hunyuan_video1_5 import format_text_input

        assert type(pipe.tokenizer).__name__ == "Qwen2Tokenizer"
        assert type(pipe.tokenizer_2).__name__ == "ByT5Tokenizer"
        assert pipe.guider.guidance_scale == 6.0
        crop = pipe.prompt_template_encode_start_idx
        chat = format_text_input(["dolly in"], pipe.system_message)[0]
        ids = pipe.tokenizer.apply_chat_template(chat, tokenize=True, add_generation_prompt=True, return_dict=True)
        assert pipe.tokenizer.decode(ids["input_ids"][crop:]) == "dolly in<|im_end|>\n<|im_start|>assistant\n"
        assert crop == 108


def test_two_steps_give_frames_that_round_trip_through_mp4(built, tmp_path):
    name, _, pipe = built
    frames = _generate(name, pipe)
    assert frames.shape == (1, FRAMES, SIZE, SIZE, 3)
    assert frames.min() >= 0.0 and frames.max() <= 1.0

    video = mp4_round_trip(tmp_path / f"{name}.mp4", frames[0], FPS)
    assert video.frames.shape == (FRAMES, SIZE, SIZE, 3)
    assert video.info.n_frames == FRAMES
    assert video.fps == pytest.approx(FPS)


def test_same_seed_same_frames(built):
    name, _, pipe = built
    np.testing.assert_array_equal(_generate(name, pipe), _generate(name, pipe))


@pytest.mark.parametrize("built", ["hunyuan-1.5"], indirect=True)
def test_hunyuan_15_call_takes_no_guidance_scale(built):
    """A generic ``guidance_scale=`` argument fails: 1.5's guidance lives in ``pipe.guider`` (``guider.new(...)``)."""
    _, _, pipe = built
    with pytest.raises(TypeError, match="guidance_scale"):
        pipe(prompt=PROMPT, num_frames=FRAMES, height=SIZE, width=SIZE, num_inference_steps=2, guidance_scale=6.0)
