"""Seconds per video through the ``diffusers`` adapter, for every preset on its tiny random pipeline (CPU).

Read the rows of group "tiny-t2v" side by side: each generates one video at the preset's smallest size and
frame count in 2 steps, export to mp4 included, with the pipeline already loaded (as in a run after the first
video). The figures measure the adapter's overhead and the family's fixed costs on CPU, not a real model's
speed: for that, ``benchmarks/gpu_t2v_step.py`` times one denoising step of a real-size transformer built from
its real config with random weights. ``peak_rss_mib`` in ``extra_info`` is the process's peak resident memory
after the preset ran (monotone over the session: read it as an upper bound).

    python -m pytest benchmarks/test_bench_diffusers.py --benchmark-enable --benchmark-columns=mean,stddev,rounds
"""

from __future__ import annotations

import resource

import pytest

pytest.importorskip("diffusers")

from scine_eval.components import resolve  # noqa: E402
from scine_eval.contracts.model import GenerationRequest, model_registry  # noqa: E402
from scine_eval.diffusion.presets import PRESETS  # noqa: E402
from scine_eval.tiny_pipelines import make_tiny_pipeline  # noqa: E402

FAMILY = {"wan2.1-1.3b": "wan2.1", "wan2.1-14b": "wan2.1"}


@pytest.mark.benchmark(group="tiny-t2v")
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_seconds_per_video(benchmark, preset, tmp_path):
    rule, side = PRESETS[preset].frame_rule, max(16, PRESETS[preset].size_multiple)
    frames = next(n for n in range(2, 50) if rule.allows(n))
    folder = make_tiny_pipeline(FAMILY.get(preset, preset), tmp_path / "pipe")
    args = {"pretrained": str(folder), "height": side, "width": side, "frames": frames, "steps": 2,
            "dtype": "float32", "max_sequence_length": 16}  # fmt: skip
    adapter = resolve(model_registry, preset, args).build()
    adapter.generate([GenerationRequest("warm", "A lighthouse.", 0, 0, tmp_path / "warm.mp4")])  # loads the weights
    counter = iter(range(10_000))

    def one() -> None:
        n = next(counter)
        [result] = adapter.generate([GenerationRequest(f"p{n}", "A lighthouse.", n, 0, tmp_path / f"{n}.mp4")])
        assert result.error is None, result.error

    benchmark.pedantic(one, rounds=5, warmup_rounds=1)
    benchmark.extra_info["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    benchmark.extra_info["video"] = f"{frames} frames at {side}x{side}, 2 steps"
    adapter.close()
