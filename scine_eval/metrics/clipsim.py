"""CLIPSIM: the mean CLIP cosine between a video's frames and the text it was generated from.

Protocol (GODIVA's definition, as used by Video LDM and LaVie for zero-shot MSR-VTT):

* per video, ``frames`` frames (default 16) spread uniformly over the whole video, first and last kept
  (:func:`scine_eval.video.sample_indices` with ``max_frames``); a shorter video uses all its frames;
* each frame is embedded with the CLIP image encoder, the prompt text with the text encoder (truncated to 77
  tokens), both unit-normalised; the video's value is the mean over its frames of the cosines;
* CLIPSIM is the mean over videos, reported as a raw cosine (LaVie's 0.2949 is on this scale; torchmetrics'
  CLIPScore is ``max(100 cos, 0)`` instead).

LaVie does not state how many frames it scores (its base model makes 16, so presumably all). The default backbone is
LaVie's CLIP ViT-B/32 through transformers; the OpenAI ``clip`` package preprocesses slightly differently (PIL vs
torchvision resizing), which can move the third decimal.

    scine-eval ... --metrics clipsim:clip=openai/clip-vit-base-patch32,frames=16
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scine_eval.contracts.arguments import PositiveInt
from scine_eval.contracts.metric import MetricValue, MetricVideo, VideoMetric, register_metric
from scine_eval.errors import VideoError
from scine_eval.metrics.clip_backbone import DEFAULT_CLIP, ClipBacked, ClipDtype
from scine_eval.video import decode

__all__ = ["ClipSim"]


@register_metric("clipsim")
class ClipSim(ClipBacked, VideoMetric):
    """Mean per-frame CLIP text-image cosine, averaged over frames and then videos (higher is better).

    Args:
        clip: a Hub id or local folder of a CLIP checkpoint.
        revision: the Hub branch, tag or commit.
        frames: frames per video, spread uniformly over it.
        batch_size: frames per image-encoder forward pass.
        device: ``auto`` (CUDA if available, else CPU), ``cpu``, ``cuda``, ``cuda:1``...
        dtype: precision of the CLIP model.
    """

    higher_is_better = True
    description = "CLIPSIM: mean CLIP (ViT-B/32) cosine between the prompt and 16 uniformly sampled frames"

    def __init__(
        self,
        clip: str = DEFAULT_CLIP,
        revision: str | None = None,
        frames: PositiveInt = 16,
        batch_size: PositiveInt = 32,
        device: str = "auto",
        dtype: ClipDtype = "float32",
    ):
        self.clip, self.revision, self.frames = clip, revision, frames
        self.batch_size, self.device, self.dtype = batch_size, device, dtype

    def spec(self) -> dict[str, Any]:
        return {"metric": self.name, "clip": self.clip, "revision": self.revision, "frames": self.frames,
                "dtype": self.dtype}  # fmt: skip

    def compute(self, videos: Sequence[MetricVideo]) -> MetricValue:
        backbone = self.backbone()
        per_video: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        texts = backbone.embed_texts([v.text for v in videos])
        for video, text in zip(videos, texts, strict=True):
            who = {"prompt_id": video.prompt_id, "seed": video.seed}
            try:
                frames = decode(video.path, fps=None, max_frames=self.frames).frames
            except VideoError as error:
                skipped.append({**who, "path": str(video.path), "error": error.cause})
                continue
            cosines = backbone.embed_images(frames) @ text
            per_video.append({**who, "value": float(cosines.mean()), "frames": len(cosines)})
        details: dict[str, Any] = {"per_video": per_video, "skipped": skipped, "clip": self.clip}
        if not per_video:
            return MetricValue(None, 0, "no video could be decoded", details)
        return MetricValue(float(np.mean([v["value"] for v in per_video])), len(per_video), details=details)
