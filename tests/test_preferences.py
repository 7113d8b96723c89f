"""Tests of scine_eval.judge_eval.preferences: rated videos, preference pairs and the by-prompt split.

Annotations are tiny jsonl/csv files in tmp_path, rating real tiny mp4s of two models ("alpha", "beta") on
the first question of four starter prompts, three raters each.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from scine_eval.errors import ConfigError
from scine_eval.judge_eval.preferences import (
    Pair,
    RatedVideo,
    load_rated_videos,
    make_pairs,
    pairs_table,
    split_by_prompt,
)
from scine_eval.video import write_video
from tests.helpers import clip

# Per question index: {video file stem: (model, scores of raters r0, r1, r2)}.
PLAN = {
    0: {"a-0": ("alpha", (5, 5, 4)), "a2-0": ("alpha", (4, 5, 5)), "b-0": ("beta", (2, 1, 2))},  # clear
    1: {"a-1": ("alpha", (3, 3, 4)), "b-1": ("beta", (3, 4, 4))},  # a tie: 3.33 vs 3.67
    2: {"a-2": ("alpha", (1, 2, 1)), "b-2": ("beta", (4, 4, 5))},
    3: {"a-3": ("alpha", (3, 3, 3)), "b-3": ("beta", (5, 4, 4))},
}


@pytest.fixture(scope="module")
def questions(suite):
    """The first question of each of four different prompts."""
    by_prompt = {}
    for question in suite.questions:
        by_prompt.setdefault(question.prompt_id, question)
    return list(by_prompt.values())[:4]


@pytest.fixture(scope="module")
def _store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("preference-videos")
    for i, stem in enumerate(stem for videos in PLAN.values() for stem in videos):
        write_video(root / f"{stem}.mp4", clip(i, frames=2, size=16), fps=4)
    write_video(root / "c-3.mp4", clip(99, frames=2, size=16), fps=4)  # for the min_raters test
    return root


@pytest.fixture
def store(tmp_path, _store) -> Path:
    """A fresh copy of the videos, so annotations can sit next to them."""
    return Path(shutil.copytree(_store, tmp_path / "store"))


def plan_rows(questions) -> list[dict]:
    return [
        {"question_id": questions[q].id, "video": f"{stem}.mp4", "model": model, "rater": f"r{r}", "score": score}
        for q, videos in PLAN.items()
        for stem, (model, scores) in videos.items()
        for r, score in enumerate(scores)
    ]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.fixture
def rated(store, suite, questions) -> list[RatedVideo]:
    return load_rated_videos(write_jsonl(store / "ratings.jsonl", plan_rows(questions)), suite)


def by_stem(rated: list[RatedVideo]) -> dict[str, RatedVideo]:
    return {video.video.stem: video for video in rated}


def stems(pair: Pair) -> tuple[str, str]:
    return pair.chosen.video.stem, pair.rejected.video.stem


# -- loading ------------------------------------------------------------------------------------------------


def test_groups_rows_into_rated_videos_with_means(rated, store, questions):
    """Rows group by (question, video); scores keep rater order; prompt ids come from the suite."""
    videos = by_stem(rated)
    assert len(rated) == 9
    a0 = videos["a-0"]
    assert a0.scores == (5.0, 5.0, 4.0) and a0.raters == ("r0", "r1", "r2")
    assert a0.mean == pytest.approx(14 / 3)
    assert videos["b-1"].mean == pytest.approx(11 / 3)
    assert a0.model == "alpha" and videos["b-0"].model == "beta"
    assert a0.question_id == questions[0].id and a0.prompt_id == questions[0].prompt_id
    assert a0.video == (store / "a-0.mp4").resolve() and a0.video.is_absolute()


def test_videos_root_and_absolute_paths(tmp_path, store, suite, questions):
    """Relative paths start from videos_root when given; absolute paths are taken as they are."""
    rows = plan_rows(questions)
    rows[0]["video"] = str(store / rows[0]["video"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rated = load_rated_videos(write_jsonl(elsewhere / "ratings.jsonl", rows), suite, videos_root=store)
    assert {v.video for v in rated} == {(store / f"{stem}.mp4").resolve() for p in PLAN.values() for stem in p}


def test_csv_and_unknown_model(store, suite, questions):
    """A csv table loads the same; a blank model reads as unknown ("")."""
    rows = plan_rows(questions)
    for row in rows:
        row["model"] = ""
    lines = ["question_id,video,model,rater,score"] + [",".join(str(v) for v in row.values()) for row in rows]
    (store / "ratings.csv").write_text("\n".join(lines) + "\n")
    rated = load_rated_videos(store / "ratings.csv", suite)
    assert len(rated) == 9 and {v.model for v in rated} == {""}
    assert by_stem(rated)["a-0"].mean == pytest.approx(14 / 3)


def test_min_raters_drops_and_logs(store, suite, questions, caplog):
    """Items with fewer than min_raters raters are dropped, and the log says how many."""
    extra = [{"question_id": questions[3].id, "video": "c-3.mp4", "model": "gamma", "rater": f"r{r}", "score": 4}
             for r in range(2)]  # fmt: skip
    path = write_jsonl(store / "ratings.jsonl", plan_rows(questions) + extra)
    assert len(load_rated_videos(path, suite)) == 10
    with caplog.at_level(logging.INFO, logger="scine_eval"):
        kept = load_rated_videos(path, suite, min_raters=3)
    assert len(kept) == 9 and "c-3" not in by_stem(kept)
    assert "dropped 1 (question, video) item(s) with fewer than min_raters=3" in caplog.text


# -- bad input ----------------------------------------------------------------------------------------------


def load_with(store: Path, suite, questions, change) -> list[RatedVideo]:
    """Loads the plan's rows after ``change(rows)`` edits them."""
    rows = plan_rows(questions)
    change(rows)
    return load_rated_videos(write_jsonl(store / "ratings.jsonl", rows), suite)


