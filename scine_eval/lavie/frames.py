"""Moving between a video tensor ``(batch, channels, frames, height, width)`` and a batch of frames.

The release's "inflated" 3D layers (``InflatedConv3d``, the spatial transformers) are 2D layers applied to every
frame on its own: ``b c f h w -> (b f) c h w``, batch-major. Everything here keeps that order, so the text
embedding of sample ``b`` is repeated ``frames`` times in a row (``repeat_interleave``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["from_frames", "per_frame", "to_frames"]


def to_frames(video: torch.Tensor) -> torch.Tensor:
    """``(b, c, f, h, w) -> (b * f, c, h, w)``."""
    return video.transpose(1, 2).flatten(0, 1)


def from_frames(frames: torch.Tensor, batch: int) -> torch.Tensor:
    """``(b * f, c, h, w) -> (b, c, f, h, w)``."""
    return frames.unflatten(0, (batch, -1)).transpose(1, 2)


def per_frame(layer: Callable[..., torch.Tensor], video: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
    """A 2D layer applied to every frame of a video tensor (the release's ``InflatedConv3d``)."""
    return from_frames(layer(to_frames(video), *args, **kwargs), video.shape[0])
