"""The tiny Wan-family pipelines: built in code, saved, loaded back by folder, run for 2 steps, exported to mp4."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

pytest.importorskip("diffusers")
torch = pytest.importorskip("torch")

from scine_eval.tiny_pipelines.wan import BUILDERS  # noqa: E402
from tests.helpers import build_tiny_pipeline, mp4_round_trip  # noqa: E402

FRAMES = 5  # the smallest num_frames above 1 under Wan's 4k + 1 rule


@dataclass(frozen=True)
class Family:
    pipeline: str
    size: int  # the smallest height/width: VAE spatial factor x transformer patch
    fps: int  # the real checkpoint's export rate
    call: dict[str, Any] = field(default_factory=dict)


FAMILIES = {
    "wan2.1": Family("WanPipeline", 16, 16),
    "wan2.2-a14b": Family("WanPipeline", 16, 16, {"guidance_scale": 4.0, "guidance_scale_2": 3.0}),
    "wan2.2-ti2v-5b": Family("WanPipeline", 32, 24),
    "skyreels-v2": Family("SkyReelsV2Pipeline", 16, 24),
}


def test_every_builder_has_a_call_table():
    assert set(BUILDERS) == set(FAMILIES)


@pytest.fixture(scope="module", params=list(FAMILIES))
def built(request, tmp_path_factory):
    """(family name, folder, pipeline loaded from the folder), built once per family.

    SkyReels-V2's prompt cleaning needs ftfy (it calls ``ftfy.fix_text`` without checking); the ``test`` and
    ``gen`` extras install it.
    """
    return build_tiny_pipeline(BUILDERS, request.param, tmp_path_factory)


def _generate(name: str, pipe) -> np.ndarray:
    family = FAMILIES[name]
    arguments = {"guidance_scale": 5.0, **family.call}  # > 1: classifier-free guidance runs
    return pipe(
        "a red ball rolls across a wooden table",
        negative_prompt="blurry",
        num_inference_steps=2,
        height=family.size,
        width=family.size,
        num_frames=FRAMES,
        max_sequence_length=16,
        generator=torch.Generator("cpu").manual_seed(0),
        output_type="np",
        **arguments,
    ).frames


def test_folder_loads_as_the_family_pipeline(built):
    name, folder, pipe = built
    assert type(pipe).__name__ == FAMILIES[name].pipeline
    assert (folder / "model_index.json").is_file()
    assert type(pipe.tokenizer).__name__ == "ByT5Tokenizer"
    assert type(pipe.text_encoder).__name__ == "UMT5EncoderModel"
    assert type(pipe.scheduler).__name__ == "UniPCMultistepScheduler"


def test_two_steps_give_frames_that_round_trip_through_mp4(built, tmp_path):
    name, _, pipe = built
    size = FAMILIES[name].size
    frames = _generate(name, pipe)
    assert frames.shape == (1, FRAMES, size, size, 3)
    assert frames.min() >= 0.0 and frames.max() <= 1.0

    video = mp4_round_trip(tmp_path / f"{name}.mp4", frames[0], FAMILIES[name].fps)
    assert video.frames.shape == (FRAMES, size, size, 3)
    assert video.info.n_frames == FRAMES
    assert video.fps == pytest.approx(FAMILIES[name].fps)


def test_same_seed_same_frames(built):
    name, _, pipe = built
    np.testing.assert_array_equal(_generate(name, pipe), _generate(name, pipe))


@pytest.mark.parametrize("built", ["wan2.2-a14b"], indirect=True)
def test_wan22_a14b_runs_both_experts(built):
    name, _, pipe = built
    assert pipe.config.boundary_ratio == 0.875
    calls = []
    hooks = [
        pipe.transformer.register_forward_hook(lambda *_: calls.append("high")),
        pipe.transformer_2.register_forward_hook(lambda *_: calls.append("low")),
    ]
    try:
        _generate(name, pipe)
    finally:
        for hook in hooks:
            hook.remove()
    # 2 steps (t = 999, then 750 with flow_shift 3) around the boundary t = 875; each step runs cond + uncond.
    assert calls == ["high", "high", "low", "low"]


@pytest.mark.parametrize("built", ["wan2.2-ti2v-5b"], indirect=True)
def test_wan22_ti2v_5b_is_the_wan22_vae_variant(built):
    _, _, pipe = built
    assert pipe.config.expand_timesteps is True
    assert pipe.vae.config.z_dim == pipe.transformer.config.in_channels == 48
    assert pipe.vae_scale_factor_spatial == 16
