"""What the procedural world contains, as analytic functions of world coordinates.

The camera sits at the origin looking down +Z, with +X right and +Y *down* (image convention); the
ground is the plane ``Y = EYE_HEIGHT``. Three upright planes stand on it: the backdrop (sky, skyline,
clouds), a row of props, and the subject, a standing figure whose eyes are at the camera's height. Each
painter takes flat arrays of plane coordinates (metres) and returns a :class:`Surface`: albedo, coverage,
surface normals for shading, and whether the pixel is lit (the sky glows instead). Everything random is
drawn from the ``rng`` given once per clip, so a seed fixes the world.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scine_eval.stimuli.spec import Sky

Array = npt.NDArray[np.float32]
EYE_HEIGHT = 1.6
"""Camera height above the ground, metres; also the subject's eye height."""
SUBJECT_HEIGHT = 1.75


@dataclass
class Surface:
    albedo: Array
    """(N, 3) reflectance in [0, 1] (for the sky: its emitted colour)."""
    alpha: Array
    """(N,) coverage in [0, 1]."""
    normal: Array
    """(N, 3) unit normals (x right, y down, z away from the camera)."""
    lit: Array
    """(N,) 1 where the light model applies, 0 where the surface glows (sky)."""


def _facing(n: int) -> Array:
    normal = np.zeros((n, 3), np.float32)
    normal[:, 2] = -1.0
    return normal


def _cylinder_normal(u: Array) -> Array:
    """Normals of a vertical cylinder at horizontal position ``u`` in [-1, 1] across it."""
    u = np.clip(u, -0.98, 0.98)
    return np.stack([u, np.zeros_like(u), -np.sqrt(1 - u * u)], axis=1).astype(np.float32)


def value_noise(x: Array, y: Array, grid: Array) -> Array:
    """Smooth noise in [0, 1]: ``grid`` (a small random array) bilinearly interpolated, tiling."""
    gh, gw = grid.shape
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)  # smoothstep: no visible grid lines
    i0, j0 = x0.astype(np.int64) % gw, y0.astype(np.int64) % gh
    i1, j1 = (i0 + 1) % gw, (j0 + 1) % gh
    top = grid[j0, i0] * (1 - fx) + grid[j0, i1] * fx
    bottom = grid[j1, i0] * (1 - fx) + grid[j1, i1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


SKIES: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    # (zenith, horizon) colours, linear RGB
    "day": ((0.18, 0.34, 0.72), (0.62, 0.72, 0.82)),
    "midday": ((0.10, 0.28, 0.75), (0.55, 0.68, 0.85)),
    "golden": ((0.35, 0.30, 0.45), (0.95, 0.55, 0.25)),
    "blue hour": ((0.05, 0.07, 0.22), (0.30, 0.28, 0.45)),
    "night": ((0.005, 0.008, 0.02), (0.03, 0.035, 0.06)),
}


class Backdrop:
    """Sky with clouds above a skyline of buildings with windows, on the plane ``Z = depth``."""

    def __init__(self, rng: np.random.Generator, depth: float, sky: Sky):
        self.depth = depth
        self.sky = sky
        self.clouds = rng.random((8, 24)).astype(np.float32)
        self.detail = rng.random((16, 48)).astype(np.float32)
        # The skyline as a table of building tops every half metre, so painting is one lookup per pixel.
        self.bin = 0.5
        self.span = 4.0 * depth
        bins = int(2 * self.span / self.bin)
        self.tops = np.zeros(bins, np.float32)
        self.shade = np.zeros(bins, np.float32)
        x = 0
        while x < bins:
            width = int(rng.integers(6, 24))
            self.tops[x : x + width] = rng.uniform(0.12, 0.55) * depth * 0.5
            self.shade[x : x + width] = rng.uniform(0.25, 0.6)
            x += width + int(rng.integers(0, 6))

    def paint(self, x: Array, y: Array) -> Surface:
        n = x.size
        index = np.clip(((x + self.span) / self.bin).astype(np.int64), 0, self.tops.size - 1)
        height = EYE_HEIGHT - y  # metres above the ground
        building = height < self.tops[index]
        zenith, horizon = (np.array(c, np.float32) for c in SKIES[self.sky])
        elevation = np.clip(height / (0.9 * self.depth), 0, 1)[:, None]
        sky = horizon + (zenith - horizon) * elevation
        cloud = value_noise(x / (0.25 * self.depth) * 2, y / (0.12 * self.depth), self.clouds)
        cloud = np.clip((cloud - 0.45) * 2.2, 0, 1)[:, None]
        sky = sky + (np.float32(0.9) * horizon.max() - sky) * cloud * 0.6
        if self.sky == "night":
            stars = value_noise(x * 3.0, y * 3.0, self.detail) > 0.93
            sky = np.where(stars[:, None], np.float32(0.35), sky)
        base = self.shade[index][:, None] * np.array([0.78, 0.74, 0.70], np.float32)
        cell = self.depth / 30  # window grid in proportion to the skyline, whatever its distance
        windows = (np.modf(x / (1.3 * cell))[0] % 1 > 0.35) & (np.modf(height / (1.6 * cell))[0] % 1 > 0.4)
        wall = np.where(windows[:, None], base * 0.45, base)
        if self.sky in ("night", "blue hour"):
            glow = windows & (value_noise(x / (1.3 * cell), height / (1.6 * cell), self.detail) > 0.6)
            wall = np.where(glow[:, None], np.array([0.55, 0.5, 0.4], np.float32), wall)
        albedo = np.where(building[:, None], wall, sky).astype(np.float32)
        lit = building.astype(np.float32)
        if self.sky in ("night", "blue hour"):  # lit windows glow at night: treat them as emitters too
            lit = np.where(glow, 0.0, lit).astype(np.float32)
        return Surface(albedo, np.ones(n, np.float32), _facing(n), lit)


