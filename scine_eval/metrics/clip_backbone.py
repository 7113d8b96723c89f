"""A CLIP model that embeds video frames and texts as unit vectors, shared by ``clipsim`` and ``vsa``.

Loaded with the transformers Auto classes (``AutoModel`` + ``AutoProcessor``) from a Hub id or a local folder, so
any CLIP-style checkpoint with ``get_image_features`` / ``get_text_features`` works. Frames go through the
checkpoint's own image processor (CLIP: bicubic resize of the shorter side to 224, centre crop 224, CLIP's mean and
std); texts are truncated to the text encoder's context (77 tokens for CLIP). Embeddings are computed in the model's
dtype, then normalised in float64, so a cosine is a plain dot product.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from scine_eval.compat import ensure_torchvision
from scine_eval.errors import ConfigError, MissingDependencyError
from scine_eval.metrics.device import resolve_device

__all__ = ["DEFAULT_CLIP", "ClipBackbone", "ClipDtype", "unit_rows"]

DEFAULT_CLIP = "openai/clip-vit-base-patch32"
"""CLIP ViT-B/32: the backbone of CLIPSIM in Video LDM and LaVie."""

ClipDtype = Literal["float32", "float16", "bfloat16"]


def unit_rows(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Rows scaled to unit length (float64); a zero row stays zero."""
    a = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(a, axis=-1, keepdims=True)
    return a / np.where(norms > 0, norms, 1.0)


@dataclass
class ClipBackbone:
    """A loaded CLIP model and processor.

    Attributes:
        model: the transformers model, in eval mode.
        processor: its processor (image processor and tokenizer).
        pretrained: the Hub id or folder it was loaded from.
        batch_size: frames per image-encoder forward pass.
    """

    model: Any
    processor: Any
    pretrained: str
    batch_size: int = 32

    @classmethod
    def load(
        cls,
        pretrained: str = DEFAULT_CLIP,
        revision: str | None = None,
        device: str = "auto",
        dtype: ClipDtype = "float32",
        batch_size: int = 32,
    ) -> ClipBackbone:
        """Load model and processor; every failure is a :class:`ConfigError` naming the ``clip`` option.

        Args:
            pretrained: a Hub id or a local checkpoint folder.
            revision: a Hub branch, tag or commit.
            device: ``auto`` (CUDA if available, else CPU), ``cpu``, ``cuda``, ``cuda:1``...
            dtype: the precision the model runs in.
            batch_size: frames per image-encoder forward pass.
        """
        try:
            import torch

            ensure_torchvision()
            from transformers import AutoModel, AutoProcessor
        except ImportError as error:
            raise MissingDependencyError(error.name or "transformers", "llm") from None
        if dtype not in ("float32", "float16", "bfloat16"):
            raise ConfigError(f"dtype={dtype!r}: valid values are float32, float16, bfloat16")
        device = resolve_device(device)
        local = Path(pretrained).expanduser()
        source = str(local) if local.is_dir() else pretrained
        try:
            model = AutoModel.from_pretrained(source, revision=revision, dtype=getattr(torch, dtype))
            processor = AutoProcessor.from_pretrained(source, revision=revision)
        except (OSError, ValueError, ImportError) as error:
            raise ConfigError(
                f"clip={pretrained!r} could not be loaded: {' '.join(str(error).split())}. Give a Hub id (offline: "
                "already in the Hugging Face cache) or a folder with config.json, the weights, the tokenizer and "
                "the image processor's config"
            ) from None
        if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
            raise ConfigError(
                f"clip={pretrained!r} is a {type(model).__name__}, which has no get_image_features / "
                "get_text_features; give a CLIP-style checkpoint (e.g. openai/clip-vit-base-patch32)"
            )
        return cls(model.to(device).eval(), processor, pretrained, batch_size)

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device

    def embed_images(self, frames: npt.NDArray[np.uint8] | Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float64]:
        """Unit embeddings of RGB frames: ``(N, D)`` from ``N`` uint8 arrays ``(H, W, 3)``."""
        import torch

        frames = list(frames)
        out: list[npt.NDArray[np.float64]] = []
        dtype = next(self.model.parameters()).dtype
        for start in range(0, len(frames), self.batch_size):
            inputs = self.processor(images=frames[start : start + self.batch_size], return_tensors="pt")
            pixels = inputs["pixel_values"].to(device=self.device, dtype=dtype)
            with torch.inference_mode():
                out.append(_numpy(self.model.get_image_features(pixel_values=pixels)))
        width = int(getattr(self.model.config, "projection_dim", 0) or 0)
        return unit_rows(np.concatenate(out)) if out else np.empty((0, width))

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Unit embeddings of texts: ``(N, D)``; texts longer than the context are truncated."""
        import torch

        if not texts:
            return np.empty((0, int(getattr(self.model.config, "projection_dim", 0) or 0)))
        text_config = getattr(self.model.config, "text_config", self.model.config)
        context = int(getattr(text_config, "max_position_embeddings", 77))
        inputs = self.processor(
            text=list(texts), return_tensors="pt", padding=True, truncation=True, max_length=context
        )
        inputs = {k: v.to(self.device) for k, v in inputs.items() if k in ("input_ids", "attention_mask")}
        with torch.inference_mode():
            return unit_rows(_numpy(self.model.get_text_features(**inputs)))


def _numpy(output: Any) -> npt.NDArray[np.float64]:
    """Projected features as float64: transformers 5 returns an output whose ``pooler_output`` holds them."""
    features = getattr(output, "pooler_output", output)
    return features.float().cpu().numpy().astype(np.float64)


@functools.lru_cache(maxsize=2)
def shared_backbone(
    pretrained: str, revision: str | None, device: str, dtype: ClipDtype, batch_size: int
) -> ClipBackbone:
    """:meth:`ClipBackbone.load`, once per process for the same arguments: ``--metrics clipsim vsa`` load one CLIP."""
    return ClipBackbone.load(pretrained, revision, device, dtype, batch_size)


class ClipBacked:
    """What ``clipsim`` and ``vsa`` share: options naming a CLIP, and :meth:`backbone`, loaded on first use."""

    clip: str
    revision: str | None
    device: str
    dtype: ClipDtype
    batch_size: int

    def backbone(self) -> ClipBackbone:
        """The CLIP model, loaded on first use (and shared with another metric on the same checkpoint)."""
        return shared_backbone(self.clip, self.revision, self.device, self.dtype, self.batch_size)
