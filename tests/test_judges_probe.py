"""The weight-free probe judge on rendered clips: right ordering, honest abstentions."""

from __future__ import annotations

import numpy as np
import pytest

from scine_eval.contracts.judge import JudgeItem
from scine_eval.judges.probe import RULES, Band, ProbeJudge, Ramp
from scine_eval.stimuli import Stimulus, render
from scine_eval.suite import Prompt, Question
from scine_eval.taxonomy import Node
from scine_eval.video import sha256_file, write_video

CLIP = Stimulus(duration=3.0, fps=8, size=96)


@pytest.fixture(scope="module")
def judge():
    return ProbeJudge(fps=8)


def clip(tmp_path, name, frames=None, fps=8, **changes):
    path = tmp_path / f"{name}.mp4"
    write_video(path, render(CLIP.with_(**changes), 11) if frames is None else frames, fps=fps)
    return path


def item(taxonomy, path, node_id, value):
    prompt = Prompt(id="p", text="a shot", suite="visuals")
    question = Question(id="p:q", prompt_id="p", node_id=node_id, value=value, text=f"Is it {value}?")
    return JudgeItem(path, sha256_file(path), 0, prompt, question, taxonomy[node_id], "default")


def scores(judge, taxonomy, path, asks):
    return [j.score for j in judge.score([item(taxonomy, path, node, value) for node, value in asks])]


def test_ramp_and_band_map_onto_the_scale():
    ramp = Ramp("mired", 150, 210)
    assert ramp.score(100) == 1 and ramp.score(300) == 5 and ramp.score(180) == pytest.approx(3)
    falling = Ramp("luma_mean", 0.5, 0.3)
    assert falling.score(0.2) == 5 and falling.score(0.6) == 1
    band = Band("mired", 75, 100, 150, 210)
    assert band.score(120) == 5 and band.score(60) == 1 and band.score(300) == 1
    assert band.score(87.5) == pytest.approx(3)


def test_compliant_clips_outscore_violating_ones(judge, taxonomy, tmp_path):
    asks = [
        ("lighting.color_temperature", "warm"),
        ("lighting.effects.soft_shadows", "high-key"),
        ("camera.trajectory.movement_2d", "pan left"),
        ("camera.trajectory.static", "locked-off"),
        ("lighting.advanced.motion", "flickering"),
    ]
    follows = scores(judge, taxonomy, clip(tmp_path, "follows", kelvin=3200, key="high", move="pan left",
                                            light_motion="flickering"), asks)  # fmt: skip
    violates = scores(judge, taxonomy, clip(tmp_path, "violates", kelvin=10000, key="low", move="pan right"), asks)
    static = scores(judge, taxonomy, clip(tmp_path, "static"), asks)
    assert min(follows[:3]) >= 4 and violates[:3] == [1.0, 1.0, 1.0]
    assert static[3] > follows[3] and static[3] > violates[3]  # locked-off: only the static clip
    assert follows[4] > static[4]


def test_abstains_with_reasons_on_what_it_cannot_measure(judge, taxonomy, tmp_path):
    path = clip(tmp_path, "plain")
    arc, = judge.score([item(taxonomy, path, "camera.trajectory.movement_3d", "arc")])
    assert arc.score is None and "cannot measure 'arc'" in arc.reason and "push in" in arc.reason
    assert not judge.covers(taxonomy["camera.intrinsics.lens_size"])
    assert judge.covers(taxonomy["lighting.color_temperature"])


def test_too_dark_video_gets_none_never_a_made_up_score(judge, taxonomy, tmp_path):
    dark = np.full((24, 96, 96, 3), 4, np.uint8)
    path = clip(tmp_path, "dark", frames=dark)
    out = judge.score([item(taxonomy, path, node, value) for node, value in
                       [("lighting.effects.hard_shadows", "low-key"), ("lighting.color_temperature", "warm"),
                        ("camera.trajectory.static", "locked-off")]])  # fmt: skip
    assert all(j.score is None and j.reason.startswith("too dark to measure") for j in out)


def test_too_short_video_abstains_on_time_but_not_on_colour(judge, taxonomy, tmp_path):
    path = clip(tmp_path, "short", frames=render(CLIP.with_(kelvin=3000), 11)[:4])
    motion, flicker, colour = judge.score([item(taxonomy, path, n, v) for n, v in
                                           [("camera.trajectory.movement_2d", "pan left"),
                                            ("lighting.advanced.motion", "pulsing"),
                                            ("lighting.color_temperature", "warm")]])  # fmt: skip
    assert motion.score is None and "too short" in motion.reason
    assert flicker.score is None and "too short" in flicker.reason
    assert colour.score == 5.0 and colour.raw["reading"] == "mired" and colour.raw["value"] > 210


def test_unreadable_video_abstains(judge, taxonomy, tmp_path):
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"not a video at all")
    [judgement] = judge.score([item(taxonomy, path, "lighting.color_temperature", "warm")])
    assert judgement.score is None and judgement.reason.startswith("cannot decode")


