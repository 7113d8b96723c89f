"""Shot boundaries of one long video, and pairing detected shots with a script's shot texts.

A multi-shot script rendered as one video needs each shot's time interval (for VSA). When the script carries no
usable time codes, or the model did not keep them, the cuts are detected in the video:

* by default with the built-in adaptive detector: every frame decoded as a small thumbnail (at most 64x64
  pixels) and reduced to an 8x8 grid of block means; the distance between consecutive frames is the mean
  absolute difference of their grids (0-255: a cut changes layout and colour, a pan or push hardly moves a
  block mean). A new shot starts where the distance is at least ``ratio`` (2) times every distance within
  ``window`` (5) frames on either side, and at least ``floor`` (4). Being relative, it finds cuts between shots
  of the same palette that a fixed threshold misses (on the bundled multi-shot scripts rendered at 64 px: see
  ``docs/multishot.md``: 133 of 137 cuts, none spurious, where PySceneDetect's ``ContentDetector`` finds 49);
* with ``backend="scenedetect"``, PySceneDetect's ``ContentDetector`` (HSV frame difference, threshold 27 on
  0-255, its default) through its PyAV backend (``pip install scenedetect[opencv-headless]``);
* or, with ``backend="histogram"``, a 16-bin histogram per RGB channel and the total-variation distance between
  consecutive frames' histograms (in ``[0, 1]``); a new shot starts where it reaches ``threshold`` (0.35).

Either way, cuts closer than ``min_shot_s`` to the previous one are ignored, and a shot is ``(start_s, end_s)``
with ``start = first frame / fps`` and ``end = one past its last frame / fps``; the last ends at the duration.

:func:`assign_shots` then gives each script shot an interval: in order when the counts agree, otherwise from
the script's own time codes (scaled to the video, each inner boundary snapped to a detected cut within
``snap_s``), or, without time codes, by splitting the video evenly.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from scine_eval.video import decode

__all__ = [
    "Segment",
    "adaptive_cuts",
    "assign_shots",
    "block_distances",
    "cuts_from_distances",
    "detect_shots",
    "histogram_distances",
    "scenedetect_available",
]

Segment = tuple[float, float]
"""``(start_s, end_s)`` of one shot."""

_THUMBNAIL_PIXELS = 64 * 64
_BINS = 16


def histogram_distances(frames: npt.NDArray[np.uint8], bins: int = _BINS) -> npt.NDArray[np.float64]:
    """Distance between each frame and the previous one: ``(T - 1,)`` values in ``[0, 1]``.

    The total-variation distance ``0.5 * sum |h_t - h_{t-1}|`` of normalised ``bins``-bin histograms, per RGB
    channel, averaged over the channels: 0 for frames with the same colours, 1 for frames with no colour in common.
    """
    t = frames.shape[0]
    levels = (frames.reshape(t, -1, 3).astype(np.int64) * bins) // 256  # (T, pixels, 3) bin indices
    offsets = (np.arange(t)[:, None, None] * 3 + np.arange(3)) * bins  # one bin range per (frame, channel)
    counts = np.bincount((levels + offsets).ravel(), minlength=t * 3 * bins).reshape(t, 3, bins)
    hist = counts / levels.shape[1]  # each (frame, channel) row sums to 1
    return 0.5 * np.abs(np.diff(hist, axis=0)).sum(axis=2).mean(axis=1)


def cuts_from_distances(distances: npt.ArrayLike, threshold: float, min_frames: int = 1) -> list[int]:
    """Frames that start a new shot: ``t`` where ``distances[t - 1] >= threshold``, at least ``min_frames`` apart.

    Args:
        distances: ``(T - 1,)`` distances between frame ``t`` and ``t - 1`` (see :func:`histogram_distances`).
        threshold: the distance that counts as a cut.
        min_frames: the shortest shot in frames; a cut closer to the previous cut (or to frame 0) is ignored.
    """
    cuts: list[int] = []
    for t, value in enumerate(np.asarray(distances, dtype=np.float64), start=1):
        if value >= threshold and t - (cuts[-1] if cuts else 0) >= min_frames:
            cuts.append(t)
    return cuts


def block_distances(frames: npt.NDArray[np.uint8], grid: int = 8) -> npt.NDArray[np.float64]:
    """Distance between each frame and the previous one: ``(T - 1,)`` values on 0-255.

    The mean absolute difference of the frames' ``grid`` x ``grid`` block means (the edge rows and columns that
    do not fill a block are left out).
    """
    t, h, w, c = frames.shape
    bh, bw = max(1, h // grid), max(1, w // grid)
    gh, gw = h // bh, w // bw
    blocks = frames[:, : gh * bh, : gw * bw].reshape(t, gh, bh, gw, bw, c).mean(axis=(2, 4), dtype=np.float64)
    return np.abs(np.diff(blocks, axis=0)).mean(axis=(1, 2, 3))


def adaptive_cuts(
    distances: npt.ArrayLike, ratio: float = 2.0, floor: float = 4.0, window: int = 5, min_frames: int = 1
) -> list[int]:
    """Frames that start a new shot: ``t`` whose distance to ``t - 1`` stands out from its neighbourhood.

    A cut is at least ``ratio`` times every other distance within ``window`` frames on either side (the motion
    of the shots it joins) and at least ``floor``; cuts closer than ``min_frames`` to the previous are ignored.
    """
    values = np.asarray(distances, dtype=np.float64)
    cuts: list[int] = []
    for index, value in enumerate(values):
        around = np.concatenate([values[max(0, index - window) : index], values[index + 1 : index + 1 + window]])
        local = float(around.max()) if around.size else 0.0
        t = index + 1
        if value >= floor and value >= ratio * local and t - (cuts[-1] if cuts else 0) >= min_frames:
            cuts.append(t)
    return cuts


def scenedetect_available() -> bool:
    """Whether PySceneDetect and the OpenCV it needs import."""
    try:
        import cv2  # noqa: F401
        import scenedetect  # noqa: F401
    except ImportError:
        return False
    return True


def detect_shots(
    path: str | os.PathLike[str],
    backend: Literal["auto", "scenedetect", "builtin", "histogram"] = "auto",
    threshold: float | None = None,
    min_shot_s: float = 0.5,
) -> list[Segment]:
    """The shots of a video as ``[(start_s, end_s)]``, covering it from 0 to its duration.

    Args:
        path: the video file.
        backend: ``auto`` or ``builtin`` (the adaptive block-difference detector), ``scenedetect``
            (PySceneDetect's ContentDetector) or ``histogram``.
        threshold: the cut threshold: ContentDetector's score (default 27), the adaptive detector's ``ratio``
            (default 2) or the histogram distance (default 0.35).
        min_shot_s: the shortest shot in seconds (at least one frame).

    Raises:
        VideoError: the file cannot be decoded.
        ImportError: ``backend="scenedetect"`` without PySceneDetect.
    """
    if backend == "scenedetect":
        return _scenedetect(path, 27.0 if threshold is None else threshold, min_shot_s)
    sampled = decode(path, fps=None, max_pixels=_THUMBNAIL_PIXELS)
    fps = sampled.info.fps
    min_frames = max(1, round(min_shot_s * fps))
    if backend == "histogram":
        cuts = cuts_from_distances(histogram_distances(sampled.frames), threshold or 0.35, min_frames)
    else:
        cuts = adaptive_cuts(block_distances(sampled.frames), threshold or 2.0, min_frames=min_frames)
    bounds = [0, *cuts, len(sampled.frames)]
    return [(a / fps, b / fps) for a, b in itertools.pairwise(bounds)]


def assign_shots(
    texts: Sequence[str],
    segments: Sequence[Segment],
    script_times: Sequence[Segment] | None = None,
    snap_s: float = 0.5,
) -> list[tuple[str, float, float]]:
    """Give each shot text an interval of the video, from detected ``segments``.

    * Same number of segments as texts: the k-th text gets the k-th segment.
    * Otherwise, with ``script_times`` (one ``(start_s, end_s)`` per text): the script's boundaries mapped
      linearly onto the detected span (first segment's start to last segment's end), each inner boundary moved
      to the nearest detected cut within ``snap_s`` seconds if that keeps the shots in order.
    * Otherwise: the span split evenly.

    Args:
        texts: the script's shot texts, in order.
        segments: detected shots, in order (see :func:`detect_shots`).
        script_times: the script's own time codes per shot, if it has any.
        snap_s: how far a script boundary may move to meet a detected cut.

    Returns:
        ``[(text, start_s, end_s)]`` in script order.

    Raises:
        ValueError: no texts, no segments, or ``script_times`` of another length than ``texts``.
    """
    if not texts or not segments:
        raise ValueError(f"need at least one text and one segment, got {len(texts)} texts and {len(segments)} segments")
    if len(segments) == len(texts):
        return [(text, float(a), float(b)) for text, (a, b) in zip(texts, segments, strict=True)]
    if script_times is not None and len(script_times) != len(texts):
        raise ValueError(f"script_times has {len(script_times)} entries for {len(texts)} texts")
    start, end = float(segments[0][0]), float(segments[-1][1])
    k = len(texts)
    bounds = [start + (end - start) * i / k for i in range(k + 1)]
    if script_times is not None:
        s0, s1 = float(script_times[0][0]), float(script_times[-1][1])
        if s1 > s0:
            bounds = [start + (end - start) * (float(t) - s0) / (s1 - s0) for t, _ in script_times] + [end]
            cuts = [float(a) for a, _ in segments[1:]]
            for i in range(1, k):
                nearest = min(cuts, key=lambda c: abs(c - bounds[i]), default=None)
                if nearest is None or abs(nearest - bounds[i]) > snap_s:
                    continue
                if bounds[i - 1] < nearest < bounds[i + 1]:  # never reorder or empty a shot
                    bounds[i] = nearest
    return [(text, bounds[i], bounds[i + 1]) for i, text in enumerate(texts)]


def _scenedetect(path: str | os.PathLike[str], threshold: float, min_shot_s: float) -> list[Segment]:
    from scenedetect import ContentDetector, detect

    from scine_eval.video import probe

    info = probe(path)  # raises VideoError for an unusable file, as the built-in path does
    detector = ContentDetector(threshold=threshold, min_scene_len=max(1, round(min_shot_s * info.fps)))
    scenes = detect(os.fspath(path), detector, start_in_scene=True, backend="pyav")
    if not scenes:
        return [(0.0, info.duration)]
    bounds = [int(start.frame_num) for start, _ in scenes] + [info.n_frames]
    bounds[0] = 0
    return [(a / info.fps, b / info.fps) for a, b in itertools.pairwise(bounds)]
