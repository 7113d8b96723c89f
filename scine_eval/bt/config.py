"""The scorer's and the trainer's settings, and finding a scorer folder (importable without torch)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scine_eval.compat import ensure_torchvision
from scine_eval.errors import ConfigError, MissingDependencyError
from scine_eval.vlm.spec import InputSpec

__all__ = [
    "HEAD_FILE",
    "LM_TARGETS",
    "LOSS_NAMES",
    "SCORER_CONFIG",
    "ScorerConfig",
    "TrainConfig",
    "require_training_stack",
    "scorer_folder",
]

HEAD_FILE = "bt_head.safetensors"
SCORER_CONFIG = "scorer_config.json"
FORMAT = "scine-eval-bt-scorer-1"

LOSS_NAMES = ("bt", "bt-ties")
"""Bradley-Terry, and Bradley-Terry with ties (Rao-Kupper); see :mod:`scine_eval.bt.loss`."""

LM_TARGETS = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
"""LoRA targets: the language model's projections only (the vision tower has gate/up/down_proj too)."""


@dataclass
class ScorerConfig:
    """Everything needed to score exactly as in training; stored as ``scorer_config.json``."""

    base: str
    revision: str | None = None
    hidden_size: int = 0
    pooling: str = "last_token"
    input_spec: dict[str, Any] = field(default_factory=lambda: InputSpec().to_dict())
    rubric: str = "scine-1-5"
    rubric_sha256: str = ""
    calibration: dict[str, float] = field(default_factory=lambda: {"scale": 1.0, "shift": 3.0})
    """1-5 score = clip(scale * raw + shift, 1, 5), fitted on validation."""
    normalisation: dict[str, float] = field(default_factory=lambda: {"mean": 0.0, "std": 1.0})
    """Mean and std of raw scores on validation: ``(raw - mean) / std`` is reported too."""
    lora: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT

    @property
    def spec(self) -> InputSpec:
        fields = {k: v for k, v in self.input_spec.items() if k != "frames_as"}
        return InputSpec(**fields)

    def calibrated(self, raw: float) -> float:
        value = self.calibration["scale"] * raw + self.calibration["shift"]
        return min(5.0, max(1.0, value))

    def save(self, folder: Path) -> None:
        (folder / SCORER_CONFIG).write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, folder: Path) -> ScorerConfig:
        path = folder / SCORER_CONFIG
        if not path.is_file():
            raise ConfigError(f"not a scorer folder: {SCORER_CONFIG} is missing", path=folder)
        try:
            data = json.loads(path.read_text())
            config = cls(**data)
        except (json.JSONDecodeError, TypeError) as error:
            raise ConfigError(f"unreadable scorer config: {error}", path=path) from None
        if config.format != FORMAT:
            raise ConfigError(f"scorer format {config.format!r}; this version reads {FORMAT!r}", path=path)
        return config


def require_training_stack() -> None:
    """torch, transformers and peft importable (the ``llm`` extra), or an error naming the install command."""
    try:
        import torch  # noqa: F401

        ensure_torchvision()  # peft imports transformers, which imports torchvision
        import peft  # noqa: F401
    except ImportError as error:
        raise MissingDependencyError(error.name or "peft", "llm") from None


def scorer_folder(pretrained: str | Path, revision: str | None = None) -> Path:
    """A local scorer folder as given, or a Hub repo id downloaded (or found in the cache when offline)."""
    path = Path(pretrained).expanduser()
    if path.is_dir():
        return path
    text = str(pretrained)
    if path.exists() or text.startswith((".", "/", "~")) or text.count("/") != 1:
        raise ConfigError(
            f"scorer {text!r} is not a folder; give the folder scine-eval train-judge wrote, or a Hub repo id "
            "(owner/name) holding one"
        )
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(text, revision=revision))
    except LocalEntryNotFoundError:
        raise ConfigError(
            f"scorer {text!r} is not in the Hugging Face cache and the Hub cannot be reached (HF_HUB_OFFLINE=1 or "
            "no network); download it once online, or give a local folder"
        ) from None
    except HfHubHTTPError as error:
        raise ConfigError(f"scorer {text!r} could not be downloaded from the Hub: {error}") from None


