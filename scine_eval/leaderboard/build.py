"""``scine-eval leaderboard build``: many models' results records as one ranked leaderboard.

The inputs are the ``results_<time>.json`` records runs write (see ``docs/results.md``). They are collected
(newest run per model), checked to be comparable (one judge, one suite version, one taxonomy, one task
selection), ranked by their overall score with 95 % intervals, and written as ``leaderboard.json``,
``leaderboard.csv``, ``leaderboard.md``, a self-contained ``index.html``, and the ``requests/`` + ``results/``
folders the Hugging Face demo-leaderboard template reads. See ``docs/leaderboard.md``.

Every score here is on the 0-100 scale (the 1-5 mean rating mapped linearly, as ``score_norm``).
"""

from __future__ import annotations

import csv
import html
import io
import math
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scine_eval.aggregation import normalise
from scine_eval.errors import ConfigError
from scine_eval.leaderboard.hf import leaderboard_record
from scine_eval.record import load_record
from scine_eval.results import safe_name, write_json

PILLARS = ("camera", "lighting", "setup", "events")
"""The taxonomy's four pillars, in the radar chart's order (pillars of another taxonomy are appended)."""
MARKER = ".scine-leaderboard"
"""Written into every output folder, so a rebuild may replace its ``requests/`` and ``results/`` safely."""


# -- collecting -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One results record and the file it came from."""

    path: Path
    record: Mapping[str, Any]

    @property
    def model(self) -> str:
        config = self.record["config"]
        return str(config.get("model_name") or config["model"])

    @property
    def judge(self) -> str:
        return str(self.record["config"]["judge"])

    @property
    def started(self) -> float:
        """The run's start as a timestamp: which of a model's runs is the newest."""
        date = self.record.get("date")
        return float(date) if isinstance(date, int | float) else 0.0


