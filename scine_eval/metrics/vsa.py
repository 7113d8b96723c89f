"""VSA (Visual-Script Alignment): do the frames of each shot match *that shot's* text?

Definition (the paper's, "The Script is All You Need", arXiv 2601.17737, as reported in other-papers.md §A.5;
the equation itself could not be checked against the PDF): the script is split into shots ``k`` with text ``s_k``
and interval ``[t_k, t_{k+1})``; every frame inside interval ``k`` is embedded with CLIP's image encoder and compared
only with the CLIP text embedding of ``s_k``; with unit embeddings the comparison is a cosine, and

    VSA = mean over all sampled frames f of cos(image(f), text(s_{shot(f)}))        in [-1, 1]

so a shot weighs by its duration. We follow the paper. The released code (``critic_agent_video.py``,
``calculate_vsa_score``) differs: it scores frames of the whole video against the *best* of the script's first ten
sentences (no per-shot timing), rescales the cosine ad hoc to 0-100, and mixes in an optical-flow "motion quality"
(``0.7 * clip + 30 * motion``). Its numbers are not comparable with this metric.

Protocol here:

* **frames**: sampled at ``fps`` (default 2; ``fps=None`` takes every frame, the paper's literal definition) over
  the whole video (:func:`scine_eval.video.decode`), each assigned to the shot whose interval holds its timestamp;
  frames outside every interval are not used, and a shot too short to hold a sampled frame counts for nothing
  (``shots_without_frames`` in the per-video details).
* **intervals** (``timing``): ``script`` uses the script's seconds as given; ``scaled`` (default) multiplies them so
  the last shot ends where the video ends (identical to ``script`` when the model kept the script's duration);
  ``detect`` finds the cuts in the video (:mod:`scine_eval.metrics.shots`) and pairs them with the shot texts. A
  script without usable time codes (no shot with ``end_s > start_s``) falls back to ``detect``.
* **videos without shots** (single-shot prompts) count as one shot spanning the whole video with the prompt text,
  so VSA reduces to a CLIPSIM-like score at ``fps``; they have no shuffled control.
* **aggregation**: VSA per video, then the mean over videos.
* **shuffled-shot control**: the same frames compared with the shot texts rotated by one (shot ``k`` gets the text of
  shot ``k + 1``, the last gets the first's: a fixed derangement), for videos with at least two shots.
  ``details["shuffled"]`` is its mean, ``details["aligned_multi_shot"]`` VSA over the same videos and
  ``details["gap"]`` their difference: the part of the alignment that is about *when*, not only *what*.

    scine-eval ... --metrics vsa:clip=openai/clip-vit-base-patch32,fps=2,timing=scaled
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from scine_eval.contracts.arguments import PositiveFloat, PositiveInt
from scine_eval.contracts.metric import MetricValue, MetricVideo, VideoMetric, register_metric
from scine_eval.errors import VideoError
from scine_eval.metrics.clip_backbone import DEFAULT_CLIP, ClipBacked, ClipDtype, unit_rows
from scine_eval.metrics.shots import Segment, assign_shots, detect_shots
from scine_eval.video import VideoInfo, decode

__all__ = ["VSA", "derangement", "frames_by_shot", "shuffled_vsa", "vsa_of_segments"]

VSA_VERSION = "1"
"""Bump when frame assignment or aggregation changes numbers for the same backbone and options."""

Timing = Literal["script", "scaled", "detect"]
_EDGE = 1e-6  # seconds of slack, so a frame exactly on a boundary is not lost to float round-off


def vsa_of_segments(frame_embeddings_per_shot: Sequence[npt.ArrayLike], text_embeddings: npt.ArrayLike) -> float:
    """Mean, over every frame of every shot, of the cosine between the frame and its own shot's text.

    Args:
        frame_embeddings_per_shot: per shot ``k``, its frames' embeddings ``(n_k, D)`` (``n_k`` may be 0).
        text_embeddings: ``(K, D)``, row ``k`` the text of shot ``k``.

    Returns:
        The frame-weighted mean cosine (embeddings are normalised here, so raw ones are fine).

    Raises:
        ValueError: the shot counts or dimensions disagree, or no shot has a frame.
    """
    texts = unit_rows(text_embeddings)
    if texts.ndim != 2 or len(frame_embeddings_per_shot) != texts.shape[0]:
        raise ValueError(f"{len(frame_embeddings_per_shot)} shots of frames but text embeddings of shape {texts.shape}")
    total, count = 0.0, 0
    for k, frames in enumerate(frame_embeddings_per_shot):
        f = unit_rows(np.asarray(frames, dtype=np.float64).reshape(-1, texts.shape[1]))
        total += float((f @ texts[k]).sum())
        count += f.shape[0]
    if count == 0:
        raise ValueError("no shot has a frame")
    return total / count


def derangement(k: int) -> list[int]:
    """The control's permutation: shot ``i`` gets text ``(i + 1) % k`` (no shot keeps its own for ``k >= 2``)."""
    return [(i + 1) % k for i in range(k)]


def shuffled_vsa(frame_embeddings_per_shot: Sequence[npt.ArrayLike], text_embeddings: npt.ArrayLike) -> float | None:
    """:func:`vsa_of_segments` with the texts permuted by :func:`derangement`; None for fewer than two shots."""
    texts = np.asarray(text_embeddings, dtype=np.float64)
    if texts.shape[0] < 2:
        return None
    return vsa_of_segments(frame_embeddings_per_shot, texts[derangement(texts.shape[0])])


