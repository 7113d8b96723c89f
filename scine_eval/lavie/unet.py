"""LaVie's 3D UNet: Stable Diffusion's UNet applied per frame, with temporal attention in every transformer.

The layout is SD's (``CompVis/stable-diffusion-v1-4`` for the base and interpolation networks): ``conv_in``,
a sinusoidal time embedding (``time_proj`` + ``time_embedding.linear_1/2``), down blocks of residual blocks
and spatio-temporal transformers with a strided-conv downsampler, a middle block (residual, transformer,
residual), up blocks that consume the skip connections (``layers_per_block + 1`` residual blocks each) with a
nearest-neighbour x2 upsampler, then ``conv_norm_out`` / ``conv_out``. "Pseudo-3D" in the paper means: every
convolution sees one frame (the release's ``InflatedConv3d``), while the residual blocks' group norms and
``conv_norm_out`` pool statistics over all frames; frames talk to each other only in the temporal attention.

Every parameter has the name the release's ``UNet3DConditionModel`` gives it, so ``lavie_base.pt`` loads with
``load_state_dict(strict=True)`` after :func:`scine_eval.lavie.convert.from_release` (which only drops the
rotary frequencies the release stores but never learns). Sizes come from :class:`~scine_eval.lavie.config.UNetConfig`.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from diffusers.models.downsampling import Downsample2D
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.models.upsampling import Upsample2D
from torch import nn

from scine_eval.lavie.config import UNetConfig
from scine_eval.lavie.frames import per_frame
from scine_eval.lavie.resnet import ResnetBlock3D
from scine_eval.lavie.transformer import SpatioTemporalTransformer

__all__ = ["LaVieUNet"]


class DownBlock(nn.Module):
    """Residual blocks (each followed by a transformer when ``attention``) and an optional x2 downsampler."""

    def __init__(self, cin: int, cout: int, config: UNetConfig, attention: bool, only_cross: bool, down: bool):
        super().__init__()
        groups, eps, temb = config.norm_num_groups, config.norm_eps, config.time_embed_dim
        self.resnets = nn.ModuleList(
            ResnetBlock3D(cin if i == 0 else cout, cout, temb, groups, eps) for i in range(config.layers_per_block)
        )
        if attention:
            self.attentions = nn.ModuleList(
                SpatioTemporalTransformer(cout, config, only_cross) for _ in range(config.layers_per_block)
            )
        downsampler = Downsample2D(cout, use_conv=True, out_channels=cout, name="op")
        self.downsamplers = nn.ModuleList([downsampler]) if down else None

    def forward(self, x: torch.Tensor, temb: torch.Tensor, text: torch.Tensor) -> tuple[torch.Tensor, list[Any]]:
        skips = []
        for i, resnet in enumerate(self.resnets):
            x = resnet(x, temb)
            if hasattr(self, "attentions"):
                x = self.attentions[i](x, text)
            skips.append(x)
        if self.downsamplers is not None:
            x = per_frame(self.downsamplers[0], x)
            skips.append(x)
        return x, skips


class MidBlock(nn.Module):
    """Residual block, transformer, residual block at the lowest resolution."""

    def __init__(self, channels: int, config: UNetConfig):
        super().__init__()
        groups, eps, temb = config.norm_num_groups, config.norm_eps, config.time_embed_dim
        self.resnets = nn.ModuleList(ResnetBlock3D(channels, channels, temb, groups, eps) for _ in range(2))
        self.attentions = nn.ModuleList([SpatioTemporalTransformer(channels, config)])

    def forward(self, x: torch.Tensor, temb: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        x = self.resnets[0](x, temb)
        return self.resnets[1](self.attentions[0](x, text), temb)


class UpBlock(nn.Module):
    """``layers_per_block + 1`` residual blocks over [x, skip], transformers when ``attention``, an x2 upsampler."""

    def __init__(self, cin: int, cout: int, cprev: int, config: UNetConfig, attention: bool, only_cross: bool,
                 up: bool):  # fmt: skip
        super().__init__()
        groups, eps, temb = config.norm_num_groups, config.norm_eps, config.time_embed_dim
        layers = config.layers_per_block + 1
        skip = [cout] * (layers - 1) + [cin]  # the last residual block takes the skip from the level above
        self.resnets = nn.ModuleList(
            ResnetBlock3D((cprev if i == 0 else cout) + skip[i], cout, temb, groups, eps) for i in range(layers)
        )
        if attention:
            self.attentions = nn.ModuleList(SpatioTemporalTransformer(cout, config, only_cross) for _ in range(layers))
        self.upsamplers = nn.ModuleList([Upsample2D(cout, use_conv=True, out_channels=cout)]) if up else None

    def forward(self, x: torch.Tensor, skips: list[torch.Tensor], temb: torch.Tensor, text: torch.Tensor,
                size: tuple[int, int] | None) -> torch.Tensor:  # fmt: skip
        for i, resnet in enumerate(self.resnets):
            x = resnet(torch.cat([x, skips.pop()], dim=1), temb)
            if hasattr(self, "attentions"):
                x = self.attentions[i](x, text)
        if self.upsamplers is not None:
            x = per_frame(self.upsamplers[0], x, output_size=size)
        return x


class LaVieUNet(nn.Module):
    """The noise predictor of one LaVie stage.

    Args:
        config: sizes and temporal switches (:data:`~scine_eval.lavie.config.BASE` is ``lavie_base.pt``'s).
    """

    def __init__(self, config: UNetConfig):
        super().__init__()
        self.config = config
        widths, levels = config.block_out_channels, len(config.block_out_channels)
        self.conv_in = nn.Conv2d(config.in_channels, widths[0], 3, padding=1)
        self.time_proj = Timesteps(widths[0], config.flip_sin_to_cos, config.freq_shift)
        self.time_embedding = TimestepEmbedding(widths[0], config.time_embed_dim)
        if config.num_class_embeds is not None:
            self.class_embedding = nn.Embedding(config.num_class_embeds, config.time_embed_dim)
        self.down_blocks = nn.ModuleList()
        for i in range(levels):
            self.down_blocks.append(DownBlock(widths[max(i - 1, 0)], widths[i], config, config.attention_blocks[i],
                                              config.only_cross_attention[i], down=i < levels - 1))  # fmt: skip
        self.mid_block = MidBlock(widths[-1], config)
        self.up_blocks = nn.ModuleList()
        rev, attention, only_cross = widths[::-1], config.attention_blocks[::-1], config.only_cross_attention[::-1]
        for i in range(levels):
            self.up_blocks.append(UpBlock(rev[min(i + 1, levels - 1)], rev[i], rev[max(i - 1, 0)], config,
                                          attention[i], only_cross[i], up=i < levels - 1))  # fmt: skip
        self.conv_norm_out = nn.GroupNorm(config.norm_num_groups, widths[0], eps=config.norm_eps)
        self.conv_out = nn.Conv2d(widths[0], config.out_channels, 3, padding=1)

    @property
    def dtype(self) -> torch.dtype:
        return self.conv_in.weight.dtype

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor | int, text: torch.Tensor,
                class_labels: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        """The predicted noise.

        Args:
            sample: ``(batch, in_channels, frames, height, width)`` latents (and conditions, concatenated).
            timestep: the diffusion step, one for all or one per sample.
            text: ``(batch, tokens, cross_attention_dim)`` text embeddings.
            class_labels: the noise level per sample (networks with ``num_class_embeds``).
        """
        batch = sample.shape[0]
        t = torch.as_tensor(timestep, device=sample.device).reshape(-1).expand(batch)
        temb = self.time_embedding(self.time_proj(t).to(self.dtype))
        if self.config.num_class_embeds is not None:
            if class_labels is None:
                raise ValueError("this UNet needs class_labels (the noise level)")
            temb = temb + self.class_embedding(class_labels.reshape(-1).expand(batch)).to(self.dtype)
        x = per_frame(self.conv_in, sample)
        skips = [x]
        for block in self.down_blocks:
            x, more = block(x, temb, text)
            skips += more
        x = self.mid_block(x, temb, text)
        for block in self.up_blocks:
            level_skips = [skips.pop() for _ in block.resnets][::-1]
            # sizes that are not a multiple of 2**levels: upsample to the next skip's size, as the release does
            size = tuple(skips[-1].shape[-2:]) if skips and block.upsamplers is not None else None
            x = block(x, level_skips, temb, text, size)
        x = per_frame(self.conv_out, F.silu(self.conv_norm_out(x)))
        return x
