"""Tiny random text-to-video pipelines of the T5-encoded families: CogVideoX (2B and 5B), LTX-Video, Mochi, Allegro.

Every builder assembles the real diffusers pipeline class from tiny components (configs after diffusers' own fast
tests, ``tests/pipelines/<family>/test_<family>.py``), a random T5 encoder with a ``ByT5Tokenizer`` from
:func:`~scine_eval.tiny_pipelines.text.tiny_t5`, and the scheduler the real checkpoint ships, and writes the whole
pipeline with ``save_pretrained``. Where the fast tests shrink a VAE's compression, the tiny VAEs here keep the real
checkpoint's spatial and temporal compression instead, so the frame rules and size multiples are the real ones.

Frame rules (``num_frames`` asked as ``n``, frames returned), size rules, and the smallest call each tiny pipeline
runs (2 steps on CPU):

* ``cogvideox-2b``, ``cogvideox-5b``: ``(n - 1) // 4 + 1`` latent frames; an odd count ``L`` decodes to ``4L - 3``
  frames, an even one to ``4L``, so only ``n = 8k + 1`` comes back as asked (5 gives 8). Sizes: multiples of 16
  (8x VAE, 2x2 patches; the pipeline checks only 8). Smallest: 9 frames at 16x16.
* ``ltx``: ``8k + 1``; any other ``n`` gives ``8 * ((n - 1) // 8) + 1``. Sizes: multiples of 32 (checked).
  Smallest: 9 frames at 32x32.
* ``mochi``: ``6k + 1``; any other ``n`` gives ``6 * ((n - 1) // 6) + 1``. Sizes: multiples of 16 (the pipeline
  checks 8). Smallest: 7 frames at 16x16.
* ``allegro``: ``n`` frames come back, but only what whole decoder tiles cover is decoded, the rest is grey:
  ``16k + 24`` fills them (19 to 24 fit the first). Size: 16x16 only. Smallest: 24 frames at 16x16. See
  :func:`make_tiny_allegro`.

Weights are random: the videos mean nothing. The folders check loading, argument plumbing, frame rules and export.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from scine_eval.tiny_pipelines.text import tiny_t5

__all__ = [
    "BUILDERS",
    "MAX_SEQUENCE_LENGTH",
    "make_tiny_allegro",
    "make_tiny_cogvideox",
    "make_tiny_cogvideox_2b",
    "make_tiny_cogvideox_5b",
    "make_tiny_ltx",
    "make_tiny_mochi",
]

# Text tokens the tiny transformers are built for; pass it as ``max_sequence_length``. The CogVideoX-2b one needs
# exactly this many (its text tokens share the sin-cos positional grid); the others take any length.
MAX_SEQUENCE_LENGTH = 16

# The text width every tiny T5 here produces and the transformers' text projections expect.
_TEXT_DIM = 32


def _save(pipeline: Any, folder: str | Path) -> Path:
    """Write ``pipeline`` (model_index.json and every component) to ``folder`` and return it as a ``Path``."""
    path = Path(folder)
    pipeline.save_pretrained(path)
    return path


def _seeded(seed: int, build: Callable[[], Any]) -> Any:
    """``build()`` right after ``torch.manual_seed(seed)``, so every component's weights depend on the seed only."""
    import torch

    torch.manual_seed(seed)
    return build()


# --------------------------------------------------------------------------------------------
# CogVideoX


