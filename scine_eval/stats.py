"""Scores up the task tree, with bootstrap confidence intervals that resample prompts.

A sample is one judged (video, question). The questions of one prompt share a video and a scene, so they
are not independent: the bootstrap resamples *prompts* with replacement (all their samples move
together) and recomputes every task's score from the same resample, so a group's interval reflects the
correlation between its children. Intervals are percentile intervals; ``stderr`` is the standard
deviation of the bootstrap replicates (what lm-eval reports as ``_stderr``).

Aggregation:

* a task scored from its own samples: ``micro`` = mean over samples; ``macro`` = mean over its leaves
  of each leaf's mean (so a leaf with many questions does not dominate);
* a group: ``micro`` = mean over all its members' samples; ``macro`` = mean of its members' scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scine_eval.tasks import Task

SCALE_MIN, SCALE_MAX = 1.0, 5.0


@dataclass(frozen=True)
class SampleScore:
    """One judged sample as the statistics see it."""

    prompt_id: str
    leaf: str
    score: float


@dataclass(frozen=True)
class Estimate:
    """A mean on the 1-5 scale with its bootstrap interval; ``mean`` is None when nothing was scored."""

    mean: float | None
    ci_low: float | None
    ci_high: float | None
    stderr: float | None
    n_samples: int
    n_prompts: int

    @property
    def normalised(self) -> float | None:
        """The mean mapped linearly from 1-5 onto 0-100."""
        return None if self.mean is None else normalise(self.mean)


@dataclass(frozen=True)
class TaskScore:
    """A task's headline score (its configured aggregation) and both aggregations."""

    score: Estimate
    micro: Estimate
    macro: Estimate


def normalise(score: float) -> float:
    """1-5 onto 0-100: 1 → 0, 3 → 50, 5 → 100."""
    return (score - SCALE_MIN) / (SCALE_MAX - SCALE_MIN) * 100.0


