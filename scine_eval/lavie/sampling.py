"""The interpolation stage's sampler and frame layout, as ``interpolation/sample.py`` runs them.

Sampler: the release samples the interpolation network with its own copy of guided-diffusion
(``create_diffusion("50")``, ``ddim_sample_loop``, ``eta=0``, ``clip_denoised=False``): 1000 linear betas
``1e-4 .. 0.02`` respaced to 50 steps by ``space_timesteps`` (``round(i * 999 / 49)``, so both 0 and 999 are
visited), the network called with the original timestep. diffusers' ``DDIMScheduler`` steps by
``1000 // 50 = 20`` and cannot take that timestep list, so the few lines of the DDIM update are written here.

Frames: the release resamples the 16-frame base video to 61 indices (``linspace(0, 15, 61)``), encodes them,
keeps every 4th latent (= the 16 originals), repeats each 4 times and drops the first and the last two:
frame ``k`` is copied to outputs ``4k-1 .. 4k+2`` (clipped to ``0 .. 4F-4``). The network sees the copies
concatenated to the noise and re-synthesises every output frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

__all__ = ["RespacedDDIM", "copy_frames", "interpolated_length", "linear_alphas_cumprod", "respaced_timesteps"]


def linear_alphas_cumprod(train_steps: int = 1000, start: float = 1e-4, end: float = 0.02) -> torch.Tensor:
    """``prod(1 - beta)`` of guided-diffusion's ``linear`` schedule, in float64 as it computes it."""
    scale = 1000 / train_steps
    betas = torch.linspace(scale * start, scale * end, train_steps, dtype=torch.float64)
    return torch.cumprod(1.0 - betas, dim=0)


def respaced_timesteps(train_steps: int, steps: int) -> list[int]:
    """guided-diffusion's ``space_timesteps(train_steps, str(steps))``: ``steps`` evenly spaced, both ends kept."""
    if steps == 1:
        return [0]
    stride = (train_steps - 1) / (steps - 1)
    taken, position = [], 0.0
    for _ in range(steps):
        taken.append(round(position))  # Python's round, accumulated in floats, exactly as the release
        position += stride
    return sorted(set(taken))


@dataclass(frozen=True)
class RespacedDDIM:
    """Deterministic DDIM (``eta = 0``) over a respaced subset of the training timesteps."""

    steps: int
    train_steps: int = 1000

    def __iter__(self) -> Iterator[tuple[int, float, float]]:
        """``(timestep, alpha_bar, alpha_bar_prev)`` from the noisiest step down (``alpha_bar_prev = 1`` last)."""
        alphas = linear_alphas_cumprod(self.train_steps)
        kept = respaced_timesteps(self.train_steps, self.steps)
        for i in reversed(range(len(kept))):
            yield kept[i], float(alphas[kept[i]]), float(alphas[kept[i - 1]]) if i > 0 else 1.0

    @staticmethod
    def step(x: torch.Tensor, eps: torch.Tensor, alpha: float, alpha_prev: float) -> torch.Tensor:
        """``x_{t-1} = sqrt(a') x0 + sqrt(1 - a') eps`` with ``x0 = (x - sqrt(1 - a) eps) / sqrt(a)``."""
        x32, eps32 = x.float(), eps.float()
        x0 = (x32 - (1 - alpha) ** 0.5 * eps32) / alpha**0.5
        return (alpha_prev**0.5 * x0 + (1 - alpha_prev) ** 0.5 * eps32).to(x.dtype)


def interpolated_length(frames: int) -> int:
    """Frames the interpolation stage makes from ``frames`` (16 -> 61)."""
    return 4 * frames - 3


def copy_frames(latents: torch.Tensor) -> torch.Tensor:
    """``(b, c, F, h, w) -> (b, c, 4F - 3, h, w)``: each frame repeated 4 times, minus the first and last two."""
    return latents.repeat_interleave(4, dim=2)[:, :, 1:-2]
