"""LaVie's residual block: 2D convolutions per frame, group norms over the whole clip.

``ResnetBlock3D`` in the release normalises the 5D tensor with ``nn.GroupNorm``, so each group's statistics are
taken over all frames together, while its convolutions (``InflatedConv3d``) see one frame at a time. Diffusers'
``ResnetBlock2D`` on a batch of frames would normalise each frame on its own, which is a different network, so this
block is written out. Parameter names are the release's (and SD's): ``norm1``, ``conv1``, ``time_emb_proj``,
``norm2``, ``conv2``, ``conv_shortcut``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from scine_eval.lavie.frames import per_frame

__all__ = ["ResnetBlock3D"]


class ResnetBlock3D(nn.Module):
    """``x + conv(silu(norm(conv(silu(norm(x))) + time))))`` on ``(batch, channels, frames, height, width)``."""

    def __init__(self, in_channels: int, out_channels: int, temb_channels: int, groups: int, eps: float):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_channels, eps=eps)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb_channels, out_channels)
        self.norm2 = nn.GroupNorm(groups, out_channels, eps=eps)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else None

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = per_frame(self.conv1, F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None, None]
        h = per_frame(self.conv2, self.dropout(F.silu(self.norm2(h))))
        skip = per_frame(self.conv_shortcut, x) if self.conv_shortcut is not None else x
        return skip + h
