"""Agreement statistics, checked on cases small enough to work out by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from scine_eval.judge_eval.agreement import (
    Rated,
    accuracy_with_ties,
    agreement_report,
    bootstrap_ci,
    icc,
    icc_from_long,
    kendall_tau_b,
    pairs_of,
    pairwise_accuracy,
    spearman,
)


def question(reference, judge, prompt="p0", question_id="q0"):
    """One question of one prompt, answered by videos v0, v1, ..."""
    return [
        Rated(prompt, question_id, f"v{i}", float(r), float(j))
        for i, (r, j) in enumerate(zip(reference, judge, strict=True))
    ]


def noisy(n_prompts=30, seed=0):
    """Prompts with two questions and four videos; the judge is the reference plus noise."""
    rng = np.random.default_rng(seed)
    rated = []
    for p in range(n_prompts):
        for q in ("camera", "light"):
            reference = rng.integers(1, 6, size=4)
            rated += question(reference, reference + rng.normal(0, 1.5, size=4), f"p{p}", f"{p}.{q}")
    return rated


def brute_tau_b(x, y):
    """Tau-b straight from its definition, for cross-checking."""
    s = n1 = n2 = n0 = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        n0, s, n1, n2 = n0 + 1, s + dx * dy, n1 + (dx == 0), n2 + (dy == 0)
    return s / math.sqrt((n0 - n1) * (n0 - n2))


def test_perfect_judge_agrees_fully():
    rated = question([1, 2, 3, 4], [10, 20, 30, 40])
    assert pairwise_accuracy(rated) == 1.0
    assert accuracy_with_ties(rated) == (1.0, 0.0)
    assert spearman([r.reference for r in rated], [r.judge for r in rated]) == pytest.approx(1.0)
    assert kendall_tau_b([r.reference for r in rated], [r.judge for r in rated]) == pytest.approx(1.0)


def test_reversed_judge_disagrees_fully():
    rated = question([1, 2, 3, 4], [40, 30, 20, 10])
    assert pairwise_accuracy(rated) == 0.0
    assert spearman([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)
    assert kendall_tau_b([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)


def test_constant_judge():
    """Judge ties count half; with ties, calling every pair a tie matches only the reference ties."""
    rated = question([1, 2, 2, 3], [3, 3, 3, 3])  # 6 pairs, 1 of them a reference tie (2, 2)
    assert pairwise_accuracy(rated) == 0.5
    accuracy, epsilon = accuracy_with_ties(rated)
    # Every |Δjudge| is 0, so any ε >= 0 calls all pairs ties; the smallest such ε is returned.
    assert accuracy == pytest.approx(1 / 6) and epsilon == 0.0
    assert math.isnan(spearman([1, 2, 2, 3], [3, 3, 3, 3]))
    assert math.isnan(kendall_tau_b([1, 2, 2, 3], [3, 3, 3, 3]))


def test_tie_threshold_search_picks_large_epsilon_when_the_reference_ties_everything():
    rated = question([3, 3, 3], [1, 2, 4])  # |Δjudge| = 1, 3, 2: ε = 0, 1, 2, 3 match 0, 1, 2, 3 of 3
    assert accuracy_with_ties(rated) == (1.0, 3.0)
    assert accuracy_with_ties(rated, thresholds=[1.0]) == (pytest.approx(1 / 3), 1.0)
    assert math.isnan(pairwise_accuracy(rated))  # no pair is ordered by the reference


def test_accuracy_with_ties_by_hand():
    """Pairs (Δref, Δjudge): (-1,-1) (-1,-1.5) (-2,-2) (0,-.5) (-1,-1) (-1,-.5).

    ε=0: all but the reference tie match → 5/6; ε=0.5: the tie matches, (-1,-.5) becomes a judge tie → 5/6;
    ε=1: judge ties (-1,-1) ×2, (0,-.5), (-1,-.5) → only the reference tie of them matches, plus 2 → 3/6.
    """
    rated = question([1, 2, 2, 3], [1, 2, 2.5, 3])
    assert accuracy_with_ties(rated) == (pytest.approx(5 / 6), 0.0)  # the first (smallest) best ε
    assert accuracy_with_ties(rated, thresholds=[0.5]) == (pytest.approx(5 / 6), 0.5)
    assert accuracy_with_ties(rated, thresholds=[1.0]) == (pytest.approx(3 / 6), 1.0)
    assert pairwise_accuracy(rated) == 1.0  # the reference tie is left out
    assert pairwise_accuracy(rated, reference_tie=1.0) == 1.0  # only (-2, -2) is left
    assert accuracy_with_ties(rated, reference_tie=1.0, thresholds=[1.0]) == (
        pytest.approx(5 / 6),
        1.0,
    )  # not (-1,-1.5)


def test_spearman_with_ties_by_hand():
    x, y = [1, 2, 2, 3, 4], [1, 3, 2, 2, 5]
    rank_x, rank_y = [1, 2.5, 2.5, 4, 5], [1, 4, 2.5, 2.5, 5]  # average ranks; both have mean 3
    dx, dy = np.subtract(rank_x, 3), np.subtract(rank_y, 3)
    expected = (dx * dy).sum() / math.sqrt((dx * dx).sum() * (dy * dy).sum())  # 7.25 / 9.5
    assert expected == pytest.approx(7.25 / 9.5)
    assert spearman(x, y) == pytest.approx(expected)


def test_kendall_tau_b_with_ties_by_hand():
    """Tau-b of x = 1 2 2 3 against y = 1 3 2 2.

    Pairs (0,1) (0,2) (0,3) concordant; (1,3) discordant; (1,2) tied in x only; (2,3) tied in y only.
    n0 = 6, n1 = n2 = 1: (3 - 1) / sqrt(5 * 5) = 0.4.
    """
    assert kendall_tau_b([1, 2, 2, 3], [1, 3, 2, 2]) == pytest.approx(0.4)


def test_kendall_matches_definition_on_random_ties():
    rng = np.random.default_rng(4)
    for n in (2, 3, 7, 16, 33, 100):
        x, y = rng.integers(0, 4, size=n), rng.integers(0, 5, size=n)
        if len(set(x)) > 1 and len(set(y)) > 1:
            assert kendall_tau_b(x, y) == pytest.approx(brute_tau_b(x, y))


def test_small_and_non_finite_inputs_give_nan():
    assert math.isnan(spearman([1.0], [2.0])) and math.isnan(kendall_tau_b([], []))
    assert spearman([1, 2, np.nan, 3], [1, 2, 0, 3]) == pytest.approx(1.0)  # the NaN position is dropped
    assert math.isnan(pairwise_accuracy([]))
    assert all(math.isnan(v) for v in accuracy_with_ties([]))
    with pytest.raises(ValueError):
        spearman([1, 2], [1, 2, 3])
    with pytest.raises(ValueError):
        pairwise_accuracy([], reference_tie=-1)


def test_pairs_never_cross_questions_or_prompts():
    """Two questions with opposite trends, each ranked perfectly: cross-question pairs would be wrong."""
    rated = question([1, 2, 3], [1, 2, 3], question_id="a") + question([3, 2, 1], [13, 12, 11], question_id="b")
    rated += question([5], [0], prompt="p1", question_id="a")  # same question id, other prompt: no pair
    d_reference, d_judge, group = pairs_of(rated)
    assert d_reference.size == 6 and set(group.tolist()) == {0}
    assert pairwise_accuracy(rated) == 1.0
    assert accuracy_with_ties(rated) == (1.0, 0.0)


def test_icc_shrout_fleiss_table_2():
    ratings = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    result = icc(ratings)
    assert round(result["ICC(1,1)"], 2) == 0.17
    assert round(result["ICC(2,1)"], 2) == 0.29
    assert round(result["ICC(2,k)"], 2) == 0.62
    assert round(result["ICC(1,k)"], 2) == 0.44
    assert (result["n_targets"], result["k"]) == (6, 4)
    assert math.isnan(icc([[1, 2, 3]])["ICC(2,1)"])  # one target: no between-target variance
    with pytest.raises(ValueError):
        icc([1, 2, 3])


def test_icc_from_long_uses_targets_with_the_modal_rating_count():
    ratings = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    rows = [(f"t{t}", f"r{j}", float(s)) for t, row in enumerate(ratings) for j, s in enumerate(row)]
    rows += [("odd", "r0", 3.0), ("odd", "r1", 4.0)]  # two ratings instead of four: left out
    result = icc_from_long(reversed(rows))  # the row order does not matter: slots follow the rater id
    assert result["ICC(2,1)"] == pytest.approx(icc(ratings)["ICC(2,1)"])
    assert (result["n_targets"], result["k"], result["n_excluded"]) == (6, 4, 1)


def test_bootstrap_ci_contains_the_estimate_and_is_deterministic():
    rated = noisy()
    point = pairwise_accuracy(rated)
    low, high = bootstrap_ci(rated, pairwise_accuracy, iters=300, seed=1)
    assert low < point < high
    assert bootstrap_ci(rated, pairwise_accuracy, iters=300, seed=1) == (low, high)
    assert bootstrap_ci(rated, pairwise_accuracy, iters=300, seed=2) != (low, high)


def test_bootstrap_keeps_copies_of_a_prompt_apart():
    """Each prompt has one pair; a resample has as many prompts, so always exactly as many pairs."""
    rated = [r for p in range(8) for r in question([1, 2], [1, 2], prompt=f"p{p}")]
    assert bootstrap_ci(rated, lambda items: float(pairs_of(items)[0].size), iters=50) == (8.0, 8.0)
    assert all(math.isnan(v) for v in bootstrap_ci(rated, lambda items: math.nan, iters=50))


def test_report_matches_the_functions_and_splits_groups():
    rated = noisy()
    report = agreement_report(rated, iters=200, seed=3, group_of=lambda r: r.question_id.split(".")[1])
    whole = report["all"]
    assert whole["n_items"] == 240 and whole["n_pairs"] == 360 and whole["n_prompts"] == 30
    assert whole["accuracy"]["value"] == pytest.approx(pairwise_accuracy(rated))
    assert (whole["accuracy_with_ties"]["value"], whole["accuracy_with_ties"]["epsilon"]) == pytest.approx(
        accuracy_with_ties(rated)
    )
    # The fast path draws the same resamples as bootstrap_ci for the same seed.
    low, high = bootstrap_ci(rated, pairwise_accuracy, iters=200, seed=3)
    assert (whole["accuracy"]["ci_low"], whole["accuracy"]["ci_high"]) == pytest.approx((low, high))
    reference, judge = [r.reference for r in rated], [r.judge for r in rated]
    assert whole["kendall"]["value"] == pytest.approx(kendall_tau_b(reference, judge))
    low, high = bootstrap_ci(
        rated, lambda items: spearman([r.reference for r in items], [r.judge for r in items]), 200, 3
    )
    assert (whole["spearman"]["ci_low"], whole["spearman"]["ci_high"]) == pytest.approx((low, high))
    for stat in ("accuracy", "accuracy_with_ties", "spearman", "kendall"):
        assert whole[stat]["ci_low"] <= whole[stat]["value"] <= whole[stat]["ci_high"]

    assert list(report["groups"]) == ["camera", "light"]
    camera = [r for r in rated if r.question_id.endswith("camera")]
    assert report["groups"]["camera"]["n_items"] == 120 and report["groups"]["camera"]["n_pairs"] == 180
    assert report["groups"]["camera"]["accuracy"]["value"] == pytest.approx(pairwise_accuracy(camera))
    assert report["groups"]["camera"]["spearman"]["value"] == pytest.approx(
        spearman([r.reference for r in camera], [r.judge for r in camera])
    )


def test_report_on_tiny_inputs_does_not_raise():
    report = agreement_report([], iters=20)
    assert report["all"]["n_items"] == 0 and math.isnan(report["all"]["accuracy"]["value"])
    single = agreement_report(question([1, 2], [2, 1]), iters=20, group_of=lambda r: "g")
    assert single["groups"]["g"]["accuracy"]["value"] == 0.0
    assert math.isnan(agreement_report(question([1, 2], [2, 1]), iters=0)["all"]["accuracy"]["ci_low"])


def test_tie_threshold_candidates_are_thinned_to_observed_quantiles():
    rated = noisy(n_prompts=200)  # 2400 pairs, nearly all |Δjudge| distinct
    _, d_judge, _ = pairs_of(rated)
    accuracy, epsilon = accuracy_with_ties(rated)
    best, _ = accuracy_with_ties(rated, thresholds=[0.0, *np.abs(d_judge)])
    assert best - 0.01 <= accuracy <= best
    assert epsilon == 0.0 or epsilon in set(np.abs(d_judge).tolist())
