"""Tests of scine_eval.probes.motion: recovery of known similarity motions, robustness, signs, edge cases.

Test frames are rendered analytically (a sum of random Gaussian blobs evaluated at exactly warped
coordinates), so the ground truth involves no interpolation and is independent of the module's sampler.
A point ``p`` of the first frame appears at ``c + s R (p - c) + t`` in the second, with ``c`` the frame
centre, image coordinates (y down) and ``R = [[cos, sin], [-sin, cos]]`` turning content counter-clockwise
on screen for a positive angle.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scine_eval.probes.motion import MotionTrack, Step, estimate_step, track_motion

DEG = math.pi / 180.0


class Scene:
    """Smooth random texture defined everywhere (also outside the frame), scaled to a reference size."""

    def __init__(self, seed: int, size: float, n: int = 240) -> None:
        rng = np.random.default_rng(seed)
        self.cx = (rng.uniform(-0.3, 1.3, n) * size).astype(np.float32)
        self.cy = (rng.uniform(-0.3, 1.3, n) * size).astype(np.float32)
        sigma = np.exp(rng.uniform(math.log(0.012), math.log(0.08), n)) * size
        self.inv_two_var = (-0.5 / sigma**2).astype(np.float32)
        self.amp = rng.uniform(-1.0, 1.0, n).astype(np.float32)

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        # float32 halves the cost of the exponentials; 1e-5 px of coordinate precision is plenty here.
        x, y = x.astype(np.float32)[None], y.astype(np.float32)[None]
        out = np.zeros(x.shape[1:], dtype=np.float64)
        for k in range(0, len(self.amp), 40):
            sl = slice(k, k + 40)
            d2 = np.square(x - self.cx[sl, None, None]) + np.square(y - self.cy[sl, None, None])
            out += np.einsum("k,khw->hw", self.amp[sl], np.exp(d2 * self.inv_two_var[sl, None, None]))
        return out


def render(scene: Scene, h: int, w: int, dx=0.0, dy=0.0, log_scale=0.0, angle=0.0) -> np.ndarray:
    """The scene after a content motion (dx, dy in fractions of width/height; angle counter-clockwise)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    qx, qy = x - cx - dx * w, y - cy - dy * h
    s, c, si = math.exp(log_scale), math.cos(angle), math.sin(angle)
    # Inverse of q = c + s R (p - c) + t: p = c + R^T (q - c - t) / s.
    return scene(cx + (c * qx - si * qy) / s, cy + (si * qx + c * qy) / s)


def gray(scene: Scene, h: int, w: int, motion=(0.0, 0.0, 0.0, 0.0)) -> np.ndarray:
    return (120.0 + 45.0 * render(scene, h, w, *motion)).astype(np.float32)


def errors(step: Step, motion) -> tuple[float, float, float, float]:
    """Absolute errors: dx, dy, log_scale, and the angle in degrees."""
    dx, dy, log_scale, angle = motion
    return (
        abs(step.dx - dx),
        abs(step.dy - dy),
        abs(step.log_scale - log_scale),
        abs(step.angle - angle) / DEG,
    )


def assert_recovered(step: Step, motion, *, shift=0.003, scale=0.003, degrees=0.15) -> None:
    ex, ey, es, ea = errors(step, motion)
    assert ex < shift and ey < shift, (step, motion)
    assert es < scale, (step, motion)
    assert ea < degrees, (step, motion)
    assert np.isfinite([step.residual, step.inliers]).all()


@pytest.fixture(scope="module")
def scene128() -> Scene:
    return Scene(11, 128)


@pytest.fixture(scope="module")
def frame128(scene128) -> np.ndarray:
    return gray(scene128, 128, 128)


MOTIONS_128 = [
    pytest.param((0.06, 0.0, 0.0, 0.0), id="right-6%"),
    pytest.param((-0.06, 0.0, 0.0, 0.0), id="left-6%"),
    pytest.param((0.0, 0.06, 0.0, 0.0), id="down-6%"),
    pytest.param((0.0, -0.045, 0.0, 0.0), id="up-4.5%"),
    pytest.param((0.013, -0.027, 0.0, 0.0), id="diagonal-subpixel"),
    pytest.param((0.0, 0.0, math.log(1.05), 0.0), id="zoom-in-5%"),
    pytest.param((0.0, 0.0, math.log(0.95), 0.0), id="zoom-out-5%"),
    pytest.param((0.0, 0.0, 0.0, 3 * DEG), id="roll-ccw-3deg"),
    pytest.param((0.0, 0.0, 0.0, -3 * DEG), id="roll-cw-3deg"),
    pytest.param((0.0, 0.0, 0.0, 0.4 * DEG), id="roll-0.4deg"),
    pytest.param((0.05, -0.04, math.log(1.04), 2.5 * DEG), id="combined-a"),
    pytest.param((-0.06, 0.06, math.log(0.95), -3 * DEG), id="combined-b"),
    pytest.param((0.0, 0.0, 0.0, 0.0), id="static"),
]


