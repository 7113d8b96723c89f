"""The second held-out set (other voices, weighted to Events) and what the lexicon mapper reads of Events."""

from __future__ import annotations

import json

import pytest

from scine_eval.errors import ConfigError
from scine_eval.readers import bundled_path
from scine_eval.suites.mapping.lexicon import LexiconMapper, cue_variants, dialogue_controls, normalise
from scine_eval.suites.mapping.quality import BUNDLED_GOLD, bundled_gold, load_gold, mapping_quality
from scine_eval.suites.phrases import Entry, PhraseBank, load_phrase_bank
from scine_eval.suites.sources import load_scripts

# Measured when written (docs/suite-building.md): the floors sit a little under, so a regression fails.
EVENTS_RECALL = {"heldout_voice": 0.66, "heldout_voice (untouched)": 0.58, "heldout": 0.73}  # 69.2, 61.9, 76.6 %
PRECISION = {
    "heldout_voice": {"camera": 0.95, "lighting": 0.84, "setup": 0.87, "events": 0.86},  # 100, 88.2, 91.2, 89.7 %
    "heldout_voice (untouched)": {"camera": 0.95, "lighting": 0.85, "setup": 0.84, "events": 0.83},  # 100, 90, 89, 87
    "heldout": {"camera": 0.94, "lighting": 0.91, "setup": 0.75, "events": 0.83},  # 97.3, 94.7, 78.5, 86.8 %
}
LEGACY_SHARED_CUES = {"serene", "tranquil", "wistful", "sun sets"}
"""Cues the Events bank shared with the setup bank before the Events cues grew: dropped on both sides."""


@pytest.fixture(scope="module")
def voice(taxonomy):
    return load_gold(bundled_gold("heldout_voice"), taxonomy)


@pytest.fixture(scope="module")
def mapper(taxonomy):
    return LexiconMapper(taxonomy)


@pytest.fixture(scope="module")
def reports(taxonomy, mapper, voice):
    """The bundled sets' reports, the untouched half scored on the whole set's leaves (as the CLI does)."""
    heldout = load_gold(bundled_gold("heldout"), taxonomy)
    leaves = {node for example in voice for node, _ in example.labels}
    untouched = [e for e in voice if e.split == "untouched"]
    return {
        "heldout": mapping_quality(mapper, heldout, taxonomy),
        "heldout_voice": mapping_quality(mapper, voice, taxonomy),
        "heldout_voice (untouched)": mapping_quality(mapper, untouched, taxonomy, leaves),
    }


def controls(mapper, text):
    return [(c.node, c.value) for c in mapper.map([text])[0].controls]


# -- the set --------------------------------------------------------------------------------------------


def test_the_voice_set_loads_validated_split_and_weighted_to_events(voice, taxonomy):
    assert len(voice) >= 120 and "heldout_voice" in BUNDLED_GOLD
    voices = {e.voice for e in voice}
    assert len(voices) >= 10
    for name in voices:  # every voice is in both halves, so the untouched half is no easier than the dev half
        assert {e.split for e in voice if e.voice == name} == {"dev", "untouched"}
    assert sum(e.split == "dev" for e in voice) == sum(e.split == "untouched" for e in voice)
    pillars = [taxonomy[node].pillar for e in voice for node, _ in e.labels]
    assert pillars.count("events") / len(pillars) > 0.5
    assert all(any(taxonomy[node].pillar == "events" for node, _ in e.labels) for e in voice)
    events_leaves = {node for e in voice for node, _ in e.labels if node.startswith("events.")}
    assert events_leaves == {leaf.id for leaf in taxonomy.leaves() if leaf.pillar == "events"}


def test_the_voice_set_is_not_written_like_the_bundled_prompts(voice, taxonomy):
    old = {e.text for e in load_gold(bundled_gold("heldout"), taxonomy)}
    scripts = {s.text for s in load_scripts(bundled_path("scripts"), taxonomy)}
    assert not {e.text for e in voice} & (old | scripts)


GOOD = {"id": "x-1", "text": "She runs.", "labels": [["events.actions.standalone", "running"]]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": [["events.pace", "fast"]]}, "'events.pace' is not a taxonomy leaf"),
        ({"labels": [["events.advanced.rhythm.pace", "medium"]]}, "medium"),
        ({"labels": [["events.advanced.rhythm.pace", "fast"], ["events.advanced.rhythm.pace", "slow"]]},
         "labelled twice"),
        ({"id": "x-1"}, "used twice"),
        ({"split": "test"}, "split 'test'"),
        ({"labels": "fast"}, "expected"),
    ],
)  # fmt: skip
def test_bad_gold_rows_name_the_file_and_line(tmp_path, taxonomy, change, message):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "x-2", **change}) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as error:
        load_gold(path, taxonomy)
    assert "line 2" in str(error.value) and "gold.jsonl" in str(error.value)


# -- floors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EVENTS_RECALL))
def test_events_recall_stays_above_its_floor(reports, name):
    assert reports[name]["pillars"]["events"]["recall"] >= EVENTS_RECALL[name]


@pytest.mark.parametrize("name", list(PRECISION))
def test_precision_per_pillar_stays_above_its_floor(reports, name):
    for pillar, floor in PRECISION[name].items():
        assert reports[name]["pillars"][pillar]["precision"] >= floor, pillar


