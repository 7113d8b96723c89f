"""Clips made without the project's renderer: real photographs put through real photographic operations.

The probe's rules were first calibrated on the ``synthetic`` renderer's clips, and judge-check on those clips
only shows that the probe agrees with the renderer. These clips come from elsewhere: photographs that
ship inside PyPI wheels (scikit-image's ``skimage.data`` and matplotlib's sample data, read from disk,
never downloaded), changed the way a camera, a light or a grade would change them:

* exposure: a gain in linear light (sRGB-decode, multiply by ``2**stops``, re-encode, clip);
* gamma: a power on the display-encoded values (a grade's midtone lift or crush);
* contrast: film's gamma, ``0.18 * (L / 0.18) ** g`` in linear light, a slope in log exposure about middle grey;
* white balance: von Kries gains in linear sRGB from a black body's white at ``kelvin`` over the one at
  6500 K (Kim et al.'s 2002 fit of the Planckian locus, not the renderer's Tanner Helland fit);
* light over time, a gain per frame in linear light: steady; a regular pulse (sine or square wave); an
  irregular flicker (a failing bulb's random drop-outs, or a flame's random level); or a slow
  auto-exposure drift, which the taxonomy says is not lighting motion;
* roll: the photograph turned about the frame centre frame by frame, either way, or canted once (a
  static dutch angle), cropped so that no corner shows; and a pan (the crop slides) as a motion that is no roll.

Every clip gets a little sensor noise and is encoded with :func:`scine_eval.video.write_video` (x264), so
the judge reads an mp4 as it would a model's video. :func:`independent_check` runs judge-check's matched
pairs on them, for any judge: per (leaf, value), pairs of clips of the same photograph, crop and noise,
one following the control and one violating it, tallied with judge-check's :class:`Tally`.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from scine_eval.contracts.judge import Judge, JudgeItem, Judgement, score_safely
from scine_eval.judge_eval.check import Tally, outcome
from scine_eval.probes.colour import SRGB_TO_XYZ
from scine_eval.probes.tone import LUMA
from scine_eval.suite import Prompt, Question
from scine_eval.taxonomy import Node, Taxonomy, load_taxonomy
from scine_eval.video import sha256_file, write_video

Linear = npt.NDArray[np.float32]
"""Linear-light RGB, ``(..., 3)``; 1.0 is diffuse white."""
Frames = npt.NDArray[np.uint8]

PHOTOS: dict[str, tuple[str, str]] = {
    "astronaut": ("skimage", "astronaut"),
    "chelsea": ("skimage", "chelsea"),
    "coffee": ("skimage", "coffee"),
    "rocket": ("skimage", "rocket"),
    "grace_hopper": ("matplotlib", "grace_hopper.jpg"),
    "motorcycle": ("skimage", "stereo_motorcycle"),
    "cameraman": ("skimage", "camera"),
}
"""Photographs bundled in installed wheels: name → (package, image). Both packages are in the ``test`` extra."""
CALIBRATION_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "grace_hopper")
"""The photographs in view when the probe's version-2 points were set."""
HELD_OUT_PHOTOS = ("motorcycle", "cameraman")
"""Photographs first measured after the points were fixed (a garage in colour, the grey cameraman outdoors)."""
AS_SHOT_LOOK: dict[str, str] = {
    "astronaut": "neutral",
    "chelsea": "warm",
    "coffee": "warm",
    "rocket": "night",
    "grace_hopper": "neutral",
    "motorcycle": "neutral",
    "cameraman": "neutral",
}
"""How each photograph looks as shot, which decides the pairs it can serve in. The two official portraits are
lit neutrally (studio light); the cat and the coffee are warm (fur, wood, a tungsten cast), so cooling them
does not make a cool shot; the rocket is a dark blue dusk with sodium lamps, so it is no normal key. The
garage has white walls and a grey floor; the cameraman has no colour at all. (Set by looking at the
photographs, never from a reading.)"""
NEUTRAL_AS_SHOT = tuple(p for p, look in AS_SHOT_LOOK.items() if look == "neutral")
"""The clip that follows ``neutral`` colour temperature, and the unchanged clip that violates ``warm`` or ``cool``."""
NOT_WARM_AS_SHOT = tuple(p for p, look in AS_SHOT_LOOK.items() if look != "warm")
"""Photographs that cooling makes a cool shot."""
NORMAL_KEY_AS_SHOT = tuple(p for p, look in AS_SHOT_LOOK.items() if look != "night")
"""Photographs exposed for a normal key: they can be made high-key, and as shot they violate ``low-key``."""
NOISE = 1.5
"""Sensor noise: standard deviation in 8-bit display levels (both clips of a pair get the same noise)."""
NEUTRAL_KELVIN = 6500.0


