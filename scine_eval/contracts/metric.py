"""The video-metric contract: a run's videos in, one number about the whole set out.

Judges answer one question about one video on the 1-5 scale; metrics such as FVD, CLIPSIM and IS are
not questions: FVD and IS are properties of a *set* of videos, CLIPSIM is a raw cosine per video averaged
over the set. So they are a contract of their own (``--metrics clipsim,fvd``), computed once after
generation over every video of the run, and written under ``metrics`` in the results beside the SCINE
scores. Weights come from the Hub for users; tests build tiny random models locally.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from scine_eval.fingerprint import fingerprint
from scine_eval.registry import Registry


@dataclass(frozen=True)
class MetricVideo:
    """One generated video and the text it was generated from."""

    path: Path
    prompt_id: str
    seed: int
    text: str
    shots: tuple[tuple[str, float, float], ...] = ()
    """For multi-shot scripts: (shot text, start s, end s) per shot; empty for single-shot prompts."""


@dataclass(frozen=True)
class MetricValue:
    """A metric over a set of videos: the value (``None`` with a reason when it cannot be computed)."""

    value: float | None
    n_videos: int
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """JSON-able extras: per-video values, a control's value, the reference set's size..."""

    def __post_init__(self) -> None:
        if self.value is None and not self.reason:
            raise ValueError("a MetricValue without a value needs a reason")


class VideoMetric(ABC):
    """A number about a set of videos (FVD, CLIPSIM, IS, VSA).

    Subclasses take their options as typed keyword arguments (what ``--metrics NAME:key=value,...`` passes), implement
    :meth:`compute`, and describe in :meth:`spec` everything that changes the value (backbone id,
    frames, resolution, reference set).
    """

    name: ClassVar[str] = ""
    """The registered name, set by ``@register_metric``."""
    higher_is_better: ClassVar[bool] = True
    description: ClassVar[str] = ""
    """One line for ``scine-eval metrics``: what it measures and on what."""

    @abstractmethod
    def compute(self, videos: Sequence[MetricVideo]) -> MetricValue:
        """The metric over ``videos``. A video that cannot be read is left out and counted in ``details``."""

    def spec(self) -> dict[str, Any]:
        """Everything that changes the value."""
        return {"metric": self.name}

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.spec())


metric_registry: Registry[type[VideoMetric]] = Registry(
    "metric", VideoMetric, entry_point_group="scine_eval.metrics", builtin_package="scine_eval.metrics"
)

register_metric = metric_registry.register
"""Class decorator: ``@register_metric("name")`` registers a :class:`VideoMetric`."""
