"""Measuring a mapper against gold labels: precision and recall per pillar.

A predicted control is correct when the gold labels of its prompt hold the same leaf and, for a closed
leaf, the same value (open leaves' free-text values are compared at the leaf level only). Precision =
correct / predicted, recall = correct / gold, per pillar and overall; the leaf-level variant ignores
values everywhere. Only leaves the gold set labels somewhere are scored: a set that never labels, say,
the subject's class (the held-out set) or anything but Events (the Scripts) says nothing about
predictions there, which are counted apart as ``unscored``. Gold files are JSONL rows
``{"id", "text", "labels": [[leaf, value], ...]}``, optionally with a ``voice`` (who wrote it, e.g.
"shot-list") and a ``split`` ("dev": looked at while the lexicon mapper's cues were written; "untouched":
not). The bundled sets are named in :data:`BUNDLED_GOLD`; ``docs/suite-building.md`` describes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scine_eval.errors import ConfigError
from scine_eval.readers import bundled_path
from scine_eval.suites.mapping.base import Mapper
from scine_eval.suites.sources import jsonl_rows
from scine_eval.taxonomy import Taxonomy

PILLARS = ("camera", "lighting", "setup", "events")
BUNDLED_GOLD = {"heldout": "heldout.jsonl", "heldout_voice": "heldout_voice.jsonl"}
"""The bundled gold sets, by the name ``suite mapping --gold`` accepts: the first held-out set (every style
users write, all pillars) and the second, in voices unlike the bundled prompts and weighted to Events."""
SPLITS = ("dev", "untouched")


@dataclass(frozen=True)
class GoldExample:
    id: str
    text: str
    labels: tuple[tuple[str, str], ...]
    split: str = ""
    """"dev" or "untouched" where the set is split (see the module docstring); empty otherwise."""
    voice: str = ""


def bundled_gold(name: str) -> Path:
    """The path of a bundled gold set by its name (a key of :data:`BUNDLED_GOLD`)."""
    if name not in BUNDLED_GOLD:
        raise ConfigError(f"no bundled gold set {name!r}; bundled: {', '.join(BUNDLED_GOLD)}")
    return bundled_path("mapping", BUNDLED_GOLD[name])


def load_gold(path: str | Path, taxonomy: Taxonomy) -> list[GoldExample]:
    """Gold examples from a JSONL file or folder, every label checked against the taxonomy.

    A leaf labelled twice in one prompt is an error rather than a silent choice: the scorer keeps one value
    per leaf, as the mappers do. So is an id used twice, which would make error reports ambiguous.
    """
    examples: list[GoldExample] = []
    seen: set[str] = set()
    for file, line_no, row in jsonl_rows(Path(path)):
        where = f"line {line_no}"
        try:
            labels = tuple((str(n), str(v)) for n, v in row["labels"])
            example = GoldExample(str(row["id"]), str(row["text"]), labels, str(row.get("split", "")),
                                  str(row.get("voice", "")))  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError):
            expected = 'expected {"id", "text", "labels": [[leaf, value], ...]}'
            raise ConfigError(expected, path=file, where=where) from None
        if example.id in seen:
            raise ConfigError(f"id {example.id!r} is used twice", path=file, where=where)
        if example.split not in ("", *SPLITS):
            raise ConfigError(f"split {example.split!r} is not one of {', '.join(SPLITS)}", path=file, where=where)
        seen.add(example.id)
        leaves = [node_id for node_id, _ in labels]
        for node_id, value in labels:
            if node_id not in taxonomy or not taxonomy[node_id].is_leaf:
                raise ConfigError(f"{node_id!r} is not a taxonomy leaf", path=file, where=where)
            if leaves.count(node_id) > 1:
                raise ConfigError(f"leaf {node_id!r} is labelled twice", path=file, where=where)
            try:
                taxonomy.canonical_value(node_id, value)
            except ValueError as error:
                raise ConfigError(str(error), path=file, where=where) from None
        examples.append(example)
    return examples


def mapping_quality(mapper: Mapper, examples: Sequence[GoldExample], taxonomy: Taxonomy,
                    scored: Collection[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Precision, recall and F1 per pillar (value level and leaf level), and every miss and false alarm.

    Args:
        mapper: the mapper to measure.
        examples: the gold examples.
        taxonomy: the taxonomy the labels use.
        scored: the leaves to score (default: those ``examples`` label somewhere). Pass the whole set's when
            scoring a part of it, so that the part is scored on the same leaves.
    """
    mappings = mapper.map([e.text for e in examples])
    labelled = set(scored) if scored is not None else {node for example in examples for node, _ in example.labels}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    errors, unscored = [], 0
    for example, mapping in zip(examples, mappings, strict=True):
        gold = {n: taxonomy.canonical_value(n, v) for n, v in example.labels}
        predicted = {c.node: c.value for c in mapping.controls if c.node in labelled}
        unscored += len(mapping.controls) - len(predicted)
        for node, value in predicted.items():
            pillar = taxonomy[node].pillar
            counts[pillar]["predicted"] += 1
            if node in gold:
                counts[pillar]["leaf_correct"] += 1
                counts[pillar]["correct"] += int(taxonomy[node].is_open or gold[node] == value)
        for node in gold:
            counts[taxonomy[node].pillar]["gold"] += 1
        wrong = {n: v for n, v in predicted.items() if n not in gold or (not taxonomy[n].is_open and gold[n] != v)}
        missed = {n: v for n, v in gold.items() if n not in predicted}
        if wrong or missed or not mapping.ok:
            errors.append({"id": example.id, "false": wrong, "missed": missed, "error": mapping.error})
    total = defaultdict(int)
    for pillar_counts in counts.values():
        for key, n in pillar_counts.items():
            total[key] += n
    return {
        "mapper": mapper.name,
        "examples": len(examples),
        "failed": sum(1 for m in mappings if not m.ok),
        "leaves_scored": len(labelled),
        "unscored": unscored,
        "pillars": {p: _rates(counts[p]) for p in PILLARS if p in counts},
        "overall": _rates(total),
        "errors": errors,
    }


def _rates(c: dict[str, int]) -> dict[str, Any]:
    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    precision, recall = ratio(c["correct"], c["predicted"]), ratio(c["correct"], c["gold"])
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else None
    return {"gold": c["gold"], "predicted": c["predicted"], "correct": c["correct"], "precision": precision,
            "recall": recall, "f1": f1, "leaf_precision": ratio(c["leaf_correct"], c["predicted"]),
            "leaf_recall": ratio(c["leaf_correct"], c["gold"])}  # fmt: skip
