"""Tests of scine_eval.suite: the starter suite, local folders, and every fault of a suite's rows or source.

Local folders are tried as jsonl, parquet and with a dataset card; values are canonicalised.

Suites are small jsonl/parquet files written into tmp_path; no test touches the network.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from scine_eval.errors import ConfigError
from scine_eval.suite import DEFAULT_SUITE, build_suite, load_suite

PROMPTS = [
    {"id": "p1", "text": "A woman walks down a rainy street at night.", "suite": "scripts", "genre": "drama"},
    {
        "id": "p2",
        "text": "The camera pans left across a market at dawn.",
        "suite": "visuals",
        "role": "cinematographer",
        "difficulty": "basic",
        "duration": 5.0,
    },
]
QUESTIONS = [
    {
        "id": "q1",
        "prompt_id": "p2",
        "node_id": "camera.trajectory.movement_2d",
        "value": "Pan Left",
        "text": "Does the camera pan left?",
    },
    {
        "id": "q2",
        "prompt_id": "p1",
        "node_id": "setup.subjects.costume",
        "value": " a yellow raincoat ",
        "text": "Does she wear a yellow raincoat?",
    },
]

CARD = """\
---
configs:
- config_name: prompts
  data_files:
  - split: test
    path: prompts.jsonl
- config_name: questions
  data_files:
  - split: test
    path: questions.jsonl
---
# A tiny scine-eval suite
"""


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def make_suite(folder: Path, prompts: list[dict] = PROMPTS, questions: list[dict] = QUESTIONS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "prompts.jsonl", prompts)
    write_jsonl(folder / "questions.jsonl", questions)
    return folder


def build(taxonomy, prompts=PROMPTS, questions=QUESTIONS):
    return build_suite("test", "src.jsonl", None, prompts, questions, taxonomy)


# -- the bundled starter suite ----------------------------------------------------------------------


def test_starter_suite_loads(suite, taxonomy):
    """The bundled starter suite has at least 40 prompts, all four pillars and a content-hash version."""
    assert suite.name == DEFAULT_SUITE and suite.revision is None
    assert len(suite.prompts) >= 40
    assert {taxonomy[q.node_id].pillar for q in suite.questions} == {"camera", "lighting", "setup", "events"}
    assert re.fullmatch(r"starter@[0-9a-f]{12}", suite.version)
    assert suite.version == f"starter@{suite.sha256[:12]}"


def test_starter_questions_name_leaves_with_valid_values(suite, taxonomy):
    """Every starter question names a leaf, one of its values, and a prompt of the suite; ids are unique."""
    for question in suite.questions:
        node = taxonomy[question.node_id]
        assert node.is_leaf, question.id
        assert taxonomy.canonical_value(node.id, question.value) == question.value
        assert question.prompt_id in suite.prompts
    assert len({q.id for q in suite.questions}) == len(suite.questions)
    assert len({(q.prompt_id, q.node_id) for q in suite.questions}) == len(suite.questions)


def test_starter_has_both_sub_suites(suite):
    """The starter suite holds SCINE-Scripts and SCINE-Visuals prompts."""
    assert {p.suite for p in suite.prompts.values()} == {"scripts", "visuals"}


def test_counts_and_questions_for(suite):
    """``counts_by_node`` and ``questions_for`` agree with the questions list."""
    counts = suite.counts_by_node()
    assert sum(counts.values()) == len(suite.questions)
    node = suite.questions[0].node_id
    assert len(list(suite.questions_for({node}))) == counts[node]


def test_the_starter_suite_by_name_and_by_default(taxonomy, suite):
    """``None`` and ``"starter"`` load the same bundled suite."""
    assert load_suite("starter", taxonomy).sha256 == suite.sha256


# -- local folders ----------------------------------------------------------------------------------


def test_jsonl_folder_without_a_card(tmp_path, taxonomy):
    """A folder with prompts.jsonl and questions.jsonl and no README loads, named after the folder."""
    suite = load_suite(str(make_suite(tmp_path / "mine")), taxonomy)
    assert suite.name == "mine" and suite.source == str(tmp_path / "mine")
    assert list(suite.prompts) == ["p1", "p2"]
    assert suite.prompts["p2"].role == "cinematographer" and suite.prompts["p1"].role is None
    assert [q.id for q in suite.questions] == ["q1", "q2"]
    assert re.fullmatch(r"mine@[0-9a-f]{12}", suite.version)


def test_value_spelling_is_canonicalised(tmp_path, taxonomy):
    """Values are stored in the vocabulary's spelling; open values are stripped."""
    suite = load_suite(str(make_suite(tmp_path / "mine")), taxonomy)
    assert suite.questions[0].value == "pan left"
    assert suite.questions[1].value == "a yellow raincoat"


