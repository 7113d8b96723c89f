"""Renders a :class:`Stimulus` to frames with numpy: a pinhole camera moving through a layered world.

The world (:mod:`.scene`) is a ground plane and three upright planes at increasing depth: subject,
props, backdrop. Camera moves are physical, so they look as they should: a pan or tilt rotates the view
(every depth shifts alike), a zoom changes the focal length (every depth scales alike), a push-in or
pull-out moves the camera along its axis (near things grow faster than far ones: parallax), trucking
moves it sideways (near things slide faster), and roll turns the frame. Each plane is painted once per
clip onto a texture covering what the camera will see of it, lit, and then sampled every frame;
the ground is drawn per frame in perspective.

Per seed the renderer draws a new world (skyline, props, clothes, subject position) and jitters each
move's amount by up to ±25 %, so a suite's clips vary while every one keeps its controls.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from scine_eval.stimuli.scene import EYE_HEIGHT, Backdrop, Props, Subject, Surface, ground_albedo
from scine_eval.stimuli.spec import Stimulus

Array = npt.NDArray[np.float32]
RENDERER_VERSION = "1"
"""Bumped whenever the same stimulus and seed would give other pixels (it is part of the adapter's fingerprint)."""
FIELD_OF_VIEW = 55.0
"""Horizontal field of view at zoom 1, degrees."""

SUBJECT_DISTANCE = {
    "extreme wide": 24.0, "wide": 9.0, "full": 3.6, "medium wide": 2.3, "medium": 1.45,
    "medium close-up": 0.95, "close-up": 0.6, "extreme close-up": 0.3,
}  # fmt: skip
"""Metres from camera to subject for each shot size (the figure is 1.75 m tall, eyes at camera height)."""

# Nominal amount of each move over the whole clip.
PAN_DEGREES, TILT_DEGREES, ROLL_DEGREES = 24.0, 14.0, 24.0
ZOOM_RATIO = 1.6
PUSH_FRACTION = 0.45
"""A push-in covers this fraction of the distance to the subject."""
TRUCK_FRACTION = 0.5

LIGHTS: dict[str, tuple[float, float, float]] = {
    # direction towards the light (x right, y down, z away from the camera)
    "front": (0.0, -0.3, -1.0),
    "key": (-0.6, -0.55, -0.6),
    "fill": (0.5, -0.3, -0.8),
    "side": (-1.0, -0.2, -0.05),
    "top": (0.0, -1.0, -0.1),
    "back": (0.3, -0.5, 1.0),
}
KEYS = {"normal": (0.3, 0.8, 1.0, 1.0, 1.0), "high": (0.75, 0.45, 1.45, 1.2, 1.0), "low": (0.02, 1.1, 0.75, 0.2, 0.15)}
"""key → (ambient, diffuse, exposure, sky and emitter gain, spill): low key is a narrow key light on the subject,
and only ``spill`` of it reaches the rest of the world."""
SKY_LIGHT = {"day": 1.0, "midday": 1.1, "golden": 0.85, "blue hour": 0.55, "night": 0.3}
CONTRAST = {"normal": 1.0, "high": 1.7, "low": 0.45}
"""Slope of the display-space contrast curve about the key's pivot (so contrast does not change the key)."""
PIVOT = {"normal": 0.5, "high": 0.75, "low": 0.2}
LIFT = {"normal": 0.0, "high": 0.3, "low": 0.0}
TONE_STEPS = 4096
"""High key lifts the shadows: display = lift + (1 - lift) * display."""


def clip_seed(seed: int, salt: str = "") -> int:
    """A 64-bit seed from the request's seed and a salt (the prompt id), stable across platforms."""
    digest = hashlib.sha256(f"{seed}:{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def render(stimulus: Stimulus, seed: int) -> npt.NDArray[np.uint8]:
    """The clip as ``(frames, size, size, 3)`` uint8 RGB; the same stimulus and seed give the same pixels."""
    rng = np.random.default_rng(seed)
    size, frames = stimulus.size, stimulus.frames
    focal = size / 2 / math.tan(math.radians(FIELD_OF_VIEW) / 2)
    path = camera_path(stimulus, rng, frames)
    subject_depth = SUBJECT_DISTANCE[stimulus.shot_size] * rng.uniform(0.92, 1.08)
    props_depth = subject_depth + max(2.5, 0.5 * subject_depth)
    backdrop_depth = max(12.0, props_depth + min(max(6.0, 1.5 * props_depth), 15.0))  # a street: dollies show
    path.scale_moves(subject_depth)
    view = _View(size, focal, path)

    light = _Lighting(stimulus, rng, frames)
    backdrop = Backdrop(rng, backdrop_depth, stimulus.sky)
    props = Props(rng, props_depth, half_width=view.half_extent(props_depth) + 1.0)
    subject = Subject(rng, subject_depth, centre=rng.uniform(-0.25, 0.25) * min(subject_depth, 2.0) * 0.3)
    left, right, top, bottom = Subject.extent()
    planes = [
        _Plane.bake(backdrop.paint, backdrop_depth, view, light, None),
        _Plane.bake(props.paint, props_depth, view, light, (-1e9, 1e9, -10.0, EYE_HEIGHT)),
        _Plane.bake(subject.paint, subject_depth, view, light, (subject.centre + left, subject.centre + right,
                                                                 top, bottom), subject=True),
    ]  # fmt: skip
    ground = _Ground(rng, stimulus, light, backdrop_depth)
    weather = _Weather(stimulus, rng, size)

    out = np.empty((frames, size, size, 3), np.uint8)
    colour = np.empty((size * size, 3), np.float32)
    backdrop_plane, *near_planes = planes
    for i in range(frames):
        rays = view.rays(i)
        on_ground = ground.draw(colour, rays, i)
        where, rgb, _ = backdrop_plane.sample(rays, i, light, np.nonzero(~on_ground)[0])
        colour[where] = rgb
        for plane in near_planes:  # back to front; coverage is all or nothing (nearest texel of a 0/1 alpha)
            where, rgb, _ = plane.sample(rays, i, light)
            colour[where] = rgb
        out[i] = light.develop(weather.apply(colour.reshape(size, size, 3), i))
    return out


@dataclass
class CameraPath:
    """Per-frame camera state: yaw/pitch/roll in radians, zoom factor, position in metres."""

    yaw: Array
    pitch: Array
    roll: Array
    zoom: Array
    x: Array
    z: Array
    push: float = 0.0
    """Fraction of the subject distance to travel forward (negative: backward), scaled once depth is known."""
    truck: float = 0.0

    def scale_moves(self, subject_depth: float) -> None:
        ease = self.ease
        if self.push:
            start, end = (0.0, self.push) if self.push > 0 else (-self.push, 0.0)
            self.z = ((start + (end - start) * ease) * subject_depth).astype(np.float32)
        if self.truck:
            self.x = ((ease - 0.5) * self.truck * subject_depth).astype(np.float32)

    @property
    def ease(self) -> Array:
        t = np.linspace(0.0, 1.0, self.yaw.size, dtype=np.float32)
        return (0.5 - 0.5 * np.cos(np.pi * t)).astype(np.float32)


def camera_path(stimulus: Stimulus, rng: np.random.Generator, frames: int) -> CameraPath:
    zeros = np.zeros(frames, np.float32)
    path = CameraPath(zeros.copy(), zeros.copy(), zeros.copy(), np.ones(frames, np.float32), zeros.copy(), zeros.copy())
    ease, amount = path.ease, float(rng.uniform(0.8, 1.25))
    sweep = (ease - 0.5) * amount  # from -amount/2 to +amount/2
    move = stimulus.move
    if move in ("pan left", "pan right"):  # +yaw looks right; pan left turns the view left
        path.yaw = np.radians(PAN_DEGREES * sweep * (-1 if move == "pan left" else 1)).astype(np.float32)
    elif move in ("tilt up", "tilt down"):  # +pitch looks down (y points down)
        path.pitch = np.radians(TILT_DEGREES * sweep * (-1 if move == "tilt up" else 1)).astype(np.float32)
    elif move in ("zoom in", "zoom out"):
        ratio = ZOOM_RATIO ** amount
        grow = ratio**ease
        path.zoom = (grow if move == "zoom in" else ratio / grow).astype(np.float32)
    elif move == "roll":
        path.roll = np.radians(ROLL_DEGREES * sweep).astype(np.float32)
    elif move in ("push in", "pull out"):
        path.push = PUSH_FRACTION * amount * (1 if move == "push in" else -1)
    elif move == "trucking":
        path.truck = TRUCK_FRACTION * amount
    if stimulus.shake:
        t = np.arange(frames, dtype=np.float32) / stimulus.fps
        for angle, degrees in ((path.yaw, 0.7), (path.pitch, 0.7), (path.roll, 0.35)):
            angle += np.radians(degrees * stimulus.shake) * _tremor(t, rng)
    path.roll += np.float32(math.radians(stimulus.dutch))
    return path


def _tremor(t: Array, rng: np.random.Generator) -> Array:
    """Operator shake: a few random sinusoids between 1.5 and 6 Hz, unit RMS-ish."""
    wave = np.zeros_like(t)
    for _ in range(4):
        wave += np.sin(2 * np.pi * rng.uniform(1.5, 6.0) * t + rng.uniform(0, 2 * np.pi))
    return (wave / 1.4).astype(np.float32)


@dataclass
class _Rays:
    """Per-pixel ray slopes (x/z, y/z) of one frame and the camera position."""

    sx: Array
    sy: Array
    cam_x: float
    cam_z: float


class _View:
    def __init__(self, size: int, focal: float, path: CameraPath):
        self.size, self.focal, self.path = size, focal, path
        coords = np.arange(size, dtype=np.float32) - (size - 1) / 2
        self.px = np.tile(coords, size)
        self.py = np.repeat(coords, size)

    def rays(self, i: int, px: Array | None = None, py: Array | None = None) -> _Rays:
        p = self.path
        px = self.px if px is None else px
        py = self.py if py is None else py
        c, s = math.cos(p.roll[i]), math.sin(p.roll[i])
        f = self.focal * float(p.zoom[i])
        # Undo the roll, then the zoom; a yaw or pitch adds to every ray's slope (a rotation, not a shift).
        qx, qy = c * px + s * py, -s * px + c * py
        return _Rays(qx / f + math.tan(p.yaw[i]), qy / f + math.tan(p.pitch[i]), float(p.x[i]), float(p.z[i]))

    def window(self, depth: float) -> tuple[float, float, float, float, float]:
        """(x0, x1, y0, y1, pixels per metre) that the camera sees of the plane at ``depth`` over the clip."""
        half = (self.size - 1) / 2
        corners = np.array([-half, half, half, -half], np.float32), np.array([-half, -half, half, half], np.float32)
        xs, ys, ppm = [], [], 0.0
        for i in range(self.path.yaw.size):
            rays = self.rays(i, *corners)
            distance = depth - rays.cam_z
            xs += list(rays.cam_x + rays.sx * distance)
            ys += list(rays.sy * distance)
            ppm = max(ppm, self.focal * float(self.path.zoom[i]) / distance)
        return min(xs), max(xs), min(ys), max(ys), ppm

    def half_extent(self, depth: float) -> float:
        x0, x1, *_ = self.window(depth)
        return max(abs(x0), abs(x1))


@dataclass
class _Plane:
    """An upright plane at ``depth``, painted and lit once onto a texture, sampled per frame."""

    depth: float
    texture: Array
    """(h, w, 5): lit RGB, alpha, lit mask; a second light's texture for a moving source follows in ``moving``."""
    moving: Array | None
    x0: float
    y0: float
    ppm: float

    opaque: bool = False

    MAX_TEXELS = 2_500_000
    SUPERSAMPLE = 1.5
    """Texels per screen pixel at the closest approach: nearest-texel sampling then looks smooth."""

    @classmethod
    def bake(cls, paint, depth: float, view: _View, light: _Lighting, extent, subject: bool = False) -> _Plane:
        x0, x1, y0, y1, ppm = view.window(depth)
        margin = 2.0 / ppm
        x0, x1, y0, y1 = x0 - margin, x1 + margin, y0 - margin, y1 + margin
        if extent is not None:
            x0, x1, y0, y1 = max(x0, extent[0]), min(x1, extent[1]), max(y0, extent[2]), min(y1, extent[3])
        if x1 <= x0 or y1 <= y0:  # never in view: a 1-texel transparent plane
            return cls(depth, np.zeros((1, 1, 5), np.float32), None, 0.0, 0.0, 1.0)
        ppm = min(ppm * cls.SUPERSAMPLE, math.sqrt(cls.MAX_TEXELS / ((x1 - x0) * (y1 - y0))))
        w, h = max(2, math.ceil((x1 - x0) * ppm)), max(2, math.ceil((y1 - y0) * ppm))
        gx = x0 + (np.arange(w, dtype=np.float32) + 0.5) / ppm  # texel centres: a lookup truncates to the nearest
        gy = y0 + (np.arange(h, dtype=np.float32) + 0.5) / ppm
        surface = paint(np.tile(gx, h), np.repeat(gy, w))
        texture = light.shade(surface, light.direction, subject).reshape(h, w, 5)
        moving = light.shade(surface, light.second, subject).reshape(h, w, 5) if light.second is not None else None
        return cls(depth, texture, moving, x0, y0, ppm, opaque=extent is None)

    def sample(
        self, rays: _Rays, i: int, light: _Lighting, pixels: npt.NDArray[np.intp] | None = None
    ) -> tuple[npt.NDArray[np.intp] | slice, Array, Array]:
        """(which pixels, their colour, their coverage) from the nearest texel of the supersampled texture.

        Only ``pixels`` (all when None) are looked at; a plane that is not opaque returns just those it covers
        (painters give coverage 0 or 1, so nearest-texel coverage needs no blending).
        """
        sx, sy = (rays.sx, rays.sy) if pixels is None else (rays.sx[pixels], rays.sy[pixels])
        distance = self.depth - rays.cam_z
        u = ((rays.cam_x + sx * distance - self.x0) * self.ppm).astype(np.int32)
        v = ((sy * distance - self.y0) * self.ppm).astype(np.int32)
        h, w, c = self.texture.shape
        where: npt.NDArray[np.intp] | slice = slice(None) if pixels is None else pixels
        if self.opaque:  # the backdrop covers everything: clamp instead of cutting
            index = np.clip(v, 0, h - 1) * w + np.clip(u, 0, w - 1)
        else:  # keep the pixels that land on a covered texel
            inside = np.nonzero((u >= 0) & (u < w) & (v >= 0) & (v < h))[0]
            index = v[inside] * w + u[inside]
            covered = self.texture.reshape(-1, c)[index, 3] > 0.5
            inside, index = inside[covered], index[covered]
            where = inside if pixels is None else pixels[inside]
        texels = self.texture.reshape(-1, c)[index]
        if self.moving is not None:
            blend = light.blend[i]
            texels = texels * (1 - blend) + self.moving.reshape(-1, c)[index] * blend
        rgb = texels[:, :3]
        if light.level[i] != 1:  # light changes touch lit surfaces only
            rgb = rgb * (1 + (light.level[i] - 1) * texels[:, 4:5])
        return where, light.fog(rgb, distance, i), texels[:, 3]


class _Lighting:
    """The light: direction, level over time (flicker, pulse), colour, fog, and the final tone curve."""

    def __init__(self, stimulus: Stimulus, rng: np.random.Generator, frames: int):
        self.stimulus = stimulus
        ambient, diffuse, self.exposure, self.glow, self.spill = KEYS[stimulus.key]
        sky = SKY_LIGHT[stimulus.sky]
        self.ambient, self.diffuse = ambient * sky, diffuse * sky
        if stimulus.light_from == "fill":  # a fill is soft: more ambient, little direction
            self.ambient, self.diffuse = self.ambient + 0.25 * sky, self.diffuse * 0.35
        self.direction = _unit(LIGHTS[stimulus.light_from])
        self.second: npt.NDArray[np.float64] | None = None
        self.blend = np.zeros(frames, np.float32)
        self.level = np.ones(frames, np.float32)
        t = np.arange(frames, dtype=np.float32) / stimulus.fps
        if stimulus.light_motion == "moving source":  # the key swings from the left to the right of frame
            self.direction, self.second = _unit((-1.0, -0.3, -0.5)), _unit((1.0, -0.3, -0.5))
            self.blend = (0.5 - 0.5 * np.cos(np.pi * t / t[-1])).astype(np.float32)
        elif stimulus.light_motion == "pulsing":
            hz = rng.uniform(0.7, 1.3)
            self.level = (1 - 0.45 * (0.5 - 0.5 * np.cos(2 * np.pi * hz * t))).astype(np.float32)
        elif stimulus.light_motion == "flickering":
            dips = np.abs(rng.normal(0, 0.5, frames)) * (rng.random(frames) < 0.7)
            self.level = np.clip(1 - 0.5 * dips, 0.35, 1).astype(np.float32)
        self.tint = kelvin_to_rgb(stimulus.kelvin)
        self.fog_colour = np.array([0.62, 0.64, 0.66], np.float32) * sky * self.glow  # fog scatters the sky's light
        self.contrast = CONTRAST[stimulus.contrast]
        self.pivot, self.lift = PIVOT[stimulus.key], LIFT[stimulus.key]

    def shade(self, surface: Surface, direction: npt.NDArray[np.float64], on_subject: bool) -> Array:
        """Lit colour, alpha and lit mask per texel: Lambert plus ambient, a rim for back light."""
        lambert = np.clip(surface.normal @ direction.astype(np.float32), 0, None)
        light = self.ambient + self.diffuse * lambert * (1.0 if on_subject else self.spill)
        if self.stimulus.light_from == "back" and self.second is None:
            rim = np.clip(1 - np.abs(surface.normal[:, 2]), 0, 1) ** 2
            light = light + 1.2 * self.diffuse * rim
        lit = surface.lit
        rgb = surface.albedo * (lit * light + (1 - lit) * self.glow)[:, None]
        return np.concatenate([rgb, surface.alpha[:, None], lit[:, None]], axis=1).astype(np.float32)

    def fog(self, rgb: Array, distance: Array | float, i: int) -> Array:
        """Veils ``rgb`` seen at ``distance`` metres (one per pixel, or one for a whole plane) in fog."""
        if not self.stimulus.fog:
            return rgb
        veil = 1 - np.exp(-np.asarray(distance, np.float32) / 7.0)
        veil = veil[:, None] if veil.ndim else veil
        return rgb + (self.fog_colour * self.level[i] - rgb) * veil

    def develop(self, linear: Array) -> npt.NDArray[np.uint8]:
        """Light colour and exposure, then display gamma, shadow lift and contrast, to 8-bit (through a table)."""
        index = (np.clip(linear * (self.tint * self.exposure), 0, 1) * (TONE_STEPS - 1)).astype(np.int32)
        return self.tone[index]

    @cached_property
    def tone(self) -> npt.NDArray[np.uint8]:
        rgb = np.linspace(0, 1, TONE_STEPS) ** (1 / 2.2)
        rgb = self.lift + (1 - self.lift) * rgb
        rgb = self.pivot + (rgb - self.pivot) * self.contrast
        return (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)


def _unit(v: tuple[float, float, float]) -> npt.NDArray[np.float64]:
    a = np.array(v, np.float64)
    return a / np.linalg.norm(a)


def kelvin_to_rgb(kelvin: float) -> Array:
    """Linear-RGB gains of a black body at ``kelvin``, relative to 6500 K (which gives (1, 1, 1)).

    Uses Tanner Helland's fit of the Planckian locus in sRGB (good to a few percent, 1000-40000 K). The
    gains keep luminance, so a colour temperature changes the look's colour and not its key.
    """

    def srgb(k: float) -> npt.NDArray[np.float64]:
        t = k / 100
        r = 255.0 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
        g = 99.4708025861 * math.log(t) - 161.1195681661 if t <= 66 else 288.1221695283 * (t - 60) ** -0.0755148492
        b = 255.0 if t >= 66 else (0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307)
        return np.clip(np.array([r, g, b]), 1, 255) / 255

    gains = (srgb(kelvin) / srgb(6500.0)) ** 2.2
    return (gains / (gains @ np.array([0.2126, 0.7152, 0.0722]))).astype(np.float32)


class _Ground:
    """The ground plane, drawn per frame in perspective where a ray meets it before the backdrop."""

    def __init__(self, rng: np.random.Generator, stimulus: Stimulus, light: _Lighting, far: float):
        self.light, self.far = light, far
        self.tint = rng.uniform(0.35, 0.6) * np.array(rng.choice([[1, 0.95, 0.9], [0.9, 0.95, 1], [1, 1, 1]]),
                                                       np.float32)  # fmt: skip
        self.table = rng.random((64, 64)).astype(np.float32)
        up = np.array([0.0, -1.0, 0.0])
        self.shading = [light.ambient + light.diffuse * light.spill * max(0.0, float(up @ d))
                        for d in (light.direction, light.second) if d is not None]  # fmt: skip

    def draw(self, colour: Array, rays: _Rays, i: int) -> npt.NDArray[np.bool_]:
        """Paints the ground into ``colour``; returns which pixels it painted."""
        hit = rays.sy > EYE_HEIGHT / self.far
        if not hit.any():
            return hit
        distance = EYE_HEIGHT / rays.sy[hit]
        x = rays.cam_x + rays.sx[hit] * distance
        albedo = ground_albedo(x, distance + rays.cam_z, self.tint, self.table)
        shade = self.shading[0] if len(self.shading) == 1 else (
            self.shading[0] * (1 - self.light.blend[i]) + self.shading[1] * self.light.blend[i])  # fmt: skip
        rgb = albedo * np.float32(shade * self.light.level[i])
        colour[hit] = self.light.fog(rgb, distance.astype(np.float32), i)
        return hit


class _Weather:
    """Rain streaks and snowflakes in front of everything (fog is applied per plane by depth)."""

    def __init__(self, stimulus: Stimulus, rng: np.random.Generator, size: int):
        self.size = size
        self.fps = stimulus.fps
        self.rain = rng.uniform(0, size, (220, 2)) if stimulus.rain else None
        self.snow = rng.uniform(0, size, (160, 2)) if stimulus.snow else None
        self.sway = rng.uniform(0, 2 * np.pi, 160)

    def apply(self, frame: Array, i: int) -> Array:
        s = self.size
        if self.rain is not None:
            drops = self.rain + np.array([0.15, 1.0]) * (i * s * 0.9 / self.fps)
            length = np.arange(0, max(4, s // 24))
            x = ((drops[:, 0:1] + 0.15 * length) % s).astype(np.int64)
            y = ((drops[:, 1:2] + length) % s).astype(np.int64)
            frame[y, x] += 0.3 * float(frame.mean())  # drops scatter the scene's light: faint at night
        if self.snow is not None:
            t = i / self.fps
            flakes = self.snow + np.stack([4 * np.sin(self.sway + t * 2), np.full(160, t * s * 0.12)], axis=1)
            x, y = (flakes[:, 0] % (s - 1)).astype(np.int64), (flakes[:, 1] % (s - 1)).astype(np.int64)
            flake = min(0.95, 0.3 + 1.2 * float(frame.mean()))
            for dy in (0, 1):
                for dx in (0, 1):
                    frame[y + dy, x + dx] = flake
        return frame