def make_tiny_cogvideox(folder: str | Path, seed: int = 0, *, variant: Literal["2b", "5b"] = "2b") -> Path:
    """A tiny ``CogVideoXPipeline``: THUDM/CogVideoX-2b, or with ``variant="5b"`` THUDM/CogVideoX-5b.

    The two checkpoints share the architecture (CogVideoX 1.0: no temporal patching, 8x spatial and 4x temporal
    VAE) and differ, as diffusers' ``scripts/convert_cogvideox_to_diffusers.py`` records, in: positional
    embeddings (2B: 3D sin-cos added to the patches; 5B: 3D rotary, ``use_rotary_positional_embeddings=True``), the
    VAE's ``scaling_factor`` (1.15258426 / 0.7), the scheduler (``CogVideoXDDIMScheduler`` / ``CogVideoXDPMScheduler``,
    as the CogVideo team's ``inference/cli_demo.py`` recommends) and its ``snr_shift_scale`` (3.0 / 1.0). Both
    schedulers use the converted checkpoints' settings: v-prediction, zero-terminal-SNR betas, trailing spacing.

    The real checkpoints make 720x480, 49 frames (``num_frames=49``), 50 steps, guidance 6, 226 text tokens, 8 fps.
    This one takes 16x16 and 9 frames (3 latent frames). The 2B's sin-cos grid includes the text tokens, so its
    ``max_sequence_length`` must be exactly ``max_text_seq_length`` (16 here, 226 for the real one); the 5B takes any.

    Args:
        folder: where to write the pipeline.
        seed: seeds every component's random weights.
        variant: ``"2b"`` or ``"5b"``.

    Returns:
        ``folder`` as a ``Path``.
    """
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXDPMScheduler,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )

    if variant not in ("2b", "5b"):
        raise ValueError(f"variant must be '2b' or '5b', got {variant!r}")
    rope = variant == "5b"
    transformer = _seeded(
        seed,
        lambda: CogVideoXTransformer3DModel(
            # 16-wide heads: 3D rotary embeddings split a head 4:6:6 over time, height and width.
            num_attention_heads=2,
            attention_head_dim=16,
            in_channels=4,
            out_channels=4,
            time_embed_dim=2,
            text_embed_dim=_TEXT_DIM,
            num_layers=1,
            sample_width=2,  # latent 2x2 -> 16x16 pixels
            sample_height=2,
            sample_frames=9,  # pixel frames: 3 latent frames
            patch_size=2,
            temporal_compression_ratio=4,
            max_text_seq_length=MAX_SEQUENCE_LENGTH,
            use_rotary_positional_embeddings=rope,
        ),
    )
    vae = _seeded(
        seed,
        lambda: AutoencoderKLCogVideoX(
            down_block_types=("CogVideoXDownBlock3D",) * 4,
            up_block_types=("CogVideoXUpBlock3D",) * 4,
            block_out_channels=(8, 8, 8, 8),
            latent_channels=4,
            layers_per_block=1,
            norm_num_groups=2,
            temporal_compression_ratio=4,
            scaling_factor=0.7 if rope else 1.15258426,
        ),
    )
    scheduler_cls = CogVideoXDPMScheduler if rope else CogVideoXDDIMScheduler
    scheduler = scheduler_cls(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=True,
        prediction_type="v_prediction",
        rescale_betas_zero_snr=True,
        timestep_spacing="trailing",
        snr_shift_scale=1.0 if rope else 3.0,
    )
    text_encoder, tokenizer = tiny_t5("t5", d_model=_TEXT_DIM, seed=seed)
    pipeline = CogVideoXPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler
    )
    return _save(pipeline, folder)


def make_tiny_cogvideox_2b(folder: str | Path, seed: int = 0) -> Path:
    """A tiny THUDM/CogVideoX-2b: sin-cos positions, ``CogVideoXDDIMScheduler``; see :func:`make_tiny_cogvideox`."""
    return make_tiny_cogvideox(folder, seed, variant="2b")


def make_tiny_cogvideox_5b(folder: str | Path, seed: int = 0) -> Path:
    """A tiny THUDM/CogVideoX-5b: rotary positions, ``CogVideoXDPMScheduler``; see :func:`make_tiny_cogvideox`."""
    return make_tiny_cogvideox(folder, seed, variant="5b")


# --------------------------------------------------------------------------------------------
# LTX-Video


