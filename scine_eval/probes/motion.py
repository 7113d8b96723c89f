"""Global (camera) motion between consecutive frames as a 4-parameter similarity, in pure numpy.

Method
------
Each frame is reduced to luma and normalised to zero mean and unit standard deviation, so a global
gain or offset (a flickering or pulsing light, an exposure ramp) does not read as motion. Frame ``a``
(the template) and frame ``b`` are aligned coarse to fine on a pyramid (2x2 box reduction followed by
a [1, 2, 1] blur at every level) with inverse-compositional Lucas-Kanade (Baker & Matthews 2004): the
template gradients, the Jacobian and the steepest-descent images are computed once per level, and
each Gauss-Newton iteration only warps ``b`` (vectorised bilinear sampling), re-weights and solves a
6x6 system. The six unknowns are the similarity increment ``(a, b, tx, ty)`` of

    x' = (1 + a) x - b y + tx,    y' = b x + (1 + a) y + ty     (x, y relative to the frame centre)

plus a residual gain and bias of the template, re-estimated from scratch each iteration (a linear
photometric model ``b(W(x)) ~ (1 + gain) a(x) + bias``; it absorbs what the per-frame normalisation
leaves, e.g. when a moving subject changes the frame statistics). Iteratively re-weighted least
squares with Tukey's biweight, its scale taken from the median absolute residual, lets a foreground
subject that moves against the background (up to roughly a quarter of the frame) drop out of the
fit. A border of ``_MARGIN`` pixels at every level and all pixels that warp outside frame ``b`` are
ignored.

Gauss-Newton weighs pixels by gradient energy, so started at rest it can settle between a sharp,
high-contrast subject and a larger, softer background moving differently (a tracking shot). So every
textured 3x3 patch of a ~32-pixel copy also votes for the integer shift that matches it best; the
most voted shifts that the first fit disagrees with are refined too, and the fit that explains the
most pixels under a common robust scale wins: the motion of the largest area, not of the most contrast.

Sign conventions
----------------
Everything describes how image *content* moved from ``a`` to ``b`` on screen (the camera moves the
other way): a point at ``p`` in ``a`` appears at ``q = c + s R (p - c) + t`` in ``b``, with ``c`` the
frame centre, in image coordinates (x to the right along columns, y down along rows).

* ``dx = t_x / width`` (+ = content moves right), ``dy = t_y / height`` (+ = content moves down);
  ``t`` is where the frame centre's content went, so a zoom or roll alone gives ``dx = dy = 0``.
* ``log_scale = ln s`` (+ = content grows: a zoom-in or dolly-in look).
* ``angle``: + = content turns counter-clockwise as seen on screen. With y pointing down the fitted
  matrix is ``s [[cos(phi), -sin(phi)], [sin(phi), cos(phi)]]`` and ``phi = atan2(M[1, 0], M[0, 0])``
  is clockwise on screen, so ``angle = -phi``; equivalently ``R = [[cos(angle), sin(angle)],
  [-sin(angle), cos(angle)]]`` above. A camera rolling clockwise makes the content turn
  counter-clockwise (``angle > 0``).

A frame that is too flat to measure (constant, or with no gradients after normalisation) yields a zero
step with ``residual = 0`` and ``inliers = 1``: the degenerate directions of the normal equations are
damped to zero. Use :attr:`MotionTrack.texture` to tell "static" from "cannot tell".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["MotionTrack", "Step", "estimate_step", "track_motion"]

_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)  # BT.709 weights, for [0, 255] RGB
_MARGIN = 2  # pixels ignored at each level's border: central differences and codec edge artefacts
_MIN_SIDE = 16  # the coarsest pyramid level keeps at least this many pixels on its shorter side
_MIN_INPUT_SIDE = 2 * _MARGIN + 4  # smallest frame side estimate_step accepts
_MIN_VALID = 32  # fewer overlapping pixels than this: stop refining (the overlap is nearly gone)
_TUKEY_C = 4.685  # 95% efficiency under Gaussian noise
_MAD_TO_SIGMA = 1.4826
_SIGMA_FLOOR = 1e-2  # normalised units: residuals under 1% of the contrast are a match (interpolation error)
_MAD_SAMPLES = 2048  # the robust scale is taken from a strided subsample of at most this many pixels
# A level is done when an update moves no pixel by more than this many of its pixels; coarse levels only
# need to land within the finer level's reach.
_STOP_PX_FINE = 5e-3
_STOP_PX_COARSE = 5e-2
_SUPPORT_K = 2.5  # |r| / sigma below which a pixel counts as explained when two fits are compared
_VOTE_SIDE = 48  # patch votes for starting translations are cast on a copy at most this long
_VOTE_REACH = 0.15  # and reach this fraction of its longer side
_VOTE_MAX_RADIUS = 8
_VOTE_PEAKS = 2  # at most this many proposals
_PEAK_RATIO = 0.3  # a second proposal needs this fraction of the first one's votes
_ALT_PX = 0.75  # a proposal within this many coarsest-level pixels of the first fit is not tried again
_CHUNK = 4096  # pixels per matrix product: 7 * 7 * 4096 stays under OpenBLAS's threading threshold
_MOTION_FIELDS = ("dx", "dy", "log_scale", "angle")


@dataclass(frozen=True)
class Step:
    """How image content moved from one frame to the next (content coordinates, not camera).

    Attributes:
        dx: Horizontal content shift of the frame centre, in fractions of the frame width
            (+ = content moves right on screen).
        dy: Vertical content shift of the frame centre, in fractions of the frame height
            (+ = content moves down on screen).
        log_scale: ``ln(scale)`` about the frame centre (+ = content grows, a zoom-in look).
        angle: Rotation of the content about the frame centre in radians, + = counter-clockwise as seen
            on screen. With image rows pointing down, the fitted matrix ``[[m00, m01], [m10, m11]]``
            acting on centred ``(x, y)`` pixel coordinates gives ``angle = -atan2(m10, m00)``.
        residual: Robust RMS photometric error after alignment, ``sqrt(sum(w r^2) / sum(w))`` with the
            final IRLS weights, in units of frame ``a``'s intensity standard deviation.
        inliers: Fraction of the overlapping pixels with IRLS weight > 0.5 in the final fit.
    """

    dx: float
    dy: float
    log_scale: float
    angle: float
    residual: float
    inliers: float


@dataclass(frozen=True, eq=False)
class MotionTrack:
    """Per-step global motion of a clip (see :class:`Step` for units and signs).

    Attributes:
        fps: Frame rate of the frames that were measured (after any sampling).
        dx: Horizontal content shift per step, fractions of the width, shape ``(T - 1,)``.
        dy: Vertical content shift per step, fractions of the height.
        log_scale: ``ln(scale)`` per step.
        angle: Counter-clockwise content rotation per step, radians.
        residual: Robust RMS photometric error per step (normalised intensity units).
        inliers: Fraction of overlapping pixels that the robust fit kept, per step.
        texture: Mean gradient magnitude of the working-resolution luma scaled to [0, 1], in intensity
            per working pixel, averaged over all frames. Near 0 (below roughly 0.002) the frames are too
            flat for the motion to mean anything; the textured synthetic clips of the tests give about 0.01.
    """

    fps: float
    dx: np.ndarray
    dy: np.ndarray
    log_scale: np.ndarray
    angle: np.ndarray
    residual: np.ndarray
    inliers: np.ndarray
    texture: float

    @property
    def n_steps(self) -> int:
        """Number of measured steps, ``T - 1``."""
        return int(self.dx.shape[0])

    @property
    def duration(self) -> float:
        """Seconds the steps span, ``n_steps / fps``."""
        return self.n_steps / self.fps

    def totals(self) -> dict[str, float]:
        """Sums over all steps of ``dx``, ``dy``, ``log_scale`` and ``angle``.

        Scale and angle compose exactly by addition; the translation sum is the first-order total
        (it ignores that a later zoom or roll also moves an earlier shift).
        """
        return {name: float(np.sum(getattr(self, name))) for name in _MOTION_FIELDS}

    def rates(self) -> dict[str, float]:
        """Mean per-second rates: :meth:`totals` divided by :attr:`duration`."""
        return {name: value / self.duration for name, value in self.totals().items()}

    def cumulative(self) -> dict[str, np.ndarray]:
        """Running sums from the first frame, each of shape ``(T,)`` and starting at 0."""
        return {name: np.concatenate([[0.0], np.cumsum(getattr(self, name))]) for name in _MOTION_FIELDS}

    def step(self, index: int) -> Step:
        """The ``index``-th step (from frame ``index`` to ``index + 1``) as a :class:`Step`."""
        return Step(*(float(getattr(self, name)[index]) for name in (*_MOTION_FIELDS, "residual", "inliers")))


@dataclass(frozen=True)
class _Template:
    """One pyramid level of the template frame, with everything inverse-compositional LK precomputes."""

    shape: tuple[int, int]
    image: np.ndarray  # the whole level, for the patch votes
    xs: np.ndarray  # (N,) centred x of the interior pixels
    ys: np.ndarray  # (N,) centred y
    values: np.ndarray  # (N,) template intensities
    design: np.ndarray  # (7, N) steepest-descent images a, b, tx, ty, gain, bias; row 6 is scratch for the error
    reach: float  # half-diagonal: how far a unit change of a or b moves the farthest pixel


def estimate_step(a: np.ndarray, b: np.ndarray, *, levels: int = 3, iterations: int = 8) -> Step:
    """Estimate the similarity that maps frame ``a``'s content onto frame ``b``.

    Args:
        a: ``(H, W)`` grayscale frame, any real dtype and range (converted to float32).
        b: Next frame, same shape as ``a``.
        levels: Pyramid levels (fewer are used when the coarsest would be under 16 pixels).
        iterations: Maximum Gauss-Newton iterations per level; a level stops early once an update
            moves no pixel by more than 0.005 pixel (0.05 on coarser levels).

    Returns:
        The :class:`Step` from ``a`` to ``b``; a zero step with ``residual = 0`` when both are flat.

    Raises:
        ValueError: For non-2-D, mismatched, too small, non-numeric or non-finite frames, or
            ``levels``/``iterations`` below 1.
    """
    a32 = _check_gray(a, "a")
    b32 = _check_gray(b, "b")
    if a32.shape != b32.shape:
        raise ValueError(f"frames a and b must have the same shape, got {a32.shape} and {b32.shape}")
    if levels < 1 or iterations < 1:
        raise ValueError(f"levels and iterations must be >= 1, got levels={levels}, iterations={iterations}")
    scale = max(float(np.max(np.abs(a32))), float(np.max(np.abs(b32))), 1e-30)
    floor = 1e-5 * scale  # relative: the input range is unknown
    n_levels = _usable_levels(a32.shape, levels)
    pyr_a = _pyramid(_normalise(a32, floor), n_levels)
    pyr_b = _pyramid(_normalise(b32, floor), n_levels)
    return _estimate([_template(level) for level in pyr_a], pyr_b, iterations)


def track_motion(frames: np.ndarray, fps: float, *, size: int = 128) -> MotionTrack:
    """Estimate the global motion of every consecutive pair of frames.

    Frames are converted to BT.709 luma in [0, 1] and box-averaged by the integer factor that brings the
    longer side closest to ``size`` pixels (never upsampled; the few rows and columns the factor does not
    divide are cropped evenly from both sides, and shifts are still reported in fractions of the full
    frame). Each frame's pyramid and template are built once and reused for the two steps it takes
    part in.

    Args:
        frames: ``(T, H, W, 3)`` uint8 RGB frames, ``T >= 2``.
        fps: Frame rate of ``frames`` (used for :meth:`MotionTrack.rates`), > 0.
        size: Working resolution of the longer side, >= 16.

    Returns:
        A :class:`MotionTrack` with ``T - 1`` steps.

    Raises:
        ValueError: For a wrong shape or dtype, fewer than 2 frames, frames too small, a non-positive
            frame rate or a ``size`` below 16.
    """
    if not isinstance(frames, np.ndarray) or frames.ndim != 4 or frames.shape[-1] != 3:
        shape = getattr(frames, "shape", None)
        raise ValueError(f"frames must be a (T, H, W, 3) RGB array, got shape {shape}")
    if frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 RGB, got dtype {frames.dtype}")
    n_frames, height, width = frames.shape[:3]
    if n_frames < 2:
        raise ValueError(f"track_motion needs at least 2 frames, got {n_frames}")
    if not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive finite number, got {fps}")
    if size < _MIN_SIDE:
        raise ValueError(f"size must be >= {_MIN_SIDE}, got {size}")
    factor = max(1, round(max(height, width) / size))
    out_h, out_w = height // factor, width // factor
    if min(out_h, out_w) < _MIN_INPUT_SIDE:
        raise ValueError(
            f"frames of {height}x{width} are too small to measure motion at working size {out_h}x{out_w} "
            f"(each side needs >= {_MIN_INPUT_SIDE} pixels)"
        )
    luma = _working_luma(frames, factor)

    n_levels = _usable_levels((out_h, out_w), 3)
    floor = 1e-3  # luma in [0, 1]: below ~1/4 grey level of contrast a frame counts as flat
    pyramids = [_pyramid(_normalise(frame, floor), n_levels) for frame in luma]
    values = np.zeros((6, n_frames - 1), dtype=np.float64)
    for k in range(n_frames - 1):
        step = _estimate([_template(level) for level in pyramids[k]], pyramids[k + 1], 8)
        values[:, k] = (step.dx, step.dy, step.log_scale, step.angle, step.residual, step.inliers)
    # Shifts were measured in fractions of the centre-cropped working frame; report them in the full frame's.
    values[0] *= out_w * factor / width
    values[1] *= out_h * factor / height
    values.flags.writeable = False  # the track is frozen; its arrays are views of this one
    return MotionTrack(float(fps), *values, texture=_texture(luma))


def _check_gray(frame: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(frame, np.ndarray) or frame.ndim != 2:
        raise ValueError(f"frame {name} must be a 2-D (H, W) array, got shape {getattr(frame, 'shape', None)}")
    if not (np.issubdtype(frame.dtype, np.floating) or np.issubdtype(frame.dtype, np.integer)):
        raise ValueError(f"frame {name} must be real-valued, got dtype {frame.dtype}")
    if min(frame.shape) < _MIN_INPUT_SIDE:
        raise ValueError(f"frame {name} is {frame.shape[0]}x{frame.shape[1]}; each side needs >= {_MIN_INPUT_SIDE}")
    out = np.asarray(frame, dtype=np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"frame {name} contains NaN or infinite values")
    return out


def _working_luma(frames: np.ndarray, factor: int) -> np.ndarray:
    """BT.709 luma in [0, 1], box-averaged over ``factor`` x ``factor`` blocks of a centre crop.

    Integer sums instead of matrix products: no BLAS call, whose threads stall on a busy machine.
    """
    n_frames, height, width = frames.shape[:3]
    out_h, out_w = height // factor, width // factor
    y0, x0 = (height - out_h * factor) // 2, (width - out_w * factor) // 2
    weights = _LUMA / np.float32(255.0 * factor * factor)
    luma = np.empty((n_frames, out_h, out_w), dtype=np.float32)
    for k in range(n_frames):
        crop = frames[k, y0 : y0 + out_h * factor, x0 : x0 + out_w * factor]
        if factor > 1:
            rows = crop.reshape(out_h, factor, -1).sum(axis=1, dtype=np.uint32)
            crop = rows.reshape(out_h, out_w, factor, 3).sum(axis=2)
        rgb = crop.astype(np.float32)
        luma[k] = rgb[..., 0] * weights[0] + rgb[..., 1] * weights[1] + rgb[..., 2] * weights[2]
    return luma


def _texture(luma: np.ndarray) -> float:
    gx = 0.5 * (luma[:, 1:-1, 2:] - luma[:, 1:-1, :-2])
    gy = 0.5 * (luma[:, 2:, 1:-1] - luma[:, :-2, 1:-1])
    return float(np.mean(np.sqrt(gx * gx + gy * gy)))


def _normalise(frame: np.ndarray, floor: float) -> np.ndarray:
    """Zero mean, unit standard deviation (a flat frame stays ~flat thanks to the floor)."""
    centred = frame - np.float32(frame.mean(dtype=np.float64))
    std = float(np.sqrt(np.mean(np.square(centred, dtype=np.float32), dtype=np.float64)))
    return centred * np.float32(1.0 / max(std, floor))


def _usable_levels(shape: tuple[int, ...], levels: int) -> int:
    n = 1
    while n < levels and min(shape) // 2**n >= _MIN_SIDE:
        n += 1
    return n


def _blur(img: np.ndarray) -> np.ndarray:
    """Separable [1, 2, 1] / 4 blur with replicated edges (written out: np.pad costs more than the blur)."""
    rows = np.empty_like(img)
    rows[:, 1:-1] = img[:, :-2] + img[:, 2:] + 2.0 * img[:, 1:-1]
    rows[:, 0] = 3.0 * img[:, 0] + img[:, 1]
    rows[:, -1] = 3.0 * img[:, -1] + img[:, -2]
    out = np.empty_like(img)
    out[1:-1] = rows[:-2] + rows[2:] + 2.0 * rows[1:-1]
    out[0] = 3.0 * rows[0] + rows[1]
    out[-1] = 3.0 * rows[-1] + rows[-2]
    out *= np.float32(1.0 / 16.0)
    return out


def _down2(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[0] // 2 * 2, img.shape[1] // 2 * 2
    x = img[:h, :w]
    return (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2]) * np.float32(0.25)


def _pyramid(img: np.ndarray, levels: int) -> list[np.ndarray]:
    """Finest first; the blur keeps gradients smooth enough for Gauss-Newton's linearisation."""
    pyr = [_blur(img)]
    for _ in range(1, levels):
        pyr.append(_blur(_down2(pyr[-1])))
    return pyr


