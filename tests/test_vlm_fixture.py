"""The tiny random Qwen2.5-VL checkpoints of ``scine_eval.testing``: they load like Hub ids and process video right.

Other VLM tests build on these folders, so this file pins what they promise: both layouts load through the Auto
classes, the video processor exists and keeps the timing of the frames it is given, a forward pass runs, and the
weights depend on the seed only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scine_eval.testing import QWEN2_VL_CHAT_TEMPLATE, make_tiny_qwen25vl

LAYOUTS = ("v5", "hub")


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """One tiny checkpoint folder per layout, built once per session."""
    base = tmp_path_factory.mktemp("tiny-qwen25vl")
    return {layout: make_tiny_qwen25vl(base / layout, layout=layout) for layout in LAYOUTS}


def _load(path: Path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    return AutoProcessor.from_pretrained(path), AutoModelForImageTextToText.from_pretrained(path)


def _video_prompt(processor) -> str:
    messages = [
        {"role": "user", "content": [{"type": "video"}, {"type": "text", "text": "Rate the camera move from 1 to 5."}]}
    ]
    return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_both_layouts_load_through_the_auto_classes_with_the_tiny_ids(checkpoints, layout):
    from transformers import Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor, Qwen2VLVideoProcessor

    processor, model = _load(checkpoints[layout])

    assert isinstance(processor, Qwen2_5_VLProcessor)
    assert isinstance(processor.video_processor, Qwen2VLVideoProcessor)
    assert isinstance(model, Qwen2_5_VLForConditionalGeneration)
    # The hub layout has no video processor config: its size must come from preprocessor_config.json's pixels.
    assert processor.video_processor.size.shortest_edge == 28 * 28 * 4
    assert processor.video_processor.size.longest_edge == 28 * 28 * 16
    tokenizer = processor.tokenizer
    ids = tokenizer.convert_tokens_to_ids
    assert model.config.video_token_id == ids("<|video_pad|>")
    assert model.config.image_token_id == ids("<|image_pad|>")
    assert model.config.vision_start_token_id == ids("<|vision_start|>")
    assert model.config.vision_end_token_id == ids("<|vision_end|>")
    assert model.config.text_config.vocab_size == len(tokenizer)
    assert model.config.text_config.eos_token_id == tokenizer.eos_token_id == ids("<|im_end|>")
    assert model.config.text_config.pad_token_id == tokenizer.pad_token_id == ids("<|endoftext|>")
    assert model.generation_config.pad_token_id == ids("<|endoftext|>")
    assert ids("<|im_end|>") in model.generation_config.eos_token_id


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_video_prompt_keeps_frame_timing_and_runs_forward(checkpoints, layout):
    import torch
    from transformers.video_utils import VideoMetadata

    processor, model = _load(checkpoints[layout])
    video = np.random.default_rng(0).integers(0, 256, size=(8, 64, 64, 3), dtype=np.uint8)

    inputs = processor(
        text=[_video_prompt(processor)],
        videos=[video],
        video_metadata=[VideoMetadata(total_num_frames=8, fps=2.0)],
        return_tensors="pt",
    )

    # 8 frames at 2 fps, 2 frames per temporal patch: 4 steps of 1 s each.
    assert inputs["second_per_grid_ts"].tolist() == [1.0]
    t, h, w = inputs["video_grid_thw"][0].tolist()
    assert t == 4
    assert (inputs["input_ids"] == model.config.video_token_id).sum().item() == t * h * w // 4
    with torch.no_grad():
        logits = model(**inputs).logits
    assert logits.shape == (1, inputs["input_ids"].shape[1], len(processor.tokenizer))
    assert torch.isfinite(logits).all()


def test_hub_layout_has_the_files_of_a_hub_repo(checkpoints):
    folder = checkpoints["hub"]
    names = {p.name for p in folder.iterdir()}

    shards = sorted(n for n in names if n.startswith("model-") and n.endswith(".safetensors"))
    assert len(shards) >= 2
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"].values()) == set(shards)
    assert "model.safetensors" not in names
    assert {"processor_config.json", "video_preprocessor_config.json", "chat_template.jinja"}.isdisjoint(names)
    assert {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"} <= names
    assert json.loads((folder / "chat_template.json").read_text()) == {"chat_template": QWEN2_VL_CHAT_TEMPLATE}
    preprocessor = json.loads((folder / "preprocessor_config.json").read_text())
    assert (preprocessor["min_pixels"], preprocessor["max_pixels"]) == (28 * 28 * 4, 28 * 28 * 16)
    assert preprocessor["image_processor_type"] == "Qwen2VLImageProcessor"


def test_v5_layout_is_what_save_pretrained_writes(checkpoints):
    names = {p.name for p in checkpoints["v5"].iterdir()}
    assert {"model.safetensors", "processor_config.json", "config.json", "tokenizer.json"} <= names


def test_the_seed_alone_decides_the_weights(checkpoints, tmp_path):
    from safetensors.torch import load_file

    original = load_file(checkpoints["v5"] / "model.safetensors")
    again = load_file(make_tiny_qwen25vl(tmp_path / "again") / "model.safetensors")
    other = load_file(make_tiny_qwen25vl(tmp_path / "other", seed=1) / "model.safetensors")

    assert original.keys() == again.keys() == other.keys()
    assert all(original[k].equal(again[k]) for k in original)
    assert not all(original[k].equal(other[k]) for k in original)
    # Sharding only splits the same tensors across files.
    hub_shards = sorted(checkpoints["hub"].glob("model-*.safetensors"))
    hub = {k: v for shard in hub_shards for k, v in load_file(shard).items()}
    assert hub.keys() == original.keys()
    assert all(original[k].equal(hub[k]) for k in original)


def test_rating_digits_are_single_tokens(checkpoints):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoints["hub"])
    for digit in "12345":
        assert len(tokenizer.encode(digit, add_special_tokens=False)) == 1
    assert tokenizer.decode(tokenizer.encode("Rate 4 of 5, camera: dolly in.")) == "Rate 4 of 5, camera: dolly in."


@pytest.mark.parametrize("layout", LAYOUTS)
def test_chat_template_renders_the_qwen2_vl_format(checkpoints, layout):
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(checkpoints[layout])

    assert _video_prompt(processor) == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|video_pad|><|vision_end|>Rate the camera move from 1 to 5.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Score?"}]},
        {"role": "assistant", "content": "3"},
    ]
    assert processor.apply_chat_template(messages, tokenize=False) == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Score?<|im_end|>\n"
        "<|im_start|>assistant\n3<|im_end|>\n"
    )


def test_unknown_size_or_layout_is_refused(tmp_path):
    with pytest.raises(ValueError, match="size"):
        make_tiny_qwen25vl(tmp_path, size="huge")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="layout"):
        make_tiny_qwen25vl(tmp_path, layout="gguf")  # type: ignore[arg-type]
