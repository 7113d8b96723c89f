"""The terminal summary of a results record: one row per task, indented by the task tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.table import Table

from scine_eval.record import ResultsRecord


def results_table(record: ResultsRecord, requested_only: bool = False) -> Table:
    """A table of score (1-5) with its interval, 0-100 score and counts, groups above their members."""
    config = record.config
    table = Table(
        title=f"{record.model_name} · judge {record.judge} · suite {record.suite.version}",
        title_justify="left",
        caption="score: mean rating on the 1-5 scale, 95% bootstrap CI over prompts; 0-100 = (score-1)/4·100",
        caption_justify="left",
    )
    for column, justify in (
        ("task", "left"),
        ("score", "right"),
        ("95% CI", "right"),
        ("0-100", "right"),
        ("samples", "right"),
        ("prompts", "right"),
        ("missing", "right"),
    ):
        table.add_column(column, justify=justify)

    def row(name: str, depth: int) -> None:
        task = record.task(name)
        missing = _missing(name, record)
        table.add_row(
            ("  " * depth) + name,
            "—" if task.score is None else f"{task.score:.2f}",
            "" if task.ci_low is None or task.ci_high is None else f"{task.ci_low:.2f}–{task.ci_high:.2f}",
            "—" if task.score_norm is None else f"{task.score_norm:.1f}",
            str(task.n_samples),
            str(task.n_prompts),
            str(missing) if missing else "",
            style="bold" if task.is_group else ("dim" if task.score is None else None),
        )
        if not requested_only:
            for child in task.subtasks:
                row(child, depth + 1)

    for name in config.root_tasks:
        row(name, 0)
    return table


def metrics_table(record: ResultsRecord) -> Table:
    """The run's video metrics (``--metrics``): value, videos, direction, and why a metric has no value."""
    table = Table(title=f"{record.model_name} · video metrics", title_justify="left")
    for column, justify in (("metric", "left"), ("value", "right"), ("videos", "right"), ("better", "left"),
                            ("note", "left")):  # fmt: skip
        table.add_column(column, justify=justify)
    for name, entry in record.metrics.items():
        note = entry.reason or ""
        if entry.details.get("gap") is not None:  # VSA: the shuffled-shot control beside the aligned value
            note = f"shuffled shots {entry.details['shuffled']:.4f} (gap {entry.details['gap']:+.4f})"
        value = "—" if entry.value is None else f"{entry.value:.4f}"
        better = "higher" if entry.higher_is_better else "lower"
        table.add_row(name, value, str(entry.n_videos), better, note, style="dim" if entry.value is None else None)
    return table


def _missing(name: str, record: ResultsRecord) -> int:
    """Samples without a usable video under a task (its own, or its members')."""
    counts = record.n_samples.get(name)
    if counts is not None:
        return counts.missing_video + counts.video_error
    return sum(_missing(child, record) for child in record.group_subtasks.get(name, ()))


def judge_check_table(report: dict[str, Any]) -> Table:
    """Per node (bold) and value: pairs, correct, ties, abstained, wrong, and pairwise accuracy."""
    table = Table(
        title=f"judge-check · judge {report['judge']} · {report['pairs_per_value']} pairs per value",
        title_justify="left",
        caption="accuracy: share of scored pairs where the clip that follows the control scores higher (ties count "
        "against); abstained pairs are left out",
        caption_justify="left",
    )
    for column, justify in (
        ("node / value", "left"),
        ("accuracy", "right"),
        ("pairs", "right"),
        ("correct", "right"),
        ("ties", "right"),
        ("wrong", "right"),
        ("abstained", "right"),
    ):
        table.add_column(column, justify=justify)  # fmt: skip

    def cells(entry: dict[str, Any]) -> list[str]:
        accuracy = "—" if entry["accuracy"] is None else f"{entry['accuracy']:.1%}"
        return [accuracy, *(str(entry[k]) for k in ("pairs", "correct", "ties", "wrong", "abstained"))]

    for node_id, entry in report["nodes"].items():
        style = "bold red" if node_id in report["failing"] else "bold"
        table.add_row(node_id, *cells(entry), style=style)
        for value, sub in entry["values"].items():
            table.add_row(f"  {value}", *cells(sub), style="dim" if sub["accuracy"] is None else None)
    if report["not_covered"]:
        table.caption += f"\nnot covered by the judge (not checked): {', '.join(report['not_covered'])}"
    return table


