"""Tests of the ``human`` judge (judges/human.py) and of the Judgement record it returns.

Annotation tables are tiny jsonl, csv and parquet files written into tmp_path; items are built by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scine_eval.contracts.judge import JudgeItem, Judgement, judge_registry
from scine_eval.errors import ConfigError
from scine_eval.judges.human import HumanAnnotations
from scine_eval.suite import Prompt, Question

HASH_A = "a" * 64
HASH_B = "b" * 64


def item(taxonomy, question_id: str = "q1", seed: int = 0, video_sha256: str = HASH_A) -> JudgeItem:
    prompt = Prompt(id="p1", text="The camera pans left across a market.", suite="visuals")
    question = Question(
        id=question_id,
        prompt_id="p1",
        node_id="camera.trajectory.movement_2d",
        value="pan left",
        text="Does the camera pan left?",
    )
    return JudgeItem(
        video=Path("/videos/p1-0.mp4"),
        video_sha256=video_sha256,
        seed=seed,
        prompt=prompt,
        question=question,
        node=taxonomy[question.node_id],
        rubric="scine-1-5",
    )


def jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


@pytest.fixture
def ratings(tmp_path) -> Path:
    return tmp_path / "ratings.jsonl"


# -- scoring ----------------------------------------------------------------------------------------


def test_registered_as_human_and_annotations():
    """The judge is registered as ``human`` with the alias ``annotations``."""
    assert judge_registry.get("human") is HumanAnnotations is judge_registry.get("annotations")


def test_score_is_the_mean_over_raters(taxonomy, ratings):
    """An item's score is the mean of its raters' scores, with the raters and scores in ``raw``."""
    judge = HumanAnnotations(
        jsonl(
            ratings,
            [
                {"question_id": "q1", "seed": 0, "rater": "ana", "score": 5},
                {"question_id": "q1", "seed": 0, "rater": "ben", "score": 2},
                {"question_id": "q1", "seed": 0, "rater": "cy", "score": 4},
                {"question_id": "q1", "seed": 1, "rater": "ana", "score": 1},
            ],
        )
    )
    (judgement,) = judge.score([item(taxonomy, seed=0)])
    assert judgement.score == pytest.approx(11 / 3)
    assert judgement.reason is None
    assert judgement.raw == {"raters": ["ana", "ben", "cy"], "scores": [5.0, 2.0, 4.0]}
    assert judge.score([item(taxonomy, seed=1)])[0].score == 1.0


def test_scores_one_judgement_per_item_in_order(taxonomy, ratings):
    """``score`` returns one judgement per item, in order."""
    judge = HumanAnnotations(
        jsonl(
            ratings,
            [
                {"question_id": "q1", "seed": 0, "score": 2},
                {"question_id": "q2", "seed": 0, "score": 4},
            ],
        )
    )
    scores = [j.score for j in judge.score([item(taxonomy, "q2"), item(taxonomy, "q1"), item(taxonomy, "q3")])]
    assert scores == [4.0, 2.0, None]


def test_video_hash_wins_over_seed(taxonomy, ratings):
    """When ratings exist for the item's video hash, they are used rather than those for its seed."""
    judge = HumanAnnotations(
        jsonl(
            ratings,
            [
                {"question_id": "q1", "seed": 0, "rater": "r1", "score": 1},
                {"question_id": "q1", "video_sha256": HASH_A, "rater": "r1", "score": 5},
                {"question_id": "q1", "video_sha256": HASH_A, "seed": 0, "rater": "r2", "score": 4},
            ],
        )
    )
    assert judge.score([item(taxonomy, video_sha256=HASH_A)])[0].score == 4.5
    assert judge.score([item(taxonomy, video_sha256=HASH_B)])[0].score == 1.0


def test_rows_without_rater_count_as_distinct_raters(taxonomy, ratings):
    """Rows without a ``rater`` are separate ratings, never a repeat."""
    judge = HumanAnnotations(
        jsonl(
            ratings,
            [
                {"question_id": "q1", "seed": 0, "score": 3},
                {"question_id": "q1", "seed": 0, "score": 4},
            ],
        )
    )
    assert judge.score([item(taxonomy)])[0].score == 3.5


def test_min_raters_abstains_with_a_reason(taxonomy, ratings):
    """An item with fewer ratings than ``min_raters`` abstains, saying how many it had, keeping them in raw."""
    path = jsonl(
        ratings,
        [
            {"question_id": "q1", "seed": 0, "rater": "a", "score": 3},
            {"question_id": "q1", "seed": 0, "rater": "b", "score": 5},
        ],
    )
    (judgement,) = HumanAnnotations(path, min_raters=3).score([item(taxonomy)])
    assert judgement.score is None
    assert judgement.reason == "2 rater(s), fewer than min_raters=3"
    assert judgement.raw["scores"] == [3.0, 5.0]
    assert HumanAnnotations(path, min_raters=2).score([item(taxonomy)])[0].score == 4.0


