"""Figures of reports, drawn with matplotlib (the optional ``plot`` extra) on its Agg canvas, no global state."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scine_eval.cli.tables import no_accuracy_reason
from scine_eval.headline import PILLARS, pillar_scores
from scine_eval.record import ResultsRecord

_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<", ">", "h")
_LABEL_CHARS = 48


class EmptyPlotError(ValueError):
    """An ablation plot would show no judge: none has a pairwise accuracy. The message says why, per judge."""


def ablation_plot_problem(report: Mapping[str, Any]) -> str | None:
    """Why an ablation plot of ``report`` would be empty, or ``None`` when some judge has a pairwise accuracy.

    A figure with axes, a chance line and no marker reads as a drawing bug; the reasons (one video per
    question, a judge that abstained on everything) say what to change instead.
    """
    judges = report["judges"]
    if not judges:
        return "the report has no judges"
    reasons = {label: no_accuracy_reason(entry, report) for label, entry in judges.items()}
    if any(reason is None for reason in reasons.values()):
        return None
    return "no judge has a pairwise accuracy (" + "; ".join(f"{label}: {r}" for label, r in reasons.items()) + ")"


def ablation_plot(report: Mapping[str, Any], path: str | Path) -> Path:
    """A forest plot of an ablation report (:func:`scine_eval.judge_eval.ablate.ablate`), written as a PNG.

    One row group per scope (``all``, then each pillar), one marker per judge at its pairwise accuracy
    (without ties) with its bootstrap interval as a horizontal bar; a dashed segment per group marks the human
    ceiling (rater vs rest) when the report has one, and a dotted line marks chance (0.5).

    Args:
        report: the ablation report.
        path: the PNG file to write (its folder is created).

    Returns:
        ``path``.

    Raises:
        EmptyPlotError: no judge has a pairwise accuracy (see :func:`ablation_plot_problem`); nothing is written.
        ImportError: matplotlib is not installed (the message names the install command).
    """
    if problem := ablation_plot_problem(report):
        raise EmptyPlotError(problem)
    try:
        from matplotlib import colormaps
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError('the ablation plot needs matplotlib: pip install "scine-eval[plot]"') from error

    judges: Mapping[str, Mapping[str, Any]] = report["judges"]
    ceiling = report.get("ceiling")
    entries = [*judges.values(), *([ceiling] if ceiling else [])]
    pillars = sorted({p for entry in entries for p, s in entry.get("pillars", {}).items() if _value(s) is not None})
    scopes = ["all", *pillars]
    rows = max(1, len(judges))
    height = rows + 1  # one blank row between groups

    figure = Figure(figsize=(9.0, max(2.8, 0.32 * len(scopes) * height + 1.6)), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    colours = colormaps["tab10"]
    axes.axvline(0.5, color="0.4", linestyle=":", linewidth=1.2, label="chance (0.5)")

    def top(group: int) -> float:
        return -group * height

    for number, (label, entry) in enumerate(judges.items()):
        xs, ys, below, above = [], [], [], []
        for group, scope in enumerate(scopes):
            summary = _scope(entry, scope)
            value = _value(summary)
            if value is None:
                continue
            low, high = summary["accuracy"].get("ci_low"), summary["accuracy"].get("ci_high")
            xs.append(value)
            ys.append(top(group) - number)
            below.append(value - low if _finite(low) else 0.0)
            above.append(high - value if _finite(high) else 0.0)
        axes.errorbar(
            xs,
            ys,
            xerr=[below, above] if xs else None,
            fmt=_MARKERS[number % len(_MARKERS)],
            color=colours(number % 10),
            ecolor=colours(number % 10),
            elinewidth=1.5,
            capsize=3,
            markersize=6,
            label=_short(label) if xs else f"{_short(label)} (no accuracy: {_short(_reason(entry, report))})",
        )

    if ceiling:
        labelled = False
        for group, scope in enumerate(scopes):
            value = _value(_scope(ceiling, scope))
            if value is None:
                continue
            axes.vlines(
                value,
                top(group) - rows + 0.6,
                top(group) + 0.4,
                colors="black",
                linestyles="dashed",
                linewidth=1.4,
                label=None if labelled else "human ceiling (rater vs rest)",
            )
            labelled = True

    for group in range(1, len(scopes)):
        axes.axhline(top(group) + 1, color="0.85", linewidth=0.8)
    axes.set_yticks([top(group) - (rows - 1) / 2 for group in range(len(scopes))], labels=scopes)
    axes.set_ylim(top(len(scopes) - 1) - rows + 0.3, 0.7)
    axes.set_xlim(-0.02, 1.02)
    axes.set_xlabel("pairwise accuracy (without ties)")
    axes.grid(axis="x", color="0.92")
    axes.set_axisbelow(True)
    reference = report.get("reference", "human")
    axes.set_title(
        f"judges vs {_short(str(reference))}: pairwise accuracy, 95% bootstrap CI over prompts\n"
        f"{report.get('n_items', '?')} items, {report.get('n_prompts', '?')} prompts",
        fontsize="medium",
    )
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path


def _reason(entry: Mapping[str, Any], report: Mapping[str, Any]) -> str:
    """The first clause of why a judge has no accuracy, short enough for a legend."""
    reason = no_accuracy_reason(entry, report) or "undefined"
    return reason.split(":", 1)[0].split(";", 1)[0]


def _scope(entry: Mapping[str, Any], scope: str) -> Mapping[str, Any] | None:
    return entry.get("all") if scope == "all" else entry.get("pillars", {}).get(scope)


def _value(summary: Mapping[str, Any] | None) -> float | None:
    if not summary:
        return None
    value = summary.get("accuracy", {}).get("value")
    return value if _finite(value) else None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _short(label: str) -> str:
    """A long label (a judge spec with a checkpoint path) shortened in the middle."""
    if len(label) <= _LABEL_CHARS:
        return label
    half = (_LABEL_CHARS - 1) // 2
    return f"{label[:half]}…{label[-half:]}"


def run_plots(record: ResultsRecord, folder: str | Path, stamp: str) -> dict[str, Path]:
    """A run's figures beside its results: a pillar radar and a node bar chart.

    ``pillars_<stamp>.png`` draws the four pillars' scores (0-100, as the leaderboard computes them:
    :func:`scine_eval.headline.pillar_scores`; a pillar the run did not score is drawn at 0 and labelled so).
    ``nodes_<stamp>.png`` shows every scored task that is not a group with its mean rating and bootstrap
    interval.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    title = f"{record.model_name} · {record.judge}"
    folder = Path(folder)
    files = {}
    pillars = {name: score.value for name, score in pillar_scores(record).items() if score.value is not None}
    if pillars:
        figure = Figure(figsize=(5, 5))
        axes = figure.add_subplot(projection="polar")
        names = [*PILLARS, *sorted(set(pillars) - set(PILLARS))]
        angles = [2 * math.pi * i / len(names) for i in range(len(names))] + [0.0]
        values = [pillars.get(n, 0.0) for n in names]
        axes.plot(angles, [*values, values[0]], marker="o")
        axes.fill(angles, [*values, values[0]], alpha=0.2)
        axes.set_xticks(angles[:-1], [n if n in pillars else f"{n}\n(not run)" for n in names])
        axes.tick_params(axis="x", pad=10)
        axes.set_ylim(0, 100)
        axes.set_title(f"{title} (0-100)")
        figure.tight_layout()
        files["pillars"] = _save(figure, folder / f"pillars_{stamp}.png")
    leaves = sorted((t for t in record.tasks() if t.score is not None and not t.is_group), key=lambda t: t.name)
    if leaves:
        figure = Figure(figsize=(7, 0.35 * len(leaves) + 1.2))
        axes = figure.add_subplot()
        means = [t.score for t in leaves]
        low = [t.score - (t.ci_low or t.score) for t in leaves]
        high = [(t.ci_high or t.score) - t.score for t in leaves]
        axes.barh([t.name for t in leaves], means, xerr=[low, high], color="#4c72b0", capsize=2)
        axes.set_xlim(1, 5)
        axes.invert_yaxis()
        axes.set_xlabel("mean rating (1-5), 95% bootstrap interval")
        axes.set_title(title)
        figure.tight_layout()
        files["nodes"] = _save(figure, folder / f"nodes_{stamp}.png")
    return files


def _save(figure: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path
