"""Phrase banks, the lexicon mapper, the Visuals generator, prompt files and suite folders."""

from __future__ import annotations

import json
import textwrap

import pytest

from scine_eval.errors import ConfigError
from scine_eval.suite import load_suite
from scine_eval.suites.augment import VisualsGenerator
from scine_eval.suites.mapping.lexicon import LexiconMapper
from scine_eval.suites.mapping.quality import GoldExample, mapping_quality
from scine_eval.suites.phrases import load_phrase_bank
from scine_eval.suites.sources import Script, load_scripts, read_prompt_file
from scine_eval.suites.writer import question_rows, write_suite

BANK = {
    "camera.yaml": """
        pillar: camera
        leaves:
          camera.trajectory.movement_2d:
            pan left: {tier: common, phrases: [The camera pans left.], cues: [pan left, pans left]}
            pan right: {tier: common, phrases: [The camera pans right.], cues: [pan right, pans right]}
            zoom in: {tier: rare, phrases: [The lens zooms in slowly.], cues: [zooms in, zoom in]}
          camera.trajectory.static:
            locked-off: {tier: common, phrases: [The camera stays locked off.], cues: [locked off, no camera movement]}
          camera.creative_intent.shot_size:
            close-up: {tier: common, phrases: [A tight close-up on the lead.], cues: [close up, closeup]}
            wide: {tier: rare, phrases: [A wide shot takes in the whole space.], cues: [wide shot]}
    """,
    "lighting.yaml": """
        pillar: lighting
        leaves:
          lighting.color_temperature:
            warm: {tier: common, phrases: [Warm tungsten light fills the frame.], cues: [warm light, tungsten]}
            cool: {tier: rare, phrases: [Cool blue light washes the scene.], cues: [cool light, cool blue light]}
    """,
    "setup.yaml": """
        pillar: setup
        leaves:
          setup.set_design.environment.elements:
            rain: {tier: common, phrases: [Rain falls steadily.], cues: [rain, raining]}
          setup.set_design.backdrop.time_of_day:
            night: {tier: common, phrases: [It is the middle of the night.], cues: [at night, night time, of the night]}
          setup.subjects.costume:
            a red raincoat: {tier: common, phrases: [The lead wears a red raincoat.], cues: [red raincoat]}
    """,
    "conflicts.yaml": """
        conflicts:
          - [camera.trajectory.static, camera.trajectory.movement_2d]
          - ["setup.set_design.backdrop.time_of_day=night", "lighting.color_temperature=warm"]
    """,
}


@pytest.fixture
def bank_dir(tmp_path):
    folder = tmp_path / "phrases"
    folder.mkdir()
    for name, text in BANK.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture
def bank(bank_dir, taxonomy):
    return load_phrase_bank(taxonomy, bank_dir)


@pytest.fixture
def mapper(taxonomy, bank):
    return LexiconMapper(taxonomy, bank)


def controls(mapper, text):
    return [(c.node, c.value) for c in mapper.map([text])[0].controls]


# -- phrase banks -----------------------------------------------------------------------------------