def test_min_raters_below_one_is_rejected(ratings):
    """``min_raters`` must be at least 1."""
    with pytest.raises(ConfigError, match="min_raters must be at least 1, got 0"):
        HumanAnnotations(annotations=str(ratings), min_raters=0)


def test_unannotated_item_abstains(taxonomy, ratings):
    """An item nobody rated abstains with a reason naming the question."""
    judge = HumanAnnotations(jsonl(ratings, [{"question_id": "q1", "seed": 0, "score": 3}]))
    for unrated in (item(taxonomy, "q9"), item(taxonomy, "q1", seed=7, video_sha256=HASH_B)):
        (judgement,) = judge.score([unrated])
        assert judgement.score is None
        assert re.fullmatch(r"no annotation for question 'q[19]' on this video", judgement.reason)


def test_spec_changes_with_the_file_and_min_raters(tmp_path):
    """The fingerprint follows the annotation file's content and ``min_raters``."""
    first = jsonl(tmp_path / "a.jsonl", [{"question_id": "q1", "seed": 0, "score": 3}])
    same = jsonl(tmp_path / "b.jsonl", [{"question_id": "q1", "seed": 0, "score": 3}])
    other = jsonl(tmp_path / "c.jsonl", [{"question_id": "q1", "seed": 0, "score": 4}])
    assert HumanAnnotations(first).fingerprint == HumanAnnotations(same).fingerprint
    assert HumanAnnotations(first).fingerprint != HumanAnnotations(other).fingerprint
    assert HumanAnnotations(first).fingerprint != HumanAnnotations(first, min_raters=2).fingerprint
    assert HumanAnnotations(first).spec()["judge"] == "human"


# -- file formats -----------------------------------------------------------------------------------


def test_csv_file(taxonomy, tmp_path):
    """A csv file loads; empty cells mean the video is named by the other column."""
    path = tmp_path / "ratings.csv"
    path.write_text(f"question_id,video_sha256,seed,rater,score\nq1,{HASH_A},,r1,4\nq1,,0,r2,2\nq1,,0,r3,3\n")
    judge = HumanAnnotations(str(path))
    assert judge.score([item(taxonomy, video_sha256=HASH_A)])[0].score == 4.0
    assert judge.score([item(taxonomy, video_sha256=HASH_B)])[0].score == 2.5