def make_tiny_ltx(folder: str | Path, seed: int = 0) -> Path:
    """A tiny ``LTXPipeline`` after Lightricks/LTX-Video 0.9.1 (the diffusers weights at the repository's root).

    The VAE keeps the real compression, 32x spatial (``patch_size=4`` and three 2x stages) and 8x temporal, so
    sizes must be multiples of 32 (the pipeline checks) and frames ``8k + 1``; 32x32 with 9 frames is a 1x1x2 latent.
    Like 0.9.1 its decoder is timestep-conditioned (``timestep_conditioning=True``, with noise injection and
    residual upsampling), so ``decode_timestep`` and ``decode_noise_scale`` reach it. The scheduler is
    ``FlowMatchEulerDiscreteScheduler`` with the resolution-dependent shift of diffusers'
    ``scripts/convert_ltx_to_diffusers.py`` for 0.9.0/0.9.1 (base 0.95, max 2.05 over 1024..4096 tokens, terminal
    0.1).

    The real checkpoint: ``LTXPipeline`` defaults 704x512, 161 frames, ``frame_rate=25``, 50 steps, guidance 3, 128
    text tokens; diffusers' LTX-Video docs run 768x512, 161 frames, ``decode_timestep=0.03``,
    ``decode_noise_scale=0.025`` and export at 24 fps.

    Args:
        folder: where to write the pipeline.
        seed: seeds every component's random weights.

    Returns:
        ``folder`` as a ``Path``.
    """
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    transformer = _seeded(
        seed,
        lambda: LTXVideoTransformer3DModel(
            in_channels=8,
            out_channels=8,
            patch_size=1,
            patch_size_t=1,
            num_attention_heads=4,
            attention_head_dim=8,
            cross_attention_dim=32,
            num_layers=1,
            caption_channels=_TEXT_DIM,
        ),
    )
    vae = _seeded(
        seed,
        lambda: AutoencoderKLLTXVideo(
            latent_channels=8,
            block_out_channels=(8, 8, 8, 8),
            # Channels double per decoder block, as in 0.9.1 (256, 512, 1024): each 2x upsampler halves them, and
            # a block whose channels then differ gets a timestep-conditioned resnet that diffusers calls without
            # embedding the timestep (it fails).
            decoder_block_out_channels=(8, 16, 32),
            layers_per_block=(1, 1, 1, 1, 1),
            decoder_layers_per_block=(1, 1, 1, 1),
            spatio_temporal_scaling=(True, True, True, False),
            decoder_spatio_temporal_scaling=(True, True, True),
            decoder_inject_noise=(True, True, True, False),
            upsample_residual=(True, True, True),
            upsample_factor=(2, 2, 2),
            timestep_conditioning=True,
            patch_size=4,
            patch_size_t=1,
            encoder_causal=True,
            decoder_causal=False,
        ),
    )
    scheduler = FlowMatchEulerDiscreteScheduler(
        use_dynamic_shifting=True,
        base_shift=0.95,
        max_shift=2.05,
        base_image_seq_len=1024,
        max_image_seq_len=4096,
        shift_terminal=0.1,
    )
    text_encoder, tokenizer = tiny_t5("t5", d_model=_TEXT_DIM, seed=seed)
    pipeline = LTXPipeline(
        scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer
    )
    return _save(pipeline, folder)


# --------------------------------------------------------------------------------------------
# Mochi


def make_tiny_mochi(folder: str | Path, seed: int = 0) -> Path:
    """A tiny ``MochiPipeline`` after genmo/mochi-1-preview.

    ``MochiPipeline`` hard-codes the VAE's compression, 8x spatial and 6x temporal, and the tiny VAE has exactly
    that (three 2x spatial stages; temporal expansions 1, 2, 3): sizes are multiples of 8 and frames ``6k + 1``;
    16x16 with 7 frames is a 2x2x2 latent. The scheduler is ``FlowMatchEulerDiscreteScheduler(invert_sigmas=True)``
    as in diffusers' ``scripts/convert_mochi_to_diffusers.py``; the pipeline passes its own linear-quadratic sigmas.

    The real checkpoint: the pipeline defaults to 848x480, 19 frames, 64 steps, guidance 4.5, 256 text tokens;
    diffusers' Mochi docs run 848x480 with 85 or 163 frames, 50 or 64 steps, guidance 4.5, and export at 30 fps.

    Args:
        folder: where to write the pipeline.
        seed: seeds every component's random weights.

    Returns:
        ``folder`` as a ``Path``.
    """
    from diffusers import AutoencoderKLMochi, FlowMatchEulerDiscreteScheduler, MochiPipeline, MochiTransformer3DModel

    transformer = _seeded(
        seed,
        lambda: MochiTransformer3DModel(
            patch_size=2,
            num_attention_heads=2,
            attention_head_dim=8,
            num_layers=2,
            pooled_projection_dim=16,
            in_channels=12,
            out_channels=None,
            qk_norm="rms_norm",
            text_embed_dim=_TEXT_DIM,
            time_embed_dim=4,
            activation_fn="swiglu",
            max_sequence_length=MAX_SEQUENCE_LENGTH,
        ),
    )
    vae = _seeded(
        seed,
        lambda: AutoencoderKLMochi(
            latent_channels=12,
            out_channels=3,
            encoder_block_out_channels=(32, 32, 32, 32),
            decoder_block_out_channels=(32, 32, 32, 32),
            layers_per_block=(1, 1, 1, 1, 1),
        ),
    )
    scheduler = FlowMatchEulerDiscreteScheduler(invert_sigmas=True)
    text_encoder, tokenizer = tiny_t5("t5", d_model=_TEXT_DIM, seed=seed)
    pipeline = MochiPipeline(
        scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer
    )
    return _save(pipeline, folder)


