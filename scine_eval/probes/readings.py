"""Named measurements of one clip, computed on demand, each with a unit and a reason when it has no value.

A :class:`Readings` wraps one decoded clip; ``readings.get("content_right")`` returns ``(value, None)``
or ``(None, reason)``. Each reading is computed once, on first use, so a judge asking ten questions
about a video decodes and measures it once. See ``docs/probe.md`` for how each reading is mapped
onto the 1-5 scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from scine_eval.probes.colour import colour_temperature
from scine_eval.probes.horizon import horizon_tilt
from scine_eval.probes.light_change import MIN_SECONDS, LightChange, light_change
from scine_eval.probes.motion import MotionTrack, track_motion
from scine_eval.probes.tone import ToneReading, luma, tone

MIN_P99_LUMA = 0.06
"""A clip whose 99th-percentile luma is below this is too dark to measure anything."""
MIN_MOTION_SECONDS = 1.0
MIN_TEXTURE = 0.002
"""Below this mean gradient (see :attr:`MotionTrack.texture`) frames are too flat to track."""
TILES = 3
TILE_STRIDE = 4
"""Tiles are tracked on every 4th frame: nine tracks cost about two full-frame ones."""
STILL_FRAMES = 12
"""Colour, tone and horizon use at most this many frames, evenly spread."""


@dataclass(frozen=True)
class Reading:
    unit: str
    doc: str
    compute: Callable[[Readings], float | None]


class Unmeasurable(Exception):
    """Raised inside a reading: the clip cannot give it (the message says why)."""


class Readings:
    """Measurements of one clip, from ``(T, H, W, 3)`` uint8 frames sampled at ``fps``."""

    def __init__(self, frames: npt.NDArray[np.uint8], fps: float):
        self.frames, self.fps = frames, fps
        self._values: dict[str, tuple[float | None, str | None]] = {}

    def get(self, name: str) -> tuple[float | None, str | None]:
        """``(value, None)``, or ``(None, why not)``."""
        if name not in self._values:
            try:
                self._check_visible()
                value = READINGS[name].compute(self)
                self._values[name] = (value, None) if value is not None else (None, f"no {name} reading")
            except Unmeasurable as reason:
                self._values[name] = (None, str(reason))
        return self._values[name]

    def _check_visible(self) -> None:
        if self.tone.p99 < MIN_P99_LUMA:
            raise Unmeasurable(f"too dark to measure: 99th-percentile luma {self.tone.p99:.3f} < {MIN_P99_LUMA}")

    @cached_property
    def stills(self) -> npt.NDArray[np.uint8]:
        index = np.unique(np.linspace(0, len(self.frames) - 1, min(STILL_FRAMES, len(self.frames))).round())
        return self.frames[index.astype(int)]

    @cached_property
    def stills_luma(self) -> npt.NDArray[np.float32]:
        return luma(self.stills)

    @cached_property
    def tone(self) -> ToneReading:
        return tone(self.stills_luma)

    @cached_property
    def motion(self) -> MotionTrack:
        return self._track(self.frames, self.fps)

    @cached_property
    def tile_growth(self) -> list[float]:
        """Net scaling of each textured tile of a 3x3 grid, sorted.

        A dolly's parallax makes near things grow faster than far ones, so some tiles grow although the frame
        as a whole hardly does.
        """
        frames = self.frames[::TILE_STRIDE]  # fewer, larger steps: the scale adds up all the same
        _, h, w, _ = frames.shape
        growth = []
        for row in range(TILES):
            for col in range(TILES):
                tile = frames[:, row * h // TILES : (row + 1) * h // TILES, col * w // TILES : (col + 1) * w // TILES]
                try:
                    growth.append(self._track(tile, self.fps / TILE_STRIDE).totals()["log_scale"])
                except Unmeasurable:  # a flat tile (sky) says nothing
                    continue
        if len(growth) < 3:
            raise Unmeasurable("fewer than 3 of the 3x3 tiles have texture enough to track")
        return sorted(growth)

    @staticmethod
    def _track(frames: npt.NDArray[np.uint8], fps: float) -> MotionTrack:
        seconds = (len(frames) - 1) / fps
        if seconds < MIN_MOTION_SECONDS or len(frames) < 4:
            raise Unmeasurable(f"too short to measure motion: {seconds:.2f} s sampled, needs {MIN_MOTION_SECONDS} s")
        track = track_motion(frames, fps)
        if track.texture < MIN_TEXTURE:
            raise Unmeasurable(f"too flat to track motion: texture {track.texture:.4f} < {MIN_TEXTURE}")
        return track

    @cached_property
    def light_reading(self) -> LightChange | None:
        return light_change(luma(self.frames), self.fps)

    def light(self, part: str) -> float:
        change = self.light_reading  # flicker and pulse share one reading
        if change is None:
            raise Unmeasurable(f"too short to measure lighting motion: needs {MIN_SECONDS} s")
        return change.pulse if part == "pulse" else change.flicker


def _shake(track: MotionTrack) -> float:
    """RMS of the camera path's fast part: the path minus its half-second moving average (frame widths)."""
    path = track.cumulative()
    width = max(3, int(round(track.fps / 2)) | 1)
    wobble = []
    for series in (path["dx"], path["dy"], 0.5 * path["angle"]):
        padded = np.pad(series, width // 2, mode="edge")
        wobble.append(series - np.convolve(padded, np.ones(width) / width, mode="valid"))
    return float(np.sqrt(np.mean(np.square(wobble))))


NOISE_FLOOR = {"dx": 0.001, "dy": 0.001, "log_scale": 0.003, "angle": 0.002}
"""Per-step motion below these is not counted as camera motion: a light that flickers unevenly over the frame
(or a codec) moves the best alignment by a fraction of a pixel, frame after frame."""


def _path_length(track: MotionTrack) -> float:
    weight = {"dx": 1.0, "dy": 1.0, "log_scale": 1.0, "angle": 0.5}
    return float(sum(weight[k] * np.maximum(0.0, np.abs(getattr(track, k)) - floor).sum()
                     for k, floor in NOISE_FLOOR.items()))  # fmt: skip


def _colour(r: Readings) -> float:
    reading = colour_temperature(r.stills)
    if reading is None:
        raise Unmeasurable("too few unclipped, non-black pixels to estimate the light's colour")
    return reading.mired


def _horizon(r: Readings) -> float:
    reading = horizon_tilt(r.stills_luma)
    if reading is None:
        raise Unmeasurable("no clear horizontal or vertical lines to measure the frame's roll against")
    return abs(reading.degrees)


READINGS: dict[str, Reading] = {
    "content_right": Reading("frame widths", "net horizontal content shift (+: right, as a camera pans left)",
                             lambda r: r.motion.totals()["dx"]),
    "content_down": Reading("frame heights", "net vertical content shift (+: down, as a camera tilts up)",
                            lambda r: r.motion.totals()["dy"]),
    "growth": Reading("ln scale", "net content scaling (+: grows, as with a zoom-in or push-in)",
                      lambda r: r.motion.totals()["log_scale"]),
    "near_growth": Reading("ln scale", "mean net scaling of the 3 fastest-growing of 3x3 tiles (with parallax, near "
                           "parts grow faster than the background, so the frame as a whole can look still)",
                           lambda r: float(np.mean(r.tile_growth[-3:]))),
    "near_shrink": Reading("ln scale", "minus the mean net scaling of the 3 fastest-shrinking of 3x3 tiles",
                           lambda r: -float(np.mean(r.tile_growth[:3]))),
    "roll": Reading("degrees", "net content rotation, either way",
                    lambda r: abs(np.degrees(r.motion.totals()["angle"]))),
    "roll_clockwise": Reading("degrees", "net camera roll, + clockwise as seen from behind the camera (the picture "
                              "turns counter-clockwise on screen), - counter-clockwise",
                              lambda r: float(np.degrees(r.motion.totals()["angle"]))),
    "motion": Reading("frame widths", "path length of all camera motion above a per-step noise floor "
                      "(|shifts| + |ln scale| + |angle|/2)", lambda r: _path_length(r.motion)),
    "shake": Reading("frame widths", "RMS of the camera path minus its half-second moving average",
                     lambda r: _shake(r.motion)),
    "horizon": Reading("degrees", "roll of the dominant line grid off upright, either way", _horizon),
    "mired": Reading("mired", "10^6 / CCT of the shades-of-grey illuminant estimate", _colour),
    "luma_mean": Reading("luma", "mean luma (0-1)", lambda r: r.tone.mean),
    "luma_std": Reading("luma", "standard deviation of luma (RMS contrast)", lambda r: r.tone.std),
    "flicker": Reading("0-1", "how visibly the detrended light level changes (0-1) x (1 - periodicity)",
                       lambda r: r.light("flicker")),
    "pulse": Reading("0-1", "how visibly the detrended light level changes (0-1) x periodicity",
                     lambda r: r.light("pulse")),
}  # fmt: skip
"""Every reading the probe judge can take, by name."""
