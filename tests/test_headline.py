"""Headline scores of a results record (overall, pillars, nodes on 0-100), read from the golden record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scine_eval.headline import Score, node_scores, overall_score, pillar_scores, sample_count
from scine_eval.record import ResultsRecord

GOLDEN = Path(__file__).parent / "golden" / "results_synthetic_probe.json"
TASKS = ("camera.trajectory.movement_2d", "lighting.color_temperature")


def _record(edit=None) -> ResultsRecord:
    data = json.loads(GOLDEN.read_text())
    data.update(date=1.0, start_time="t", end_time="t", git_hash=None, total_evaluation_time_seconds=1.0,
                task_hashes={}, environment={"python": "3", "platform": "x", "packages": {}}, scine_eval_version=None)
    data["config"]["judge_spec"] = {"judge": "probe"}  # fmt: skip
    if edit:
        edit(data)
    return ResultsRecord.model_validate(data)


def _norm(record: ResultsRecord, task: str) -> float:
    return record.task(task).score_norm


def test_a_run_with_an_added_overall_reads_its_tasks():
    record = _record()
    assert record.config.root_tasks == ["overall"]
    overall = record.task("overall")
    assert overall.subtasks == TASKS and overall.node is None
    assert overall_score(record).value == pytest.approx(overall.score_norm)
    pillars = pillar_scores(record)  # no pillar task: each pillar is the mean of the tops under it
    assert pillars["camera"].value == pytest.approx(_norm(record, TASKS[0]))
    assert pillars["lighting"].value == pytest.approx(_norm(record, TASKS[1]))
    assert set(node_scores(record)) == set(TASKS)
    assert sample_count(record) == overall.n_samples == sum(record.task(t).n_samples for t in TASKS)


def test_a_record_written_before_runs_added_overall_gives_the_same_headline():
    def old(data):
        data["config"]["root_tasks"] = list(TASKS)
        for key in ("results", "groups", "configs", "versions", "higher_is_better", "group_subtasks", "breakdowns"):
            data[key].pop("overall", None)

    new, before = _record(), _record(old)
    assert overall_score(before).value == pytest.approx(overall_score(new).value)  # macro mean either way
    assert pillar_scores(before) == pillar_scores(new)
    assert sample_count(before) == sample_count(new)


def test_a_pillar_task_wins_over_its_members():
    def with_camera(data):
        entry = {**data["results"][TASKS[0]], "alias": "camera", "score,probe": 2.0, "score_norm,probe": 25.0,
                 "score_ci_low,probe": 1.5, "score_ci_high,probe": 2.5}  # fmt: skip
        data["results"]["camera"] = entry
        data["configs"]["camera"] = {**data["configs"][TASKS[0]], "task": "camera", "node": "camera"}

    pillars = pillar_scores(_record(with_camera))
    assert pillars["camera"] == Score(25.0, 12.5, 37.5)