# --------------------------------------------------------------------------------------------
# Allegro


def make_tiny_allegro(folder: str | Path, seed: int = 0) -> Path:
    """A tiny ``AllegroPipeline`` after rhymes-ai/Allegro.

    ``AutoencoderKLAllegro`` only decodes in tiles (without ``vae.enable_tiling()`` it raises
    ``NotImplementedError``, and tiling is not saved in the folder: call it after loading, as the real model card
    does). Tiles are 24 frames (6 latent frames) overlapping by 8, and ``sample_size`` pixels square overlapping
    by 120 rows and 80 columns; whatever no whole tile covers stays zero, i.e. uniform grey. An even ``num_frames``
    ``n`` gives ``L = ceil(n / 4)`` latent frames, an odd one ``ceil((n - 1) / 4) + 1``; the tiles cover the first
    ``24 + 16 * ((L - 6) // 4)`` frames and the pipeline cuts the video to ``n``. So fewer than 6 latent frames
    (even ``n <= 20``, odd ``n <= 17``) decode to an all-grey video, 25 frames end in a grey one, and ``16k + 24``
    frames fill whole tiles (the real 88 = 16 * 4 + 24). The tiny VAE has
    ``sample_size=16``: 16x16 is one spatial tile and the only size it decodes (32x32 is all grey). The real VAE's
    320-pixel tiles cover heights ``320 + 200a`` and widths ``320 + 240b``, which 720x1280 is. The scheduler is
    ``EulerAncestralDiscreteScheduler()``, as in rhymes-ai's inference script; diffusers' fast test uses DDIM.

    The real checkpoint: 720x1280, 88 frames, 100 steps, guidance 7.5, 512 text tokens, 15 fps (model card and
    diffusers' Allegro docs); the pipeline's defaults are the transformer's sample size and 100 steps, guidance 7.5.

    Args:
        folder: where to write the pipeline.
        seed: seeds every component's random weights.

    Returns:
        ``folder`` as a ``Path``.
    """
    from diffusers import (
        AllegroPipeline,
        AllegroTransformer3DModel,
        AutoencoderKLAllegro,
        EulerAncestralDiscreteScheduler,
    )

    transformer = _seeded(
        seed,
        lambda: AllegroTransformer3DModel(
            num_attention_heads=2,
            attention_head_dim=12,
            in_channels=4,
            out_channels=4,
            num_layers=1,
            cross_attention_dim=24,
            sample_width=2,  # latent 2x2 -> 16x16 pixels
            sample_height=2,
            sample_frames=6,  # latent frames -> 24 pixel frames
            caption_channels=_TEXT_DIM,
        ),
    )
    vae = _seeded(
        seed,
        lambda: AutoencoderKLAllegro(
            down_block_types=("AllegroDownBlock3D",) * 4,
            up_block_types=("AllegroUpBlock3D",) * 4,
            block_out_channels=(8, 8, 8, 8),
            latent_channels=4,
            layers_per_block=1,
            norm_num_groups=2,
            temporal_compression_ratio=4,
            sample_size=16,
        ),
    )
    scheduler = EulerAncestralDiscreteScheduler()
    text_encoder, tokenizer = tiny_t5("t5", d_model=_TEXT_DIM, seed=seed)
    pipeline = AllegroPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler
    )
    return _save(pipeline, folder)


BUILDERS: dict[str, Callable[[str | Path], Path]] = {
    "cogvideox-2b": make_tiny_cogvideox_2b,
    "cogvideox-5b": make_tiny_cogvideox_5b,
    "ltx": make_tiny_ltx,
    "mochi": make_tiny_mochi,
    "allegro": make_tiny_allegro,
}