def memory_table(judge: str, rows: list[dict[str, Any]], gpu_gib: float) -> Table:
    """Estimated memory of a judge's presets per load mode (see :mod:`scine_eval.vlm.memory`)."""
    table = Table(
        title=f"{judge}: estimated GPU memory (weights, KV cache of a 5 s 720p clip: 1 prefix + 8 suffix copies, "
        "headroom)",
        title_justify="left",
    )
    for column in ("preset", "checkpoint", "load", "params (B)", "weights GiB", "total GiB", f"fits {gpu_gib:g} GiB"):
        table.add_column(column, justify="right" if column[0] in "pwtf" and column != "preset" else "left")
    for row in rows:
        fits = "[green]yes[/]" if row["fits"] else "[red]no[/]"
        table.add_row(
            row["preset"],
            row["repo_id"],
            row["load_in"],
            f"{row['parameters_b']:.2f}",
            f"{row['weights_gib']:.1f}",
            f"{row['total_gib']:.1f}",
            fits,
        )
    return table


def ablation_table(report: dict[str, Any]) -> Table:
    """Judges against the reference: the human ceiling row first (when there is one), then one row per judge.

    Columns: items scored / abstained, pairwise accuracy with its interval, accuracy with ties (and its ε),
    Spearman, Kendall, and the accuracy per pillar.
    """
    judges = report["judges"]
    ceiling = report.get("ceiling")
    entries = [*([ceiling] if ceiling else []), *judges.values()]
    pillars = sorted({pillar for entry in entries for pillar in entry.get("pillars", {})})
    table = Table(
        title=f"ablate · {len(judges)} judge(s) vs {report['reference']} · {report['n_items']} items, "
        f"{report['n_prompts']} prompts",
        title_justify="left",
        caption="accuracy: share of the pairs the reference orders (same prompt and question, two videos) that the "
        "judge orders the same way, a judge tie counting half; 95% bootstrap CI over prompts. with ties: every "
        "pair, three-way labels, the judge's tie threshold ε searched",
        caption_justify="left",
    )
    for column, justify in (
        ("judge", "left"),
        ("scored / abstained", "right"),
        ("accuracy [95% CI]", "right"),
        ("with ties (ε)", "right"),
        ("Spearman", "right"),
        ("Kendall", "right"),
        *((pillar, "right") for pillar in pillars),
    ):
        table.add_column(column, justify=justify)  # fmt: skip

    def cells(entry: dict[str, Any]) -> list[str]:
        summary = entry["all"]
        with_ties = summary["accuracy_with_ties"]
        ties = "—" if with_ties["value"] is None else f"{with_ties['value']:.2f} (ε={_number(with_ties['epsilon'])})"
        per_pillar = [_number(entry["pillars"][p]["accuracy"]["value"]) if p in entry["pillars"] else "—"
                      for p in pillars]  # fmt: skip
        return [_interval(summary["accuracy"]), ties, _number(summary["spearman"]["value"]),
                _number(summary["kendall"]["value"]), *per_pillar]  # fmt: skip

    if ceiling:
        counts = ceiling["counts"]
        table.add_row(ceiling["label"], f"{counts['ratings']} ratings", *cells(ceiling), style="italic")
        icc = ceiling["icc"]
        table.caption += (
            f"\nhuman ceiling: each rating against the mean of the item's other raters ({counts['items']} items with "
            f"2+ raters, {counts['raters']} raters); ICC(1,1) {_number(icc['ICC(1,1)'])}, ICC(1,k) "
            f"{_number(icc['ICC(1,k)'])}, ICC(2,1) {_number(icc['ICC(2,1)'])}, ICC(2,k) {_number(icc['ICC(2,k)'])} "
            f"over {icc['n_targets']} items with k={icc['k']} ratings"
        )
    for label, entry in judges.items():
        counts = entry["counts"]
        dim = entry["all"]["accuracy"]["value"] is None
        table.add_row(label, f"{counts['scored']} / {counts['abstained']}", *cells(entry), style="dim" if dim else None)
    not_covered = [f"{label} ({entry['counts']['not_covered']})" for label, entry in judges.items()
                   if entry["counts"]["not_covered"]]  # fmt: skip
    if not_covered:
        table.caption += f"\nitems not covered by the judge (not asked): {', '.join(not_covered)}"
    for label, entry in [*([(ceiling["label"], ceiling)] if ceiling else []), *judges.items()]:
        if reason := no_accuracy_reason(entry, report):
            table.caption += f"\nno accuracy for {label}: {reason}{_top_reason(entry)}"
    return table


