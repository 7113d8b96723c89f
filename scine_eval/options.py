"""The options of one run: one typed record, from which the CLI is generated."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def default_cache_dir() -> str:
    """``$SCINE_EVAL_CACHE``, else ``$XDG_CACHE_HOME/scine-eval``, else ``~/.cache/scine-eval``."""
    if os.environ.get("SCINE_EVAL_CACHE"):
        return os.environ["SCINE_EVAL_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "scine-eval")


@dataclass
class RunConfig:
    """Evaluate a text-to-video model on SCINE tasks with a judge.

    Args:
        model: Model adapter name (``scine-eval models`` lists them) or ``module:Class``. The default,
            ``synthetic``, renders each prompt's controls procedurally (offline, CPU).
        model_args: Adapter arguments as ``k=v,k2=v2`` (e.g. ``path=videos/`` for ``cached``), or a mapping in a
            config file.
        tasks: Task names, globs (``camera.*``, ``*.shot_size``), YAML files or folders; commas also separate.
        judge: Judge name (``scine-eval judges`` lists them) or ``module:Class``. The default, ``probe``,
            measures camera motion, colour temperature, key, contrast and lighting motion without weights.
        judge_args: Judge arguments as ``k=v,k2=v2`` (e.g. ``annotations=ratings.jsonl`` for ``human``), or a
            mapping in a config file.
        suite: Prompt suite: a bundled name, a local folder, or a Hub dataset id (``org/name@revision``).
        taxonomy: Taxonomy YAML file (default: the bundled reconstruction of the paper's 76 leaves).
        include_path: Extra folders of task YAML files.
        limit: Only the first N prompts of each task (for quick checks; results say so).
        seed: Base seed; the video for sample j of a prompt uses seed + j.
        videos_per_prompt: Videos generated (or expected) per prompt.
        output_path: Folder for results; each run writes new timestamped files under ``<output_path>/<model>/``.
        log_samples: Also write per-task JSONL with every sample's prompt, question, video hash and judgement.
        strict: Fail when any video is missing or unusable, instead of counting and skipping it.
        bootstrap_iters: Bootstrap replicates for confidence intervals (0 disables them).
        cache_dir: Where the video store and the judgement cache live.
        use_cache: Reuse and store judgements in the cache (a rerun then judges only what is missing).
    """

    model: str = "synthetic"
    model_args: str | dict[str, Any] = ""
    tasks: list[str] = field(default_factory=lambda: ["scine"])
    judge: str = "probe"
    judge_args: str | dict[str, Any] = ""
    suite: str | None = None
    taxonomy: str | None = None
    include_path: list[str] = field(default_factory=list)
    limit: int | None = None
    seed: int = 0
    videos_per_prompt: int = 1
    output_path: str | None = "results"
    log_samples: bool = False
    strict: bool = False
    bootstrap_iters: int = 1000
    cache_dir: str = field(default_factory=default_cache_dir)
    use_cache: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
