"""The SCINE taxonomy: a tree of control nodes loaded from one YAML file.

The bundled file (``tasks/taxonomy.yaml``) is a reconstruction of the paper's 76 leaves; every node
records its provenance. Point ``--taxonomy PATH`` at another file with the same schema (for instance
the official one, once published) to swap it. See ``docs/taxonomy.md`` for the schema.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from scine_eval.errors import ConfigError, UnknownNameError
from scine_eval.readers import bundled_path, read_yaml, validation_message

OPEN = "open"
"""The ``values`` of a leaf whose values are free text (a prop's class, an emotion)."""


class _NodeSpec(BaseModel):
    """One node as written in the file; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    description: str
    provenance: Literal["paper", "reconstructed"]
    parent: str | None = None
    values: list[str] | Literal["open"] | None = None
    question: str | None = None
    value_questions: dict[str, str] = {}
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _id_is_a_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)*", value):
            raise ValueError(f"{value!r} is not a dotted snake_case id such as 'camera.intrinsics.lens_size'")
        return value


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    name: str
    nodes: list[dict]


@dataclass(frozen=True)
class Node:
    """One node of the taxonomy: a pillar, an intermediate group, or a leaf control."""

    id: str
    name: str
    description: str
    provenance: Literal["paper", "reconstructed"]
    parent: str | None
    children: tuple[str, ...]
    values: tuple[str, ...] | None
    """The controlled vocabulary of a leaf; ``None`` for open (free-text) leaves and for groups."""
    question: str | None
    """A question template for an expert rater, with ``{value}`` where the prompt's value goes."""
    value_questions: Mapping[str, str] = field(default_factory=dict)
    note: str | None = None

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def is_open(self) -> bool:
        return self.is_leaf and self.values is None

    @property
    def pillar(self) -> str:
        return self.id.split(".", 1)[0] if self.parent else self.id

    def question_for(self, value: str) -> str:
        """The rater's question for this leaf and one of its values."""
        if self.question is None:
            raise ValueError(f"node {self.id!r} is not a leaf and has no question")
        return self.value_questions.get(value) or self.question.format(value=value)


@dataclass(frozen=True)
class Taxonomy:
    """A validated tree of :class:`Node` s, in file order."""

    name: str
    version: str
    path: str
    nodes: Mapping[str, Node]
    sha256: str

    def __getitem__(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise UnknownNameError("taxonomy node", node_id, self.nodes) from None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    @property
    def pillars(self) -> list[Node]:
        return [node for node in self if node.parent is None]

    def children(self, node_id: str) -> list[Node]:
        return [self.nodes[c] for c in self[node_id].children]

    def leaves(self, under: str | None = None) -> list[Node]:
        """Leaves in file order; only those under ``under`` (itself included) if given."""
        if under is None:
            return [node for node in self if node.is_leaf]
        return [node for node in self.descendants(under) if node.is_leaf]

    def descendants(self, node_id: str) -> list[Node]:
        """``node_id`` and every node below it, depth first in file order."""
        out, stack = [], [node_id]
        while stack:
            node = self[stack.pop()]
            out.append(node)
            stack.extend(reversed(node.children))
        return out

    def ancestors(self, node_id: str) -> list[Node]:
        """The parent chain of ``node_id``, nearest first (the node itself excluded)."""
        chain, parent = [], self[node_id].parent
        while parent is not None:
            chain.append(self.nodes[parent])
            parent = self.nodes[parent].parent
        return chain

    def canonical_value(self, node_id: str, value: str) -> str:
        """The vocabulary spelling of ``value`` for a leaf (case and spacing forgiven).

        Raises:
            ValueError: the value is not in the leaf's vocabulary; the message lists the valid ones.
        """
        node = self[node_id]
        if not node.is_leaf:
            raise ValueError(f"{node_id!r} is not a leaf; questions must name a leaf")
        if node.values is None:
            if not value.strip():
                raise ValueError(f"empty value for open leaf {node_id!r}")
            return value.strip()
        wanted = _normalise(value)
        for known in node.values:
            if _normalise(known) == wanted:
                return known
        raise ValueError(f"{value!r} is not a value of {node_id!r}; valid: {', '.join(node.values)}")

    def to_dict(self) -> dict:
        """The taxonomy in the file's own schema: dumping it to YAML gives a file ``--taxonomy`` loads."""
        nodes = []
        for n in self:
            row = {"id": n.id, "parent": n.parent, "name": n.name, "description": n.description}
            if n.is_leaf:
                row["values"] = OPEN if n.is_open else list(n.values)
                row["question"] = n.question
                if n.value_questions:
                    row["value_questions"] = dict(n.value_questions)
            row["provenance"] = n.provenance
            if n.note:
                row["note"] = n.note
            nodes.append({k: v for k, v in row.items() if v is not None})
        return {"version": self.version, "name": self.name, "nodes": nodes}

def _normalise(value: str) -> str:
    return " ".join(value.casefold().replace("_", " ").split())


@cache
def _load_cached(path: str) -> Taxonomy:
    return parse_taxonomy(read_yaml(Path(path)), path)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Loads and validates a taxonomy file (the bundled one when ``path`` is None)."""
    resolved = Path(path) if path is not None else bundled_path("taxonomy.yaml")
    if not resolved.is_file():
        raise ConfigError("taxonomy file not found", path=resolved)
    return _load_cached(str(resolved.resolve()))


def parse_taxonomy(raw: object, path: str) -> Taxonomy:
    """Validates parsed YAML as a taxonomy tree; every fault names the file, the node and the problem."""
    try:
        spec = _FileSpec.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(validation_message(error), path=path) from None
    specs: dict[str, _NodeSpec] = {}
    for index, node in enumerate(spec.nodes):
        where = f"node {node.get('id')!r}" if isinstance(node, dict) and "id" in node else f"nodes[{index}]"
        try:
            parsed = _NodeSpec.model_validate(node)
        except ValidationError as error:
            raise ConfigError(validation_message(error), path=path, where=where) from None
        if parsed.id in specs:
            raise ConfigError("duplicate id (each node id must appear once)", path=path, where=where)
        specs[parsed.id] = parsed
    children: dict[str, list[str]] = {node_id: [] for node_id in specs}
    for node in specs.values():
        if node.parent is not None:
            if node.parent not in specs:
                raise ConfigError(
                    f"parent {node.parent!r} is not a node in this file", path=path, where=f"node {node.id!r}"
                )
            children[node.parent].append(node.id)
    _check_acyclic(specs, path)
    nodes = {node_id: _build_node(specs[node_id], children[node_id], path) for node_id in specs}
    if not any(node.parent is None for node in nodes.values()):
        raise ConfigError("no pillar (a node without a parent)", path=path)
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return Taxonomy(name=spec.name, version=spec.version, path=path, nodes=nodes, sha256=digest)


def _build_node(spec: _NodeSpec, children: list[str], path: str) -> Node:
    where = f"node {spec.id!r}"
    if children:
        if spec.values is not None or spec.question is not None:
            raise ConfigError(
                "only leaves take 'values' and 'question' (this node has children)", path=path, where=where
            )
        values = None
    else:
        if spec.values is None:
            raise ConfigError("a leaf needs 'values' (a list, or 'open' for free text)", path=path, where=where)
        if spec.question is None:
            raise ConfigError("a leaf needs a 'question' template containing '{value}'", path=path, where=where)
        if spec.question.count("{value}") != 1:
            raise ConfigError("'question' must contain '{value}' exactly once", path=path, where=where)
        values = None if spec.values == OPEN else tuple(spec.values)
        if values is not None and not values:
            raise ConfigError("'values' is empty; list the vocabulary or write 'open'", path=path, where=where)
        unknown = sorted(set(spec.value_questions) - set(values or ()))
        if unknown:
            raise ConfigError(f"value_questions names values not in 'values': {unknown}", path=path, where=where)
    return Node(
        id=spec.id,
        name=spec.name,
        description=" ".join(spec.description.split()),
        provenance=spec.provenance,
        parent=spec.parent,
        children=tuple(children),
        values=values,
        question=spec.question,
        value_questions=dict(spec.value_questions),
        note=spec.note,
    )


def _check_acyclic(specs: Mapping[str, _NodeSpec], path: str) -> None:
    for start in specs:
        seen, current = {start}, specs[start].parent
        while current is not None:
            if current in seen:
                raise ConfigError(f"parent chain loops back to {current!r}", path=path, where=f"node {start!r}")
            seen.add(current)
            current = specs[current].parent


def dump_yaml(data: object) -> str:
    """YAML text in file order (used by ``scine-eval taxonomy --format yaml``)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
