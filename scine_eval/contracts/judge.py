"""The judge contract: items (video, prompt, question, node, value) in, judgements out."""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from scine_eval.fingerprint import fingerprint
from scine_eval.registry import Registry
from scine_eval.suite import Prompt, Question
from scine_eval.taxonomy import Node

log = logging.getLogger("scine_eval")

SCALE = (1.0, 5.0)
"""The rating scale of the paper's expert study: 1 = not at all, 5 = exactly as asked."""


@dataclass(frozen=True)
class JudgeItem:
    """One question about one video."""

    video: Path
    video_sha256: str
    seed: int
    prompt: Prompt
    question: Question
    node: Node
    rubric: str
    """The rubric id of the task that asks (how a VLM judge phrases the rating request)."""

    @property
    def value(self) -> str:
        return self.question.value

    @cached_property
    def key(self) -> str:
        return item_key(self.prompt, self.question, self.rubric)


def item_key(prompt: Prompt, question: Question, rubric: str) -> str:
    """Cache key of what is asked, independent of the video: prompt text, question and rubric."""
    return fingerprint([prompt.text, question.sha256, rubric])


@dataclass(frozen=True)
class Judgement:
    """A score on the 1-5 scale, or ``None`` with the reason there is none, plus the judge's raw output."""

    score: float | None
    reason: str | None = None
    raw: Any = None
    """JSON-able: the model's text, the answer-token distribution, the raters' scores..."""

    def __post_init__(self) -> None:
        if self.score is None and not self.reason:
            raise ValueError("a Judgement without a score needs a reason")
        if self.score is not None and not (SCALE[0] <= self.score <= SCALE[1] and math.isfinite(self.score)):
            raise ValueError(f"score {self.score!r} is outside the {SCALE[0]:g}-{SCALE[1]:g} scale")

    @classmethod
    def abstain(cls, reason: str, raw: Any = None) -> Judgement:
        return cls(score=None, reason=reason, raw=raw)


class Judge(ABC):
    """Answers questions about videos on the 1-5 scale.

    Subclasses take their options as typed keyword arguments (what ``--judge_args`` passes), implement
    :meth:`score`, and describe in :meth:`spec` everything that changes a score (model id, revision,
    input spec such as fps and max pixels, rubric text). The judge, not the runner, decides how to
    batch, and may reuse one encoding of a video for all its questions.
    """

    name: ClassVar[str] = ""
    """The registered name, set by ``@register_judge``."""
    cpu_bound: ClassVar[bool] = False
    """Whether :meth:`score` is CPU work with no accelerator state, so the runner may score batches in worker
    processes (``--num_workers``), each holding a copy built from the same arguments (:mod:`scine_eval.workers`)."""
    videos_per_batch: int = 1
    """How many videos' items the runner hands to :meth:`score` at once (all questions of a video
    always come together)."""
    prefetch_batches: int = 1
    """How many batches after the current one the runner hands to :meth:`prefetch`."""

    @abstractmethod
    def score(self, items: Sequence[JudgeItem]) -> list[Judgement]:
        """One :class:`Judgement` per item, in order. Abstain (``Judgement.abstain``) rather than guess."""

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """What ``scine-eval judges`` shows without building the judge: coverage and input spec.

        Keys: ``covers`` (text), ``input`` (text), and optionally ``memory``: a function of the GPU
        size in GiB returning rows of estimated memory per preset and load mode (see
        :func:`scine_eval.vlm.memory.table_rows`); it may raise ``ImportError`` without torch.
        """
        return {"covers": "every node", "input": "-"}

    @classmethod
    def covers_node(cls, node: Node) -> bool:
        """Whether judges of this class can score questions on ``node``, known without building one.

        The judge is built after generation (once the generator's memory is freed), yet a run generates only
        the videos with a covered question (``--generate covered``), so coverage that depends on the node
        alone belongs here. Return ``True`` where it depends on the judge's arguments, and narrow in
        :meth:`covers`.
        """
        return True

    def covers(self, node: Node) -> bool:
        """Whether this judge can score questions on ``node``; items on other nodes are not sent."""
        return self.covers_node(node)

    def spec(self) -> dict[str, Any]:
        """Everything that changes a score; its hash keys the judgement cache."""
        return {"judge": self.name}

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.spec())

    def prefetch(self, items: Sequence[JudgeItem]) -> None:  # noqa: B027 - optional hook with a no-op default
        """Start preparing ``items`` (the batch after the one being scored), e.g. decoding in a thread.

        The runner calls this before :meth:`score` on the current batch, so a judge that overlaps
        decoding with its forward passes keeps the accelerator busy. Must not raise for bad videos:
        :meth:`score` reports those.
        """

    def close(self) -> None:  # noqa: B027 - optional hook with a no-op default
        """Frees memory once judging is over."""


CRASH = "judge error: "
"""Reason prefix of an abstention that stands for a failed call: never cached, so a rerun retries it."""


def score_safely(judge: Judge, items: Sequence[JudgeItem]) -> list[Judgement]:
    """``judge.score(items)``, with a failing call turned into one crash abstention per item.

    A wrong number of results counts as a failure; one bad batch must not end a long run.
    """
    try:
        out: Sequence[Judgement] | BaseException = judge.score(items)
    except Exception as error:  # recorded per item, never fatal
        out = error
    return checked_judgements(judge.name, items, out)


def checked_judgements(
    judge: str, items: Sequence[JudgeItem], out: Sequence[Judgement] | BaseException
) -> list[Judgement]:
    """What ``score(items)`` returned, or raised (here or in a worker process), as one judgement per item."""
    if not isinstance(out, BaseException) and (
        len(out) != len(items) or not all(isinstance(j, Judgement) for j in out)
    ):
        out = TypeError(f"score() returned {len(out)} results for {len(items)} items (need one Judgement each)")
    if isinstance(out, BaseException):
        log.warning("judge %s failed on %d item(s): %s", judge, len(items), out)
        return [Judgement.abstain(f"{CRASH}{type(out).__name__}: {out}") for _ in items]
    return list(out)


def is_crash(judgement: Judgement) -> bool:
    return judgement.score is None and (judgement.reason or "").startswith(CRASH)


judge_registry: Registry[type[Judge]] = Registry(
    "judge", Judge, entry_point_group="scine_eval.judges", builtin_package="scine_eval.judges"
)

register_judge = judge_registry.register
"""Class decorator: ``@register_judge("name", "alias")`` registers a :class:`Judge`."""