@dataclass(frozen=True)
class Shot:
    """One clip's photograph, size and timing, and the seed both clips of a pair share (crop, noise, timing)."""

    photo: str
    size: int = 96
    fps: int = 12
    seconds: float = 3.0
    seed: int = 0

    @property
    def frames(self) -> int:
        return max(2, int(round(self.seconds * self.fps)))

    def rng(self, salt: str = "") -> np.random.Generator:
        """A generator for one purpose (``salt``): a pair's clips draw the same crop and noise, their own amounts."""
        return np.random.default_rng([self.seed, zlib.crc32(salt.encode())])

    @property
    def offset(self) -> float:
        """Where the square crop sits along the photograph's longer side, -1 to 1 (varies with the seed)."""
        return float(self.rng("crop").uniform(-0.6, 0.6))


# --- the photographs ---------------------------------------------------------------------------------------


def load_photo(name: str) -> npt.NDArray[np.uint8]:
    """The photograph ``name`` of :data:`PHOTOS` as ``(H, W, 3)`` uint8 sRGB, read from the installed wheel.

    Raises:
        ImportError: scikit-image or matplotlib is missing (both are in the ``test`` extra).
    """
    return _load_photo(name).copy()


@cache
def _load_photo(name: str) -> npt.NDArray[np.uint8]:
    package, image = PHOTOS[name]
    try:
        if package == "skimage":
            from skimage import data

            pixels = getattr(data, image)()
            pixels = pixels[0] if isinstance(pixels, tuple) else pixels  # a stereo pair: its left view
        else:
            from matplotlib import cbook
            from PIL import Image

            with Image.open(cbook.get_sample_data(image, asfileobj=False)) as picture:
                pixels = np.asarray(picture.convert("RGB"))
    except ImportError as error:
        raise ImportError(f"the independent stimuli read photographs from {package}: "
                          "pip install 'scine-eval[test]'") from error  # fmt: skip
    pixels = np.repeat(pixels[..., None], 3, axis=2) if pixels.ndim == 2 else pixels[..., :3]
    return np.ascontiguousarray(pixels, dtype=np.uint8)


def square(name: str, size: int, offset: float = 0.0) -> npt.NDArray[np.uint8]:
    """A square crop of the photograph, ``size`` pixels a side (Lanczos); ``offset`` in [-1, 1] slides it."""
    from PIL import Image

    pixels = _load_photo(name)
    h, w, _ = pixels.shape
    side = min(h, w)
    top = int(round((h - side) / 2 * (1 + offset)))
    left = int(round((w - side) / 2 * (1 + offset)))
    crop = Image.fromarray(pixels[top : top + side, left : left + side])
    return np.asarray(crop.resize((size, size), Image.Resampling.LANCZOS))


# --- photographic operations, in linear light ---------------------------------------------------------------


def to_linear(srgb: npt.NDArray[np.uint8] | Linear) -> Linear:
    """Linear light from sRGB (8-bit, or display values in [0, 1] as floats): the sRGB transfer function."""
    x = srgb.astype(np.float32) / 255.0 if srgb.dtype == np.uint8 else np.clip(srgb, 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def to_display(linear: Linear) -> Linear:
    """Linear light to display-encoded sRGB values in [0, 1], clipping what is over white."""
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055).astype(np.float32)