def test_rules_name_real_leaves_values_and_readings(taxonomy):
    from scine_eval.probes.readings import READINGS

    for node_id, values in RULES.items():
        for value, rule in values.items():
            assert value in taxonomy[node_id].values
            assert rule.reading in READINGS


def test_spec_changes_with_sampling(judge):
    assert ProbeJudge(fps=8).fingerprint == judge.fingerprint
    assert ProbeJudge(fps=6).fingerprint != judge.fingerprint
    with pytest.raises(ValueError):
        ProbeJudge(fps=0)


def test_the_docs_give_every_rule_with_its_points():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "probe.md").read_text(encoding="utf-8")
    rows = {tuple(cell.strip(" `") for cell in line.split("|")[1:3]): line for line in text.splitlines()
            if line.startswith("| `")}  # fmt: skip
    for node_id, values in RULES.items():
        for value, rule in values.items():
            row = rows.get((node_id, value))
            assert row is not None, (node_id, value)
            points = rule.describe().get("band_1_5_5_1") or [rule.describe()["at_1"], rule.describe()["at_5"]]
            assert all(f"{p:g}" in row for p in points), (row, points)


DIRECTED_ROLL = Node(
    id="camera.trajectory.roll_direction", name="Roll direction", description="Which way the camera rolls.",
    provenance="reconstructed", parent="camera.trajectory", children=(),
    values=("roll clockwise", "roll counter-clockwise", "roll left"), question="Does the camera {value}?",
)  # fmt: skip
"""A leaf as a swapped-in taxonomy might have it (the bundled ``roll`` has no direction)."""


def test_roll_direction_is_measured_both_ways_on_the_rendered_roll(judge, taxonomy, tmp_path):
    frames = render(CLIP.with_(move="roll"), 11)  # the renderer rolls one way; played backwards it rolls the other
    ahead, back = clip(tmp_path, "roll", frames=frames), clip(tmp_path, "unroll", frames=frames[::-1].copy())
    asks = [(DIRECTED_ROLL, "roll clockwise"), (DIRECTED_ROLL, "roll counter-clockwise"), (DIRECTED_ROLL, "roll left")]
    for path, expected in ((ahead, [1.0, 5.0]), (back, [5.0, 1.0])):
        clockwise, counter, left = judge.score([directed_item(path, node, value) for node, value in asks])
        assert [clockwise.score, counter.score] == expected and clockwise.raw["reading"] == "roll_clockwise"
        assert left.score is None and "left and right" in left.reason
    [plain] = judge.score([item(taxonomy, ahead, "camera.trajectory.movement_3d", "roll")])
    [reverse] = judge.score([item(taxonomy, back, "camera.trajectory.movement_3d", "roll")])
    assert plain.score == reverse.score == 5.0  # the bundled roll counts either way and logs which
    assert plain.raw["clockwise_degrees"] < -10 < 10 < reverse.raw["clockwise_degrees"]


def test_roll_direction_covers_only_camera_leaves_that_name_a_direction(judge, taxonomy):
    from dataclasses import replace

    from scine_eval.judges.probe import roll_direction

    assert judge.covers(DIRECTED_ROLL)
    assert roll_direction(DIRECTED_ROLL, "roll anti-clockwise") == "counter-clockwise"
    assert roll_direction(DIRECTED_ROLL, "Counterclockwise roll") == "counter-clockwise"
    assert roll_direction(DIRECTED_ROLL, "clockwise roll") == "clockwise"
    assert roll_direction(DIRECTED_ROLL, "roll right") == "ambiguous"
    spinning = replace(DIRECTED_ROLL, id="camera.trajectory.roll", name="Roll", values=("clockwise", "anticlockwise"))
    assert roll_direction(spinning, "clockwise") == "clockwise" and judge.covers(spinning)
    assert roll_direction(taxonomy["camera.trajectory.movement_3d"], "roll") is None  # no direction asked
    events = replace(DIRECTED_ROLL, id="events.actions.roll")
    assert roll_direction(events, "roll clockwise") is None and not judge.covers(events)


def directed_item(path, node, value):
    prompt = Prompt(id="p", text="a shot", suite="visuals")
    question = Question(id=f"p:{value}", prompt_id="p", node_id=node.id, value=value, text=node.question_for(value))
    return JudgeItem(path, sha256_file(path), 0, prompt, question, node, "default")


def test_the_docs_give_the_roll_direction_points():
    from pathlib import Path

    from scine_eval.judges.probe import ROLL_DIRECTIONS

    text = (Path(__file__).resolve().parents[1] / "docs" / "probe.md").read_text(encoding="utf-8")
    for direction, rule in ROLL_DIRECTIONS.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| roll {direction} |")), None)
        assert row is not None and f"{rule.at_1:g}" in row and f"{rule.at_5:g}" in row, direction
