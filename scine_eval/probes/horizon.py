"""How far the frame is rolled off upright (a dutch angle), from the orientation of its edges.

Built scenes are dominated by horizontal and vertical lines (horizon, floors, walls, people standing).
Gradient orientations, weighted by squared magnitude, are averaged on the circle after multiplying the
angle by 4, which folds horizontals and verticals (and their opposite directions) onto one direction:
``offset = arg(sum w exp(4 i theta)) / 4`` is the roll of that grid, in (-45, 45] degrees, and the
length of the mean vector (``coherence``, 0-1) says how clearly the frame has such a grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MIN_COHERENCE = 0.05
"""Below this the frames have no dominant line grid and the reading is None."""


@dataclass(frozen=True)
class HorizonReading:
    degrees: float
    """Median over frames of the grid's roll off upright, signed, in (-45, 45]."""
    coherence: float


def horizon_tilt(luma_frames: npt.NDArray[np.float32]) -> HorizonReading | None:
    """Reads ``(T, H, W)`` luma; None when no line grid is clear enough to measure."""
    offsets, coherences = [], []
    for y in luma_frames:
        gy, gx = np.gradient(y)
        weight = gx * gx + gy * gy
        total = float(weight.sum())
        if total <= 1e-9:
            continue
        mean = complex(np.sum(weight * np.exp(4j * np.arctan2(gy, gx)))) / total
        offsets.append(np.degrees(np.angle(mean)) / 4)
        coherences.append(abs(mean))
    if not offsets or float(np.median(coherences)) < MIN_COHERENCE:
        return None
    return HorizonReading(float(np.median(offsets)), float(np.median(coherences)))
