"""The Qwen2.5-VL Instruct checkpoints the zero-shot judges name, with their architectures.

The architecture numbers are transcribed from each checkpoint's ``config.json`` on the Hub, so that
memory can be estimated (``scine-eval judges``) and full-size random models built for benchmarks
without downloading anything. Loading a preset still reads the real config from the checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PRESETS", "Preset"]

_VISION_BASE = {
    "depth": 32,
    "hidden_size": 1280,
    "num_heads": 16,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "window_size": 112,
    "fullatt_block_indexes": [7, 15, 23, 31],
    "tokens_per_second": 2,
    "in_channels": 3,
    "hidden_act": "silu",
}

_TEXT_BASE = {
    "vocab_size": 152064,
    "max_position_embeddings": 128000,
    "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]},
    "rms_norm_eps": 1e-6,
    "hidden_act": "silu",
    "bos_token_id": 151643,
    "eos_token_id": 151645,
}

_TOKENS = {
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
    "image_token_id": 151655,
    "video_token_id": 151656,
    "tie_word_embeddings": False,
}


@dataclass(frozen=True)
class Preset:
    """A named checkpoint: its Hub id and the architecture of its ``config.json``."""

    name: str
    repo_id: str
    text: dict[str, Any]
    vision: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=lambda: dict(_TOKENS))

    def config_dict(self) -> dict[str, Any]:
        """Keyword arguments for ``Qwen2_5_VLConfig`` (no weights involved)."""
        return {
            "text_config": {**_TEXT_BASE, **self.text},
            "vision_config": {**_VISION_BASE, **self.vision},
            **self.extra,
        }


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "qwen2.5-vl-7b",
            "Qwen/Qwen2.5-VL-7B-Instruct",
            text={
                "hidden_size": 3584,
                "intermediate_size": 18944,
                "num_hidden_layers": 28,
                "num_attention_heads": 28,
                "num_key_value_heads": 4,
            },
            vision={"intermediate_size": 3420, "out_hidden_size": 3584},
        ),
        Preset(
            "qwen2.5-vl-32b",
            "Qwen/Qwen2.5-VL-32B-Instruct",
            text={
                "hidden_size": 5120,
                "intermediate_size": 27648,
                "num_hidden_layers": 64,
                "num_attention_heads": 40,
                "num_key_value_heads": 8,
            },
            vision={"intermediate_size": 3456, "out_hidden_size": 5120},
        ),
        Preset(
            "qwen2.5-vl-72b",
            "Qwen/Qwen2.5-VL-72B-Instruct",
            text={
                "hidden_size": 8192,
                "intermediate_size": 29568,
                "num_hidden_layers": 80,
                "num_attention_heads": 64,
                "num_key_value_heads": 8,
            },
            vision={"intermediate_size": 3456, "out_hidden_size": 8192},
        ),
    )
}
"""The paper's zero-shot baselines, by judge name."""
