"""Inception Score: how confidently and how diversely a classifier labels the videos.

    IS = exp( E_x KL( p(y|x) || p(y) ) ),   p(y) = E_x p(y|x)

computed on each of ``splits`` contiguous chunks of the videos (in the order given) and reported as the mean over
chunks, with their standard deviation in ``details`` (Salimans et al. 2016). It lies in ``[1, classes]``: 1 when
every video gets the same distribution, ``classes`` when each is labelled with certainty and the labels are spread
evenly.

The video IS of TGAN / TATS on UCF-101 uses a C3D classifier (Sports-1M, fine-tuned on UCF-101) on 16 frames of
112x112; its weights are not on the Hub as a transformers model. The metric here takes any transformers video
classifier (``AutoModelForVideoClassification``: VideoMAE, TimeSformer, ViViT...) with its video processor, e.g. a
VideoMAE fine-tuned on UCF-101; numbers are comparable only between runs with the same classifier and splits.

    scine-eval ... --metrics is:classifier=/models/videomae-base-finetuned-ucf101
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from scine_eval.compat import ensure_torchvision
from scine_eval.contracts.arguments import PositiveInt
from scine_eval.contracts.metric import MetricValue, MetricVideo, VideoMetric, register_metric
from scine_eval.errors import ConfigError, MissingDependencyError, VideoError
from scine_eval.metrics.device import resolve_device
from scine_eval.video import decode

__all__ = ["InceptionScore", "clip_frames", "inception_score"]


def inception_score(probs: npt.ArrayLike, splits: int = 10) -> tuple[float, float]:
    """Mean and standard deviation over ``splits`` chunks of ``exp(E KL(p(y|x) || p(y)))``.

    Args:
        probs: ``(N, C)`` class probabilities, one row per video, each summing to 1 (within 1e-4).
        splits: number of contiguous chunks (``numpy.array_split``), from 1 to ``N``.

    Returns:
        ``(mean, std)`` over the chunks (``std`` with ``ddof=0``, as the original code).

    Raises:
        ValueError: not a ``(N, C)`` array of probabilities, or ``splits`` out of range.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
        raise ValueError(f"probs must be (N, C) with N >= 1, got shape {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("probs must be finite, non-negative rows that each sum to 1")
    if not 1 <= splits <= p.shape[0]:
        raise ValueError(f"splits must be between 1 and the number of rows ({p.shape[0]}), got {splits}")
    p = p / p.sum(axis=1, keepdims=True)
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0)
        # 0 log 0 = 0; where p(y|x) > 0, p(y) > 0 too.
        safe = np.where(part > 0, part, 1.0)
        kl = np.sum(np.where(part > 0, part * (np.log(safe) - np.log(np.where(marginal > 0, marginal, 1.0))), 0.0), 1)
        scores.append(float(np.exp(kl.mean())))
    return float(np.mean(scores)), float(np.std(scores))


def clip_frames(path: str | Path, frames: int) -> npt.NDArray[np.uint8]:
    """``frames`` frames spread uniformly over the whole video (first and last kept), as ``(T, H, W, 3)`` uint8.

    A video with fewer frames repeats them (nearest-frame resampling), because a video classifier takes clips of
    a fixed length.

    Raises:
        VideoError: the file cannot be decoded.
    """
    sampled = decode(path, fps=None, max_frames=frames).frames
    if len(sampled) < frames:
        positions = np.floor(np.linspace(0, len(sampled) - 1, frames) + 0.5).astype(int)
        sampled = sampled[positions]
    return sampled


