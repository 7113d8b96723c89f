"""Aggregation and bootstrap intervals, checked against direct computations."""

from __future__ import annotations

import numpy as np
import pytest

from scine_eval.aggregation import Bootstrap, SampleScore, mean_by, normalise, score_tasks
from scine_eval.tasks import Task

LEAF_A, LEAF_B = "x.a", "x.b"


def tasks(aggregation="macro"):
    return {
        "x": Task(name="x", leaves=(LEAF_A, LEAF_B), subtasks=("x.a", "x.b"), aggregation=aggregation),
        "x.a": Task(name="x.a", leaves=(LEAF_A,)),
        "x.b": Task(name="x.b", leaves=(LEAF_B,)),
    }


def samples():
    a = [SampleScore(f"p{i}", LEAF_A, s) for i, s in enumerate([1, 2, 3, 4, 5, 5])]
    b = [SampleScore(f"p{i}", LEAF_B, s) for i, s in enumerate([2, 2])]
    return {"x.a": a, "x.b": b}


def test_group_macro_is_mean_of_members_and_micro_pools_samples():
    """Macro averages member scores; micro averages all samples, so a big leaf weighs more."""
    data = samples()
    boot = Bootstrap([s.prompt_id for rows in data.values() for s in rows], iters=0)
    scores = score_tasks(tasks(), data, boot)
    mean_a, mean_b = np.mean([1, 2, 3, 4, 5, 5]), 2.0
    assert scores["x.a"].score.mean == pytest.approx(mean_a)
    assert scores["x"].macro.mean == pytest.approx((mean_a + mean_b) / 2)
    assert scores["x"].micro.mean == pytest.approx(np.mean([1, 2, 3, 4, 5, 5, 2, 2]))
    assert scores["x"].score == scores["x"].macro
    assert score_tasks(tasks("micro"), data, boot)["x"].score == scores["x"].micro
    assert scores["x"].score.n_samples == 8 and scores["x"].score.n_prompts == 6


def test_bootstrap_resamples_prompts_like_a_direct_loop():
    """The vectorised interval matches a plain loop that resamples prompts and recomputes the macro mean."""
    rng = np.random.default_rng(1)
    data = {
        "x.a": [SampleScore(f"p{i}", LEAF_A, float(rng.integers(1, 6))) for i in range(40)],
        "x.b": [SampleScore(f"p{i}", LEAF_B, float(rng.integers(1, 6))) for i in range(0, 40, 2)],
    }
    prompts = [f"p{i}" for i in range(40)]
    boot = Bootstrap(prompts, iters=4000, seed=3)
    estimate = score_tasks(tasks(), data, boot)["x"].score

    by_prompt = {p: {LEAF_A: [], LEAF_B: []} for p in prompts}
    for rows in data.values():
        for s in rows:
            by_prompt[s.prompt_id][s.leaf].append(s.score)
    reference = []
    loop_rng = np.random.default_rng(7)
    for _ in range(4000):
        drawn = loop_rng.choice(prompts, size=len(prompts), replace=True)
        leaf_means = [np.mean([v for p in drawn for v in by_prompt[p][leaf]]) for leaf in (LEAF_A, LEAF_B)]
        reference.append(np.mean(leaf_means))
    assert estimate.stderr == pytest.approx(np.std(reference, ddof=1), rel=0.1)
    assert estimate.ci_low == pytest.approx(np.percentile(reference, 2.5), abs=0.08)
    assert estimate.ci_high == pytest.approx(np.percentile(reference, 97.5), abs=0.08)


def test_intervals_are_reproducible_and_collapse_without_variation():
    """The same seed gives the same interval; identical scores give a zero-width interval."""
    data = {"x.a": [SampleScore(f"p{i}", LEAF_A, 3.0) for i in range(10)], "x.b": []}
    first = score_tasks(tasks(), data, Bootstrap([f"p{i}" for i in range(10)], iters=100, seed=0))
    assert first["x.a"].score.ci_low == first["x.a"].score.ci_high == 3.0
    data = samples()
    prompts = [s.prompt_id for rows in data.values() for s in rows]
    one = score_tasks(tasks(), data, Bootstrap(prompts, iters=200, seed=5))["x"].score
    two = score_tasks(tasks(), data, Bootstrap(prompts, iters=200, seed=5))["x"].score
    assert one == two


def test_empty_tasks_have_no_score():
    """A task with no scored sample reports None, and a group ignores it in the macro mean."""
    data = {"x.a": [SampleScore("p0", LEAF_A, 4.0)], "x.b": []}
    scores = score_tasks(tasks(), data, Bootstrap(["p0"], iters=50))
    assert scores["x.b"].score.mean is None and scores["x.b"].score.n_samples == 0
    assert scores["x"].score.mean == pytest.approx(4.0)


def test_breakdown_by_facet_and_normalisation():
    """Facet breakdowns are micro means per value; 1-5 maps linearly onto 0-100."""
    data = samples()
    rows = data["x.a"] + data["x.b"]
    facet = {"p0": "drama", "p1": "drama", "p2": "noir", "p3": "noir", "p4": "noir", "p5": "noir"}
    out = mean_by(rows, facet, Bootstrap([s.prompt_id for s in rows], iters=0))
    assert out["drama"].mean == pytest.approx(np.mean([1, 2, 2, 2]))
    assert out["noir"].mean == pytest.approx(np.mean([3, 4, 5, 5]))
    assert (normalise(1), normalise(3), normalise(5)) == (0, 50, 100)