def frames_by_shot(timestamps: Sequence[float], intervals: Sequence[Segment]) -> list[list[int]]:
    """Per interval ``[start, end)``, the positions of the timestamps inside it (each in the first that holds it)."""
    groups: list[list[int]] = [[] for _ in intervals]
    for position, t in enumerate(timestamps):
        for k, (start, end) in enumerate(intervals):
            if start - _EDGE <= t < end - _EDGE:
                groups[k].append(position)
                break
    return groups


@register_metric("vsa")
class VSA(ClipBacked, VideoMetric):
    """Per-shot CLIP alignment of frames with their own shot's text, with a shuffled-shot control.

    Args:
        clip: a Hub id or local folder of a CLIP checkpoint.
        revision: the Hub branch, tag or commit.
        fps: frames sampled per second of video; ``None`` for every frame.
        timing: where shot intervals come from: ``script``, ``scaled`` (script times stretched to the video) or
            ``detect`` (cuts found in the video).
        shot_detector: for ``detect``: ``auto`` (PySceneDetect if installed, else built-in), ``scenedetect``,
            ``builtin``.
        batch_size: frames per image-encoder forward pass.
        device: ``auto`` (CUDA if available, else CPU), ``cpu``, ``cuda``, ``cuda:1``...
        dtype: precision of the CLIP model.
    """

    higher_is_better = True
    description = "Visual-Script Alignment: per-shot CLIP cosine of frames with their own shot text, shuffled control"

    def __init__(
        self,
        clip: str = DEFAULT_CLIP,
        revision: str | None = None,
        fps: PositiveFloat | None = 2.0,
        timing: Timing = "scaled",
        shot_detector: Literal["auto", "scenedetect", "builtin", "histogram"] = "auto",
        batch_size: PositiveInt = 32,
        device: str = "auto",
        dtype: ClipDtype = "float32",
    ):
        self.clip, self.revision, self.fps, self.timing, self.shot_detector = clip, revision, fps, timing, shot_detector
        self.batch_size, self.device, self.dtype = batch_size, device, dtype

    def spec(self) -> dict[str, Any]:
        return {
            "metric": self.name,
            "version": VSA_VERSION,
            "clip": self.clip,
            "revision": self.revision,
            "fps": self.fps,
            "timing": self.timing,
            "shot_detector": self.shot_detector,  # also used when a script has no time codes
            "dtype": self.dtype,
        }

    def compute(self, videos: Sequence[MetricVideo]) -> MetricValue:
        per_video: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        for video in videos:
            who = {"prompt_id": video.prompt_id, "seed": video.seed}
            try:
                row = self.score(video)
            except VideoError as error:
                skipped.append({**who, "path": str(video.path), "error": error.cause})
                continue
            if row is None:
                skipped.append({**who, "path": str(video.path), "error": "no sampled frame lies inside a shot"})
            else:
                per_video.append({**who, **row})
        details: dict[str, Any] = {"per_video": per_video, "skipped": skipped, "clip": self.clip}
        multi = [row for row in per_video if row["shuffled"] is not None]
        aligned = float(np.mean([row["value"] for row in multi])) if multi else None
        shuffled = float(np.mean([row["shuffled"] for row in multi])) if multi else None
        details |= {
            "n_multi_shot": len(multi),
            "aligned_multi_shot": aligned,
            "shuffled": shuffled,
            "gap": aligned - shuffled if aligned is not None and shuffled is not None else None,
        }
        if not per_video:
            return MetricValue(None, 0, "no video could be scored", details)
        return MetricValue(float(np.mean([row["value"] for row in per_video])), len(per_video), details=details)

    def score(self, video: MetricVideo) -> dict[str, Any] | None:
        """One video's VSA, shuffled VSA and bookkeeping; None when no sampled frame lies in a shot.

        Raises:
            VideoError: the file cannot be decoded.
        """
        sampled = decode(video.path, fps=self.fps)
        shots, timing = self.shots(video, sampled.info)
        groups = frames_by_shot(sampled.timestamps, [(start, end) for _, start, end in shots])
        used = [position for group in groups for position in group]
        if not used:
            return None
        backbone = self.backbone()
        images = backbone.embed_images(sampled.frames[used])
        texts = backbone.embed_texts([text for text, _, _ in shots])
        bounds = np.cumsum([0] + [len(group) for group in groups])
        per_shot = [images[a:b] for a, b in itertools.pairwise(bounds)]
        return {
            "value": vsa_of_segments(per_shot, texts),
            "shuffled": shuffled_vsa(per_shot, texts),
            "shots": len(shots),
            "frames": len(used),
            "shots_without_frames": sum(1 for group in groups if not group),
            "timing": timing,
        }

    def shots(self, video: MetricVideo, info: VideoInfo) -> tuple[list[tuple[str, float, float]], str]:
        """The shots with intervals in the video's seconds, and which timing gave them (see the module docstring)."""
        if not video.shots:
            return [(video.text, 0.0, info.duration)], "whole video"
        texts = [text for text, _, _ in video.shots]
        times = [(float(start), float(end)) for _, start, end in video.shots]
        usable = any(end > start for start, end in times)
        if self.timing == "detect" or not usable:
            segments = detect_shots(video.path, backend=self.shot_detector)
            return assign_shots(texts, segments, times if usable else None), "detect"
        if self.timing == "script":
            return [(text, start, end) for text, (start, end) in zip(texts, times, strict=True)], "script"
        factor = info.duration / max(end for _, end in times)
        return [(text, start * factor, end * factor) for text, (start, end) in zip(texts, times, strict=True)], "scaled"
