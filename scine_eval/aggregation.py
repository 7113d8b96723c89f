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
    memo: dict[str, tuple[TaskScore, _Parts]] = {}

    def visit(name: str) -> tuple[TaskScore, _Parts]:
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


@dataclass(frozen=True)
class _Parts:
    """What a task passes up to its group: per-prompt sums and counts, and its macro point and replicates."""

    sums: np.ndarray
    counts: np.ndarray
    macro: tuple[float, np.ndarray | None] | None


def _leaf_task(task: Task, samples: Sequence[SampleScore], bootstrap: Bootstrap) -> tuple[TaskScore, _Parts]:
    sums, counts = bootstrap.matrix(samples)
    macro = None
    if samples:
        w = bootstrap.weights
        reps = None if w is None else _nanmean(_ratio(w @ sums, w @ counts), axis=1)
        macro = (float(np.mean(sums.sum(0) / counts.sum(0))), reps)
    return _finish(task, _Parts(sums.sum(1), counts.sum(1), macro), bootstrap)


def _group(task: Task, members: list[tuple[TaskScore, _Parts]], bootstrap: Bootstrap) -> tuple[TaskScore, _Parts]:
    zeros = np.zeros(len(bootstrap.index))
    sums = sum((parts.sums for _, parts in members), zeros)
    counts = sum((parts.counts for _, parts in members), zeros)
    scored = [parts.macro for _, parts in members if parts.macro is not None]
    macro = None
    if scored:
        w = bootstrap.weights
        reps = None if w is None else _nanmean(np.stack([r for _, r in scored], axis=1), axis=1)
        macro = (float(np.mean([point for point, _ in scored])), reps)
    return _finish(task, _Parts(sums, counts, macro), bootstrap)


def _finish(task: Task, parts: _Parts, bootstrap: Bootstrap) -> tuple[TaskScore, _Parts]:
    """Micro and macro estimates from a task's parts; the headline score follows its aggregation."""
    n_samples, n_prompts = int(parts.counts.sum()), int((parts.counts > 0).sum())
    if not n_samples or parts.macro is None:
        empty = Estimate(None, None, None, None, 0, 0)
        return TaskScore(empty, empty, empty), parts
    w = bootstrap.weights
    micro_reps = None if w is None else _ratio(w @ parts.sums, w @ parts.counts)
    micro = bootstrap.estimate(float(parts.sums.sum() / parts.counts.sum()), micro_reps, n_samples, n_prompts)
    macro = bootstrap.estimate(*parts.macro, n_samples, n_prompts)
    return TaskScore(micro if task.aggregation == "micro" else macro, micro, macro), parts


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
