"""End-to-end runs of the evaluator on a folder of real mp4s judged from annotations."""

from __future__ import annotations

import json
import math

import pytest

from scine_eval import evaluate
from scine_eval.errors import ConfigError, ScineEvalError
from scine_eval.options import RunConfig


def run(videos, tmp_path, **overrides):
    config = RunConfig(
        model="cached",
        model_args=videos.model_args(),
        judge="human",
        judge_args=videos.judge_args(),
        output_path=str(tmp_path / "out"),
        cache_dir=str(tmp_path / "cache"),
        bootstrap_iters=200,
    )
    return evaluate(config, **overrides)


def test_scores_are_rater_means_aggregated_up_the_tree(videos, tmp_path, suite):
    output = run(videos, tmp_path, tasks=["camera.trajectory"])
    results = output.results["results"]
    static = [q for q in suite.questions if q.node_id == "camera.trajectory.static"]
    expected_static = sum(videos.expected_mean(q.id) for q in static) / len(static)
    assert results["camera.trajectory.static"]["score,human"] == pytest.approx(expected_static)
    children = output.results["group_subtasks"]["camera.trajectory"]
    assert children == [f"camera.trajectory.{leaf}" for leaf in ("static", "movement_2d", "movement_3d", "gear")]
    macro = sum(results[c]["score,human"] for c in children) / len(children)
    assert results["camera.trajectory"]["score,human"] == pytest.approx(macro)
    samples = [s for c in children for s in output.samples[c]]
    micro = sum(s["score"] for s in samples) / len(samples)
    assert results["camera.trajectory"]["score_micro,human"] == pytest.approx(micro)
    entry = results["camera.trajectory"]
    assert entry["score_ci_low,human"] <= entry["score,human"] <= entry["score_ci_high,human"]
    assert entry["score_norm,human"] == pytest.approx((entry["score,human"] - 1) / 4 * 100)


def test_results_have_lm_eval_shape_and_files(videos, tmp_path):
    output = run(videos, tmp_path, tasks=["lighting.effects"], log_samples=True)
    record = output.results
    for key in (
        "results",
        "groups",
        "group_subtasks",
        "configs",
        "versions",
        "n-samples",
        "config",
        "git_hash",
        "date",
        "task_hashes",
        "environment",
    ):
        assert key in record
    assert record["config"]["judge_fingerprint"] and record["config"]["model_fingerprint"]
    assert record["suite"]["version"].startswith("starter@")
    files = output.files
    assert files["results"].parent == tmp_path / "out" / "videos"
    assert json.loads(files["results"].read_text())["results"] == record["results"]
    board = json.loads(files["leaderboard"].read_text())
    assert board["config"]["model_name"] == "videos"
    assert 0 <= board["results"]["lighting.effects"]["scine_score"] <= 1
    lines = files["samples:lighting.effects.hard_shadows"].read_text().splitlines()
    row = json.loads(lines[0])
    assert {"prompt_id", "question", "video_sha256", "score", "raw", "item_hash"} <= set(row)
    assert len(row["video_sha256"]) == 64


def test_each_run_writes_new_files(videos, tmp_path):
    first = run(videos, tmp_path, tasks=["lighting.position"]).files["results"]
    second = run(videos, tmp_path, tasks=["lighting.position"]).files["results"]
    assert first != second and first.exists() and second.exists()


def test_missing_corrupt_and_empty_videos_are_counted_and_the_run_goes_on(videos, tmp_path, suite):
    static = [q for q in suite.questions if q.node_id == "camera.trajectory.static"]
    missing, corrupt, empty = (q.prompt_id for q in static[:3])
    (videos.root / f"{missing}-0.mp4").unlink()
    (videos.root / f"{corrupt}-0.mp4").write_text("this is not a video")
    (videos.root / f"{empty}-0.mp4").write_bytes(b"")
    output = run(videos, tmp_path, tasks=["camera.trajectory.static"])
    counts = output.results["n-samples"]["camera.trajectory.static"]
    assert counts["original"] == len(static)
    assert counts["missing_video"] == 1 and counts["video_error"] == 2
    assert counts["effective"] == len(static) - 3
    failures = {f["prompt_id"]: f for f in output.results["videos"]["failures"]}
    assert "missing video" in failures[missing]["error"]
    assert "not a video" in failures[corrupt]["error"]
    assert "empty" in failures[empty]["error"]
    assert output.results["results"]["camera.trajectory.static"]["n_samples"] == len(static) - 3


def test_strict_makes_missing_videos_fatal(videos, tmp_path, suite):
    (videos.root / f"{suite.questions[0].prompt_id}-0.mp4").unlink()
    with pytest.raises(ScineEvalError, match="missing or unusable.*--strict"):
        run(videos, tmp_path, tasks=[suite.questions[0].node_id], strict=True)


def test_limit_keeps_first_prompts_and_records_original(videos, tmp_path):
    output = run(videos, tmp_path, tasks=["setup.set_design.backdrop.time_of_day"], limit=2)
    counts = output.results["n-samples"]["setup.set_design.backdrop.time_of_day"]
    assert counts["planned"] == 2 < counts["original"]
    assert output.results["config"]["limit"] == 2


def test_unannotated_items_abstain_with_a_reason(videos, tmp_path, suite):
    node = "camera.creative_intent.shot_size"
    annotated = [json.loads(line) for line in videos.annotations.read_text().splitlines()]
    kept = [row for row in annotated if not row["question_id"].endswith(node)]
    videos.annotations.write_text("\n".join(json.dumps(r) for r in kept) + "\n")
    output = run(videos, tmp_path, tasks=[node])
    assert output.results["results"][node]["score,human"] is None
    assert all(s["status"] == "unscored" and "no annotation" in s["reason"] for s in output.samples[node])


def test_rerun_uses_the_judgement_cache(videos, tmp_path, monkeypatch):
    from scine_eval.judges.human import HumanAnnotations

    calls = []
    original = HumanAnnotations.score
    monkeypatch.setattr(
        HumanAnnotations, "score", lambda self, items: calls.append(len(items)) or original(self, items)
    )
    first = run(videos, tmp_path, tasks=["lighting.color_temperature"])
    judged = sum(calls)
    assert judged == first.results["n-samples"]["lighting.color_temperature"]["effective"]
    calls.clear()
    second = run(videos, tmp_path, tasks=["lighting.color_temperature"])
    assert calls == []
    assert second.results["results"] == first.results["results"]


def test_unwritable_output_path_fails_before_any_work(videos, tmp_path, monkeypatch):
    from scine_eval.models.cached import CachedVideos

    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    monkeypatch.setattr(CachedVideos, "generate", lambda *a: pytest.fail("generation started"))
    with pytest.raises(ConfigError, match="output folder is not writable"):
        run(videos, tmp_path, tasks=["camera"], output_path=str(blocker / "out"))


def test_bootstrap_off_gives_points_without_intervals(videos, tmp_path):
    output = run(videos, tmp_path, tasks=["lighting.conditions"], bootstrap_iters=0)
    entry = output.results["results"]["lighting.conditions"]
    assert math.isfinite(entry["score,human"]) and entry["score_ci_low,human"] is None
