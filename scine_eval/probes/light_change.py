"""Lighting motion: how much the light level varies over time, and whether it varies with a beat.

The level of each frame is its mean luma. Slow drifts (a pan from sky to ground, a push-in towards a dark
figure, auto-exposure settling) are removed by subtracting a centred moving average one second wide; what
remains is the light's own change. Its size is the *amplitude*, the residual's standard deviation relative
to the mean level, and :attr:`LightChange.visible` turns it into 0-1: nothing below half a percent, all of
it from 1.5 %. Its regularity is the *periodicity*: the largest share of the residual's variance that one
sinusoid of 0.4-3.5 Hz explains (a least-squares fit per frequency, like a periodogram's peak). A pulse, sine
or square, scores 0.7-1 (a square wave's fundamental carries 8/pi^2 = 81 % of its power); an irregular
flicker, a failing bulb's drop-outs or a flame's wander, mostly 0.1-0.6 on a 3 s clip (a flame's slow wander
now and then more), less on longer ones.

The sinusoid replaced the best autocorrelation at 0.35-2.5 s lags (probe version 1): on 3 s clips a random
flicker's autocorrelation, normalised by the shrinking overlap, often peaked above 0.7 at some lag, and
random drop-outs then read as a pulse (``docs/probe.md``, independent stimuli).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MIN_SECONDS = 2.0
"""Shorter clips cannot show a beat: no reading."""
FREQUENCIES = (0.4, 3.5)
"""Hz: the beats a pulse may have (a slow breathing light to club lights), capped below the Nyquist rate."""
FREQUENCY_STEP = 0.05
AMPLITUDE_FLOOR, AMPLITUDE_FULL = 0.005, 0.015
"""Relative level change: below the floor (codec noise, a drift's remainder) no light change is seen; from
``AMPLITUDE_FULL`` on it is seen fully."""


@dataclass(frozen=True)
class LightChange:
    amplitude: float
    """Standard deviation of the detrended level over the mean level (0 = steady)."""
    periodicity: float
    """Largest share of the detrended level's variance one sinusoid of 0.4-3.5 Hz explains, 0-1."""
    period: float | None
    """The period of that sinusoid, seconds."""
    level: tuple[float, ...]
    """The per-frame mean luma, for the sample log."""

    @property
    def visible(self) -> float:
        """How clearly the light changes at all, 0-1: the amplitude between its floor and full points."""
        return float(np.clip((self.amplitude - AMPLITUDE_FLOOR) / (AMPLITUDE_FULL - AMPLITUDE_FLOOR), 0.0, 1.0))

    @property
    def flicker(self) -> float:
        """Irregular change, 0-1: visible x (1 - periodicity)."""
        return self.visible * (1.0 - self.periodicity)

    @property
    def pulse(self) -> float:
        """Regular change, 0-1: visible x periodicity."""
        return self.visible * self.periodicity


def light_change(luma_frames: npt.NDArray[np.float32], fps: float) -> LightChange | None:
    """Reads ``(T, H, W)`` luma sampled at ``fps``; None when the clip is shorter than 2 s."""
    if len(luma_frames) < max(6, MIN_SECONDS * fps):
        return None
    level = luma_frames.mean(axis=(1, 2)).astype(np.float64)
    width = max(3, int(round(fps)) | 1)  # odd, about one second
    padded = np.pad(level, width // 2, mode="reflect")
    trend = np.convolve(padded, np.ones(width) / width, mode="valid")
    residual = level - trend
    amplitude = float(residual.std() / max(level.mean(), 1e-3))
    periodicity, period = _periodicity(residual, fps)
    return LightChange(amplitude, periodicity, period, tuple(round(float(v), 4) for v in level))


def _periodicity(residual: npt.NDArray[np.float64], fps: float) -> tuple[float, float | None]:
    """The best R^2 of ``a cos(2 pi f t) + b sin(2 pi f t) + c`` over the beat frequencies, and its period."""
    centred = residual - residual.mean()
    energy = float(centred @ centred)
    top = min(FREQUENCIES[1], 0.45 * fps)
    if energy <= 1e-12 or top < FREQUENCIES[0]:
        return 0.0, None
    t = np.arange(len(centred)) / fps
    best, best_hz = 0.0, None
    for hz in np.arange(FREQUENCIES[0], top + 1e-9, FREQUENCY_STEP):
        basis = np.stack([np.ones_like(t), np.cos(2 * np.pi * hz * t), np.sin(2 * np.pi * hz * t)], axis=1)
        coef, *_ = np.linalg.lstsq(basis, centred, rcond=None)
        error = centred - basis @ coef
        explained = 1.0 - float(error @ error) / energy
        if explained > best:
            best, best_hz = explained, float(hz)
    return min(1.0, max(0.0, best)), (1.0 / best_hz if best_hz else None)
