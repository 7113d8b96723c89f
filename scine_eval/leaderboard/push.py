"""Upload a run's results to Hugging Face Hub dataset repos, laid out as lm-evaluation-harness lays them out.

``scine-eval push RESULTS_FILE_OR_FOLDER --org ORG`` (or :func:`push_run`) writes two kinds of dataset repo:

* ``<org>/scine-eval-results``: ``<model>/results_<time>.json`` and ``<model>/leaderboard_<time>.json`` of every
  model (what a leaderboard Space reads);
* ``<org>/details_<model>`` (unless ``--no_details``): ``<model>/samples_<task>_<time>.jsonl`` and the results file,
  with a dataset card whose ``configs:`` give one config per task (``<model>__<task>``) and one ``results`` config,
  each with a split per run time and a ``latest`` split pointing at the newest file, so
  ``load_dataset("<org>/details_<model>", "<model>__<task>", split="latest")`` reads the newest samples.

Repos are created private unless ``--public``. Each repo gets one commit per push, holding only files whose
content differs from what the repo already has (git blob sha1 or LFS sha256), so pushing the same run again
commits nothing and a push cut off after one repo finishes the other when rerun.

The token comes from ``token=`` or the usual huggingface_hub places (``HF_TOKEN``, then ``hf auth login``'s saved
token); it is never logged or written. Offline mode (``HF_HUB_OFFLINE=1``), a missing, refused (401/403) or
read-only token, and a repo that cannot be found all raise :class:`~scine_eval.errors.ConfigError` naming the repo
and what to do, before any commit to that repo.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scine_eval.errors import ConfigError
from scine_eval.record import ResultsRecord, TaskResult, load_record
from scine_eval.results import safe_name

logger = logging.getLogger(__name__)

RESULTS_REPO = "scine-eval-results"
"""Name of the results repo inside the organisation (lm-eval's ``lm-eval-results``)."""

_RESULTS_FILE = re.compile(r"^results_(?P<time>.+)\.json$")
_SAMPLES_FILE = re.compile(r"^samples_(?P<task>.+)_(?P<time>\d{4}-\d{2}-\d{2}T[\d.-]+)\.jsonl$")
_RESULTS_PATH = re.compile(r"^(?P<model>[^/]+)/results_(?P<time>.+)\.json$")
_SAMPLES_PATH = re.compile(r"^(?P<model>[^/]+)/samples_(?P<task>.+)_(?P<time>\d{4}-\d{2}-\d{2}T[\d.-]+)\.jsonl$")


@dataclass(frozen=True)
class Run:
    """One run's files as read from disk: what :func:`push_run` uploads.

    Attributes:
        model: the model's folder name (``safe_name`` of its ``model_name``): the folder inside the repos.
        time: the run's timestamp as written in its file names.
        record: the typed results record.
        files: path in repo (under ``<model>/``) → bytes, for the results repo.
        samples: path in repo → bytes of each ``samples_<task>_<time>.jsonl``.
    """

    model: str
    time: str
    record: ResultsRecord
    files: dict[str, bytes]
    samples: dict[str, bytes] = field(default_factory=dict)


@dataclass
class RepoPush:
    """What a push did to one repo: kept for the CLI's report and for tests.

    Attributes:
        repo_id: ``owner/name``.
        uploaded: paths committed (empty when the repo already held everything).
        unchanged: paths skipped because the repo holds the same bytes.
        commit_url: the commit made, if any.
    """

    repo_id: str
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    commit_url: str | None = None


def read_run(results_file: str | Path) -> Run:
    """Reads a ``results_<time>.json`` and its sibling leaderboard and samples files (same time stamp).

    Raises:
        ConfigError: the file is missing, not a results file, not valid JSON, or from another schema version.
    """
    path = Path(results_file)
    match = _RESULTS_FILE.match(path.name)
    if not path.is_file() or match is None:
        raise ConfigError("not a results_<time>.json file written by scine-eval run", path=path)
    record = load_record(path)
    time = match["time"]
    model = safe_name(record.model_name)
    files = {f"{model}/{path.name}": path.read_bytes()}
    leaderboard = path.with_name(f"leaderboard_{time}.json")
    if leaderboard.is_file():
        files[f"{model}/{leaderboard.name}"] = leaderboard.read_bytes()
    samples = {
        f"{model}/{p.name}": p.read_bytes()
        for p in sorted(path.parent.glob(f"samples_*_{time}.jsonl"))
        if _SAMPLES_FILE.match(p.name)
    }
    return Run(model=model, time=time, record=record, files=files, samples=samples)


def find_results_files(target: str | Path) -> list[Path]:
    """A results file itself, or every ``results_*.json`` under a folder (a model folder or an ``--output_path``).

    Raises:
        ConfigError: nothing to push there.
    """
    path = Path(target)
    if path.is_file():
        return [path]
    found = sorted(p for p in path.rglob("results_*.json") if _RESULTS_FILE.match(p.name)) if path.is_dir() else []
    if not found:
        raise ConfigError("no results_<time>.json here: pass a file or a folder that scine-eval run wrote", path=path)
    return found


def details_repo_name(model: str) -> str:
    """``details_<model>`` as a valid Hub repo name (letters, digits, ``-_.``; no ``--`` or ``..``; <= 96 chars)."""
    name = re.sub(r"[^\w.-]", "_", f"details_{model}")
    name = re.sub(r"-{2,}", "-", re.sub(r"\.{2,}", ".", name)).rstrip(".-")
    return name[:96].rstrip(".-")


def split_name(time: str) -> str:
    """A run time as a dataset split name (lm-eval: non-word characters but ``.`` become ``_``)."""
    return re.sub(r"[^\w.]", "_", time)


def git_blob_sha1(data: bytes) -> str:
    """The git object id of ``data``: what the Hub reports as ``oid`` of a regular (non-LFS) file."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's id, not security


def details_card(run: Run, sample_paths: Sequence[str], results_paths: Sequence[str]) -> str:
    """The details repo's README.md: ``configs:`` over every run in the repo, and this run's scores.

    Built from the repo's paths (those already there plus this run's), so the ``latest`` split follows the
    newest run even when an older run is pushed later; deterministic, so an unchanged repo gets the same card.
    """
    by_config: dict[str, dict[str, str]] = {}
    for path in sample_paths:
        match = _SAMPLES_PATH.match(path)
        if match and match["model"] == run.model:
            by_config.setdefault(f"{run.model}__{match['task']}", {})[match["time"]] = path
    for path in results_paths:
        match = _RESULTS_PATH.match(path)
        if match and match["model"] == run.model:
            by_config.setdefault("results", {})[match["time"]] = path
    lines = ["---", "pretty_name: " + json.dumps(f"scine-eval details: {run.model}"), "configs:"]
    for config in sorted(by_config):
        times = by_config[config]
        lines += [f"- config_name: {json.dumps(config)}", "  data_files:"]
        for time in sorted(times):
            lines += [f"  - split: {split_name(time)}", f"    path: [{json.dumps(times[time])}]"]
        lines += ["  - split: latest", f"    path: [{json.dumps(times[max(times)])}]"]
    lines += ["---", ""]
    return "\n".join(lines) + _card_body(run)


def _card_body(run: Run) -> str:
    """Markdown naming the model, judge and suite version, and a table of this run's scores."""
    record = run.record
    rows = [_score_row(task) for task in sorted(record.tasks(), key=lambda t: t.name) if task.score is not None]
    return "\n".join(
        [
            f"# scine-eval details: {run.model}",
            "",
            f"Per-sample logs of `scine-eval` runs of **{record.model_name}**, one config per task "
            "(`<model>__<task>`) with a split per run and `latest`.",
            "",
            f"- model: `{record.config.model}` (sha `{record.config.model_sha or '-'}`)",
            f"- judge: `{record.judge}`",
            f"- suite version: `{record.suite.version}`",
            f"- scine-eval version: `{record.scine_eval_version or '?'}`",
            "",
            f"## Scores of run {run.time}",
            "",
            "| task | score (1-5) | score (0-100) | 95 % CI | samples |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def _score_row(task: TaskResult) -> str:
    """One task's line of the card's table: the 1-5 mean, 0-100 score, 95 % interval and sample count."""

    def number(value: float | None, digits: int) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    interval = f"{number(task.ci_low, 3)}-{number(task.ci_high, 3)}"
    return f"| {task.name} | {number(task.score, 3)} | {number(task.score_norm, 1)} | {interval} | {task.n_samples} |"


def push_run(
    results_file: str | Path,
    org: str,
    private: bool = True,
    token: str | None = None,
    *,
    details: bool = True,
    endpoint: str | None = None,
    results_repo: str = RESULTS_REPO,
) -> list[RepoPush]:
    """Uploads one run to ``<org>/scine-eval-results`` and (with ``details``) ``<org>/details_<model>``.

    Every repo is created and listed before any commit, so a refused token or a missing repo stops the push
    before anything is written; each repo then gets at most one commit, with only the files it lacks.

    Args:
        results_file: a ``results_<time>.json`` written by ``scine-eval run``.
        org: user or organisation owning the repos.
        private: create new repos private (existing repos keep their visibility).
        token: a Hub token; ``None`` uses ``HF_TOKEN`` or the saved login. Never logged.
        details: also push the per-sample logs to the details repo.
        endpoint: the Hub's URL (default: ``HF_ENDPOINT`` or huggingface.co); tests pass a local server.
        results_repo: name of the results repo inside ``org``.

    Returns:
        What was uploaded to or found unchanged in each repo.

    Raises:
        ConfigError: offline, no or refused token, unknown repo, or an unreadable results file.
    """
    from huggingface_hub import HfApi, constants, get_token

    run = read_run(results_file)
    results_id = f"{org}/{results_repo}"
    details_id = f"{org}/{details_repo_name(run.model)}"
    repos = [results_id, details_id] if details else [results_id]
    if constants.is_offline_mode():
        raise ConfigError(
            f"cannot push to {', '.join(repos)}: Hugging Face Hub offline mode is on (HF_HUB_OFFLINE=1); "
            "unset HF_HUB_OFFLINE and rerun"
        )
    secret = token or get_token()
    if not secret:
        raise ConfigError(
            f"cannot push to {', '.join(repos)}: no Hugging Face token; run `hf auth login` or set HF_TOKEN "
            "to a token with write access"
        )
    api = HfApi(endpoint=endpoint, token=secret)
    existing = {repo: _prepare_repo(api, repo, private, secret) for repo in repos}
    wanted: dict[str, dict[str, bytes]] = {results_id: dict(run.files)}
    if details:
        files = {**run.files, **run.samples}
        files = {p: b for p, b in files.items() if not Path(p).name.startswith("leaderboard_")}
        all_paths = sorted(set(existing[details_id]) | set(files))
        samples = [p for p in all_paths if _SAMPLES_PATH.match(p)]
        results = [p for p in all_paths if _RESULTS_PATH.match(p)]
        files["README.md"] = details_card(run, samples, results).encode("utf-8")
        wanted[details_id] = files
    return [_commit(api, repo, wanted[repo], existing[repo], run, secret) for repo in repos]


def push_results(target: str | Path, org: str, **options: Any) -> list[RepoPush]:
    """Pushes every run found at ``target`` (a results file or a folder), oldest first, with :func:`push_run`."""
    return [push for path in find_results_files(target) for push in push_run(path, org, **options)]


def _prepare_repo(api: Any, repo_id: str, private: bool, secret: str) -> dict[str, tuple[str, str | None]]:
    """Creates the dataset repo if missing and lists it: path → (git blob id, LFS sha256 or None).

    Raises:
        ConfigError: the Hub refused the token, or the repo cannot be found or created.
    """
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        entries = api.list_repo_tree(repo_id, repo_type="dataset", recursive=True)
        return {
            entry.path: (entry.blob_id, entry.lfs.sha256 if entry.lfs else None)
            for entry in entries
            if hasattr(entry, "blob_id")
        }
    except Exception as error:  # noqa: BLE001 - every Hub failure becomes one clear message
        raise _hub_error(error, repo_id, "prepare", secret) from None


def _commit(
    api: Any, repo_id: str, files: Mapping[str, bytes], existing: Mapping[str, tuple[str, str | None]], run: Run,
    secret: str,
) -> RepoPush:  # fmt: skip
    """Commits the files whose bytes the repo does not already hold, in one commit (none if nothing changed)."""
    from huggingface_hub import CommitOperationAdd

    report = RepoPush(repo_id)
    for path, data in sorted(files.items()):
        (report.unchanged if _same(existing.get(path), data) else report.uploaded).append(path)
    if not report.uploaded:
        logger.info("%s already holds run %s of %s: nothing to commit", repo_id, run.time, run.model)
        return report
    operations = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=files[path]) for path in report.uploaded]
    try:
        info = api.create_commit(
            repo_id, operations, repo_type="dataset", commit_message=f"scine-eval: {run.model} run {run.time}"
        )
    except Exception as error:  # noqa: BLE001 - every Hub failure becomes one clear message
        raise _hub_error(error, repo_id, "commit to", secret) from None
    report.commit_url = str(getattr(info, "commit_url", "") or "") or None
    logger.info("%s: committed %d file(s)", repo_id, len(report.uploaded))
    return report