@register_metric("is")
class InceptionScore(VideoMetric):
    """Inception Score under a transformers video classifier (higher is better).

    Args:
        classifier: a Hub id or local folder of an ``AutoModelForVideoClassification`` checkpoint with its video
            processor (e.g. VideoMAE fine-tuned on UCF-101). Without one the metric abstains.
        revision: the Hub branch, tag or commit of the classifier.
        frames: frames per clip; default: the classifier's ``config.num_frames`` (16 for VideoMAE), else 16.
        splits: chunks the videos are split into (at most one per video: fewer videos use fewer chunks).
        batch_size: clips per forward pass.
        device: ``auto`` (CUDA if available, else CPU), ``cpu``, ``cuda``, ``cuda:1``...
        dtype: precision of the classifier.
    """

    higher_is_better = True
    description = "Inception Score of the videos under a video classifier (e.g. VideoMAE fine-tuned on UCF-101)"

    def __init__(
        self,
        classifier: str | None = None,
        revision: str | None = None,
        frames: PositiveInt | None = None,
        splits: PositiveInt = 10,
        batch_size: PositiveInt = 8,
        device: str = "auto",
        dtype: Literal["float32", "float16", "bfloat16"] = "float32",
    ):
        if dtype not in ("float32", "float16", "bfloat16"):
            raise ConfigError(f"dtype={dtype!r}: valid values are float32, float16, bfloat16")
        self.classifier, self.revision, self.frames, self.splits = classifier, revision, frames, splits
        self.batch_size, self.device, self.dtype = batch_size, device, dtype
        self._loaded: tuple[Any, Any] | None = None

    def spec(self) -> dict[str, Any]:
        return {
            "metric": self.name,
            "classifier": self.classifier,
            "revision": self.revision,
            "frames": self.frames,
            "splits": self.splits,
            "dtype": self.dtype,
        }

    def compute(self, videos: Sequence[MetricVideo]) -> MetricValue:
        if not self.classifier:
            return MetricValue(
                None, 0, "IS needs a video classifier: --metrics is:classifier=<Hub id or folder> (a transformers "
                "video-classification checkpoint, e.g. VideoMAE fine-tuned on UCF-101)"
            )  # fmt: skip
        model, processor = self.load()
        frames = self.frames or int(getattr(model.config, "num_frames", 16) or 16)
        probs, kept, skipped = self._probabilities(videos, model, processor, frames)
        details: dict[str, Any] = {
            "classifier": self.classifier,
            "frames": frames,
            "classes": int(model.config.num_labels),
            "skipped": [
                {"prompt_id": v.prompt_id, "seed": v.seed, "path": str(v.path), "error": error} for v, error in skipped
            ],
        }
        if not kept:
            return MetricValue(None, 0, "no video could be decoded", details)
        splits = min(self.splits, len(kept))
        mean, std = inception_score(probs, splits)
        labels = getattr(model.config, "id2label", {}) or {}
        details |= {
            "std": std,
            "splits": splits,
            "per_video": [
                {"prompt_id": v.prompt_id, "seed": v.seed, "top_class": labels.get(int(k), str(int(k))), "p": float(q)}
                for v, k, q in zip(kept, probs.argmax(1), probs.max(1), strict=True)
            ],
        }
        return MetricValue(mean, len(kept), details=details)

    def load(self) -> tuple[Any, Any]:
        """The classifier (eval mode, on its device) and its video processor, loaded on first use."""
        if self._loaded is None:
            self._loaded = _load_classifier(str(self.classifier), self.revision, self.device, self.dtype)
        return self._loaded

    def _probabilities(
        self, videos: Sequence[MetricVideo], model: Any, processor: Any, frames: int
    ) -> tuple[npt.NDArray[np.float64], list[MetricVideo], list[tuple[MetricVideo, str]]]:
        import torch

        kept: list[MetricVideo] = []
        skipped: list[tuple[MetricVideo, str]] = []
        rows: list[npt.NDArray[np.float64]] = []
        batch: list[npt.NDArray[np.uint8]] = []
        parameter = next(model.parameters())

        def flush() -> None:
            inputs = processor(videos=list(batch), return_tensors="pt")
            pixels = inputs["pixel_values"].to(device=parameter.device, dtype=parameter.dtype)
            with torch.inference_mode():
                logits = model(pixel_values=pixels).logits
            rows.append(logits.float().softmax(-1).cpu().numpy().astype(np.float64))
            batch.clear()

        for video in videos:
            try:
                batch.append(clip_frames(video.path, frames))
            except VideoError as error:
                skipped.append((video, error.cause))
                continue
            kept.append(video)
            if len(batch) == self.batch_size:
                flush()
        if batch:
            flush()
        return (np.concatenate(rows) if rows else np.empty((0, 0))), kept, skipped


def _load_classifier(source: str, revision: str | None, device: str, dtype: str) -> tuple[Any, Any]:
    try:
        import torch

        ensure_torchvision()
        from transformers import AutoModelForVideoClassification, AutoVideoProcessor
    except ImportError as error:
        raise MissingDependencyError(error.name or "transformers", "llm") from None
    device = resolve_device(device)
    try:
        model = AutoModelForVideoClassification.from_pretrained(source, revision=revision, dtype=getattr(torch, dtype))
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"classifier={source!r} could not be loaded as a video classifier: {' '.join(str(error).split())}. "
            "Give a Hub id or folder of a transformers video-classification checkpoint (VideoMAE, TimeSformer, "
            "ViViT...); offline, it must already be in the Hugging Face cache"
        ) from None
    try:
        # AutoVideoProcessor also reads checkpoints that only ship an image processor (preprocessor_config.json).
        processor = AutoVideoProcessor.from_pretrained(source, revision=revision)
    except (OSError, ValueError, ImportError) as error:
        raise ConfigError(
            f"the video processor of classifier={source!r} could not be loaded: {' '.join(str(error).split())}"
        ) from None
    return model.to(device).eval(), processor
