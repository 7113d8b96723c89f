"""judge-check: matched pairs of rendered stimuli, per-node pairwise accuracy, with any judge."""

from __future__ import annotations

import json

import pytest

from scine_eval.cli import main
from scine_eval.contracts.judge import Judgement
from scine_eval.errors import ConfigError
from scine_eval.judge_eval.check import JudgeCheckConfig, judge_check, outcome, plan_cases
from scine_eval.judges.probe import ProbeJudge

SLOW_JUDGE = "tests.plugins.slow_judge:SlowJudge"


def config(tmp_path, **changes) -> JudgeCheckConfig:
    base = JudgeCheckConfig(pairs=2, duration=2.0, fps=8, size=96, judge_args="fps=8",
                            output_path=str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"))  # fmt: skip
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_outcomes():
    five, one, none = Judgement(5.0), Judgement(1.0), Judgement.abstain("dark")
    assert outcome(five, one) == "correct"
    assert outcome(one, five) == "wrong"
    assert outcome(one, one) == "ties"
    assert outcome(five, none) == outcome(none, five) == "abstained"


def test_cases_cover_drawable_values_with_real_violators(tmp_path):
    cases, skipped = plan_cases(config(tmp_path, tasks=["camera.*", "lighting.*"]), ProbeJudge())
    by_key = {(c.node.id, c.value): c for c in cases}
    pan = by_key[("camera.trajectory.movement_2d", "pan left")]
    assert (("camera.trajectory.movement_2d", "pan right"),) in pan.violators
    assert () in pan.violators  # the neutral (static) clip
    neutral = by_key[("lighting.color_temperature", "neutral")]
    assert () not in neutral.violators  # the neutral clip *is* neutral colour: no test
    assert set(neutral.violators) == {(("lighting.color_temperature", "warm"),),
                                      (("lighting.color_temperature", "cool"),)}  # fmt: skip
    assert ("camera.intrinsics.lens_size", "fisheye") not in by_key
    assert "fisheye" in skipped["not_renderable"]["camera.intrinsics.lens_size"]
    assert "camera.creative_intent.shot_size" in skipped["not_covered"]  # drawable, but the probe cannot measure it


def test_probe_tells_compliant_from_violating_clips(tmp_path):
    report = judge_check(config(tmp_path, tasks=["camera.trajectory.movement_2d", "lighting.color_temperature"]))
    for node in ("camera.trajectory.movement_2d", "lighting.color_temperature"):
        entry = report["nodes"][node]
        assert entry["accuracy"] == 1.0 and entry["abstained"] == 0
    assert report["nodes"]["camera.trajectory.movement_2d"]["pairs"] == 12  # 6 values x 2 pairs
    assert report["failing"] == []
    assert {p["outcome"] for p in report["pairs"]} == {"correct"}


def test_a_judge_that_cannot_tell_fails_the_threshold_from_the_cli(tmp_path, capsys):
    code = main(["judge-check", "--judge", SLOW_JUDGE, "--judge_args", f"score=3,log={tmp_path / 'log'}", "--tasks",
                 "lighting.color_temperature", "--pairs", "2", "--duration", "2", "--fps", "8", "--size", "96",
                 "--fail_under", "0.95", "--output_path", str(tmp_path / "out"), "--cache_dir", str(tmp_path / "c")])
    assert code == 1
    printed = capsys.readouterr()
    assert "lighting.color_temperature" in printed.out and "0.0%" in printed.out
    [report_file] = (tmp_path / "out").glob("judge_check_*.json")
    report = json.loads(report_file.read_text())
    assert report["nodes"]["lighting.color_temperature"]["ties"] == 6
    assert report["failing"] == ["lighting.color_temperature"]


def test_renders_are_reused_between_runs(tmp_path):
    cfg = config(tmp_path, tasks=["lighting.color_temperature"], pairs=1)
    judge_check(cfg)
    clips = sorted((tmp_path / "cache" / "stimuli").glob("*.mp4"))
    assert len(clips) == 3  # warm, neutral, cool share their worlds: each pair reuses another case's clip
    stamps = [c.stat().st_mtime_ns for c in clips]
    judge_check(cfg)
    assert [c.stat().st_mtime_ns for c in clips] == stamps


def test_pairs_must_be_positive(tmp_path):
    with pytest.raises(ConfigError, match="pairs"):
        judge_check(config(tmp_path, pairs=0))
