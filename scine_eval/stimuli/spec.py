"""The typed description of one procedural clip: camera, framing, light, weather and timing."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal

Move = Literal[
    "static", "pan left", "pan right", "tilt up", "tilt down", "zoom in", "zoom out",
    "push in", "pull out", "roll", "trucking",
]  # fmt: skip
Key = Literal["normal", "high", "low"]
Contrast = Literal["normal", "high", "low"]
LightFrom = Literal["front", "key", "fill", "side", "top", "back"]
LightMotion = Literal["steady", "flickering", "pulsing", "moving source"]
ShotSize = Literal[
    "extreme wide", "wide", "full", "medium wide", "medium", "medium close-up", "close-up", "extreme close-up"
]  # fmt: skip
Sky = Literal["day", "midday", "golden", "blue hour", "night"]

NEUTRAL_KELVIN = 6500.0
"""The white point: a scene lit at this colour temperature renders without a cast."""


@dataclass(frozen=True)
class Stimulus:
    """One clip to render. Every field has a neutral default, so ``Stimulus()`` is the null model's clip.

    Magnitudes are the nominal ones; the renderer jitters them per seed (see :func:`render`), so a
    suite's clips differ in scene and amount while each keeps its controls.
    """

    move: Move = "static"
    """The camera's one deliberate movement over the clip."""
    shake: float = 0.0
    """Handheld shake amplitude (0 = tripod-steady, 1 = a typical handheld operator)."""
    dutch: float = 0.0
    """Constant roll of the frame in degrees (a dutch angle)."""
    shot_size: ShotSize = "full"
    """How large the subject is in the frame."""
    kelvin: float = NEUTRAL_KELVIN
    """Colour temperature of the light (the camera stays balanced for 6500 K, so 3200 K looks warm)."""
    key: Key = "normal"
    contrast: Contrast = "normal"
    light_from: LightFrom = "key"
    """Where the main light comes from, seen from the camera (``key`` = the usual 45-degree front-side key)."""
    light_motion: LightMotion = "steady"
    sky: Sky = "day"
    """The backdrop's time of day: sky colour and ambient level."""
    fog: bool = False
    rain: bool = False
    snow: bool = False
    duration: float = 5.0
    fps: int = 12
    size: int = 256

    def __post_init__(self) -> None:
        if self.size < 64 or self.size % 2:
            raise ValueError(f"size must be an even number of pixels >= 64, got {self.size}")
        if not 1 <= self.fps <= 60:
            raise ValueError(f"fps must be between 1 and 60, got {self.fps}")
        if not 0.5 <= self.duration <= 30:
            raise ValueError(f"duration must be between 0.5 and 30 seconds, got {self.duration}")
        if not 1000 <= self.kelvin <= 20000:
            raise ValueError(f"kelvin must be between 1000 and 20000, got {self.kelvin}")

    @property
    def frames(self) -> int:
        return max(2, round(self.duration * self.fps))

    def with_(self, **changes: Any) -> Stimulus:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def differences(self) -> dict[str, Any]:
        """The fields that differ from the neutral defaults (what a sample log shows)."""
        neutral = Stimulus(duration=self.duration, fps=self.fps, size=self.size)
        return {k: v for k, v in self.to_dict().items() if v != getattr(neutral, k)}