def expose(linear: Linear, stops: float) -> Linear:
    """An exposure change: a gain of ``2**stops`` on the light, as opening the aperture would give."""
    return (linear * np.float32(2.0**stops)).astype(np.float32)


def display_gamma(linear: Linear, gamma: float) -> Linear:
    """A grade's gamma: ``v ** gamma`` on the display-encoded values (below 1 lifts the midtones)."""
    return to_linear(np.power(to_display(linear), gamma))


def film_contrast(linear: Linear, gamma: float, grey: float = 0.18) -> Linear:
    """Photographic contrast: a slope of ``gamma`` in log exposure about middle grey (film's gamma)."""
    return (grey * np.power(np.maximum(linear, 1e-6) / grey, gamma)).astype(np.float32)


def planck_xy(kelvin: float) -> tuple[float, float]:
    """CIE 1931 xy of a black body at ``kelvin`` (Kim et al. 2002 cubic fit of the locus, 1667-25000 K)."""
    t = float(np.clip(kelvin, 1667.0, 25000.0))
    if t <= 4000:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


def white_gains(kelvin: float) -> Linear:
    """Linear-sRGB gains that turn light balanced for 6500 K into light at ``kelvin``, at equal luminance."""

    def white(k: float) -> npt.NDArray[np.float64]:
        x, y = planck_xy(k)
        return np.linalg.solve(SRGB_TO_XYZ, np.array([x / y, 1.0, (1 - x - y) / y]))

    gains = white(kelvin) / white(NEUTRAL_KELVIN)
    return (gains / (gains @ LUMA)).astype(np.float32)


def white_balance(linear: Linear, kelvin: float) -> Linear:
    """The scene lit at ``kelvin`` and shot by a camera balanced for 6500 K (von Kries gains in linear sRGB)."""
    return (linear * white_gains(kelvin)).astype(np.float32)


def develop(linear: Linear, rng: np.random.Generator, noise: float = NOISE) -> Frames:
    """Linear frames ``(T, H, W, 3)`` to 8-bit sRGB with a little Gaussian sensor noise."""
    display = to_display(linear) * 255.0
    if noise:
        display = display + rng.normal(0.0, noise, display.shape).astype(np.float32)
    return np.clip(display + 0.5, 0, 255).astype(np.uint8)


# --- light over time: a gain per frame ---------------------------------------------------------------------


def steady(shot: Shot) -> Linear:
    return np.ones(shot.frames, np.float32)


def pulse(shot: Shot, hz: float, depth: float, square_wave: bool = False) -> Linear:
    """A regular beat: the light dims by up to ``depth``, ``hz`` times a second (a beacon, club lights)."""
    t = np.arange(shot.frames) / shot.fps
    wave = 0.5 - 0.5 * np.cos(2 * np.pi * hz * t + shot.rng("phase").uniform(0, 2 * np.pi))
    if square_wave:
        wave = (wave > 0.5).astype(np.float64)
    return (1 - depth * wave).astype(np.float32)


def dropouts(shot: Shot, depth: float, rate: float) -> Linear:
    """A failing bulb: at random frames (about ``rate`` of them) the light drops by a random part of ``depth``."""
    rng = shot.rng("dropouts")
    hits = rng.random(shot.frames) < rate
    hits[rng.integers(0, shot.frames, 2)] = True  # never a clip without a drop-out
    return (1 - depth * hits * rng.uniform(0.4, 1.0, shot.frames)).astype(np.float32)


def flame(shot: Shot, depth: float) -> Linear:
    """A flame: the level wanders at random from frame to frame (white noise, lightly smoothed)."""
    wander = np.convolve(shot.rng("flame").normal(0, 1, shot.frames + 2), [0.25, 0.5, 0.25], mode="valid")
    wander = wander / max(float(np.abs(wander).max()), 1e-9)
    return (1 - depth * (0.5 + 0.5 * wander)).astype(np.float32)