def test_bank_loads_with_canonical_values_and_conflicts(bank):
    assert set(bank.values("camera.trajectory.movement_2d")) == {"pan left", "pan right", "zoom in"}
    assert bank.values("setup.subjects.costume")["a red raincoat"].phrases == ("The lead wears a red raincoat.",)
    assert bank.conflicts_with(("camera.trajectory.movement_2d", "pan left"),
                               [("camera.trajectory.static", "locked-off")]) == ("camera.trajectory.static",
                                                                                 "locked-off")  # fmt: skip
    assert bank.conflicts_with(("lighting.color_temperature", "cool"), [("setup.set_design.backdrop.time_of_day",
                                                                          "night")]) is None  # fmt: skip
    # another value of the same leaf always conflicts
    assert bank.conflicts_with(("lighting.color_temperature", "cool"), [("lighting.color_temperature", "warm")])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pillar: camera\nleaves:\n  camera.trajectory.pan: {}\n", "'camera.trajectory.pan' is not a taxonomy leaf"),
        ("pillar: camera\nleaves:\n  camera.trajectory.movement_2d:\n    pan sideways: {phrases: [A pan.]}\n",
         "pan sideways"),
        ("pillar: camera\nleaves:\n  lighting.color_temperature:\n    warm: {phrases: [Warm.]}\n",
         "not in pillar 'camera'"),
        ("pillar: camera\nleaves:\n  camera.trajectory.static:\n    locked-off: {cues: [Locked Off]}\n", "lowercase"),
        ("pillar: camera\nleaves:\n  camera.trajectory.static:\n    locked-off: {phrases: [no capital.]}\n",
         "sentence"),
    ],
)
def test_bad_banks_name_the_file_leaf_and_value(tmp_path, taxonomy, text, message):
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as error:
        load_phrase_bank(taxonomy, tmp_path)
    assert "bad.yaml" in str(error.value)


def test_bad_conflict_rule_is_named(tmp_path, taxonomy):
    (tmp_path / "conflicts.yaml").write_text('conflicts:\n  - ["lighting.color_temperature=tepid", camera]\n')
    with pytest.raises(ConfigError, match="tepid"):
        load_phrase_bank(taxonomy, tmp_path)


# -- lexicon mapper ---------------------------------------------------------------------------------


def test_maps_cues_and_vocabulary(mapper):
    text = "A slow pan left across a rain-soaked street at night, in a tight close-up. The lead wears a red raincoat."
    assert controls(mapper, text) == [
        ("camera.trajectory.movement_2d", "pan left"),
        ("setup.set_design.environment.elements", "rain"),
        ("setup.set_design.backdrop.time_of_day", "night"),
        ("camera.creative_intent.shot_size", "close-up"),
        ("setup.subjects.costume", "a red raincoat"),
    ]
    # the vocabulary itself is a cue where it is unambiguous ("dolly zoom" is only a 3D movement)
    assert ("camera.trajectory.movement_3d", "dolly zoom") in controls(mapper, "a dolly-zoom on the hero")


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("not a close-up, please", "camera.creative_intent.shot_size"),
        ("the camera never pans left", "camera.trajectory.movement_2d"),
        ("a street without any rain", "setup.set_design.environment.elements"),
        ("don't use warm light", "lighting.color_temperature"),
    ],
)
def test_negated_cues_set_nothing(mapper, text, absent):
    assert absent not in dict(controls(mapper, text))


def test_a_cue_that_carries_its_negation_maps(mapper):
    assert controls(mapper, "No camera movement; she waits.") == [("camera.trajectory.static", "locked-off")]
    # negation ends with the clause
    assert controls(mapper, "No rain, but the camera pans left.") == [("camera.trajectory.movement_2d", "pan left")]


def test_first_value_of_a_leaf_wins_and_cues_need_whole_words(mapper):
    assert controls(mapper, "It pans left, then pans right.") == [("camera.trajectory.movement_2d", "pan left")]
    assert controls(mapper, "The brainstorm room") == []  # "rain" inside a word is not rain