# -- how the lexicon mapper reads Events ----------------------------------------------------------------


def test_events_cues_are_read_in_other_inflections_and_pronouns():
    assert {"run", "ran", "running"} <= cue_variants("runs")
    assert "rolled their eyes" in cue_variants("rolls her eyes")
    assert cue_variants("scared") == {"scared"}  # an -ed adjective: "scar" is no fear
    assert "beam" not in cue_variants("beaming")  # a noun in prompts ("steel beams")


def test_inflections_and_structure_on_whole_prompts(mapper):
    cases = {
        "She walked to the door.": ("events.actions.standalone", "walking"),
        "Her joy turns to anger.": ("events.emotions.temporal", "sequential"),
        "Everyone in the hall cheers.": ("events.emotions.focus", "global"),
        "She picks up the cup, then walks out.": ("events.actions.temporal", "sequential"),
        "He hammers, rests, hammers again.": ("events.actions.temporal", "cyclic"),
        "She walks slowly to the door.": ("events.advanced.rhythm.pace", "slow"),
        "Nobody interrupts him as he talks and talks.": ("events.dialogues.delivery", "monologue"),
    }
    for text, control in cases.items():
        assert control in controls(mapper, text), text


def test_events_and_the_other_pillars_are_read_apart(mapper):
    found = controls(mapper, "Snow starts falling on the empty playground.")
    assert ("setup.set_design.environment.elements", "snow") in found
    assert ("events.change_in_environment", "snow starting to fall") in found
    # a tempo word next to a camera move is the camera's; the camera and the weather perform no action
    assert controls(mapper, "A slow push in on her face.") == [("camera.trajectory.movement_3d", "push in")]
    assert controls(mapper, "The camera floats over the lake.") == []
    # decoys set nothing; a scope word qualifies only its own sentence
    assert controls(mapper, "A fast food worker flips burgers.") == []
    assert "events.actions.focus" not in dict(controls(mapper, "Okay everybody, listen up. The dog runs off."))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('A soldier lowers his rifle and says quietly, "It\'s over."', [("events.dialogues.exchange", "single line")]),
        ('Two friends. A: "You came." B: "I always do."', [("events.dialogues.exchange", "multi-turn")]),
        ('She starts, "I never meant to—" and he kisses her.',
         [("events.dialogues.exchange", "single line"), ("events.dialogues.delivery", "dash")]),
        ('"I just... I don\'t know what to..."',
         [("events.dialogues.exchange", "single line"), ("events.dialogues.delivery", "ellipsis")]),
        ("MOM\nYou're late.\nDANNY\nI can explain—", [("events.dialogues.exchange", "multi-turn"),
                                                      ("events.dialogues.delivery", "dash")]),
        ('A neon sign reading "OPEN ALL NIGHT" buzzes.', []),
        ('a "vintage" look', []),
    ],
)  # fmt: skip
def test_dialogue_is_read_from_punctuation(text, expected):
    assert [(c.node, c.value) for c in dialogue_controls(text)] == expected


def test_events_cues_never_hide_another_pillars_cue(taxonomy):
    """A cue both banks use is dropped on both sides: Events cues must keep apart from the others'."""
    bank = load_phrase_bank(taxonomy)
    events = {normalise(c) for e in bank if e.node.startswith("events.") for c in e.cues}
    others = {normalise(c) for e in bank if not e.node.startswith("events.") for c in e.cues}
    assert events & others <= LEGACY_SHARED_CUES


def test_what_the_generator_reads_from_scripts_does_not_depend_on_events_cues(taxonomy, mapper):
    """Events cues cannot move the bundled suite.

    The SCINE-Visuals generator reads the scripts' camera, lighting and setup with this mapper: with the Events
    cues (all but the legacy shared ones) taken out, that reading is the same.
    """
    bank = load_phrase_bank(taxonomy)
    kept = {
        node: {value: Entry(e.node, e.value, e.tier, e.phrases, tuple(c for c in e.cues if normalise(c) in
                            LEGACY_SHARED_CUES) if node.startswith("events.") else e.cues, e.source)
               for value, e in values.items()}
        for node, values in bank.entries.items()
    }  # fmt: skip
    bare = LexiconMapper(taxonomy, PhraseBank(kept, bank.conflicts))
    texts = [s.text for s in load_scripts(bundled_path("scripts"), taxonomy)]
    for full, without in zip(mapper.map(texts), bare.map(texts), strict=True):
        assert [c for c in full.controls if not c.node.startswith("events.")] == [
            c for c in without.controls if not c.node.startswith("events.")
        ]


def test_the_mapping_command_scores_both_bundled_sets_and_the_halves(capsys):
    from scine_eval.cli import main

    assert main(["suite", "mapping", "--format", "json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert list(reports) == ["heldout", "heldout_voice", "heldout_voice (dev)", "heldout_voice (untouched)"]
    assert reports["heldout_voice (dev)"]["examples"] + reports["heldout_voice (untouched)"]["examples"] == 144
    assert main(["suite", "mapping", "--gold", "heldout_voice", "--format", "json"]) == 0
    assert list(json.loads(capsys.readouterr().out))[0] == "heldout_voice"
    assert main(["suite", "mapping", "--gold", "heldout_vioce"]) != 0
    assert "bundled: heldout, heldout_voice" in capsys.readouterr().err
