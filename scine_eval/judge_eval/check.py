"""``scine-eval judge-check``: how well a judge tells a clip that follows a control from one that does not.

For every (leaf, value) of the selected tasks that the ``synthetic`` renderer can draw, it renders
matched pairs: the same world and seed, once following the control and once violating it (pan left vs
pan right or a tilt; warm vs cool; locked-off vs moving). The judge gets the same question about both
clips; a pair is *correct* when the compliant clip scores higher, a *tie* when both score the same, and
*abstained* when either has no score. Accuracy is correct / (pairs - abstained), so ties count against
the judge. Violating clips cycle through the node's other drawable values and the neutral clip (or an
explicit list in :data:`VIOLATIONS`), skipping any that would render the same as the compliant clip.

It works with any judge: check a VLM judge on a GPU before spending a week of compute on it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

from scine_eval.components import resolve
from scine_eval.contracts.judge import Judge, JudgeItem, Judgement, judge_registry
from scine_eval.errors import ConfigError
from scine_eval.judge_loop import judge_items
from scine_eval.options import CacheOptions, TaxonomyOptions
from scine_eval.progress import progress_bar
from scine_eval.stimuli import Stimulus, resolve_controls
from scine_eval.stimuli.clips import Controls, StimulusCache
from scine_eval.stimuli.controls import CONTROLS
from scine_eval.stimuli.render import RENDERER_VERSION
from scine_eval.suite import Prompt, Question
from scine_eval.taxonomy import Node
from scine_eval.workers import workers_wanted

NEUTRAL: Controls = ()

VIOLATIONS: dict[str, dict[str, list[Controls]]] = {
    "camera.trajectory.static": {
        "locked-off": [
            (("camera.trajectory.movement_2d", "pan right"),),
            (("camera.trajectory.gear", "handheld"),),
            (("camera.trajectory.movement_2d", "tilt up"),),
            (("camera.trajectory.movement_2d", "zoom in"),),
        ]
    },
    # Dollies against their opposite and a still camera: natural contrasts. (Trucking's sliding occlusions also
    # make parts of the frame grow or shrink, which a 2D probe can mistake for a dolly; see docs/probe.md.)
    "camera.trajectory.movement_3d": {
        "push in": [(("camera.trajectory.movement_3d", "pull out"),), NEUTRAL],
        "pull out": [(("camera.trajectory.movement_3d", "push in"),), NEUTRAL],
    },
    "lighting.effects.soft_shadows": {
        "high-key": [(("lighting.effects.hard_shadows", "low-key"),), NEUTRAL],
        "diffused light": [(("lighting.effects.hard_shadows", "direct light"),), NEUTRAL],
    },
    "lighting.effects.hard_shadows": {
        "low-key": [(("lighting.effects.soft_shadows", "high-key"),), NEUTRAL],
        "direct light": [(("lighting.effects.soft_shadows", "diffused light"),), NEUTRAL],
    },
}
"""Violating controls where "another value of the same leaf, or none" is not the right contrast."""


@dataclass
class JudgeCheckConfig(TaxonomyOptions, CacheOptions):
    """Check a judge on rendered stimuli whose truth is known.

    Per node, how often the judge scores a clip that follows the control above a matched clip that violates it.

    Args:
        judge: Judge name (``scine-eval judges`` lists them) or ``module:Class``.
        judge_args: Judge arguments as ``k=v,k2=v2``.
        tasks: Task names or globs whose leaves to check (e.g. ``camera.*`` ``lighting.*``).
        pairs: Matched pairs per (leaf, value).
        seed: Base seed of the pairs' worlds (pair k uses seed + k for both of its clips).
        duration: Clip length in seconds.
        fps: Clip frame rate.
        size: Clip width and height in pixels.
        fail_under: Exit with status 1 if any checked node's accuracy is below this (0 disables).
        num_workers: Processes rendering clips and scoring with a CPU-bound judge (the probe); default every core.
        output_path: Folder for the JSON report (``judge_check_<judge>_<time>.json``); empty to skip writing.
    """

    judge: str = "probe"
    judge_args: str | dict[str, Any] = ""
    tasks: list[str] = field(default_factory=lambda: ["camera.*", "lighting.*"])
    pairs: int = 20
    seed: int = 0
    duration: float = 5.0
    fps: int = 12
    size: int = 256
    num_workers: int | None = None
    fail_under: float = 0.0
    output_path: str | None = "results"

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Options checked before any rendering (again by :func:`judge_check`: fields may be set later)."""
        if self.pairs < 1:
            raise ConfigError(f"--pairs {self.pairs!r} is not valid: it must be a whole number >= 1")
        if self.num_workers is not None and self.num_workers < 1:
            raise ConfigError(f"--num_workers {self.num_workers!r} is not valid: at least 1 (unset: every core)")


