"""The Fréchet distance between two Gaussians, and the mean and covariance of a feature set.

    d² = |mu1 - mu2|² + tr(sigma1) + tr(sigma2) - 2 tr((sigma1 sigma2)^½)

The trace of the matrix square root is computed as in TF-GAN (which the FVD reference code follows):
``sigma1 sigma2`` is similar to the symmetric positive semi-definite ``A = sigma1^½ sigma2 sigma1^½``, so
``tr((sigma1 sigma2)^½) = sum(sqrt(eigenvalues of A))``. Both square roots go through ``eigh`` of symmetric
matrices, with eigenvalues that round-off pushed below zero clipped to zero. Unlike ``scipy.linalg.sqrtm`` of
the non-symmetric product, this needs no ``eps`` added to the diagonals when a covariance is singular (fewer
samples than dimensions, the usual case for FVD with 400-d features) and never returns a complex result.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["feature_statistics", "frechet_distance", "trace_sqrt_product"]

FloatArray = npt.NDArray[np.float64]


def feature_statistics(features: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Mean and unbiased covariance (``ddof=1``) of ``features``, one row per sample, in float64.

    Args:
        features: ``(N, D)`` with ``N >= 2``.

    Returns:
        ``(mu, sigma)`` of shapes ``(D,)`` and ``(D, D)``.

    Raises:
        ValueError: not a finite 2-D array with at least two rows.
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"features must be (N, D) with N >= 2 samples, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("features contain NaN or infinite values")
    return x.mean(axis=0), np.cov(x, rowvar=False, ddof=1).reshape(x.shape[1], x.shape[1])


def trace_sqrt_product(sigma1: npt.ArrayLike, sigma2: npt.ArrayLike) -> float:
    """``tr((sigma1 sigma2)^½)`` for symmetric positive semi-definite ``sigma1`` and ``sigma2``."""
    root1 = _psd_sqrt(np.asarray(sigma1, dtype=np.float64))
    inner = root1 @ np.asarray(sigma2, dtype=np.float64) @ root1
    eigenvalues = np.linalg.eigvalsh((inner + inner.T) / 2)  # symmetrised: round-off makes it slightly not
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def frechet_distance(mu1: npt.ArrayLike, sigma1: npt.ArrayLike, mu2: npt.ArrayLike, sigma2: npt.ArrayLike) -> float:
    """The squared Fréchet (2-Wasserstein) distance between ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``.

    This is FID/FVD as published (the *squared* distance, no square root taken). Round-off can make it
    a hair below zero for identical inputs; it is clipped at 0.

    Args:
        mu1: ``(D,)`` mean of the first set.
        sigma1: ``(D, D)`` covariance of the first set.
        mu2: ``(D,)`` mean of the second set.
        sigma2: ``(D, D)`` covariance of the second set.

    Raises:
        ValueError: the shapes do not agree or a value is not finite.
    """
    m1, m2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64)), np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    d = m1.shape[0]
    if m1.shape != (d,) or m2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(
            f"shapes do not agree: mu1 {m1.shape}, sigma1 {s1.shape}, mu2 {m2.shape}, sigma2 {s2.shape} "
            "(need (D,), (D, D), (D,), (D, D))"
        )
    if not all(np.isfinite(a).all() for a in (m1, s1, m2, s2)):
        raise ValueError("statistics contain NaN or infinite values")
    diff = m1 - m2
    value = diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt_product(s1, s2)
    return max(float(value), 0.0)


def _psd_sqrt(matrix: FloatArray) -> FloatArray:
    """The symmetric square root of a symmetric positive semi-definite matrix (negative round-off clipped)."""
    eigenvalues, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ vectors.T
