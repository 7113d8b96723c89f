"""The embedded default's cost per clip: rendering, encoding and probing a 5 s, 12 fps, 256x256 clip.

Read the rows of group "clip" side by side: ``render`` is the numpy renderer alone, ``render+encode`` adds
x264 through PyAV (what the ``synthetic`` adapter does per video), ``probe`` decodes the mp4 and takes the
readings a typical prompt asks for (camera motion, colour temperature, key, contrast, lighting motion),
and ``probe+dolly`` adds the 3x3 tile tracking that push-in and pull-out questions need. Group "motion"
is the global-motion estimator on one 128x128 frame pair.
"""

from __future__ import annotations

import pytest

from scine_eval.probes.motion import estimate_step
from scine_eval.probes.readings import Readings
from scine_eval.probes.tone import luma
from scine_eval.stimuli import Stimulus, render
from scine_eval.video import decode, write_video

CLIP = Stimulus(move="pan left", kelvin=3200.0, light_motion="pulsing")
TYPICAL = ("content_right", "content_down", "growth", "motion", "shake", "mired", "luma_mean", "luma_std",
           "flicker", "pulse")  # fmt: skip


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    write_video(path, render(CLIP, 0), fps=CLIP.fps)
    return path


def read(path, names):
    video = decode(path, fps=12.0, max_frames=180, max_pixels=192 * 192)
    readings = Readings(video.frames, video.fps)
    return [readings.get(name) for name in names]


@pytest.mark.benchmark(group="clip")
def test_render(benchmark):
    frames = benchmark.pedantic(render, args=(CLIP, 0), rounds=5, warmup_rounds=1)
    assert frames.shape == (60, 256, 256, 3)


@pytest.mark.benchmark(group="clip")
def test_render_and_encode(benchmark, tmp_path):
    def make() -> None:  # what the synthetic adapter does per video
        write_video(tmp_path / "c.mp4", render(CLIP, 0), fps=CLIP.fps, options={"preset": "veryfast"})

    benchmark.pedantic(make, rounds=5, warmup_rounds=1)


@pytest.mark.benchmark(group="clip")
def test_probe(benchmark, clip_file):
    values = benchmark.pedantic(read, args=(clip_file, TYPICAL), rounds=5, warmup_rounds=1)
    assert all(value is not None for value, _ in values)


@pytest.mark.benchmark(group="clip")
def test_probe_with_dolly_tiles(benchmark, clip_file):
    benchmark.pedantic(read, args=(clip_file, (*TYPICAL, "near_growth", "near_shrink")), rounds=5, warmup_rounds=1)


@pytest.mark.benchmark(group="motion")
def test_estimate_step_128(benchmark):
    frames = luma(render(Stimulus(size=128, move="pan right", duration=1.0), 0))
    step = benchmark(estimate_step, frames[3], frames[4])
    assert step.dx < 0