@dataclass(frozen=True)
class Case:
    """One (leaf, value) to check, and the controls that violate it."""

    node: Node
    value: str
    rubric: str
    violators: tuple[Controls, ...]

    @property
    def controls(self) -> Controls:
        return ((self.node.id, self.value),)


@dataclass
class Tally:
    pairs: int = 0
    correct: int = 0
    wrong: int = 0
    ties: int = 0
    abstained: int = 0

    def add(self, outcome: str) -> None:
        self.pairs += 1
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Tally)))

    @property
    def accuracy(self) -> float | None:
        scored = self.pairs - self.abstained
        return self.correct / scored if scored else None

    def to_dict(self) -> dict[str, Any]:
        return {"accuracy": self.accuracy, "pairs": self.pairs, "correct": self.correct, "wrong": self.wrong,
                "ties": self.ties, "abstained": self.abstained}  # fmt: skip


def outcome(compliant: Judgement, violating: Judgement) -> str:
    if compliant.score is None or violating.score is None:
        return "abstained"
    if compliant.score == violating.score:
        return "ties"
    return "correct" if compliant.score > violating.score else "wrong"


def plan_cases(config: JudgeCheckConfig, judge: Judge) -> tuple[list[Case], dict[str, Any]]:
    """The cases to check, and what was left out (nodes the judge does not cover, values it cannot render)."""
    taxonomy = config.load_taxonomy()
    index = config.task_index(taxonomy)
    tasks = index.closure(index.select(config.tasks))
    rubrics: dict[str, str] = {}
    for task in tasks.values():
        if not task.is_group:
            for leaf in task.leaves:
                rubrics.setdefault(leaf, task.rubric)
    cases, not_covered, not_renderable = [], [], {}
    for leaf in sorted(rubrics):
        node = taxonomy[leaf]
        drawable = [v for v in (node.values if not node.is_open else []) if v in CONTROLS.get(leaf, {})]
        missing = [v for v in (node.values if not node.is_open else ["(open)"]) if v not in drawable]
        if missing:
            not_renderable[leaf] = missing
        if not drawable:
            continue
        if not judge.covers(node):
            not_covered.append(leaf)
            continue
        for value in drawable:
            cases.append(Case(node, value, rubrics[leaf], violators(node, value, drawable)))
    return cases, {"not_covered": not_covered, "not_renderable": not_renderable}


def violators(node: Node, value: str, drawable: Sequence[str]) -> tuple[Controls, ...]:
    explicit = VIOLATIONS.get(node.id, {}).get(value)
    candidates = explicit if explicit is not None else [((node.id, v),) for v in drawable if v != value] + [NEUTRAL]
    compliant = resolve_controls(((node.id, value),)).stimulus
    kept, seen = [], {compliant}
    for controls in candidates:
        stimulus = resolve_controls(controls).stimulus
        if stimulus not in seen:  # a violator that renders like the compliant clip (or another violator) is no test
            seen.add(stimulus)
            kept.append(controls)
    return tuple(kept)


@dataclass(frozen=True)
class Pair:
    """One matched pair of a case: the compliant and the violating clip, asked the same question."""

    case: Case
    seed: int
    violator: Controls
    compliant: JudgeItem
    violating: JudgeItem


