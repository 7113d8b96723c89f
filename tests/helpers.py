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