def test_parquet_folder(tmp_path, taxonomy):
    """A folder of prompts.parquet and questions.parquet loads to the same suite as the jsonl one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "pq"
    folder.mkdir()
    for name, rows in (("prompts", PROMPTS), ("questions", QUESTIONS)):
        keys = list(dict.fromkeys(key for row in rows for key in row))  # from_pylist reads keys off row 0 only
        pq.write_table(
            pa.Table.from_pylist([{k: row.get(k) for k in keys} for row in rows]), folder / f"{name}.parquet"
        )
    from_parquet = load_suite(str(folder), taxonomy)
    from_jsonl = load_suite(str(make_suite(tmp_path / "js")), taxonomy)
    assert from_parquet.prompts == from_jsonl.prompts
    assert from_parquet.questions == from_jsonl.questions
    assert from_parquet.sha256 == from_jsonl.sha256


def test_folder_with_a_dataset_card(tmp_path, taxonomy):
    """A folder with a dataset card (configs prompts/questions, split test) loads like a Hub dataset."""
    folder = make_suite(tmp_path / "carded")
    (folder / "README.md").write_text(CARD)
    suite = load_suite(str(folder), taxonomy)
    assert list(suite.prompts) == ["p1", "p2"] and suite.questions[0].value == "pan left"
    assert suite.sha256 == load_suite(str(make_suite(tmp_path / "plain")), taxonomy).sha256


def test_dataset_card_is_what_is_read(tmp_path, taxonomy):
    """With a card, the files it names are read (not prompts.jsonl by convention)."""
    folder = tmp_path / "renamed"
    folder.mkdir()
    write_jsonl(folder / "p.jsonl", PROMPTS)
    write_jsonl(folder / "q.jsonl", QUESTIONS)
    (folder / "README.md").write_text(
        CARD.replace("path: prompts.jsonl", "path: p.jsonl").replace("path: questions.jsonl", "path: q.jsonl")
    )
    assert len(load_suite(str(folder), taxonomy).questions) == 2


def test_dataset_card_without_the_config(tmp_path, taxonomy):
    """A card that lacks the ``questions`` config is a ConfigError naming the table."""
    folder = make_suite(tmp_path / "half")
    (folder / "README.md").write_text(CARD.split("- config_name: questions")[0] + "---\n")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(folder))}: cannot load the 'questions' table"):
        load_suite(str(folder), taxonomy)


def test_a_suite_without_questions_for_some_prompts(tmp_path, taxonomy):
    """A prompt without questions is allowed (it is simply never asked about)."""
    prompts = [*PROMPTS, {"id": "p3", "text": "An empty room.", "suite": "scripts"}]
    suite = load_suite(str(make_suite(tmp_path / "s", prompts=prompts)), taxonomy)
    assert "p3" in suite.prompts and len(suite.questions) == 2


def test_question_hash_follows_node_value_and_text(taxonomy):
    """A question's sha256 changes with its text and not with its id."""
    base = build(taxonomy).questions[0]
    renamed = build(taxonomy, questions=[{**QUESTIONS[0], "id": "other"}]).questions[0]
    reworded = build(taxonomy, questions=[{**QUESTIONS[0], "text": "Pan left?"}]).questions[0]
    assert base.sha256 == renamed.sha256 != reworded.sha256


# -- row faults -------------------------------------------------------------------------------------


def test_unknown_node_id_suggests_leaves(tmp_path, taxonomy):
    """A question on an unknown node names the source, the row and close leaf ids."""
    questions = [QUESTIONS[0], {**QUESTIONS[1], "node_id": "setup.subjects.costum"}]
    folder = make_suite(tmp_path / "s", questions=questions)
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(folder))}: questions\.jsonl line 2 \(question 'q2'\): node_id "
        r"'setup\.subjects\.costum' is not in the taxonomy; did you mean "
        r"'setup\.subjects\.costume'",
    ):
        load_suite(str(folder), taxonomy)


