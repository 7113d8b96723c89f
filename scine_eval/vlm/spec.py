"""What a VLM judge sees of a video: frame rate, pixel budget and frame cap, hashed into its fingerprint.

The harness decodes with PyAV (:func:`scine_eval.video.decode`) and hands the processor the sampled
frames with ``VideoMetadata`` at the *sampled* rate; transformers would otherwise assume 24 fps and
silently place the frames wrongly in time.

Frame-count rounding, for the record: frames are taken at ``k / fps`` seconds while inside the clip
(a 5 s clip at 2 fps gives 10 frames); ``max_frames`` then subsamples uniformly. Qwen2.5-VL merges
frames in pairs (``temporal_patch_size=2``), so an odd count is padded by repeating the last frame:
7 frames make 4 temporal steps, the last showing one frame twice. Each step covers
``2 / fps`` seconds (1 s at 2 fps), which is the ``second_per_grid_ts`` of the positions.

Resolution: native, capped by ``max_pixels`` (area-preserving downscale in the decoder), then
rounded by the processor to multiples of 28 px (14 px patches merged 2x2) within
``[min_pixels, max_pixels]``. A 1280x720 frame becomes 1288x728: 46x26 = 1,196 tokens per step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scine_eval.errors import ConfigError

__all__ = ["InputSpec"]

PATCH_PIXELS = 28 * 28
"""Pixels behind one Qwen2.5-VL video token per temporal step (a 2x2 merge of 14x14 patches)."""


@dataclass(frozen=True)
class InputSpec:
    """How frames are sampled and sized for a VLM judge.

    Attributes:
        fps: sampling rate; the paper's judges saw 2 fps.
        max_pixels: cap on each frame's area; the default keeps 720p native (1,003,520 px).
        min_pixels: floor on each frame's area (smaller frames are upscaled by the processor).
        max_frames: cap on frames per clip (uniform subsampling beyond it), or ``None``.
    """

    fps: float = 2.0
    max_pixels: int = 1280 * PATCH_PIXELS
    min_pixels: int = 4 * PATCH_PIXELS
    max_frames: int | None = 768

    def __post_init__(self) -> None:
        if not self.fps > 0:
            raise ConfigError(f"input spec fps={self.fps!r}: must be a positive number of frames per second")
        if self.min_pixels < PATCH_PIXELS or self.max_pixels < self.min_pixels:
            raise ConfigError(
                f"input spec min_pixels={self.min_pixels}, max_pixels={self.max_pixels}: need "
                f"{PATCH_PIXELS} <= min_pixels <= max_pixels"
            )
        if self.max_frames is not None and self.max_frames < 1:
            raise ConfigError(f"input spec max_frames={self.max_frames!r}: must be at least 1, or None for no cap")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, and part of the judge's fingerprint."""
        return {"frames_as": "video", **asdict(self)}

    @property
    def processor_size(self) -> dict[str, int]:
        """The processor's ``size`` argument (per-call min/max_pixels are deprecated in transformers 5)."""
        return {"shortest_edge": self.min_pixels, "longest_edge": self.max_pixels}
