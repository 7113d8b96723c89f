"""LaVie's spatio-temporal transformer: SD's spatial transformer with temporal attention in every block.

Per block, on the tokens of every frame (``(batch * frames, height * width, channels)``):

1. spatial self-attention (``attn1``; interpolation: "sparse-causal", keys and values from the first and the
   previous frame; SD x4 upscaler levels with ``only_cross_attention``: attention to the text);
2. text cross-attention (``attn2``);
3. base: temporal attention (``attn_temp`` after ``norm_temp``), then the feed-forward (``ff`` after ``norm3``);
   interpolation: the feed-forward, then the temporal attention.

Each step is pre-norm and residual. The spatial and text attentions and the feed-forward are diffusers'
``Attention`` and ``FeedForward`` (GEGLU), whose parameter names (``to_q``, ``to_out.0``, ``net.0.proj``...)
are the ones the release and SD use.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention
from torch import nn

from scine_eval.lavie.config import UNetConfig
from scine_eval.lavie.frames import from_frames, to_frames
from scine_eval.lavie.temporal import TemporalAttention

__all__ = ["SpatioTemporalBlock", "SpatioTemporalTransformer", "sparse_causal_attention"]


def sparse_causal_attention(attn: Attention, x: torch.Tensor, frames: int) -> torch.Tensor:
    """``attn``'s weights applied with each frame's queries against the first and the previous frame's tokens.

    ``x`` is ``(batch * frames, tokens, dim)``; frame 0's "previous" frame is itself (the release's
    ``former_frame_index[0] = 0``).
    """
    first = torch.zeros(frames, dtype=torch.long, device=x.device)
    previous = (torch.arange(frames, device=x.device) - 1).clamp(min=0)

    def context(t: torch.Tensor) -> torch.Tensor:
        t = t.unflatten(0, (-1, frames))
        return torch.cat([t[:, first], t[:, previous]], dim=2).flatten(0, 1)

    q, k, v = attn.to_q(x), context(attn.to_k(x)), context(attn.to_v(x))
    q, k, v = (t.unflatten(-1, (attn.heads, -1)).transpose(1, 2) for t in (q, k, v))
    out = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).flatten(2)
    return attn.to_out[1](attn.to_out[0](out))


class SpatioTemporalBlock(nn.Module):
    """One transformer block (the release's ``BasicTransformerBlock``)."""

    def __init__(self, dim: int, config: UNetConfig, only_cross_attention: bool = False):
        super().__init__()
        heads, width, text = config.heads, dim // config.heads, config.cross_attention_dim
        self.only_cross_attention, self.config = only_cross_attention, config
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, cross_attention_dim=text if only_cross_attention else None, heads=heads,
                               dim_head=width)  # fmt: skip
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, cross_attention_dim=text, heads=heads, dim_head=width)
        self.norm_temp = nn.LayerNorm(dim)
        self.attn_temp = TemporalAttention(dim, heads, config.temporal_position, config.rope_dim,
                                           config.relative_buckets, config.relative_max_distance)  # fmt: skip
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, activation_fn="geglu")

    def forward(self, x: torch.Tensor, text: torch.Tensor, frames: int) -> torch.Tensor:
        """``x``: ``(batch * frames, tokens, dim)``; ``text``: ``(batch * frames, text tokens, text dim)``."""
        h = self.norm1(x)
        if self.config.sparse_causal:
            x = sparse_causal_attention(self.attn1, h, frames) + x
        else:
            x = self.attn1(h, encoder_hidden_states=text if self.only_cross_attention else None) + x
        x = self.attn2(self.norm2(x), encoder_hidden_states=text) + x
        if not self.config.temporal_after_ff:
            x = self._temporal(x, frames)
        x = self.ff(self.norm3(x)) + x
        if self.config.temporal_after_ff:
            x = self._temporal(x, frames)
        return x

    def _temporal(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        # (b f) d c -> (b d) f c: every spatial position becomes a sequence over frames
        tokens = x.shape[1]
        seq = x.unflatten(0, (-1, frames)).transpose(1, 2).flatten(0, 1)
        seq = self.attn_temp(self.norm_temp(seq)) + seq
        return seq.unflatten(0, (-1, tokens)).transpose(1, 2).flatten(0, 1)


class SpatioTemporalTransformer(nn.Module):
    """Group norm per frame, 1x1 projection in, one :class:`SpatioTemporalBlock`, projection out, residual."""

    def __init__(self, channels: int, config: UNetConfig, only_cross_attention: bool = False):
        super().__init__()
        self.linear = config.use_linear_projection
        self.norm = nn.GroupNorm(config.norm_num_groups, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, channels) if self.linear else nn.Conv2d(channels, channels, 1)
        self.transformer_blocks = nn.ModuleList([SpatioTemporalBlock(channels, config, only_cross_attention)])
        self.proj_out = nn.Linear(channels, channels) if self.linear else nn.Conv2d(channels, channels, 1)

    def forward(self, video: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """``video``: ``(batch, channels, frames, height, width)``; ``text``: ``(batch, tokens, text dim)``."""
        batch, _, frames, height, width = video.shape
        residual = to_frames(video)
        h = self.norm(residual)
        if not self.linear:
            h = self.proj_in(h)
        h = h.flatten(2).transpose(1, 2)  # (b f) c h w -> (b f) (h w) c
        if self.linear:
            h = self.proj_in(h)
        context = text.repeat_interleave(frames, dim=0)
        for block in self.transformer_blocks:
            h = block(h, context, frames)
        if self.linear:
            h = self.proj_out(h)
        h = h.transpose(1, 2).unflatten(2, (height, width))
        if not self.linear:
            h = self.proj_out(h)
        return from_frames(h + residual, batch)