def judge_check(config: JudgeCheckConfig) -> dict[str, Any]:
    """Runs the check and returns the report (also written as JSON when ``output_path`` is set).

    Every clip is rendered first (cached on disk), then all pairs are judged through the same cached,
    batched loop as a run (:func:`scine_eval.judge_loop.judge_items`), so a VLM judge batches and prefetches.
    """
    started = time.time()
    config.check()
    component = resolve(judge_registry, config.judge, config.judge_args)
    judge = component.build()
    cases, skipped = plan_cases(config, judge)
    base = Stimulus(duration=config.duration, fps=config.fps, size=config.size)
    workers = workers_wanted(config.num_workers)
    pairs = render_pairs(cases, config, StimulusCache(config.stimuli_dir, base), workers)
    items: dict[str, dict[str, JudgeItem]] = {}
    for pair in pairs:
        for item in (pair.compliant, pair.violating):
            items.setdefault(item.video_sha256, {})[item.key] = item
    judged = judge_items(judge, config.judgement_cache(), items, label="judge-check", component=component,
                         num_workers=workers)  # fmt: skip
    judge.close()
    tallies: dict[str, dict[str, Tally]] = {}
    pairs_log = []
    for pair in pairs:
        compliant, violating = (judged[(it.video_sha256, it.key)] for it in (pair.compliant, pair.violating))
        result = outcome(compliant, violating)
        tallies.setdefault(pair.case.node.id, {}).setdefault(pair.case.value, Tally()).add(result)
        pairs_log.append({"node": pair.case.node.id, "value": pair.case.value, "seed": pair.seed,
                          "violator": [list(c) for c in pair.violator], "outcome": result,
                          "compliant": _brief(compliant), "violating": _brief(violating)})  # fmt: skip
    return _report(config, judge, tallies, skipped, pairs_log, started)


def render_pairs(
    cases: Sequence[Case], config: JudgeCheckConfig, stimuli: StimulusCache, workers: int = 1
) -> list[Pair]:
    """``config.pairs`` matched pairs per case (fewer when it has no violator).

    The clips not on disk yet are rendered first, one per core (``workers``).
    """
    planned = [(case, k) for case in cases for k in range(config.pairs if case.violators else 0)]
    clips = [(controls, config.seed + k) for case, k in planned
             for controls in (case.controls, case.violators[k % len(case.violators)])]  # fmt: skip
    stimuli.render_missing(clips, workers)
    pairs = []
    with progress_bar("pair", len(cases) * config.pairs, unit="pairs") as advance:
        for case in cases:
            prompt = Prompt(id=f"judge-check/{case.node.id}/{case.value}", suite="visuals",
                            text=f"A shot whose {case.node.name.lower()} is {case.value}.")  # fmt: skip
            question = Question(id=f"{prompt.id}:q", prompt_id=prompt.id, node_id=case.node.id, value=case.value,
                                text=case.node.question_for(case.value))  # fmt: skip
            for k in range(config.pairs if case.violators else 0):
                violator = case.violators[k % len(case.violators)]
                seed = config.seed + k
                both = [stimuli.clip(controls, seed) for controls in (case.controls, violator)]
                items = [JudgeItem(path, sha, seed, prompt, question, case.node, case.rubric) for path, sha in both]
                pairs.append(Pair(case, seed, violator, *items))
                advance(1)
    return pairs


def _brief(judgement: Judgement) -> dict[str, Any]:
    return {"score": judgement.score, "reason": judgement.reason, "raw": judgement.raw}


def _report(
    config: JudgeCheckConfig,
    judge: Judge,
    tallies: dict[str, dict[str, Tally]],
    skipped: dict[str, Any],
    pairs_log: list[dict[str, Any]],
    started: float,
) -> dict[str, Any]:
    nodes = {}
    for node_id, values in tallies.items():
        total = sum(values.values(), Tally())
        nodes[node_id] = {**total.to_dict(), "values": {v: t.to_dict() for v, t in values.items()}}
    # A node the judge abstained on throughout fails too: it was asked and could not tell.
    failing = [n for n, e in nodes.items() if config.fail_under and (e["accuracy"] or 0.0) < config.fail_under]
    return {
        "judge": judge.name,
        "judge_args": config.judge_args,
        "judge_spec": judge.spec(),
        "renderer": RENDERER_VERSION,
        "tasks": config.tasks,
        "pairs_per_value": config.pairs,
        "seed": config.seed,
        "clip": {"duration": config.duration, "fps": config.fps, "size": config.size},
        "nodes": nodes,
        **skipped,
        "fail_under": config.fail_under,
        "failing": failing,
        "pairs": pairs_log,
        "date": datetime.now(timezone.utc).isoformat(),
        "seconds": round(time.time() - started, 2),
    }
