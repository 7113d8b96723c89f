"""Measuring a mapper against gold labels: precision and recall per pillar.

A predicted control is correct when the gold labels of its prompt hold the same leaf and, for a closed
leaf, the same value (open leaves' free-text values are compared at the leaf level only). Precision =
correct / predicted, recall = correct / gold, per pillar and overall; the leaf-level variant ignores
values everywhere. Only leaves the gold set labels somewhere are scored: a set that never labels, say,
the subject's class (the held-out set) or anything but Events (the Scripts) says nothing about
predictions there, which are counted apart as ``unscored``. Gold files are JSONL rows
``{"id", "text", "labels": [[leaf, value], ...]}``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scine_eval.errors import ConfigError
from scine_eval.suites.mapping.base import Mapper
from scine_eval.suites.sources import jsonl_rows
from scine_eval.taxonomy import Taxonomy

PILLARS = ("camera", "lighting", "setup", "events")


@dataclass(frozen=True)
class GoldExample:
    id: str
    text: str
    labels: tuple[tuple[str, str], ...]


def load_gold(path: str | Path, taxonomy: Taxonomy) -> list[GoldExample]:
    examples = []
    for file, line_no, row in jsonl_rows(Path(path)):
        where = f"line {line_no}"
        try:
            labels = tuple((str(n), str(v)) for n, v in row["labels"])
            example = GoldExample(str(row["id"]), str(row["text"]), labels)
        except (KeyError, TypeError, ValueError):
            expected = 'expected {"id", "text", "labels": [[leaf, value], ...]}'
            raise ConfigError(expected, path=file, where=where) from None
        for node_id, value in labels:
            if node_id not in taxonomy or not taxonomy[node_id].is_leaf:
                raise ConfigError(f"{node_id!r} is not a taxonomy leaf", path=file, where=where)
            try:
                taxonomy.canonical_value(node_id, value)
            except ValueError as error:
                raise ConfigError(str(error), path=file, where=where) from None
        examples.append(example)
    return examples


def mapping_quality(mapper: Mapper, examples: Sequence[GoldExample], taxonomy: Taxonomy) -> dict[str, Any]:
    """Precision, recall and F1 per pillar (value level and leaf level), and every miss and false alarm."""
    mappings = mapper.map([e.text for e in examples])
    labelled = {node for example in examples for node, _ in example.labels}
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
