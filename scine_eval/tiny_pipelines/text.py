"""Tiny T5-family text encoders with a byte-level tokenizer that needs no vocabulary file (no download)."""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["tiny_t5"]


def tiny_t5(kind: Literal["t5", "umt5"] = "t5", d_model: int = 32, seed: int = 0) -> tuple[Any, Any]:
    """A random ``T5EncoderModel`` (or ``UMT5EncoderModel``) and a ``ByT5Tokenizer`` sized to it.

    ``ByT5Tokenizer`` maps bytes to ids (259 of them with the three specials, plus 125 extra ids) and is made
    without any file, so pipelines that expect a T5 tokenizer get a real one. ``d_model`` is the width the
    transformer's text projection expects (``text_dim`` / ``caption_channels`` / ``text_embed_dim``).
    """
    import torch
    from transformers import ByT5Tokenizer, T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    tokenizer = ByT5Tokenizer()
    config_cls, model_cls = (UMT5Config, UMT5EncoderModel) if kind == "umt5" else (T5Config, T5EncoderModel)
    config = config_cls(
        vocab_size=len(tokenizer),
        d_model=d_model,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    return model_cls(config).eval(), tokenizer


def clip_tokenizer() -> Any:
    """A ``CLIPTokenizer`` over a hand-written vocabulary: the 256 byte-level symbols, bare and with ``</w>``.

    Every text encodes (lower-cased, as CLIP does) without unknown tokens; a few merges of common English endings
    make some words shorter than their letters. The specials come last, as in CLIP's real vocabulary.
    """
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    symbols = sorted(pre_tokenizers.ByteLevel.alphabet())
    merges = [("t", "h"), ("th", "e</w>"), ("i", "n"), ("in", "g</w>"), ("a", "n"), ("an", "d</w>"), ("e", "r</w>")]
    tokens = [*symbols, *(s + "</w>" for s in symbols), *(a + b for a, b in merges)]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    return CLIPTokenizer(vocab={token: index for index, token in enumerate(tokens)}, merges=merges)
