"""Colour temperature of the light in a clip: estimated illuminant → CIE xy → correlated colour temperature.

The illuminant is estimated with the shades-of-grey method (Finlayson & Trezzi 2004: the Minkowski
p-mean of each linear channel, p = 4, between grey-world at p = 1 and white-patch at p = ∞), over pixels
that are neither clipped nor near black. It is converted from linear sRGB to CIE XYZ, then to xy, and to
a CCT with McCamy's cubic (1992), good to a few kelvin between about 2000 K and 12500 K. A scene-wide
estimate mixes the light's colour with the surfaces' and the grade's: treat it as the look of the shot,
which is what a "warm" or "cool" control asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]], dtype=np.float64
)
MINKOWSKI_P = 4.0
CCT_RANGE = (1000.0, 25000.0)


@dataclass(frozen=True)
class ColourReading:
    kelvin: float
    """Correlated colour temperature of the estimated illuminant, clamped to 1000-25000 K."""
    xy: tuple[float, float]
    illuminant: tuple[float, float, float]
    """Linear RGB of the estimate, normalised to a maximum of 1."""
    usable: float
    """Fraction of pixels used (not clipped to white, not near black)."""

    @property
    def mired(self) -> float:
        """10^6 / K: equal steps look equally different, unlike kelvin."""
        return 1e6 / self.kelvin


def _srgb_to_linear() -> npt.NDArray[np.float32]:
    x = np.arange(256, dtype=np.float64) / 255.0
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


_LINEAR = _srgb_to_linear()


def linearise(frames: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """8-bit sRGB to linear light (the sRGB transfer function, as a 256-entry lookup)."""
    return _LINEAR[frames]


def mccamy_cct(x: float, y: float) -> float:
    n = (x - 0.3320) / (0.1858 - y)
    return 449.0 * n**3 + 3525.0 * n**2 + 6823.3 * n + 5520.33


def colour_temperature(frames: npt.NDArray[np.uint8]) -> ColourReading | None:
    """The clip's CCT from ``(T, H, W, 3)`` uint8 RGB frames, or None when too few pixels are usable."""
    linear = linearise(frames).reshape(-1, 3)
    peak = linear.max(axis=1)
    keep = (linear.min(axis=1) < 0.98) & (peak > 0.01)  # white (all channels clipped) says nothing of colour
    usable = float(keep.mean())
    if usable < 0.05:
        return None
    estimate = np.power(np.mean(np.power(linear[keep].astype(np.float64), MINKOWSKI_P), axis=0), 1 / MINKOWSKI_P)
    X, Y, Z = SRGB_TO_XYZ @ estimate
    total = X + Y + Z
    x, y = X / total, Y / total
    kelvin = float(np.clip(mccamy_cct(x, y), *CCT_RANGE))
    rgb = estimate / estimate.max()
    return ColourReading(kelvin, (float(x), float(y)), (float(rgb[0]), float(rgb[1]), float(rgb[2])), usable)