def drift(shot: Shot, stops: float) -> Linear:
    """Auto-exposure settling: a smooth ramp of ``stops`` over the clip (the taxonomy: not lighting motion)."""
    t = np.linspace(0, 1, shot.frames)
    return (2.0 ** (stops * (0.5 - 0.5 * np.cos(np.pi * t)))).astype(np.float32)


# --- clips ---------------------------------------------------------------------------------------------------


def still(shot: Shot, grade: Callable[[Linear], Linear] | None = None, light: Linear | None = None) -> Frames:
    """The photograph held still for the clip, graded by ``grade``, lit by ``light`` (a gain per frame)."""
    base = to_linear(square(shot.photo, shot.size, shot.offset))
    base = grade(base) if grade is not None else base
    gain = steady(shot) if light is None else light
    return develop(base[None] * gain[:, None, None, None], shot.rng("noise"))


def turned(shot: Shot, degrees: npt.NDArray[np.float64], slide: float = 0.0) -> Frames:
    """The photograph turned counter-clockwise on screen by ``degrees[i]`` in frame ``i``, corners cropped away.

    A camera that rolls clockwise turns the picture counter-clockwise, so growing ``degrees`` are a clockwise
    roll. ``slide`` moves the view right by that fraction of the frame over the clip (the content moves left,
    as in a pan right). The photograph is turned at its own resolution and only then scaled down to the
    clip's pixels, as a canted camera's sensor sees a turned scene: turning an already small image would
    turn its pixel grid too, and an edge-orientation reading would see that grid. Every clip of a pair
    (level, canted, rolling, panning) is cut from the same square, so they frame the same part of the photograph.
    """
    from PIL import Image

    pixels = _load_photo(shot.photo)
    h, w, _ = pixels.shape
    side = min(h, w)
    top = int(round((h - side) / 2 * (1 + shot.offset)))
    left = int(round((w - side) / 2 * (1 + shot.offset)))
    source = Image.fromarray(pixels[top : top + side, left : left + side])
    view = side / (math.sqrt(2) + abs(slide))  # the largest view that no turn or slide takes past the edge
    shifts = np.linspace(-0.5, 0.5, shot.frames) * slide * view
    frames = []
    for angle, shift in zip(degrees, shifts, strict=True):
        picture = source.rotate(float(angle), resample=Image.Resampling.BICUBIC) if angle else source
        x0, y0 = (side - view) / 2 + shift, (side - view) / 2
        frames.append(np.asarray(picture.resize((shot.size, shot.size), Image.Resampling.LANCZOS,
                                                box=(x0, y0, x0 + view, y0 + view))))  # fmt: skip
    return develop(to_linear(np.stack(frames)), shot.rng("noise"))


def level(shot: Shot) -> Frames:
    return turned(shot, np.zeros(shot.frames))


def roll(shot: Shot, degrees: float) -> Frames:
    """A camera roll of ``degrees`` over the clip at an even rate (+: the camera turns clockwise)."""
    return turned(shot, np.linspace(0.0, degrees, shot.frames))


def cant(shot: Shot, degrees: float) -> Frames:
    """A static dutch angle: the camera canted by ``degrees`` for the whole clip."""
    return turned(shot, np.full(shot.frames, degrees))


def pan(shot: Shot, fraction: float) -> Frames:
    """A pan: the view slides by ``fraction`` of the frame over the clip, level throughout."""
    return turned(shot, np.zeros(shot.frames), slide=fraction)


# --- the catalogue: what follows and what violates each control -----------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One way to make a clip: a name, a maker drawing its amount from its own generator, the photos it suits."""

    name: str
    make: Callable[[Shot, np.random.Generator], Frames]
    photos: tuple[str, ...] = tuple(PHOTOS)

    def clip(self, shot: Shot) -> Frames:
        return self.make(shot, shot.rng(self.name))


