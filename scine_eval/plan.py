"""What a run resolved before doing any work (:class:`Context`) and the work it planned (:class:`Plan`).

Its own module so the evaluator, which builds them, and the results writer, which reads them, do not import
each other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from scine_eval.cache import JudgementCache
from scine_eval.components import Component
from scine_eval.contracts.judge import Judge
from scine_eval.contracts.metric import VideoMetric
from scine_eval.contracts.model import GenerationRequest, ModelAdapter
from scine_eval.distributed import Distributed
from scine_eval.options import RunConfig
from scine_eval.store import VideoStore
from scine_eval.suite import Prompt, Question, Suite
from scine_eval.tasks import Task
from scine_eval.taxonomy import Node, Taxonomy


@dataclass
class Context:
    """Everything a run resolved before doing any work."""

    config: RunConfig
    taxonomy: Taxonomy
    suite: Suite
    tasks: dict[str, Task]
    """The selected tasks and, recursively, their members."""
    requested: list[str]
    """The tasks the selection named, in order."""
    roots: list[str]
    """Those of them not inside another selected group: where tables and breakdowns start."""
    model: ModelAdapter
    model_component: Component[ModelAdapter]
    """The model's class and checked arguments: what worker processes build their copies from."""
    judge_component: Component[Judge]
    """The judge, checked but not built: it is built once generation is over and the model's memory is freed."""
    metrics: dict[str, VideoMetric]
    """``--metrics`` by what the user wrote, built (options and files checked; models load on first use)."""
    dist: Distributed
    store: VideoStore
    cache: JudgementCache
    output_dir: Path | None
    started: float = field(default_factory=time.time)
    judge: Judge | None = None
    """Set by the judging phase (:func:`scine_eval.evaluator.judge`)."""


@dataclass(frozen=True)
class Sample:
    """One question asked of one video, under one task."""

    task: str
    prompt: Prompt
    question: Question
    node: Node
    seed: int
    sample_index: int
    rubric: str


@dataclass
class Plan:
    samples: dict[str, list[Sample]]
    """Samples of each task that is not a group, after ``--limit``."""
    original: dict[str, int]
    """Samples of each such task before ``--limit``."""
    requests: list[GenerationRequest]
    """Unique (prompt, seed) pairs to generate, sorted."""
    not_generated: int = 0
    """(prompt, seed) videos left out because the judge covers none of their questions (``--generate covered``)."""
