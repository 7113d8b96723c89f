"""The results record's format, pinned: the typed models, the exported JSON Schema and a golden results file.

When the format changes on purpose, regenerate both files with ``SCINE_UPDATE_GOLDEN=1 python -m pytest
tests/test_record.py`` and bump ``scine_eval.record.SCHEMA_VERSION`` if a key was renamed or removed.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from scine_eval import evaluate
from scine_eval.errors import ConfigError
from scine_eval.record import SCHEMA_VERSION, ResultsRecord, export_schema, load_record

REPO = Path(__file__).resolve().parents[1]
SCHEMA_FILE = REPO / "docs" / "results.schema.json"
GOLDEN = Path(__file__).parent / "golden" / "results_synthetic_probe.json"
VOLATILE = ("date", "start_time", "end_time", "total_evaluation_time_seconds", "environment", "git_hash",
            "scine_eval_version", "task_hashes")  # fmt: skip
"""Times, versions, and the mp4 hashes (an encoder's container metadata may differ between machines)."""
UPDATE = os.environ.get("SCINE_UPDATE_GOLDEN") == "1"


def _stable(results: dict) -> dict:
    """The record without what differs between machines and moments (times, versions, paths)."""
    stable = {k: v for k, v in results.items() if k not in VOLATILE}
    stable["taxonomy"] = {**stable["taxonomy"], "path": None}
    stable["configs"] = {task: {**config, "source": Path(config["source"]).name if config.get("source") else None}
                         for task, config in stable["configs"].items()}  # fmt: skip
    stable["config"] = {k: v for k, v in stable["config"].items() if k != "judge_spec"}  # the probe's rules: own tests
    return stable


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    folder = tmp_path_factory.mktemp("record")
    return evaluate(model="synthetic", model_args="duration=2.0,fps=8,size=96",
                    tasks=["camera.trajectory.movement_2d", "lighting.color_temperature"], judge="probe",
                    bootstrap_iters=50, output_path=str(folder / "out"), cache_dir=str(folder / "cache"))  # fmt: skip


def test_the_exported_schema_is_the_committed_one():
    schema = export_schema()
    if UPDATE:
        SCHEMA_FILE.write_text(json.dumps(schema, indent=2) + "\n")
    assert json.loads(SCHEMA_FILE.read_text()) == schema, "docs/results.schema.json is stale: see this file's docstring"


def test_a_run_matches_the_golden_record(output):
    if UPDATE:
        GOLDEN.write_text(json.dumps(_stable(output.results), indent=2, sort_keys=True) + "\n")
    assert _stable(output.results) == json.loads(GOLDEN.read_text())


def test_the_written_file_is_the_typed_record_and_reads_back(output):
    path = output.files["results"]
    record = load_record(path)
    assert isinstance(record, ResultsRecord) and record == output.record
    assert json.loads(path.read_text()) == record.to_json_dict() == output.results
    assert record.schema_version == SCHEMA_VERSION and record.judge == "probe"


def test_result_files_are_world_readable(output):
    for path in output.files.values():
        mode = stat.S_IMODE(Path(path).stat().st_mode)
        assert mode & stat.S_IRGRP and mode & stat.S_IROTH, (path, oct(mode))


def test_a_record_from_another_schema_version_names_the_version(output, tmp_path):
    old = {**output.results, "schema_version": 0}
    (tmp_path / "old.json").write_text(json.dumps(old))
    with pytest.raises(ConfigError, match=r"old\.json: unknown schema_version 0; expected 1 \(this scine-eval reads"):
        load_record(tmp_path / "old.json")


def test_a_truncated_or_foreign_file_names_the_file(output, tmp_path):
    text = json.dumps(output.results)
    (tmp_path / "cut.json").write_text(text[: len(text) // 2])
    with pytest.raises(ConfigError, match=r"cut\.json: not valid JSON \(truncated\?\)"):
        load_record(tmp_path / "cut.json")
    foreign = {**output.results, "videos": {"planned": "many"}}
    (tmp_path / "foreign.json").write_text(json.dumps(foreign))
    with pytest.raises(ConfigError, match=r"foreign\.json: not a scine-eval results record: key 'videos"):
        load_record(tmp_path / "foreign.json")
