"""Data parallelism: rank slicing, one shared judgement cache, and 2 gloo processes against 1 process."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scine_eval.cache import _SCHEMA, JudgementCache
from scine_eval.distributed import Distributed, from_environment
from tests.helpers import free_port, subprocess_env
from tests.plugins.slow_judge import read_log

REPO = Path(__file__).resolve().parents[1]
TASKS = ["camera", "lighting"]
SLOW_JUDGE = "tests.plugins.slow_judge:SlowJudge"


# -- rank slicing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("world_size", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 10, 23])
def test_shards_of_all_ranks_partition_the_list(world_size, n):
    items = [f"item{i}" for i in range(n)]
    shards = [Distributed(rank=r, world_size=world_size).shard(items) for r in range(world_size)]
    flat = [item for shard in shards for item in shard]
    assert sorted(flat) == sorted(items) and len(flat) == len(set(flat)), "every item on exactly one rank"
    sizes = [len(shard) for shard in shards]
    assert max(sizes) - min(sizes) <= 1, "slices are balanced"
    for shard in shards:
        assert shard == sorted(shard, key=items.index), "a slice keeps the list's order"


def test_shard_is_strided_and_returns_a_list():
    items = tuple(range(10))
    assert Distributed(rank=1, world_size=3).shard(items) == [1, 4, 7]
    assert Distributed().shard(items) == list(items)


def test_a_single_process_needs_no_process_group(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    dist = from_environment()
    assert (dist.rank, dist.world_size, dist.is_main) == (0, 1, True)
    assert dist.all_gather({"a": 1}) == [{"a": 1}]
    dist.barrier()
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert from_environment() == Distributed()
    assert not Distributed(rank=1, world_size=2).is_main


# -- one judgement cache shared by every rank -------------------------------------------------------


def test_the_cache_opens_while_another_process_writes_to_the_new_file(tmp_path):
    # A new cache file is in rollback-journal mode until its first opener switches it to WAL. If another
    # rank holds the write lock meanwhile, SQLite refuses the switch at once ("database is locked")
    # rather than wait, to avoid a deadlock; opening the cache must wait for the lock instead of failing.
    from scine_eval.contracts.judge import Judgement

    path = tmp_path / "judgements.sqlite"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    other.execute(_SCHEMA)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO judgements (judge, video, item, score, raw) VALUES ('j', 'v0', 'i0', 2, 'null')")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        cache = JudgementCache(path)
        cache.put_many("j", [("v1", "i1", Judgement(score=4.0))])
    finally:
        release.join()
        other.close()
    assert cache.count("j") == 2
    assert cache.get_many("j", [("v0", "i0"), ("v1", "i1")])[("v1", "i1")].score == 4.0
    cache.close()


def test_many_writers_open_a_new_cache_at_once(tmp_path):
    from scine_eval.contracts.judge import Judgement

    writers, trials = 8, 15
    for trial in range(trials):
        path = tmp_path / f"cache{trial}" / "judgements.sqlite"
        start, errors = threading.Barrier(writers), []

        def write(rank: int, path: Path = path, start: threading.Barrier = start, errors: list = errors) -> None:
            start.wait()
            try:
                cache = JudgementCache(path)
                cache.put_many("j", [(f"v{rank}", f"i{k}", Judgement(score=3.0)) for k in range(3)])
                cache.close()
            except Exception as error:  # collected so the assertion can show it
                errors.append(repr(error))

        threads = [threading.Thread(target=write, args=(rank,)) for rank in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, f"trial {trial}: {errors}"
        assert JudgementCache(path).count("j") == writers * 3


# -- real runs --------------------------------------------------------------------------------------


def _run(tmp_path: Path, name: str, args: list[str], processes: int) -> tuple[dict, list[Path], float]:
    """Runs scine-eval on 1 process or under torchrun; returns the results, the results files and wall time."""
    out = tmp_path / f"{name}-out"
    args = [*args, "--tasks", *TASKS, "--output_path", str(out), "--cache_dir", str(tmp_path / f"{name}-cache"),
            "--bootstrap_iters", "200"]
    if processes == 1:
        command = [sys.executable, "-m", "scine_eval", *args]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
                   "--master_addr", "127.0.0.1", "--master_port", str(free_port()), "-m", "scine_eval", *args]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=subprocess_env(tmp_path), capture_output=True, text=True, timeout=240)
    wall = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-12000:]
    files = sorted(out.rglob("results_*.json"))
    assert files, done.stderr[-4000:]
    return json.loads(files[-1].read_text()), files, wall


def _cached_items(tmp_path: Path, name: str) -> int:
    with sqlite3.connect(tmp_path / f"{name}-cache" / "judgements.sqlite") as connection:
        return connection.execute("SELECT COUNT(*) FROM judgements").fetchone()[0]


def test_two_gloo_processes_give_the_same_results_as_one(videos, tmp_path):
    pytest.importorskip("torch.distributed")
    args = ["--model", "cached", "--model_args", videos.model_args(), "--judge", "human",
            "--judge_args", videos.judge_args()]
    two, two_files, two_wall = _run(tmp_path, "two", args, processes=2)
    one, _, one_wall = _run(tmp_path, "one", args, processes=1)
    print(f"wall time: 2 processes {two_wall:.1f} s, 1 process {one_wall:.1f} s")

    assert len(two_files) == 1, "only rank 0 writes results"
    assert len(list((tmp_path / "two-out").rglob("leaderboard_*.json"))) == 1
    assert two["config"]["world_size"] == 2 and one["config"]["world_size"] == 1
    for key in ("results", "groups", "n-samples", "task_hashes", "breakdowns", "videos"):
        assert two[key] == one[key], key
    assert two["results"]["camera"]["n_samples"] > 0 and two["results"]["lighting"]["n_samples"] > 0
    judged = sum(c["effective"] for c in two["n-samples"].values())
    assert _cached_items(tmp_path, "two") == _cached_items(tmp_path, "one") == judged


def test_both_ranks_judge_a_disjoint_share_and_one_process_reuses_their_cache(videos, tmp_path):
    pytest.importorskip("torch.distributed")
    log = tmp_path / "judged.log"
    args = ["--model", "cached", "--model_args", videos.model_args(), "--judge", SLOW_JUDGE,
            "--judge_args", f"log={log}"]
    two, _, _ = _run(tmp_path, "two", args, processes=2)
    rows = read_log(log)
    items = [(video, item) for video, item, _, _ in rows]
    assert {rank for *_, rank, _ in rows} == {"0", "1"}, "both ranks judged"
    assert len({pid for *_, pid in rows}) == 2
    assert len(items) == len(set(items)) == sum(c["planned"] for c in two["n-samples"].values()), \
        "each item judged once, by one rank"
    for rank in ("0", "1"):
        videos_of_rank = {video for video, _, r, _ in rows if r == rank}
        other = {video for video, _, r, _ in rows if r != rank}
        assert not videos_of_rank & other, "ranks split the work by video"

    # The cache key has no rank or world size: one process, on the same cache, judges nothing.
    one = _rerun_single(tmp_path, args)
    assert len(read_log(log)) == len(rows), "the 1-process rerun found every judgement in the cache"
    for key in ("results", "groups", "n-samples", "task_hashes"):
        assert one[key] == two[key], key


def _rerun_single(tmp_path: Path, args: list[str]) -> dict:
    """Reruns on 1 process with the 2-process run's cache and output folder; returns the new results."""
    before = set((tmp_path / "two-out").rglob("results_*.json"))
    _, files, _ = _run(tmp_path, "two", args, processes=1)
    [new] = set(files) - before
    return json.loads(new.read_text())