@pytest.mark.parametrize("motion", MOTIONS_128)
def test_recovers_similarity_128(scene128, frame128, motion):
    step = estimate_step(frame128, gray(scene128, 128, 128, motion))
    assert_recovered(step, motion)
    assert step.inliers > 0.9
    assert step.residual < 0.05  # normalised units: the exact warp leaves only interpolation error


@pytest.mark.parametrize(
    "motion",
    [(0.06, -0.03, 0.0, 0.0), (0.0, 0.0, math.log(1.05), -3 * DEG), (-0.04, 0.05, math.log(0.96), 2 * DEG)],
)
def test_recovers_similarity_256(motion):
    scene = Scene(23, 256)
    step = estimate_step(gray(scene, 256, 256), gray(scene, 256, 256, motion))
    assert_recovered(step, motion)


def test_sign_convention_with_np_roll(frame128):
    # Independent of render(): rolling columns forward moves content right; rows forward moves it down.
    right = estimate_step(frame128, np.roll(frame128, 5, axis=1))
    down = estimate_step(frame128, np.roll(frame128, 4, axis=0))
    assert right.dx == pytest.approx(5 / 128, abs=0.001) and abs(right.dy) < 0.001
    assert down.dy == pytest.approx(4 / 128, abs=0.001) and abs(down.dx) < 0.001


def test_non_square_frames_keep_axis_units():
    scene = Scene(5, 128)
    motion = (0.05, -0.04, math.log(1.03), 2 * DEG)
    step = estimate_step(gray(scene, 72, 128), gray(scene, 72, 128, motion))
    assert_recovered(step, motion)


def test_any_intensity_range_and_dtype(scene128, frame128):
    motion = (0.03, 0.02, 0.0, 0.0)
    b = gray(scene128, 128, 128, motion)
    unit = estimate_step(frame128 / 255.0, b / 255.0)
    wide = estimate_step((frame128 * 1000.0).astype(np.float64), (b * 1000.0).astype(np.float64))
    integer = estimate_step(frame128.astype(np.uint8), b.astype(np.uint8))
    for step in (unit, wide, integer):
        assert_recovered(step, motion)
    assert unit.dx == pytest.approx(wide.dx, abs=1e-5)


def test_sensor_noise(scene128, frame128):
    rng = np.random.default_rng(7)
    motion = (0.05, -0.03, math.log(1.04), 2 * DEG)
    noisy_a = frame128 + rng.normal(0.0, 4.0, frame128.shape).astype(np.float32)
    noisy_b = gray(scene128, 128, 128, motion) + rng.normal(0.0, 4.0, frame128.shape).astype(np.float32)
    step = estimate_step(noisy_a, noisy_b)
    assert_recovered(step, motion, shift=0.001, scale=0.002, degrees=0.1)
    assert 0.05 < step.residual < 0.5  # noise of 4 grey levels on a texture of about 45


def test_brightness_drop_is_not_motion(frame128):
    step = estimate_step(frame128, 0.7 * frame128)
    assert abs(step.dx) < 0.001 and abs(step.dy) < 0.001
    assert abs(step.log_scale) < 0.001 and abs(step.angle) < 0.001
    assert step.residual < 1e-3 and step.inliers > 0.99


def test_brightness_change_during_motion(scene128, frame128):
    motion = (-0.04, 0.03, math.log(1.02), 1.5 * DEG)
    b = gray(scene128, 128, 128, motion)
    assert_recovered(estimate_step(frame128, 0.7 * b), motion)
    assert_recovered(estimate_step(frame128, 1.25 * b - 20.0), motion)


def composite(background: Scene, subject: Scene, size: int, bg_motion, fg_motion, box, contrast: float):
    """A background with a textured rectangular subject pasted over ``box`` = (y0, y1, x0, x1)."""
    frame = render(background, size, size, *bg_motion)
    patch = contrast * render(subject, size, size, *fg_motion) + 0.5
    y0, y1, x0, x1 = box
    frame[y0:y1, x0:x1] = patch[y0:y1, x0:x1]
    return (120.0 + 45.0 * frame).astype(np.float32)