def test_mapping_quality_counts_per_pillar(mapper, taxonomy):
    examples = [
        GoldExample("a", "a close-up with warm light", (("camera.creative_intent.shot_size", "close-up"),
                                                          ("lighting.color_temperature", "warm"))),
        GoldExample("b", "a wide shot in the rain", (("camera.creative_intent.shot_size", "extreme wide"),
                                                      ("setup.set_design.environment.elements", "rain"),
                                                      ("camera.trajectory.gear", "handheld"))),
    ]  # fmt: skip
    report = mapping_quality(mapper, examples, taxonomy)
    camera = report["pillars"]["camera"]
    assert (camera["gold"], camera["predicted"], camera["correct"]) == (3, 2, 1)
    assert camera["precision"] == 0.5 and camera["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert camera["leaf_precision"] == 1.0
    assert report["pillars"]["lighting"]["precision"] == 1.0
    assert report["overall"]["correct"] == 3 and len(report["errors"]) == 1


# -- scripts, prompt files and suite folders ----------------------------------------------------------


def script_file(tmp_path, rows):
    path = tmp_path / "scripts.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


SCRIPT = {"id": "s1", "text": "A boy runs to the window and waves.", "genre": "family", "duration": 6.0,
          "events": [["events.actions.standalone", "the boy waves"], ["events.advanced.rhythm.pace", "Fast"]]}


def test_scripts_load_with_canonical_values(tmp_path, taxonomy):
    [script] = load_scripts(script_file(tmp_path, [SCRIPT]), taxonomy)
    assert script.events[1] == ("events.advanced.rhythm.pace", "fast")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"events": [["events.pace", "fast"]]}, "'events.pace' is not a taxonomy leaf"),
        ({"events": [["events.advanced.rhythm.pace", "medium"]]}, "medium"),
        ({"genre": ""}, "genre"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_scripts_name_file_line_and_field(tmp_path, taxonomy, change, message):
    with pytest.raises(ConfigError, match=message) as error:
        load_scripts(script_file(tmp_path, [SCRIPT, {**SCRIPT, "id": "s2", **change}]), taxonomy)
    assert "line 2" in str(error.value)


def test_prompt_files_skip_and_count_empty_lines_and_duplicates(tmp_path):
    path = tmp_path / "mine.txt"
    lines = ["A pan left over the sea.", "", "   ", "A pan left  over the sea.", "A close-up of a cat."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = read_prompt_file(path)
    assert [p.text for p in read.prompts] == ["A pan left over the sea.", "A close-up of a cat."]
    assert read.empty == [2, 3] and read.duplicates == [4]


def test_non_utf8_prompt_file_is_a_clear_error(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("first line\ncaf\xe9 au lait\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8") as error:
        read_prompt_file(path)
    assert "line 2" in str(error.value) and "latin1.txt" in str(error.value)


def test_generated_visuals_follow_roles_counts_and_conflicts(taxonomy, bank, mapper):
    scripts = [Script(id=f"s{i}", text=f"A woman {verb} in the kitchen.", genre="drama", duration=6.0,
                      events=(("events.actions.standalone", verb),))
               for i, verb in enumerate(["laughs", "waits", "sings", "reads"])]  # fmt: skip
    visuals = VisualsGenerator(taxonomy, bank, mapper, seed=3).generate(scripts, per_script=6)
    assert len(visuals) == 24
    again = VisualsGenerator(taxonomy, bank, mapper, seed=3).generate(scripts, per_script=6)
    assert [v.text for v in again] == [v.text for v in visuals]  # seeded
    for v in visuals:
        pillars = {taxonomy[n].pillar for n, _ in v.controls}
        if v.role == "cinematographer":
            assert pillars <= {"camera", "lighting"}
        if v.role == "production_designer":
            assert pillars == {"setup"}
        assert len({n for n, _ in v.controls}) == len(v.controls)
        for i, control in enumerate(v.controls):
            assert bank.conflicts_with(control, v.controls[:i]) is None
        if v.difficulty == "basic":
            assert 1 <= len(v.controls) <= 4
            assert all(bank.values(n)[val].tier == "common" for n, val in v.controls)
        assert v.text.startswith(v.script.text + " ")
        # the lexicon mapper reads back every injected control from the generated text
        assert set(v.controls) <= set(controls(mapper, v.text))


def test_a_script_never_gets_a_control_its_text_contradicts(taxonomy, bank, mapper):
    night = Script(id="n", text="At night, a man walks his dog.", genre="drama", duration=5.0, events=())
    visuals = VisualsGenerator(taxonomy, bank, mapper, seed=0).generate([night], per_script=12)
    assert all(("lighting.color_temperature", "warm") not in v.controls for v in visuals)


def test_written_suite_round_trips_through_datasets(tmp_path, taxonomy):
    prompts = [{"id": "p1", "text": "A close-up in the rain.", "suite": "visuals", "role": "director",
                "difficulty": "basic", "genre": "drama", "duration": 5.0}]  # fmt: skip
    questions = question_rows("p1", [("camera.creative_intent.shot_size", "close-up"),
                                     ("setup.set_design.environment.elements", "rain"),
                                     ("camera.creative_intent.shot_size", "wide")], taxonomy)  # fmt: skip
    assert len(questions) == 2 and questions[0]["text"] == taxonomy["camera.creative_intent.shot_size"].question_for(
        "close-up")
    folder = write_suite(tmp_path / "mine", prompts, questions, "mine", "A test suite.")
    suite = load_suite(str(folder), taxonomy)
    assert list(suite.prompts) == ["p1"] and len(suite.questions) == 2
    assert "config_name: questions" in (folder / "README.md").read_text()
    import datasets

    saved = tmp_path / "saved"
    datasets.load_dataset(str(folder), "questions", split="test").save_to_disk(str(saved))
    assert datasets.load_from_disk(str(saved))["node_id"] == [q.node_id for q in suite.questions]


def test_a_rewritten_local_suite_is_read_afresh(tmp_path, taxonomy):
    """The datasets library caches local folders by path: a suite regenerated in place must not be read stale."""
    prompt = {"id": "p1", "text": "A close-up.", "suite": "visuals"}
    rows = question_rows("p1", [("camera.creative_intent.shot_size", "close-up")], taxonomy)
    folder = write_suite(tmp_path / "s", [prompt], rows, "s", "first")
    assert load_suite(str(folder), taxonomy).questions[0].value == "close-up"
    rows = question_rows("p1", [("camera.creative_intent.shot_size", "wide")], taxonomy)
    write_suite(folder, [prompt], rows, "s", "second")
    assert load_suite(str(folder), taxonomy).questions[0].value == "wide"


def test_build_command_maps_prompts_and_reports_skips(tmp_path, capsys):
    from scine_eval.cli import main

    prompts = tmp_path / "mine.txt"
    prompts.write_text("A slow pan left over a harbour at night.\n\nA slow pan left over a harbour at night.\n"
                       "A cat sleeps.\nA tight close-up, rain on the window.\n", encoding="utf-8")  # fmt: skip
    assert main(["suite", "build", "--prompts", str(prompts), "--output", str(tmp_path / "suite")]) == 0
    err = capsys.readouterr().err
    assert "1 empty line" in err and "1 duplicate" in err and "1 prompt(s) with no control found" in err
    from scine_eval.suite import load_suite as load
    from scine_eval.taxonomy import load_taxonomy

    suite = load(str(tmp_path / "suite"), load_taxonomy())
    assert len(suite.prompts) == 2
    assert ("camera.trajectory.movement_2d", "pan left") in suite.controls("p00001")


def test_mapping_quality_scores_a_part_on_the_whole_sets_leaves(mapper, taxonomy):
    """A half of a split set is scored on the leaves the whole set labels, not only on its own."""
    part = [GoldExample("a", "a close-up that pans left", (("camera.creative_intent.shot_size", "close-up"),))]
    alone = mapping_quality(mapper, part, taxonomy)
    assert alone["pillars"]["camera"]["predicted"] == 1 and alone["unscored"] == 1
    scored = mapping_quality(mapper, part, taxonomy, {"camera.creative_intent.shot_size",
                                                      "camera.trajectory.movement_2d"})  # fmt: skip
    assert scored["pillars"]["camera"]["predicted"] == 2 and scored["pillars"]["camera"]["precision"] == 0.5