class Bootstrap:
    """Prompt resampling weights shared by every estimate of one run.

    Args:
        prompt_ids: every prompt that has a scored sample.
        iters: number of replicates (0 disables intervals).
        seed: the random seed, so intervals are reproducible.
        confidence: the interval's coverage.
    """

    def __init__(self, prompt_ids: Sequence[str], iters: int = 1000, seed: int = 0, confidence: float = 0.95):
        self.index = {prompt: i for i, prompt in enumerate(dict.fromkeys(prompt_ids))}
        self.confidence = confidence
        n = len(self.index)
        rng = np.random.default_rng(seed)
        self.weights = rng.multinomial(n, np.full(n, 1.0 / n), size=iters).astype(float) if n and iters else None

    def matrix(
        self, samples: Sequence[SampleScore], leaves: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per (prompt, leaf): the sum of scores and the count of samples (leaves in order of appearance)."""
        leaves = list(dict.fromkeys(s.leaf for s in samples)) if leaves is None else leaves
        column = {leaf: j for j, leaf in enumerate(leaves)}
        sums = np.zeros((len(self.index), len(leaves)))
        counts = np.zeros_like(sums)
        for s in samples:
            i, j = self.index[s.prompt_id], column[s.leaf]
            sums[i, j] += s.score
            counts[i, j] += 1
        return sums, counts

    def estimate(self, point: float | None, replicates: np.ndarray | None, n_samples: int, n_prompts: int) -> Estimate:
        if point is None or replicates is None or not np.isfinite(replicates).any():
            return Estimate(point, None, None, None, n_samples, n_prompts)
        finite = replicates[np.isfinite(replicates)]
        tail = (1 - self.confidence) / 2 * 100
        low, high = np.percentile(finite, [tail, 100 - tail])
        return Estimate(
            point,
            float(low),
            float(high),
            float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
            n_samples,
            n_prompts,
        )


def score_tasks(
    tasks: Mapping[str, Task], samples: Mapping[str, Sequence[SampleScore]], bootstrap: Bootstrap
) -> dict[str, TaskScore]:
    """Scores every task in ``tasks``; ``samples`` holds the samples of tasks that are not groups."""
    memo: dict[str, tuple[TaskScore, dict]] = {}

    def visit(name: str) -> tuple[TaskScore, dict]:
        if name not in memo:
            task = tasks[name]
            memo[name] = (
                _group(task, [visit(m) for m in task.subtasks], bootstrap)
                if task.is_group
                else _leaf_task(task, samples.get(name, ()), bootstrap)
            )
        return memo[name]

    return {name: visit(name)[0] for name in tasks}


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def _nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    counts = np.isfinite(values).sum(axis=axis)
    totals = np.nansum(values, axis=axis)
    return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)


def _leaf_task(task: Task, samples: Sequence[SampleScore], bootstrap: Bootstrap) -> tuple[TaskScore, dict]:
    sums, counts = bootstrap.matrix(samples)
    parts = {"sums": sums.sum(1), "counts": counts.sum(1)}
    n_samples = len(samples)
    n_prompts = len({s.prompt_id for s in samples})
    if not n_samples:
        empty = Estimate(None, None, None, None, 0, 0)
        return TaskScore(empty, empty, empty), {**parts, "macro": None}
    micro_point = float(sums.sum() / counts.sum())
    macro_point = float(np.mean(sums.sum(0) / counts.sum(0)))
    micro_reps = macro_reps = None
    if bootstrap.weights is not None:
        w = bootstrap.weights
        micro_reps = _ratio(w @ sums.sum(1), w @ counts.sum(1))
        macro_reps = _nanmean(_ratio(w @ sums, w @ counts), axis=1)
    micro = bootstrap.estimate(micro_point, micro_reps, n_samples, n_prompts)
    macro = bootstrap.estimate(macro_point, macro_reps, n_samples, n_prompts)
    chosen = micro if task.aggregation == "micro" else macro
    return TaskScore(chosen, micro, macro), {
        **parts,
        "macro": (macro_point, macro_reps),
        "n": (n_samples, n_prompts),
    }


def _group(task: Task, members: list[tuple[TaskScore, dict]], bootstrap: Bootstrap) -> tuple[TaskScore, dict]:
    sums = sum((m[1]["sums"] for m in members), np.zeros(len(bootstrap.index)))
    counts = sum((m[1]["counts"] for m in members), np.zeros(len(bootstrap.index)))
    n_samples = int(counts.sum())
    n_prompts = int((counts > 0).sum())
    parts = {"sums": sums, "counts": counts}
    scored = [m[1]["macro"] for m in members if m[1]["macro"] is not None]
    if not n_samples or not scored:
        empty = Estimate(None, None, None, None, 0, 0)
        return TaskScore(empty, empty, empty), {**parts, "macro": None}
    micro_point = float(sums.sum() / counts.sum())
    macro_point = float(np.mean([point for point, _ in scored]))
    micro_reps = macro_reps = None
    if bootstrap.weights is not None:
        w = bootstrap.weights
        micro_reps = _ratio(w @ sums, w @ counts)
        macro_reps = _nanmean(np.stack([reps for _, reps in scored], axis=1), axis=1)
    micro = bootstrap.estimate(micro_point, micro_reps, n_samples, n_prompts)
    macro = bootstrap.estimate(macro_point, macro_reps, n_samples, n_prompts)
    chosen = micro if task.aggregation == "micro" else macro
    return TaskScore(chosen, micro, macro), {**parts, "macro": (macro_point, macro_reps)}


def mean_by(samples: Sequence[SampleScore], key: Mapping[str, str | None], bootstrap: Bootstrap) -> dict[str, Estimate]:
    """Micro means of ``samples`` split by a prompt facet (``key`` maps prompt id → facet value)."""
    groups: dict[str, list[SampleScore]] = {}
    for s in samples:
        groups.setdefault(str(key.get(s.prompt_id)), []).append(s)
    out = {}
    for value, members in sorted(groups.items()):
        sums, counts = bootstrap.matrix(members)
        sums, counts = sums.sum(1), counts.sum(1)
        point = float(sums.sum() / counts.sum())
        reps = None if bootstrap.weights is None else _ratio(bootstrap.weights @ sums, bootstrap.weights @ counts)
        out[value] = bootstrap.estimate(point, reps, len(members), len({s.prompt_id for s in members}))
    return out