def find_result_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every ``results_*.json`` named or under a named folder (recursively), each once, in a stable order.

    Raises:
        ConfigError: a path that does not exist, or a folder without any results file.
    """
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found[path] = None
        elif path.is_dir():
            files = sorted(p for p in path.rglob("results_*.json") if p.is_file())
            if not files:
                raise ConfigError("no results_*.json file in this folder (searched recursively)", path=path)
            found.update(dict.fromkeys(files))
        else:
            raise ConfigError("no such file or folder; expected a results_<time>.json file or a folder of them",
                              path=path)  # fmt: skip
    if not found:
        raise ConfigError("no results given; pass results_<time>.json files or folders holding them")
    return list(found)


def load_run(path: Path) -> Run:
    """Reads and checks one results record (:func:`scine_eval.record.load_record`), so later steps may index it.

    Raises:
        ConfigError: unreadable or invalid JSON, an unknown ``schema_version``, or a key the record must have.
    """
    return Run(path=path, record=load_record(path).to_json_dict())


def newest_per_model(runs: Sequence[Run]) -> list[Run]:
    """One run per model, the newest; two runs of one model must be of the same configuration.

    A model name with two fingerprints is two different models under one name (other weights, arguments or
    adapter version): ranking either silently would mislead, so it is refused.

    Raises:
        ConfigError: two runs of one model name with different model fingerprints.
    """
    chosen: dict[str, Run] = {}
    for run in runs:
        seen = chosen.get(run.model)
        if seen is None:
            chosen[run.model] = run
            continue
        old, new = seen.record["config"]["model_fingerprint"], run.record["config"]["model_fingerprint"]
        if old != new:
            raise ConfigError(f"two runs of model {run.model!r} have different model fingerprints: {seen.path} "
                              f"({old}) and {run.path} ({new}); a leaderboard ranks one configuration per model, so "
                              "pass only one of them or give one another model_name")  # fmt: skip
        if (run.started, str(run.path)) > (seen.started, str(seen.path)):
            chosen[run.model] = run
    return list(chosen.values())


_COMPARED = (
    ("judge", lambda r: f"{r['config']['judge']} (fingerprint {r['config']['judge_fingerprint']})"),
    ("suite version", lambda r: f"{r['suite']['version']} (sha256 {r['suite'].get('sha256')})"),
    ("taxonomy sha256", lambda r: str(r["taxonomy"]["sha256"])),
    ("root tasks", lambda r: ", ".join(sorted(r["config"]["root_tasks"]))),
)


def check_comparable(runs: Sequence[Run]) -> None:
    """Refuses runs whose scores mean different things: another judge, suite, taxonomy or task selection.

    Raises:
        ConfigError: naming the first two files that differ and their values.
    """
    first = runs[0]
    for what, value in _COMPARED:
        expected = value(first.record)
        for run in runs[1:]:
            found = value(run.record)
            if found != expected:
                raise ConfigError(f"results with different {what} cannot be ranked together: {first.path} has "
                                  f"{expected} but {run.path} has {found}")  # fmt: skip


def collect_runs(paths: Iterable[str | Path]) -> list[Run]:
    """The comparable newest run of every model found under ``paths``."""
    runs = newest_per_model([load_run(p) for p in find_result_files(paths)])
    check_comparable(runs)
    return runs


# -- scoring --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """A 0-100 score with its 95 % interval (``None`` where the run has none)."""

    value: float | None
    low: float | None = None
    high: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {"score": _round(self.value), "ci_low": _round(self.low), "ci_high": _round(self.high)}


def task_score(entry: Mapping[str, Any] | None, judge: str) -> Score:
    """A task's entry of ``results`` on the 0-100 scale (the interval mapped like the mean)."""
    if not entry or entry.get(f"score,{judge}") is None:
        return Score(None)
    low, high = entry.get(f"score_ci_low,{judge}"), entry.get(f"score_ci_high,{judge}")
    return Score(
        normalise(entry[f"score,{judge}"]),
        None if low is None else normalise(low),
        None if high is None else normalise(high),
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


def task_node(record: Mapping[str, Any], task: str) -> str | None:
    """The taxonomy node a task was derived from (``None`` for family roots and hand-written tasks)."""
    node = (record["configs"].get(task) or {}).get("node")
    return str(node) if node else None


def pillar_scores(record: Mapping[str, Any]) -> dict[str, Score]:
    """Each pillar's score: its own task's where the run has one, else the mean of the root tasks under it.

    A run of ``camera.*`` has no ``camera`` task, only its children as roots; their macro mean is what the
    ``camera`` task (macro aggregation) would have scored.
    """
    judge = record["config"]["judge"]
    results = record["results"]
    scores: dict[str, Score] = {}
    for task, entry in results.items():
        node = task_node(record, task)
        if node and "." not in node and node not in scores and task_score(entry, judge).value is not None:
            scores[node] = task_score(entry, judge)
    under: dict[str, list[Score]] = {}
    for root in record["config"]["root_tasks"]:
        node = task_node(record, root)
        if node and "." in node:
            under.setdefault(node.split(".", 1)[0], []).append(task_score(results.get(root), judge))
    for pillar, parts in under.items():
        if pillar not in scores and (derived := mean_score(parts)).value is not None:
            scores[pillar] = derived
    return scores


def overall_score(record: Mapping[str, Any]) -> Score:
    """The headline score: the root task's, or with several roots the mean of the pillar scores.

    With several roots (``camera.*``, ``camera lighting``) no task covers the whole selection; the mean of
    the pillars weighs each pillar alike, as the bundled ``scine`` root does. Roots off the taxonomy (no
    pillar at all) fall back to the mean of the roots.
    """
    judge = record["config"]["judge"]
    roots = record["config"]["root_tasks"]
    if len(roots) == 1:
        return task_score(record["results"].get(roots[0]), judge)
    pillars = pillar_scores(record)
    if pillars:
        return mean_score(list(pillars.values()))
    return mean_score([task_score(record["results"].get(r), judge) for r in roots])


def node_scores(record: Mapping[str, Any]) -> dict[str, Score]:
    """The intermediate nodes: group tasks and root tasks below the pillars (``camera.trajectory`` ...)."""
    judge = record["config"]["judge"]
    wanted = set(record["group_subtasks"]) | set(record["config"]["root_tasks"])
    return {
        task: task_score(entry, judge)
        for task, entry in record["results"].items()
        if task in wanted and "." in (task_node(record, task) or "")
    }


def sample_count(record: Mapping[str, Any]) -> int:
    """Samples scored under the root tasks (disjoint, so their counts add up)."""
    return sum(int((record["results"].get(r) or {}).get("n_samples") or 0) for r in record["config"]["root_tasks"])


# -- the leaderboard ------------------------------------------------------------------------------------------


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
        return {
            "rank": self.rank,
            "model": self.model,
            "model_sha": self.model_sha,
            "overall": _round(self.overall.value),
            "ci": [_round(self.overall.low), _round(self.overall.high)],
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


OVERALL_RULE = ("the root task's score; with several root tasks, the mean of the pillar scores (a pillar without "
                "its own task: the mean of the root tasks under it), interval = the mean of the bounds")  # fmt: skip
SIGNIFICANCE_RULE = ("significant_gap_to_next: this model's 95 % interval lies wholly above the next model's (no "
                     "overlap); a conservative test: overlapping intervals may still differ significantly")  # fmt: skip


def make_row(run: Run, output: Path) -> Row:
    record = run.record
    return Row(
        model=run.model,
        model_sha=str(record["config"].get("model_sha") or ""),
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
        judge=str(first["config"]["judge"]),
        judge_fingerprint=str(first["config"]["judge_fingerprint"]),
        suite_version=str(first["suite"]["version"]),
        taxonomy_sha256=str(first["taxonomy"]["sha256"]),
        root_tasks=list(first["config"]["root_tasks"]),
        pillars=[p for p in PILLARS if p in present] + [p for p in present if p not in PILLARS],
        nodes=_ordered(n for row in rows for n, score in row.nodes.items() if score.value is not None),
    )


def _ordered(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


# -- writing --------------------------------------------------------------------------------------------------


def write_leaderboard(board: Leaderboard, output: str | Path) -> dict[str, Path]:
    """Writes every file of the leaderboard into ``output``; returns them by kind.

    Raises:
        ConfigError: ``output`` is a non-empty folder that no earlier build wrote (never overwritten).
    """
    folder = prepare_output(Path(output))
    files = {
        "json": write_json(folder / "leaderboard.json", board.as_dict()),
        "csv": _write(folder / "leaderboard.csv", render_csv(board)),
        "markdown": _write(folder / "leaderboard.md", render_markdown(board)),
        "html": _write(folder / "index.html", render_html(board)),
    }
    files.update(write_space(board, folder))
    return files


def prepare_output(folder: Path) -> Path:
    """Makes ``folder`` ready: new, empty, or an earlier build's (whose Space folders are replaced)."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError("exists and is not a folder; --output must be a folder", path=folder)
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise ConfigError(f"is a non-empty folder that no leaderboard build wrote (no {MARKER} file); choose a new "
                          "or empty folder", path=folder)  # fmt: skip
    for name in ("requests", "results"):  # a rebuild must not keep models that are no longer given
        shutil.rmtree(folder / name, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("written by scine-eval leaderboard build; the folder may be rebuilt\n")
    return folder


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


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


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _interval(score: Score) -> str:
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
        cells = [str(row.rank), _md(row.model), _fmt(row.overall.value), _interval(row.overall), gap,
                 *(_fmt(row.pillars.get(p, Score(None)).value) for p in board.pillars), str(row.n_samples),
                 f"[results]({row.details})"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


# -- the Hugging Face Space format ----------------------------------------------------------------------------


def template_precision(dtype: str) -> str:
    """The precision name the template matches request files on (its ``Precision.from_str``: else ``?``)."""
    name = dtype.split(".")[-1]
    return name if name in ("float16", "bfloat16") else "?"


def write_space(board: Leaderboard, folder: Path) -> dict[str, Path]:
    """``results/<model>/results_<time>.json`` and ``requests/<model>_eval_request_*.json`` for the template.

    The template walks ``results/`` (folders of JSON files only), reads ``config.model_name`` and
    ``results[task][metric]``, and attaches the ``FINISHED`` request of the same model and precision.
    """
    files = {}
    for row in board.rows:
        record = leaderboard_record(row.run.record)
        parts = [safe_name(p) for p in record["config"]["model_name"].split("/") if p] or ["_"]
        stamp = row.run.path.stem.removeprefix("results_")
        files[f"space:results:{row.model}"] = write_json(folder.joinpath("results", *parts, f"results_{stamp}.json"),
                                                         record)  # fmt: skip
        precision = template_precision(record["config"]["model_dtype"])
        name = f"{parts[-1]}_eval_request_False_{precision.replace('?', 'unknown')}_Original.json"
        request = folder.joinpath("requests", *parts[:-1], name)
        files[f"space:requests:{row.model}"] = write_json(request, request_record(record, row.run, precision))
    return files


def request_record(record: Mapping[str, Any], run: Run, precision: str) -> dict[str, Any]:
    """A finished evaluation request, as the template's submit form would have filed it."""
    return {
        "model": record["config"]["model_name"],
        "base_model": "",
        "revision": record["config"]["model_sha"] or "main",
        "precision": precision,
        "weight_type": "Original",
        "status": "FINISHED",
        "submitted_time": run.record.get("start_time") or "",
        "model_type": "",
        "likes": 0,
        "params": 0,
        "license": "?",
        "private": False,
        "judge": record["config"]["judge"],
    }


# -- the static page ------------------------------------------------------------------------------------------


def render_html(board: Leaderboard) -> str:
    """The self-contained page: sortable table, radar per model, heatmap, provenance (no external asset)."""
    title = "scine-eval leaderboard"
    body = "\n".join(
        [
            f"<h1>{title}</h1>",
            f"<p class='meta'>Judge: <b>{_e(board.judge)}</b> (fingerprint <code>{_e(board.judge_fingerprint[:16])}"
            f"</code>) · suite version: <b>{_e(board.suite_version)}</b> · taxonomy sha256 "
            f"<code>{_e(board.taxonomy_sha256[:16])}</code> · root tasks: {_e(', '.join(board.root_tasks))}</p>",
            "<p class='meta'>Scores are 0-100 (mean 1-5 rating mapped linearly) with 95 % bootstrap intervals over "
            "prompts. Overall: " + _e(OVERALL_RULE) + ". ✓: " + _e(SIGNIFICANCE_RULE) + ". Click a header to "
            "sort.</p>",
            _html_table(board),
            "<h2>Pillars</h2>",
            "<div class='radars'>" + "".join(_radar(row, board.pillars) for row in board.rows) + "</div>",
            "<h2>Heatmap: models × nodes</h2>",
            _heatmap(board),
        ]
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n"
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(board: Leaderboard) -> str:
    columns = ["rank", "model", "overall", "95% CI", "gap", *board.pillars, *board.nodes, "samples", "details"]
    numeric = {"rank", "overall", "samples", *board.pillars, *board.nodes}
    head = "".join(
        f"<th data-type='{'num' if c in numeric else 'text'}' title='sort by {_e(c)}'>{_e(c)}</th>" for c in columns
    )
    body = []
    for row in board.rows:
        scores = [row.pillars.get(p, Score(None)) for p in board.pillars]
        scores += [row.nodes.get(n, Score(None)) for n in board.nodes]
        cells = [_num(row.rank, str(row.rank)), f"<td class='model'>{_e(row.model)}</td>",
                 _num(row.overall.value, f"<b>{_fmt(row.overall.value)}</b>"),
                 f"<td>{_e(_interval(row.overall))}</td>", f"<td>{'✓' if row.significant_gap else ''}</td>",
                 *(_num(s.value, _fmt(s.value), _interval(s)) for s in scores), _num(row.n_samples, str(row.n_samples)),
                 f"<td><a href='{_e(row.details)}'>results</a></td>"]  # fmt: skip
        body.append(f"<tr data-model='{_e(row.model)}'>{''.join(cells)}</tr>")
    return (
        f"<table id='board' class='sortable'><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table>"
    )


def _num(value: float | int | None, shown: str, title: str = "") -> str:
    sort = "" if value is None else f"{value:.6g}"
    hint = f" title='95% CI {_e(title)}'" if title else ""
    return f"<td class='num' data-v='{sort}'{hint}>{shown}</td>"


def _colour(value: float | None) -> str:
    """Red (0) through yellow to green (100); grey for no score."""
    if value is None:
        return "#e5e5e5"
    hue = max(0.0, min(100.0, value)) * 1.2
    return f"hsl({hue:.0f}, 70%, 72%)"


def _heatmap(board: Leaderboard) -> str:
    columns = [*board.pillars, *board.nodes]
    head = "".join(f"<th class='rot'><span>{_e(c)}</span></th>" for c in columns)
    lines = []
    for row in board.rows:
        scores = [row.pillars.get(p, Score(None)) for p in board.pillars]
        scores += [row.nodes.get(n, Score(None)) for n in board.nodes]
        cells = "".join(f"<td style='background:{_colour(s.value)}' title='{_e(c)}: {_fmt(s.value)}'>"
                        f"{_fmt(s.value)}</td>" for c, s in zip(columns, scores, strict=True))  # fmt: skip
        lines.append(f"<tr><th>{_e(row.model)}</th>{cells}</tr>")
    rows = "".join(lines)
    return f"<table id='heatmap' class='heat'><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _radar(row: Row, pillars: Sequence[str], size: int = 220) -> str:
    """An inline SVG radar of one model over the pillars (at least three axes: missing pillars count as 0)."""
    axes = list(dict.fromkeys([*PILLARS, *pillars]))
    centre, radius = size / 2, size / 2 - 38
    corners = [_polar(centre, radius, i, len(axes)) for i in range(len(axes))]
    rings = "".join(
        f"<polygon points='{_points([_polar(centre, radius * f, i, len(axes)) for i in range(len(axes))])}' "
        "class='ring'/>"
        for f in (0.25, 0.5, 0.75, 1.0)
    )
    spokes = "".join(f"<line x1='{centre}' y1='{centre}' x2='{x:.1f}' y2='{y:.1f}' class='ring'/>" for x, y in corners)
    values = [row.pillars.get(a, Score(None)).value for a in axes]
    shape = [_polar(centre, radius * (v or 0.0) / 100, i, len(axes)) for i, v in enumerate(values)]
    labels = "".join(
        f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='middle'>{_e(a)} {_fmt(v)}</text>"
        for a, v, (x, y) in zip(
            axes, values, [_polar(centre, radius + 20, i, len(axes)) for i in range(len(axes))], strict=True
        )
    )
    return (
        f"<figure class='radar'><svg width='{size}' height='{size}' viewBox='0 0 {size} {size}' role='img' "
        f"aria-label='pillar scores of {_e(row.model)}'>{rings}{spokes}"
        f"<polygon points='{_points(shape)}' class='shape'/>{labels}</svg>"
        f"<figcaption>{_e(row.model)}: {_fmt(row.overall.value)}</figcaption></figure>"
    )


def _polar(centre: float, radius: float, index: int, count: int) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return centre + radius * math.cos(angle), centre + radius * math.sin(angle)


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px}
#board th{cursor:pointer;background:#f3f3f3;user-select:none}
#board th.asc::after{content:" \\25B2"} #board th.desc::after{content:" \\25BC"}
td.num{text-align:right} .meta{color:#555;max-width:70em}
.radars{display:flex;flex-wrap:wrap;gap:1em} .radar{margin:0;text-align:center}
.radar text{font-size:10px;fill:#333} .ring{fill:none;stroke:#ccc}
.shape{fill:rgba(40,110,200,.35);stroke:#286ec8;stroke-width:2}
.heat td{text-align:center;min-width:3em} th.rot{height:9em;vertical-align:bottom}
th.rot span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
"""

_SCRIPT = """
(function(){
  var table=document.getElementById('board');
  var heads=table.tHead.rows[0].cells;
  function key(row,i,num){
    var cell=row.cells[i];
    if(!num){return cell.textContent.trim().toLowerCase();}
    var v=cell.getAttribute('data-v');
    return v===null||v===''?null:parseFloat(v);
  }
  function sortBy(i){
    var th=heads[i], num=th.getAttribute('data-type')==='num';
    var desc=th.classList.contains('asc')?true:th.classList.contains('desc')?false:num;
    for(var j=0;j<heads.length;j++){heads[j].classList.remove('asc','desc');}
    th.classList.add(desc?'desc':'asc');
    var body=table.tBodies[0], rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=key(a,i,num), y=key(b,i,num);
      if(x===null&&y===null){return 0;} if(x===null){return 1;} if(y===null){return -1;}
      var c=x<y?-1:x>y?1:0; return desc?-c:c;
    });
    rows.forEach(function(r){body.appendChild(r);});
  }
  for(var i=0;i<heads.length;i++){
    heads[i].addEventListener('click',(function(k){return function(){sortBy(k);};})(i));
  }
  window.scineSort=sortBy;
})();
"""