def test_question_on_a_group_node(taxonomy):
    """A question on a non-leaf node says questions must name a leaf."""
    with pytest.raises(ConfigError, match=r"questions row 0 \(question 'q1'\): 'camera\.trajectory' is not a leaf"):
        build(taxonomy, questions=[{**QUESTIONS[0], "node_id": "camera.trajectory"}])


def test_value_not_in_vocabulary_lists_the_valid_values(taxonomy):
    """A value outside the leaf's vocabulary names the row and lists the valid values."""
    with pytest.raises(
        ConfigError,
        match=r"src\.jsonl: questions row 0 \(question 'q1'\): 'pan sideways' is not a "
        r"value of 'camera\.trajectory\.movement_2d'; valid: pan left, pan right",
    ):
        build(taxonomy, questions=[{**QUESTIONS[0], "value": "pan sideways"}])


def test_question_for_an_unknown_prompt(taxonomy):
    """A question whose prompt_id is not in the suite names the row and the prompt id."""
    with pytest.raises(
        ConfigError,
        match=r"src\.jsonl: questions row 1 \(question 'q2'\): prompt_id 'p9' is not a "
        "prompt of this suite",
    ):
        build(taxonomy, questions=[QUESTIONS[0], {**QUESTIONS[1], "prompt_id": "p9"}])


def test_duplicate_question_id(taxonomy):
    """A question id used twice names the second row."""
    questions = [QUESTIONS[0], {**QUESTIONS[1], "id": "q1"}]
    with pytest.raises(ConfigError, match=r"src\.jsonl: questions row 1 \(question 'q1'\): duplicate question id"):
        build(taxonomy, questions=questions)


def test_two_questions_on_one_prompt_and_node(taxonomy):
    """Two questions on the same (prompt, node) is an error: one question per prompt and node."""
    questions = [QUESTIONS[0], {**QUESTIONS[0], "id": "q1b", "value": "pan right"}]
    with pytest.raises(
        ConfigError,
        match=r"questions row 1 \(question 'q1b'\): a second question for node "
        r"'camera\.trajectory\.movement_2d' on prompt 'p2'",
    ):
        build(taxonomy, questions=questions)


def test_duplicate_prompt_id(taxonomy):
    """A prompt id used twice names the second row."""
    with pytest.raises(ConfigError, match=r"src\.jsonl: prompts row 2: duplicate prompt id 'p1'"):
        build(taxonomy, prompts=[*PROMPTS, {**PROMPTS[0], "text": "Another."}])


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("suite", "script", "key 'suite': Input should be 'scripts', 'visuals' or 'multishot'"),
        ("role", "editor", "key 'role': Input should be 'cinematographer', 'production_designer' or 'director'"),
        ("difficulty", "hard", "key 'difficulty': Input should be 'basic' or 'advanced'"),
        ("text", "   ", "key 'text': Value error, must not be empty"),
    ],
)
def test_bad_prompt_field(taxonomy, field, value, message):
    """A prompt field outside its allowed values names the row, the key and the valid values."""
    with pytest.raises(ConfigError, match=rf"src\.jsonl: prompts row 1: {re.escape(message)}"):
        build(taxonomy, prompts=[PROMPTS[0], {**PROMPTS[1], field: value}])


@pytest.mark.parametrize(
    "table,field", [("prompts", "text"), ("prompts", "suite"), ("questions", "node_id"), ("questions", "text")]
)
def test_missing_field(tmp_path, taxonomy, table, field):
    """A row without a required field names the source, the row and the key (a missing key reads as null)."""
    prompts = [PROMPTS[0], {k: v for k, v in PROMPTS[1].items() if not (table == "prompts" and k == field)}]
    questions = [QUESTIONS[0], {k: v for k, v in QUESTIONS[1].items() if not (table == "questions" and k == field)}]
    folder = make_suite(tmp_path / "s", prompts=prompts, questions=questions)
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(folder))}: {table}\.jsonl line 2.*key '{field}': "
        "Field required",
    ):
        load_suite(str(folder), taxonomy)


def test_missing_key_in_a_row_mapping(taxonomy):
    """A row mapping without a required key says the field is required."""
    question = {k: v for k, v in QUESTIONS[0].items() if k != "value"}
    with pytest.raises(ConfigError, match=r"src\.jsonl: questions row 0: key 'value': Field required"):
        build(taxonomy, questions=[question])


# -- source faults ----------------------------------------------------------------------------------


