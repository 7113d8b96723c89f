"""The probe on clips it was not calibrated on: real photographs put through real photographic operations.

The probe's points were first set on the ``synthetic`` renderer's clips. Here every (leaf, value) that
:data:`scine_eval.probes.independent.CASES` covers is checked on matched pairs made from photographs bundled
in scikit-image and matplotlib (exposure, gamma, film contrast, white balance, regular and irregular light,
rolls either way, a static cant): the clip that follows the control must score higher than its violator.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skimage")
pytest.importorskip("matplotlib")

from scine_eval.contracts.judge import JudgeItem  # noqa: E402
from scine_eval.judges.probe import ProbeJudge  # noqa: E402
from scine_eval.probes import independent as ind  # noqa: E402
from scine_eval.probes.light_change import light_change  # noqa: E402
from scine_eval.probes.readings import Readings  # noqa: E402
from scine_eval.suite import Prompt, Question  # noqa: E402
from scine_eval.video import sha256_file, write_video  # noqa: E402

PAIRS = 4
"""Pairs per (leaf, value): each case's first four combinations of following clip, violator and photograph."""
OPTIONS = ind.IndependentCheck(pairs=PAIRS, size=64, fps=12, seconds=3.0)
CASE_IDS = [f"{case.node}:{case.value}" for case in ind.CASES]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return ind.independent_check(ProbeJudge(fps=12), tmp_path_factory.mktemp("independent"), OPTIONS)


def test_photographs_load_from_the_installed_wheels():
    for name in ind.PHOTOS:
        photo = ind.load_photo(name)
        assert photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[2] == 3 and min(photo.shape[:2]) >= 256
        assert photo.std() > 20, name  # a real picture, not a blank placeholder
    assert set(ind.AS_SHOT_LOOK) == set(ind.PHOTOS)


def test_photographic_operations_do_what_a_camera_would():
    grey = np.full((2, 2, 3), 0.18, np.float32)
    assert np.allclose(ind.expose(grey, 1.0), 0.36) and np.allclose(ind.film_contrast(grey, 1.7), 0.18)
    assert np.allclose(ind.display_gamma(grey, 1.0), grey, atol=1e-5)
    assert ind.display_gamma(grey, 0.5).mean() > 0.18 > ind.display_gamma(grey, 2.0).mean()
    bright = np.array([[[0.05, 0.05, 0.05], [0.6, 0.6, 0.6]]], np.float32)
    assert np.ptp(ind.film_contrast(bright, 1.6)) > np.ptp(bright) > np.ptp(ind.film_contrast(bright, 0.5))
    assert np.allclose(ind.white_gains(6500.0), 1.0, atol=1e-6)
    warm, cool = ind.white_gains(3200.0), ind.white_gains(11000.0)
    assert warm[0] > warm[1] > warm[2] and cool[2] > cool[1] > cool[0]
    assert float(warm @ ind.LUMA) == pytest.approx(1.0) and float(cool @ ind.LUMA) == pytest.approx(1.0)
    assert ind.planck_xy(6500.0) == pytest.approx((0.3135, 0.3236), abs=2e-3)  # the Planckian locus, not D65


def test_light_over_time_is_steady_regular_or_irregular_as_named():
    shot = ind.Shot("astronaut", seconds=3.0, fps=12, seed=3)
    assert np.all(ind.steady(shot) == 1)
    beat = ind.pulse(shot, 1.5, 0.4)
    assert beat.min() >= 0.6 - 1e-6 and beat.max() <= 1.0 and np.ptp(beat) > 0.35
    assert sorted(set(np.round(ind.pulse(shot, 1.5, 0.4, square_wave=True).tolist(), 5))) == [0.6, 1.0]
    assert (ind.dropouts(shot, 0.5, 0.2) < 1).sum() >= 2 and ind.flame(shot, 0.4).std() > 0.02
    assert np.all(np.diff(ind.drift(shot, 1.0)) >= 0) and ind.drift(shot, 1.0)[-1] == pytest.approx(2.0)


def test_a_beat_reads_regular_and_a_random_flicker_irregular():
    """The light-change reading on the level alone: a sinusoid's fit tells a pulse from a flicker on 3 s."""
    fps, rng = 12.0, np.random.default_rng(0)
    t = np.arange(36) / fps
    frames = lambda level: np.broadcast_to(level[:, None, None], (36, 4, 4)).astype(np.float32)  # noqa: E731
    for hz in (0.8, 1.5, 2.5):
        change = light_change(frames(0.5 - 0.1 * np.cos(2 * np.pi * hz * t)), fps)
        assert change.periodicity > 0.9 and change.period == pytest.approx(1 / hz, rel=0.1)
        assert change.pulse > 0.9 and change.flicker < 0.1
    for _ in range(5):
        change = light_change(frames(0.5 - 0.1 * rng.random(36)), fps)
        assert change.periodicity < 0.6 and change.flicker > 0.4
    steady = light_change(frames(np.full(36, 0.5) + rng.normal(0, 1e-4, 36)), fps)
    assert steady.visible == 0 and steady.flicker == 0 and steady.pulse == 0