def _sign(rng: np.random.Generator) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


AS_SHOT = Variant("as shot", lambda s, r: still(s))
BRIGHTER = Variant("exposure +1.2..2 EV", lambda s, r: still(s, lambda x: expose(x, r.uniform(1.2, 2.0))))
DARKER = Variant("exposure -1.2..2 EV", lambda s, r: still(s, lambda x: expose(x, -r.uniform(1.2, 2.0))))
LIFTED = Variant("gamma 0.45..0.65", lambda s, r: still(s, lambda x: display_gamma(x, r.uniform(0.45, 0.65))))
CRUSHED = Variant("gamma 1.6..2.2", lambda s, r: still(s, lambda x: display_gamma(x, r.uniform(1.6, 2.2))))
HARDER = Variant("film gamma 1.5..1.9", lambda s, r: still(s, lambda x: film_contrast(x, r.uniform(1.5, 1.9))))
SOFTER = Variant("film gamma 0.45..0.65", lambda s, r: still(s, lambda x: film_contrast(x, r.uniform(0.45, 0.65))))
WARMER = Variant("white balance 2900..3500 K",
                 lambda s, r: still(s, lambda x: white_balance(x, r.uniform(2900, 3500))))  # fmt: skip
COOLER = Variant("white balance 10000..13000 K",
                 lambda s, r: still(s, lambda x: white_balance(x, r.uniform(10000, 13000))))  # fmt: skip
STEADY = Variant("steady light", lambda s, r: still(s))
SINE = Variant("sine pulse 0.8..2.5 Hz",
               lambda s, r: still(s, light=pulse(s, r.uniform(0.8, 2.5), r.uniform(0.25, 0.5))))  # fmt: skip
SQUARE = Variant("square pulse 0.8..2.5 Hz",
                 lambda s, r: still(s, light=pulse(s, r.uniform(0.8, 2.5), r.uniform(0.25, 0.5), True)))  # fmt: skip
DROPOUTS = Variant("random drop-outs",
                   lambda s, r: still(s, light=dropouts(s, r.uniform(0.3, 0.6), r.uniform(0.15, 0.5))))  # fmt: skip
FLAME = Variant("flame (random level)", lambda s, r: still(s, light=flame(s, r.uniform(0.25, 0.5))))
DRIFT = Variant("exposure drift +-0.7..1.2 EV",
                lambda s, r: still(s, light=drift(s, _sign(r) * r.uniform(0.7, 1.2))))  # fmt: skip
LEVEL = Variant("level", lambda s, r: level(s))
ROLL_CW = Variant("roll clockwise 15..30 deg", lambda s, r: roll(s, r.uniform(15, 30)))
ROLL_CCW = Variant("roll counter-clockwise 15..30 deg", lambda s, r: roll(s, -r.uniform(15, 30)))
CANT = Variant("dutch +-8..15 deg", lambda s, r: cant(s, _sign(r) * r.uniform(8, 15)))
PAN = Variant("pan +-0.15..0.25 frame", lambda s, r: pan(s, _sign(r) * r.uniform(0.15, 0.25)))


@dataclass(frozen=True)
class Case:
    """One (leaf, value): the clips that follow it and those that violate it (each pair: one of each)."""

    node: str
    value: str
    follows: tuple[Variant, ...]
    violates: tuple[Variant, ...]

    def pairs(self, count: int, photos: Sequence[str] = tuple(PHOTOS)) -> list[tuple[Variant, Variant, str]]:
        """``count`` (following, violating, photo) triples, cycling through every combination that suits a photo.

        Each round takes one photo per (following, violating) combination, a different photo for each, so a few
        pairs already span the violators and the photographs; every combination comes before any repeats.
        """
        blocks = [[(f, v, p) for p in photos if p in f.photos and p in v.photos]
                  for f in self.follows for v in self.violates]  # fmt: skip
        blocks = [b for b in blocks if b]
        if not blocks:
            return []
        order = [block[(r + j) % len(block)] for r in range(max(map(len, blocks)))
                 for j, block in enumerate(blocks) if r < len(block)]  # fmt: skip
        return [order[k % len(order)] for k in range(count)]


