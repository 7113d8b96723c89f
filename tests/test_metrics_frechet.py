"""The Fréchet distance and feature statistics, against scipy and closed forms; metric registration stays light."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.linalg  # noqa: E402

from scine_eval.metrics.frechet import feature_statistics, frechet_distance, trace_sqrt_product  # noqa: E402
from tests.helpers import REPO  # noqa: E402


def scipy_frechet(mu1, sigma1, mu2, sigma2) -> float:
    """The textbook formula with scipy's general matrix square root of the (non-symmetric) product."""
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(np.real(covmean)))


def gaussian_sample(rng: np.random.Generator, n: int, d: int, shift: float = 0.0) -> np.ndarray:
    mixing = rng.normal(size=(d, d))  # correlated dimensions, so the covariances are far from diagonal
    return rng.normal(size=(n, d)) @ mixing + shift


def test_matches_scipy_sqrtm_on_random_gaussians():
    rng = np.random.default_rng(0)
    for d, shift in ((3, 0.0), (8, 0.5), (16, 2.0)):
        a, b = gaussian_sample(rng, 200, d), gaussian_sample(rng, 300, d, shift)
        (mu1, s1), (mu2, s2) = feature_statistics(a), feature_statistics(b)
        expected = scipy_frechet(mu1, s1, mu2, s2)
        assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)
        assert frechet_distance(mu2, s2, mu1, s1) == pytest.approx(expected, rel=1e-9)  # symmetric


def test_rank_deficient_covariances_match_scipy_with_its_eps_offset():
    """Fewer samples than dimensions (FVD with few videos): scipy needs the eps fallback, ours does not."""
    rng = np.random.default_rng(1)
    a, b = gaussian_sample(rng, 6, 12), gaussian_sample(rng, 9, 12, 1.0)
    (mu1, s1), (mu2, s2) = feature_statistics(a), feature_statistics(b)
    assert np.linalg.matrix_rank(s1) == 5 and np.linalg.matrix_rank(s2) == 8
    offset = 1e-9 * np.eye(12)
    expected = scipy_frechet(mu1, s1 + offset, mu2, s2 + offset)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-5)


def test_identical_statistics_give_zero():
    rng = np.random.default_rng(2)
    mu, sigma = feature_statistics(gaussian_sample(rng, 50, 20))
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9 * np.trace(sigma))
    singular_mu, singular = feature_statistics(gaussian_sample(rng, 5, 20))  # rank 4 of 20
    assert frechet_distance(singular_mu, singular, singular_mu, singular) == pytest.approx(0.0, abs=1e-8)


def test_one_dimension_closed_form():
    # In 1-D: (m1 - m2)^2 + (s1 - s2)^2 with s the standard deviations.
    assert frechet_distance([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(9.0 + 1.0)
    assert frechet_distance(1.0, 4.0, 1.0, 0.25) == pytest.approx((2.0 - 0.5) ** 2)


def test_diagonal_closed_form_and_pure_translation():
    rng = np.random.default_rng(3)
    var1, var2 = rng.uniform(0.1, 3, 10), rng.uniform(0.1, 3, 10)
    mu1, mu2 = rng.normal(size=10), rng.normal(size=10)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-10)
    _, sigma = feature_statistics(gaussian_sample(rng, 40, 10))
    assert frechet_distance(mu1, sigma, mu2, sigma) == pytest.approx(np.sum((mu1 - mu2) ** 2), rel=1e-8)


def test_trace_sqrt_product_is_the_trace_of_the_principal_root():
    rng = np.random.default_rng(4)
    _, s1 = feature_statistics(gaussian_sample(rng, 30, 6))
    _, s2 = feature_statistics(gaussian_sample(rng, 30, 6))
    assert trace_sqrt_product(s1, s2) == pytest.approx(np.trace(np.real(scipy.linalg.sqrtm(s1 @ s2))), rel=1e-10)


def test_feature_statistics_are_mean_and_unbiased_covariance():
    mu, sigma = feature_statistics([[0.0, 1.0], [2.0, 5.0], [4.0, 3.0]])
    np.testing.assert_allclose(mu, [2.0, 3.0])
    np.testing.assert_allclose(sigma, [[4.0, 2.0], [2.0, 4.0]])  # sums of products over n - 1 = 2
    with pytest.raises(ValueError, match="N >= 2"):
        feature_statistics([[1.0, 2.0]])
    with pytest.raises(ValueError, match="NaN"):
        feature_statistics([[1.0, np.nan], [0.0, 0.0]])


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="shapes do not agree"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance([np.inf], [[1.0]], [0.0], [[1.0]])


def test_registering_the_metrics_imports_no_torch():
    """The registry imports every module of scine_eval.metrics: none may pull in torch or transformers."""
    code = (
        "import sys; from scine_eval.contracts.metric import metric_registry as r; "
        "names = r.names(); heavy = [m for m in ('torch', 'transformers', 'scipy') if m in sys.modules]; "
        "print(sorted(names), heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "['clipsim', 'fvd', 'is', 'vsa'] []"
