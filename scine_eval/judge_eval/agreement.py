"""Agreement between a judge and a reference (human expert ratings), numpy only.

The unit is one (video, question) with a reference score (e.g. the mean of its raters) and a judge score.
Pairwise statistics compare two videos answering the same question of the same prompt; rank
correlations pool every item of a set. Two pairwise accuracies are reported, as VideoReward does:

* **accuracy without ties**: over pairs the reference orders, how often the judge orders them the same
  way (a judge tie earns half a point);
* **accuracy with ties** ("Ties Matter", arXiv 2305.14324): every pair, with a three-way label
  (worse / tie / better) on both sides; the judge's tie threshold ε is searched to maximise agreement.

Intervals resample *prompts* with replacement, as :mod:`scine_eval.aggregation` does: the questions and videos
of one prompt are correlated, so they move together.

Items whose reference or judge score is not finite (a judge that gave no score) are ignored. Score
differences are compared exactly (``|Δ| <= tie``), so pass a small ``reference_tie`` if the reference
comes from floating-point arithmetic that could leave near-equal means unequal.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

MAX_THRESHOLDS = 1000
MIN_FINITE_REPLICATES = 10
# Joins a prompt id and its copy number in a resample, so copies of one prompt never pair with each other.
COPY_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Rated:
    """One (video, question) with both scores.

    Attributes:
        prompt_id: the resampling unit of the bootstrap.
        question_id: pairs are formed only within a question (same prompt, same question, different videos).
        video: the video id (sha256).
        reference: the reference score, e.g. the rater mean.
        judge: the judge's score.
    """

    prompt_id: str
    question_id: str
    video: str
    reference: float
    judge: float


@dataclass(frozen=True)
class _Items:
    """Finite items as arrays, with the item indices of their pairs."""

    reference: np.ndarray
    judge: np.ndarray
    prompt: np.ndarray  # prompt index of each item
    first: np.ndarray  # pair k compares item first[k] with item second[k]
    second: np.ndarray

    @property
    def pair_prompt(self) -> np.ndarray:
        return self.prompt[self.first]

    def differences(self) -> tuple[np.ndarray, np.ndarray]:
        """Reference and judge differences of every pair."""
        return (
            self.reference[self.first] - self.reference[self.second],
            self.judge[self.first] - self.judge[self.second],
        )


def _prompt_index(rated: Sequence[Rated]) -> dict[str, int]:
    return {prompt: i for i, prompt in enumerate(dict.fromkeys(r.prompt_id for r in rated))}


def _items(rated: Sequence[Rated], prompts: dict[str, int] | None = None) -> _Items:
    """Arrays of the finite items; ``prompts`` fixes prompt indices (default: order of first appearance)."""
    prompts = _prompt_index(rated) if prompts is None else prompts
    keep = [r for r in rated if math.isfinite(r.reference) and math.isfinite(r.judge)]
    videos: dict[str, int] = {}
    video = np.array([videos.setdefault(r.video, len(videos)) for r in keep], dtype=np.int64)
    questions: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(keep):
        questions.setdefault((r.prompt_id, r.question_id), []).append(i)
    firsts, seconds = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    upper: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # questions mostly share a video count
    for members in questions.values():
        if len(members) > 1:
            index = np.asarray(members, dtype=np.int64)
            if index.size not in upper:
                upper[index.size] = np.triu_indices(index.size, 1)
            a, b = upper[index.size]
            firsts.append(index[a])
            seconds.append(index[b])
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    distinct = video[first] != video[second]  # a repeated (question, video) is not a comparison
    return _Items(
        reference=np.array([r.reference for r in keep], dtype=float),
        judge=np.array([r.judge for r in keep], dtype=float),
        prompt=np.array([prompts[r.prompt_id] for r in keep], dtype=np.int64),
        first=first[distinct],
        second=second[distinct],
    )


def pairs_of(rated: Sequence[Rated]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every unordered pair of different videos answering the same question of the same prompt.

    Args:
        rated: the items.

    Returns:
        Per pair: the reference difference, the judge difference (both first minus second, in input
        order), and the pair's group index (the prompt's index in order of first appearance).
    """
    items = _items(rated)
    d_reference, d_judge = items.differences()
    return d_reference, d_judge, items.pair_prompt


