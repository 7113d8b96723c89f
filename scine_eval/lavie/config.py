"""The sizes and switches of LaVie's three UNets, and the released values of each.

One config type covers the three networks of the cascade, because the release builds all three from the same
inflated Stable Diffusion UNet and they differ only in these fields:

* base (``lavie_base.pt``): SD 1.4's UNet config (``CompVis/stable-diffusion-v1-4/unet/config.json``) with
  every 2D block made 3D; temporal self-attention with rotary positions and a T5-style relative position bias
  sits between the text cross-attention and the feed-forward of every transformer block.
* interpolation (``lavie_interpolation.pt``): the same UNet with ``in_channels=8`` (noise + the copied frames'
  latents), "sparse-causal" spatial attention (each frame attends to the first and the previous frame) and
  temporal attention without any position encoding, placed after the feed-forward
  (``interpolation/models/unet.py``, ``from_pretrained_2d(use_concat=True, copy_no_mask=True)``).
* VSR (``lavie_vsr.pt``): the SD x4 upscaler's UNet config (``vsr/configs/unet_3d_config.json``): 7 input
  channels (noise + the low-resolution RGB frames), a class embedding of the noise level, linear projections.
  See :mod:`scine_eval.lavie.pipeline` for how far the VSR network here follows the release (it does not).

Configs are plain data: a checkpoint may carry a ``<name>.json`` next to it (the tiny pipelines do); a released
file without one gets the constant here.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scine_eval.errors import ConfigError

__all__ = ["BASE", "INTERPOLATION", "VSR", "TemporalPosition", "UNetConfig"]

TemporalPosition = Literal["rope+bias", "none"]


@dataclass(frozen=True)
class UNetConfig:
    """A LaVie UNet's sizes (SD naming) and temporal switches."""

    in_channels: int = 4
    out_channels: int = 4
    block_out_channels: tuple[int, ...] = (320, 640, 1280, 1280)
    attention_blocks: tuple[bool, ...] = (True, True, True, False)
    """Which down blocks hold transformers (``CrossAttnDownBlock3D``); the up blocks mirror them."""
    only_cross_attention: tuple[bool, ...] = (False, False, False, False)
    """Per down block: the first attention attends to the text too (the SD x4 upscaler); up blocks mirror them."""
    layers_per_block: int = 2
    heads: int = 8
    """Attention heads at every level (SD 1.x configs call it ``attention_head_dim``); head width = channels/heads."""
    cross_attention_dim: int = 768
    norm_num_groups: int = 32
    norm_eps: float = 1e-5
    use_linear_projection: bool = False
    num_class_embeds: int | None = None
    """A class embedding added to the time embedding (the VSR network's noise level); ``None``: none."""
    flip_sin_to_cos: bool = True
    freq_shift: int = 0
    temporal_position: TemporalPosition = "rope+bias"
    """``rope+bias``: rotary positions on queries and keys plus a learned relative bias (base); ``none``: none."""
    rope_dim: int = 32
    """Features of each head the rotary embedding turns (the release's ``RotaryEmbedding(32)``); the rest pass."""
    relative_buckets: int = 32
    relative_max_distance: int = 32
    temporal_after_ff: bool = False
    """Temporal attention after the feed-forward (interpolation) instead of before it (base)."""
    sparse_causal: bool = False
    """Spatial self-attention reads the first and the previous frame's keys and values (interpolation)."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Keys of a loaded config this version does not read (kept so a round trip loses nothing)."""

    def __post_init__(self) -> None:
        levels = len(self.block_out_channels)
        for name in ("attention_blocks", "only_cross_attention"):
            if len(getattr(self, name)) != levels:
                raise ValueError(f"{name} needs one entry per block ({levels}), got {getattr(self, name)}")
        for channels in self.block_out_channels:
            if channels % self.heads or channels % self.norm_num_groups:
                raise ValueError(f"block width {channels} must divide by heads={self.heads} and "
                                 f"norm_num_groups={self.norm_num_groups}")  # fmt: skip
        if self.temporal_position not in ("rope+bias", "none"):
            raise ValueError(f"temporal_position={self.temporal_position!r}: valid are 'rope+bias' and 'none'")
        if self.temporal_position != "none" and (self.rope_dim % 2 or self.rope_dim > min(self.head_widths)):
            raise ValueError(f"rope_dim={self.rope_dim} must be even and at most the narrowest head "
                             f"({min(self.head_widths)})")  # fmt: skip

    @property
    def head_widths(self) -> tuple[int, ...]:
        return tuple(c // self.heads for c in self.block_out_channels)

    @property
    def time_embed_dim(self) -> int:
        return self.block_out_channels[0] * 4

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        return {**self.extra, **{k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UNetConfig:
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
        return cls(**known, extra={k: v for k, v in data.items() if k not in names})

    @classmethod
    def load(cls, path: str | Path) -> UNetConfig:
        """The config in a JSON file; a file that is no valid config is a :class:`ConfigError` naming it."""
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as error:
            raise ConfigError(f"not a LaVie UNet config: {error}", path=path) from None


BASE = UNetConfig()
"""``lavie_base.pt``: SD 1.4's UNet (4 levels 320-1280, 8 heads, CLIP-L 768 text) + RoPE temporal attention."""

INTERPOLATION = dataclasses.replace(
    BASE, in_channels=8, temporal_position="none", temporal_after_ff=True, sparse_causal=True
)
"""``lavie_interpolation.pt``: the base layout with 8 input channels, sparse-causal spatial attention and
temporal attention (no positions) after the feed-forward."""

VSR = UNetConfig(
    in_channels=7,
    block_out_channels=(256, 512, 512, 1024),
    attention_blocks=(False, True, True, True),
    only_cross_attention=(True, True, True, False),
    cross_attention_dim=1024,
    use_linear_projection=True,
    num_class_embeds=1000,
)
"""The SD x4 upscaler's UNet sizes (``vsr/configs/unet_3d_config.json``) with this package's temporal attention;
its weights are this package's own, never ``lavie_vsr.pt`` (see :mod:`scine_eval.lavie.pipeline`)."""
