"""The synthetic stimulus renderer: controls → stimulus (with the conflict rule), and pixels that obey them."""

from __future__ import annotations

import numpy as np
import pytest

from scine_eval.probes.tone import luma
from scine_eval.stimuli import Stimulus, render, resolve_controls
from scine_eval.stimuli.controls import CONTROLS, expressible
from scine_eval.stimuli.render import kelvin_to_rgb

SMALL = Stimulus(duration=1.0, fps=8, size=64)


def test_neutral_defaults_when_nothing_is_asked():
    resolution = resolve_controls([], SMALL)
    assert resolution.stimulus == SMALL
    assert resolution.to_metadata() == {"stimulus": {}, "applied": [], "unsupported": [], "conflicts": []}


def test_controls_set_fields_and_unsupported_ones_are_listed_not_faked():
    controls = [
        ("camera.trajectory.movement_2d", "pan left"),
        ("lighting.color_temperature", "warm"),
        ("camera.intrinsics.lens_size", "fisheye"),
        ("setup.subjects.class", "a tired nurse"),
    ]
    resolution = resolve_controls(controls)
    assert resolution.stimulus.move == "pan left"
    assert resolution.stimulus.kelvin < 4000
    assert resolution.unsupported == (
        ("camera.intrinsics.lens_size", "fisheye"),
        ("setup.subjects.class", "a tired nurse"),
    )
    assert resolution.applied == tuple(controls[:2])
    assert not expressible("camera.intrinsics.lens_size", "fisheye")


def test_contradiction_first_stated_direct_control_wins_and_is_logged():
    resolution = resolve_controls([("camera.trajectory.static", "locked-off"),
                                   ("camera.trajectory.movement_2d", "pan left")])  # fmt: skip
    assert resolution.stimulus.move == "static"
    [conflict] = resolution.conflicts
    assert conflict.to_dict() == {
        "field": "move",
        "kept": ["camera.trajectory.static", "locked-off", "static"],
        "dropped": ["camera.trajectory.movement_2d", "pan left", "pan left"],
    }
    swapped = resolve_controls([("camera.trajectory.movement_2d", "pan left"),
                                ("camera.trajectory.static", "locked-off")])  # fmt: skip
    assert swapped.stimulus.move == "pan left"


def test_direct_control_beats_an_implied_one_whatever_the_order():
    # night implies a cool light; an explicit warm colour temperature overrides it even when stated later.
    resolution = resolve_controls([("setup.set_design.backdrop.time_of_day", "night"),
                                   ("lighting.color_temperature", "warm")])  # fmt: skip
    assert resolution.stimulus.sky == "night"
    assert resolution.stimulus.kelvin < 4000
    assert resolution.conflicts[0].field == "kelvin"
    assert resolution.conflicts[0].kept[:2] == ("lighting.color_temperature", "warm")


def test_every_control_names_a_real_leaf_value_and_a_real_field(taxonomy):
    fields = set(Stimulus().to_dict())
    for node_id, values in CONTROLS.items():
        node = taxonomy[node_id]
        for value, effect in values.items():
            assert value in node.values, (node_id, value)
            assert set(effect.direct) | set(effect.implied) <= fields
            resolve_controls([(node_id, value)])  # the resulting Stimulus validates


def test_render_is_deterministic_and_shaped():
    stimulus = SMALL.with_(move="pan right", rain=True, light_motion="flickering")
    a, b = render(stimulus, 7), render(stimulus, 7)
    assert a.shape == (8, 64, 64, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render(stimulus, 8))


@pytest.mark.parametrize("bad", [{"size": 63}, {"fps": 0}, {"duration": 0.1}, {"kelvin": 500}])
def test_invalid_stimulus_is_refused(bad):
    with pytest.raises(ValueError):
        Stimulus(**bad)


def test_light_controls_change_the_pixels_as_asked():
    def mean_rgb(**changes):
        return render(SMALL.with_(**changes), 3).reshape(-1, 3).astype(float).mean(axis=0)

    warm, cool = mean_rgb(kelvin=3200), mean_rgb(kelvin=10000)
    assert warm[0] - warm[2] > cool[0] - cool[2] + 20
    assert luma(render(SMALL.with_(key="high"), 3)).mean() > luma(render(SMALL.with_(key="low"), 3)).mean() + 0.3
    assert luma(render(SMALL.with_(contrast="high"), 3)).std() > 2 * luma(render(SMALL.with_(contrast="low"), 3)).std()


def test_kelvin_gains_are_neutral_at_6500_and_ordered():
    assert np.allclose(kelvin_to_rgb(6500.0), 1.0, atol=1e-3)
    warm, cool = kelvin_to_rgb(3000.0), kelvin_to_rgb(12000.0)
    assert warm[0] > warm[2] and cool[2] > cool[0]


def test_the_docs_list_every_drawable_control():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "synthetic.md").read_text(encoding="utf-8")
    for node_id, values in CONTROLS.items():
        assert f"`{node_id}`" in text, node_id
        row = next(line for line in text.splitlines() if line.startswith(f"| `{node_id}` |"))
        for value in values:
            assert value in row, (node_id, value)
