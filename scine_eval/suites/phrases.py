"""Phrase banks: natural phrasings and lexical cues for each (leaf, value), and the controls that contradict.

The bundled banks live in ``tasks/phrases/*.yaml`` (one file per pillar or part of one; see
``docs/suite-building.md`` for the format) beside ``conflicts.yaml``. The SCINE-Visuals generator
injects a value's ``phrases`` into scripts; the lexicon mapper reads its ``cues`` (and the value itself)
in free text. Every entry is validated against the taxonomy: a fault names the file, the leaf and the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from scine_eval.errors import ConfigError, suggest
from scine_eval.readers import bundled_path, read_yaml, validation_message
from scine_eval.taxonomy import Taxonomy

Tier = Literal["common", "rare"]


class _EntrySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier = "common"
    phrases: list[str] = []
    cues: list[str] = []

    @field_validator("phrases")
    @classmethod
    def _sentences(cls, phrases: list[str]) -> list[str]:
        for phrase in phrases:
            if not phrase.strip() or not phrase[0].isupper() or not phrase.rstrip().endswith((".", "!", "?")):
                raise ValueError(f"phrase {phrase!r} must be a sentence: a capital first letter and a final period")
        return [p.strip() for p in phrases]

    @field_validator("cues")
    @classmethod
    def _lowercase(cls, cues: list[str]) -> list[str]:
        for cue in cues:
            if not cue.strip() or cue != cue.lower():
                raise ValueError(f"cue {cue!r} must be non-empty lowercase text")
        return [" ".join(c.split()) for c in cues]


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pillar: Literal["camera", "lighting", "setup", "events"]
    leaves: dict[str, dict[str, _EntrySpec]]


@dataclass(frozen=True)
class Entry:
    """One (leaf, value): how a prompt may say it (phrases) and what in free text reveals it (cues)."""

    node: str
    value: str
    tier: Tier
    phrases: tuple[str, ...]
    cues: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Side:
    """One side of a conflict rule: a leaf, and the values concerned (None: any value)."""

    node: str
    values: frozenset[str] | None

    def matches(self, node: str, value: str) -> bool:
        return node == self.node and (self.values is None or value in self.values)


@dataclass(frozen=True)
class PhraseBank:
    entries: Mapping[str, Mapping[str, Entry]]
    """leaf → value → entry."""
    conflicts: tuple[tuple[Side, Side], ...]

    def __contains__(self, node: str) -> bool:
        return node in self.entries

    def values(self, node: str) -> Mapping[str, Entry]:
        return self.entries.get(node, {})

    def __iter__(self) -> Iterator[Entry]:
        return (entry for values in self.entries.values() for entry in values.values())

    def conflicts_with(self, control: tuple[str, str], chosen: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
        """The first of ``chosen`` that ``control`` contradicts (a rule, or another value of the same leaf)."""
        node, value = control
        for other in chosen:
            if other[0] == node and other[1] != value:
                return other
            for a, b in self.conflicts:
                if (a.matches(node, value) and b.matches(*other)) or (b.matches(node, value) and a.matches(*other)):
                    return other
        return None


def load_phrase_bank(taxonomy: Taxonomy, folder: str | Path | None = None) -> PhraseBank:
    """Reads every ``*.yaml`` bank in ``folder`` (default: the bundled ``tasks/phrases``) and its ``conflicts.yaml``."""
    root = Path(folder) if folder is not None else bundled_path("phrases")
    if not root.is_dir():
        raise ConfigError("phrase bank folder not found", path=root)
    entries: dict[str, dict[str, Entry]] = {}
    for path in sorted(root.glob("*.yaml")):
        if path.name != "conflicts.yaml":
            _read_bank(path, taxonomy, entries)
    conflicts_file = root / "conflicts.yaml"
    conflicts = _read_conflicts(conflicts_file, taxonomy) if conflicts_file.is_file() else ()
    return PhraseBank(entries, conflicts)


def _read_bank(path: Path, taxonomy: Taxonomy, into: dict[str, dict[str, Entry]]) -> None:
    try:
        spec = _FileSpec.model_validate(read_yaml(path))
    except ValidationError as error:
        raise ConfigError(validation_message(error), path=path) from None
    for node_id, values in spec.leaves.items():
        where = f"leaf {node_id!r}"
        _check_leaf(taxonomy, node_id, path, where)
        if not node_id.startswith(spec.pillar + "."):
            raise ConfigError(f"leaf is not in pillar {spec.pillar!r} that the file declares", path=path, where=where)
        if node_id in into:
            first = next(iter(into[node_id].values())).source
            raise ConfigError(f"leaf already has a bank in {first}", path=path, where=where)
        node = taxonomy[node_id]
        into[node_id] = {}
        for value, entry in values.items():
            if node.is_open:
                canonical = value.strip()
            else:
                try:
                    canonical = taxonomy.canonical_value(node_id, value)
                except ValueError as error:
                    raise ConfigError(str(error), path=path, where=where) from None
            into[node_id][canonical] = Entry(node_id, canonical, entry.tier, tuple(entry.phrases), tuple(entry.cues),
                                             str(path))  # fmt: skip


def _check_leaf(taxonomy: Taxonomy, node_id: str, path: Path, where: str) -> None:
    if node_id in taxonomy and taxonomy[node_id].is_leaf:
        return
    hint = suggest(node_id, [leaf.id for leaf in taxonomy.leaves()])
    raise ConfigError(
        f"{node_id!r} is not a taxonomy leaf" + (f"; did you mean {', '.join(map(repr, hint))}?" if hint else ""),
        path=path,
        where=where,
    )


def _read_conflicts(path: Path, taxonomy: Taxonomy) -> tuple[tuple[Side, Side], ...]:
    raw = read_yaml(path)
    rules = raw.get("conflicts") if isinstance(raw, dict) else None
    if not isinstance(rules, list):
        raise ConfigError("expected a mapping with a 'conflicts' list of [side, side] pairs", path=path)
    parsed = []
    for index, rule in enumerate(rules):
        where = f"conflicts[{index}]"
        if not (isinstance(rule, list) and len(rule) == 2 and all(isinstance(s, str) for s in rule)):
            raise ConfigError("a rule is a pair of sides, each 'leaf' or 'leaf=value' or 'leaf=v1|v2'",
                              path=path, where=where)  # fmt: skip
        parsed.append((_side(rule[0], taxonomy, path, where), _side(rule[1], taxonomy, path, where)))
    return tuple(parsed)


def _side(text: str, taxonomy: Taxonomy, path: Path, where: str) -> Side:
    node_id, _, values = text.partition("=")
    node_id = node_id.strip()
    _check_leaf(taxonomy, node_id, path, where)
    if not values:
        return Side(node_id, None)
    canonical = set()
    for value in re.split(r"\s*\|\s*", values.strip()):
        try:
            canonical.add(taxonomy.canonical_value(node_id, value))
        except ValueError as error:
            raise ConfigError(str(error), path=path, where=where) from None
    return Side(node_id, frozenset(canonical))
