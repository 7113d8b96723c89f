"""Tiny random T5-encoded text-to-video pipelines (CogVideoX 2B/5B, LTX-Video, Mochi, Allegro), offline on CPU.

Each family is built once per module into a tmp folder, loaded back with ``DiffusionPipeline.from_pretrained`` on
that folder, run for 2 steps with classifier-free guidance at the smallest size and frame count its rules allow,
exported to mp4 and decoded again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

from scine_eval.tiny_pipelines.t5_video import BUILDERS, MAX_SEQUENCE_LENGTH  # noqa: E402
from tests.helpers import load_tiny_pipeline, mp4_round_trip  # noqa: E402

PROMPT = "dance monkey"


@dataclass(frozen=True)
class Case:
    """What one family is called with and what it must give back."""

    pipeline: str
    scheduler: str
    frames: int
    height: int
    width: int
    guidance_scale: float
    fps: float  # the real checkpoint's export rate
    extra: dict[str, Any] = field(default_factory=dict)

    def call_args(self) -> dict[str, Any]:
        return {
            "prompt": PROMPT,
            "negative_prompt": "",
            "num_inference_steps": 2,
            "num_frames": self.frames,
            "height": self.height,
            "width": self.width,
            "guidance_scale": self.guidance_scale,
            "max_sequence_length": MAX_SEQUENCE_LENGTH,
            "output_type": "np",
            **self.extra,
        }


CASES = {
    # 8k + 1 frames (9 -> 3 latent frames -> 9), sizes a multiple of 16 (8x VAE, 2x2 patches).
    "cogvideox-2b": Case("CogVideoXPipeline", "CogVideoXDDIMScheduler", 9, 16, 16, 6.0, fps=8),
    "cogvideox-5b": Case("CogVideoXPipeline", "CogVideoXDPMScheduler", 9, 16, 16, 6.0, fps=8),
    # 8k + 1 frames, sizes a multiple of 32; the decoder is timestep-conditioned (LTX-Video 0.9.1).
    "ltx": Case(
        "LTXPipeline",
        "FlowMatchEulerDiscreteScheduler",
        9,
        32,
        32,
        3.0,
        fps=25,
        extra={"frame_rate": 25, "decode_timestep": 0.03, "decode_noise_scale": 0.025},
    ),
    # 6k + 1 frames, sizes a multiple of 16.
    "mochi": Case("MochiPipeline", "FlowMatchEulerDiscreteScheduler", 7, 16, 16, 4.5, fps=30),
    # 24 frames: one whole decoder tile (6 latent frames); 16x16 is the tiny VAE's one spatial tile.
    "allegro": Case(
        "AllegroPipeline",
        "EulerAncestralDiscreteScheduler",
        24,
        16,
        16,
        7.5,
        fps=15,
        extra={"clean_caption": False},  # caption cleaning needs bs4 and ftfy
    ),
}


def _run(pipe, case: Case, seed: int = 0, **overrides) -> np.ndarray:
    args = {**case.call_args(), **overrides}
    return pipe(**args, generator=torch.Generator("cpu").manual_seed(seed)).frames


@pytest.fixture(scope="module", params=sorted(CASES))
def family(request, tmp_path_factory):
    """(name, folder) of one tiny pipeline, built once per module."""
    name = request.param
    return name, BUILDERS[name](tmp_path_factory.mktemp(f"tiny-{name}"))


def test_builders_cover_the_t5_families():
    assert set(BUILDERS) == set(CASES)


def test_folder_is_a_complete_pipeline(family):
    name, folder = family
    index = json.loads((folder / "model_index.json").read_text())
    assert index["_class_name"] == CASES[name].pipeline
    components = {key for key, value in index.items() if not key.startswith("_") and isinstance(value, list)}
    assert components == {"tokenizer", "text_encoder", "vae", "transformer", "scheduler"}
    for component in components:
        assert (folder / component).is_dir(), component


def test_loads_runs_exports_and_repeats(family, tmp_path):
    name, folder = family
    case = CASES[name]
    pipe = load_tiny_pipeline(folder)
    assert type(pipe).__name__ == case.pipeline
    assert type(pipe.scheduler).__name__ == case.scheduler
    assert type(pipe.tokenizer).__name__ == "ByT5Tokenizer"

    frames = _run(pipe, case)
    assert frames.shape == (1, case.frames, case.height, case.width, 3)
    assert frames.dtype == np.float32
    assert 0.0 <= frames.min() and frames.max() <= 1.0
    assert frames.std() > 0.01  # really decoded, not a blank video

    video = mp4_round_trip(tmp_path / f"{name}.mp4", frames[0], case.fps)
    assert video.info.n_frames == case.frames
    assert video.frames.shape == (case.frames, case.height, case.width, 3)
    assert video.fps == pytest.approx(case.fps)

    assert np.array_equal(_run(pipe, case), frames), "the same seed must give the same frames"


def test_cogvideox_variants_differ_as_the_checkpoints_do(tmp_path):
    configs = {}
    for variant in ("cogvideox-2b", "cogvideox-5b"):
        folder = BUILDERS[variant](tmp_path / variant)
        configs[variant] = {
            part: json.loads((folder / part / name).read_text())
            for part, name in [
                ("transformer", "config.json"),
                ("vae", "config.json"),
                ("scheduler", "scheduler_config.json"),
            ]
        }
    small, large = configs["cogvideox-2b"], configs["cogvideox-5b"]
    assert not small["transformer"]["use_rotary_positional_embeddings"]
    assert large["transformer"]["use_rotary_positional_embeddings"]
    assert (small["vae"]["scaling_factor"], large["vae"]["scaling_factor"]) == (1.15258426, 0.7)
    assert (small["scheduler"]["snr_shift_scale"], large["scheduler"]["snr_shift_scale"]) == (3.0, 1.0)
    for config in (small, large):
        assert config["scheduler"]["prediction_type"] == "v_prediction"
        assert config["scheduler"]["timestep_spacing"] == "trailing"
    # Apart from those, the same architecture.
    ignore = {"use_rotary_positional_embeddings", "_diffusers_version"}
    assert {k: v for k, v in small["transformer"].items() if k not in ignore} == {
        k: v for k, v in large["transformer"].items() if k not in ignore
    }


def test_cogvideox_frames_off_the_8k_plus_1_grid(tmp_path):
    """5 frames are 2 latent frames, which the CogVideoX VAE decodes to 8: only 8k + 1 comes back as asked."""
    pipe = load_tiny_pipeline(BUILDERS["cogvideox-2b"](tmp_path / "cogvideox-2b"))
    assert _run(pipe, CASES["cogvideox-2b"], num_frames=5).shape[1] == 8


def test_ltx_needs_sizes_a_multiple_of_32(tmp_path):
    pipe = load_tiny_pipeline(BUILDERS["ltx"](tmp_path / "ltx"))
    with pytest.raises(ValueError, match="divisible by 32"):
        _run(pipe, CASES["ltx"], height=16, width=16)


def test_allegro_short_clip_is_not_decoded(tmp_path):
    """Allegro's tiled decoder has 24-frame tiles: 8 frames (2 latent frames) fit none and come back uniform grey."""
    pipe = load_tiny_pipeline(BUILDERS["allegro"](tmp_path / "allegro"))
    frames = _run(pipe, CASES["allegro"], num_frames=8)
    assert frames.shape == (1, 8, 16, 16, 3)
    assert np.all(frames == 0.5)
