"""The terminal summary of a results record: one row per task, indented by the task tree."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def results_table(results: dict[str, Any], requested_only: bool = False) -> Table:
    """A table of score (1-5) with its interval, 0-100 score and counts, groups above their members."""
    judge = results["config"]["judge"]
    entries = results["results"]
    subtasks = results["group_subtasks"]
    config = results["config"]
    table = Table(
        title=f"{config.get('model_name') or config['model']} · judge {judge} · suite {results['suite']['version']}",
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
        entry = entries[name]
        mean = entry[f"score,{judge}"]
        low, high = entry[f"score_ci_low,{judge}"], entry[f"score_ci_high,{judge}"]
        missing = _missing(name, results)
        table.add_row(
            ("  " * depth) + name,
            "—" if mean is None else f"{mean:.2f}",
            "" if low is None else f"{low:.2f}–{high:.2f}",
            "—" if mean is None else f"{entry[f'score_norm,{judge}']:.1f}",
            str(entry["n_samples"]),
            str(entry["n_prompts"]),
            str(missing) if missing else "",
            style="bold" if name in subtasks else ("dim" if mean is None else None),
        )
        if not requested_only:
            for child in subtasks.get(name, ()):
                row(child, depth + 1)

    roots = results["config"]["root_tasks"]
    for name in roots:
        row(name, 0)
    return table


def _missing(name: str, results: dict[str, Any]) -> int:
    """Samples without a usable video under a task (its own, or its members')."""
    counts = results["n-samples"]
    if name in counts:
        return counts[name]["missing_video"] + counts[name]["video_error"]
    return sum(_missing(child, results) for child in results["group_subtasks"].get(name, ()))


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
    return table


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _interval(entry: dict[str, Any]) -> str:
    """``value [low–high]``; the bracket is left out when the interval is undefined."""
    if entry["value"] is None:
        return "—"
    if entry["ci_low"] is None or entry["ci_high"] is None:
        return f"{entry['value']:.2f}"
    return f"{entry['value']:.2f} [{entry['ci_low']:.2f}–{entry['ci_high']:.2f}]"
