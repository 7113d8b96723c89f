"""``scine-eval ablate``: several judges against one reference (expert ratings by default), on the same items.

This is the Stable Cinemetrics comparison: zero-shot Qwen2.5-VL 7B / 32B / 72B and a fine-tuned
Bradley-Terry judge, each set against the experts' ratings of the same (video, question) items. Every
judge answers every rated item it covers (batched and cached through :func:`scine_eval.judge_loop.judge_items`,
so a rerun asks nothing twice); :func:`scine_eval.judge_eval.agreement.agreement_report` then compares its scores with
the reference, for all items, per pillar and per leaf node, with intervals that resample prompts.

With human ratings as the reference, a *ceiling* row puts the raters in the same units: every rating is
compared with the mean of the other raters of its item ("rater vs rest"), and the intraclass correlations
of the ratings are reported beside it. A judge near that row agrees with the experts about as well as one
expert agrees with the others.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scine_eval.cache import JudgementCache
from scine_eval.components import Component, resolve_spec
from scine_eval.contracts.judge import Judge, JudgeItem, Judgement, judge_registry
from scine_eval.errors import ConfigError, MissingDependencyError
from scine_eval.judge_eval.agreement import Rated, agreement_report, icc_from_long
from scine_eval.judge_eval.preferences import RatedVideo, load_rated_videos
from scine_eval.judge_loop import judge_items
from scine_eval.options import CacheOptions, DataOptions
from scine_eval.results import write_json
from scine_eval.suite import Suite
from scine_eval.taxonomy import Taxonomy
from scine_eval.video import sha256_file

log = logging.getLogger("scine_eval")

HUMAN = "human"
"""The reference that means "the mean of the raters in the annotations"."""
REASONS_KEPT = 5
"""How many distinct abstention reasons a judge's counts keep (the most frequent)."""
_RATER_SEPARATOR = "\x1f"


@dataclass
class AblateConfig(DataOptions, CacheOptions):
    """Compare several judges with one reference on the same expert-rated items.

    Each judge scores every (video, question) of the annotations it covers; pairwise accuracy, accuracy
    with ties, Spearman and Kendall against the reference come with bootstrap intervals over prompts, for
    all items, per pillar and per leaf node. With human ratings as the reference, one rater against the
    mean of the others gives the ceiling row.

    Args:
        annotations: The expert ratings: a ``.jsonl``/``.csv``/``.parquet`` file or a Hub dataset id with rows
            ``question_id``, ``video``, ``model`` (optional), ``rater``, ``score`` (see docs/ablation.md).
        videos_root: The folder relative video paths start from (default: the annotations file's folder).
        judges: The judges to compare, each ``NAME`` or ``NAME:key=value,key=value`` (e.g.
            ``qwen2.5-vl:pretrained=/models/qwen,load_in=4bit``); the whole string labels the judge, so labels
            must be unique.
        reference: ``human`` (the mean of each item's raters), or a judge in the same syntax as ``judges``
            whose scores become the reference (then there is no human ceiling).
        min_raters: Items with fewer raters are left out.
        reference_tie: Reference differences up to this size are ties (not ordered pairs).
        bootstrap_iters: Bootstrap replicates over prompts for the intervals (0 disables them).
        seed: Seed of the bootstrap.
        rubric: The rubric id VLM judges are asked with (``scine-1-5``: the paper's 1-5 rating request).
        suite: The prompt suite the annotations' question ids belong to: a bundled name, a local folder, or a
            Hub dataset id.
        output_path: Folder for ``ablation.json`` and ``ablation.png``; empty to skip writing.
    """

    annotations: str | None = None
    videos_root: str | None = None
    judges: list[str] = field(default_factory=list)
    reference: str = HUMAN
    min_raters: int = 1
    reference_tie: float = 0.0
    bootstrap_iters: int = 1000
    seed: int = 0
    rubric: str = "scine-1-5"
    output_path: str | None = "results/ablate"


def parse_judge_spec(text: str, where: str = "judges") -> Component[Judge]:
    """``NAME`` or ``NAME:key=value,...`` as a checked judge (:func:`scine_eval.components.resolve_spec`)."""
    return resolve_spec(judge_registry, text, where)


def build_judge(spec: Component[Judge]) -> Judge:
    """Builds a judge; a failure is a :class:`ConfigError` naming the ``--judges`` entry."""
    try:
        return spec.build()
    except MissingDependencyError:
        raise  # already names the install command
    except Exception as error:
        raise ConfigError(f"judge {spec.label!r} could not be built: {error}") from error


