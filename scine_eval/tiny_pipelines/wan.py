"""Tiny random Wan-family text-to-video pipelines: Wan 2.1, Wan 2.2 A14B (two experts), Wan 2.2 TI2V-5B, SkyReels-V2.

All four share one builder, :func:`_build`, which takes the component sizes of diffusers' fast tests
(``tests/pipelines/wan/test_wan.py``, ``test_wan_22.py``, ``tests/pipelines/skyreels_v2/test_skyreels_v2.py``) and
the pipeline options of the real checkpoints (``model_index.json``, scheduler and VAE configs as written by diffusers'
``scripts/convert_wan_to_diffusers.py`` / ``convert_skyreelsv2_to_diffusers.py``). The text encoder is a random UMT5
with a ``ByT5Tokenizer`` (:func:`~scine_eval.tiny_pipelines.text.tiny_t5`), so nothing is downloaded.

The smallest call each folder accepts (every family needs ``num_frames = 4k + 1``, so 5 is the smallest above 1):

* ``wan2.1``: ``WanPipeline``; sizes in multiples of 16, smallest 16 x 16.
* ``wan2.2-a14b``: ``WanPipeline`` with ``transformer_2`` and ``boundary_ratio``; multiples of 16, smallest 16 x 16.
* ``wan2.2-ti2v-5b``: ``WanPipeline`` with ``expand_timesteps``; multiples of 32, smallest 32 x 32.
* ``skyreels-v2``: ``SkyReelsV2Pipeline``; multiples of 16, smallest 16 x 16.

The size multiple is the VAE's spatial factor (8, or 16 for the Wan 2.2 VAE) times the transformer's patch (2). The
pipelines round other values down with only a warning: ``num_frames`` to ``4k + 1``, sizes to the multiple (a 16 x 16
request to the TI2V-5B folder becomes 0 x 0 and fails inside the transformer).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "BUILDERS",
    "make_tiny_skyreels_v2",
    "make_tiny_wan21",
    "make_tiny_wan22_a14b",
    "make_tiny_wan22_ti2v_5b",
]

_TEXT_DIM = 32  # UMT5 width == the transformer's ``text_dim``

# diffusers' fast tests: a 2-layer, 2-head (24-wide) transformer and a 3-channel VAE with the real stride.
_TRANSFORMER = {
    "patch_size": (1, 2, 2),
    "num_attention_heads": 2,
    "attention_head_dim": 12,
    "text_dim": _TEXT_DIM,
    "freq_dim": 256,
    "ffn_dim": 32,
    "num_layers": 2,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "rope_max_seq_len": 32,
}
_VAE = {
    "base_dim": 3,
    "z_dim": 16,
    "dim_mult": [1, 1, 1, 1],
    "num_res_blocks": 1,
    "temperal_downsample": [False, True, True],
}

# The Wan 2.2 VAE (Wan2.2-TI2V-5B): 48 latent channels, 2x2 pixel patching (12 = 3 * 2 * 2 input channels), residual
# blocks, a wider decoder than encoder (real: 160 / 256), 16x spatial and 4x temporal compression.
_WAN22_VAE = {
    **_VAE,
    "z_dim": 48,
    "decoder_base_dim": 4,
    "in_channels": 12,
    "out_channels": 12,
    "is_residual": True,
    "patch_size": 2,
    "scale_factor_spatial": 16,
    "scale_factor_temporal": 4,
    "latents_mean": [0.0] * 48,
    "latents_std": [1.0] * 48,
}


def _build(
    folder: str | Path,
    seed: int,
    *,
    pipeline: str = "WanPipeline",
    transformer: str = "WanTransformer3DModel",
    vae: dict[str, Any] = _VAE,
    flow_shift: float = 3.0,
    experts: int = 1,
    **pipeline_options: Any,
) -> Path:
    """Build one tiny Wan-style pipeline and write it to ``folder`` with ``save_pretrained``.

    Args:
        folder: where the pipeline folder is written (created if missing).
        seed: seeds every component; the second expert gets ``seed + 1`` so the two experts differ.
        pipeline: the diffusers pipeline class name.
        transformer: the diffusers transformer class name.
        vae: ``AutoencoderKLWan`` options; the transformer's latent channels follow its ``z_dim``.
        flow_shift: the ``UniPCMultistepScheduler`` flow shift, as in the real checkpoint's scheduler config.
        experts: 2 adds ``transformer_2`` (the low-noise expert of Wan 2.2 A14B).
        **pipeline_options: further pipeline config (``boundary_ratio``, ``expand_timesteps``).

    Returns:
        The folder, as a ``Path``.
    """
    import diffusers
    import torch

    from scine_eval.tiny_pipelines.text import tiny_t5

    def transformer_model(offset: int) -> Any:
        torch.manual_seed(seed + offset)
        channels = vae["z_dim"]
        return getattr(diffusers, transformer)(in_channels=channels, out_channels=channels, **_TRANSFORMER)

    text_encoder, tokenizer = tiny_t5(kind="umt5", d_model=_TEXT_DIM, seed=seed)
    torch.manual_seed(seed)
    components: dict[str, Any] = {
        "vae": diffusers.AutoencoderKLWan(**vae).eval(),
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "transformer": transformer_model(0),
        # What Wan's diffusers checkpoints ship: UniPC in flow-matching mode (the original code's FlowUniPC solver).
        "scheduler": diffusers.UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, num_train_timesteps=1000, flow_shift=flow_shift
        ),
    }
    if experts == 2:
        components["transformer_2"] = transformer_model(1)
    pipe = getattr(diffusers, pipeline)(**components, **pipeline_options)
    folder = Path(folder)
    pipe.save_pretrained(folder)
    return folder


def make_tiny_wan21(folder: str | Path, seed: int = 0) -> Path:
    """A tiny ``WanPipeline`` shaped like Wan-AI/Wan2.1-T2V-1.3B-Diffusers / Wan2.1-T2V-14B-Diffusers.

    One transformer, the Wan 2.1 VAE (16 latent channels, 8x spatial / 4x temporal), UniPC with ``flow_shift=3.0``.
    """
    return _build(folder, seed)


def make_tiny_wan22_a14b(folder: str | Path, seed: int = 0) -> Path:
    """A tiny ``WanPipeline`` shaped like Wan-AI/Wan2.2-T2V-A14B-Diffusers: the two-expert mixture.

    ``transformer`` (high noise) denoises while ``t >= boundary_ratio * 1000`` and ``transformer_2`` (low noise)
    after; ``boundary_ratio=0.875`` as in the real ``model_index.json``. The Wan 2.1 VAE, UniPC ``flow_shift=3.0``.
    """
    return _build(folder, seed, experts=2, boundary_ratio=0.875)


def make_tiny_wan22_ti2v_5b(folder: str | Path, seed: int = 0) -> Path:
    """A tiny ``WanPipeline`` shaped like Wan-AI/Wan2.2-TI2V-5B-Diffusers (text-to-video use).

    The Wan 2.2 VAE (48 latent channels, 16x spatial compression), a 48-channel transformer with patch (1, 2, 2),
    ``expand_timesteps=True`` (one timestep per latent token, needed for its image conditioning) and UniPC with
    ``flow_shift=5.0``. Heights and widths must be multiples of 32.
    """
    return _build(folder, seed, vae=_WAN22_VAE, flow_shift=5.0, expand_timesteps=True)


def make_tiny_skyreels_v2(folder: str | Path, seed: int = 0) -> Path:
    """A tiny ``SkyReelsV2Pipeline`` shaped like Skywork/SkyReels-V2-T2V-14B-540P-Diffusers (and -720P).

    The plain text-to-video checkpoints use ``SkyReelsV2Pipeline``; the diffusion-forcing ``-DF-`` checkpoints use
    ``SkyReelsV2DiffusionForcingPipeline``. ``SkyReelsV2Transformer3DModel`` without sample-info injection (as the
    T2V conversion), the Wan 2.1 VAE, UniPC with ``flow_shift=8.0`` (SkyReels' recommendation for T2V).
    Calling it needs the ``ftfy`` package: diffusers' SkyReels-V2 prompt cleaning calls ``ftfy.fix_text``
    unconditionally (the Wan pipelines skip it when ftfy is missing).
    """
    return _build(
        folder, seed, pipeline="SkyReelsV2Pipeline", transformer="SkyReelsV2Transformer3DModel", flow_shift=8.0
    )


BUILDERS: dict[str, Callable[[str | Path], Path]] = {
    "wan2.1": make_tiny_wan21,
    "wan2.2-a14b": make_tiny_wan22_a14b,
    "wan2.2-ti2v-5b": make_tiny_wan22_ti2v_5b,
    "skyreels-v2": make_tiny_skyreels_v2,
}
