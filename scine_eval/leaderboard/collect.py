"""Collecting results records for a leaderboard: the newest run per model, checked to be comparable."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from scine_eval.errors import ConfigError
from scine_eval.record import ResultsRecord, load_record


@dataclass(frozen=True)
class Run:
    """One results record and the file it came from."""

    path: Path
    record: ResultsRecord

    @property
    def model(self) -> str:
        return self.record.model_name

    @property
    def judge(self) -> str:
        return self.record.judge

    @property
    def started(self) -> float:
        """The run's start as a timestamp: which of a model's runs is the newest."""
        return self.record.date


def find_result_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every ``results_*.json`` named or under a named folder (recursively), each once, in a stable order.

    Raises:
        ConfigError: a path that does not exist, or a folder without any results file.
    """
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found[path] = None
        elif path.is_dir():
            files = sorted(p for p in path.rglob("results_*.json") if p.is_file())
            if not files:
                raise ConfigError("no results_*.json file in this folder (searched recursively)", path=path)
            found.update(dict.fromkeys(files))
        else:
            raise ConfigError("no such file or folder; expected a results_<time>.json file or a folder of them",
                              path=path)  # fmt: skip
    if not found:
        raise ConfigError("no results given; pass results_<time>.json files or folders holding them")
    return list(found)


def load_run(path: Path) -> Run:
    """Reads and checks one results record (:func:`scine_eval.record.load_record`).

    Raises:
        ConfigError: unreadable or invalid JSON, an unknown ``schema_version``, or a key the record must have.
    """
    return Run(path=path, record=load_record(path))


def newest_per_model(runs: Sequence[Run]) -> list[Run]:
    """One run per model, the newest; two runs of one model must be of the same configuration.

    A model name with two fingerprints is two different models under one name (other weights, arguments or
    adapter version): ranking either silently would mislead, so it is refused.

    Raises:
        ConfigError: two runs of one model name with different model fingerprints.
    """
    chosen: dict[str, Run] = {}
    for run in runs:
        seen = chosen.get(run.model)
        if seen is None:
            chosen[run.model] = run
            continue
        old, new = seen.record.config.model_fingerprint, run.record.config.model_fingerprint
        if old != new:
            raise ConfigError(f"two runs of model {run.model!r} have different model fingerprints: {seen.path} "
                              f"({old}) and {run.path} ({new}); a leaderboard ranks one configuration per model, so "
                              "pass only one of them or give one another model_name")  # fmt: skip
        if (run.started, str(run.path)) > (seen.started, str(seen.path)):
            chosen[run.model] = run
    return list(chosen.values())


_COMPARED: tuple[tuple[str, Callable[[ResultsRecord], str]], ...] = (
    ("judge", lambda r: f"{r.judge} (fingerprint {r.config.judge_fingerprint})"),
    ("suite version", lambda r: f"{r.suite.version} (sha256 {r.suite.sha256})"),
    ("taxonomy sha256", lambda r: r.taxonomy.sha256),
    ("root tasks", lambda r: ", ".join(sorted(r.config.root_tasks))),
)


def check_comparable(runs: Sequence[Run]) -> None:
    """Refuses runs whose scores mean different things: another judge, suite, taxonomy or task selection.

    Raises:
        ConfigError: naming the first two files that differ and their values.
    """
    first = runs[0]
    for what, value in _COMPARED:
        expected = value(first.record)
        for run in runs[1:]:
            found = value(run.record)
            if found != expected:
                raise ConfigError(f"results with different {what} cannot be ranked together: {first.path} has "
                                  f"{expected} but {run.path} has {found}")  # fmt: skip


def collect_runs(paths: Iterable[str | Path]) -> list[Run]:
    """The comparable newest run of every model found under ``paths``."""
    runs = newest_per_model([load_run(p) for p in find_result_files(paths)])
    check_comparable(runs)
    return runs