def ablate(config: AblateConfig) -> dict[str, Any]:
    """Runs every judge on the annotated items and compares it with the reference.

    Returns:
        The report (JSON-serialisable; undefined statistics are ``None``): ``annotations``, ``reference``,
        ``reference_tie``, ``bootstrap_iters``, ``seed``, ``n_items``, ``n_prompts``, ``ceiling`` (``None``
        unless the reference is human), ``reference_judge`` (``None`` when it is), ``judges`` (label →
        ``spec``, ``counts``, ``all``, ``pillars``, ``nodes``), ``date`` and ``seconds``.

    Raises:
        ConfigError: no annotations or no judges, a repeated judge label, a bad option, invalid annotations,
            or a judge that cannot be built.
    """
    started = time.time()
    specs, reference_spec = _check(config)
    taxonomy = config.load_taxonomy()
    suite = config.load_suite(taxonomy)
    rated = load_rated_videos(config.annotations, suite, videos_root=config.videos_root, min_raters=config.min_raters)
    if not rated:
        raise ConfigError(f"no rated item has at least min_raters={config.min_raters} raters", path=config.annotations)
    items = _items(rated, suite, taxonomy, config.rubric)
    cache = config.judgement_cache()
    questions = {q.id: q for q in suite.questions}
    node_of = {r.question_id: questions[r.question_id].node_id for r in rated}
    pillar_of = {q: taxonomy[node].pillar for q, node in node_of.items()}

    reference_judge = None
    if reference_spec is None:
        reference = [video.mean for video in rated]
    else:
        reference, reference_judge = _run(reference_spec, items, cache)

    judges = {}
    for spec in specs:
        scores, entry = _run(spec, items, cache)
        ratings = [
            Rated(video.prompt_id, video.question_id, str(video.video), ref, score)
            for video, ref, score in zip(rated, reference, scores, strict=True)
        ]
        entry["counts"]["compared"] = sum(math.isfinite(r.reference) and math.isfinite(r.judge) for r in ratings)
        entry.update(_agreement(ratings, config, pillar_of, node_of))
        judges[spec.label] = entry

    report = {
        "annotations": str(config.annotations),
        "reference": config.reference,
        "reference_tie": config.reference_tie,
        "bootstrap_iters": config.bootstrap_iters,
        "seed": config.seed,
        "rubric": config.rubric,
        "suite": suite.version,
        "n_items": len(rated),
        "n_prompts": len({video.prompt_id for video in rated}),
        "n_pairs": _comparable_pairs(rated),
        "ceiling": _ceiling(rated, config, pillar_of) if reference_spec is None else None,
        "reference_judge": reference_judge,
        "judges": judges,
        "date": datetime.now(timezone.utc).isoformat(),
        "seconds": round(time.time() - started, 2),
    }
    return _finite(report)


def write_ablation(report: Mapping[str, Any], output_dir: str | Path) -> dict[str, Path]:
    """Writes ``ablation.json`` and ``ablation.png`` (the plot is skipped, with a note, without matplotlib).

    Returns:
        ``{"report": json path, "plot": png path}``; no ``"plot"`` when it was skipped.
    """
    from scine_eval.cli.plots import EmptyPlotError, ablation_plot

    folder = Path(output_dir).expanduser()
    paths = {"report": write_json(folder / "ablation.json", _finite(report))}
    try:
        paths["plot"] = ablation_plot(report, folder / "ablation.png")
    except (ImportError, EmptyPlotError) as error:
        log.warning("skipped the ablation plot: %s", error)
    return paths


# -- checks and items -------------------------------------------------------------------------------------


def _check(config: AblateConfig) -> tuple[list[Component[Judge]], Component[Judge] | None]:
    """Checks every option and resolves every judge name before anything is loaded or built."""
    if not config.annotations:
        raise ConfigError(
            "no annotations: pass --annotations FILE (the expert ratings, rows of question_id, video, rater, score)"
        )
    if not config.judges:
        raise ConfigError(
            "no judges to compare: pass --judges NAME [NAME:key=value,...] (e.g. --judges probe qwen2.5-vl-7b)"
        )
    repeated = [label for label, n in Counter(j.strip() for j in config.judges).items() if n > 1]
    if repeated:
        raise ConfigError(
            f"judge {repeated[0]!r} is listed more than once; each entry of --judges labels one judge, so give "
            "each a different name or different arguments"
        )
    if not (config.reference_tie >= 0 and math.isfinite(config.reference_tie)):
        raise ConfigError(
            f"reference_tie must be a finite number >= 0, got {config.reference_tie}", where="reference_tie"
        )
    if config.bootstrap_iters < 0:
        raise ConfigError(f"bootstrap_iters must be 0 or more, got {config.bootstrap_iters}", where="bootstrap_iters")
    from scine_eval.vlm.rubric import get_rubric

    get_rubric(config.rubric)
    specs = [parse_judge_spec(text) for text in config.judges]
    reference = config.reference.strip()
    return specs, None if reference == HUMAN else parse_judge_spec(reference, where="reference")


