"""Self-attention across frames at each spatial position: LaVie's temporal attention.

Base model (``base/models/attention.py``, ``TemporalAttention``): queries and keys are turned by rotary
positions (:mod:`scine_eval.lavie.rotary`) and the scores get a learned bias per head and frame distance,
bucketed as in T5 (32 buckets, max distance 32). Interpolation model: the same projections, no positions at all.

Parameter names follow the release so its state dict loads as it is: ``to_q``, ``to_k``, ``to_v`` (no bias),
``to_out.0`` and ``time_rel_pos_bias.relative_attention_bias``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from scine_eval.lavie.config import TemporalPosition
from scine_eval.lavie.rotary import RotaryEmbedding

__all__ = ["RelativePositionBias", "TemporalAttention", "relative_position_bucket"]


def relative_position_bucket(relative: torch.Tensor, num_buckets: int = 32, max_distance: int = 32) -> torch.Tensor:
    """T5's bidirectional buckets of ``relative = key - query``.

    Half the buckets per direction; the nearest distances exact, farther ones on a log scale up to
    ``max_distance`` (and the last bucket beyond).
    """
    distance = -relative  # query - key, as the release (and T5) count it
    half = num_buckets // 2
    bucket = (distance < 0).long() * half
    distance = distance.abs()
    exact = half // 2
    scaled = torch.log(distance.clamp(min=1).float() / exact) / math.log(max_distance / exact) * (half - exact)
    far = (exact + scaled.long()).clamp(max=half - 1)
    return bucket + torch.where(distance < exact, distance, far)


class RelativePositionBias(nn.Module):
    """A learned ``(heads, frames, frames)`` score bias by bucketed frame distance."""

    def __init__(self, heads: int, num_buckets: int = 32, max_distance: int = 32):
        super().__init__()
        self.num_buckets, self.max_distance = num_buckets, max_distance
        self.relative_attention_bias = nn.Embedding(num_buckets, heads)

    def forward(self, frames: int) -> torch.Tensor:
        positions = torch.arange(frames, device=self.relative_attention_bias.weight.device)
        buckets = relative_position_bucket(positions[None, :] - positions[:, None], self.num_buckets,
                                           self.max_distance)  # fmt: skip
        return self.relative_attention_bias(buckets).permute(2, 0, 1)


class TemporalAttention(nn.Module):
    """Multi-head self-attention over the frame axis of ``(batch * positions, frames, dim)`` tokens.

    Args:
        dim: token width.
        heads: attention heads (``dim // heads`` wide each).
        position: ``rope+bias`` (base) or ``none`` (interpolation).
        rope_dim: features of each head the rotary embedding turns.
        num_buckets, max_distance: the relative bias's buckets.
    """

    def __init__(self, dim: int, heads: int, position: TemporalPosition = "rope+bias", rope_dim: int = 32,
                 num_buckets: int = 32, max_distance: int = 32):  # fmt: skip
        super().__init__()
        self.heads, self.position = heads, position
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(dim, dim), nn.Dropout(0.0)])
        if position == "rope+bias":
            self.rotary_emb = RotaryEmbedding(rope_dim)
            self.time_rel_pos_bias = RelativePositionBias(heads, num_buckets, max_distance)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (self._heads(proj(x)) for proj in (self.to_q, self.to_k, self.to_v))
        bias = None
        if self.position == "rope+bias":
            q, k = self.rotary_emb(q), self.rotary_emb(k)
            bias = self.time_rel_pos_bias(x.shape[1]).to(q.dtype)  # added to the scaled scores, as in the release
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.to_out[1](self.to_out[0](out.transpose(1, 2).flatten(2)))

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, frames, dim) -> (n, heads, frames, dim / heads)``."""
        return x.unflatten(-1, (self.heads, -1)).transpose(1, 2)
