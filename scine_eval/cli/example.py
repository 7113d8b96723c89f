"""An example kit to try the harness offline: a folder of short videos and simulated expert ratings.

The videos are procedural clips (a moving gradient per prompt and seed), two per prompt, and the ratings are
*simulated*: three raters per (question, video) around a per-video level with rater noise. One ratings file
serves both paths a kit is for: a run (``cached`` videos → ``human`` judge, which finds a video by ``seed``)
and ``scine-eval ablate`` (which finds it by the ``video`` path, relative to the ratings file). Two videos per
prompt give every question a pair to order, so ablate's pairwise accuracy exists. The ratings say nothing
about any model; real ratings come from expert annotators in the same table format.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
from jsonargparse import ArgumentParser, Namespace

from scine_eval.cli.output import emit, err_console
from scine_eval.cli.parsing import add_dataclass_arguments
from scine_eval.options import RunConfig
from scine_eval.suite import Suite
from scine_eval.video import write_video

VIDEOS_PER_PROMPT = 2
"""Seeds 0 and 1 of every prompt: the fewest videos that make a pair to order."""


def gradient_clip(index: int, frames: int = 16, size: int = 64) -> np.ndarray:
    """A (frames, size, size, 3) uint8 clip: a colour gradient sliding by a step of its own (seeded by ``index``)."""
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


def write_example(
    folder: str | Path, suite: Suite, raters: int = 3, seed: int = 0, videos_per_prompt: int = VIDEOS_PER_PROMPT
) -> tuple[Path, Path]:
    """Writes ``videos/{prompt_id}-{seed}.mp4`` and ``annotations.jsonl``; returns both paths.

    Each rating row has ``question_id``, ``seed`` (for the ``human`` judge), ``video`` (the file's path relative
    to the ratings file, for ``ablate`` and ``train-judge``), ``rater`` and ``score``. There is no ``model``
    column: the videos come from no model, and an unknown model pairs with any video in ``train-judge``.
    """
    folder = Path(folder)
    videos = folder / "videos"
    rng = np.random.default_rng(seed)
    levels: dict[tuple[str, int], float] = {}
    for index, prompt_id in enumerate(suite.prompts):
        for video_seed in range(videos_per_prompt):
            clip = gradient_clip(index * videos_per_prompt + video_seed)
            write_video(videos / _video_name(prompt_id, video_seed), clip, fps=8)
            levels[prompt_id, video_seed] = rng.uniform(1.5, 4.5)
    rows = []
    for question in suite.questions:
        for video_seed in range(videos_per_prompt):
            level = levels[question.prompt_id, video_seed]
            video = f"{videos.name}/{_video_name(question.prompt_id, video_seed)}"
            for rater in range(raters):
                score = int(np.clip(round(level + rng.normal(0, 0.8)), 1, 5))
                rows.append(
                    {
                        "question_id": question.id,
                        "seed": video_seed,
                        "video": video,
                        "rater": f"simulated-{rater}",
                        "score": score,
                    }
                )
    annotations = folder / "annotations.jsonl"
    annotations.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return videos, annotations


def _video_name(prompt_id: str, seed: int) -> str:
    """The ``cached`` model's default file name for a prompt and seed."""
    return f"{prompt_id}-{seed}.mp4"


def follow_up_commands(
    videos: Path, annotations: Path, suite: str | None = None, taxonomy: str | None = None
) -> tuple[str, str]:
    """The two commands a kit is for: a run judged by its ratings, and an ablation of ``probe`` against them.

    The kit's suite and taxonomy are passed on, since its question ids only mean something in that suite.
    """
    data = [arg for name, value in (("--suite", suite), ("--taxonomy", taxonomy)) if value for arg in (name, value)]
    run = [
        "scine-eval",
        *("--model", "cached", "--model_args", f"path={videos}"),
        *("--videos_per_prompt", str(VIDEOS_PER_PROMPT)),
        *("--judge", "human", "--judge_args", f"annotations={annotations}"),
        *data,
    ]
    ablate = ["scine-eval", "ablate", "--annotations", str(annotations), "--judges", "probe", *data]
    return shlex.join(run), shlex.join(ablate)


def example_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="scine-eval example",
        description="Write an example kit (procedural videos, two per prompt, + simulated ratings) to try a run "
        "and an ablation offline.",
    )
    parser.add_argument("--output", type=str, default="example", help="Folder to write the kit into.")
    add_dataclass_arguments(parser, RunConfig, only=("taxonomy", "suite"))
    return parser


def example(namespace: Namespace) -> int:
    from scine_eval.suite import load_suite
    from scine_eval.taxonomy import load_taxonomy

    suite = load_suite(namespace.suite, load_taxonomy(namespace.taxonomy))
    videos, annotations = write_example(namespace.output, suite)
    err_console.print(
        f"wrote {len(suite.prompts) * VIDEOS_PER_PROMPT} videos ({VIDEOS_PER_PROMPT} per prompt) to {videos} and "
        f"simulated ratings to {annotations}. Evaluate the videos with the ratings as the judge, or compare a "
        "judge with the ratings:",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    for command in follow_up_commands(videos, annotations, namespace.suite, namespace.taxonomy):
        emit(command)  # verbatim: one line each, to copy or pipe, without rich's wrapping or emoji codes
    return 0