def test_missing_rater_key(store, suite, questions):
    with pytest.raises(
        ConfigError, match=r"ratings\.jsonl: row 2, key 'rater': missing raters: key 'rater' is missing"
    ):
        load_with(store, suite, questions, lambda rows: rows[2].pop("rater"))


def test_no_rater_column(store, suite, questions):
    def drop(rows):
        for row in rows:
            del row["rater"]

    with pytest.raises(ConfigError, match=r"ratings\.jsonl: key 'rater': missing raters: .*no 'rater' column"):
        load_with(store, suite, questions, drop)


def test_missing_video_key(store, suite, questions):
    with pytest.raises(ConfigError, match=r"row 1, key 'video': key 'video' is missing \(got None\)"):
        load_with(store, suite, questions, lambda rows: rows[1].pop("video"))


def test_score_outside_scale(store, suite, questions):
    with pytest.raises(ConfigError, match=r"row 0, key 'score': score 6 is outside the scale; .* from 1 to 5"):
        load_with(store, suite, questions, lambda rows: rows[0].update(score=6))


def test_score_not_a_number(store, suite, questions):
    with pytest.raises(ConfigError, match=r"row 4, key 'score': score 'x' is not a number; .* from 1 to 5"):
        load_with(store, suite, questions, lambda rows: rows[4].update(score="x"))


def test_unknown_question_suggests_close_ids(store, suite, questions):
    typo = questions[1].id[:-1]
    expected = (
        f"row 3, key 'question_id': question_id {typo!r} is not a question of the suite; "
        f"did you mean {questions[1].id!r}"
    )
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_with(store, suite, questions, lambda rows: rows[3].update(question_id=typo))


def test_missing_video_file_names_the_path(store, suite, questions):
    expected = (
        f"row 5, key 'video': video 'gone.mp4' is absent from the store: no file at {(store / 'gone.mp4').resolve()}"
    )
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_with(store, suite, questions, lambda rows: rows[5].update(video="gone.mp4"))


def test_duplicate_rater(store, suite, questions):
    with pytest.raises(ConfigError, match=r"row 1, key 'rater': rater 'r0' rated question .* twice \(first in row 0\)"):
        load_with(store, suite, questions, lambda rows: rows[1].update(rater="r0"))


def test_conflicting_models_for_one_video(store, suite, questions):
    with pytest.raises(ConfigError, match=r"row 1, key 'model': model 'beta' for video .*a-0\.mp4'.* row 0 .*'alpha'"):
        load_with(store, suite, questions, lambda rows: rows[1].update(model="beta"))


def test_bad_arguments(store, suite, questions, rated):
    path = write_jsonl(store / "ratings.jsonl", plan_rows(questions))
    with pytest.raises(ConfigError, match="min_raters must be at least 1, got 0"):
        load_rated_videos(path, suite, min_raters=0)
    with pytest.raises(ConfigError, match="videos_root is not a folder"):
        load_rated_videos(path, suite, videos_root=store / "nowhere")
    with pytest.raises(ConfigError, match="tie_margin must be 0 or more"):
        make_pairs(rated, tie_margin=-0.1)
    with pytest.raises(ConfigError, match="validation_fraction must be above 0 and below 1"):
        split_by_prompt(make_pairs(rated), validation_fraction=1.0)


# -- pairs --------------------------------------------------------------------------------------------------