def _comparable_pairs(rated: Sequence[RatedVideo]) -> int:
    """Pairs of different videos rated on the same question: what pairwise accuracy can be measured on."""
    videos = Counter((video.prompt_id, video.question_id) for video in rated)
    return sum(n * (n - 1) // 2 for n in videos.values())


def _items(rated: Sequence[RatedVideo], suite: Suite, taxonomy: Taxonomy, rubric: str) -> list[JudgeItem]:
    """One item per rated video and question, in the annotations' order; each file is hashed once."""
    questions = {q.id: q for q in suite.questions}
    hashes: dict[Path, str] = {}
    items = []
    for video in rated:
        if video.video not in hashes:
            hashes[video.video] = sha256_file(video.video)
        question = questions[video.question_id]
        prompt = suite.prompts[video.prompt_id]
        items.append(
            JudgeItem(video.video, hashes[video.video], 0, prompt, question, taxonomy[question.node_id], rubric)
        )
    return items


def _run(
    spec: Component[Judge], items: Sequence[JudgeItem], cache: JudgementCache
) -> tuple[list[float], dict[str, Any]]:
    """Builds one judge, scores the items it covers, closes it: a score per item (NaN: none) and its entry."""
    judge = build_judge(spec)
    try:
        covered = [judge.covers(item.node) for item in items]
        by_video: dict[str, dict[str, JudgeItem]] = {}
        for item, covers in zip(items, covered, strict=True):
            if covers:
                by_video.setdefault(item.video_sha256, {}).setdefault(item.key, item)
        done = judge_items(judge, cache, by_video, label=spec.label)
        entry = {"name": judge.name, "args": spec.args, "spec": judge.spec(), "fingerprint": judge.fingerprint}
    finally:
        judge.close()
    judgements: list[Judgement | None] = [
        done[item.video_sha256, item.key] if covers else None for item, covers in zip(items, covered, strict=True)
    ]
    scores = [j.score if j is not None and j.score is not None else math.nan for j in judgements]
    reasons = Counter(j.reason for j in judgements if j is not None and j.score is None)
    entry["counts"] = {
        "items": len(items),
        "covered": sum(covered),
        "not_covered": len(items) - sum(covered),
        "scored": sum(math.isfinite(s) for s in scores),
        "abstained": sum(reasons.values()),
        "abstain_reasons": dict(reasons.most_common(REASONS_KEPT)),
    }
    return scores, entry


# -- statistics -------------------------------------------------------------------------------------------


def _agreement(
    ratings: Sequence[Rated],
    config: AblateConfig,
    pillar_of: Mapping[str, str],
    node_of: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``all`` and ``pillars`` (and ``nodes`` when ``node_of`` is given) summaries of one set of ratings."""

    def report(group: Mapping[str, str]) -> dict[str, Any]:
        group_of: Callable[[Rated], str] = lambda r: group[r.question_id]  # noqa: E731
        return agreement_report(ratings, config.reference_tie, config.bootstrap_iters, config.seed, group_of=group_of)

    by_pillar = report(pillar_of)
    out = {"all": by_pillar["all"], "pillars": by_pillar["groups"]}
    if node_of is not None:
        out["nodes"] = report(node_of)["groups"]
    return out


def _ceiling(rated: Sequence[RatedVideo], config: AblateConfig, pillar_of: Mapping[str, str]) -> dict[str, Any]:
    """The human ceiling: ICCs of the ratings, and each rater against the mean of the other raters."""
    icc = icc_from_long(
        (f"{video.question_id}{_RATER_SEPARATOR}{video.video}", rater, score)
        for video in rated
        for rater, score in zip(video.raters, video.scores, strict=True)
    )
    # Rater vs rest: one row per (item, rater) on items with two or more raters; the reference is the mean of
    # the item's other raters, the "judge" is this rater's score. The prompt stays the item's own, so the
    # bootstrap resamples the same units as for the judges; the question id carries the rater, so a pair is
    # (same prompt, same question, same rater, two different videos): the rater's own ordering of two videos
    # against the others' ordering of them, never one rater's score against another rater's.
    rows, groups = [], {}
    for video in rated:
        if len(video.scores) < 2:
            continue
        for index, (rater, score) in enumerate(zip(video.raters, video.scores, strict=True)):
            rest = [s for i, s in enumerate(video.scores) if i != index]
            question = f"{video.question_id}{_RATER_SEPARATOR}{rater}"
            groups[question] = pillar_of[video.question_id]
            rows.append(Rated(video.prompt_id, question, str(video.video), sum(rest) / len(rest), score))
    counts = {
        "items": sum(len(video.scores) >= 2 for video in rated),
        "ratings": len(rows),
        "raters": len({rater for video in rated for rater in video.raters}),
    }
    return {"label": "human: rater vs rest", "icc": icc, "counts": counts, **_agreement(rows, config, groups)}


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (strict JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value
