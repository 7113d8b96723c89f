"""Tiny random HunyuanVideo and HunyuanVideo-1.5 text-to-video pipelines, built offline.

Both pipelines crop a fixed number of prompt-template tokens off their LLM text encoder's output: HunyuanVideo
crops ``DEFAULT_PROMPT_TEMPLATE["crop_start"]`` (95) tokens, HunyuanVideo-1.5 always crops
``prompt_template_encode_start_idx`` (108) tokens of its chat-formatted prompt. Those numbers are what the real
tokenizers give for the template text. The tiny tokenizers here are trained on the template text and keep exactly as
many BPE merges as make the template take the same number of tokens, so the pipelines' defaults crop exactly the
template off, as with the real checkpoints, and no ``prompt_template`` argument is needed.

Component configs follow diffusers' own fast tests (``tests/pipelines/hunyuan_video/test_hunyuan_video.py``,
``tests/pipelines/hunyuan_video1_5/test_hunyuan_1_5.py``), with the VAE compression ratios, scheduler shifts and
guidance of the real checkpoints, so frame rules and size multiples are the real ones.

Example:
    >>> from scine_eval.tiny_pipelines.hunyuan import make_tiny_hunyuan
    >>> folder = make_tiny_hunyuan("/tmp/tiny-hunyuan")  # doctest: +SKIP
    >>> pipe = DiffusionPipeline.from_pretrained(folder)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["BUILDERS", "make_tiny_hunyuan", "make_tiny_hunyuan_15"]

# Llama-3's special tokens that HunyuanVideo's prompt template uses, plus the unknown token the Llama tokenizer
# class needs (it is a byte-fallback BPE, so the unknown token is never produced).
_LLAMA_SPECIALS = ("<unk>", "<|begin_of_text|>", "<|end_of_text|>")
_LLAMA_HEADER_TOKENS = ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")


def make_tiny_hunyuan(folder: str | os.PathLike[str], seed: int = 0) -> Path:
    """Write a tiny random ``HunyuanVideoPipeline`` that mimics ``hunyuanvideo-community/HunyuanVideo``.

    That checkpoint is the diffusers port of ``tencent/HunyuanVideo`` (720p text-to-video, guidance-distilled: its
    ``guidance_scale`` is embedded guidance fed to the transformer, not classifier-free guidance). The tiny copy has
    the real VAE compression (8x spatial, 4x temporal: ``num_frames`` of the form 4k+1, ``height``/``width``
    multiples of 16, as ``check_inputs`` demands), the real scheduler (``FlowMatchEulerDiscreteScheduler``, shift
    7.0) and a guidance embedder. Text goes through a 3-layer ``LlamaModel`` (hidden size 16) with a
    ``LlamaTokenizerFast`` whose vocabulary makes the default prompt template take exactly the 95 tokens the
    pipeline crops, and a ``CLIPTextModel`` (hidden size 8) with a hand-written byte-level CLIP vocabulary.

    Args:
        folder: Folder to write the pipeline into (``model_index.json`` and one subfolder per component); created if
            missing.
        seed: Seed for the random weights. The same seed gives identical weights.

    Returns:
        The pipeline folder, as a ``Path``; load it with ``DiffusionPipeline.from_pretrained``.
    """
    _imports_ready()
    import torch
    from diffusers import (
        AutoencoderKLHunyuanVideo,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideoPipeline,
        HunyuanVideoTransformer3DModel,
    )
    from diffusers.pipelines.hunyuan_video.pipeline_hunyuan_video import DEFAULT_PROMPT_TEMPLATE
    from transformers import CLIPTextConfig, CLIPTextModel, LlamaConfig, LlamaModel

    from scine_eval.tiny_pipelines.text import clip_tokenizer

    tokenizer = _llama_tokenizer(DEFAULT_PROMPT_TEMPLATE["template"], DEFAULT_PROMPT_TEMPLATE["crop_start"])
    tokenizer_2 = clip_tokenizer()

    torch.manual_seed(seed)
    transformer = HunyuanVideoTransformer3DModel(
        in_channels=4,
        out_channels=4,
        num_attention_heads=2,
        attention_head_dim=10,
        num_layers=1,
        num_single_layers=1,
        num_refiner_layers=1,
        patch_size=1,
        patch_size_t=1,
        guidance_embeds=True,
        text_embed_dim=16,
        pooled_projection_dim=8,
        rope_axes_dim=(2, 4, 4),
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLHunyuanVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        down_block_types=("HunyuanVideoDownBlock3D",) * 4,
        up_block_types=("HunyuanVideoUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        act_fn="silu",
        norm_num_groups=4,
        scaling_factor=0.476986,
        spatial_compression_ratio=8,
        temporal_compression_ratio=4,
        mid_block_add_attention=True,
    )
    scheduler = FlowMatchEulerDiscreteScheduler(shift=7.0)

    torch.manual_seed(seed)
    text_encoder = LlamaModel(
        LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=16,
            intermediate_size=37,
            num_hidden_layers=3,  # the pipeline reads hidden_states[-3]: with 3 layers that is a layer's output
            num_attention_heads=4,
            num_key_value_heads=2,
            hidden_act="silu",
            max_position_embeddings=1024,
            rms_norm_eps=1e-5,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    ).eval()
    torch.manual_seed(seed)
    text_encoder_2 = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer_2),
            hidden_size=8,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,  # the pipeline always pads CLIP input to 77 tokens
            projection_dim=32,
            hidden_act="gelu",
            layer_norm_eps=1e-5,
            bos_token_id=tokenizer_2.bos_token_id,
            eos_token_id=tokenizer_2.eos_token_id,
            pad_token_id=tokenizer_2.pad_token_id,
        )
    ).eval()

    pipe = HunyuanVideoPipeline(
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer.eval(),
        vae=vae.eval(),
        scheduler=scheduler,
        text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2,
    )
    return _save(pipe, folder)


def make_tiny_hunyuan_15(folder: str | os.PathLike[str], seed: int = 0) -> Path:
    """Write a tiny random ``HunyuanVideo15Pipeline`` that mimics HunyuanVideo-1.5's 480p text-to-video checkpoint.

    That checkpoint, ``hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-480p_t2v``, uses classifier-free guidance
    through a ``ClassifierFreeGuidance`` guider component (scale 6.0; the pipeline call takes no ``guidance_scale``),
    ``FlowMatchEulerDiscreteScheduler`` with shift 5.0, a VAE with 16x spatial and 4x temporal compression
    (``num_frames`` of the form 4k+1, ``height``/``width`` multiples of 16), a Qwen2.5-VL language model as text
    encoder and a ByT5 encoder for text in quotes. The tiny copy keeps all of that, with a 3-layer
    ``Qwen2_5_VLTextModel`` (hidden size 16) and a ``Qwen2Tokenizer`` whose vocabulary makes the chat-formatted
    system prompt take exactly the 108 tokens the pipeline crops, a 2-layer ``T5EncoderModel`` with
    ``ByT5Tokenizer()``, and ``target_size=16`` so that a call without ``height``/``width`` makes 16x16 frames
    (the real 640 gives 480x848).

    Args:
        folder: Folder to write the pipeline into (``model_index.json`` and one subfolder per component); created if
            missing.
        seed: Seed for the random weights. The same seed gives identical weights.

    Returns:
        The pipeline folder, as a ``Path``; load it with ``DiffusionPipeline.from_pretrained``.
    """
    _imports_ready()
    import torch
    from diffusers import (
        AutoencoderKLHunyuanVideo15,
        ClassifierFreeGuidance,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideo15Pipeline,
        HunyuanVideo15Transformer3DModel,
    )
    from diffusers.pipelines.hunyuan_video1_5.pipeline_hunyuan_video1_5 import format_text_input
    from transformers import Qwen2_5_VLTextConfig, Qwen2_5_VLTextModel

    from scine_eval.tiny_pipelines.text import tiny_t5

    torch.manual_seed(seed)
    transformer = HunyuanVideo15Transformer3DModel(
        in_channels=9,  # latents, the (zero) condition latents and the condition mask: 4 + 4 + 1
        out_channels=4,
        num_attention_heads=2,
        attention_head_dim=8,
        num_layers=1,
        num_refiner_layers=1,
        mlp_ratio=2.0,
        patch_size=1,
        patch_size_t=1,
        text_embed_dim=16,
        text_embed_2_dim=32,
        image_embed_dim=12,
        rope_axes_dim=(2, 2, 4),
        target_size=16,
        task_type="t2v",
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLHunyuanVideo15(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(16, 16, 16, 16),  # four blocks: log2(16) spatial halvings, the last two also temporal
        layers_per_block=1,
        spatial_compression_ratio=16,
        temporal_compression_ratio=4,
        downsample_match_channel=False,
        upsample_match_channel=False,
    )
    scheduler = FlowMatchEulerDiscreteScheduler(shift=5.0)
    guider = ClassifierFreeGuidance(guidance_scale=6.0)
    text_encoder_2, tokenizer_2 = tiny_t5("t5", d_model=32, seed=seed)

    # The system prompt and the number of tokens cropped are set in the pipeline's __init__ (not configurable), so
    # read them off an instance before fitting the tokenizer to them.
    pipe = HunyuanVideo15Pipeline(
        text_encoder=None,
        tokenizer=None,
        transformer=transformer.eval(),
        vae=vae.eval(),
        scheduler=scheduler,
        text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2,
        guider=guider,
    )
    tokenizer = _qwen_tokenizer(
        lambda prompt: format_text_input([prompt], pipe.system_message)[0], pipe.prompt_template_encode_start_idx
    )
    torch.manual_seed(seed)
    text_encoder = Qwen2_5_VLTextModel(
        Qwen2_5_VLTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=16,
            intermediate_size=16,
            num_hidden_layers=3,  # the pipeline reads hidden_states[-3]: with 3 layers that is a layer's output
            num_attention_heads=2,
            num_key_value_heads=2,
            max_position_embeddings=2048,  # the pipeline always pads to 108 + 1000 tokens
            rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": [1, 1, 2]},
            bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    ).eval()
    pipe.register_modules(text_encoder=text_encoder, tokenizer=tokenizer)
    return _save(pipe, folder)


BUILDERS: dict[str, Callable[..., Path]] = {"hunyuan": make_tiny_hunyuan, "hunyuan-1.5": make_tiny_hunyuan_15}


def _imports_ready() -> None:
    from scine_eval.compat import ensure_torchvision

    ensure_torchvision()  # before transformers/diffusers import torchvision (PyPI's CUDA build fails on CPU torch)


def _save(pipe: Any, folder: str | os.PathLike[str]) -> Path:
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    pipe.save_pretrained(path)
    return path


def _llama_tokenizer(template: str, crop_start: int) -> Any:
    """A ``LlamaTokenizerFast`` on which ``template`` up to its ``{}`` takes ``crop_start`` tokens, BOS included.

    The real tokenizer (llava-llama-3-8b's) is Llama-3's byte-level BPE, but transformers 5 rebuilds a
    ``LlamaTokenizerFast`` from its saved vocabulary with the class's own SentencePiece-style pipeline (``▁`` for
    spaces, byte fallback), whatever ``tokenizer.json`` says. So the vocabulary is trained in that form, with the 256
    ``<0xNN>`` byte tokens, and round-trips through ``save_pretrained``/``from_pretrained`` unchanged. Newlines are
    left out of the trained alphabet, so the two newlines before the prompt are two byte tokens and the prompt's first
    token never merges into the template. Padding is on the right, as the pipeline's crop assumes.
    """
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaTokenizerFast

    from scine_eval.testing import _CORPUS

    words = re.sub(r"<\|[a-z_]+\|>", " ", template.replace("{}", " ")).replace("\n", " ")
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    backend.train_from_iterator([words, _CORPUS], trainers.BpeTrainer(vocab_size=4096, show_progress=False))
    trained = json.loads(backend.to_str())["model"]
    alphabet = [token for token in trained["vocab"] if len(token) == 1]
    base = [*_LLAMA_SPECIALS, *(f"<0x{byte:02X}>" for byte in range(256)), *alphabet]

    def build(merges: Sequence[tuple[str, str]]) -> Any:
        vocab = dict.fromkeys(base)
        vocab.update(dict.fromkeys(a + b for a, b in merges))
        tokenizer = LlamaTokenizerFast(
            vocab={token: index for index, token in enumerate(vocab)},
            merges=list(merges),
            unk_token="<unk>",
            bos_token="<|begin_of_text|>",
            eos_token="<|end_of_text|>",
            pad_token="<|end_of_text|>",
            add_bos_token=True,
            padding_side="right",
        )
        tokenizer.add_tokens([AddedToken(t, special=True, normalized=False) for t in _LLAMA_HEADER_TOKENS])
        return tokenizer

    prefix = template.split("{}")[0]
    merges = [tuple(merge) for merge in trained["merges"]]
    tokenizer = _fit_merges(build, merges, lambda tok: len(tok(prefix).input_ids), crop_start)
    _check_prefix(tokenizer, lambda prompt: tokenizer(template.format(prompt)).input_ids, crop_start)
    return tokenizer


def _qwen_tokenizer(conversation: Callable[[str], list[dict[str, str]]], crop_start: int) -> Any:
    """A ``Qwen2Tokenizer`` on which the chat-formatted ``conversation`` up to the user text is ``crop_start`` tokens.

    A byte-level BPE trained, with Qwen2's own pre-tokenizer, on the system prompt and the words of the chat
    scaffolding, with Qwen2's special tokens and the Qwen2-VL chat template (the real checkpoint's tokenizer is
    Qwen2.5-VL-7B-Instruct's). Padding is on the right, as the pipeline's crop assumes.
    """
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    from scine_eval.testing import _CORPUS, QWEN2_VL_CHAT_TEMPLATE, SPECIAL_TOKENS

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = Qwen2Tokenizer().backend_tokenizer.pre_tokenizer
    trainer = trainers.BpeTrainer(
        vocab_size=4096, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    system = conversation("")[0]["content"]
    backend.train_from_iterator([system, "system\nuser\nassistant\n", _CORPUS], trainer)
    trained = json.loads(backend.to_str())["model"]
    alphabet = sorted(token for token in trained["vocab"] if len(token) == 1)

    def build(merges: Sequence[tuple[str, str]]) -> Any:
        vocab = dict.fromkeys(alphabet)
        vocab.update(dict.fromkeys(a + b for a, b in merges))
        tokenizer = Qwen2Tokenizer(
            vocab={token: index for index, token in enumerate(vocab)},
            merges=list(merges),
            eos_token="<|im_end|>",
            pad_token="<|endoftext|>",
            unk_token=None,
            padding_side="right",
        )
        tokenizer.add_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS], True)
        tokenizer.chat_template = QWEN2_VL_CHAT_TEMPLATE
        return tokenizer

    def chat_ids(tokenizer: Any, prompt: str) -> list[int]:
        text = tokenizer.apply_chat_template(conversation(prompt), tokenize=False, add_generation_prompt=True)
        return tokenizer(text).input_ids

    sentinel = "\x00"

    def prefix_length(tokenizer: Any) -> int:
        text = tokenizer.apply_chat_template(conversation(sentinel), tokenize=False, add_generation_prompt=True)
        return len(tokenizer(text.split(sentinel)[0]).input_ids)

    merges = [tuple(merge) for merge in trained["merges"]]
    tokenizer = _fit_merges(build, merges, prefix_length, crop_start)
    _check_prefix(tokenizer, lambda prompt: chat_ids(tokenizer, prompt), crop_start)
    return tokenizer


def _fit_merges(
    build: Callable[[Sequence[tuple[str, str]]], Any],
    merges: Sequence[tuple[str, str]],
    length: Callable[[Any], int],
    target: int,
) -> Any:
    """The tokenizer with the most leading ``merges`` for which ``length(tokenizer) == target``.

    More merges never make a text longer, so the longest prefix of the merge list still giving at least ``target``
    tokens is found by bisection.

    Raises:
        RuntimeError: No number of merges gives exactly ``target`` tokens (the trained merges changed).
    """
    low, high = 0, len(merges)  # invariant: length(low merges) >= target; find the largest such count
    if length(build(merges[:low])) < target:
        raise RuntimeError(f"the template takes fewer than {target} tokens even without merges")
    while low < high:
        middle = (low + high + 1) // 2
        if length(build(merges[:middle])) >= target:
            low = middle
        else:
            high = middle - 1
    tokenizer = build(merges[:low])
    if (found := length(tokenizer)) != target:
        raise RuntimeError(f"no number of BPE merges makes the template exactly {target} tokens (got {found})")
    return tokenizer


def _check_prefix(tokenizer: Any, encode: Callable[[str], list[int]], crop_start: int) -> None:
    """Check that the first ``crop_start`` tokens of prompted templates are the same whatever the prompt."""
    prompts = ("A cat walks on the grass, realistic", "dolly in", "Slow push-in, 35mm, golden hour")
    heads = {tuple(encode(prompt)[:crop_start]) for prompt in prompts}
    if len(heads) != 1:
        raise RuntimeError(f"the prompt changes the first {crop_start} template tokens")
