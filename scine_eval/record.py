"""The results record as typed, versioned pydantic models, and reading one back from a file.

A run's ``results_<time>.json`` is exactly :class:`ResultsRecord` serialised (``record.to_json()``), so the
format is pinned by these classes, by ``docs/results.schema.json`` (exported from them; a test fails when the
two disagree) and by golden files in the tests. Metric keys stay lm-eval's ``metric,judge`` (``"score,probe"``),
which is why a task's metrics are a mapping rather than fields. Readers (tables, the leaderboard) take a
:class:`ResultsRecord` from :func:`load_record`, which names the file and the version when a record is from a
schema this version cannot read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scine_eval.errors import ConfigError
from scine_eval.readers import validation_message

SCHEMA_VERSION = 1
"""Bump when a key is renamed, removed or changes meaning; adding an optional key needs no bump."""

Metric = float | int | str | None
"""A task's metric value: a score, a count, the task alias, or None where nothing was scored."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Counts(_Record):
    """What happened to a task's samples (``n-samples``)."""

    original: int
    planned: int
    effective: int
    missing_video: int
    video_error: int
    unscored: int
    not_covered: int


class VideoFailure(_Record):
    prompt_id: str
    seed: int
    path: str | None
    error: str | None


class Videos(_Record):
    planned: int
    not_generated: int = 0
    """Videos left out because the judge covers none of their questions (``--generate covered``)."""
    generate: Literal["covered", "all"] = "all"
    """The run's ``--generate``; records written before the option existed generated every video."""
    usable: int
    missing: int
    unusable: int
    failures: list[VideoFailure]


class Estimate(_Record):
    """A mean with its bootstrap interval, for one facet value of a breakdown."""

    score: float | None
    score_norm: float | None
    ci_low: float | None
    ci_high: float | None
    n_samples: int
    n_prompts: int


class MetricEntry(_Record):
    """A video metric over the run's videos (``--metrics``): its value, or ``None`` and why."""

    metric: str
    value: float | None
    n_videos: int
    reason: str | None
    higher_is_better: bool
    spec: dict[str, Any]
    details: dict[str, Any]


class RunConfig(BaseModel):
    """What was run: the model and judge with their specs and fingerprints, the selection and the seeds."""

    model_config = ConfigDict(extra="allow")  # an adapter's model_info() may add keys

    model: str
    model_args: str | dict[str, Any]
    model_spec: dict[str, Any]
    model_fingerprint: str
    model_name: str
    model_sha: str
    model_dtype: str
    judge: str
    judge_args: str | dict[str, Any]
    judge_spec: dict[str, Any]
    judge_fingerprint: str
    tasks: list[str]
    requested_tasks: list[str]
    root_tasks: list[str]
    seed: int
    seed_recipe: str
    videos_per_prompt: int
    limit: int | None
    bootstrap_iters: int
    world_size: int


class SuiteInfo(_Record):
    name: str
    version: str
    source: str
    sha256: str


class TaxonomyInfo(_Record):
    name: str
    version: str
    path: str | None
    sha256: str


class Environment(_Record):
    python: str
    platform: str
    packages: dict[str, str]


@dataclass(frozen=True)
class TaskResult:
    """One task's headline numbers under the run's judge, read from its ``metric,judge`` keys."""

    name: str
    score: float | None
    """Mean rating on the 1-5 scale; ``None`` where nothing was scored."""
    score_norm: float | None
    """The same on 0-100: ``(score - 1) / 4 * 100``."""
    ci_low: float | None
    ci_high: float | None
    n_samples: int
    n_prompts: int
    node: str | None
    """The taxonomy node a family task was derived from (``None`` for roots and hand-written tasks)."""
    subtasks: tuple[str, ...]

    @property
    def is_group(self) -> bool:
        return bool(self.subtasks)


