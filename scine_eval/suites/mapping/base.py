"""The mapper contract: prompt texts in, (leaf, value) controls out, or the reason there are none."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Control:
    """One control a prompt sets: a taxonomy leaf and its value (vocabulary spelling, or free text for open leaves)."""

    node: str
    value: str
    evidence: str = ""
    """The words of the prompt it was read from, when the mapper knows them."""


@dataclass
class Mapping:
    """What a mapper read from one prompt: its controls (one per leaf, in the order found), or an error."""

    text: str
    controls: list[Control] = field(default_factory=list)
    error: str | None = None
    """Why the mapper gave up on this prompt (e.g. the LLM's answers never validated); controls are then empty."""
    raw: Any = None
    """JSON-able trace: the LLM's answers, the cues matched..."""

    @property
    def ok(self) -> bool:
        return self.error is None


class Mapper(ABC):
    """Reads the taxonomy controls a prompt sets. Failures are returned per prompt, never raised."""

    name: str = ""

    @abstractmethod
    def map(self, texts: Sequence[str]) -> list[Mapping]:
        """One :class:`Mapping` per text, in order."""
