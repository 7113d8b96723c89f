"""From a prompt's (leaf, value) controls to a :class:`Stimulus`, with a documented rule for contradictions.

Each expressible control sets *direct* fields (what the control is about: ``movement_2d: pan left`` sets
``move``) and may set *implied* ones (side effects a cinematographer would expect: ``time_of_day: night``
also darkens the key and cools the light). When two controls set the same field:

1. a direct setting beats an implied one (``color_temperature: warm`` beats the cool light ``night`` implies);
2. between two settings of the same kind, the control stated first wins (suite question order), so
   ``static: locked-off`` followed by ``movement_2d: pan left`` renders a locked-off camera.

Every losing setting is recorded as a conflict, and every control the renderer cannot draw is listed
as unsupported, never faked: both go to the sample log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scine_eval.stimuli.spec import NEUTRAL_KELVIN, Stimulus

WARM, COOL = 3200.0, 10000.0
CANDLE, TUNGSTEN, GOLDEN, MOON = 1900.0, 3200.0, 3000.0, 9500.0


@dataclass(frozen=True)
class Effect:
    direct: Mapping[str, Any]
    implied: Mapping[str, Any] = field(default_factory=dict)


def _moves(*values: str) -> dict[str, Effect]:
    return {value: Effect({"move": value}) for value in values}


CONTROLS: dict[str, dict[str, Effect]] = {
    "camera.trajectory.static": {"locked-off": Effect({"move": "static", "shake": 0.0})},
    "camera.trajectory.movement_2d": _moves("pan left", "pan right", "tilt up", "tilt down", "zoom in", "zoom out"),
    "camera.trajectory.movement_3d": _moves("push in", "pull out", "roll", "trucking"),
    "camera.trajectory.gear": {"handheld": Effect({"shake": 1.0}), "tripod": Effect({"shake": 0.0})},
    "camera.extrinsics.angle": {"dutch": Effect({"dutch": 14.0})},
    "camera.creative_intent.shot_size": {
        size: Effect({"shot_size": size})
        for size in ("extreme wide", "wide", "full", "medium wide", "medium", "medium close-up", "close-up",
                     "extreme close-up")
    },  # fmt: skip
    "lighting.color_temperature": {
        "warm": Effect({"kelvin": WARM}),
        "neutral": Effect({"kelvin": NEUTRAL_KELVIN}),
        "cool": Effect({"kelvin": COOL}),
    },
    "lighting.conditions": {
        "candlelight": Effect({"kelvin": CANDLE, "light_motion": "flickering"}, {"key": "low"}),
        "golden hour": Effect({"kelvin": GOLDEN, "sky": "golden"}, {"light_from": "side"}),
        "clear daylight": Effect({"kelvin": NEUTRAL_KELVIN, "sky": "day"}, {"contrast": "high"}),
        "overcast": Effect({"contrast": "low"}, {"kelvin": 7500.0, "light_from": "top"}),
    },
    "lighting.effects.soft_shadows": {
        "high-key": Effect({"key": "high"}),
        "diffused light": Effect({"contrast": "low"}),
    },
    "lighting.effects.hard_shadows": {
        "low-key": Effect({"key": "low"}),
        "direct light": Effect({"contrast": "high"}),
    },
    "setup.scene.texture.contrast": {"low": Effect({"contrast": "low"}), "high": Effect({"contrast": "high"})},
    "lighting.position": {
        side: Effect({"light_from": side}) for side in ("key", "fill", "side", "top", "back")
    },
    "lighting.advanced.motion": {
        motion: Effect({"light_motion": motion}) for motion in ("flickering", "pulsing", "moving source")
    },
    "lighting.source.natural": {
        "sunlight": Effect({"kelvin": 5600.0}, {"contrast": "high"}),
        "moonlight": Effect({"kelvin": MOON}, {"sky": "night", "key": "low"}),
        "firelight": Effect({"kelvin": CANDLE, "light_motion": "flickering"}, {"key": "low"}),
        "skylight": Effect({"kelvin": COOL}, {"contrast": "low"}),
    },
    "lighting.source.artificial": {"tungsten": Effect({"kelvin": TUNGSTEN})},
    "lighting.source.practical": {
        "candles": Effect({"kelvin": CANDLE, "light_motion": "flickering"}, {"key": "low"}),
        "lamps": Effect({"kelvin": 2800.0}),
    },
    "setup.set_design.backdrop.time_of_day": {
        "dawn": Effect({"sky": "blue hour"}, {"kelvin": 9000.0, "key": "low"}),
        "sunrise": Effect({"sky": "golden"}, {"kelvin": GOLDEN, "light_from": "side"}),
        "morning": Effect({"sky": "day"}, {"kelvin": 5800.0}),
        "day": Effect({"sky": "day"}),
        "midday": Effect({"sky": "midday"}, {"light_from": "top", "contrast": "high"}),
        "afternoon": Effect({"sky": "day"}, {"kelvin": 5500.0}),
        "sunset": Effect({"sky": "golden"}, {"kelvin": 2800.0, "light_from": "side"}),
        "dusk": Effect({"sky": "blue hour"}, {"kelvin": 9000.0, "key": "low"}),
        "evening": Effect({"sky": "blue hour"}, {"kelvin": 8000.0, "key": "low"}),
        "night": Effect({"sky": "night"}, {"kelvin": MOON, "key": "low"}),
        "late night": Effect({"sky": "night"}, {"kelvin": MOON, "key": "low"}),
    },
    "setup.set_design.environment.elements": {
        "fog": Effect({"fog": True}),
        "rain": Effect({"rain": True}),
        "snow": Effect({"snow": True}),
    },
}
"""What the renderer can draw: leaf → value → the :class:`Stimulus` fields it sets. Anything else is unsupported."""


def expressible(node_id: str, value: str) -> bool:
    return value in CONTROLS.get(node_id, {})


@dataclass(frozen=True)
class Conflict:
    field: str
    kept: tuple[str, str, Any]
    """(leaf, value, setting) that won."""
    dropped: tuple[str, str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "kept": list(self.kept), "dropped": list(self.dropped)}


@dataclass(frozen=True)
class Resolution:
    """The clip a prompt's controls describe, and how each control was used."""

    stimulus: Stimulus
    applied: tuple[tuple[str, str], ...] = ()
    unsupported: tuple[tuple[str, str], ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    def to_metadata(self) -> dict[str, Any]:
        """JSON for the sample log: the settings, and what was dropped or could not be drawn."""
        return {
            "stimulus": self.stimulus.differences(),
            "applied": [list(c) for c in self.applied],
            "unsupported": [list(c) for c in self.unsupported],
            "conflicts": [c.to_dict() for c in self.conflicts],
        }


def resolve_controls(controls: Iterable[tuple[str, str]], base: Stimulus | None = None) -> Resolution:
    """Applies ``controls`` (in the order stated) to ``base`` by the rule in the module docstring."""
    base = base or Stimulus()
    chosen: dict[str, tuple[int, str, str, Any]] = {}  # field -> (rank: 0 direct / 1 implied, leaf, value, setting)
    conflicts: list[Conflict] = []
    applied, unsupported = [], []
    for node_id, value in controls:
        effect = CONTROLS.get(node_id, {}).get(value)
        if effect is None:
            unsupported.append((node_id, value))
            continue
        applied.append((node_id, value))
        settings = [(0, k, v) for k, v in effect.direct.items()] + [(1, k, v) for k, v in effect.implied.items()]
        for rank, name, setting in settings:
            held = chosen.get(name)
            if held is None or rank < held[0]:
                if held is not None and held[3] != setting:
                    conflicts.append(Conflict(name, (node_id, value, setting), held[1:]))
                chosen[name] = (rank, node_id, value, setting)
            elif held[3] != setting:
                conflicts.append(Conflict(name, held[1:], (node_id, value, setting)))
    stimulus = base.with_(**{name: held[3] for name, held in chosen.items()})
    return Resolution(stimulus, tuple(applied), tuple(unsupported), tuple(conflicts))