def _only(variant: Variant, photos: Sequence[str]) -> Variant:
    return replace(variant, photos=tuple(photos))


ROLL_DIRECTION = Node(
    id="camera.trajectory.roll_direction",
    name="Roll direction",
    description="Which way the camera rolls about the lens axis, as seen from behind the camera.",
    provenance="reconstructed",
    parent="camera.trajectory",
    children=(),
    values=("roll clockwise", "roll counter-clockwise"),
    question="Does the camera {value} during the shot?",
)
"""Not a leaf of the bundled taxonomy (its ``roll`` has no direction): a leaf as a swapped-in taxonomy might have
it, so that the probe's direction reading is checked too."""

CASES: tuple[Case, ...] = (
    Case("lighting.effects.soft_shadows", "high-key",
         (_only(BRIGHTER, NORMAL_KEY_AS_SHOT), _only(LIFTED, NORMAL_KEY_AS_SHOT)), (AS_SHOT, DARKER, CRUSHED)),
    Case("lighting.effects.hard_shadows", "low-key", (DARKER, CRUSHED),
         (_only(AS_SHOT, NORMAL_KEY_AS_SHOT), BRIGHTER, LIFTED)),
    Case("setup.scene.texture.contrast", "high", (HARDER,), (AS_SHOT, SOFTER)),
    Case("setup.scene.texture.contrast", "low", (SOFTER,), (AS_SHOT, HARDER)),
    Case("lighting.effects.hard_shadows", "direct light", (HARDER,), (AS_SHOT, SOFTER)),
    Case("lighting.effects.soft_shadows", "diffused light", (SOFTER,), (AS_SHOT, HARDER)),
    Case("lighting.color_temperature", "warm", (WARMER,),
         (_only(COOLER, NOT_WARM_AS_SHOT), _only(AS_SHOT, NEUTRAL_AS_SHOT))),
    Case("lighting.color_temperature", "cool", (_only(COOLER, NOT_WARM_AS_SHOT),),
         (WARMER, _only(AS_SHOT, NEUTRAL_AS_SHOT))),
    Case("lighting.color_temperature", "neutral", (_only(AS_SHOT, NEUTRAL_AS_SHOT),), (WARMER, COOLER)),
    Case("lighting.advanced.motion", "flickering", (DROPOUTS, FLAME), (STEADY, SINE, SQUARE, DRIFT)),
    Case("lighting.advanced.motion", "pulsing", (SINE, SQUARE), (STEADY, DROPOUTS, FLAME, DRIFT)),
    Case("camera.trajectory.movement_3d", "roll", (ROLL_CW, ROLL_CCW), (LEVEL, CANT, PAN)),
    Case("camera.extrinsics.angle", "dutch", (CANT,), (LEVEL,)),
    Case(ROLL_DIRECTION.id, "roll clockwise", (ROLL_CW,), (ROLL_CCW, LEVEL)),
    Case(ROLL_DIRECTION.id, "roll counter-clockwise", (ROLL_CCW,), (ROLL_CW, LEVEL)),
)  # fmt: skip
"""Every (leaf, value) checked on the photographs, with the operations that follow and violate it."""


# --- the check -----------------------------------------------------------------------------------------------


