"""Builders for test inputs: real mp4 files and annotation tables, small enough to be fast."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scine_eval.suite import Suite
from scine_eval.video import write_video

REPO = Path(__file__).resolve().parents[1]


def clip(seed: int, frames: int = 6, size: int = 32) -> np.ndarray:
    """A deterministic random RGB clip of shape (frames, size, size, 3)."""
    return np.random.default_rng(seed).integers(0, 256, (frames, size, size, 3), dtype=np.uint8)


def rating(question_id: str, rater: int) -> int:
    """A deterministic 1-5 rating that differs by question and rater."""
    return 1 + (sum(map(ord, question_id)) * 7 + rater * 3) % 5


@dataclass
class VideoFolder:
    root: Path
    annotations: Path
    prompt_ids: list[str]

    @classmethod
    def build(
        cls, root: Path, suite: Suite, annotations: Path, seeds: tuple[int, ...] = (0,), raters: int = 3
    ) -> VideoFolder:
        root.mkdir(parents=True, exist_ok=True)
        ids = list(suite.prompts)
        for i, prompt_id in enumerate(ids):
            for seed in seeds:
                write_video(root / f"{prompt_id}-{seed}.mp4", clip(i * 100 + seed), fps=4)
        rows = [
            {"question_id": q.id, "seed": seed, "rater": f"r{r}", "score": rating(q.id, r)}
            for q in suite.questions
            for seed in seeds
            for r in range(raters)
        ]
        annotations.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
        return cls(root, annotations, ids)

    def expected_mean(self, question_id: str, raters: int = 3) -> float:
        return sum(rating(question_id, r) for r in range(raters)) / raters

    def model_args(self) -> str:
        return f"path={self.root}"

    def judge_args(self) -> str:
        return f"annotations={self.annotations}"


BT_PROOF = {
    "epochs": 6,
    "batch_size": 8,
    "lr": 3e-3,
    "lora_r": 8,
    "lora_alpha": 16,
    "loss": "bt",
    "max_pixels": 28 * 28 * 16,
}
"""The tiny-model recipe (docs/bt-judge.md): LoRA needs a high learning rate to move a random base in 40 steps."""


def free_port() -> int:
    """A TCP port nothing listens on now, for a torchrun rendezvous."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def subprocess_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a ``python -m scine_eval`` child: offline, its own HF home, no launcher variables."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home"),
           "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}  # fmt: skip
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    return env


def load_tiny_pipeline(folder: Path):
    """A tiny pipeline folder loaded as users load one (``from_pretrained``), without diffusers' step bar.

    Allegro's VAE decodes only in tiles and tiling is not saved with the folder, so it is switched on here, as the
    ``allegro`` preset does.
    """
    from diffusers import DiffusionPipeline

    pipe = DiffusionPipeline.from_pretrained(folder)
    if type(pipe).__name__ == "AllegroPipeline":
        pipe.vae.enable_tiling()
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_tiny_pipeline(builders: dict, name: str, tmp_path_factory) -> tuple[str, Path, object]:
    """(name, folder, loaded pipeline) of one family's tiny pipeline, built into a fresh tmp folder."""
    folder = builders[name](tmp_path_factory.mktemp(name))
    return name, folder, load_tiny_pipeline(folder)


def mp4_round_trip(path: Path, frames: np.ndarray, fps: float):
    """A pipeline's ``[0, 1]`` frames written as an mp4 and read back by the project's own decoder (every frame)."""
    from scine_eval.video import decode, to_uint8

    return decode(write_video(path, to_uint8(frames), fps=fps), fps=None)


def tiny_clip(width: int = 16, projection: int = 8, seed: int = 0):
    """A random CLIP (32x32 images) with the hand-written CLIP tokenizer: ``(CLIPModel, CLIPProcessor)``."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    from scine_eval.tiny_pipelines.text import clip_tokenizer

    tokenizer = clip_tokenizer()
    text = {"vocab_size": len(tokenizer), "hidden_size": width, "intermediate_size": 2 * width, "num_hidden_layers": 2,
            "num_attention_heads": 2, "max_position_embeddings": 77, "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}  # fmt: skip
    vision = {"image_size": 32, "patch_size": 8, "hidden_size": width, "intermediate_size": 2 * width,
              "num_hidden_layers": 2, "num_attention_heads": 2}  # fmt: skip
    torch.manual_seed(seed)
    model = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=projection))
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    return model, CLIPProcessor(image_processor=images, tokenizer=tokenizer)