class ResultsRecord(_Record):
    """One run's results, in lm-evaluation-harness's shape plus SCINE's breakdowns and video accounting."""

    results: dict[str, dict[str, Metric]]
    """Task → its metrics (``score,<judge>``, ``score_ci_low,<judge>``..., ``n_samples``, ``alias``)."""
    groups: dict[str, dict[str, Metric]]
    group_subtasks: dict[str, list[str]]
    configs: dict[str, dict[str, Any]]
    versions: dict[str, str]
    higher_is_better: dict[str, dict[str, bool]]
    n_samples: dict[str, Counts] = Field(alias="n-samples")
    breakdowns: dict[str, dict[str, dict[str, Estimate]]]
    """Root task → facet (suite, role, difficulty, genre) → value → estimate."""
    videos: Videos
    config: RunConfig
    suite: SuiteInfo
    taxonomy: TaxonomyInfo
    task_hashes: dict[str, str]
    git_hash: str | None
    date: float
    start_time: str
    end_time: str
    total_evaluation_time_seconds: float
    environment: Environment
    scine_eval_version: str | None
    metrics: dict[str, MetricEntry] = Field(default_factory=dict)
    """``--metrics`` by name (FVD, CLIPSIM, IS, VSA); empty when none was asked for."""
    schema_version: Literal[1] = SCHEMA_VERSION

    def to_json_dict(self) -> dict[str, Any]:
        """The record as the JSON object a results file holds (``n-samples`` under its lm-eval name)."""
        return self.model_dump(mode="json", by_alias=True)

    @property
    def judge(self) -> str:
        return self.config.judge

    @property
    def model_name(self) -> str:
        return self.config.model_name or self.config.model

    def task(self, name: str) -> TaskResult:
        """``name``'s scores under the run's judge (readers never spell ``"score,<judge>"`` themselves)."""
        metrics, judge = self.results[name], self.judge

        def number(key: str) -> float | None:
            value = metrics.get(f"{key},{judge}")
            return None if value is None else float(value)

        return TaskResult(
            name=name,
            score=number("score"),
            score_norm=number("score_norm"),
            ci_low=number("score_ci_low"),
            ci_high=number("score_ci_high"),
            n_samples=int(metrics.get("n_samples") or 0),
            n_prompts=int(metrics.get("n_prompts") or 0),
            node=(self.configs.get(name) or {}).get("node") or None,
            subtasks=tuple(self.group_subtasks.get(name, ())),
        )

    def tasks(self) -> list[TaskResult]:
        """Every task of the run, in the record's order."""
        return [self.task(name) for name in self.results]


def validate_record(data: dict[str, Any], source: str | Path = "results") -> ResultsRecord:
    """``data`` as a :class:`ResultsRecord`; a record from another schema version says which it is."""
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"unknown schema_version {version!r}; expected {SCHEMA_VERSION} (this scine-eval reads version "
            f"{SCHEMA_VERSION}: rerun the evaluation with it, or read the file with the scine-eval that wrote it)",
            path=source,
        )
    try:
        return ResultsRecord.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "missing":
            key = ".".join(str(part) for part in first["loc"])
            problem = f"missing key {key!r}"
        else:
            problem = f"not a scine-eval results record: {validation_message(error)}"
        hint = "expected a results record as described in docs/results.md"
        raise ConfigError(f"{problem}; {hint}", path=source) from None


def load_record(path: str | Path) -> ResultsRecord:
    """Reads a ``results_<time>.json``; a missing, truncated or foreign file is a ConfigError naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("results file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot be read ({error})", path=path) from None
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"not valid JSON (truncated?): {error.msg} at line {error.lineno}, column {error.colno}; expected a "
            "results_<time>.json record written by scine-eval",
            path=path,
        ) from None
    return validate_record(data, path)


def export_schema() -> dict[str, Any]:
    """The JSON Schema of a results file (``docs/results.schema.json``)."""
    schema = ResultsRecord.model_json_schema(by_alias=True)
    schema["title"] = f"scine-eval results record, schema version {SCHEMA_VERSION}"
    return schema
