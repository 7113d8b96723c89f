"""Key and contrast from luma statistics (Rec. 709 weights on the display-referred 8-bit values).

High-key images sit bright with few deep shadows; low-key ones are mostly dark with small lit areas;
contrast is the spread of luma. All statistics pool every sampled frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


@dataclass(frozen=True)
class ToneReading:
    mean: float
    """Mean luma, 0-1."""
    p5: float
    p50: float
    p95: float
    p99: float
    std: float
    """RMS contrast: the standard deviation of luma."""
    dark: float
    """Fraction of pixels below 0.15 luma."""
    bright: float
    """Fraction of pixels above 0.75 luma."""

    @property
    def spread(self) -> float:
        """The 5-95 percentile range of luma, a contrast measure robust to specks."""
        return self.p95 - self.p5


def luma(frames: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """``(T, H, W)`` luma in [0, 1]."""
    return (frames.astype(np.float32) @ LUMA) / 255.0


def tone(luma_frames: npt.NDArray[np.float32]) -> ToneReading:
    """Statistics of ``(T, H, W)`` luma (see :func:`luma`)."""
    y = luma_frames.ravel()
    p5, p50, p95, p99 = (float(v) for v in np.percentile(y, [5, 50, 95, 99]))
    return ToneReading(
        mean=float(y.mean()),
        p5=p5,
        p50=p50,
        p95=p95,
        p99=p99,
        std=float(y.std()),
        dark=float((y < 0.15).mean()),
        bright=float((y > 0.75).mean()),
    )
