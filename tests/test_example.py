"""``scine-eval example``: the kit it writes runs as printed, through ``cached`` + ``human`` and through ``ablate``.

The kit is written for a three-prompt suite asking about colour temperature, 2D camera movement (both measured
by the ``probe`` judge) and costume (which the probe does not cover), so both printed commands run in seconds.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from scine_eval.cli import main
from scine_eval.cli.example import VIDEOS_PER_PROMPT
from scine_eval.judge_eval.preferences import load_rated_videos, make_pairs
from scine_eval.suite import load_suite

SHOTS = [("warm", "left"), ("cool", "right"), ("warm", "right")]
PROMPTS = [
    {"id": f"p{i}", "text": f"A {colour}-lit street; the camera pans {pan}.", "suite": "visuals"}
    for i, (colour, pan) in enumerate(SHOTS)
]
QUESTIONS = [
    row
    for i, (colour, pan) in enumerate(SHOTS)
    for row in (
        {"id": f"p{i}:colour", "prompt_id": f"p{i}", "node_id": "lighting.color_temperature", "value": colour,
         "text": f"Is the light {colour}?"},
        {"id": f"p{i}:pan", "prompt_id": f"p{i}", "node_id": "camera.trajectory.movement_2d", "value": f"pan {pan}",
         "text": f"Does the camera pan {pan}?"},
        {"id": f"p{i}:costume", "prompt_id": f"p{i}", "node_id": "setup.subjects.costume", "value": "a raincoat",
         "text": "Does she wear a raincoat?"},
    )
]  # fmt: skip
CONSTANT = "tests.plugins.slow_judge:SlowJudge"


@pytest.fixture
def kit(tmp_path, capsys) -> tuple[Path, Path, list[str], list[str]]:
    """(kit folder, suite folder, printed run command, printed ablate command), written through the CLI."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "prompts.jsonl").write_text("".join(json.dumps(row) + "\n" for row in PROMPTS))
    (suite / "questions.jsonl").write_text("".join(json.dumps(row) + "\n" for row in QUESTIONS))
    folder = tmp_path / "my kit"  # a space: the printed commands must quote paths
    capsys.readouterr()
    assert main(["example", "--output", str(folder), "--suite", str(suite)]) == 0
    run, ablate = capsys.readouterr().out.splitlines()
    return folder, suite, shlex.split(run), shlex.split(ablate)


def test_the_kit_has_two_videos_per_prompt_and_one_ratings_file_for_both_paths(kit, taxonomy):
    folder, suite_folder, _, _ = kit
    assert VIDEOS_PER_PROMPT >= 2
    assert sorted(p.name for p in (folder / "videos").iterdir()) == [
        f"p{i}-{seed}.mp4" for i in range(len(PROMPTS)) for seed in range(VIDEOS_PER_PROMPT)
    ]
    rows = [json.loads(line) for line in (folder / "annotations.jsonl").read_text().splitlines()]
    assert {"question_id", "seed", "video", "rater", "score"} <= set(rows[0])
    rated = load_rated_videos(folder / "annotations.jsonl", load_suite(str(suite_folder), taxonomy))
    assert len(rated) == len(QUESTIONS) * VIDEOS_PER_PROMPT
    assert {video.video.parent for video in rated} == {(folder / "videos").resolve()}
    assert make_pairs(rated), "no model column: train-judge pairs the two videos of each question"


def test_the_printed_run_command_runs_with_cached_and_human(kit, tmp_path, capsys):
    _, _, run, _ = kit
    assert run[0] == "scine-eval" and "--suite" in run
    code = main([*run[1:], "--output_path", str(tmp_path / "out"), "--cache_dir", str(tmp_path / "cache"),
                 "--bootstrap_iters", "0"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    [results] = (tmp_path / "out").rglob("results_*.json")
    record = json.loads(results.read_text())
    assert record["videos"]["planned"] == len(PROMPTS) * VIDEOS_PER_PROMPT == record["videos"]["usable"]
    assert record["results"]["scine"]["n_samples"] == len(QUESTIONS) * VIDEOS_PER_PROMPT


@pytest.mark.parametrize("judges", [[], ["probe", CONSTANT + ":log=LOG,score=3"]])
def test_the_printed_ablate_command_gives_a_pairwise_accuracy(kit, tmp_path, capsys, judges):
    """As printed (the probe), and with a constant judge beside it, which ties every pair: accuracy 0.5."""
    _, _, _, ablate = kit
    assert ablate[:2] == ["scine-eval", "ablate"]
    judges = [judge.replace("LOG", str(tmp_path / "constant.log")) for judge in judges]
    extra = ["--judges", *judges] if judges else []
    out = tmp_path / "ablate"
    code = main([*ablate[1:], *extra, "--output_path", str(out), "--cache_dir", str(tmp_path / "cache"),
                 "--bootstrap_iters", "20"])  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    report = json.loads((out / "ablation.json").read_text())
    assert report["n_items"] == len(QUESTIONS) * VIDEOS_PER_PROMPT and report["n_prompts"] == len(PROMPTS)
    probe = report["judges"]["probe"]["all"]
    assert probe["n_pairs"] == 2 * len(PROMPTS)  # colour and pan of each prompt: one pair of two videos
    assert probe["accuracy"]["value"] is not None
    assert report["ceiling"]["all"]["n_pairs"] > 0
    if judges:
        assert report["judges"][judges[1]]["all"]["accuracy"]["value"] == pytest.approx(0.5)
    assert "probe" in printed.out and "no accuracy" not in printed.out
    assert (out / "ablation.png").is_file()