class Props:
    """A row of crates, columns and lamp posts standing on the ground at ``Z = depth``."""

    KINDS = ("crate", "column", "post")

    def __init__(self, rng: np.random.Generator, depth: float, half_width: float):
        self.depth = depth
        self.items: list[tuple[str, float, float, float, np.ndarray]] = []
        x = -half_width + rng.uniform(0, 1.5)
        spacing = max(0.4, 0.12 * depth)
        while x < half_width:
            kind = self.KINDS[int(rng.integers(0, 3))]
            width = {"crate": rng.uniform(0.6, 1.4), "column": rng.uniform(0.4, 0.8), "post": 0.12}[kind]
            height = {"crate": width * rng.uniform(0.6, 1.1), "column": rng.uniform(2.5, 4.5), "post": 3.2}[kind]
            colour = rng.uniform(0.25, 0.8, size=3).astype(np.float32)
            self.items.append((kind, x, width, height, colour))
            x += width + spacing * rng.uniform(0.6, 2.0)

    def paint(self, x: Array, y: Array) -> Surface:
        n = x.size
        albedo = np.zeros((n, 3), np.float32)
        alpha = np.zeros(n, np.float32)
        normal = _facing(n)
        height = EYE_HEIGHT - y
        for kind, left, width, top, colour in self.items:
            u = (x - left) / width
            inside = (u >= 0) & (u <= 1) & (height >= 0) & (height <= top)
            if kind == "post":  # a lamp head on a thin pole
                lamp = (np.abs(x - left - width / 2) < 0.25) & (height > top) & (height < top + 0.3)
                inside |= lamp
            if not inside.any():
                continue
            idx = np.nonzero(inside)[0]
            ui = u[idx]
            if kind == "crate":  # planks: horizontal bands and a dark frame
                planks = 0.8 + 0.2 * np.sign(np.sin(height[idx] / 0.15 * np.pi))
                frame = (ui < 0.08) | (ui > 0.92) | (height[idx] < 0.06) | (height[idx] > top - 0.06)
                shade = np.where(frame, 0.55, planks)
                albedo[idx] = colour * shade[:, None]
                normal[idx] = _cylinder_normal((ui - 0.5) * 0.6)
            else:  # columns and poles: fluted cylinders
                flutes = 0.85 + 0.15 * np.cos(ui * np.pi * (8 if kind == "column" else 2))
                albedo[idx] = colour * flutes[:, None]
                normal[idx] = _cylinder_normal(2 * ui - 1)
            alpha[idx] = 1.0
        return Surface(albedo, alpha, normal, np.ones(n, np.float32))


