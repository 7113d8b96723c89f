"""The model-adapter contract: generation requests in, video files out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from scine_eval.fingerprint import fingerprint
from scine_eval.registry import Registry

SEED_RECIPE = "seed = base_seed + sample_index"
"""How each request's seed is derived; independent of prompt order, so --limit never shifts seeds."""


@dataclass(frozen=True)
class Shot:
    """One shot of a multi-shot script: its text, its place in the video, and the controls it maps to."""

    text: str
    """What alignment compares the shot's frames with (:meth:`scine_eval.multishot.script.Script.shot_text`)."""
    start_s: float
    end_s: float
    controls: tuple[tuple[str, str], ...] = ()
    """The shot's (leaf, value) pairs, the scene's included: what a renderer draws for it."""
    prompt: str = ""
    """A self-contained prompt for this shot alone (scene, characters, the shot), for adapters that make one
    clip per shot (``--model_args multishot=per_shot``)."""


@dataclass(frozen=True)
class GenerationRequest:
    """One video to produce: a prompt and a seed."""

    prompt_id: str
    prompt: str
    """The text given to the model (the suite's canonical prompt)."""
    seed: int
    sample_index: int
    """Which of the ``videos_per_prompt`` samples this is (0-based)."""
    output_path: Path
    """Where a generating adapter must write the mp4 (a path in the content-addressed store).
    Adapters that only read existing videos ignore it."""
    controls: tuple[tuple[str, str], ...] = ()
    """The prompt's mapped (leaf, value) pairs, in suite order. Text-to-video models read only ``prompt``;
    adapters that draw from the mapping (the ``synthetic`` renderer) set ``uses_controls``."""
    shots: tuple[Shot, ...] = ()
    """For a multi-shot script (``--suite multishot``): its shots. ``prompt`` then holds the whole script as one
    prompt (``Shot 1 [0s-4s]: ...``), for models that make one long video; an adapter that makes the shots itself
    reports where they fell as ``metadata["shots"]`` (``[[text, start_s, end_s], ...]``)."""


@dataclass(frozen=True)
class GeneratedVideo:
    """The outcome of one request: a video file, or an error saying why there is none."""

    request: GenerationRequest
    path: Path | None
    error: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    """Anything the adapter wants recorded per sample (e.g. the manifest row it came from)."""


class ModelAdapter(ABC):
    """A text-to-video model, or a source of videos it already produced.

    Subclasses take their options as typed keyword arguments (what ``--model_args`` passes), implement
    :meth:`generate`, and describe in :meth:`spec` everything that changes the pixels.
    """

    name: ClassVar[str] = ""
    """The registered name, set by ``@register_model``."""
    batch_size: int = 1
    """How many requests the runner hands to :meth:`generate` at once (an adapter may batch them on the GPU)."""
    cpu_bound: ClassVar[bool] = False
    """Whether :meth:`generate` is CPU work with no accelerator state, so the runner may generate batches in
    worker processes (``--num_workers``), each holding a copy built from the same arguments
    (:mod:`scine_eval.workers`)."""
    uses_controls: ClassVar[bool] = False
    """Whether :attr:`GenerationRequest.controls` changes the pixels (then the store keys videos by it too)."""

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> list[GeneratedVideo]:
        """Produces one :class:`GeneratedVideo` per request, in order.

        A failure on one request is returned as a ``GeneratedVideo`` with ``error`` set, never raised,
        so a long run records it and goes on.
        """

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """What ``scine-eval models`` shows without building the adapter.

        Optionally ``presets``: one row each (name, Hub id, resolution, frames, fps, estimated memory).
        """
        return {}

    def spec(self) -> dict[str, Any]:
        """Everything that changes the pixels (id, revision, steps, guidance, frames, size, fps, dtype)."""
        return {"adapter": self.name}

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.spec())

    def model_info(self) -> dict[str, Any]:
        """What leaderboards show: ``model_name``, ``model_sha`` (revision) and ``model_dtype``."""
        return {"model_name": self.name, "model_sha": "", "model_dtype": ""}

    def close(self) -> None:  # noqa: B027 - optional hook with a no-op default
        """Frees memory (GPU weights) once generation is over; judging never needs the generator."""


model_registry: Registry[type[ModelAdapter]] = Registry(
    "model", ModelAdapter, entry_point_group="scine_eval.models", builtin_package="scine_eval.models"
)

register_model = model_registry.register
"""Class decorator: ``@register_model("name", "alias")`` registers a :class:`ModelAdapter`."""