def _check_tie(reference_tie: float) -> None:
    if not (reference_tie >= 0 and math.isfinite(reference_tie)):
        raise ValueError(f"reference_tie must be a finite number >= 0, got {reference_tie}")


def _positive(
    d_reference: np.ndarray, d_judge: np.ndarray, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs with positive weight (a bootstrap leaves undrawn prompts at weight 0)."""
    if weights is None:
        return d_reference, d_judge, np.ones(d_reference.size)
    keep = weights > 0
    return d_reference[keep], d_judge[keep], weights[keep].astype(float)


def _accuracy(d_reference: np.ndarray, d_judge: np.ndarray, weights: np.ndarray | None, reference_tie: float) -> float:
    d_reference, d_judge, weights = _positive(d_reference, d_judge, weights)
    ordered = np.abs(d_reference) > reference_tie
    total = weights[ordered].sum()
    if total <= 0:
        return math.nan
    same = (np.sign(d_judge) == np.sign(d_reference)).astype(float)
    credit = np.where(d_judge == 0, 0.5, same)
    return float((weights[ordered] * credit[ordered]).sum() / total)


def pairwise_accuracy(rated: Sequence[Rated], reference_tie: float = 0.0) -> float:
    """Accuracy without ties: how often the judge orders a pair as the reference does.

    Only pairs with ``|Δreference| > reference_tie`` count; a judge tie (equal scores) counts 0.5, so a
    constant judge scores 0.5 rather than 0 (VideoReward's ``calc_accuracy`` counts it as wrong).

    Args:
        rated: the items.
        reference_tie: reference differences up to this magnitude are ties and are left out.

    Returns:
        The accuracy in [0, 1], NaN when no pair is ordered by the reference.
    """
    _check_tie(reference_tie)
    d_reference, d_judge, _ = pairs_of(rated)
    return _accuracy(d_reference, d_judge, None, reference_tie)


def _weighted_quantiles(sorted_values: np.ndarray, weights: np.ndarray, count: int) -> np.ndarray:
    """``count`` evenly spaced quantiles (inverted CDF, so each is an observed value) of weighted values."""
    cumulative = np.cumsum(weights)
    targets = np.linspace(0.0, 1.0, count) * cumulative[-1]
    return sorted_values[np.minimum(np.searchsorted(cumulative, targets), sorted_values.size - 1)]


def _candidates(sorted_sizes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Zero and every distinct judge difference, thinned to quantiles when there are too many."""
    distinct = np.unique(sorted_sizes)
    if distinct.size > MAX_THRESHOLDS - 1:
        distinct = _weighted_quantiles(sorted_sizes, weights, MAX_THRESHOLDS - 1)
    return np.unique(np.concatenate([[0.0], distinct]))


def _accuracy_with_ties(
    d_reference: np.ndarray,
    d_judge: np.ndarray,
    weights: np.ndarray | None,
    reference_tie: float,
    thresholds: np.ndarray | None,
) -> tuple[float, float]:
    d_reference, d_judge, weights = _positive(d_reference, d_judge, weights)
    if not d_reference.size:
        return math.nan, math.nan
    label = np.where(np.abs(d_reference) <= reference_tie, 0.0, np.sign(d_reference))
    size = np.abs(d_judge)
    order = np.argsort(size, kind="stable")
    size, label, sign, weights = size[order], label[order], np.sign(d_judge)[order], weights[order]
    # Below ε the judge says "tie" (right when the reference ties); above it the sign must match.
    tie_right = np.concatenate([[0.0], np.cumsum(weights * (label == 0))])
    sign_right = np.concatenate([[0.0], np.cumsum(weights * ((label != 0) & (sign == label)))])
    candidates = _candidates(size, weights) if thresholds is None else np.sort(thresholds)
    below = np.searchsorted(size, candidates, side="right")
    scores = (tie_right[below] + sign_right[-1] - sign_right[below]) / weights.sum()
    best = int(np.argmax(scores))  # the first maximum: the smallest ε among equally good ones
    return float(scores[best]), float(candidates[best])


def _thresholds(thresholds: Sequence[float] | None) -> np.ndarray | None:
    if thresholds is None:
        return None
    values = np.asarray(thresholds, dtype=float).ravel()
    if not values.size or not np.isfinite(values).all():
        raise ValueError("thresholds must be a non-empty sequence of finite numbers")
    return values


def accuracy_with_ties(
    rated: Sequence[Rated], reference_tie: float = 0.0, thresholds: Sequence[float] | None = None
) -> tuple[float, float]:
    """Accuracy with ties ("Ties Matter", arXiv 2305.14324), with the judge's tie threshold searched.

    Every pair counts. The reference label is 0 when ``|Δreference| <= reference_tie``, else its sign;
    the judge label is 0 when ``|Δjudge| <= ε``, else its sign; accuracy is the fraction of equal labels.
    ε is chosen among ``thresholds`` to maximise accuracy (the smallest on a tie). Because ε is fitted on
    the very pairs it is scored on, the result is optimistic, exactly as in VideoReward's
    ``calc_accuracy.py``; pass a fixed ε as ``thresholds=[ε]`` (e.g. one found on held-out data) for an
    unbiased figure.

    Args:
        rated: the items.
        reference_tie: reference differences up to this magnitude are ties.
        thresholds: candidate ε values. Default: 0 and every distinct ``|Δjudge|``, thinned to
            ``MAX_THRESHOLDS`` quantiles of the pairs' ``|Δjudge|`` when there are more.

    Returns:
        ``(accuracy, ε)``, both NaN when there is no pair.
    """
    _check_tie(reference_tie)
    d_reference, d_judge, _ = pairs_of(rated)
    return _accuracy_with_ties(d_reference, d_judge, None, reference_tie, _thresholds(thresholds))


def _paired(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Two equally long vectors, without the positions where either is not finite."""
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in length: {x.size} and {y.size}")
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks; tied values share the mean of the ranks they span."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts
    return (first + (counts + 1) / 2.0)[inverse]


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman's rank correlation: Pearson's correlation of the average ranks.

    Args:
        x: one score per item.
        y: the other score per item (positions where either is not finite are dropped).

    Returns:
        The correlation in [-1, 1], NaN with fewer than two items or when either side is constant.
    """
    x, y = _paired(x, y)
    if x.size < 2:
        return math.nan
    rx, ry = _average_ranks(x), _average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = math.sqrt(float((rx * rx).sum() * (ry * ry).sum()))
    return float((rx * ry).sum() / denominator) if denominator > 0 else math.nan


def _tied_pairs(*sorted_columns: np.ndarray) -> int:
    """Pairs of items equal on every column, given columns sorted so that equal rows are adjacent."""
    n = sorted_columns[0].size
    changes = np.flatnonzero(np.any([np.diff(column) != 0 for column in sorted_columns], axis=0))
    runs = np.diff(np.concatenate([[0], changes + 1, [n]]))
    return int((runs * (runs - 1) // 2).sum())


def _inversions(values: np.ndarray) -> int:
    """Pairs ``i < j`` with ``values[i] > values[j]``, by a bottom-up merge count vectorised per level.

    At width ``w`` every block of ``2w`` positions counts, for each element of its right half, the larger
    elements of its left half, then merges the halves. Offsetting the dense ranks by the block number
    keeps blocks apart, so each level is two searches and one sort of already sorted runs.
    """
    current = np.unique(values, return_inverse=True)[1].astype(np.int64).ravel()
    n = current.size
    span = int(current.max()) + 1 if n else 1
    position = np.arange(n, dtype=np.int64)
    total, width = 0, 1
    while width < n:
        offset = (position // (2 * width)) * span
        left = (position // width) % 2 == 0
        keys = current + offset
        left_keys = keys[left]  # sorted: each half is sorted and the offsets grow with the block
        at_most = np.searchsorted(left_keys, keys[~left], side="right")
        block_end = np.searchsorted(left_keys, offset[~left] + span, side="left")
        total += int((block_end - at_most).sum())
        current = np.sort(keys, kind="stable") - offset
        width *= 2
    return total


def kendall_tau_b(x: ArrayLike, y: ArrayLike) -> float:
    """Kendall's tau-b, ``(C - D) / sqrt((n0 - n1)(n0 - n2))``, in O(n log² n) (Knight's method).

    ``C``/``D`` are concordant/discordant pairs, ``n0`` all pairs, ``n1``/``n2`` pairs tied in x/y.

    Args:
        x: one score per item.
        y: the other score per item (positions where either is not finite are dropped).

    Returns:
        Tau-b in [-1, 1], NaN with fewer than two items or when either side is constant.
    """
    x, y = _paired(x, y)
    n = x.size
    if n < 2:
        return math.nan
    order = np.lexsort((y, x))
    x, y = x[order], y[order]
    n0 = n * (n - 1) // 2
    n1, n2, n3 = _tied_pairs(x), _tied_pairs(np.sort(y)), _tied_pairs(x, y)
    if n0 == n1 or n0 == n2:
        return math.nan
    # Sorted by x then y, the y inversions are exactly the discordant pairs (ties in x are sorted by y).
    discordant = _inversions(y)
    concordant = n0 - n1 - n2 + n3 - discordant
    return float((concordant - discordant) / math.sqrt(float(n0 - n1) * float(n0 - n2)))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator != 0 else math.nan


def icc(ratings: ArrayLike) -> dict[str, float]:
    """Intraclass correlations from a complete targets × raters matrix (Shrout & Fleiss 1979).

    ICC(1,·) is the one-way random model (each target rated by its own raters); ICC(2,·) the two-way
    random model with absolute agreement (McGraw & Wong's ICC(A,1) / ICC(A,k)); ``·,1`` is the
    reliability of one rater, ``·,k`` that of the mean of k raters.

    Args:
        ratings: shape (targets, raters), no missing values.

    Returns:
        ``ICC(1,1)``, ``ICC(1,k)``, ``ICC(2,1)``, ``ICC(2,k)`` (NaN with fewer than 2 targets or raters,
        or no variance), ``n_targets`` and ``k``.

    Raises:
        ValueError: if ``ratings`` is not 2-D or holds a non-finite value.
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise ValueError("ratings must be a 2-D targets × raters matrix of finite numbers")
    n, k = x.shape
    out: dict[str, float] = {"ICC(1,1)": math.nan, "ICC(1,k)": math.nan, "ICC(2,1)": math.nan, "ICC(2,k)": math.nan}
    out.update(n_targets=n, k=k)
    if n < 2 or k < 2:
        return out
    grand = x.mean()
    ss_total = float(((x - grand) ** 2).sum())
    ss_targets = float(k * ((x.mean(axis=1) - grand) ** 2).sum())
    ss_raters = float(n * ((x.mean(axis=0) - grand) ** 2).sum())
    ms_targets = ss_targets / (n - 1)
    ms_within = (ss_total - ss_targets) / (n * (k - 1))
    ms_raters = ss_raters / (k - 1)
    ms_error = (ss_total - ss_targets - ss_raters) / ((n - 1) * (k - 1))
    out["ICC(1,1)"] = _ratio(ms_targets - ms_within, ms_targets + (k - 1) * ms_within)
    out["ICC(1,k)"] = _ratio(ms_targets - ms_within, ms_targets)
    rater_term = (ms_raters - ms_error) / n
    out["ICC(2,1)"] = _ratio(ms_targets - ms_error, ms_targets + (k - 1) * ms_error + k * rater_term)
    out["ICC(2,k)"] = _ratio(ms_targets - ms_error, ms_targets + rater_term)
    return out


def icc_from_long(rows: Iterable[tuple[str, str, float]]) -> dict[str, float]:
    """ICCs from ``(target, rater, score)`` rows, as crowd-style annotation stores them.

    Raters differ across targets, so no complete targets × raters matrix exists. Each target's ratings
    are put in rater-id order and rater slot j is treated as "rater j"; only targets with the modal number
    of ratings k (the larger k on a tie) are used. ICC(1,·) suits this design (each target has its own
    raters); ICC(2,·) is an approximation, since a "rater" column mixes people. Non-finite scores are
    dropped.

    Args:
        rows: ``(target, rater, score)`` triples.

    Returns:
        What :func:`icc` returns (``n_targets`` counts the targets used), plus ``n_excluded``: targets
        left out for having another number of ratings.
    """
    by_target: dict[str, list[tuple[str, float]]] = {}
    for target, rater, score in rows:
        if math.isfinite(score):
            by_target.setdefault(target, []).append((rater, float(score)))
    sizes = Counter(len(ratings) for ratings in by_target.values())
    k = max(sizes, key=lambda size: (sizes[size], size)) if sizes else 0
    matrix = [
        [score for _, score in sorted(ratings, key=lambda pair: pair[0])]
        for ratings in by_target.values()
        if len(ratings) == k
    ]
    out = icc(np.asarray(matrix, dtype=float).reshape(len(matrix), k))
    out["n_excluded"] = len(by_target) - len(matrix)
    return out


def _check_bootstrap(iters: int, alpha: float) -> None:
    if iters < 0:
        raise ValueError(f"iters must be >= 0, got {iters}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")


def _draws(n_prompts: int, iters: int, seed: int) -> np.ndarray:
    """How often each prompt is drawn in each replicate, shape (iters, n_prompts)."""
    if not n_prompts or not iters:
        return np.zeros((0, n_prompts), dtype=np.int64)
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_prompts, np.full(n_prompts, 1.0 / n_prompts), size=iters)


def _interval(replicates: np.ndarray, alpha: float) -> tuple[float, float]:
    """Percentile interval of the finite replicates; NaN when fewer than ``MIN_FINITE_REPLICATES``."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size < MIN_FINITE_REPLICATES:
        return math.nan, math.nan
    low, high = np.percentile(finite, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)


def _resample(by_prompt: dict[str, list[Rated]], counts: np.ndarray) -> list[Rated]:
    """The items of one replicate; each extra copy of a prompt gets its own id so copies never pair up."""
    drawn: list[Rated] = []
    for (prompt, members), count in zip(by_prompt.items(), counts, strict=True):
        for copy in range(int(count)):
            renamed = f"{prompt}{COPY_SEPARATOR}{copy}"
            drawn.extend(members if copy == 0 else [replace(r, prompt_id=renamed) for r in members])
    return drawn


def bootstrap_ci(
    rated: Sequence[Rated],
    statistic: Callable[[Sequence[Rated]], float],
    iters: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic``, resampling prompts with replacement.

    A drawn prompt brings all its items; a prompt drawn twice appears twice under distinct prompt ids
    (the id, ``COPY_SEPARATOR`` and the copy number), so its copies are not paired with each other.

    Args:
        rated: the items.
        statistic: computes a float from items; NaN replicates are ignored.
        iters: number of replicates.
        seed: random seed (for the same items, the same draws as :func:`agreement_report`'s whole set).
        alpha: one minus the coverage.

    Returns:
        ``(low, high)``, NaN when fewer than ``MIN_FINITE_REPLICATES`` replicates are finite.
    """
    _check_bootstrap(iters, alpha)
    by_prompt: dict[str, list[Rated]] = {}
    for r in rated:
        by_prompt.setdefault(r.prompt_id, []).append(r)
    draws = _draws(len(by_prompt), iters, seed)
    replicates = np.array([float(statistic(_resample(by_prompt, row))) for row in draws], dtype=float)
    return _interval(replicates, alpha)


def _statistics(items: _Items, item_counts: np.ndarray, pair_weights: np.ndarray | None, tie: float) -> np.ndarray:
    """Accuracy, accuracy with ties, its ε, Spearman and Kendall of items repeated ``item_counts`` times."""
    d_reference, d_judge = items.differences()
    accuracy = _accuracy(d_reference, d_judge, pair_weights, tie)
    with_ties, epsilon = _accuracy_with_ties(d_reference, d_judge, pair_weights, tie, None)
    x, y = np.repeat(items.reference, item_counts), np.repeat(items.judge, item_counts)
    return np.array([accuracy, with_ties, epsilon, spearman(x, y), kendall_tau_b(x, y)])


def _summary(items: _Items, draws: np.ndarray, reference_tie: float, alpha: float) -> dict[str, Any]:
    point = _statistics(items, np.ones(items.reference.size, dtype=np.int64), None, reference_tie)
    replicates = np.array(
        [_statistics(items, row[items.prompt], row[items.pair_prompt], reference_tie) for row in draws]
    ).reshape(len(draws), point.size)

    def entry(column: int) -> dict[str, float]:
        low, high = _interval(replicates[:, column], alpha)
        return {"value": float(point[column]), "ci_low": low, "ci_high": high}

    d_reference, _ = items.differences()
    return {
        "n_items": int(items.reference.size),
        "n_prompts": int(np.unique(items.prompt).size),
        "n_pairs": int(d_reference.size),
        "n_ordered_pairs": int((np.abs(d_reference) > reference_tie).sum()),
        "accuracy": entry(0),
        "accuracy_with_ties": {**entry(1), "epsilon": float(point[2])},
        "spearman": entry(3),
        "kendall": entry(4),
    }


def agreement_report(
    rated: Sequence[Rated],
    reference_tie: float = 0.0,
    iters: int = 1000,
    seed: int = 0,
    group_of: Callable[[Rated], str] | None = None,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Every agreement statistic with bootstrap intervals, for the whole set and per group.

    All groups share the same prompt resamples (drawn over every prompt in ``rated``), so their intervals
    are comparable; a replicate where a group has no item is ignored for it. Each replicate re-searches
    the tie threshold ε; the reported ε is the point estimate's. Spearman and Kendall pool all items of
    the group (finite items only).

    Args:
        rated: the items.
        reference_tie: reference differences up to this magnitude are ties.
        iters: bootstrap replicates (0: NaN intervals).
        seed: random seed.
        group_of: maps an item to its group (e.g. the question's taxonomy node or pillar); None: no groups.
        alpha: one minus the interval coverage.

    Returns:
        ``{"reference_tie", "iters", "seed", "alpha", "all": summary, "groups": {name: summary}}``; a
        summary holds ``n_items``, ``n_prompts``, ``n_pairs``, ``n_ordered_pairs`` (pairs the reference
        orders), and ``accuracy``, ``accuracy_with_ties`` (with ``epsilon``), ``spearman``, ``kendall``,
        each as ``{"value", "ci_low", "ci_high"}``.
    """
    _check_tie(reference_tie)
    _check_bootstrap(iters, alpha)
    prompts = _prompt_index(rated)
    draws = _draws(len(prompts), iters, seed)
    members: dict[str, list[Rated]] = {}
    if group_of is not None:
        for r in rated:
            members.setdefault(group_of(r), []).append(r)
    return {
        "reference_tie": reference_tie,
        "iters": iters,
        "seed": seed,
        "alpha": alpha,
        "all": _summary(_items(rated, prompts), draws, reference_tie, alpha),
        "groups": {
            name: _summary(_items(members[name], prompts), draws, reference_tie, alpha) for name in sorted(members)
        },
    }
