"""``probe``: deterministic, weight-free measurements mapped onto the 1-5 scale.

For each (leaf, value) it can truly measure, the probe takes one reading of the clip
(:mod:`scine_eval.probes.readings`: global camera motion, shake, horizon roll, colour temperature, luma
statistics, light-level change) and maps it linearly onto 1-5 between two calibrated points: the
reading at which a clip clearly does not do what is asked (1) and the one at which it clearly does (5).
A band (``neutral``) scores 5 inside and falls to 1 at its outer points. It abstains, with the reason,
on every other value and node, and on clips too dark, too short or too flat to measure. The points were
set between the distributions of the ``synthetic`` renderer's clips and, for tone, colour, light motion
and roll, of clips made from real photographs (:mod:`scine_eval.probes.independent`); ``docs/probe.md``
lists them with the distributions they separate, ``scine-eval judge-check --judge probe`` re-measures how
well they do on the renderer and ``benchmarks/test_bench_probe_independent.py`` on the photographs.

A roll with a direction (a value such as ``roll clockwise`` or ``counter-clockwise roll`` on a camera leaf
about rolling, as a swapped-in taxonomy may have; the bundled one has a plain ``roll``) is scored on the
signed roll, and a direction the probe cannot tell (``roll left``: left as seen from where?) is abstained on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from annotated_types import Ge

from scine_eval.contracts.arguments import PositiveFloat
from scine_eval.contracts.judge import Judge, JudgeItem, Judgement, register_judge
from scine_eval.errors import VideoError
from scine_eval.probes.readings import READINGS, Readings
from scine_eval.taxonomy import Node
from scine_eval.video import decode

PROBE_VERSION = "2"
"""Bumped whenever a reading or a calibration point changes (it keys the judgement cache).