@dataclass
class IndependentCheck:
    """Options of :func:`independent_check`.

    Args:
        pairs: Matched pairs per (leaf, value).
        seed: Base seed: pair ``k`` uses ``seed + k`` for the crop, the noise and the amounts.
        size: Clip width and height in pixels.
        fps: Clip frame rate.
        seconds: Clip length.
        cases: Which cases to run (default: all of :data:`CASES`).
        photos: Which photographs to make clips of (default: all of :data:`PHOTOS`).
    """

    pairs: int = 10
    seed: int = 0
    size: int = 96
    fps: int = 12
    seconds: float = 3.0
    cases: Sequence[Case] = field(default_factory=lambda: CASES)
    photos: Sequence[str] = field(default_factory=lambda: tuple(PHOTOS))


def independent_check(judge: Judge, folder: Path, options: IndependentCheck | None = None,
                      taxonomy: Taxonomy | None = None) -> dict[str, Any]:  # fmt: skip
    """Judge-check on the photographs: per node and value, how often ``judge`` ranks the following clip higher.

    Clips are written under ``folder`` (reused when the same clip is asked for twice). Pairs follow
    judge-check's rules: correct when the following clip scores higher, a tie counts against the judge, and
    a pair where either clip has no score is ``abstained``.

    Returns:
        ``{"nodes": {node: {"accuracy", "pairs", ..., "values": {value: tally}}}, "pairs": [...], "clip": ...,
        "seconds": ...}``, tallies as :meth:`Tally.to_dict` gives them.
    """
    options = options or IndependentCheck()
    taxonomy = taxonomy or load_taxonomy()
    started = time.time()
    made: dict[tuple[str, Shot], tuple[Path, str]] = {}

    def clip(variant: Variant, shot: Shot) -> tuple[Path, str]:
        key = (variant.name, shot)
        if key not in made:
            path = folder / f"{len(made):05d}.mp4"
            write_video(path, variant.clip(shot), fps=shot.fps, options={"preset": "veryfast"})
            made[key] = (path, sha256_file(path))
        return made[key]

    tallies: dict[str, dict[str, Tally]] = {}
    log = []
    for case in options.cases:
        node = ROLL_DIRECTION if case.node == ROLL_DIRECTION.id else taxonomy[case.node]
        tally = tallies.setdefault(case.node, {}).setdefault(case.value, Tally())
        for k, (follows, violates, photo) in enumerate(case.pairs(options.pairs, options.photos)):
            shot = Shot(photo, options.size, options.fps, options.seconds, options.seed + k)
            items = [_item(node, case.value, *clip(variant, shot), shot.seed) for variant in (follows, violates)]
            compliant, violating = score_safely(judge, items)
            result = outcome(compliant, violating)
            tally.add(result)
            log.append({"node": case.node, "value": case.value, "photo": photo, "seed": shot.seed,
                        "follows": follows.name, "violates": violates.name, "outcome": result,
                        "compliant": _brief(compliant), "violating": _brief(violating)})  # fmt: skip
    nodes = {}
    for node_id, values in tallies.items():
        total = sum(values.values(), Tally())
        nodes[node_id] = {**total.to_dict(), "values": {v: t.to_dict() for v, t in values.items()}}
    return {"judge": judge.name, "judge_spec": judge.spec(), "pairs_per_value": options.pairs, "nodes": nodes,
            "photos": list(options.photos),
            "clip": {"size": options.size, "fps": options.fps, "seconds": options.seconds}, "pairs": log,
            "seconds": round(time.time() - started, 2)}  # fmt: skip


def _item(node: Node, value: str, path: Path, sha: str, seed: int) -> JudgeItem:
    prompt = Prompt(id=f"independent/{node.id}/{value}", suite="visuals",
                    text=f"A shot whose {node.name.lower()} is {value}.")  # fmt: skip
    question = Question(id=f"{prompt.id}:q", prompt_id=prompt.id, node_id=node.id, value=value,
                        text=node.question_for(value))  # fmt: skip
    return JudgeItem(path, sha, seed, prompt, question, node, "default")


def _brief(judgement: Judgement) -> dict[str, Any]:
    return {"score": judgement.score, "reason": judgement.reason, "raw": judgement.raw}
