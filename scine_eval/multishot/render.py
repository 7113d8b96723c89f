"""Renders a :class:`~scine_eval.multishot.script.Script` with the synthetic renderer: one video, hard cuts.

Each shot is drawn from its own controls (:meth:`Script.controls`: shot size, camera movement, lighting,
and the scene's time of day, weather and lighting) by :func:`scine_eval.stimuli.render`, for exactly the
frames its time code covers at the chosen fps, in the world of one seed for the whole script
(``clip_seed(seed, script.id)``, as the ``synthetic`` adapter seeds a prompt). The shots are concatenated
into one mp4 with hard cuts, and can also be written one mp4 per shot.

Frame boundaries: shot *k* covers frames ``round(start_s * fps)`` up to ``round(end_s * fps)``, so the shots
add up to the script's length whatever the rounding, and the boundaries returned are those frames' times
(the script's own time codes whenever they fall on whole frames).

A cut must show, to a detector as to a viewer. How strongly two frames differ is :func:`cut_difference`, the
mean absolute difference of their coarse :data:`GRID` x :data:`GRID` block means (a change of layout and
colour counts; the few pixels a pan moves between frames hardly do). A cut shows when its difference is at
least :data:`CUT_RATIO` times the largest difference between consecutive frames inside either shot it joins
(their :func:`motion`), and at least ``CUT_RATIO * MOTION_FLOOR`` between still shots. When a shot would not
cut that clearly from the one before (two shots of the same size and light, such as the close-ups of a
shot/reverse-shot, which this renderer's one figure cannot tell apart), it is drawn again in a fresh world,
as if the camera had cut to another subject; after :data:`WORLDS_TRIED` worlds the clearest cut is kept
(flickering light can move as much as a cut). Each shot's record holds its world, motion and cut difference.

Known limit: the renderer draws its world (skyline, props, the figure's clothes and place) from one random
stream whose draws depend on the framing, handheld shake and light flicker, so with one seed the world still
changes between shots of different sizes. Continuity judges will see a continuity break on these clips;
keeping the world would need the renderer to draw each part of the world from its own stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from scine_eval.contracts.model import Shot
from scine_eval.multishot.script import Script
from scine_eval.multishot.shots import script_shots
from scine_eval.stimuli.controls import Resolution, resolve_controls
from scine_eval.stimuli.render import RENDERER_VERSION, clip_seed, render
from scine_eval.stimuli.spec import Stimulus
from scine_eval.video import write_video

Frames = npt.NDArray[np.uint8]

GRID = 8
"""Blocks per side of the coarse frame on which :func:`cut_difference` compares two frames."""
CUT_RATIO = 2.0
"""A cut differs at least this many times more than consecutive frames inside the shots it joins."""
MOTION_FLOOR = 2.0
"""The motion (0-255) a still shot counts as, so that a cut between still shots differs by at least 4."""
WORLDS_TRIED = 4
"""Worlds tried for a shot whose cut would not show (the script's world first)."""


@dataclass(frozen=True)
class RenderedShot:
    """One rendered shot: where it sits in the video and how its controls were drawn."""

    index: int
    start_s: float
    """Start in the video, seconds: the time of its first frame."""
    end_s: float
    frames: int
    world: int
    """The renderer seed it was drawn in: the script's world, or a fresh one when the cut would not show."""
    resolution: Resolution
    """The stimulus drawn, and which controls were applied, unsupported or in conflict."""
    motion: float
    """The largest :func:`cut_difference` between two consecutive frames inside the shot."""
    cut_difference: float | None
    """:func:`cut_difference` across the cut into this shot (``None`` for the first shot)."""
    cut_shows: bool
    """Whether the cut into this shot meets the rule in the module docstring (``True`` for the first shot)."""
    path: Path | None = None
    """The shot's own mp4, when per-shot files were asked for."""

    def to_metadata(self) -> dict[str, Any]:
        """JSON for a sample log: the shot's place, world and cut, and the renderer's record of its controls."""
        return {
            "index": self.index,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "frames": self.frames,
            "world": self.world,
            "motion": self.motion,
            "cut_difference": self.cut_difference,
            "cut_shows": self.cut_shows,
            **self.resolution.to_metadata(),
        }


@dataclass(frozen=True)
class RenderedScript:
    """A script rendered as one video: the file, its frame rate and its shots."""

    script_id: str
    path: Path
    fps: int
    shots: tuple[RenderedShot, ...]

    @property
    def boundaries(self) -> tuple[tuple[float, float], ...]:
        """(start_s, end_s) of every shot in the video."""
        return tuple((shot.start_s, shot.end_s) for shot in self.shots)

    def spans(self, script: Script) -> tuple[tuple[str, float, float], ...]:
        """(shot text, start_s, end_s) per shot with this video's boundaries: what ``MetricVideo.shots`` takes."""
        return tuple((script.shot_text(i), shot.start_s, shot.end_s) for i, shot in enumerate(self.shots))

    def to_metadata(self) -> dict[str, Any]:
        return {"renderer": RENDERER_VERSION, "fps": self.fps, "shots": [s.to_metadata() for s in self.shots]}


def render_script_frames(
    script: Script, seed: int = 0, *, fps: int = 12, size: int = 256
) -> tuple[Frames, tuple[RenderedShot, ...]]:
    """The whole script as ``(frames, size, size, 3)`` uint8 RGB, and a record per shot (without ``path``).

    Raises:
        ValueError: a shot is shorter or longer than the renderer draws (0.5 to 30 s), or ``fps`` or ``size``
            is out of its range; the message names the shot.
    """
    return render_shots_frames(script_shots(script), script.id, seed, fps=fps, size=size)


def render_shots_frames(
    shots: Sequence[Shot], key: str, seed: int = 0, *, fps: int = 12, size: int = 256
) -> tuple[Frames, tuple[RenderedShot, ...]]:
    """:func:`render_script_frames` for shots as a request carries them; ``key`` (the script id) seeds the world."""
    world = clip_seed(seed, key)
    edges = [round(shot.start_s * fps) for shot in shots] + [round(shots[-1].end_s * fps)]
    clips: list[Frames] = []
    rendered: list[RenderedShot] = []
    for position, shot in enumerate(shots):
        count = edges[position + 1] - edges[position]
        try:
            base = Stimulus(duration=count / fps, fps=fps, size=size)
        except ValueError as error:
            raise ValueError(f"shot {position + 1} [{shot.start_s:g}s-{shot.end_s:g}s] cannot be rendered at {fps} "
                             f"fps: {error}") from None  # fmt: skip
        resolution = resolve_controls(shot.controls, base)
        previous = (clips[-1][-1], rendered[-1].motion) if rendered else None
        cut = _render_cut(resolution.stimulus, world, previous, salt=f"{key}:{position + 1}")
        clips.append(cut.frames)
        rendered.append(
            RenderedShot(
                index=position + 1,
                start_s=edges[position] / fps,
                end_s=edges[position + 1] / fps,
                frames=count,
                world=cut.world,
                resolution=resolution,
                motion=cut.motion,
                cut_difference=cut.difference,
                cut_shows=cut.margin >= 1,
            )
        )
    return np.concatenate(clips), tuple(rendered)


def render_script(
    script: Script,
    path: str | Path,
    seed: int = 0,
    *,
    fps: int = 12,
    size: int = 256,
    crf: int = 18,
    preset: str = "veryfast",
    shots_dir: str | Path | None = None,
) -> RenderedScript:
    """Renders ``script`` to one mp4 at ``path`` (x264, written atomically), and each shot to ``shots_dir`` if given.

    Per-shot files are named ``shot-01.mp4``, ``shot-02.mp4``... and hold exactly that shot's frames of the long
    video. The same script, seed and arguments give the same pixels.

    Raises:
        ValueError: see :func:`render_script_frames`.
    """
    frames, shots = render_script_frames(script, seed, fps=fps, size=size)
    options = {"preset": preset}
    target = write_video(path, frames, fps=fps, crf=crf, options=options)
    if shots_dir is not None:
        written, first = [], 0
        for shot in shots:
            clip = frames[first : first + shot.frames]
            first += shot.frames
            file = write_video(Path(shots_dir) / f"shot-{shot.index:02d}.mp4", clip, fps=fps, crf=crf, options=options)
            written.append(replace(shot, path=file))
        shots = tuple(written)
    return RenderedScript(script_id=script.id, path=target, fps=fps, shots=shots)


def cut_difference(before: Frames, after: Frames) -> float:
    """How strongly a cut between two uint8 ``(H, W, 3)`` frames shows, on 0-255.

    The mean absolute difference of the frames' :data:`GRID` x :data:`GRID` block means: a change of layout and
    colour, which a cut makes, counts in full; the few pixels a pan or push moves between two frames hardly do.
    """
    return float(np.abs(_blocks(before) - _blocks(after)).mean())


def motion(frames: Frames) -> float:
    """The largest :func:`cut_difference` between consecutive frames of one shot (0 for a still shot)."""
    blocks = _blocks(frames)
    return float(np.abs(np.diff(blocks, axis=0)).mean(axis=(1, 2, 3)).max(initial=0.0))


def _blocks(frames: Frames) -> npt.NDArray[np.float32]:
    """Block means of one ``(H, W, 3)`` frame or of ``(T, H, W, 3)`` frames: ``(..., GRID, GRID, 3)``."""
    height, width = frames.shape[-3:-1]
    rows = np.linspace(0, height, GRID + 1).astype(int)[:-1]
    columns = np.linspace(0, width, GRID + 1).astype(int)[:-1]
    sums = np.add.reduceat(np.add.reduceat(frames.astype(np.float32), rows, axis=-3), columns, axis=-2)
    counts = np.outer(np.diff(rows, append=height), np.diff(columns, append=width))[:, :, None]
    return sums / counts


@dataclass(frozen=True)
class _Cut:
    world: int
    frames: Frames
    motion: float
    difference: float | None
    margin: float
    """Cut difference over the difference the rule asks for: at least 1 when the cut shows."""


def _render_cut(stimulus: Stimulus, world: int, previous: tuple[Frames, float] | None, salt: str) -> _Cut:
    """A shot drawn in the script's world, or in the first of the fresh worlds tried in which its cut shows.

    ``previous`` is the previous shot's last frame and motion (``None`` for the first shot). When no world
    tried makes the cut show, the one with the largest margin is kept.
    """
    best: _Cut | None = None
    for attempt in range(WORLDS_TRIED if previous is not None else 1):
        tried = world if attempt == 0 else clip_seed(world, f"{salt}:{attempt}")
        frames = render(stimulus, tried)
        moving = motion(frames)
        if previous is None:
            return _Cut(tried, frames, moving, None, float("inf"))
        last, before = previous
        difference = cut_difference(last, frames[0])
        margin = difference / (CUT_RATIO * max(MOTION_FLOOR, before, moving))
        if best is None or margin > best.margin:
            best = _Cut(tried, frames, moving, difference, margin)
        if margin >= 1:
            break
    assert best is not None  # at least one world is tried
    return best
