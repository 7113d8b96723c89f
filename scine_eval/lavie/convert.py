"""From a released LaVie state dict to :class:`~scine_eval.lavie.unet.LaVieUNet`'s, and what may differ.

The key mapping is the identity, by construction: every module of :mod:`scine_eval.lavie.unet` carries the name
the release's ``UNet3DConditionModel`` (``base/models/unet.py``, ``interpolation/models/unet.py``) gives it, and
those are SD's ``UNet2DConditionModel`` names plus, per transformer block::

    <block>.transformer_blocks.0.attn_temp.to_q.weight          (C, C)
    <block>.transformer_blocks.0.attn_temp.to_k.weight          (C, C)
    <block>.transformer_blocks.0.attn_temp.to_v.weight          (C, C)
    <block>.transformer_blocks.0.attn_temp.to_out.0.weight/bias (C, C), (C,)
    <block>.transformer_blocks.0.attn_temp.time_rel_pos_bias.relative_attention_bias.weight  (32, heads)  [base]
    <block>.transformer_blocks.0.norm_temp.weight/bias          (C,)

What :func:`from_release` changes:

* ``module.`` prefixes (a state dict saved from a DDP-wrapped model) are stripped.
* ``*.attn_temp.rotary_emb.freqs``: the release's ``rotary_embedding_torch.RotaryEmbedding`` keeps its
  frequencies as a parameter with ``requires_grad=False``, so a checkpoint may hold one copy per temporal
  attention. They are never trained; here they are computed (:mod:`scine_eval.lavie.rotary`). Copies are checked
  against the computed values (a mismatch means another rotary setup, and is refused) and dropped.

Anything else that does not match is an error naming the first missing and unexpected keys
(:func:`check_keys`); nothing is loaded partially.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scine_eval.errors import ConfigError

__all__ = ["ROTARY_SUFFIX", "check_keys", "from_release"]

ROTARY_SUFFIX = ".rotary_emb.freqs"


def from_release(state_dict: Mapping[str, Any], rope_dim: int) -> dict[str, Any]:
    """The release's keys as :class:`~scine_eval.lavie.unet.LaVieUNet` names them (see the module docstring).

    Raises:
        ConfigError: a stored rotary frequency table that is not ``RotaryEmbedding(rope_dim)``'s.
    """
    import torch

    from scine_eval.lavie.rotary import rotary_frequencies

    expected = rotary_frequencies(rope_dim)
    out: dict[str, Any] = {}
    for key, value in state_dict.items():
        key = key.removeprefix("module.")
        if key.endswith(ROTARY_SUFFIX):
            if value.shape != expected.shape or not torch.allclose(value.float().cpu(), expected, rtol=1e-3):
                raise ConfigError(
                    f"{key}: stored rotary frequencies {tuple(value.shape)} are not RotaryEmbedding({rope_dim})'s; "
                    "this checkpoint uses another rotary setup"
                )
            continue
        out[key] = value
    return out


def check_keys(expected: Mapping[str, Any], found: Mapping[str, Any], what: str) -> None:
    """Raises a :class:`ConfigError` when the key sets or shapes differ, naming a few of each difference."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    shapes = sorted(k for k in set(expected) & set(found) if tuple(expected[k].shape) != tuple(found[k].shape))
    if not (missing or unexpected or shapes):
        return
    parts = []
    for label, keys in (("missing", missing), ("unexpected", unexpected)):
        if keys:
            parts.append(f"{len(keys)} {label} (e.g. {', '.join(keys[:3])})")
    if shapes:
        k = shapes[0]
        parts.append(f"{len(shapes)} of another shape (e.g. {k}: {tuple(found[k].shape)}, "
                     f"expected {tuple(expected[k].shape)})")  # fmt: skip
    raise ConfigError(f"{what} does not fit this LaVie UNet config: " + "; ".join(parts))