class Subject:
    """A standing figure, facing the camera, centred at ``x = centre`` on the plane ``Z = depth``."""

    def __init__(self, rng: np.random.Generator, depth: float, centre: float):
        self.depth = depth
        self.centre = centre
        self.skin = np.array(rng.choice([[0.85, 0.64, 0.52], [0.62, 0.43, 0.32], [0.42, 0.28, 0.2]]), np.float32)
        self.hair = rng.uniform(0.03, 0.35) * np.array([1.0, 0.8, 0.6], np.float32)
        self.shirt = rng.uniform(0.15, 0.85, size=3).astype(np.float32)
        self.trousers = rng.uniform(0.08, 0.45, size=3).astype(np.float32)
        self.stripe = float(rng.uniform(0.04, 0.09))

    def paint(self, x: Array, y: Array) -> Surface:
        n = x.size
        u = x - self.centre
        albedo = np.zeros((n, 3), np.float32)
        alpha = np.zeros(n, np.float32)
        normal = _facing(n)

        def put(mask: npt.NDArray[np.bool_], colour: Array, across: Array | None) -> None:
            albedo[mask] = colour
            alpha[mask] = 1.0
            if across is not None:
                normal[mask] = _cylinder_normal(across[mask])

        half_shoulder = 0.2 - 0.05 * np.clip((y - 0.2) / 0.5, 0, 1)  # torso tapers to the waist
        legs = (y > 0.74) & (y < EYE_HEIGHT - 0.04) & (np.abs(u) > 0.015) & (np.abs(u) < 0.16)
        put(legs, self.trousers, (np.abs(u) - 0.0875) / 0.075 * np.sign(u))
        shoes = (y >= EYE_HEIGHT - 0.04) & (y <= EYE_HEIGHT) & (np.abs(u) > 0.01) & (np.abs(u) < 0.17)
        put(shoes, np.full(3, 0.06, np.float32), None)
        arms = (y > 0.17) & (y < 0.78) & (np.abs(u) > half_shoulder + 0.01) & (np.abs(u) < half_shoulder + 0.09)
        put(arms, self.shirt * 0.85, (np.abs(u) - half_shoulder - 0.05) / 0.04 * np.sign(u))
        hands = (y >= 0.78) & (y < 0.86) & (np.abs(u) > 0.16) & (np.abs(u) < 0.24)
        put(hands, self.skin, (np.abs(u) - 0.2) / 0.04 * np.sign(u))
        torso = (y > 0.15) & (y <= 0.76) & (np.abs(u) <= half_shoulder)
        stripes = (0.8 + 0.2 * np.sign(np.sin(y / self.stripe * np.pi)))[:, None]
        albedo_torso = self.shirt * stripes
        albedo[torso] = albedo_torso[torso]
        alpha[torso] = 1.0
        normal[torso] = _cylinder_normal((u / half_shoulder)[torso])
        neck = (y > 0.08) & (y <= 0.16) & (np.abs(u) < 0.045)
        put(neck, self.skin * 0.9, u / 0.045)
        hx, hy = u / 0.095, (y + 0.02) / 0.125
        head = hx * hx + hy * hy <= 1
        put(head, self.skin, None)
        if head.any():
            nz = np.sqrt(np.clip(1 - hx * hx - hy * hy, 0, 1))
            normal[head] = np.stack([hx, hy, -nz], axis=1)[head].astype(np.float32)
        hair = head & ((y < -0.075 + 0.03 * (hx * hx)) | (np.abs(hx) > 0.88))
        albedo[hair] = self.hair
        eyes = ((np.abs(u) - 0.035) / 0.013) ** 2 + ((y + 0.005) / 0.008) ** 2 <= 1
        albedo[eyes & head] = np.array([0.05, 0.04, 0.04], np.float32)
        brows = (np.abs(np.abs(u) - 0.035) < 0.018) & (np.abs(y + 0.03) < 0.004)
        albedo[brows & head] = self.hair
        mouth = (np.abs(u) < 0.028) & (np.abs(y - 0.06) < 0.006)
        albedo[mouth & head] = self.skin * np.array([0.7, 0.35, 0.35], np.float32)
        return Surface(albedo, alpha, normal, np.ones(n, np.float32))

    @staticmethod
    def extent() -> tuple[float, float, float, float]:
        """(left, right, top, bottom) of the figure relative to its centre, in plane coordinates."""
        return (-0.26, 0.26, -0.16, EYE_HEIGHT)


def ground_albedo(x: Array, z: Array, tint: Array, table: Array) -> Array:
    """Paving: 1 m slabs with per-slab tint, grain and grout lines, fading to their mean with distance (no aliasing).

    ``table`` is a square random array with a power-of-two side: slab tints and grain are lookups in it
    (cheaper than noise per frame).
    """
    mask = table.shape[0] - 1  # a power of two: "& mask" wraps like "% size", for negatives too
    ix, iz = np.floor(x).astype(np.int32), np.floor(z).astype(np.int32)
    slab = table[(ix * 7) & mask, (iz * 3) & mask]
    grain = table[(x * 5).astype(np.int32) & mask, (z * 5).astype(np.int32) & mask]
    grout = (x - ix < 0.04) | (z - iz < 0.04)
    near = np.exp(-z / 14.0)
    detail = (0.75 + 0.3 * slab + 0.12 * grain) * np.where(grout, 0.45, 1.0)
    shade = 1.0 + (detail - 0.93) * near
    return (tint[None, :] * shade[:, None]).astype(np.float32)