def _same(remote: tuple[str, str | None] | None, data: bytes) -> bool:
    """Whether the repo's file has these bytes: LFS files by sha256, regular files by git blob id."""
    if remote is None:
        return False
    blob_id, lfs_sha256 = remote
    if lfs_sha256 is not None:
        return lfs_sha256 == hashlib.sha256(data).hexdigest()
    return blob_id == git_blob_sha1(data)


def _hub_error(error: Exception, repo_id: str, action: str, secret: str) -> ConfigError:
    """A :class:`ConfigError` saying what failed and what to do; the token is scrubbed from any server text."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    name = type(error).__name__
    detail = str(error).split("\n", 1)[0].replace(secret, "***")
    if name == "OfflineModeIsEnabled":
        hint = "Hugging Face Hub offline mode is on; unset HF_HUB_OFFLINE and rerun"
    elif status in (401, 403):
        hint = (
            f"the Hub refused the token (HTTP {status}); run `hf auth login` or set HF_TOKEN to a token with "
            f"write access to {repo_id.split('/')[0]}"
        )
    elif status == 404 or name == "RepositoryNotFoundError":
        hint = f"repo not found (HTTP {status}); check --org, and that the token may create and write {repo_id}"
    else:
        hint = f"{name}: {detail}; rerun to resume (files already on the Hub are skipped)"
    return ConfigError(f"cannot {action} dataset repo {repo_id}: {hint}".replace(secret, "***"))