@pytest.mark.parametrize("degrees", [20.0, -20.0])
def test_a_turned_photograph_reads_as_a_roll_the_way_it_turns(degrees):
    frames = ind.roll(ind.Shot("rocket", size=64, seconds=2.0, fps=12, seed=1), degrees)
    signed, reason = Readings(frames, 12.0).get("roll_clockwise")
    assert reason is None and signed == pytest.approx(degrees, rel=0.2)  # the sign is what a direction needs


def test_the_pairs_span_violators_and_photographs():
    case = next(c for c in ind.CASES if c.value == "flickering")
    pairs = case.pairs(8)
    assert {v.name for _, v, _ in pairs} == {v.name for v in case.violates}
    assert {f.name for f, _, _ in pairs} == {f.name for f in case.follows} and {p for *_, p in pairs} == set(ind.PHOTOS)
    neutral = next(c for c in ind.CASES if c.value == "neutral")
    assert len(set(neutral.pairs(8))) == 8 and {p for *_, p in neutral.pairs(8)} == set(ind.NEUTRAL_AS_SHOT)
    assert {p for *_, p in neutral.pairs(8, ind.HELD_OUT_PHOTOS)} == set(ind.HELD_OUT_PHOTOS)


@pytest.mark.parametrize("case", ind.CASES, ids=CASE_IDS)
def test_the_probe_ranks_the_following_clip_first(report, case):
    tally = report["nodes"][case.node]["values"][case.value]
    wrong = [p for p in report["pairs"] if (p["node"], p["value"]) == (case.node, case.value)
             and p["outcome"] not in ("correct", "abstained")]  # fmt: skip
    assert tally["pairs"] == PAIRS and not wrong, wrong
    # Only the dutch angle may abstain: a photograph with no lines to stand against (the coffee) gives no reading.
    assert tally["abstained"] == 0 or case.value == "dutch"
    assert tally["correct"] >= PAIRS - 1


def test_the_report_is_tallied_like_judge_check(report):
    assert report["judge"] == "probe" and report["pairs_per_value"] == PAIRS
    assert report["clip"] == {"size": 64, "fps": 12, "seconds": 3.0}
    for node in report["nodes"].values():
        assert node["pairs"] == sum(v["pairs"] for v in node["values"].values())
        assert node["accuracy"] == pytest.approx(node["correct"] / (node["pairs"] - node["abstained"]))
    roll = next(p for p in report["pairs"] if p["value"] == "roll")
    assert roll["compliant"]["raw"]["clockwise_degrees"] != 0


def test_a_direction_the_probe_cannot_tell_is_abstained_on(tmp_path, taxonomy):
    from dataclasses import replace

    node = replace(ind.ROLL_DIRECTION, values=("roll left", "roll clockwise"))
    path = write_video(tmp_path / "roll.mp4", ind.roll(ind.Shot("rocket", 64, 12, 2.0, 0), 20.0), fps=12)
    prompt = Prompt(id="p", text="a shot", suite="visuals")
    items = [JudgeItem(path, sha256_file(path), 0, prompt, Question(id=f"p:{v}", prompt_id="p", node_id=node.id,
                                                                     value=v, text=v), node, "default")
             for v in node.values]  # fmt: skip
    judge = ProbeJudge(fps=12)
    left, clockwise = judge.score(items)
    assert left.score is None and "left and right" in left.reason
    assert clockwise.score == 5.0 and clockwise.raw["reading"] == "roll_clockwise"
    assert judge.covers(node) and not judge.covers(taxonomy["camera.intrinsics.lens_size"])


@pytest.mark.xfail(strict=True, reason="known miss: the horizon reading follows the dominant lines, and the "
                   "cameraman's tripod legs and coat outweigh the horizon, so the level photograph reads ~29 degrees")
def test_a_canted_cameraman_outranks_the_level_one(tmp_path):
    """Recorded so that a better horizon reading shows up here (strict: an unexpected pass fails)."""
    options = ind.IndependentCheck(pairs=2, size=96, photos=("cameraman",),
                                   cases=[c for c in ind.CASES if c.value == "dutch"])  # fmt: skip
    report = ind.independent_check(ProbeJudge(fps=12), tmp_path, options)
    assert report["nodes"]["camera.extrinsics.angle"]["correct"] == 2
