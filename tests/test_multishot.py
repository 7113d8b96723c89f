"""Multi-shot scripts: the bundled file, the schema's faults, the vocabulary → taxonomy map, and rendering with cuts.

Rendering runs at 64x64 pixels. Frame differences in the mp4 test are computed here from the decoded frames,
independently of :func:`scine_eval.multishot.render.cut_difference`.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scine_eval.contracts.metric import MetricVideo
from scine_eval.errors import ConfigError
from scine_eval.multishot.render import (
    CUT_RATIO,
    MOTION_FLOOR,
    cut_difference,
    render_script,
    render_script_frames,
)
from scine_eval.multishot.script import (
    CAMERA_MOVEMENTS,
    ELEMENTS,
    SHOT_TYPES,
    TIMES_OF_DAY,
    VOCABULARIES,
    Script,
    Shot,
    controls_for_shot,
    load_scripts,
)
from scine_eval.stimuli import render, resolve_controls
from scine_eval.stimuli.controls import expressible
from scine_eval.stimuli.spec import Stimulus
from scine_eval.taxonomy import load_taxonomy
from scine_eval.video import decode, probe

SIZE = "camera.creative_intent.shot_size"
MOVE_3D = "camera.trajectory.movement_3d"


def shot(index: int, start: float, end: float, **fields) -> dict:
    return {"index": index, "start_s": start, "end_s": end, "shot_type": "wide", "camera_movement": "static",
            "action": "Ana waits by the door.", **fields}  # fmt: skip


def row(**fields) -> dict:
    """A valid two-shot script row; ``fields`` replace its keys."""
    base = {
        "id": "t-1",
        "title": "Waiting",
        "scene": "A station hall at night, lit by cold fluorescent tubes.",
        "characters": [{"name": "Ana", "description": "A woman of thirty in a red coat."}],
        "shots": [
            shot(1, 0, 2),
            shot(2, 2, 4.5, shot_type="close-up", camera_movement="push in",
                 dialogue=[{"speaker": "Ana", "line": "He's late.", "note": "to herself"}]),
        ],
    }  # fmt: skip
    return {**base, **fields}


def script_of(*shots: tuple[str, str, float], **fields) -> Script:
    """A script of (shot type, movement, seconds) shots, time codes laid end to end."""
    rows, start = [], 0.0
    for index, (shot_type, movement, seconds) in enumerate(shots, start=1):
        rows.append(shot(index, start, start + seconds, shot_type=shot_type, camera_movement=movement))
        start += seconds
    return Script.model_validate(row(shots=rows, **fields))


# ------------------------------------------------------------------------------------------------ bundled file


@pytest.fixture(scope="module")
def bundled() -> tuple[Script, ...]:
    return load_scripts()


def test_bundled_scripts_load_with_three_to_six_contiguous_shots(bundled):
    assert len(bundled) >= 30
    assert len({s.id for s in bundled}) == len(bundled)
    assert len({s.genre for s in bundled}) >= 10
    for script in bundled:
        assert 3 <= len(script.shots) <= 6, script.id
        assert script.shots[0].start_s == 0, script.id
        for before, after in zip(script.shots, script.shots[1:], strict=False):
            assert after.start_s == before.end_s, (script.id, after.index)
            assert after.index == before.index + 1
            # consecutive shots differ in size or framing: no jump cuts in the bundled suite
            assert (before.shot_type, before.framing) != (after.shot_type, after.framing), (script.id, after.index)
        assert all(s.end_s > s.start_s for s in script.shots)
        assert len({s.shot_type for s in script.shots}) >= 3, script.id
        assert len({s.camera_movement for s in script.shots}) >= 2, script.id
        assert script.characters and all(len(c.description) > 40 for c in script.characters), script.id
        assert any(s.dialogue for s in script.shots), script.id
        assert all(s.blocking for s in script.shots), script.id


def test_every_vocabulary_term_maps_to_taxonomy_leaf_values():
    taxonomy = load_taxonomy()
    for vocabulary in VOCABULARIES:
        for term, entry in vocabulary.terms.items():
            assert entry.controls, (vocabulary.name, term)
            for leaf, value in entry.controls:
                assert leaf in taxonomy and taxonomy[leaf].is_leaf, (vocabulary.name, term, leaf)
                assert taxonomy.canonical_value(leaf, value) == value, (vocabulary.name, term, value)
        for alias, term in vocabulary.aliases.items():
            assert vocabulary.canonical(alias) == term
    # the closed leaves the schema copies follow the taxonomy exactly
    assert set(SHOT_TYPES.terms) == set(taxonomy[SIZE].values)
    assert set(TIMES_OF_DAY.terms) == set(taxonomy["setup.set_design.backdrop.time_of_day"].values)
    assert set(ELEMENTS.terms) == set(taxonomy["setup.set_design.environment.elements"].values)


def test_bundled_controls_are_taxonomy_values_one_per_leaf(bundled):
    taxonomy = load_taxonomy()
    for script in bundled:
        for i in range(len(script.shots)):
            pairs = script.controls(i)
            leaves = [leaf for leaf, _ in pairs]
            assert len(leaves) == len(set(leaves)), (script.id, i, pairs)
            assert all(taxonomy.canonical_value(leaf, value) == value for leaf, value in pairs)
            assert pairs[0] == (SIZE, script.shots[i].shot_type)


def test_bundled_scripts_render_with_a_visible_cut_at_every_time_code(bundled):
    for script in bundled:
        _, shots = render_script_frames(script, 0, fps=6, size=64)
        assert [(s.start_s, s.end_s) for s in shots] == list(script.boundaries()), script.id
        for before, after in zip(shots, shots[1:], strict=False):
            assert after.cut_difference >= CUT_RATIO * MOTION_FLOOR, (script.id, after.index)
            steady = {before.resolution.stimulus.light_motion, after.resolution.stimulus.light_motion} == {"steady"}
            if steady:  # light that flickers or pulses can change the picture as much as a cut
                assert after.cut_shows, (script.id, after.index, after.cut_difference, before.motion, after.motion)


# ------------------------------------------------------------------------------------------------ faults


def write_rows(tmp_path: Path, bad: dict | str) -> Path:
    """Line 1 a good script, line 2 blank, line 3 ``bad``."""
    file = tmp_path / "scripts.jsonl"
    third = bad if isinstance(bad, str) else json.dumps(bad)
    file.write_text(json.dumps(row()) + "\n\n" + third + "\n", encoding="utf-8")
    return file


def with_shot(position: int, **fields) -> dict:
    shots = [dict(s) for s in row()["shots"]]
    shots[position].update(fields)
    return row(id="t-2", shots=shots)


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (with_shot(1, shot_type="mega close"),
         ["line 3 (script 't-2')", "key 'shots.1.shot_type' (shot 2)", "'mega close' is not a shot type",
          "valid: extreme wide, wide, full"]),
        (with_shot(0, camera_movement="whip pan"),
         ["key 'shots.0.camera_movement' (shot 1)", "'whip pan' is not a camera movement", "push in"]),
        (with_shot(1, lighting=["purple haze"]), ["key 'shots.1.lighting.0' (shot 2)", "'purple haze'", "candlelight"]),
        (with_shot(1, lighting=["direct light", "low-key"]),
         ["'direct light' and 'low-key' both set lighting.effects.hard_shadows"]),
        (with_shot(1, start_s=2.5), ["key 'shots'", "shot 2 starts at 2.5 s but shot 1 ends at 2 s", "contiguous"]),
        (with_shot(0, start_s=1, end_s=2), ["key 'shots'", "shot 1 starts at 1 s; the first shot starts at 0 s"]),
        (with_shot(1, end_s=1.5), ["key 'shots.1.end_s' (shot 2)", "1.5 must be after start_s (2)"]),
        (with_shot(1, index=3), ["shot 2 has index 3"]),
        (with_shot(1, start_s="soon"), ["key 'shots.1.start_s' (shot 2)", "valid number", "(got 'soon')"]),
        (with_shot(0, camera_move="pan left"), ["key 'shots.0.camera_move' (shot 1)", "unknown key",
                                                 "valid keys: index, start_s"]),
        (with_shot(1, dialogue=[{"speaker": "Bob", "line": "Hi."}]),
         ["shot 2: speaker 'Bob' is not a character; characters: Ana"]),
        (row(id="t-2", shots=[{k: v for k, v in shot(1, 0, 2).items() if k != "action"}]),
         ["key 'shots.0.action' (shot 1)", "Field required"]),
        (row(id="t-2", shots=[]), ["key 'shots'", "at least 1"]),
        (row(id="t-2", time_of_day="brunch"), ["key 'time_of_day'", "'brunch' is not a time of day", "late night"]),
        (row(id="t-1"), ["line 3 (script 't-1')", "duplicate script id (first on line 1)"]),
        ('{"id": "t-2", "title": ', ["line 3:", "not valid JSON"]),
        ("[1, 2]", ["line 3:", "must be a JSON object"]),
    ],
)  # fmt: skip
def test_a_bad_row_names_the_file_line_key_and_what_is_valid(tmp_path, bad, expected):
    file = write_rows(tmp_path, bad)
    with pytest.raises(ConfigError) as caught:
        load_scripts(file)
    message = str(caught.value)
    assert message.startswith(str(file))
    for part in expected:
        assert part in message, message


def test_missing_and_empty_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="scripts file not found"):
        load_scripts(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no scripts"):
        load_scripts(tmp_path / "empty.jsonl")


def test_terms_are_matched_forgivingly_and_stored_canonically(tmp_path):
    script = Script.model_validate(
        row(
            shots=[
                shot(1, 0, 3, shot_type="Establishing Shot", camera_movement="Handheld Camera Effect"),
                shot(
                    2,
                    3,
                    5,
                    shot_type="Medium Close-Up",
                    camera_movement="Arc Shot",
                    framing="OTS",
                    lighting=["Rim Light", "LOW_KEY"],
                ),
            ]
        )  # fmt: skip
    )
    first, second = script.shots
    assert (first.shot_type, first.camera_movement) == ("extreme wide", "handheld")
    assert (second.shot_type, second.camera_movement, second.framing) == ("medium close-up", "arc", "over-the-shoulder")
    assert second.lighting == ("backlight", "low-key")


# ------------------------------------------------------------------------------------------------ controls, texts


def test_controls_for_shot_maps_known_examples():
    def of(**fields) -> list[tuple[str, str]]:
        return controls_for_shot(Shot.model_validate(shot(1, 0, 2, **fields)))

    assert of(shot_type="close-up", camera_movement="push in", lighting=["candlelight", "backlight"]) == [
        (SIZE, "close-up"),
        (MOVE_3D, "push in"),
        ("lighting.conditions", "candlelight"),
        ("lighting.position", "back"),
    ]
    assert of(shot_type="medium", framing="two-shot", camera_movement="static") == [
        (SIZE, "medium"),
        ("camera.creative_intent.framing", "two-shot"),
        ("camera.trajectory.static", "locked-off"),
    ]
    assert of(camera_movement="pan left") == [(SIZE, "wide"), ("camera.trajectory.movement_2d", "pan left")]
    assert of(camera_movement="handheld")[1] == ("camera.trajectory.gear", "handheld")
    assert of(camera_movement="crane down")[1] == (MOVE_3D, "crane")
    assert of(shot_type="cowboy shot")[0] == (SIZE, "medium wide")
    assert of(lighting=["streetlight", "cool"])[2:] == [
        ("lighting.source.artificial", "HID"),
        ("lighting.color_temperature", "cool"),
    ]
    # the renderer draws every shot size and the moves it has; framing it judges but does not draw
    assert all(expressible(*pair) for term in SHOT_TYPES.terms.values() for pair in term.controls)
    for movement in ("static", "handheld", "pan left", "tilt up", "zoom in", "push in", "pull out", "roll", "trucking"):
        assert all(expressible(*pair) for pair in CAMERA_MOVEMENTS[movement].controls), movement
    assert not expressible("camera.creative_intent.framing", "two-shot")


def test_scene_controls_fill_in_the_leaves_a_shot_leaves_unset():
    script = Script.model_validate(
        row(
            time_of_day="night",
            element="rain",
            lighting=["warm", "low-key"],
            shots=[shot(1, 0, 2), shot(2, 2, 4, shot_type="close-up", lighting=["cool"])],
        )  # fmt: skip
    )
    assert script.controls(0)[2:] == [
        ("lighting.color_temperature", "warm"),
        ("lighting.effects.hard_shadows", "low-key"),
        ("setup.set_design.backdrop.time_of_day", "night"),
        ("setup.set_design.environment.elements", "rain"),
    ]
    second = script.controls(1)
    assert ("lighting.color_temperature", "cool") in second and ("lighting.color_temperature", "warm") not in second
    # the renderer honours the shot's word over what night implies, and draws the scene's sky and rain
    drawn = resolve_controls(second).stimulus
    assert drawn.kelvin > 9000 and drawn.sky == "night" and drawn.rain and drawn.key == "low"
    assert resolve_controls(script.controls(0)).stimulus.kelvin < 4000


def test_texts_for_models_and_judges():
    script = Script.model_validate(row(time_of_day="night"))
    text = script.shot_text(1)
    assert text == 'Close-up, camera pushes in. Ana waits by the door. Ana: "He\'s late." (to herself)'
    assert "red coat" not in text  # character profiles are the same for every shot: not in the alignment text
    prompt = script.prompt_text()
    lines = prompt.splitlines()
    assert lines[0].startswith("Waiting. A station hall at night") and "Time of day: night." in lines[0]
    assert lines[1:3] == ["Characters:", "- Ana: A woman of thirty in a red coat."]
    assert lines[3].startswith("Shot 1 [0s-2s]: Wide shot, static camera. Ana waits by the door.")
    assert lines[4].startswith("Shot 2 [2s-4.5s]: Close-up, camera pushes in.") and lines[4].endswith("(to herself)")
    single = script.shot_prompt(1)
    assert single.startswith("Shot 2 of 2, 2.5 seconds.") and "red coat" in single and "Shot 1" not in single
    spans = script.shot_spans()
    assert spans == ((script.shot_text(0), 0.0, 2.0), (text, 2.0, 4.5))
    assert MetricVideo(Path("v.mp4"), script.id, 0, prompt, shots=spans).shots[1][1:] == (2.0, 4.5)


def test_importing_the_schema_loads_no_heavy_package():
    code = "import sys, scine_eval.multishot.script; print(sorted({'torch', 'numpy', 'av'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------------------------------------------ rendering


def test_a_three_shot_script_renders_to_one_mp4_with_cuts_exactly_at_its_time_codes(tmp_path):
    script = script_of(("extreme wide", "static", 2.0), ("medium", "pull out", 1.5), ("close-up", "tilt up", 2.5))
    rendered = render_script(script, tmp_path / "script.mp4", seed=0, size=64, shots_dir=tmp_path / "shots")
    assert rendered.boundaries == ((0.0, 2.0), (2.0, 3.5), (3.5, 6.0))
    info = probe(rendered.path)
    assert (info.width, info.height, info.fps) == (64, 64, 12)
    assert info.duration == pytest.approx(sum(s.duration for s in script.shots)) and info.n_frames == 72
    assert [probe(s.path).n_frames for s in rendered.shots] == [24, 18, 30]

    frames = decode(rendered.path, fps=None).frames.astype(np.float32)
    differences = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))  # frame i vs i+1, every pixel
    cuts = [23, 41]  # last frames of shots 1 and 2
    within = np.delete(differences, cuts)
    assert sorted(np.argsort(differences)[-2:].tolist()) == cuts
    assert differences[cuts].min() > 3 * within.max(), (differences[cuts], within.max())
    assert within.max() > 0  # the moving shots do move
    assert [s.world for s in rendered.shots] == [rendered.shots[0].world] * 3  # one world: no cut needed help


def test_identical_consecutive_shots_are_cut_to_a_fresh_world():
    script = script_of(("close-up", "static", 1.0), ("close-up", "static", 1.0), ("close-up", "zoom in", 1.0))
    frames, shots = render_script_frames(script, 3, size=64)
    # without the rule the cut would be invisible: the same stimulus in the same world draws the same pixels
    again = render(shots[1].resolution.stimulus, shots[0].world)
    assert cut_difference(frames[11], again[0]) == 0
    assert shots[1].world != shots[0].world
    for shot in shots[1:]:
        assert shot.cut_shows and shot.cut_difference >= CUT_RATIO * MOTION_FLOOR
    repeat, _ = render_script_frames(script, 3, size=64)
    assert np.array_equal(frames, repeat)  # deterministic, fresh worlds included


def test_a_shot_too_short_to_render_is_named():
    script = script_of(("wide", "static", 1.0), ("close-up", "static", 0.25), ("medium", "static", 1.0))
    with pytest.raises(ValueError, match=r"shot 2 \[1s-1.25s\] cannot be rendered at 12 fps"):
        render_script_frames(script, size=64)
    assert Stimulus(duration=0.5).duration == 0.5  # the renderer's own floor, which the message passes on