2: tone, contrast, colour-temperature, dutch and light-motion points re-set on photographs as well as the
renderer; the horizon read with derivative-of-Gaussian gradients; flicker and pulse read as visibility x
(ir)regularity, the regularity from a sinusoid fit; a roll's direction measured where a value asks for one.
"""


@dataclass(frozen=True)
class Ramp:
    """Scores 1 at ``at_1`` and 5 at ``at_5``, linearly between, clamped outside (either order)."""

    reading: str
    at_1: float
    at_5: float

    def score(self, value: float) -> float:
        t = (value - self.at_1) / (self.at_5 - self.at_1)
        return 1.0 + 4.0 * min(1.0, max(0.0, t))

    def describe(self) -> dict[str, Any]:
        return {"reading": self.reading, "unit": READINGS[self.reading].unit, "at_1": self.at_1, "at_5": self.at_5}


@dataclass(frozen=True)
class Band:
    """Scores 5 between ``low_5`` and ``high_5``, falling linearly to 1 at ``low_1`` and ``high_1``."""

    reading: str
    low_1: float
    low_5: float
    high_5: float
    high_1: float

    def score(self, value: float) -> float:
        if value < self.low_5:
            return Ramp(self.reading, self.low_1, self.low_5).score(value)
        return Ramp(self.reading, self.high_1, self.high_5).score(value)

    def describe(self) -> dict[str, Any]:
        return {"reading": self.reading, "unit": READINGS[self.reading].unit, "band_1_5_5_1": [
            self.low_1, self.low_5, self.high_5, self.high_1]}  # fmt: skip


Rule = Ramp | Band

RULES: dict[str, dict[str, Rule]] = {
    "camera.trajectory.static": {"locked-off": Ramp("motion", 0.08, 0.015)},
    "camera.trajectory.movement_2d": {
        "pan left": Ramp("content_right", 0.02, 0.12),
        "pan right": Ramp("content_right", -0.02, -0.12),
        "tilt up": Ramp("content_down", 0.02, 0.10),
        "tilt down": Ramp("content_down", -0.02, -0.10),
        "zoom in": Ramp("growth", 0.03, 0.18),
        "zoom out": Ramp("growth", -0.03, -0.18),
    },
    # A push-in's parallax makes near things grow faster than the background, so it is read on the tiles that
    # grow most. It still cannot tell a push-in from a zoom-in: both grow.
    "camera.trajectory.movement_3d": {
        "push in": Ramp("near_growth", 0.05, 0.2),
        "pull out": Ramp("near_shrink", 0.05, 0.2),
        "roll": Ramp("roll", 2.0, 10.0),
    },
    "camera.trajectory.gear": {
        "handheld": Ramp("shake", 0.001, 0.004),
        "tripod": Ramp("shake", 0.004, 0.001),
    },
    # Read against the dominant line grid: a frame without one (a coffee cup on wood grain) abstains. Under 4 degrees
    # a cant is not deliberate; by 12 it is unmistakable.
    "camera.extrinsics.angle": {"dutch": Ramp("horizon", 4.0, 12.0)},
    # A whole-frame estimate mixes the light with the surfaces: photographs under neutral light read 154-186
    # mired (skin, wood and fur pull it warm), the renderer's neutral scene 117 (its blue sky). The neutral band spans
    # both; a neutral photograph turned to 10000-13000 K reads about 100-135, and so scores lower, not higher.
    "lighting.color_temperature": {
        "warm": Ramp("mired", 150.0, 210.0),
        "neutral": Band("mired", 80.0, 150.0, 200.0, 260.0),
        "cool": Ramp("mired", 170.0, 100.0),
    },
    # Soft light shows as low contrast and hard light as high: the spread of luma, as for texture contrast. The
    # ramps span what photographs show (a soft one about 0.12, a normal one 0.2-0.29, a hard one above 0.3), so a
    # photograph made harder or softer still moves its score; the renderer's clips all sit below 0.25. Key likewise:
    # normal exposures average 0.3-0.45 mean luma, the renderer's high key 0.85-0.92 and its low key 0.24-0.27.
    "lighting.effects.soft_shadows": {
        "high-key": Ramp("luma_mean", 0.3, 0.75),
        "diffused light": Ramp("luma_std", 0.25, 0.08),
    },
    "lighting.effects.hard_shadows": {
        "low-key": Ramp("luma_mean", 0.45, 0.2),
        "direct light": Ramp("luma_std", 0.15, 0.35),
    },
    "setup.scene.texture.contrast": {
        "high": Ramp("luma_std", 0.15, 0.35),
        "low": Ramp("luma_std", 0.25, 0.08),
    },
    "lighting.advanced.motion": {
        "flickering": Ramp("flicker", 0.3, 0.6),
        "pulsing": Ramp("pulse", 0.45, 0.75),
    },
}
"""leaf → value → how its reading maps onto 1-5. Everything else: the probe abstains."""

ROLL_DIRECTIONS: dict[str, Rule] = {
    "clockwise": Ramp("roll_clockwise", 2.0, 10.0),
    "counter-clockwise": Ramp("roll_clockwise", -2.0, -10.0),
}
"""A roll with a direction, as seen from behind the camera, on the signed roll (the points of ``roll``)."""
_COUNTER = re.compile(r"\b(counter ?clockwise|anti ?clockwise|ccw)\b")
_CLOCKWISE = re.compile(r"\b(clockwise|cw)\b")
_SIDEWAYS = re.compile(r"\b(left|right|port|starboard)\b")


def roll_direction(node: Node, value: str) -> str | None:
    """``"clockwise"``, ``"counter-clockwise"``, ``"ambiguous"`` (left or right), or None when not a directed roll.

    A value is a directed roll when it is on a camera leaf, names rolling (in the value, or in the leaf's id or
    name) and names a direction. Left and right are ambiguous: a roll to the left may mean the top of the frame
    goes left (counter-clockwise) or the camera's left side drops (clockwise, for some operators).
    """
    if not node.id.startswith("camera."):
        return None
    text = " ".join(re.findall(r"[a-z]+", value.lower().replace("-", " ")))
    leaf = " ".join(re.findall(r"[a-z]+", f"{node.id.rsplit('.', 1)[-1]} {node.name}".lower()))
    if not re.search(r"\broll(s|ing|ed)?\b", f"{text} {leaf}"):
        return None
    if _COUNTER.search(text):
        return "counter-clockwise"
    if _CLOCKWISE.search(text):
        return "clockwise"
    return "ambiguous" if _SIDEWAYS.search(text) else None


@register_judge("probe")
class ProbeJudge(Judge):
    """Weight-free measurements (camera motion, colour temperature, key, contrast, lighting motion) on 1-5.

    Args:
        fps: frames per second sampled from each video (motion is measured between consecutive samples).
        max_frames: at most this many frames per video.
        max_pixels: frames are downscaled to at most this many pixels.
    """

    cpu_bound = True  # decoding and numpy readings: videos scored one per core (scine_eval.workers)

    def __init__(
        self,
        fps: PositiveFloat = 12.0,
        max_frames: Annotated[int, Ge(2)] = 180,
        max_pixels: Annotated[int, Ge(1024)] = 192 * 192,
    ):
        if fps <= 0 or max_frames < 2 or max_pixels < 32 * 32:
            raise ValueError(
                f"need fps > 0, max_frames >= 2, max_pixels >= 1024; got {fps}, {max_frames}, {max_pixels}"
            )
        self.fps, self.max_frames, self.max_pixels = fps, max_frames, max_pixels

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "covers": f"{len(RULES)} leaves (camera motion, colour temperature, key, contrast, light motion), "
                      "and a roll's direction where a value names one",
            "input": "every frame, native size (luma, colour and motion readings)",
        }

    @classmethod
    def covers_node(cls, node: Node) -> bool:
        return node.id in RULES or any(roll_direction(node, value) for value in node.values or ())

    def score(self, items: Sequence[JudgeItem]) -> list[Judgement]:
        readings: dict[Path, Readings | Judgement] = {}
        out = []
        for item in items:
            rule = rule_for(item.node, item.value)
            if isinstance(rule, str):
                out.append(Judgement.abstain(rule))
                continue
            if item.video not in readings:
                readings[item.video] = self._read(item.video)
            clip = readings[item.video]
            out.append(clip if isinstance(clip, Judgement) else _judge(rule, clip))
        return out

    def _read(self, path: Path) -> Readings | Judgement:
        try:
            video = decode(path, fps=self.fps, max_frames=self.max_frames, max_pixels=self.max_pixels)
        except VideoError as error:
            return Judgement.abstain(f"cannot decode: {error.cause}")
        return Readings(video.frames, video.fps)

    def spec(self) -> dict[str, Any]:
        return {
            "judge": self.name,
            "version": PROBE_VERSION,
            "fps": self.fps,
            "max_frames": self.max_frames,
            "max_pixels": self.max_pixels,
            "rules": {node: {v: rule.describe() for v, rule in values.items()} for node, values in RULES.items()},
            "roll_directions": {d: rule.describe() for d, rule in ROLL_DIRECTIONS.items()},
        }


def rule_for(node: Node, value: str) -> Rule | str:
    """The rule that scores ``value`` on ``node``, or the reason the probe abstains."""
    rule = RULES.get(node.id, {}).get(value)
    if rule is not None:
        return rule
    direction = roll_direction(node, value)
    if direction == "ambiguous":
        return (f"probe cannot tell which way {value!r} rolls: left and right are read both ways; "
                "it measures clockwise and counter-clockwise, as seen from behind the camera")  # fmt: skip
    if direction is not None:
        return ROLL_DIRECTIONS[direction]
    measurable = ", ".join(RULES.get(node.id, {})) or "nothing"
    return f"probe cannot measure {value!r} on {node.id} (it measures: {measurable})"


def _judge(rule: Rule, clip: Readings) -> Judgement:
    value, reason = clip.get(rule.reading)
    if value is None:
        return Judgement.abstain(reason or "no reading", raw=rule.describe())
    raw = {**rule.describe(), "value": round(value, 6)}
    if rule.reading == "roll":  # either way counts; the log still says which way it went
        signed, _ = clip.get("roll_clockwise")
        raw["clockwise_degrees"] = None if signed is None else round(signed, 3)
    return Judgement(round(rule.score(value), 4), raw=raw)
