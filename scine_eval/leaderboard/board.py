"""The leaderboard: one row per model, ranked by overall score, with the significance of adjacent gaps.

Every score here is on the 0-100 scale (the 1-5 mean rating mapped linearly, as ``score_norm``), read from the
records through :mod:`scine_eval.headline`, so the page, the CSV and a run's own plots agree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scine_eval.headline import PILLARS, Score, node_scores, overall_score, pillar_scores, sample_count
from scine_eval.leaderboard.collect import Run, collect_runs


@dataclass
class Row:
    """One model's line of the leaderboard."""

    model: str
    model_sha: str
    overall: Score
    pillars: dict[str, Score]
    nodes: dict[str, Score]
    n_samples: int
    details: str
    run: Run
    rank: int = 0
    significant_gap: bool | None = None
    """Whether this model's interval lies wholly above the next one's (``None`` for the last or unknown)."""

    def as_dict(self, pillars: Sequence[str], nodes: Sequence[str]) -> dict[str, Any]:
        overall = self.overall.as_dict()
        return {
            "rank": self.rank,
            "model": self.model,
            "model_sha": self.model_sha,
            "overall": overall["score"],
            "ci": [overall["ci_low"], overall["ci_high"]],
            "significant_gap_to_next": self.significant_gap,
            "pillars": {p: self.pillars.get(p, Score(None)).as_dict() for p in pillars},
            "nodes": {n: self.nodes.get(n, Score(None)).as_dict() for n in nodes},
            "n_samples": self.n_samples,
            "details": self.details,
        }


@dataclass
class Leaderboard:
    """The ranked rows and what they were scored with."""

    rows: list[Row]
    judge: str
    judge_fingerprint: str
    suite_version: str
    taxonomy_sha256: str
    root_tasks: list[str]
    pillars: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "judge_fingerprint": self.judge_fingerprint,
            "suite_version": self.suite_version,
            "taxonomy_sha256": self.taxonomy_sha256,
            "root_tasks": self.root_tasks,
            "scale": "0-100 (mean 1-5 rating mapped linearly); ci: 95 % bootstrap interval over prompts",
            "overall": OVERALL_RULE,
            "significance": SIGNIFICANCE_RULE,
            "pillars": self.pillars,
            "nodes": self.nodes,
            "rows": [row.as_dict(self.pillars, self.nodes) for row in self.rows],
        }


OVERALL_RULE = ("the root task's score (a run over several top-level tasks adds an 'overall' task, their macro mean); "
                "for older records with several roots, the mean of the pillar scores, interval = the mean of the "
                "bounds")  # fmt: skip
SIGNIFICANCE_RULE = ("significant_gap_to_next: this model's 95 % interval lies wholly above the next model's (no "
                     "overlap); a conservative test: overlapping intervals may still differ significantly")  # fmt: skip


def make_row(run: Run, output: Path) -> Row:
    record = run.record
    return Row(
        model=run.model,
        model_sha=record.config.model_sha,
        overall=overall_score(record),
        pillars=pillar_scores(record),
        nodes=node_scores(record),
        n_samples=sample_count(record),
        details=Path(os.path.relpath(run.path.resolve(), output.resolve())).as_posix(),
        run=run,
    )


def rank_rows(rows: Sequence[Row]) -> list[Row]:
    """Best overall first (unscored last, ties by name); numbers the ranks and marks the significant gaps."""
    ranked = sorted(rows, key=lambda r: (r.overall.value is None, -(r.overall.value or 0.0), r.model))
    for index, row in enumerate(ranked):
        row.rank = index + 1
        following = ranked[index + 1].overall if index + 1 < len(ranked) else None
        row.significant_gap = None if following is None else significant_gap(row.overall, following)
    return ranked


def significant_gap(upper: Score, lower: Score) -> bool | None:
    """Whether two 95 % intervals do not overlap (``None`` when either is missing).

    Non-overlap of two 95 % intervals is a conservative test (about p < 0.006 for equal widths): a gap it calls
    significant is one, but overlapping intervals may still differ.
    """
    if upper.low is None or lower.high is None:
        return None
    return upper.low > lower.high


def build_leaderboard(paths: Iterable[str | Path], output: str | Path) -> Leaderboard:
    """Collects, checks and ranks the results under ``paths`` (writes nothing)."""
    runs = collect_runs(paths)
    rows = rank_rows([make_row(run, Path(output)) for run in runs])
    first = runs[0].record
    present = _ordered(p for row in rows for p in row.pillars)
    return Leaderboard(
        rows=rows,
        judge=first.judge,
        judge_fingerprint=first.config.judge_fingerprint,
        suite_version=first.suite.version,
        taxonomy_sha256=first.taxonomy.sha256,
        root_tasks=list(first.config.root_tasks),
        pillars=[p for p in PILLARS if p in present] + [p for p in present if p not in PILLARS],
        nodes=_ordered(n for row in rows for n, score in row.nodes.items() if score.value is not None),
    )


def _ordered(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
