"""``probe``: deterministic, weight-free measurements mapped onto the 1-5 scale.

For each (leaf, value) it can truly measure, the probe takes one reading of the clip
(:mod:`scine_eval.probes.readings`: global camera motion, shake, horizon roll, colour temperature, luma
statistics, light-level change) and maps it linearly onto 1-5 between two calibrated points: the
reading at which a clip clearly does not do what is asked (1) and the one at which it clearly does (5).
A band (``neutral``) scores 5 inside and falls to 1 at its outer points. It abstains, with the reason,
on every other value and node, and on clips too dark, too short or too flat to measure. The points were
calibrated on the ``synthetic`` renderer's clips; ``docs/probe.md`` lists them with the distributions
they separate, and ``scine-eval judge-check --judge probe`` re-measures how well they do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scine_eval.contracts.judge import Judge, JudgeItem, Judgement, register_judge
from scine_eval.errors import VideoError
from scine_eval.probes.readings import READINGS, Readings
from scine_eval.taxonomy import Node
from scine_eval.video import decode

PROBE_VERSION = "1"
"""Bumped whenever a reading or a calibration point changes (it keys the judgement cache)."""


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
    "camera.extrinsics.angle": {"dutch": Ramp("horizon", 2.0, 8.0)},
    "lighting.color_temperature": {
        "warm": Ramp("mired", 150.0, 210.0),
        "neutral": Band("mired", 75.0, 100.0, 150.0, 210.0),
        "cool": Ramp("mired", 100.0, 75.0),
    },
    # Soft light shows as low contrast and hard light as high: the spread of luma, as for texture contrast.
    "lighting.effects.soft_shadows": {
        "high-key": Ramp("luma_mean", 0.7, 0.82),
        "diffused light": Ramp("luma_std", 0.1, 0.075),
    },
    "lighting.effects.hard_shadows": {
        "low-key": Ramp("luma_mean", 0.5, 0.32),
        "direct light": Ramp("luma_std", 0.15, 0.19),
    },
    "setup.scene.texture.contrast": {
        "high": Ramp("luma_std", 0.15, 0.19),
        "low": Ramp("luma_std", 0.1, 0.075),
    },
    "lighting.advanced.motion": {
        "flickering": Ramp("flicker", 0.004, 0.015),
        "pulsing": Ramp("pulse", 0.006, 0.02),
    },
}
"""leaf → value → how its reading maps onto 1-5. Everything else: the probe abstains."""


@register_judge("probe")
class ProbeJudge(Judge):
    """Weight-free measurements (camera motion, colour temperature, key, contrast, lighting motion) on 1-5.

    Args:
        fps: frames per second sampled from each video (motion is measured between consecutive samples).
        max_frames: at most this many frames per video.
        max_pixels: frames are downscaled to at most this many pixels.
    """

    def __init__(self, fps: float = 12.0, max_frames: int = 180, max_pixels: int = 192 * 192):
        if fps <= 0 or max_frames < 2 or max_pixels < 32 * 32:
            raise ValueError(
                f"need fps > 0, max_frames >= 2, max_pixels >= 1024; got {fps}, {max_frames}, {max_pixels}"
            )
        self.fps, self.max_frames, self.max_pixels = fps, max_frames, max_pixels

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "covers": f"{len(RULES)} leaves (camera motion, colour temperature, key, contrast, light motion)",
            "input": "every frame, native size (luma, colour and motion readings)",
        }

    def covers(self, node: Node) -> bool:
        return node.id in RULES

    def score(self, items: Sequence[JudgeItem]) -> list[Judgement]:
        readings: dict[Path, Readings | Judgement] = {}
        out = []
        for item in items:
            rule = RULES.get(item.node.id, {}).get(item.value)
            if rule is None:
                measurable = ", ".join(RULES.get(item.node.id, {})) or "nothing"
                out.append(Judgement.abstain(f"probe cannot measure {item.value!r} on {item.node.id} "
                                             f"(it measures: {measurable})"))  # fmt: skip
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
        }


def _judge(rule: Rule, clip: Readings) -> Judgement:
    value, reason = clip.get(rule.reading)
    if value is None:
        return Judgement.abstain(reason or "no reading", raw=rule.describe())
    return Judgement(round(rule.score(value), 4), raw={**rule.describe(), "value": round(value, 6)})