@dataclass
class TrainConfig:
    """How ``scine-eval train-judge`` trains: defaults from the paper (1 epoch, batch 8, lr 6e-5) and VideoReward.

    Args:
        base: the base checkpoint, a Hub id or a folder (the paper fine-tuned Qwen/Qwen2.5-VL-7B-Instruct).
        revision: the base's Hub revision (stored in the scorer config).
        output_dir: where the scorer folder (and its resumable checkpoint) is written.
        epochs: passes over the training pairs.
        batch_size: pairs per optimizer step (across all ranks; each pair is backpropagated on its own, so
            memory does not grow with it).
        grad_accum: multiplies the pairs per step (batch_size × grad_accum), for recipes written that way.
        lr: AdamW learning rate of the LoRA weights (warm-up then linear decay).
        head_lr: learning rate of the linear head (default: 10 × lr).
        warmup_ratio: the share of steps spent warming up.
        weight_decay: AdamW weight decay.
        loss: ``bt`` (Bradley-Terry; ties ignored) or ``bt-ties`` (Rao-Kupper, ties pull scores together).
        tie_theta: the Rao-Kupper tie parameter (5 as in VideoReward).
        lora_r: LoRA rank (on the language model's attention and MLP projections only).
        lora_alpha: LoRA scaling.
        lora_dropout: dropout on the LoRA input.
        gradient_checkpointing: recompute activations in backward (much less memory, about 30% slower).
        dtype: ``auto`` (bf16 on GPU, fp32 on CPU), ``bfloat16``, ``float16`` or ``float32``.
        load_in: ``4bit`` for QLoRA (bitsandbytes nf4 base), else the base in ``dtype``.
        fps: frames per second sampled from each video (stored with the scorer; the judge uses it too).
        max_pixels: the most pixels per frame; larger frames are resized down.
        max_frames: the most frames per video.
        seed: the order of the pairs and the head's initialisation.
        eval_steps: validation accuracy every this many steps (default: at the end of each epoch).
        save_steps: a resumable checkpoint every this many steps (and at the end).
        resume: continue from ``<output_dir>/checkpoint`` when it exists (``--no_resume``: start over).
        stop_after_steps: stop (checkpointed) after this many steps in total; rerun to continue. The
            learning-rate schedule still spans the whole run, so a job can be split across time slots.
    """

    base: str = "Qwen/Qwen2.5-VL-7B-Instruct"
    revision: str | None = None
    output_dir: str = "scorer"
    epochs: int = 1
    batch_size: int = 8
    grad_accum: int = 1
    lr: float = 6e-5
    head_lr: float | None = None
    warmup_ratio: float = 0.05
    weight_decay: float = 0.0
    loss: str = "bt-ties"
    tie_theta: float = 5.0
    lora_r: int = 64
    lora_alpha: int = 128
    lora_dropout: float = 0.05
    gradient_checkpointing: bool = False
    dtype: str = "auto"
    load_in: str | None = None
    fps: float = 2.0
    max_pixels: int = InputSpec.max_pixels
    max_frames: int | None = InputSpec.max_frames
    seed: int = 0
    eval_steps: int | None = None
    save_steps: int = 200
    resume: bool = True
    stop_after_steps: int | None = None

    def __post_init__(self) -> None:
        if self.loss not in LOSS_NAMES:
            raise ConfigError(f"loss={self.loss!r}: valid losses are {', '.join(LOSS_NAMES)}")
        if min(self.batch_size, self.epochs, self.grad_accum, self.save_steps, self.eval_steps or 1) < 1:
            raise ConfigError("epochs, batch_size, grad_accum, save_steps and eval_steps must be at least 1")