def _template(img: np.ndarray) -> _Template:
    h, w = img.shape
    m = _MARGIN
    inner = img[m : h - m, m : w - m]
    gx = 0.5 * (img[m : h - m, m + 1 : w - m + 1] - img[m : h - m, m - 1 : w - m - 1])
    gy = 0.5 * (img[m + 1 : h - m + 1, m : w - m] - img[m - 1 : h - m - 1, m : w - m])
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    ys, xs = np.meshgrid(
        np.arange(m, h - m, dtype=np.float32) - np.float32(cy),
        np.arange(m, w - m, dtype=np.float32) - np.float32(cx),
        indexing="ij",
    )
    xs, ys, gx, gy = xs.ravel(), ys.ravel(), gx.ravel(), gy.ravel()
    values = inner.ravel().copy()
    # Jacobian of the increment at zero: dx'/d(a, b, tx, ty) = (x, -y, 1, 0), dy'/d(...) = (y, x, 0, 1).
    design = np.stack([gx * xs + gy * ys, gy * xs - gx * ys, gx, gy, values, np.ones_like(values), values])
    return _Template((h, w), img, xs, ys, values, design, math.hypot(cx, cy))


def _sample(img: np.ndarray, xq: np.ndarray, yq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear samples of ``img`` at absolute pixel coordinates, and which ones fell inside it."""
    h, w = img.shape
    valid = (xq >= 0) & (xq <= w - 1) & (yq >= 0) & (yq <= h - 1)
    xc = np.clip(xq, 0, w - 1.001)
    yc = np.clip(yq, 0, h - 1.001)
    x0 = xc.astype(np.intp)
    y0 = yc.astype(np.intp)
    fx = xc - x0
    fy = yc - y0
    idx = y0 * w + x0
    flat = img.ravel()
    v00, v01 = flat.take(idx), flat.take(idx + 1)
    v10, v11 = flat.take(idx + w), flat.take(idx + w + 1)
    top = v00 + fx * (v01 - v00)
    bottom = v10 + fx * (v11 - v10)
    return top + fy * (bottom - top), valid


def _robust_weights(r: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, float]:
    """Tukey IRLS weights (zero outside the overlap) and the robust scale they used."""
    mag = np.abs(r)
    inside = mag[valid]
    if inside.size > _MAD_SAMPLES:
        inside = inside[:: inside.size // _MAD_SAMPLES]
    half = inside.size // 2
    mad = float(np.partition(inside, half)[half]) if inside.size else 0.0
    sigma = max(_MAD_TO_SIGMA * mad, _SIGMA_FLOOR)
    u2 = np.square(mag * np.float32(1.0 / (_TUKEY_C * sigma)))
    weights = np.square(np.maximum(np.float32(1.0) - u2, np.float32(0.0)))
    weights *= valid
    return weights, sigma


def _normal_equations(design: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``design @ diag(weights) @ design.T`` in float64, in chunks OpenBLAS runs on one thread.

    OpenBLAS threads a product once m * n * k exceeds 262144; for these 7 x 7 x N products the threads' wake-up
    costs more than the work, and on a machine whose cores are busy it was measured 10x slower overall.
    """
    out = np.zeros((7, 7), dtype=np.float64)
    for lo in range(0, design.shape[1], _CHUNK):
        part = design[:, lo : lo + _CHUNK]
        out += (part * weights[lo : lo + _CHUNK]) @ part.T
    return out


def _solve(normal: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve the 6x6 normal equations; directions without information (flat frames) are damped to 0."""
    normal = normal.copy()
    diag = np.diag(normal).copy()
    normal[np.diag_indices(6)] += 1e-7 * diag + 1e-9 * (diag.sum() / 6.0) + 1e-12
    return np.linalg.solve(normal, rhs)


@dataclass(frozen=True)
class _Fit:
    """A converged warp ``z -> s z + t`` (complex, centred level-0 pixels) and how well it explains b."""

    s: complex
    t: complex
    residual: float
    inliers: float
    sigma: float  # robust residual scale of the last iteration
    abs_r: np.ndarray  # |residual| per level-0 template pixel, inf outside the overlap

    def support(self, sigma: float) -> int:
        """Pixels this warp explains to within the inlier band of a common scale ``sigma``."""
        return int(np.count_nonzero(self.abs_r < _SUPPORT_K * sigma))


def _estimate(templates: list[_Template], images: list[np.ndarray], iterations: int) -> Step:
    """Refine from rest, then from each well-voted shift the result disagrees with; the best-supported fit wins.

    Gauss-Newton weighs pixels by gradient energy, so a high-contrast subject can pull a fit started at
    rest into a compromise with a softer, larger background. Patch votes give the translations that
    large areas follow; the fit that explains the most pixels under a common robust scale wins.
    """
    best = _refine(templates, images, iterations, 0j)
    level = len(templates) - 1
    for peak in _vote_peaks(templates[level].image, images[level]):
        start = peak * 2**level
        if abs(start - best.t) <= _ALT_PX * 2**level:
            continue
        alt = _refine(templates, images, iterations, start)
        sigma = min(best.sigma, alt.sigma)
        if alt.support(sigma) > best.support(sigma):
            best = alt
    height, width = templates[0].shape
    s, t = best.s, best.t
    if not (math.isfinite(abs(s)) and math.isfinite(abs(t))) or abs(s) == 0.0:
        return Step(0.0, 0.0, 0.0, 0.0, best.residual, best.inliers)
    # phi = arg(s) is clockwise on screen because image y points down; report counter-clockwise.
    angle = 0.0 - math.atan2(s.imag, s.real)  # 0.0 - x, not -x: no negative zero for a still frame
    return Step(t.real / width, t.imag / height, math.log(abs(s)), angle, best.residual, best.inliers)


def _vote_peaks(a: np.ndarray, b: np.ndarray) -> list[complex]:
    """Translations ``x + iy`` (pixels of ``a``'s level) that most small patches of ``a`` prefer in ``b``.

    On a coarse copy (longer side <= ``_VOTE_SIDE``) every textured 3x3 patch of ``a`` votes for the integer
    shift whose patch in ``b`` matches it best, so a proposal's weight is the area that moves that way, not
    its contrast. Shifts that take a patch outside ``b`` cannot win its vote.
    """
    factor = 1
    while max(a.shape) > _VOTE_SIDE and min(a.shape) >= 2 * _MIN_INPUT_SIDE:
        a, b, factor = _down2(a), _down2(b), factor * 2
    h, w = a.shape
    radius = min(max(1, round(_VOTE_REACH * max(h, w))), _VOTE_MAX_RADIUS)  # the cap bounds memory for odd shapes
    n = 2 * radius + 1
    padded = np.pad(b, radius, constant_values=np.float32(1e6))  # out of frame: never the best match
    sq = np.lib.stride_tricks.sliding_window_view(padded, (n, n)) - a[:, :, None, None]  # (h, w, n, n)
    np.square(sq, out=sq)
    rows = sq[:-2] + sq[1:-1]
    rows += sq[2:]
    ssd = rows[:, :-2] + rows[:, 1:-1]
    ssd += rows[:, 2:]
    ssd = ssd.reshape(-1, n * n)
    # A flat patch matches everything about equally well: it has no vote to give.
    patches = np.lib.stride_tricks.sliding_window_view(a, (3, 3)).reshape(-1, 9)
    texture = patches.var(axis=1)
    textured = texture > 0.1 * float(np.median(texture)) + 1e-6
    if not np.any(textured):
        return []
    votes = np.bincount(np.argmin(ssd[textured], axis=1), minlength=n * n).reshape(n, n)
    peaks: list[complex] = []
    first = 0
    for _ in range(_VOTE_PEAKS):
        k = int(np.argmax(votes))
        count = int(votes.flat[k])
        if count == 0 or count < _PEAK_RATIO * first:
            break
        first = max(first, count)
        y, x = divmod(k, n)
        peaks.append(complex(x - radius, y - radius) * factor)
        votes[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2] = 0  # neighbours share a sub-pixel motion
    return peaks


def _refine(templates: list[_Template], images: list[np.ndarray], iterations: int, start: complex) -> _Fit:
    """Coarse-to-fine IC Lucas-Kanade from the translation ``start`` (level-0 pixels)."""
    coarsest = len(templates) - 1
    s, t = 1.0 + 0.0j, start / 2**coarsest
    gain = bias = 0.0
    residual, inliers, sigma = 0.0, 1.0, _SIGMA_FLOOR
    abs_r = np.full(templates[0].values.shape, np.inf, dtype=np.float32)
    for level in range(coarsest, -1, -1):
        tpl, img = templates[level], images[level]
        if level < coarsest:
            # Centred coordinates: one coarse pixel is two fine ones (an odd side cropped by _down2 moves the
            # centre by half a pixel, which only affects this starting point).
            t *= 2.0
        cx, cy = (tpl.shape[1] - 1) / 2.0, (tpl.shape[0] - 1) / 2.0
        stop = _STOP_PX_FINE if level == 0 else _STOP_PX_COARSE
        for _ in range(iterations):
            xq = np.float32(s.real) * tpl.xs - np.float32(s.imag) * tpl.ys + np.float32(t.real + cx)
            yq = np.float32(s.imag) * tpl.xs + np.float32(s.real) * tpl.ys + np.float32(t.imag + cy)
            warped, valid = _sample(img, xq, yq)
            n_valid = int(np.count_nonzero(valid))
            if n_valid < _MIN_VALID:
                break
            err = warped - tpl.values
            r = err - np.float32(gain) * tpl.values - np.float32(bias)
            weights, sigma = _robust_weights(r, valid)
            total = float(weights.sum(dtype=np.float64))
            residual = math.sqrt(float((weights * r * r).sum(dtype=np.float64)) / total) if total > 0 else 0.0
            inliers = float(np.count_nonzero(weights > 0.5)) / n_valid
            if level == 0:
                abs_r = np.where(valid, np.abs(r), np.float32(np.inf))
            tpl.design[6] = err
            products = _normal_equations(tpl.design, weights)
            delta = _solve(products[:6, :6], products[:6, 6])
            if not np.all(np.isfinite(delta)):
                break
            gain, bias = float(delta[4]), float(delta[5])
            ds = complex(1.0 + delta[0], delta[1])
            dt = complex(delta[2], delta[3])
            # Inverse composition: W(p) o W(dp)^-1, z -> s (z - dt) / ds + t.
            s, t = s / ds, t - s * dt / ds
            if abs(dt) + abs(ds - 1.0) * tpl.reach < stop:
                break
    return _Fit(s, t, residual, inliers, sigma, abs_r)
