"""The options of a run, and the data and cache options it shares with ``judge-check`` and ``ablate``.

Each is one typed record from which the CLI is generated (``--help`` documents every field from the
``Args:`` sections, base classes included). Values are checked when the record is made, so a bad option
fails before any generation or judging.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scine_eval.errors import ConfigError

if TYPE_CHECKING:
    from scine_eval.cache import JudgementCache
    from scine_eval.store import VideoStore
    from scine_eval.suite import Suite
    from scine_eval.tasks import TaskIndex
    from scine_eval.taxonomy import Taxonomy


def default_cache_dir() -> str:
    """``$SCINE_EVAL_CACHE``, else ``$XDG_CACHE_HOME/scine-eval``, else ``~/.cache/scine-eval``."""
    if os.environ.get("SCINE_EVAL_CACHE"):
        return os.environ["SCINE_EVAL_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "scine-eval")


@dataclass
class TaxonomyOptions:
    """Which taxonomy and task files to read.

    Args:
        taxonomy: Taxonomy YAML file (default: the bundled reconstruction of the paper's 76 leaves).
        include_path: Extra folders of task YAML files.
    """

    taxonomy: str | None = None
    include_path: list[str] = field(default_factory=list)

    def load_taxonomy(self) -> Taxonomy:
        from scine_eval.taxonomy import load_taxonomy

        return load_taxonomy(self.taxonomy)

    def task_index(self, taxonomy: Taxonomy) -> TaskIndex:
        from scine_eval.tasks import TaskIndex

        return TaskIndex(taxonomy, include_paths=self.include_path)


@dataclass
class DataOptions(TaxonomyOptions):
    """Which taxonomy, task files and prompt suite to read.

    Args:
        suite: Prompt suite: a bundled name, a local folder, or a Hub dataset id (``org/name@revision``).
    """

    suite: str | None = None

    def load_suite(self, taxonomy: Taxonomy) -> Suite:
        from scine_eval.suite import load_suite

        return load_suite(self.suite, taxonomy)


@dataclass
class CacheOptions:
    """Where generated videos, rendered stimuli and judgements are kept between runs.

    Args:
        cache_dir: Where the video store, rendered stimuli and the judgement cache live (default:
            ``$SCINE_EVAL_CACHE``, else ``$XDG_CACHE_HOME/scine-eval``, else ``~/.cache/scine-eval``).
        use_cache: Reuse and store judgements in the cache (a rerun then judges only what is missing).
    """

    cache_dir: str = field(default_factory=default_cache_dir)
    use_cache: bool = True

    @property
    def cache_root(self) -> Path:
        return Path(self.cache_dir).expanduser()

    def judgement_cache(self) -> JudgementCache:
        """The SQLite judgement cache (an in-memory one that keeps nothing with ``use_cache=False``)."""
        from scine_eval.cache import JudgementCache

        return JudgementCache(self.cache_root / "judgements.sqlite" if self.use_cache else None)

    def video_store(self) -> VideoStore:
        from scine_eval.store import VideoStore

        return VideoStore(self.cache_root / "videos")

    @property
    def stimuli_dir(self) -> Path:
        """Rendered judge-check and training clips."""
        return self.cache_root / "stimuli"


@dataclass
class RunConfig(DataOptions, CacheOptions):
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
        limit: Only the first N prompts of each task (for quick checks; results say so).
        seed: Base seed; the video for sample j of a prompt uses seed + j.
        videos_per_prompt: Videos generated (or expected) per prompt.
        output_path: Folder for results; each run writes new timestamped files under ``<output_path>/<model>/``.
        log_samples: Also write per-task JSONL with every sample's prompt, question, video hash and judgement.
        strict: Fail when any video is missing or unusable, instead of counting and skipping it.
        bootstrap_iters: Bootstrap replicates for confidence intervals (0 disables them).
        plots: Also write a pillar radar and a node bar chart (PNG, the ``plot`` extra) beside the results.
        push_to_hub: After the run, upload its results, leaderboard JSON and (with ``--log_samples``) per-sample
            logs to Hugging Face Hub dataset repos under ``--hub_results_org`` (private; see ``scine-eval push``).
        hub_results_org: The Hub user or organisation that owns the results and details repos.
        generate: Which videos to make: ``covered`` (those with a question the judge covers; the others
            are counted in the results, never judged) or ``all`` (every planned video, to judge later with
            another judge). With a judge that covers every node, such as the VLMs, both are the same; with
            ``--metrics``, every video is made (metrics measure them all).
        metrics: Video metrics computed over the run's videos beside the SCINE scores, each ``NAME`` or
            ``NAME:key=value,...`` (``scine-eval metrics`` lists them): ``clipsim``, ``fvd``, ``is``, ``vsa``.
        num_workers: Processes for CPU-bound work (the ``synthetic`` renderer, the ``probe`` judge); default
            every core this process may use. 1 runs everything in this process. Results are identical.
    """

    model: str = "synthetic"
    model_args: str | dict[str, Any] = ""
    tasks: list[str] = field(default_factory=lambda: ["scine"])
    judge: str = "probe"
    judge_args: str | dict[str, Any] = ""
    limit: int | None = None
    seed: int = 0
    videos_per_prompt: int = 1
    output_path: str | None = "results"
    log_samples: bool = False
    strict: bool = False
    bootstrap_iters: int = 1000
    plots: bool = False
    push_to_hub: bool = False
    hub_results_org: str | None = None
    generate: Literal["covered", "all"] = "covered"
    metrics: list[str] = field(default_factory=list)
    num_workers: int | None = None

    def __post_init__(self) -> None:
        check_run_options(self)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_run_options(config: RunConfig) -> None:
    """Every option a run could only trip over after generating and judging, checked up front."""
    if not config.model or not str(config.model).strip():
        raise ConfigError("--model is empty: name an adapter (scine-eval models lists them)")
    if not config.judge or not str(config.judge).strip():
        raise ConfigError("--judge is empty: name a judge (scine-eval judges lists them)")
    if not [t for t in config.tasks if str(t).strip(" ,")]:
        raise ConfigError(
            f"--tasks {config.tasks!r} names no task: give names, globs or files, e.g. --tasks 'camera.*'"
        )
    if config.push_to_hub and not config.hub_results_org:
        raise ConfigError("--push_to_hub needs --hub_results_org ORG (the Hub user or organisation to push to)")
    if config.push_to_hub and not config.output_path:
        raise ConfigError("--push_to_hub pushes the files a run writes: give --output_path too")
    _at_least("limit", config.limit, 1, " (leave it unset for every prompt)")
    _at_least("num_workers", config.num_workers, 1, " (leave it unset for every core)")
    if config.generate not in ("covered", "all"):
        raise ConfigError(f"--generate {config.generate!r} is not valid: use 'covered' or 'all'")
    _at_least("videos_per_prompt", config.videos_per_prompt, 1)
    _at_least("bootstrap_iters", config.bootstrap_iters, 0, " (0 disables the intervals)")


def _at_least(name: str, value: Any, low: int, hint: str = "") -> None:
    if value is None and name in ("limit", "num_workers"):  # unset: every prompt, every core
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(
            f"--{name} {value!r} is not valid: {name} must be at least {low}, a whole number {hint}".strip()
        )
