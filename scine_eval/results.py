"""Results in lm-evaluation-harness's shape, per-sample logs, and the files a run writes.

A run writes, under ``<output_path>/<model>/``, new files named by its start time (nothing is
overwritten): ``results_<time>.json``; ``leaderboard_<time>.json`` (the Hugging Face leaderboard
template's format); and with ``--log_samples`` one ``samples_<task>_<time>.jsonl`` per scored task.
Metric keys are ``metric,judge`` (lm-eval's ``metric,filter``), e.g. ``"score,human"``.
See ``docs/results.md`` for every key.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scine_eval.aggregation import Bootstrap, Estimate, SampleScore, TaskScore, mean_by
from scine_eval.fingerprint import fingerprint
from scine_eval.record import SCHEMA_VERSION, ResultsRecord, validate_record
from scine_eval.suite import FACETS
from scine_eval.tasks import OVERALL

if TYPE_CHECKING:
    from scine_eval.plan import Context, Plan
    from scine_eval.store import VideoRecord

_PACKAGES = (
    "scine-eval",
    "numpy",
    "av",
    "datasets",
    "huggingface_hub",
    "torch",
    "transformers",
    "diffusers",
    "peft",
)


@dataclass
class RunOutput:
    """What a run produced: the results record and each task's per-sample log.

    ``record`` is the typed record; ``results`` is the same as the JSON object a results file holds.
    """

    record: ResultsRecord
    results: dict[str, Any]
    samples: dict[str, list[dict[str, Any]]]
    files: dict[str, Path] | None = None


def build_results(
    context: Context,
    plan: Plan,
    videos: Mapping[tuple[str, int], VideoRecord],
    logged: Mapping[str, list[dict]],
    scored: Mapping[str, Sequence[SampleScore]],
    scores: Mapping[str, TaskScore],
    bootstrap: Bootstrap,
    seed_recipe: str,
    metrics: Mapping[str, Any] | None = None,
) -> RunOutput:
    judge = context.judge.name
    results, groups = {}, {}
    for name, task in context.tasks.items():
        entry = _metrics(name, scores[name], judge)
        results[name] = entry
        if task.is_group:
            groups[name] = entry
    config = context.config
    finished = datetime.now(timezone.utc)
    record = {
        "results": results,
        "groups": groups,
        "group_subtasks": {n: list(t.subtasks) for n, t in context.tasks.items() if t.is_group},
        "configs": {n: t.config() for n, t in context.tasks.items()},
        "versions": {n: t.version for n, t in context.tasks.items()},
        "higher_is_better": {n: {"score": True, "score_norm": True} for n in context.tasks},
        "n-samples": {n: _counts(plan.original[n], logged[n]) for n in plan.samples},
        "breakdowns": _breakdowns(context, scored, bootstrap),
        "videos": _video_summary(videos, plan.not_generated, context.config.generate),
        "config": {
            "model": context.model.name,
            "model_args": config.model_args,
            "model_spec": context.model.spec(),
            "model_fingerprint": context.model.fingerprint,
            **context.model.model_info(),
            "judge": judge,
            "judge_args": config.judge_args,
            "judge_spec": context.judge.spec(),
            "judge_fingerprint": context.judge.fingerprint,
            "tasks": list(config.tasks),
            "requested_tasks": context.requested,
            "root_tasks": context.roots,
            "seed": config.seed,
            "seed_recipe": seed_recipe,
            "videos_per_prompt": config.videos_per_prompt,
            "limit": config.limit,
            "bootstrap_iters": config.bootstrap_iters,
            "world_size": context.dist.world_size,
        },
        "suite": {
            "name": context.suite.name,
            "version": context.suite.version,
            "source": context.suite.source,
            "sha256": context.suite.sha256,
        },
        "taxonomy": {
            "name": context.taxonomy.name,
            "version": context.taxonomy.version,
            "path": context.taxonomy.path,
            "sha256": context.taxonomy.sha256,
        },
        "task_hashes": {
            n: fingerprint([(r["item_hash"], r["video_sha256"]) for r in rows]) for n, rows in logged.items()
        },
        "git_hash": _git_hash(),
        "date": context.started,
        "start_time": datetime.fromtimestamp(context.started, timezone.utc).isoformat(),
        "end_time": finished.isoformat(),
        "total_evaluation_time_seconds": round(finished.timestamp() - context.started, 3),
        "environment": _environment(),
        "scine_eval_version": _version("scine-eval"),
        "metrics": dict(metrics or {}),
        "schema_version": SCHEMA_VERSION,
    }
    typed = validate_record(record)  # the record's format is the pydantic model's: any drift fails here
    return RunOutput(record=typed, results=typed.to_json_dict(), samples=dict(logged))


def _metrics(name: str, score: TaskScore, judge: str) -> dict[str, Any]:
    s = score.score
    return {
        "alias": name,
        f"score,{judge}": s.mean,
        f"score_stderr,{judge}": s.stderr,
        f"score_ci_low,{judge}": s.ci_low,
        f"score_ci_high,{judge}": s.ci_high,
        f"score_norm,{judge}": s.normalised,
        f"score_micro,{judge}": score.micro.mean,
        f"score_macro,{judge}": score.macro.mean,
        "n_samples": s.n_samples,
        "n_prompts": s.n_prompts,
    }


def _counts(original: int, rows: list[dict]) -> dict[str, int]:
    status = Counter(r["status"] for r in rows)
    return {
        "original": original,
        "planned": len(rows),
        "effective": status["scored"],
        "missing_video": status["missing_video"],
        "video_error": status["video_error"],
        "unscored": status["unscored"],
        "not_covered": status["not_covered"],
    }


def _breakdowns(context: Context, scored: Mapping[str, Sequence[SampleScore]], bootstrap: Bootstrap) -> dict:
    """Micro means by suite, role, difficulty and genre, for each root of the selection.

    A run-added ``overall`` would hide the pillars' breakdowns, so its members get theirs too.
    """
    out = {}
    added = [m for root in context.roots if root == OVERALL for m in context.tasks[root].subtasks]
    for name in [*context.roots, *added]:
        samples = _samples_under(context, name, scored)
        out[name] = {
            facet: {
                value: _estimate_dict(e)
                for value, e in mean_by(
                    samples, {p.id: getattr(p, facet) for p in context.suite.prompts.values()}, bootstrap
                ).items()
            }
            for facet in FACETS
        }
    return out


def _samples_under(context: Context, name: str, scored: Mapping[str, Sequence[SampleScore]]) -> list[SampleScore]:
    task = context.tasks[name]
    if not task.is_group:
        return list(scored.get(name, ()))
    return [s for member in task.subtasks for s in _samples_under(context, member, scored)]


def _estimate_dict(estimate: Estimate) -> dict[str, Any]:
    return {
        "score": estimate.mean,
        "score_norm": estimate.normalised,
        "ci_low": estimate.ci_low,
        "ci_high": estimate.ci_high,
        "n_samples": estimate.n_samples,
        "n_prompts": estimate.n_prompts,
    }


def _video_summary(videos: Mapping[tuple[str, int], VideoRecord], not_generated: int, mode: str) -> dict[str, Any]:
    failed = [v for v in videos.values() if not v.ok]
    return {
        "planned": len(videos),
        "not_generated": not_generated,
        "generate": mode,
        "usable": len(videos) - len(failed),
        "missing": sum(v.path is None for v in failed),
        "unusable": sum(v.path is not None for v in failed),
        "failures": [{"prompt_id": v.prompt_id, "seed": v.seed, "path": v.path, "error": v.error} for v in failed],
    }


def _git_hash() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {p: v for p in _PACKAGES if (v := _version(p))},
    }


def write_outputs(output: RunOutput, folder: Path, log_samples: bool) -> dict[str, Path]:
    """Writes the run's files atomically under ``folder``; returns their paths by kind."""
    from scine_eval.contracts.exporter import exporter_registry

    stamp = datetime.fromisoformat(output.results["start_time"]).strftime("%Y-%m-%dT%H-%M-%S.%f")
    files = {
        "results": write_json(folder / f"results_{stamp}.json", output.results),
    }
    for name in exporter_registry.names():
        exported = exporter_registry.get(name)().export(output.record)
        files[name] = write_json(folder / f"{safe_name(name)}_{stamp}.json", exported)
    if log_samples:
        for task, rows in output.samples.items():
            safe = task.replace("/", "__")
            lines = [json.dumps({"doc_id": i, "task": task, **row}, default=str) for i, row in enumerate(rows)]
            files[f"samples:{task}"] = _write_text(folder / f"samples_{safe}_{stamp}.jsonl", "\n".join(lines) + "\n")
    output.files = files
    return files


