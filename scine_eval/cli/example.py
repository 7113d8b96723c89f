"""An example kit to try the harness offline: a folder of short videos and simulated expert ratings.

The videos are procedural clips (a moving gradient per prompt), and the ratings are *simulated*: three
raters per question around a per-prompt level with rater noise. They exercise every step of a run
(cached videos → human judge → aggregation → results) without GPUs or downloads. They say nothing about
any model; real ratings come from expert annotators in the same table format.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from jsonargparse import ArgumentParser, Namespace

from scine_eval.cli.output import err_console, out
from scine_eval.cli.parsing import add_dataclass_arguments
from scine_eval.options import RunConfig
from scine_eval.suite import Suite
from scine_eval.video import write_video


def gradient_clip(index: int, frames: int = 16, size: int = 64) -> np.ndarray:
    """A (frames, size, size, 3) uint8 clip: a colour gradient sliding by a prompt-specific step."""
    rng = np.random.default_rng(index)
    base = rng.uniform(40, 215, size=3)
    step = rng.uniform(1, 4)
    x = np.arange(size)[None, :, None]
    y = np.arange(size)[:, None, None]
    out = np.empty((frames, size, size, 3), dtype=np.uint8)
    for t in range(frames):
        wave = 40 * np.sin((x + y * 0.5 + t * step) / 9.0)
        out[t] = np.clip(base + wave, 0, 255).astype(np.uint8)
    return out


def write_example(folder: str | Path, suite: Suite, raters: int = 3, seed: int = 0) -> tuple[Path, Path]:
    """Writes ``videos/{prompt_id}-0.mp4`` for every prompt and ``annotations.jsonl``; returns both paths."""
    folder = Path(folder)
    videos = folder / "videos"
    rng = np.random.default_rng(seed)
    levels = {}
    for index, prompt_id in enumerate(suite.prompts):
        write_video(videos / f"{prompt_id}-0.mp4", gradient_clip(index), fps=8)
        levels[prompt_id] = rng.uniform(1.5, 4.5)
    rows = []
    for question in suite.questions:
        for rater in range(raters):
            score = int(np.clip(round(levels[question.prompt_id] + rng.normal(0, 0.8)), 1, 5))
            rows.append({"question_id": question.id, "seed": 0, "rater": f"simulated-{rater}", "score": score})
    annotations = folder / "annotations.jsonl"
    annotations.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return videos, annotations


def example_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="scine-eval example",
        description="Write an example kit (procedural videos + simulated ratings) to try a run offline.",
    )
    parser.add_argument("--output", type=str, default="example", help="Folder to write the kit into.")
    add_dataclass_arguments(parser, RunConfig, only=("taxonomy", "suite"))
    return parser

def example(namespace: Namespace) -> int:
    from scine_eval.cli.example import write_example
    from scine_eval.suite import load_suite
    from scine_eval.taxonomy import load_taxonomy

    suite = load_suite(namespace.suite, load_taxonomy(namespace.taxonomy))
    videos, annotations = write_example(namespace.output, suite)
    err_console.print(f"wrote {len(suite.prompts)} videos to {videos} and simulated ratings to {annotations}")
    out.print(
        f"scine-eval --model cached --model_args path={videos} --judge human --judge_args annotations={annotations}",
        highlight=False,
        markup=False,
    )
    return 0
