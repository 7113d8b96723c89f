"""Expert preference pairs for training a Bradley-Terry judge.

Annotations are a table loaded through ``datasets`` (a local ``.jsonl``, ``.csv`` or ``.parquet`` file, or a
Hub dataset id) with one row per rating:

* ``question_id``: the suite question rated;
* ``video``: the rated file; a relative path is taken from ``videos_root`` if given, else from the folder of
  the annotations file; absolute paths are allowed;
* ``model`` (optional): the generator that made the video (blank = unknown);
* ``rater``: who rated; one rater may rate a (question, video) once;
* ``score``: the rating on the 1-5 scale.

Rows are grouped by (question, video) into :class:`RatedVideo`. Within a question, two videos whose rater
means differ by more than a tie margin make a preference :class:`Pair`; closer ones make a tie (kept for
Bradley-Terry with ties, Rao-Kupper). :func:`split_by_prompt` keeps every prompt on one side of the
train/validation split, so validation measures generalisation to unseen prompts.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
from rich.table import Table

from scine_eval.contracts.judge import SCALE
from scine_eval.errors import ConfigError, suggest
from scine_eval.readers import load_table_rows
from scine_eval.suite import Suite

log = logging.getLogger("scine_eval")

REQUIRED = ("question_id", "video", "rater", "score")
_TOLERANCE = 1e-9
"""Float slack, so means such as 4.1 - 3.6 (= 0.4999...) compare as the decimals they are."""


@dataclass(frozen=True)
class RatedVideo:
    """One (video, question) with the scores of its raters."""

    question_id: str
    prompt_id: str
    model: str
    """The generator that made the video; "" when unknown."""
    video: Path
    """The resolved file path."""
    scores: tuple[float, ...]
    """One score per rater, in rater order."""
    raters: tuple[str, ...]

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores)


@dataclass(frozen=True)
class Pair:
    """Two videos of the same question: the preferred one and the other, or a tie."""

    question_id: str
    prompt_id: str
    chosen: RatedVideo
    """The higher mean; on equal means, the first of the two in video path order."""
    rejected: RatedVideo
    tie: bool
    margin: float
    """``chosen.mean - rejected.mean``, never negative."""


class Paired(Protocol):
    """What splitting and counting need of a pair (a :class:`Pair`, or a trainer's ``TrainingPair``)."""

    @property
    def prompt_id(self) -> str: ...
    @property
    def question_id(self) -> str: ...
    @property
    def tie(self) -> bool: ...


P = TypeVar("P", bound=Paired)


@dataclass(frozen=True)
class PairSplit(Generic[P]):
    """Pairs split by prompt: no prompt has pairs on both sides."""

    train: list[P]
    validation: list[P]

    def counts(self) -> dict[str, dict[str, int]]:
        """Pairs (ties included), ties, distinct prompts and distinct questions on each side."""
        return {"train": _counts(self.train), "validation": _counts(self.validation)}


def load_rated_videos(
    source: str | Path,
    suite: Suite,
    videos_root: str | Path | None = None,
    min_raters: int = 1,
    split: str = "train",
) -> list[RatedVideo]:
    """Loads and validates expert ratings, grouped by (question, video).

    Args:
        source: a local annotations file or a Hub dataset id (see the module docstring).
        suite: the suite the question ids belong to; it gives each question's prompt.
        videos_root: the folder relative video paths start from; default: the annotations file's folder.
        min_raters: (question, video) items with fewer raters are dropped (and counted in the log).
        split: the split to read from a Hub dataset.

    Returns:
        The rated videos in the order their first row appears.

    Raises:
        ConfigError: the annotations cannot be read, or a row is invalid (the message names the file, the
            row, the key, the value and what would be valid).
    """
    if min_raters < 1:
        raise ConfigError(f"min_raters must be at least 1, got {min_raters}", where="min_raters")
    label = str(source)
    rows, folder = _load_table(source, split)
    base = _videos_base(videos_root, folder)
    groups = _group(rows, label, suite, base)
    rated = [video for video in groups if len(video.raters) >= min_raters]
    if dropped := len(groups) - len(rated):
        log.info("dropped %d (question, video) item(s) with fewer than min_raters=%d raters", dropped, min_raters)
    return rated


def make_pairs(
    rated: Sequence[RatedVideo],
    tie_margin: float = 0.5,
    cross_model_only: bool = True,
    keep_ties: bool = True,
) -> list[Pair]:
    """Pairs the videos of each question.

    Args:
        rated: rated videos, as from :func:`load_rated_videos`.
        tie_margin: pairs whose means differ by at most this much are ties.
        cross_model_only: pair only videos of different models (a video of unknown model, "", pairs with any).
        keep_ties: keep the ties (for Bradley-Terry with ties) or drop them.

    Returns:
        The pairs in a deterministic order: by question id, then by the two videos' paths.

    Raises:
        ConfigError: ``tie_margin`` is negative.
    """
    if tie_margin < 0:
        raise ConfigError(f"tie_margin must be 0 or more, got {tie_margin}", where="tie_margin")
    by_question: dict[str, list[RatedVideo]] = defaultdict(list)
    for video in rated:
        by_question[video.question_id].append(video)
    pairs = []
    for question_id in sorted(by_question):
        videos = sorted(by_question[question_id], key=lambda v: str(v.video))
        for i, first in enumerate(videos):
            for second in videos[i + 1 :]:
                pair = _pair(first, second, tie_margin, cross_model_only)
                if pair is not None and (keep_ties or not pair.tie):
                    pairs.append(pair)
    return pairs


def split_by_prompt(pairs: Sequence[P], validation_fraction: float = 0.2, seed: int = 0) -> PairSplit[P]:
    """Splits pairs into train and validation by prompt, so no prompt is on both sides.

    The distinct prompt ids (sorted, so the input order does not matter) are shuffled with
    ``numpy.random.default_rng(seed)``; the first ``ceil(validation_fraction * n)`` go to validation. With two
    or more prompts, each side gets at least one.

    Args:
        pairs: the pairs to split.
        validation_fraction: the share of prompts for validation, above 0 and below 1.
        seed: the shuffle's seed; the same seed gives the same split.

    Returns:
        The split, each side in the input order.

    Raises:
        ConfigError: ``validation_fraction`` is not above 0 and below 1.
    """
    if not 0 < validation_fraction < 1:
        raise ConfigError(
            f"validation_fraction must be above 0 and below 1, got {validation_fraction}",
            where="validation_fraction",
        )
    prompts = sorted({pair.prompt_id for pair in pairs})
    order = [prompts[i] for i in np.random.default_rng(seed).permutation(len(prompts))]
    n_validation = _validation_size(len(prompts), validation_fraction)
    held_out = set(order[:n_validation])
    split = PairSplit(
        train=[p for p in pairs if p.prompt_id not in held_out],
        validation=[p for p in pairs if p.prompt_id in held_out],
    )
    assert not {p.prompt_id for p in split.train} & {p.prompt_id for p in split.validation}
    return split


def pairs_table(split: PairSplit) -> Table:
    """A table of the split's counts: rows train, validation and total."""
    counts = split.counts()
    columns = ("pairs", "ties", "prompts", "questions")
    table = Table(
        title="preference pairs, split by prompt",
        title_justify="left",
        caption="pairs include ties; no prompt is on both sides",
        caption_justify="left",
    )
    table.add_column("")
    for column in columns:
        table.add_column(column, justify="right")
    for side in ("train", "validation"):
        table.add_row(side, *(str(counts[side][c]) for c in columns))
    # Sides share no prompt, hence no question either: the totals are plain sums.
    table.add_row("total", *(str(counts["train"][c] + counts["validation"][c]) for c in columns), style="bold")
    return table


# -- loading ----------------------------------------------------------------------------------------------


def _load_table(source: str | Path, split: str) -> tuple[list[dict], Path | None]:
    """The annotation rows, and the annotations file's folder (None for a Hub dataset)."""
    rows, path = load_table_rows(source, split)
    return rows, path.parent if path is not None else None


def _videos_base(videos_root: str | Path | None, folder: Path | None) -> Path | None:
    if videos_root is None:
        return folder
    root = Path(videos_root).expanduser()
    if not root.is_dir():
        raise ConfigError("videos_root is not a folder; give the folder relative video paths start from", path=root)
    return root.resolve()


def _group(rows: list[dict], source: str, suite: Suite, base: Path | None) -> list[RatedVideo]:
    """Validates every row and groups the ratings by (question, video), in first-row order."""
    if rows and all("rater" not in row for row in rows):
        raise ConfigError(
            "missing raters: the annotations have no 'rater' column; every row needs one "
            "(who rated, so one rater's repeated ratings can be told apart)",
            path=source,
            where="key 'rater'",
        )
    questions = {q.id: q for q in suite.questions}
    ratings: dict[tuple[str, Path], list[tuple[str, float]]] = defaultdict(list)
    first_row: dict[tuple[str, Path, str], int] = {}
    models: dict[Path, tuple[str, int]] = {}
    exists: dict[Path, bool] = {}  # many rows name the same file: stat it once
    for number, row in enumerate(rows):
        where = f"row {number}"
        for key in REQUIRED:
            _require(row, key, source, where)
        question_id = _question_id(row["question_id"], questions, source, where)
        video = _video(row["video"], base, exists, source, where)
        rater = str(row["rater"])
        score = _score(row["score"], source, where)
        if (question_id, video, rater) in first_row:
            raise ConfigError(
                f"rater {rater!r} rated question {question_id!r} of video {str(video)!r} twice "
                f"(first in row {first_row[question_id, video, rater]}); one rating per rater, question and video",
                path=source,
                where=f"{where}, key 'rater'",
            )
        first_row[question_id, video, rater] = number
        _note_model(row.get("model"), video, models, source, number)
        ratings[question_id, video].append((rater, score))
    return [
        RatedVideo(
            question_id=question_id,
            prompt_id=questions[question_id].prompt_id,
            model=models.get(video, ("", 0))[0],
            video=video,
            scores=tuple(score for _, score in pairs),
            raters=tuple(rater for rater, _ in pairs),
        )
        for (question_id, video), pairs in ratings.items()
    ]


def _require(row: Mapping[str, Any], key: str, source: str, where: str) -> None:
    # datasets fills a column absent from some rows with None; a blank csv cell reads as "" or None.
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        got = "the key is absent" if key not in row else f"got {value!r}"
        what = "missing raters: " if key == "rater" else ""
        raise ConfigError(
            f"{what}key {key!r} is missing ({got}); every row needs {', '.join(map(repr, REQUIRED))}",
            path=source,
            where=f"{where}, key {key!r}",
        )


def _question_id(value: Any, questions: Mapping[str, Any], source: str, where: str) -> str:
    question_id = str(value)
    if question_id not in questions:
        hint = suggest(question_id, questions)
        raise ConfigError(
            f"question_id {question_id!r} is not a question of the suite"
            + (f"; did you mean {', '.join(map(repr, hint))}?" if hint else ""),
            path=source,
            where=f"{where}, key 'question_id'",
        )
    return question_id


def _video(value: Any, base: Path | None, exists: dict[Path, bool], source: str, where: str) -> Path:
    """The row's video as a resolved path to an existing file."""
    where = f"{where}, key 'video'"
    if not isinstance(value, str):
        raise ConfigError(
            f"video {value!r} is not a path; give the video file's path as text", path=source, where=where
        )
    path = Path(value).expanduser()
    if not path.is_absolute():
        if base is None:
            raise ConfigError(
                f"video {value!r} is a relative path, but Hub annotations have no folder to start from; "
                "pass videos_root or give absolute paths",
                path=source,
                where=where,
            )
        path = base / path
    path = path.resolve()
    if path not in exists:
        exists[path] = path.is_file()
    if not exists[path]:
        raise ConfigError(
            f"video {value!r} is absent from the store: no file at {path}; "
            "paths are relative to videos_root, or to the annotations file's folder when it is not given",
            path=source,
            where=where,
        )
    return path


def _score(value: Any, source: str, where: str) -> float:
    """The row's score as a float on the scale; csv columns with a bad cell hold text, so numeric text counts."""
    where = f"{where}, key 'score'"
    valid = f"a score is a number from {SCALE[0]:g} to {SCALE[1]:g}"
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # bool is an int subclass
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
    if number is None or not math.isfinite(number):
        raise ConfigError(f"score {value!r} is not a number; {valid}", path=source, where=where)
    if not SCALE[0] <= number <= SCALE[1]:
        raise ConfigError(f"score {value!r} is outside the scale; {valid}", path=source, where=where)
    return number


def _note_model(value: Any, video: Path, models: dict[Path, tuple[str, int]], source: str, number: int) -> None:
    """Records the video's model and its first row; rows of one file that name two different models are an error."""
    model = "" if value is None else str(value).strip()
    if not model:
        return
    known = models.setdefault(video, (model, number))
    if known[0] != model:
        raise ConfigError(
            f"model {model!r} for video {str(video)!r}, which row {known[1]} gave as {known[0]!r}; "
            "every row of one video names the same model (or leaves it blank)",
            path=source,
            where=f"row {number}, key 'model'",
        )


# -- pairs ------------------------------------------------------------------------------------------------


def _pair(first: RatedVideo, second: RatedVideo, tie_margin: float, cross_model_only: bool) -> Pair | None:
    """The pair of two videos of one question (``first`` before ``second``), or None when they may not pair."""
    if first.video == second.video:
        return None
    if cross_model_only and first.model and first.model == second.model:
        return None
    # A tie is symmetric for Rao-Kupper, so its chosen side too is the higher mean: margin stays >= 0.
    chosen, rejected = (second, first) if second.mean > first.mean else (first, second)
    margin = chosen.mean - rejected.mean
    return Pair(
        question_id=first.question_id,
        prompt_id=first.prompt_id,
        chosen=chosen,
        rejected=rejected,
        tie=margin <= tie_margin + _TOLERANCE,
        margin=margin,
    )


def _validation_size(n_prompts: int, fraction: float) -> int:
    if n_prompts < 2:
        return 0  # one prompt cannot be split; it trains
    # The slack keeps e.g. 0.1 * 30 (= 3.0000000000000004) from rounding up to 4.
    wanted = math.ceil(fraction * n_prompts - _TOLERANCE)
    return min(max(wanted, 1), n_prompts - 1)


def _counts(pairs: Sequence[Paired]) -> dict[str, int]:
    return {
        "pairs": len(pairs),
        "ties": sum(pair.tie for pair in pairs),
        "prompts": len({pair.prompt_id for pair in pairs}),
        "questions": len({pair.question_id for pair in pairs}),
    }
