"""Killing a run part-way through judging, then rerunning it, judges only what is missing.

The run is a real ``python -m scine_eval`` subprocess, killed with SIGKILL (no chance to clean up),
judged by :class:`tests.plugins.slow_judge.SlowJudge`, which sleeps per item and logs every item it
judges. The evaluator commits the judgement cache once per video batch, so at most the batch in
flight at the kill is lost and judged again.

Generation killed mid-write leaves temporary videos in the store; the rerun removes them (the killed
writers are child processes of tests/test_store.py that exit without cleaning up).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scine_eval import evaluate
from tests.plugins.slow_judge import read_log
from tests.test_store import killed_writer

REPO = Path(__file__).resolve().parents[1]
TASK = "camera"
JUDGE = "tests.plugins.slow_judge:SlowJudge"


def _env(tmp_path: Path) -> dict[str, str]:
    launcher = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")  # a single-process run
    env = {name: value for name, value in os.environ.items() if name not in launcher}
    return {**env, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home"),
            "PYTHONPATH": str(REPO)}


def _command(videos, log: Path, cache: Path, out: Path, delay: float) -> list[str]:
    return [sys.executable, "-m", "scine_eval", "--model", "cached", "--model_args", videos.model_args(),
            "--tasks", TASK, "--judge", JUDGE, "--judge_args", f"log={log},delay={delay}",
            "--cache_dir", str(cache), "--output_path", str(out), "--bootstrap_iters", "200"]


def _run(command: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=REPO, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def _committed(cache: Path) -> set[tuple[str, str]]:
    """The (video, item) pairs in the judgement cache, read as a new process would after a crash."""
    with sqlite3.connect(cache / "judgements.sqlite") as connection:
        return set(connection.execute("SELECT video, item FROM judgements").fetchall())


def _results(out: Path) -> dict:
    [path] = sorted(out.rglob("results_*.json"))
    return json.loads(path.read_text())


def _kill_when_judging(command: list[str], tmp_path: Path, log: Path, at_least: int = 5) -> None:
    """Starts the run and SIGKILLs it once ``at_least`` items from two or more videos are logged.

    Items of a second video are judged only after the first video's batch was committed, so by then the
    cache holds at least one batch.
    """
    stderr = (tmp_path / "killed.stderr").open("w")
    process = subprocess.Popen(command, cwd=REPO, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while True:
            rows = read_log(log)
            if len(rows) >= at_least and len({video for video, *_ in rows}) >= 2:
                break
            if process.poll() is not None:
                pytest.fail(f"the run ended (rc {process.returncode}) before it could be killed: "
                            f"{(tmp_path / 'killed.stderr').read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"only {len(rows)} item(s) judged after 60 s")
            time.sleep(0.02)
        process.kill()  # SIGKILL: no handler, no finally blocks, no flushing
    finally:
        process.kill()
        process.wait(timeout=30)
        stderr.close()
    assert process.returncode == -9


def test_a_killed_run_resumes_judging_only_what_is_missing(videos, tmp_path):
    cache, out, log = tmp_path / "cache", tmp_path / "out", tmp_path / "judged.log"
    command = _command(videos, log, cache, out, delay=0.1)

    _kill_when_judging(command, tmp_path, log)
    first = [(video, item) for video, item, *_ in read_log(log)]
    committed = _committed(cache)
    assert not list(out.rglob("results_*.json")), "a killed run must not write results"
    assert committed, "the batches judged before the kill are in the cache"
    assert committed <= set(first)
    in_flight = set(first) - committed
    assert len({video for video, _ in in_flight}) <= 1, "only the batch in flight (one video) may be lost"
    assert len(first) == len(set(first)), "the killed run judged no item twice"

    _run(command, tmp_path)
    second = [(video, item) for video, item, *_ in read_log(log)][len(first):]
    resumed = _results(out)

    clean_log, clean_out = tmp_path / "clean.log", tmp_path / "clean-out"
    _run(_command(videos, clean_log, tmp_path / "clean-cache", clean_out, delay=0), tmp_path)
    everything = [(video, item) for video, item, *_ in read_log(clean_log)]
    total = len(everything)
    planned = sum(c["planned"] for c in resumed["n-samples"].values())
    assert total == len(set(everything)) == planned, "a clean run judges each item once"

    assert len(second) == len(set(second)), "the rerun judged no item twice"
    assert set(second) == set(everything) - committed, "the rerun judged exactly the items not cached"
    assert set(first) | set(second) == set(everything)
    assert len(first) + len(second) - total == len(in_flight)
    assert _committed(cache) == set(everything)

    clean = _results(clean_out)
    assert resumed["results"] == clean["results"]
    assert resumed["n-samples"] == clean["n-samples"]
    assert resumed["task_hashes"] == clean["task_hashes"]
    assert resumed["results"][TASK]["n_samples"] == total


def test_a_rerun_removes_the_temporary_videos_a_killed_run_left(tmp_path):
    """Generation killed mid-write leaves temporary files in the store; the rerun removes them, keeps the videos."""
    options = {"model_args": "duration=1,fps=4,size=64", "tasks": ["camera.trajectory.movement_2d"], "limit": 2}

    def run() -> dict:
        cache = str(tmp_path / "cache")
        return evaluate(model="synthetic", judge="probe", cache_dir=cache, bootstrap_iters=50, **options).results

    first = run()
    [folder] = (tmp_path / "cache" / "videos").iterdir()
    videos = sorted(folder.iterdir())
    modes = ("killed-before-commit", "killed-in-encoder")
    left = [path for mode in modes for path in killed_writer(folder, mode, tmp_path)]
    second = run()
    assert not any(path.exists() for path in left)
    assert sorted(folder.iterdir()) == videos
    assert second["results"] == first["results"]
