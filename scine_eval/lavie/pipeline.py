"""``LaviePipeline``: LaVie's cascade (base text-to-video, then optional interpolation and super-resolution).

What each stage does, and how far it follows the release (github.com/Vchitect/LaVie):

**Base** (faithful; ``base/pipelines/pipeline_videogen.py``, ``base/configs/sample.yaml``). SD 1.4's CLIP text
encoder (77 tokens, last hidden state), classifier-free guidance with the empty prompt as the unconditional
text, latents ``(b, 4, frames, h/8, w/8)`` drawn once, the scheduler built from SD 1.4's scheduler config with
the release's overrides (linear betas ``1e-4 .. 0.02``; DDPM by default, DDIM and Euler as in the release's
``sample_method``), 50 steps, guidance 7.0, VAE decode of every frame at SD's latent scale (0.18215).
The network is :class:`~scine_eval.lavie.unet.LaVieUNet`, which loads ``lavie_base.pt`` key for key.

**Interpolation** (faithful network and sampler; input path simplified; ``interpolation/sample.py`` with
``copy_no_mask: True``, ``use_concat: True``). The 16 base frames are rounded to 8 bits (the release reads them
back from the mp4 the base stage wrote), encoded by SD's VAE (a sample of the posterior), copied to the 61-frame
layout (:func:`~scine_eval.lavie.sampling.copy_frames`) and concatenated to the noise (8 input channels); the
prompt gets ", 4k." appended, the unconditional text is the literal ``"None"`` (the yaml's ``negative_prompt``),
guidance 4.0, 50 respaced DDIM steps (:class:`~scine_eval.lavie.sampling.RespacedDDIM`). The network loads
``lavie_interpolation.pt`` key for key. Not reproduced: the H.264 round trip between the stages (only its 8-bit
rounding is), and the release's fixed seed (3418) and its re-seeding of the global RNG; here every random draw of
every stage comes from the request's own generator, in order.

**VSR** (*not* the released network; same inputs and outputs). The release's ``lavie_vsr.pt`` is the SD x4
upscaler's UNet with its own temporal modules (deformable-convolution warping, a temporal token shift, cross-frame
attention; ``vsr/models/temporal_module.py``) that this package does not implement, so that file is refused.
What runs here is an x4-upscaler-sized :class:`~scine_eval.lavie.unet.LaVieUNet` (``config.VSR``: 7 input
channels, noise-level class embedding, linear projections, text attention in the first levels) with this
package's RoPE temporal attention, loaded from a ``lavie_vsr.safetensors`` (and ``lavie_vsr.json``) of this
package's layout, e.g. the tiny pipelines'. The procedure follows ``vsr/sample.py``: the x4 upscaler's own VAE,
text encoder and tokenizer, chunks of 8 frames, the low-resolution frames noised to ``noise_level=50`` by the
upscaler's ``low_res_scheduler`` and concatenated to the latents, the level as class label, negative prompt
"blur, worst quality", guidance 5, 50 DDIM steps (the upscaler's scheduler config with linear betas), decode at
the VAE's ``scaling_factor``: ``(F, H, W) -> (F, 4H, 4W)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from scine_eval.lavie.frames import from_frames, to_frames
from scine_eval.lavie.sampling import RespacedDDIM, copy_frames
from scine_eval.lavie.unet import LaVieUNet

__all__ = ["LaviePipeline", "Sampling", "TextStack", "UpscaleStage"]


@dataclass(frozen=True)
class Sampling:
    """Every setting of one cascade run (defaults: the release's yaml files and README)."""

    frames: int = 16
    height: int = 320
    width: int = 512
    steps: int = 50
    guidance: float = 7.0
    negative_prompt: str = ""
    interpolate: bool = False
    interp_steps: int = 50
    interp_guidance: float = 4.0
    interp_suffix: str = ", 4k."
    interp_negative: str = "None"
    upscale: bool = False
    vsr_steps: int = 50
    vsr_guidance: float = 5.0
    noise_level: int = 50
    vsr_negative: str = "blur, worst quality"
    vsr_chunk: int = 8


@dataclass
class TextStack:
    """A CLIP tokenizer and text encoder: prompts -> ``(n, 77, width)`` last hidden states."""

    tokenizer: Any
    encoder: Any

    def encode(self, prompts: Sequence[str], device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        ids = self.tokenizer(list(prompts), padding="max_length", max_length=self.tokenizer.model_max_length,
                             truncation=True, return_tensors="pt").input_ids  # fmt: skip
        return self.encoder(ids.to(device))[0].to(dtype)


@dataclass
class UpscaleStage:
    """The x4 super-resolution stage's components (see the module docstring for what it is and is not)."""

    unet: LaVieUNet
    vae: Any
    text: TextStack
    scheduler: Any
    low_res_scheduler: Any


class LaviePipeline:
    """Text to video with LaVie's cascade.

    Args:
        vae: SD 1.4's ``AutoencoderKL``.
        text: SD 1.4's CLIP tokenizer and text encoder.
        unet: the base network.
        scheduler: the base sampler (a diffusers scheduler).
        interpolation: the interpolation network, for ``Sampling(interpolate=True)``.
        upscale: the super-resolution stage, for ``Sampling(upscale=True)``.
    """

    def __init__(self, vae: Any, text: TextStack, unet: LaVieUNet, scheduler: Any,
                 interpolation: LaVieUNet | None = None, upscale: UpscaleStage | None = None):  # fmt: skip
        self.vae, self.text, self.unet, self.scheduler = vae, text, unet, scheduler
        self.interpolation, self.upscale_stage = interpolation, upscale

    @property
    def device(self) -> torch.device:
        return self.unet.conv_in.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.unet.dtype

    @torch.inference_mode()
    def __call__(self, prompts: Sequence[str], generators: Sequence[torch.Generator], sampling: Sampling) -> Any:
        """Videos as ``(batch, frames, height, width, 3)`` floats in ``[0, 1]`` (numpy), one per prompt.

        ``generators[i]`` makes every random draw of prompt ``i``, so a video depends only on its own seed.
        """
        if len(prompts) != len(generators):
            raise ValueError(f"{len(prompts)} prompts but {len(generators)} generators")
        if sampling.interpolate and self.interpolation is None:
            raise ValueError("interpolation asked for, but the pipeline has no interpolation network")
        if sampling.upscale and self.upscale_stage is None:
            raise ValueError("super-resolution asked for, but the pipeline has no VSR stage")
        video = self.decode(self.vae, self.sample_base(prompts, generators, sampling))
        if sampling.interpolate:
            video = self.interpolate(video, prompts, generators, sampling)
        if sampling.upscale:
            video = self.upscale(video, prompts, generators, sampling)
        return ((video.float() / 2 + 0.5).clamp(0, 1)).permute(0, 1, 3, 4, 2).cpu().numpy()

    # -- stages ------------------------------------------------------------------------------------------

    def sample_base(self, prompts: Sequence[str], generators: Sequence[torch.Generator], s: Sampling) -> torch.Tensor:
        """Base latents ``(b, 4, frames, height/8, width/8)`` (release: ``VideoGenPipeline.__call__``)."""
        factor = 2 ** (len(self.vae.config.block_out_channels) - 1)
        shape = (len(prompts), self.unet.config.out_channels, s.frames, s.height // factor, s.width // factor)
        text = self._guided_text(self.text, prompts, s.negative_prompt, s.guidance)
        self.scheduler.set_timesteps(s.steps, device=self.device)
        latents = self._noise(shape, generators) * self.scheduler.init_noise_sigma
        for t in self.scheduler.timesteps:
            model_input = self.scheduler.scale_model_input(self._doubled(latents, s.guidance), t)
            eps = self._guide(self.unet(model_input, t, text), s.guidance)
            latents = self.scheduler.step(eps, t, latents, generator=list(generators)).prev_sample
        return latents

    def interpolate(self, video: torch.Tensor, prompts: Sequence[str], generators: Sequence[torch.Generator],
                    s: Sampling) -> torch.Tensor:  # fmt: skip
        """``(b, F, 3, H, W) -> (b, 4F - 3, 3, H, W)`` (release: ``auto_inpainting_copy_no_mask``)."""
        assert self.interpolation is not None
        scale = self.vae.config.scaling_factor
        pixels = _eight_bit(video).to(self.vae.dtype)
        encoded = [
            self.vae.encode(clip).latent_dist.sample(generator=g) for clip, g in zip(pixels, generators, strict=True)
        ]
        latents = from_frames(torch.cat(encoded) * scale, len(prompts)).to(self.dtype)
        copied = copy_frames(latents)
        text = self._guided_text(self.text, [p + s.interp_suffix for p in prompts], s.interp_negative,
                                 s.interp_guidance)  # fmt: skip
        condition = self._doubled(copied, s.interp_guidance)
        z = self._noise(tuple(copied.shape), generators)
        channels = self.interpolation.config.out_channels
        for t, alpha, alpha_prev in RespacedDDIM(s.interp_steps):
            model_input = torch.cat([self._doubled(z, s.interp_guidance), condition], dim=1)
            eps = self._guide(self.interpolation(model_input, t, text)[:, :channels], s.interp_guidance)
            z = RespacedDDIM.step(z, eps, alpha, alpha_prev)
        return self.decode(self.vae, z)

    def upscale(self, video: torch.Tensor, prompts: Sequence[str], generators: Sequence[torch.Generator],
                s: Sampling) -> torch.Tensor:  # fmt: skip
        """``(b, F, 3, H, W) -> (b, F, 3, 4H, 4W)``, ``vsr_chunk`` frames at a time (release: ``vsr/sample.py``)."""
        stage = self.upscale_stage
        assert stage is not None
        frames = _eight_bit(video).transpose(1, 2).to(stage.unet.dtype)  # (b, 3, F, H, W)
        text = self._guided_text(stage.text, prompts, s.vsr_negative, s.vsr_guidance)
        level = torch.full((len(prompts),), s.noise_level, dtype=torch.long, device=self.device)
        out = []
        for start in range(0, frames.shape[2], s.vsr_chunk):
            low = frames[:, :, start : start + s.vsr_chunk]
            low = stage.low_res_scheduler.add_noise(low, self._noise(tuple(low.shape), generators), level)
            shape = (len(prompts), stage.vae.config.latent_channels, *low.shape[2:])
            stage.scheduler.set_timesteps(s.vsr_steps, device=self.device)
            latents = self._noise(shape, generators) * stage.scheduler.init_noise_sigma
            condition, labels = self._doubled(low, s.vsr_guidance), self._doubled(level, s.vsr_guidance)
            for t in stage.scheduler.timesteps:
                model_input = stage.scheduler.scale_model_input(self._doubled(latents, s.vsr_guidance), t)
                model_input = torch.cat([model_input, condition], dim=1)
                eps = self._guide(stage.unet(model_input, t, text, class_labels=labels), s.vsr_guidance)
                latents = stage.scheduler.step(eps, t, latents, generator=list(generators)).prev_sample
            out.append(self.decode(stage.vae, latents))
        return torch.cat(out, dim=1)

    # -- helpers -----------------------------------------------------------------------------------------

    def decode(self, vae: Any, latents: torch.Tensor, chunk: int = 16) -> torch.Tensor:
        """``(b, c, F, h, w)`` latents -> ``(b, F, 3, H, W)`` pixels in ``[-1, 1]``, ``chunk`` frames per call."""
        frames = to_frames(latents / vae.config.scaling_factor).to(vae.dtype)
        pixels = torch.cat([vae.decode(frames[i : i + chunk]).sample for i in range(0, len(frames), chunk)])
        return pixels.unflatten(0, (latents.shape[0], -1))

    def _guided_text(self, text: TextStack, prompts: Sequence[str], negative: str, guidance: float) -> torch.Tensor:
        """``[unconditional..., conditional...]`` embeddings under guidance, else the conditional ones."""
        texts = ([negative] * len(prompts) if guidance > 1 else []) + list(prompts)
        return text.encode(texts, self.device, self.dtype)

    @staticmethod
    def _doubled(x: torch.Tensor, guidance: float) -> torch.Tensor:
        return torch.cat([x, x]) if guidance > 1 else x

    @staticmethod
    def _guide(output: torch.Tensor, guidance: float) -> torch.Tensor:
        if guidance <= 1:  # the release guides only above 1
            return output
        uncond, cond = output.chunk(2)
        return uncond + guidance * (cond - uncond)

    def _noise(self, shape: tuple[int, ...], generators: Sequence[torch.Generator]) -> torch.Tensor:
        """One standard normal draw per sample, each from its own generator."""
        draws = [torch.randn(shape[1:], generator=g, device=g.device, dtype=torch.float32) for g in generators]
        return torch.stack(draws).to(self.device, self.dtype)


def _eight_bit(video: torch.Tensor) -> torch.Tensor:
    """Pixels in ``[-1, 1]`` rounded to 8 bits, as the release's stages read each other's mp4 files."""
    levels = ((video.float() / 2 + 0.5) * 255 + 0.5).clamp(0, 255).floor()
    return levels / 255 * 2 - 1