def subject_box(size: int, shift_x: int = 0, shift_y: int = 0) -> tuple[int, int, int, int]:
    side = int(0.45 * size)  # about 20% of the frame
    y0, x0 = size // 4 + shift_y, size // 3 + shift_x
    return y0, y0 + side, x0, x0 + side


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_moving_subject_over_static_background(seed):
    size = 128
    background, subject = Scene(seed, size), Scene(100 + seed, size)
    still = (0.0, 0.0, 0.0, 0.0)
    a = composite(background, subject, size, still, still, subject_box(size), 1.5)
    moved = (9 / size, 4 / size, 0.0, 0.0)  # the subject walks 9 px right, 4 px down, texture and all
    b = composite(background, subject, size, still, moved, subject_box(size, 9, 4), 1.5)
    step = estimate_step(a, b)
    assert_recovered(step, still, shift=0.002, scale=0.002, degrees=0.1)
    assert 0.6 < step.inliers < 0.9  # the subject's pixels were rejected


@pytest.mark.parametrize("seed", [0, 3, 8])
@pytest.mark.parametrize("contrast", [1.0, 1.5], ids=["same-contrast", "sharper-subject"])
def test_panning_background_behind_static_subject(seed, contrast):
    # A tracking shot: the subject holds its place on screen while the background slides past. Seeds 3 and 8
    # have a soft background; with the sharper subject a fit started at rest would settle in between.
    size = 128
    background, subject = Scene(seed, size), Scene(100 + seed, size)
    pan = (0.04, -0.02, math.log(1.02), 1.5 * DEG)
    still = (0.0, 0.0, 0.0, 0.0)
    a = composite(background, subject, size, still, still, subject_box(size), contrast)
    b = composite(background, subject, size, pan, still, subject_box(size), contrast)
    assert_recovered(estimate_step(a, b), pan)


def test_flat_frames_give_a_zero_step():
    flat = np.full((64, 64), 0.5, dtype=np.float32)
    step = estimate_step(flat, flat * 0.7)
    assert step == Step(0.0, 0.0, 0.0, 0.0, step.residual, step.inliers)
    assert step.residual == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite([step.residual, step.inliers]).all()


def test_flat_to_textured_does_not_crash(frame128):
    step = estimate_step(np.zeros_like(frame128), frame128)
    values = [step.dx, step.dy, step.log_scale, step.angle, step.residual, step.inliers]
    assert np.isfinite(values).all()


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        (np.zeros((32, 32, 3), np.float32), np.zeros((32, 32, 3), np.float32), "2-D"),
        (np.zeros((32, 32), np.float32), np.zeros((32, 31), np.float32), "same shape"),
        (np.zeros((4, 32), np.float32), np.zeros((4, 32), np.float32), "each side"),
        (np.full((32, 32), np.nan, np.float32), np.zeros((32, 32), np.float32), "NaN"),
        (np.zeros((32, 32), np.complex64), np.zeros((32, 32), np.complex64), "real-valued"),
    ],
)
def test_estimate_step_rejects_bad_frames(a, b, match):
    with pytest.raises(ValueError, match=match):
        estimate_step(a, b)


def test_estimate_step_rejects_bad_options(frame128):
    with pytest.raises(ValueError, match="levels"):
        estimate_step(frame128, frame128, levels=0)


# --- track_motion -------------------------------------------------------------------------------------------


def clip(motion, n_frames: int = 4, h: int = 108, w: int = 192, seed: int = 4) -> np.ndarray:
    """``n_frames`` RGB frames whose content moves by ``motion`` every step (rendered exactly per frame).

    192x108 frames are area-averaged to 128x72 by track_motion's default ``size``.
    """
    scene = Scene(seed, w, n=160)
    frames = []
    for k in range(n_frames):
        p = render(scene, h, w, *(k * m for m in motion))
        rgb = np.stack([128 + 60 * p, 120 + 45 * p, 110 + 30 * p], axis=-1)
        frames.append(np.clip(np.rint(rgb), 0, 255).astype(np.uint8))
    return np.stack(frames)


@pytest.mark.parametrize(
    ("motion", "field", "sign"),
    [
        pytest.param((0.02, 0.0, 0.0, 0.0), "dx", 1, id="pan-content-right"),
        pytest.param((-0.02, 0.0, 0.0, 0.0), "dx", -1, id="pan-content-left"),
        pytest.param((0.0, 0.025, 0.0, 0.0), "dy", 1, id="tilt-content-down"),
        pytest.param((0.0, 0.0, math.log(1.03), 0.0), "log_scale", 1, id="zoom-in"),
        pytest.param((0.0, 0.0, math.log(0.97), 0.0), "log_scale", -1, id="zoom-out"),
        pytest.param((0.0, 0.0, 0.0, 2 * DEG), "angle", 1, id="roll-content-ccw"),
    ],
)
def test_track_motion_signs_and_values(motion, field, sign):
    frames = clip(motion)
    track = track_motion(frames, fps=24.0)
    assert isinstance(track, MotionTrack)
    fields = ("dx", "dy", "log_scale", "angle")
    for name in (*fields, "residual", "inliers"):
        values = getattr(track, name)
        assert values.shape == (len(frames) - 1,)
        assert np.isfinite(values).all()
    for name, expected in zip(fields, motion, strict=True):
        tolerance = 0.15 * DEG if name == "angle" else 0.003
        np.testing.assert_allclose(getattr(track, name), expected, atol=tolerance, err_msg=name)
    assert np.all(np.sign(getattr(track, field)) == sign)
    assert track.texture > 0.003
    assert np.all(track.inliers > 0.9)


