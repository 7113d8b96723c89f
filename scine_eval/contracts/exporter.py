"""The results-exporter contract: a results record in, another JSON document derived from it out.

A run writes ``results_<time>.json`` and, beside it, one ``<name>_<time>.json`` per registered exporter
(the built-in ``leaderboard`` writes the Hugging Face leaderboard template's format). Results know nothing
of leaderboards: the leaderboard package registers here, and third parties can add exporters through the
``scine_eval.exporters`` entry-point group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from scine_eval.record import ResultsRecord
from scine_eval.registry import Registry


class ResultsExporter(ABC):
    """Derives one JSON document from a results record (never assembles scores by hand)."""

    name: ClassVar[str] = ""
    """The registered name, set by ``@register_exporter``; also the file name's prefix."""

    @abstractmethod
    def export(self, record: ResultsRecord) -> dict[str, Any]:
        """The document to write for ``record`` (a run's typed results record)."""


exporter_registry: Registry[type[ResultsExporter]] = Registry(
    "exporter", ResultsExporter, entry_point_group="scine_eval.exporters", builtin_package="scine_eval.leaderboard"
)

register_exporter = exporter_registry.register
"""Class decorator: ``@register_exporter("name")`` registers a :class:`ResultsExporter`."""
