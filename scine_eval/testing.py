"""Tiny random Qwen2.5-VL checkpoints, built offline, for tests, benchmarks and trying the harness without weights.

Tests and benchmarks use :func:`make_tiny_qwen25vl` to write a checkpoint folder, then load it with
``AutoProcessor.from_pretrained`` / ``AutoModelForImageTextToText.from_pretrained`` exactly as for a Hub id, so the
code under test is the code users run. Nothing is downloaded and nothing binary is committed: the tokenizer is a
byte-level BPE trained on a few hundred characters, the processor is made of transformers' real Qwen2-VL classes,
and the weights are random from a fixed seed. The result therefore always matches the installed transformers.

The weights are random: the model's outputs mean nothing. Use the folders to check shapes, loading, caching,
batching and numerical agreement between code paths, never quality.

Example:
    >>> from scine_eval.testing import make_tiny_qwen25vl
    >>> path = make_tiny_qwen25vl("/tmp/tiny-qwen")  # doctest: +SKIP
    >>> processor = AutoProcessor.from_pretrained(path)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

__all__ = ["QWEN2_VL_CHAT_TEMPLATE", "SPECIAL_TOKENS", "make_tiny_qwen25vl"]

# Qwen2's special tokens in their Hub order, so the ids keep the same relative order as in the real vocabulary.
SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# The Qwen2-VL / Qwen2.5-VL Hub chat template, same output: a default system turn, ChatML turns, one
# vision_start/pad/end group per image or video part, optional "Picture n: " / "Video n: " labels.
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}"
    "{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n"
    "{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}"
    "{{ content['text'] }}"
    "{% endif %}"
    "{% endfor %}"
    "<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Words the harness's prompts use, so the tiny vocabulary has a few real merges; the digits make sure every
# rating answer is a single byte token.
_CORPUS = (
    "Rate the video from 1 to 5. Give a score for the camera move in this video. Answer the question about the "
    "prompt. The camera pans left, tilts up, dollies in, trucks right and cranes over the set. A handheld shot, a "
    "static shot, a tracking shot, a close-up, a wide shot, an aerial shot, a low angle, a high angle. Golden hour "
    "light, soft key light, hard rim light, fill, backlight, shallow depth of field, deep focus, rack focus, lens "
    "flare, film grain, slow motion. The actor walks through the scene; the shot cuts to the next frame. "
    "Does the video follow the prompt? Yes or no. Score: 0 1 2 3 4 5 6 7 8 9."
)

_SIZES: dict[str, dict[str, Any]] = {
    "tiny": {
        "pixels": {"min_pixels": 28 * 28 * 4, "max_pixels": 28 * 28 * 16},
        "text": {
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "mrope_section": [2, 3, 3],  # sums to head_dim / 2 = 64 / 4 / 2
        },
        "vision": {
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "fullatt_block_indexes": [1],
        },
    },
    "small": {
        # 224x224 is exactly 28*28*64 pixels, so a 16-frame 224² clip gives 8 * 8 * 8 = 512 video tokens.
        "pixels": {"min_pixels": 28 * 28 * 4, "max_pixels": 28 * 28 * 64},
        "text": {
            "hidden_size": 256,
            "intermediate_size": 512,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "mrope_section": [8, 12, 12],  # sums to head_dim / 2 = 256 / 4 / 2
        },
        "vision": {
            "depth": 4,
            "hidden_size": 128,
            "intermediate_size": 256,
            "num_heads": 4,
            "fullatt_block_indexes": [1, 3],
        },
    },
}

_PATCH = {"patch_size": 14, "temporal_patch_size": 2, "merge_size": 2}


def make_tiny_qwen25vl(
    directory: str | os.PathLike[str],
    size: Literal["tiny", "small"] = "tiny",
    layout: Literal["v5", "hub"] = "v5",
    seed: int = 0,
) -> Path:
    """Write a random Qwen2.5-VL checkpoint with a real tokenizer, processor and chat template to ``directory``.

    The folder loads with ``AutoProcessor.from_pretrained`` and ``AutoModelForImageTextToText.from_pretrained``,
    offline. The vocabulary has 502 tokens: the 256 byte tokens (digits ``"0"``-``"9"`` each stay one token, as
    Qwen's pre-tokenizer splits numbers digit by digit), Qwen2's 14 special tokens and the merges learnt from a
    short film-vocabulary corpus. The model config carries this vocabulary's ids, not Qwen's.

    Args:
        directory: Folder to write into; created if missing. Existing files of the same names are overwritten.
        size: ``"tiny"`` (0.22 M parameters, 0.9 MB; at most 16 video tokens per pair of frames, for unit tests) or
            ``"small"`` (3.8 M parameters, 15 MB; a 16-frame 224x224 clip gives 512 video tokens, for benchmarks).
        layout: ``"v5"`` writes what transformers 5's ``save_pretrained`` writes: one ``model.safetensors``, one
            ``processor_config.json`` holding the image and video processor settings, ``chat_template.jinja``.
            ``"hub"`` writes what Qwen's Hub repos hold: sharded weights with an index, ``preprocessor_config.json``
            with ``min_pixels``/``max_pixels``, a ``chat_template.json``, and no processor or video processor
            config, so ``AutoProcessor`` derives the video processor from the image settings (with transformers'
            defaults for the rest: ``fps`` unset, ``cap_pixels_per_frame`` unset, which warns once per process).
        seed: Seed for the random weights. The same seed gives byte-identical weights.

    Returns:
        The checkpoint folder, as a ``Path``.

    Raises:
        ValueError: ``size`` or ``layout`` is not one of the values above.
    """
    if size not in _SIZES:
        raise ValueError(f"size must be 'tiny' or 'small', not {size!r}")
    if layout not in ("v5", "hub"):
        raise ValueError(f"layout must be 'v5' or 'hub', not {layout!r}")

    from scine_eval.compat import ensure_torchvision

    ensure_torchvision()  # before transformers imports torchvision (PyPI's CUDA build fails on CPU torch)

    import torch
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    spec = _SIZES[size]
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)

    tokenizer = _train_tokenizer()
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    image_processor = Qwen2VLImageProcessor(**spec["pixels"], **_PATCH)
    video_processor = Qwen2VLVideoProcessor(
        **spec["pixels"],
        **_PATCH,
        do_sample_frames=False,  # the harness decodes and samples frames itself (PyAV)
        fps=2.0,
        min_frames=2,
        max_frames=768,
        cap_pixels_per_frame=True,  # explicit: unset means False plus a deprecation warning
    )
    processor = Qwen2_5_VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=QWEN2_VL_CHAT_TEMPLATE,
    )

    text = dict(spec["text"])
    mrope_section = text.pop("mrope_section")
    config = Qwen2_5_VLConfig(
        text_config={
            **text,
            "vocab_size": len(tokenizer),
            "max_position_embeddings": 4096,
            "rope_parameters": {"rope_type": "default", "rope_theta": 1e6, "mrope_section": mrope_section},
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
        },
        vision_config={
            **spec["vision"],
            "patch_size": _PATCH["patch_size"],
            "spatial_merge_size": _PATCH["merge_size"],
            "temporal_patch_size": _PATCH["temporal_patch_size"],
            "window_size": 56,
            "out_hidden_size": text["hidden_size"],  # the merger projects straight into the text embeddings
            "tokens_per_second": 2,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).to(torch.float32).eval()
    # The generation config is derived from the model config's defaults; give it the tiny ids explicitly, as the
    # Hub's generation_config.json does (stop on either end token).
    model.generation_config.bos_token_id = ids["<|endoftext|>"]
    model.generation_config.eos_token_id = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]

    if layout == "v5":
        model.save_pretrained(folder)
        processor.save_pretrained(folder)
    else:
        _save_hub_layout(folder, model, tokenizer, image_processor)
    return folder


def _train_tokenizer() -> Any:
    """A ``Qwen2Tokenizer`` over a byte-level BPE (vocabulary budget 1024) trained on :data:`_CORPUS` and the rubrics.

    The rubrics are in the corpus so judge prompts take about as many tokens as with Qwen's real vocabulary
    (4 characters per token or so), which keeps prefix-reuse benchmarks representative.

    Training only produces the vocabulary and merges; the real ``Qwen2Tokenizer`` class then adds Qwen's
    pre-tokenizer regex (digits split one by one), normalisation and decoder, so encoding behaves like Qwen's.
    """
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=1024,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # every byte encodes, whatever the corpus lacks
        show_progress=False,
    )
    from scine_eval.vlm.rubric import RUBRICS

    backend.train_from_iterator([_CORPUS, *(r.system + "\n" + r.user for r in RUBRICS.values())], trainer)
    trained = json.loads(backend.to_str())["model"]
    tokenizer = Qwen2Tokenizer(
        vocab=trained["vocab"],
        merges=[tuple(merge) for merge in trained["merges"]],
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
    )
    tokenizer.add_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS], special_tokens=True)
    tokenizer.chat_template = QWEN2_VL_CHAT_TEMPLATE
    for digit in "12345":
        # Rating judges read one logit per answer digit; that only works if each digit is one token.
        assert len(tokenizer.encode(digit, add_special_tokens=False)) == 1, f"{digit!r} is not a single token"
    return tokenizer


def _save_hub_layout(folder: Path, model: Any, tokenizer: Any, image_processor: Any) -> None:
    """Save the way Qwen's Hub repos look, which differs from what transformers 5 writes.

    Sharded weights, tokenizer files, the image settings as ``min_pixels``/``max_pixels`` in
    ``preprocessor_config.json``, and the chat template in a legacy ``chat_template.json``. No
    ``processor_config.json`` and no ``video_preprocessor_config.json``: loaders must derive the video processor
    from ``preprocessor_config.json``, as they do for the real checkpoints.
    """
    total_bytes = sum(p.numel() * p.element_size() for p in model.state_dict().values())
    model.save_pretrained(folder, max_shard_size=total_bytes // 3 + 1)  # 3-4 shards, whatever the size
    tokenizer.save_pretrained(folder)
    for name in ("processor_config.json", "video_preprocessor_config.json", "chat_template.jinja"):
        (folder / name).unlink(missing_ok=True)  # v5 writes these; Hub repos don't have them

    # The tokenizer alone keeps the template too, as in the Hub's tokenizer_config.json.
    tokenizer_config_path = folder / "tokenizer_config.json"
    tokenizer_config = json.loads(tokenizer_config_path.read_text())
    tokenizer_config["chat_template"] = QWEN2_VL_CHAT_TEMPLATE
    tokenizer_config_path.write_text(json.dumps(tokenizer_config, indent=2) + "\n")

    preprocessor = {
        "min_pixels": image_processor.size["shortest_edge"],
        "max_pixels": image_processor.size["longest_edge"],
        **_PATCH,
        "image_mean": list(image_processor.image_mean),
        "image_std": list(image_processor.image_std),
        "image_processor_type": "Qwen2VLImageProcessor",
        "processor_class": "Qwen2_5_VLProcessor",
    }
    (folder / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2) + "\n")
    (folder / "chat_template.json").write_text(json.dumps({"chat_template": QWEN2_VL_CHAT_TEMPLATE}, indent=2) + "\n")