def test_track_motion_totals_rates_cumulative():
    frames = clip((0.02, -0.01, 0.0, 0.0), n_frames=6, h=54, w=96)
    track = track_motion(frames, fps=12.0)
    assert track.n_steps == 5
    assert track.duration == pytest.approx(5 / 12.0)
    assert track.dx.shape == (5,)
    totals, rates = track.totals(), track.rates()
    assert set(totals) == set(rates) == {"dx", "dy", "log_scale", "angle"}
    assert totals["dx"] == pytest.approx(0.10, abs=0.005)
    assert totals["dy"] == pytest.approx(-0.05, abs=0.005)
    assert rates["dx"] == pytest.approx(totals["dx"] / (5 / 12.0))
    cumulative = track.cumulative()
    assert cumulative["dx"].shape == (6,) and cumulative["dx"][0] == 0.0
    assert cumulative["dx"][-1] == pytest.approx(totals["dx"])
    step = track.step(2)
    assert step.dx == track.dx[2] and step.inliers == track.inliers[2]
    with pytest.raises(ValueError):
        track.dx[0] = 1.0  # the frozen track's arrays are read-only


def test_track_motion_ignores_flicker():
    frames = clip((0.0, 0.0, 0.0, 0.0), n_frames=5)
    gains = np.array([1.0, 0.7, 1.0, 0.75, 0.95])[:, None, None, None]
    track = track_motion(np.clip(frames * gains, 0, 255).astype(np.uint8), fps=24.0)
    for name in ("dx", "dy", "log_scale"):
        assert np.abs(getattr(track, name)).max() < 0.001, name
    assert np.abs(track.angle).max() < 0.001


def test_track_motion_flat_clip():
    frames = np.full((4, 90, 160, 3), 77, dtype=np.uint8)
    track = track_motion(frames, fps=30.0)
    assert track.texture == pytest.approx(0.0, abs=1e-7)
    for name in ("dx", "dy", "log_scale", "angle", "residual"):
        np.testing.assert_allclose(getattr(track, name), 0.0, atol=1e-9, err_msg=name)
    assert np.isfinite(track.inliers).all()
    assert track.totals() == {"dx": 0.0, "dy": 0.0, "log_scale": 0.0, "angle": 0.0}


def test_track_motion_small_frames_are_not_upsampled():
    frames = clip((0.03, 0.0, 0.0, 0.0), n_frames=3, h=48, w=64)
    track = track_motion(frames, fps=8.0, size=128)
    np.testing.assert_allclose(track.dx, 0.03, atol=0.003)


def test_track_motion_crops_what_the_factor_does_not_divide():
    frames = clip((0.03, -0.02, 0.0, 0.0), n_frames=3, h=101, w=190)
    track = track_motion(frames, fps=8.0, size=64)  # factor 3: 33x63 working frames from a 99x189 crop
    np.testing.assert_allclose(track.dx, 0.03, atol=0.003)
    np.testing.assert_allclose(track.dy, -0.02, atol=0.003)


@pytest.mark.parametrize(
    ("frames", "fps", "size", "match"),
    [
        (np.zeros((1, 32, 32, 3), np.uint8), 24.0, 128, "at least 2 frames"),
        (np.zeros((3, 32, 32), np.uint8), 24.0, 128, r"\(T, H, W, 3\)"),
        (np.zeros((3, 32, 32, 4), np.uint8), 24.0, 128, r"\(T, H, W, 3\)"),
        ([[0]], 24.0, 128, r"\(T, H, W, 3\)"),
        (np.zeros((3, 32, 32, 3), np.float32), 24.0, 128, "uint8"),
        (np.zeros((3, 32, 32, 3), np.uint8), 0.0, 128, "fps"),
        (np.zeros((3, 32, 32, 3), np.uint8), float("nan"), 128, "fps"),
        (np.zeros((3, 32, 32, 3), np.uint8), 24.0, 8, "size"),
        (np.zeros((3, 6, 400, 3), np.uint8), 24.0, 128, "too small"),
    ],
)
def test_track_motion_rejects_bad_input(frames, fps, size, match):
    with pytest.raises(ValueError, match=match):
        track_motion(frames, fps, size=size)