def test_pairs_preferences_and_ties(rated, questions):
    """A clear preference, a tie within the margin, and no pair of two videos of one model."""
    pairs = make_pairs(rated, tie_margin=0.5)
    assert [stems(p) for p in pairs] == [
        ("a-0", "b-0"),
        ("a2-0", "b-0"),
        ("b-1", "a-1"),
        ("b-2", "a-2"),
        ("b-3", "a-3"),
    ]
    clear = pairs[0]
    assert not clear.tie and clear.margin == pytest.approx(3.0)
    assert clear.question_id == questions[0].id and clear.prompt_id == questions[0].prompt_id
    tie = pairs[2]
    assert tie.tie and tie.margin == pytest.approx(1 / 3)
    assert all(p.margin == pytest.approx(p.chosen.mean - p.rejected.mean) and p.margin >= 0 for p in pairs)
    assert [p.tie for p in pairs] == [False, False, True, False, False]


def test_ties_dropped_and_margin(rated):
    assert ("b-1", "a-1") not in [stems(p) for p in make_pairs(rated, keep_ties=False)]
    assert len(make_pairs(rated, keep_ties=False)) == 4
    assert not any(p.tie for p in make_pairs(rated, tie_margin=0.0))  # no equal means across models here


def test_same_model_pairs_only_when_asked(rated):
    """Two alpha videos pair only without cross_model_only; their equal means make a tie in stable order."""
    pairs = make_pairs(rated, cross_model_only=False)
    assert len(pairs) == 6
    same = [p for p in pairs if p.chosen.model == p.rejected.model]
    assert [stems(p) for p in same] == [("a-0", "a2-0")] and same[0].tie and same[0].margin == 0


def test_unknown_models_pair_with_anything(rated):
    unknown = [RatedVideo(v.question_id, v.prompt_id, "", v.video, v.scores, v.raters) for v in rated]
    assert len(make_pairs(unknown)) == 6


def test_pairs_do_not_depend_on_input_order(rated):
    assert make_pairs(list(reversed(rated))) == make_pairs(rated)


# -- split --------------------------------------------------------------------------------------------------


def test_split_keeps_prompts_apart_and_counts_add_up(rated, questions):
    pairs = make_pairs(rated)
    split = split_by_prompt(pairs, validation_fraction=0.25, seed=0)
    train_prompts = {p.prompt_id for p in split.train}
    validation_prompts = {p.prompt_id for p in split.validation}
    assert not train_prompts & validation_prompts
    assert len(validation_prompts) == 1 and train_prompts | validation_prompts == {q.prompt_id for q in questions}
    counts = split.counts()
    assert counts["train"]["pairs"] + counts["validation"]["pairs"] == len(pairs) == 5
    assert counts["train"]["ties"] + counts["validation"]["ties"] == 1
    assert counts["train"]["prompts"] + counts["validation"]["prompts"] == 4
    assert counts["train"]["questions"] + counts["validation"]["questions"] == 4
    assert sorted(split.train + split.validation, key=pairs.index) == pairs


def test_split_is_deterministic_per_seed(rated):
    """The same seed gives the same split, whatever the order of the pairs."""
    pairs = make_pairs(rated)
    split = split_by_prompt(pairs, seed=3)
    assert split_by_prompt(pairs, seed=3) == split
    shuffled = split_by_prompt(list(reversed(pairs)), seed=3)
    assert {p.prompt_id for p in shuffled.validation} == {p.prompt_id for p in split.validation}
    held_out = {frozenset(p.prompt_id for p in split_by_prompt(pairs, seed=s).validation) for s in range(10)}
    assert len(held_out) > 1  # the seed matters


def test_split_sizes():
    """At least one validation prompt from two prompts on, and always one left to train."""
    video = RatedVideo("q", "p", "", Path("/v.mp4"), (3.0,), ("r",))
    pairs = [Pair(f"q{i}", f"p{i}", video, video, True, 0.0) for i in range(30)]
    assert split_by_prompt(pairs, validation_fraction=0.1).counts()["validation"]["prompts"] == 3
    assert split_by_prompt(pairs[:2], validation_fraction=0.01).counts()["validation"]["prompts"] == 1
    assert split_by_prompt(pairs[:2], validation_fraction=0.99).counts()["train"]["prompts"] == 1
    assert split_by_prompt(pairs[:1]).counts()["validation"]["pairs"] == 0
    assert split_by_prompt([]).counts()["train"] == {"pairs": 0, "ties": 0, "prompts": 0, "questions": 0}


def test_pairs_table(rated):
    console = Console(record=True, width=100)
    console.print(pairs_table(split_by_prompt(make_pairs(rated), validation_fraction=0.25)))
    text = console.export_text()
    for label in ("train", "validation", "total", "pairs", "ties", "prompts", "questions"):
        assert label in text
    assert re.search(r"total\s+│\s+5\s+│\s+1\s+│\s+4\s+│\s+4", text)
