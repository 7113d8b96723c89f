"""A results record's headline scores on 0-100: overall, per pillar and per intermediate node, with intervals.

The leaderboard, its page and a run's plots read these, so a model's pillar score is the same number
everywhere. A run completes the pillars and adds ``overall`` itself (:meth:`scine_eval.tasks.TaskIndex.summaries`);
the derivations below cover records whose selection left a pillar incomplete, and records written before that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scine_eval.aggregation import normalise
from scine_eval.record import ResultsRecord, TaskResult
from scine_eval.tasks import OVERALL

PILLARS = ("camera", "lighting", "setup", "events")
"""The taxonomy's four pillars, in the order charts draw them (pillars of another taxonomy are appended)."""


@dataclass(frozen=True)
class Score:
    """A 0-100 score with its 95 % interval (``None`` where the run has none)."""

    value: float | None
    low: float | None = None
    high: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {"score": _round(self.value), "ci_low": _round(self.low), "ci_high": _round(self.high)}


def task_score(task: TaskResult) -> Score:
    """A task's mean rating on the 0-100 scale (the interval mapped like the mean)."""
    if task.score is None:
        return Score(None)
    low, high = task.ci_low, task.ci_high
    return Score(
        normalise(task.score), None if low is None else normalise(low), None if high is None else normalise(high)
    )


def mean_score(parts: Sequence[Score]) -> Score:
    """The mean of scored parts, with the mean of their bounds as interval.

    The parts share prompts and videos, so their errors are correlated and no independent-errors formula
    applies. The mean of the bounds is the interval of perfectly correlated parts: never narrower than the
    true one (the spread of a mean is at most the mean of the spreads), so significance stays conservative.
    """
    scored = [p for p in parts if p.value is not None]
    if not scored:
        return Score(None)
    value = sum(p.value for p in scored) / len(scored)  # type: ignore[misc]
    if any(p.low is None or p.high is None for p in scored):
        return Score(value)
    low = sum(p.low for p in scored) / len(scored)  # type: ignore[misc]
    high = sum(p.high for p in scored) / len(scored)  # type: ignore[misc]
    return Score(value, low, high)


def pillar_scores(record: ResultsRecord) -> dict[str, Score]:
    """Each pillar's score: its own task's where the run has one, else the mean of the root tasks under it.

    A selection that leaves a pillar incomplete (``camera.trajectory.static camera.trajectory.gear``) has no
    ``camera`` task; the macro mean of its tasks under the pillar is what a ``camera`` task over just those
    would score.
    """
    scores: dict[str, Score] = {}
    for task in record.tasks():
        if task.node and "." not in task.node and task.node not in scores and task.score is not None:
            scores[task.node] = task_score(task)
    under: dict[str, list[Score]] = {}
    for task in map(record.task, _tops(record)):
        if task.node and "." in task.node:
            under.setdefault(task.node.split(".", 1)[0], []).append(task_score(task))
    for pillar, parts in under.items():
        if pillar not in scores and (derived := mean_score(parts)).value is not None:
            scores[pillar] = derived
    return scores


def overall_score(record: ResultsRecord) -> Score:
    """The headline score: the root task's, or with several roots the mean of the pillar scores.

    Several roots are a record whose run added no ``overall`` (written before runs did): no task covers the
    whole selection, and the mean of the pillars weighs each pillar alike, as the bundled ``scine`` root
    does. Roots off the taxonomy (no pillar at all) fall back to the mean of the roots.
    """
    roots = record.config.root_tasks
    if len(roots) == 1:
        return task_score(record.task(roots[0]))
    pillars = pillar_scores(record)
    if pillars:
        return mean_score(list(pillars.values()))
    return mean_score([task_score(record.task(r)) for r in roots])


def node_scores(record: ResultsRecord) -> dict[str, Score]:
    """The intermediate nodes: group tasks and top tasks below the pillars (``camera.trajectory`` ...)."""
    wanted = set(record.group_subtasks) | set(_tops(record))
    return {t.name: task_score(t) for t in record.tasks() if t.name in wanted and "." in (t.node or "")}


def sample_count(record: ResultsRecord) -> int:
    """Samples scored under the root tasks (disjoint, so their counts add up)."""
    return sum(record.task(r).n_samples for r in record.config.root_tasks)


def _tops(record: ResultsRecord) -> list[str]:
    """The root tasks, looking through a run-added ``overall`` (a group off the taxonomy) to its members."""
    tops = []
    for root in record.config.root_tasks:
        task = record.task(root)
        tops += list(task.subtasks) if task.node is None and task.is_group and root == OVERALL else [root]
    return tops


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)