def test_suite_path_that_is_a_file(tmp_path, taxonomy):
    """A suite given as a plain file says what a suite is."""
    path = write_jsonl(tmp_path / "prompts.jsonl", PROMPTS)
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: a suite is a folder holding prompts\.jsonl"):
        load_suite(str(path), taxonomy)


def test_folder_without_a_prompts_file(tmp_path, taxonomy):
    """A folder with no prompts table says which file it looked for."""
    folder = tmp_path / "empty"
    folder.mkdir()
    write_jsonl(folder / "questions.jsonl", QUESTIONS)
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(folder))}: no prompts\.jsonl or prompts\.parquet in the "
        "suite folder",
    ):
        load_suite(str(folder), taxonomy)


def test_folder_without_a_questions_file(tmp_path, taxonomy):
    """A folder with prompts but no questions table names the questions file."""
    folder = tmp_path / "half"
    folder.mkdir()
    write_jsonl(folder / "prompts.jsonl", PROMPTS)
    with pytest.raises(ConfigError, match=r"no questions\.jsonl or questions\.parquet in the suite folder"):
        load_suite(str(folder), taxonomy)


@pytest.mark.parametrize("name", ["./no-such-suite", "/no/such/suite", "no-such-suite.jsonl"])
def test_nonexistent_local_path(taxonomy, name, tmp_path, monkeypatch):
    """A path-like suite that does not exist is 'not found', not a Hub lookup."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=rf"{re.escape(str(Path(name)))}: suite folder not found"):
        load_suite(name, taxonomy)


def test_malformed_jsonl_names_the_line(tmp_path, taxonomy):
    """A line that is not JSON is named by its 1-based number in the file, not only as an unreadable table."""
    folder = make_suite(tmp_path / "s")
    lines = [json.dumps(PROMPTS[0]), "", '{"id": "p2", "text": ']
    (folder / "prompts.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(
        ConfigError, match=rf"^{re.escape(str(folder))}: prompts\.jsonl line 3: not valid JSON \(Expecting value"
    ):
        load_suite(str(folder), taxonomy)


def test_a_jsonl_line_that_is_not_an_object(tmp_path, taxonomy):
    folder = make_suite(tmp_path / "s")
    (folder / "questions.jsonl").write_text(json.dumps(QUESTIONS[0]) + "\n" + json.dumps(["q2", "p1"]) + "\n")
    with pytest.raises(
        ConfigError, match=r"questions\.jsonl line 2: a row must be a JSON object \(\{\.\.\.\}\), not a JSON list"
    ):
        load_suite(str(folder), taxonomy)


@pytest.mark.parametrize("card", [False, True])
def test_a_row_fault_names_its_line_in_the_file(tmp_path, taxonomy, card):
    """Blank lines count: the message gives the line an editor shows, with or without a dataset card."""
    folder = make_suite(tmp_path / "s")
    if card:
        (folder / "README.md").write_text(CARD)
    rows = [PROMPTS[0], {**PROMPTS[1], "suite": "script"}]
    (folder / "prompts.jsonl").write_text("\n" + json.dumps(rows[0]) + "\n\n  \n" + json.dumps(rows[1]) + "\n")
    with pytest.raises(
        ConfigError,
        match=rf"^{re.escape(str(folder))}: prompts\.jsonl line 5: key 'suite': Input should be 'scripts', 'visuals' "
        "or 'multishot'",
    ):
        load_suite(str(folder), taxonomy)


def test_a_parquet_row_fault_names_its_row(tmp_path, taxonomy):
    """A parquet table has no lines: a fault names the 0-based row."""
    import datasets

    folder = tmp_path / "pq"
    folder.mkdir()
    datasets.Dataset.from_list(PROMPTS).to_parquet(str(folder / "prompts.parquet"))
    datasets.Dataset.from_list([QUESTIONS[0], {**QUESTIONS[1], "prompt_id": "p9"}]).to_parquet(
        str(folder / "questions.parquet")
    )
    with pytest.raises(ConfigError, match=r"questions row 1 \(question 'q2'\): prompt_id 'p9'"):
        load_suite(str(folder), taxonomy)


def test_hub_id_offline_fails_fast(taxonomy):
    """A Hub id while offline (HF_HUB_OFFLINE=1) is a quick ConfigError, not a hang."""
    start = time.monotonic()
    with pytest.raises(ConfigError, match=r"someone/no-such-suite: cannot load the 'prompts' table"):
        load_suite("someone/no-such-suite@v1", taxonomy)
    assert time.monotonic() - start < 10
