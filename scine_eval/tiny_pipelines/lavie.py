"""A tiny random LaVie in the release's folder layout, built in code (no download).

The folder is what ``--model lavie --model_args pretrained=<folder>`` reads::

    lavie_base.safetensors + lavie_base.json           tiny base UNet (2 levels, 16/32 wide, 2 heads, RoPE on 8)
    lavie_base.pt                                      the same weights as {"ema": state_dict}, the release's format
    lavie_interpolation.safetensors + .json            tiny interpolation UNet (8 input channels, sparse-causal)
    lavie_vsr.safetensors + .json                      tiny x4-upscaler-shaped UNet (7 input channels, noise level)
    stable-diffusion-v1-4/                             tiny VAE (4 levels: the real x8), CLIP text encoder, tokenizer,
                                                       SD 1.4's scheduler config
    stable-diffusion-x4-upscaler/                      tiny VAE (3 levels: x4, scaling 0.08333), CLIP, tokenizer,
                                                       the upscaler's scheduler and low_res_scheduler configs

The UNets keep every structural switch of the real ones (which blocks attend, RoPE + relative bias or no
positions, temporal attention before or after the feed-forward, sparse-causal attention, class embedding,
linear projections); only widths and depths shrink. The smallest video: 16 x 16 pixels (2 x 2 latents, which
two UNet levels halve once), any number of frames (interpolation: 16). The ``.safetensors`` file wins over the
``.pt`` when both are there; delete it to exercise the ``weights_only`` path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["BUILDERS", "TINY_BASE", "TINY_INTERPOLATION", "TINY_VSR", "make_tiny_lavie"]

_TEXT_WIDTH = 16


def _configs() -> tuple[Any, Any, Any]:
    from scine_eval.lavie.config import UNetConfig

    base = UNetConfig(
        block_out_channels=(16, 32),
        attention_blocks=(True, False),
        only_cross_attention=(False, False),
        layers_per_block=1,
        heads=2,
        cross_attention_dim=_TEXT_WIDTH,
        norm_num_groups=8,
        rope_dim=8,
    )
    interpolation = dataclasses.replace(base, in_channels=8, temporal_position="none", temporal_after_ff=True,
                                        sparse_causal=True)  # fmt: skip
    vsr = dataclasses.replace(base, in_channels=7, attention_blocks=(False, True), only_cross_attention=(True, False),
                              use_linear_projection=True, num_class_embeds=1000)  # fmt: skip
    return base, interpolation, vsr


TINY_BASE, TINY_INTERPOLATION, TINY_VSR = _configs()

# Modelled on SD 1.4's scheduler_config.json and the SD x4 upscaler's two scheduler configs (the fields the release
# reads: it overrides the betas, and keeps the rest, e.g. clip_sample, steps_offset, the upscaler's v-prediction).
_SD_SCHEDULER = {"_class_name": "PNDMScheduler", "beta_start": 0.00085, "beta_end": 0.012,
                 "beta_schedule": "scaled_linear", "num_train_timesteps": 1000, "set_alpha_to_one": False,
                 "skip_prk_steps": True, "steps_offset": 1, "clip_sample": False}  # fmt: skip
_UPSCALER_SCHEDULER = {"_class_name": "DDIMScheduler", "beta_start": 0.0001, "beta_end": 0.02,
                       "beta_schedule": "scaled_linear", "num_train_timesteps": 1000, "prediction_type": "v_prediction",
                       "clip_sample": False, "set_alpha_to_one": False, "steps_offset": 1}  # fmt: skip
_LOW_RES_SCHEDULER = {"_class_name": "DDPMScheduler", "beta_start": 0.0001, "beta_end": 0.02,
                      "beta_schedule": "scaled_linear", "num_train_timesteps": 1000}  # fmt: skip


def make_tiny_lavie(folder: str | Path, seed: int = 0) -> Path:
    """Writes the tiny random LaVie to ``folder`` and returns it."""
    import torch
    from safetensors.torch import save_file

    from scine_eval.compat import ensure_torchvision

    ensure_torchvision()  # before diffusers imports transformers (PyPI's torchvision is a CUDA build)
    from scine_eval.lavie.unet import LaVieUNet

    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for offset, (name, config) in enumerate(
        (("lavie_base", TINY_BASE), ("lavie_interpolation", TINY_INTERPOLATION), ("lavie_vsr", TINY_VSR))
    ):
        torch.manual_seed(seed + offset)
        state = {k: v.contiguous() for k, v in LaVieUNet(config).state_dict().items()}
        save_file(state, str(path / f"{name}.safetensors"))
        config.save(path / f"{name}.json")
        if name == "lavie_base":
            torch.save({"ema": state}, path / f"{name}.pt")  # the release's format (find_model reads "ema")
    _components(path / "stable-diffusion-v1-4", seed, levels=4, scaling=0.18215,
                schedulers={"scheduler": _SD_SCHEDULER})  # fmt: skip
    _components(path / "stable-diffusion-x4-upscaler", seed + 10, levels=3, scaling=0.08333,
                schedulers={"scheduler": _UPSCALER_SCHEDULER, "low_res_scheduler": _LOW_RES_SCHEDULER})  # fmt: skip
    return path


def _components(folder: Path, seed: int, levels: int, scaling: float, schedulers: dict[str, dict[str, Any]]) -> None:
    """A diffusers-layout folder: a tiny VAE, a CLIP text encoder, a local tokenizer and scheduler configs."""
    import json

    import torch
    from diffusers import AutoencoderKL
    from transformers import CLIPTextConfig, CLIPTextModel

    from scine_eval.tiny_pipelines.text import clip_tokenizer

    torch.manual_seed(seed)
    vae = AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * levels,
                        up_block_types=("UpDecoderBlock2D",) * levels, block_out_channels=(8,) * levels,
                        layers_per_block=1, latent_channels=4, norm_num_groups=4, sample_size=32,
                        scaling_factor=scaling)  # fmt: skip
    vae.save_pretrained(folder / "vae")
    tokenizer = clip_tokenizer()
    tokenizer.model_max_length = 77  # as CLIP's real tokenizer: the pipeline pads every prompt to it
    tokenizer.save_pretrained(folder / "tokenizer")
    torch.manual_seed(seed + 1)
    text = CLIPTextModel(CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=_TEXT_WIDTH, intermediate_size=37,
                                        num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=77,
                                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                                        pad_token_id=tokenizer.pad_token_id))  # fmt: skip
    text.save_pretrained(folder / "text_encoder")
    for name, config in schedulers.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        (folder / name / "scheduler_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


BUILDERS: dict[str, Callable[..., Path]] = {"lavie": make_tiny_lavie}