def no_accuracy_reason(entry: Mapping[str, Any], report: Mapping[str, Any]) -> str | None:
    """Why a judge (or the ceiling) of an ablation report has no pairwise accuracy; ``None`` when it has one.

    An empty row or plot reads like a broken run; the usual causes are the data (one video per question, so
    nothing to pair) or the judge (it covers none of the items, or abstains on all), and each needs a
    different fix, so the reason is spelt out with its counts.
    """
    summary = entry["all"]
    if summary["accuracy"]["value"] is not None:
        return None
    counts = entry.get("counts", {})
    if "covered" not in counts:  # the ceiling: its counts are items with 2+ raters, ratings and raters
        if not counts.get("items"):
            return "no item has two or more raters, so no rating has others to compare with"
    elif not counts["covered"]:
        return f"the judge covers none of the {counts['items']} items (not asked)"
    elif not counts["scored"]:
        return f"the judge abstained on all {counts['covered']} items it covers"
    elif not counts.get("compared", counts["scored"]):
        return f"the reference has no score for any of the {counts['scored']} items the judge scored"
    if not summary["n_pairs"]:
        single = _one_video_per_question(report)
        if single:
            return (
                f"no pairs: every question of the annotations has one video ({report['n_items']} items); pairwise "
                "accuracy compares two videos of the same prompt and question, so rate two or more per prompt"
            )
        if "covered" not in counts:
            return "no pairs: no rater rated two videos of the same prompt and question"
        if single is None and _ceiling_unpaired(report):
            return (
                f"no pairs: no two of the {summary['n_items']} items with both scores are videos of the same prompt "
                "and question, and no rater rated two videos of one question: the annotations likely have one "
                "video per question (pairwise accuracy needs two or more)"
            )
        return (
            f"no pairs: no two of the {summary['n_items']} items with both scores are videos of the same prompt "
            "and question"
        )
    if not summary["n_ordered_pairs"]:
        return (
            f"no ordered pairs: the reference ties all {summary['n_pairs']} pairs "
            f"(differences up to reference_tie={report.get('reference_tie', 0)} are ties)"
        )
    return None


def _one_video_per_question(report: Mapping[str, Any]) -> bool | None:
    """Whether the annotations themselves have no pair; ``None`` when the report cannot tell.

    ``n_pairs`` at the top of the report says it directly when present; otherwise a judge compared on every
    item shows it (its pairs are all the annotations' pairs).
    """
    if report.get("n_pairs") is not None:
        return report["n_pairs"] == 0
    complete = [
        entry for entry in report["judges"].values() if entry["counts"].get("compared") == entry["counts"]["items"]
    ]
    return not complete[0]["all"]["n_pairs"] if complete else None


def _ceiling_unpaired(report: Mapping[str, Any]) -> bool:
    """Whether the human ceiling has rated items but no pair: no rater rated two videos of one question."""
    ceiling = report.get("ceiling")
    return bool(ceiling and ceiling["counts"].get("items") and not ceiling["all"]["n_pairs"])


def _top_reason(entry: Mapping[str, Any]) -> str:
    """``" (most often: REASON)"`` for a judge that abstained on everything it covers, else ``""``."""
    counts = entry.get("counts", {})
    reasons = counts.get("abstain_reasons") or {}
    if not reasons or counts.get("scored"):
        return ""
    return f" (most often: {next(iter(reasons))})"


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _interval(entry: dict[str, Any]) -> str:
    """``value [low–high]``; the bracket is left out when the interval is undefined."""
    if entry["value"] is None:
        return "—"
    if entry["ci_low"] is None or entry["ci_high"] is None:
        return f"{entry['value']:.2f}"
    return f"{entry['value']:.2f} [{entry['ci_low']:.2f}–{entry['ci_high']:.2f}]"
