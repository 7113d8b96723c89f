"""Lighting motion: how much the light level varies over time, and whether it varies with a beat.

The level of each frame is its mean luma, and the median of the frame's luma as a check (see below).
Slow drifts (a pan from sky to ground, a push-in towards a dark figure) are removed by subtracting a
centred moving average one second wide; what remains is the light's own change. Its size is the
*amplitude*, the residual's standard deviation relative to the mean level. Its regularity is the
*periodicity*, the highest normalised autocorrelation of the residual at lags of 0.35-2.5 s: a pulse
(regular, 0.4-3 Hz) scores near 1, a flicker (irregular) near 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MIN_SECONDS = 2.0
"""Shorter clips cannot show a beat: no reading."""
LAGS = (0.35, 2.5)


@dataclass(frozen=True)
class LightChange:
    amplitude: float
    """Standard deviation of the detrended level over the mean level (0 = steady)."""
    periodicity: float
    """Best autocorrelation of the detrended level at 0.35-2.5 s lags, clipped to [0, 1]."""
    period: float | None
    """The lag of that best autocorrelation, seconds."""
    level: tuple[float, ...]
    """The per-frame mean luma, for the sample log."""


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
    centred = residual - residual.mean()
    energy = float(centred @ centred)
    if energy <= 1e-12:
        return 0.0, None
    lo, hi = max(1, int(round(LAGS[0] * fps))), min(len(centred) // 2, int(round(LAGS[1] * fps)))
    best, best_lag = 0.0, None
    for lag in range(lo, hi + 1):
        # Normalised by the overlap so long lags are not penalised for having fewer terms.
        r = float(centred[:-lag] @ centred[lag:]) / energy * len(centred) / (len(centred) - lag)
        if r > best:
            best, best_lag = r, lag
    return min(1.0, best), (best_lag / fps if best_lag else None)