_MAX_NAME_BYTES = 200
"""Under the 255-byte limit of common file systems, leaving room for the ``_<time>.json`` of a result file."""
_WINDOWS_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10))})


def safe_name(name: str) -> str:
    """``name`` as exactly one harmless file or folder name, never a path.

    Model, judge and exporter names come from users (``model_name=..``) and become folders under
    ``--output_path``, so whatever they hold must not leave that folder or hide there:

    * characters other than letters, digits and ``-_.`` (path separators, spaces, NUL ...) become ``__``;
    * leading dots become ``_``, so ``..`` gives ``__``, ``.`` gives ``_`` and ``.x`` gives ``_x``
      (never the parent, the folder itself, or a hidden file);
    * an empty name gives ``_``; a Windows device name (``NUL``, ``com1.x`` ...) gets a ``_`` after it;
    * a name over 200 bytes is cut and ends in a hash of the whole, so distinct long names stay distinct.

    Ordinary names (``Wan-2.1_14B``) come back unchanged, so existing result folders keep their names.
    """
    cleaned = "".join(c if c.isalnum() or c in "-_." else "__" for c in name)
    stripped = cleaned.lstrip(".")
    cleaned = "_" * (len(cleaned) - len(stripped)) + stripped or "_"
    head, dot, rest = cleaned.partition(".")
    if head.upper() in _WINDOWS_DEVICES:  # reserved with any extension too (``nul.txt``)
        cleaned = f"{head}_{dot}{rest}"
    if len(cleaned.encode("utf-8")) > _MAX_NAME_BYTES:
        digest = fingerprint(name)[:12]
        kept = cleaned.encode("utf-8")[: _MAX_NAME_BYTES - len(digest) - 1].decode("utf-8", errors="ignore")
        cleaned = f"{kept}-{digest}"
    return cleaned


def write_json(path: Path, data: Any) -> Path:
    """Writes ``data`` as indented JSON, atomically (creating the folder)."""
    return _write_text(path, json.dumps(data, indent=2, default=str, allow_nan=False) + "\n")


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; results are shared like any file the user writes
    os.replace(temporary, path)
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
