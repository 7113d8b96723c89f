"""Estimated GPU memory of a Qwen2.5-VL judge per load mode, from the real architecture.

The parameters are counted on a model built on PyTorch's ``meta`` device from a preset's
architecture (see :mod:`scine_eval.vlm.presets`), so no weights are downloaded or allocated. The
estimate has three parts:

* **weights**, by load mode: ``"bf16"`` (2 bytes per parameter), ``"8bit"`` (bitsandbytes LLM.int8)
  or ``"4bit"`` (bitsandbytes nf4); see :func:`estimate` for what is quantised;
* **KV cache** in bf16 for one copy of the reference-clip prefix plus ``copies`` copies for the
  batched suffixes that reuse it (each copy counted at the prefix's length, a generous bound);
* **headroom**: 10% of the weights plus 1 GiB, a rough allowance for activations, the CUDA context
  and allocator fragmentation. It is not measured and may be low for long clips at large batch.

torch and transformers are imported inside the functions that need them, so importing this module
is cheap.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scine_eval.vlm.presets import PRESETS, Preset

__all__ = [
    "DEFAULT_PREFIX_TOKENS",
    "LOAD_MODES",
    "PROMPT_TOKENS",
    "MemoryEstimate",
    "count_parameters",
    "estimate",
    "smart_resize",
    "table_rows",
    "video_tokens",
]

GIB = 1 << 30
LOAD_MODES: tuple[str, ...] = ("bf16", "8bit", "4bit")
"""The load modes an estimate can be made for."""

PROMPT_TOKENS = 64
"""Fixed allowance of text tokens (chat template, instruction) added to the clip's tokens in the prefix."""

NF4_BLOCK = 64
"""Elements per nf4 quantisation block; each block stores one fp32 absmax (no double quantisation)."""

