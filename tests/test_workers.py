"""CPU-bound adapters and judges in worker processes: the same results as the serial path, failures per batch."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import numpy as np

from scine_eval import evaluate
from scine_eval.components import Component
from scine_eval.video import decode
from scine_eval.workers import component_pool, run_batches, worker_count

ARGS = "duration=1.5,fps=8,size=64,crf=0"
"""Lossless x264: at crf 18 the encoder's bytes for the same frames can differ between encodes in one process
(measured: ~1 clip in 5 after other PyAV work), which would hide what this module checks, the pool's work."""
TASKS = ["camera.trajectory.movement_2d", "lighting.color_temperature", "setup.set_design.backdrop.time_of_day"]


def _samples(output) -> list[tuple]:
    return sorted(
        (row["prompt_id"], row["question_id"], row["status"], row["score"], json.dumps(row["raw"], sort_keys=True))
        for rows in output.samples.values()
        for row in rows
    )


def _pixels(output) -> dict[str, np.ndarray]:
    """Decoded frames per video (the files differ: the store tags each with its writer's pid)."""
    paths = {row["prompt_id"]: row["video"] for rows in output.samples.values() for row in rows if row["video"]}
    return {prompt: decode(path, fps=None).frames for prompt, path in paths.items()}


def test_a_pooled_run_equals_the_serial_run(tmp_path):
    runs = {
        workers: evaluate(model_args=ARGS, tasks=TASKS, num_workers=workers, bootstrap_iters=50, output_path=None,
                          cache_dir=str(tmp_path / f"cache-{workers}"))  # fmt: skip
        for workers in (1, 2)
    }
    serial, pooled = _pixels(runs[1]), _pixels(runs[2])
    assert serial.keys() == pooled.keys()
    assert [k for k in serial if not np.array_equal(serial[k], pooled[k])] == []  # the same pixels
    assert _samples(runs[1]) == _samples(runs[2])  # the same judgements, to the probe's raw readings
    assert json.dumps(runs[1].results["results"], sort_keys=True) == json.dumps(runs[2].results["results"],
                                                                                sort_keys=True)  # fmt: skip


def test_generate_covered_skips_only_videos_no_judged_question_needs(tmp_path):
    covered = evaluate(model_args=ARGS, tasks=TASKS, num_workers=1, bootstrap_iters=50, output_path=None,
                       cache_dir=str(tmp_path / "cache"))  # fmt: skip
    every = evaluate(model_args=ARGS, tasks=TASKS, num_workers=1, bootstrap_iters=50, output_path=None,
                     cache_dir=str(tmp_path / "cache"), generate="all")  # fmt: skip
    videos = covered.record.videos
    assert videos.generate == "covered" and videos.not_generated > 0  # time of day: the probe covers none
    assert every.record.videos.not_generated == 0
    assert videos.planned + videos.not_generated == every.record.videos.planned
    assert covered.results["results"] == every.results["results"]  # the skipped videos were never judged
    rows = covered.samples["setup.set_design.backdrop.time_of_day"]
    assert rows and all(r["status"] == "not_covered" for r in rows)
    assert sum(r["video"] is None for r in rows) == videos.not_generated  # those whose prompt nothing else needs


class Doubler:
    """A stand-in CPU-bound component: doubles numbers, raises on 13, kills its process on 666."""

    def run(self, batch: Sequence[int]) -> list[int]:
        if 666 in batch:
            os._exit(3)  # a crashed worker: the pool breaks
        if 13 in batch:
            raise ValueError("unlucky batch")
        return [2 * x for x in batch]


def _collect(batches, workers):
    component = Component("model", "doubler", Doubler, {}, {})
    seen: list = []
    with component_pool(component, workers) as pool:
        assert (pool is None) == (workers == 1)
        run_batches(pool, Doubler(), "run", batches, lambda batch, out: seen.append((batch, out)))
    return seen


def test_results_come_back_in_batch_order_and_a_failing_batch_is_reported_not_raised():
    batches = [[1, 2], [13], [3], [4, 5]]
    for workers in (1, 2):
        seen = _collect(batches, workers)
        assert [batch for batch, _ in seen] == batches
        assert [out for _, out in seen if not isinstance(out, Exception)] == [[2, 4], [6], [8, 10]]
        assert isinstance(seen[1][1], ValueError) and "unlucky" in str(seen[1][1])


def test_a_crashed_worker_fails_batches_without_ending_the_caller():
    seen = _collect([[1], [666], [2], [3]], 2)
    assert len(seen) == 4
    assert any(isinstance(out, Exception) for _, out in seen)  # BrokenProcessPool for the crashed one (and after)


def test_worker_count():
    assert worker_count(3, 10) == 3
    assert worker_count(8, 2) == 2  # never more workers than batches
    assert worker_count(None, 100, world_size=10**6) == 1  # cores shared among ranks, at least one
