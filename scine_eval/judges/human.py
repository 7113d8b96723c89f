"""``human``: expert annotations, several raters per (video, question), averaged.

Annotations are a table loaded through ``datasets`` (a local ``.jsonl``, ``.csv`` or ``.parquet`` file,
or a Hub dataset id) with one row per rating:

* ``question_id``: the suite question rated;
* ``score``: the rating on the 1-5 scale;
* ``rater`` (optional): who rated; one rater may rate a (video, question) once;
* the video, by ``video_sha256`` (sha256 of the file) or by ``seed`` (the video generated for the
  question's prompt with that seed). A row may give both; the hash wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from scine_eval.contracts.arguments import PositiveInt
from scine_eval.contracts.judge import SCALE, Judge, JudgeItem, Judgement, register_judge
from scine_eval.errors import ConfigError
from scine_eval.fingerprint import fingerprint
from scine_eval.readers import load_table_rows
from scine_eval.video import sha256_file


@register_judge("human", "annotations")
class HumanAnnotations(Judge):
    """Scores an item with the mean of its raters' scores.

    Args:
        annotations: a local annotations file or a Hub dataset id (see the module docstring).
        split: the split to read from a Hub dataset.
        min_raters: items with fewer ratings abstain.
    """

    def __init__(self, annotations: str, split: str = "test", min_raters: PositiveInt = 1):
        if min_raters < 1:
            raise ConfigError(f"min_raters must be at least 1, got {min_raters}")
        self.source = annotations
        self.min_raters = min_raters
        rows, self.source_sha256 = self._load(annotations, split)
        self.by_hash: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
        self.by_seed: dict[tuple[str, int], list[tuple[str, float]]] = defaultdict(list)
        self._index(rows)

    def _load(self, source: str, split: str) -> tuple[list[dict], str]:
        rows, path = load_table_rows(source, split)
        return rows, sha256_file(path) if path is not None else fingerprint(rows)

    def _index(self, rows: list[dict]) -> None:
        seen: set[tuple] = set()
        for number, row in enumerate(rows):
            where = f"row {number}"
            if "question_id" not in row or "score" not in row:
                raise ConfigError("rows need 'question_id' and 'score'", path=self.source, where=where)
            score = row["score"]
            if isinstance(score, bool) or not isinstance(score, (int, float)) or not SCALE[0] <= score <= SCALE[1]:
                raise ConfigError(
                    f"score {score!r} is outside the {SCALE[0]:g}-{SCALE[1]:g} scale",
                    path=self.source,
                    where=where,
                )
            rater = str(row.get("rater") or f"row{number}")
            question = str(row["question_id"])
            if row.get("video_sha256"):
                key, table = (question, str(row["video_sha256"])), self.by_hash
            elif row.get("seed") is not None:
                key, table = (question, _seed(row["seed"], self.source, where)), self.by_seed
            else:
                raise ConfigError(
                    "a row needs 'video_sha256' or 'seed' to name its video", path=self.source, where=where
                )
            if (key, rater) in seen:
                raise ConfigError(
                    f"rater {rater!r} rated question {question!r} of this video twice",
                    path=self.source,
                    where=where,
                )
            seen.add((key, rater))
            table[key].append((rater, float(score)))

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {"covers": "questions with annotations in the file", "input": "none (ratings by question id)"}

    def score(self, items: Sequence[JudgeItem]) -> list[Judgement]:
        return [self._judge(item) for item in items]

    def _judge(self, item: JudgeItem) -> Judgement:
        ratings = self.by_hash.get((item.question.id, item.video_sha256)) or self.by_seed.get(
            (item.question.id, item.seed)
        )
        if not ratings:
            return Judgement.abstain(f"no annotation for question {item.question.id!r} on this video")
        raw = {"raters": [r for r, _ in ratings], "scores": [s for _, s in ratings]}
        if len(ratings) < self.min_raters:
            return Judgement.abstain(f"{len(ratings)} rater(s), fewer than min_raters={self.min_raters}", raw)
        return Judgement(score=sum(s for _, s in ratings) / len(ratings), raw=raw)

    def spec(self) -> dict[str, Any]:
        return {"judge": self.name, "annotations_sha256": self.source_sha256, "min_raters": self.min_raters}


def _seed(value: Any, source: str, where: str) -> int:
    """A row's seed as an int (csv columns with blanks hold floats such as 3.0); anything else is an error."""
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(value)  # int() would quietly turn True into 1 and 1.5 into 1
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"seed {value!r} is not an integer", path=source, where=where) from None