_BF16 = 2
_INT8_SCALE = 4  # fp32 row scale (SCB) per output row of an LLM.int8 Linear
_NF4_ABSMAX = 4  # fp32 absmax per nf4 block


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated GPU memory of one judge in one load mode.

    Attributes:
        preset: The preset's name.
        parameters: Total parameter count.
        load_in: ``"bf16"``, ``"8bit"`` or ``"4bit"``.
        weights_bytes: Bytes of the loaded weights (including quantisation state).
        kv_bytes_per_token: bf16 KV cache per token: ``layers * kv_heads * head_dim * 2 (K, V) * 2 bytes``.
        prefix_tokens: Tokens of the reference clip prefix.
        total_bytes: Weights, plus KV cache for one prefix copy and ``copies`` suffix-batch copies, plus
            headroom (10% of the weights + 1 GiB).
    """

    preset: str
    parameters: int
    load_in: str
    weights_bytes: int
    kv_bytes_per_token: int
    prefix_tokens: int
    total_bytes: int

    def fits(self, gpu_bytes: int) -> bool:
        """Whether the estimate fits in ``gpu_bytes`` of GPU memory."""
        return self.total_bytes <= gpu_bytes


def smart_resize(height: int, width: int, factor: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """Qwen's ``smart_resize``: sides to multiples of ``factor`` with the area within the pixel bounds."""
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def video_tokens(
    seconds: float = 5.0,
    fps: float = 2.0,
    width: int = 1280,
    height: int = 720,
    max_pixels: int = 1280 * 28 * 28,
    patch: int = 14,
    merge: int = 2,
    temporal_patch: int = 2,
    min_pixels: int = 4 * 28 * 28,
) -> int:
    """Language-model tokens of a clip after Qwen2.5-VL's vision encoder and patch merger.

    Each frame is resized with Qwen's ``smart_resize`` (sides rounded to the nearest multiple of
    ``patch * merge``, then scaled down and floored if the area exceeds ``max_pixels``, or up and
    ceiled if below ``min_pixels``). ``round(seconds * fps)`` frames are sampled (at least one),
    padded up to a multiple of ``temporal_patch``; each group of ``temporal_patch`` frames gives one
    token per ``(patch * merge)``-pixel square.

    Args:
        seconds: Clip length.
        fps: Frames sampled per second.
        width: Frame width in pixels.
        height: Frame height in pixels.
        max_pixels: Upper bound on the resized frame area.
        patch: Vision patch size.
        merge: Spatial merge size of the patch merger.
        temporal_patch: Frames per temporal patch.
        min_pixels: Lower bound on the resized frame area.

    Returns:
        The number of video tokens; 5980 for the defaults (5 s of 1280x720 at 2 fps -> 10 frames,
        5 temporal groups of 26 x 46 merged patches).

    Raises:
        ValueError: A non-positive argument.
    """
    named = {"seconds": seconds, "fps": fps, "width": width, "height": height, "max_pixels": max_pixels}
    named |= {"patch": patch, "merge": merge, "temporal_patch": temporal_patch, "min_pixels": min_pixels}
    bad = [name for name, value in named.items() if not value > 0]
    if bad:
        raise ValueError(f"video_tokens: {', '.join(bad)} must be positive")
    factor = patch * merge
    h_bar, w_bar = smart_resize(height, width, factor, min_pixels, max_pixels)
    frames = max(1, round(seconds * fps))
    frames = -(-frames // temporal_patch) * temporal_patch
    return (frames // temporal_patch) * (h_bar // factor) * (w_bar // factor)


DEFAULT_PREFIX_TOKENS: int = video_tokens() + PROMPT_TOKENS
"""Default prefix length: a 5 s 1280x720 reference clip at 2 fps (5980 tokens) plus 64 prompt tokens."""


def _layout(config_kwargs: Mapping[str, Any]) -> dict[str, int]:
    """Parameter counts by part, plus the quantisation shape of the quantisable Linears, on meta."""
    import torch

    from scine_eval.compat import ensure_torchvision

    ensure_torchvision()
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    with torch.device("meta"):
        model = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig(**config_kwargs))
    lm_head = model.lm_head
    embed = model.get_input_embeddings()
    counts = dict.fromkeys(("vision", "language", "lm_head", "embed", "linear_quantisable", "other"), 0)
    counts |= {"quantised_rows": 0, "nf4_blocks": 0}
    vision_ids = {id(p) for p in model.model.visual.parameters()}
    lm_head_ids = {id(p) for p in lm_head.parameters()} - {id(p) for p in embed.parameters()}  # tied: embed
    for param in model.parameters():
        n = param.numel()
        if id(param) in vision_ids:
            counts["vision"] += n
        elif id(param) in lm_head_ids:
            counts["lm_head"] += n
        else:
            counts["language"] += n
    seen: set[int] = set()
    for module in model.modules():
        for param in module.parameters(recurse=False):
            if id(param) in seen:  # tied weights are stored once
                continue
            seen.add(id(param))
            n = param.numel()
            if module is lm_head:
                continue  # counted as lm_head above (weight and any bias)
            if module is embed:
                counts["embed"] += n
            elif isinstance(module, torch.nn.Linear) and param is module.weight:
                counts["linear_quantisable"] += n
                counts["quantised_rows"] += module.out_features
                counts["nf4_blocks"] += -(-n // NF4_BLOCK)
            else:
                counts["other"] += n
    counts["total"] = sum(p.numel() for p in model.parameters())
    return counts


@functools.lru_cache(maxsize=16)
def _preset_layout(name: str) -> dict[str, int]:
    return _layout(PRESETS[name].config_dict())


_PUBLIC_KEYS = ("vision", "language", "lm_head", "embed", "linear_quantisable", "other", "total")


def count_parameters(config_kwargs: Mapping[str, Any]) -> dict[str, int]:
    """Count a Qwen2.5-VL architecture's parameters on the meta device (no memory, no weights).

    Two partitions of the total are given: by tower, ``vision + language + lm_head == total``
    (``language`` includes the token embedding and final norm); and by storage,
    ``linear_quantisable + embed + lm_head + other == total``, where ``linear_quantisable`` is every
    ``nn.Linear`` weight except the output head's (what bitsandbytes quantises) and ``other`` is the
    Linear biases, norms and the vision tower's conv patch embedding.

    Args:
        config_kwargs: Keyword arguments for ``transformers.Qwen2_5_VLConfig``, e.g. ``Preset.config_dict()``.

    Returns:
        Counts keyed ``vision``, ``language``, ``lm_head``, ``embed``, ``linear_quantisable``, ``other``
        and ``total``.
    """
    counts = _layout(config_kwargs)
    return {key: counts[key] for key in _PUBLIC_KEYS}


def _resolve(preset: str | Preset) -> Preset:
    if isinstance(preset, Preset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}") from None


def _preset_counts(preset: Preset) -> dict[str, int]:
    if PRESETS.get(preset.name) == preset:
        return _preset_layout(preset.name)
    return _layout(preset.config_dict())


def _check_load_in(load_in: str) -> None:
    if load_in not in LOAD_MODES:
        raise ValueError(f"unknown load_in {load_in!r}; choose one of {', '.join(LOAD_MODES)}")


def _weights_bytes(counts: Mapping[str, int], load_in: str) -> int:
    """Bytes of the loaded weights for a model's layout (as from ``_layout``).

    * ``"bf16"``: 2 bytes per parameter.
    * ``"8bit"`` (bitsandbytes LLM.int8): every ``nn.Linear`` weight except ``lm_head`` (which
      transformers leaves unquantised) is int8, 1 byte, plus a 4-byte fp32 scale per output row;
      everything else (biases, embeddings, norms, conv patch embedding, ``lm_head``) stays bf16.
    * ``"4bit"`` (bitsandbytes nf4): the same Linear weights at 0.5 byte per parameter plus one
      4-byte fp32 absmax per block of 64 elements (no double quantisation, which would shrink the
      absmax to about 1 byte per block); everything else bf16.

    Args:
        counts: Counts with ``total``, ``linear_quantisable``, ``quantised_rows`` and ``nf4_blocks``.
        load_in: ``"bf16"``, ``"8bit"`` or ``"4bit"``.

    Returns:
        The weight bytes.

    Raises:
        ValueError: ``load_in`` is not one of the load modes.
    """
    _check_load_in(load_in)
    total, linear = counts["total"], counts["linear_quantisable"]
    if load_in == "bf16":
        return _BF16 * total
    rest = _BF16 * (total - linear)
    if load_in == "8bit":
        return rest + linear + _INT8_SCALE * counts["quantised_rows"]
    return rest + -(-linear // 2) + _NF4_ABSMAX * counts["nf4_blocks"]


def _kv_bytes_per_token(preset: Preset) -> int:
    text = preset.config_dict()["text_config"]
    head_dim = text.get("head_dim") or text["hidden_size"] // text["num_attention_heads"]
    return text["num_hidden_layers"] * text["num_key_value_heads"] * head_dim * 2 * _BF16


def estimate(
    preset: str | Preset,
    load_in: str = "bf16",
    prefix_tokens: int = DEFAULT_PREFIX_TOKENS,
    copies: int = 8,
) -> MemoryEstimate:
    """Estimate a judge's GPU memory in one load mode.

    Weights by load mode:

    * ``"bf16"``: 2 bytes per parameter.
    * ``"8bit"`` (bitsandbytes LLM.int8): every ``nn.Linear`` weight except ``lm_head`` (which
      transformers leaves unquantised) is int8, 1 byte, plus a 4-byte fp32 scale per output row;
      everything else (biases, embeddings, norms, conv patch embedding, ``lm_head``) stays bf16.
    * ``"4bit"`` (bitsandbytes nf4): the same Linear weights at 0.5 byte per parameter plus one
      4-byte fp32 absmax per block of 64 elements (no double quantisation); everything else bf16.

    Args:
        preset: A preset name from :data:`~scine_eval.vlm.presets.PRESETS`, or a :class:`Preset`.
        load_in: ``"bf16"``, ``"8bit"`` or ``"4bit"`` (see above).
        prefix_tokens: Tokens of the reference clip prefix; the default is :func:`video_tokens` for a
            5 s 1280x720 clip at 2 fps (5980) plus a fixed allowance of 64 prompt tokens.
        copies: Suffix-batch copies of the prefix's KV cache held besides the prefix itself.

    Returns:
        The estimate; ``total_bytes = weights + kv_bytes_per_token * prefix_tokens * (1 + copies)
        + weights // 10 + 1 GiB`` (the last two a rough allowance for activations and the CUDA context).

    Raises:
        ValueError: An unknown preset name or load mode (the message names the valid choices), or a
            negative ``prefix_tokens`` or ``copies``.
    """
    spec = _resolve(preset)
    _check_load_in(load_in)
    if prefix_tokens < 0 or copies < 0:
        raise ValueError(f"prefix_tokens and copies must be >= 0, got {prefix_tokens} and {copies}")
    counts = _preset_counts(spec)
    weights = _weights_bytes(counts, load_in)
    kv = _kv_bytes_per_token(spec)
    headroom = weights // 10 + GIB
    return MemoryEstimate(
        preset=spec.name,
        parameters=counts["total"],
        load_in=load_in,
        weights_bytes=weights,
        kv_bytes_per_token=kv,
        prefix_tokens=prefix_tokens,
        total_bytes=weights + kv * prefix_tokens * (1 + copies) + headroom,
    )


def table_rows(presets: Iterable[str | Preset] | None = None, gpu_gib: float = 80.0) -> list[dict[str, Any]]:
    """One row per preset and load mode, for a table of judge memory.

    Args:
        presets: Preset names or presets; all of :data:`~scine_eval.vlm.presets.PRESETS` when None.
        gpu_gib: GPU memory in GiB that ``fits`` is judged against.

    Returns:
        Dicts with ``preset``, ``repo_id``, ``load_in``, ``parameters_b`` (billions), ``weights_gib``,
        ``total_gib`` (rounded to 2 decimals) and ``fits`` (``total <= gpu_gib``, unrounded), in
        preset order then ``bf16``, ``8bit``, ``4bit``.
    """
    rows: list[dict[str, Any]] = []
    gpu_bytes = int(gpu_gib * GIB)
    for item in PRESETS if presets is None else presets:
        spec = _resolve(item)
        for load_in in LOAD_MODES:
            est = estimate(spec, load_in)
            rows.append(
                {
                    "preset": spec.name,
                    "repo_id": spec.repo_id,
                    "load_in": load_in,
                    "parameters_b": round(est.parameters / 1e9, 2),
                    "weights_gib": round(est.weights_bytes / GIB, 2),
                    "total_gib": round(est.total_bytes / GIB, 2),
                    "fits": est.fits(gpu_bytes),
                }
            )
    return rows
