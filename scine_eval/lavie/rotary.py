"""Rotary position embedding over frames, as LaVie's temporal attention applies it.

The release uses ``rotary_embedding_torch.RotaryEmbedding(32)`` with its defaults: frequencies
``theta ** (-2i / dim)`` (``theta = 10000``), positions ``0 .. F-1``, and the *interleaved* pair layout: features
``(2i, 2i+1)`` of a head form one pair, turned by ``position * freq_i``. Only the first ``dim`` features of each
head turn; the rest pass through (a head is 40-160 wide in the base model). The frequencies are not learned, so
they are computed here rather than stored: :mod:`scine_eval.lavie.convert` drops the copies a checkpoint holds.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["RotaryEmbedding", "rotary_frequencies"]


def rotary_frequencies(dim: int, theta: float = 10000.0) -> torch.Tensor:
    """The ``dim // 2`` angular frequencies, in float32."""
    return 1.0 / theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim)


class RotaryEmbedding(nn.Module):
    """Turns the first ``dim`` features of each head by an angle proportional to the frame index.

    Args:
        dim: how many features of each head turn (even).
        theta: the base of the frequency ladder.
    """

    def __init__(self, dim: int, theta: float = 10000.0):
        super().__init__()
        if dim % 2:
            raise ValueError(f"rotary dim must be even, got {dim}")
        self.dim, self.theta = dim, theta

    def angles(self, length: int, device: torch.device | str | None = None) -> torch.Tensor:
        """``(length, dim)`` angles, each pair's angle repeated for its two features (interleaved layout)."""
        positions = torch.arange(length, dtype=torch.float32, device=device)
        angles = positions[:, None] * rotary_frequencies(self.dim, self.theta).to(device)[None, :]
        return angles.repeat_interleave(2, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` of shape ``(..., frames, head_width)`` with its first ``dim`` features turned."""
        angles = self.angles(x.shape[-2], x.device)
        turned, rest = x[..., : self.dim].float(), x[..., self.dim :]
        turned = turned * angles.cos() + _rotate_pairs(turned) * angles.sin()
        return torch.cat([turned.to(x.dtype), rest], dim=-1)


def _rotate_pairs(x: torch.Tensor) -> torch.Tensor:
    """``(a, b) -> (-b, a)`` for each interleaved pair: multiplication by ``i`` of the pair read as ``a + ib``."""
    pairs = x.unflatten(-1, (-1, 2))
    return torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)
