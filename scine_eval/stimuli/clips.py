"""Rendered clips as mp4 files.

One render-and-write for the ``synthetic`` adapter, and a cache on disk of the matched clips that
judge-check and judge training render again and again.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from scine_eval.fingerprint import fingerprint
from scine_eval.stimuli.controls import resolve_controls
from scine_eval.stimuli.render import RENDERER_VERSION, clip_seed, render
from scine_eval.stimuli.spec import Stimulus
from scine_eval.video import sha256_file, write_video
from scine_eval.workers import process_map

Controls = tuple[tuple[str, str], ...]
"""A clip's (leaf, value) pairs."""


def write_clip(path: Path, stimulus: Stimulus, world: int, crf: int = 18, preset: str = "veryfast") -> Path:
    """Renders ``stimulus`` in world ``world`` and encodes it to ``path`` (x264, atomically)."""
    return write_video(path, render(stimulus, world), fps=stimulus.fps, crf=crf, options={"preset": preset})


class StimulusCache:
    """Rendered clips on disk, keyed by stimulus, seed and renderer version (shared between cases and runs)."""

    def __init__(self, root: Path, base: Stimulus):
        self.root, self.base = root, base
        self._hashes: dict[Path, str] = {}  # a clip serves several cases: hash it once

    def clip(self, controls: Controls, seed: int) -> tuple[Path, str]:
        """The clip following ``controls`` in the world of ``seed``, rendered on first use: its path and sha256."""
        path, stimulus, world = self._where(controls, seed)
        if path not in self._hashes:
            if not path.is_file():
                write_clip(path, stimulus, world)
            self._hashes[path] = sha256_file(path)
        return path, self._hashes[path]

    def render_missing(self, clips: Iterable[tuple[Controls, int]], workers: int) -> int:
        """Renders the clips of ``(controls, seed)`` not on disk yet, one per core; returns how many it rendered."""
        todo = {}
        for controls, seed in clips:
            path, stimulus, world = self._where(controls, seed)
            if not path.is_file():
                todo[path] = (path, stimulus, world)
        process_map(_write_clip, list(todo.values()), workers, label="render", unit="clips")
        return len(todo)

    def _where(self, controls: Controls, seed: int) -> tuple[Path, Stimulus, int]:
        stimulus = resolve_controls(controls, self.base).stimulus
        world = clip_seed(seed, "judge-check")
        return self.root / f"{fingerprint([RENDERER_VERSION, stimulus.to_dict(), world])[:20]}.mp4", stimulus, world


def _write_clip(job: tuple[Path, Stimulus, int]) -> Path:
    return write_clip(*job)