def test_parquet_file(taxonomy, tmp_path):
    """A parquet file loads."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "ratings.parquet"
    pq.write_table(
        pa.table({"question_id": ["q1", "q1"], "seed": [0, 0], "rater": ["a", "b"], "score": [1.0, 2.0]}), path
    )
    assert HumanAnnotations(str(path)).score([item(taxonomy)])[0].score == 1.5


def test_unsupported_extension(tmp_path):
    """A file that is not jsonl, json, csv or parquet names the accepted endings."""
    path = tmp_path / "ratings.txt"
    path.write_text("q1 0 4\n")
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: annotations must be a file ending in \.jsonl, "
        r"\.json, \.csv, \.parquet",
    ):
        HumanAnnotations(str(path))


def test_a_folder_is_not_an_annotation_file(tmp_path):
    """A folder given as annotations is rejected with the same message."""
    with pytest.raises(ConfigError, match="annotations must be a file ending in"):
        HumanAnnotations(str(tmp_path))


def test_missing_local_file_is_a_config_error(tmp_path):
    """A path that does not exist is a ConfigError naming it (it is tried as a Hub id, offline)."""
    path = tmp_path / "absent.jsonl"
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: cannot load annotations"):
        HumanAnnotations(str(path))


def test_unreadable_file_content(tmp_path):
    """A jsonl file that is not JSON is a ConfigError naming it."""
    path = tmp_path / "ratings.jsonl"
    path.write_text('{"question_id": "q1", "seed": 0, "score": \n')
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: cannot load annotations"):
        HumanAnnotations(str(path))


# -- row faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 6, 5.5, 0.99, -1])
def test_score_outside_the_scale(ratings, bad):
    """A score outside 1-5 names the file, the row and the value."""
    path = jsonl(
        ratings, [{"question_id": "q1", "seed": 0, "score": 3.0}, {"question_id": "q1", "seed": 1, "score": bad}]
    )
    with pytest.raises(
        ConfigError,
        match=rf"^{re.escape(path)}: row 1: score {re.escape(repr(float(bad)))} is "
        "outside the 1-5 scale",
    ):
        HumanAnnotations(path)


def test_boolean_score(ratings):
    """A boolean score is rejected even though Python counts True as 1."""
    path = jsonl(ratings, [{"question_id": "q1", "seed": 0, "score": True}])
    with pytest.raises(ConfigError, match=rf"^{re.escape(path)}: row 0: score True is outside the 1-5 scale"):
        HumanAnnotations(path)


def test_text_score(ratings):
    """A score written as text is rejected, quoting it."""
    path = jsonl(ratings, [{"question_id": "q1", "seed": 0, "score": "great"}])
    with pytest.raises(ConfigError, match=r"row 0: score 'great' is outside the 1-5 scale"):
        HumanAnnotations(path)


def test_empty_score_cell(tmp_path):
    """An empty score in a csv is rejected, not read as a rating."""
    path = tmp_path / "ratings.csv"
    path.write_text("question_id,seed,score\nq1,0,4\nq1,0,\n")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: row 1: score (None|nan) is outside the 1-5 scale"):
        HumanAnnotations(str(path))


@pytest.mark.parametrize("missing", ["question_id", "score"])
def test_missing_column(ratings, missing):
    """A table without ``question_id`` or ``score`` says both are needed."""
    row = {k: v for k, v in {"question_id": "q1", "seed": 0, "score": 3}.items() if k != missing}
    path = jsonl(ratings, [row])
    with pytest.raises(ConfigError, match=rf"^{re.escape(path)}: row 0: rows need 'question_id' and 'score'"):
        HumanAnnotations(path)


def test_row_naming_no_video(ratings):
    """A row with neither ``video_sha256`` nor ``seed`` names the row."""
    path = jsonl(
        ratings,
        [
            {"question_id": "q1", "seed": 0, "score": 3},
            {"question_id": "q1", "video_sha256": None, "seed": None, "score": 3},
        ],
    )
    with pytest.raises(
        ConfigError,
        match=rf"^{re.escape(path)}: row 1: a row needs 'video_sha256' or 'seed' to name "
        "its video",
    ):
        HumanAnnotations(path)


@pytest.mark.parametrize("seed", ["zero", 1.5])
def test_non_integer_seed(ratings, seed):
    """A seed that is not an integer names the row and the value instead of crashing or rounding."""
    path = jsonl(ratings, [{"question_id": "q1", "seed": seed, "score": 3}])
    with pytest.raises(
        ConfigError,
        match=rf"^{re.escape(path)}: row 0: seed {re.escape(repr(seed))} is not an "
        "integer",
    ):
        HumanAnnotations(path)


def test_same_rater_twice_on_one_video_and_question(ratings):
    """One rater rating one (video, question) twice names the rater, the question and the row."""
    path = jsonl(
        ratings,
        [
            {"question_id": "q1", "seed": 0, "rater": "ana", "score": 3},
            {"question_id": "q1", "seed": 1, "rater": "ana", "score": 3},
            {"question_id": "q1", "seed": 0, "rater": "ana", "score": 4},
        ],
    )
    with pytest.raises(
        ConfigError,
        match=rf"^{re.escape(path)}: row 2: rater 'ana' rated question 'q1' of this "
        "video twice",
    ):
        HumanAnnotations(path)


def test_same_rater_twice_by_hash(ratings):
    """The repeat check also applies to videos named by hash."""
    path = jsonl(
        ratings,
        [
            {"question_id": "q1", "video_sha256": HASH_A, "rater": "ana", "score": 3},
            {"question_id": "q1", "video_sha256": HASH_A, "rater": "ana", "score": 5},
        ],
    )
    with pytest.raises(ConfigError, match=r"row 1: rater 'ana' rated question 'q1' of this video twice"):
        HumanAnnotations(path)


# -- Judgement --------------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [1, 1.0, 3.25, 5])
def test_judgement_accepts_the_scale(score):
    """Scores from 1 to 5 inclusive are valid judgements."""
    assert Judgement(score=score).score == score


@pytest.mark.parametrize("score", [0.999, 5.001, 0, -3, float("nan"), float("inf")])
def test_judgement_rejects_scores_outside_the_scale(score):
    """A score outside 1-5, NaN or infinite is rejected, quoting it."""
    with pytest.raises(ValueError, match=rf"score {re.escape(repr(score))} is outside the 1-5 scale"):
        Judgement(score=score)


@pytest.mark.parametrize("reason", [None, ""])
def test_judgement_without_score_needs_a_reason(reason):
    """A judgement with no score must say why."""
    with pytest.raises(ValueError, match="a Judgement without a score needs a reason"):
        Judgement(score=None, reason=reason)


def test_abstain():
    """``Judgement.abstain`` is a score-less judgement with its reason and raw output."""
    judgement = Judgement.abstain("no face visible", raw={"text": "?"})
    assert (judgement.score, judgement.reason, judgement.raw) == (None, "no face visible", {"text": "?"})
