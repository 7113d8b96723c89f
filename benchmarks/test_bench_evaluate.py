"""A cached-video evaluation of the whole starter suite, cold and warm.

52 videos, 282 questions, all 102 tasks: with an empty judgement cache, and rerun on a warm one.
Read the two side by side (group "evaluate").
"""

from __future__ import annotations

import itertools

import pytest

from scine_eval import evaluate
from scine_eval.cli.example import write_example
from scine_eval.options import RunConfig
from scine_eval.suite import load_suite
from scine_eval.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kit")
    return write_example(folder, load_suite(None, load_taxonomy()))


def config(kit, tmp_path, cache: str) -> RunConfig:
    videos, annotations = kit
    return RunConfig(
        model="cached",
        model_args=f"path={videos}",
        judge="human",
        judge_args=f"annotations={annotations}",
        tasks=["scine"],
        output_path=str(tmp_path / "out"),
        cache_dir=cache,
        bootstrap_iters=1000,
    )


@pytest.mark.benchmark(group="evaluate")
def test_cold_cache(benchmark, kit, tmp_path):
    counter = itertools.count()
    benchmark.pedantic(
        lambda c: evaluate(c),
        setup=lambda: ((config(kit, tmp_path, str(tmp_path / f"c{next(counter)}")),), {}),
        rounds=5,
        warmup_rounds=1,
    )


@pytest.mark.benchmark(group="evaluate")
def test_warm_cache(benchmark, kit, tmp_path):
    warm = config(kit, tmp_path, str(tmp_path / "warm"))
    evaluate(warm)
    benchmark.pedantic(evaluate, args=(warm,), rounds=5, warmup_rounds=1)
