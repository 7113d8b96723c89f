"""The leaderboard as text: a CSV line per model and a Markdown table (for READMEs and model cards)."""

from __future__ import annotations

import csv
import io

from scine_eval.headline import Score
from scine_eval.leaderboard.board import Leaderboard


def render_csv(board: Leaderboard) -> str:
    """One line per model: overall and interval, then each pillar and node (0-100), samples and details."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rank", "model", "model_sha", "overall", "ci_low", "ci_high", "significant_gap_to_next",
                     *board.pillars, *board.nodes, "n_samples", "details"])  # fmt: skip
    for row in board.rows:
        gap = "" if row.significant_gap is None else str(row.significant_gap).lower()
        pillars = _cells(*(row.pillars.get(p, Score(None)).value for p in board.pillars))
        nodes = _cells(*(row.nodes.get(n, Score(None)).value for n in board.nodes))
        overall = _cells(row.overall.value, row.overall.low, row.overall.high)
        writer.writerow(
            [row.rank, row.model, row.model_sha, *overall, gap, *pillars, *nodes, row.n_samples, row.details]
        )
    return buffer.getvalue()


def _cells(*values: float | None) -> list[str]:
    return ["" if v is None else f"{v:.2f}" for v in values]


def fmt_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def fmt_interval(score: Score) -> str:
    return "" if score.low is None or score.high is None else f"[{score.low:.1f}, {score.high:.1f}]"


def render_markdown(board: Leaderboard) -> str:
    """A Markdown table of the ranking (overall, interval, gap, pillars), for READMEs and model cards."""
    head = ["rank", "model", "overall", "95% CI", "gap", *board.pillars, "samples", "details"]
    lines = [
        f"Judge: `{board.judge}` · suite: `{board.suite_version}` · scores 0-100; gap: ✓ where the 95 % interval "
        "lies wholly above the next model's (a conservative test).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---:" if h not in ("model", "details") else "---" for h in head) + "|",
    ]
    for row in board.rows:
        gap = {True: "✓", False: "", None: ""}[row.significant_gap]
        cells = [str(row.rank), _md(row.model), fmt_score(row.overall.value), fmt_interval(row.overall), gap,
                 *(fmt_score(row.pillars.get(p, Score(None)).value) for p in board.pillars), str(row.n_samples),
                 f"[results]({row.details})"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")
