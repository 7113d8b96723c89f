"""Training a Bradley-Terry scorer: LoRA on the language model, a linear head on the last token.

Defaults follow the paper (1 epoch, batch 8 pairs, lr 6e-5) and VideoReward (LoRA r=64, alpha=128,
Bradley-Terry with ties). Each video is decoded and preprocessed once, up front or on first use; each
step runs a full forward per clip with gradients (two different videos share no prefix), accumulates
over ``grad_accum`` steps and, under torchrun / accelerate launch, averages gradients across ranks.
Validation accuracy is the fraction of non-tied validation pairs the scorer orders like the reference.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from scine_eval.bt.loss import LOSSES
from scine_eval.bt.pairs import TrainingPair
from scine_eval.bt.scorer import Scorer, ScorerConfig
from scine_eval.errors import ConfigError
from scine_eval.progress import progress_bar
from scine_eval.vlm.engine import EncodedVideo, Query
from scine_eval.vlm.loading import LoadOptions
from scine_eval.vlm.spec import InputSpec

__all__ = ["TrainConfig", "train"]


@dataclass
class TrainConfig:
    """``scine-eval train-judge`` options.

    Attributes:
        base: the base checkpoint (Hub id or folder); the paper used Qwen/Qwen2.5-VL-7B-Instruct.
        output_dir: where the scorer folder is written.
        epochs, batch_size, lr, grad_accum, warmup_ratio, weight_decay: optimisation.
        loss: ``bt`` or ``bt-ties`` (Rao-Kupper, ``tie_theta``).
        lora_r, lora_alpha, lora_dropout: the adapter.
        gradient_checkpointing: recompute activations in backward (less memory, slower).
        load_in: ``4bit`` for QLoRA (bitsandbytes), else full precision.
        fps, max_pixels, max_frames: the input spec, stored with the scorer.
        seed: order of pairs and head initialisation.
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

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ConfigError(f"loss={self.loss!r}: valid losses are {', '.join(LOSSES)}")
        if self.batch_size < 1 or self.epochs < 1 or self.grad_accum < 1:
            raise ConfigError("epochs, batch_size and grad_accum must be at least 1")


def train(
    config: TrainConfig, train_pairs: Sequence[TrainingPair], validation: Sequence[TrainingPair]
) -> tuple[Scorer, dict[str, Any]]:
    """Train, calibrate on validation, save the scorer folder; returns the scorer and the training report."""
    if not train_pairs:
        raise ConfigError("no training pairs")
    torch.manual_seed(config.seed)
    spec = InputSpec(fps=config.fps, max_pixels=config.max_pixels, max_frames=config.max_frames)
    scorer = Scorer.create(
        LoadOptions(config.base, config.revision, dtype=config.dtype, load_in=config.load_in),
        ScorerConfig(base=config.base, revision=config.revision, input_spec=spec.to_dict(), training=asdict(config)),
        {"r": config.lora_r, "lora_alpha": config.lora_alpha, "lora_dropout": config.lora_dropout},
    )
    if config.gradient_checkpointing:
        scorer.loaded.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        scorer.loaded.model.enable_input_require_grads()
    clips = _ClipCache(scorer)
    loss_fn = LOSSES[config.loss]
    loss_kwargs = {"theta": config.tie_theta} if config.loss == "bt-ties" else {}
    lora_params = [p for p in scorer.peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": lora_params}, {"params": scorer.head.parameters(), "lr": config.head_lr or config.lr * 10}],
        lr=config.lr,
        weight_decay=config.weight_decay,
    )
    steps = config.epochs * math.ceil(len(train_pairs) / (config.batch_size * config.grad_accum))
    warmup = max(1, int(steps * config.warmup_ratio))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup))
    )
    order = list(train_pairs)
    history: list[dict[str, float]] = []
    scorer.train()
    with progress_bar("train", steps, unit="steps") as advance:
        for epoch in range(config.epochs):
            random.Random(config.seed + epoch).shuffle(order)
            batches = [order[i : i + config.batch_size] for i in range(0, len(order), config.batch_size)]
            for index, batch in enumerate(batches):
                chosen = torch.stack([clips.score_with_grad(p, p.chosen) for p in batch])
                rejected = torch.stack([clips.score_with_grad(p, p.rejected) for p in batch])
                tie = torch.tensor([p.tie for p in batch], device=chosen.device)
                loss = loss_fn(chosen, rejected, tie, **loss_kwargs) / config.grad_accum
                loss.backward()
                if (index + 1) % config.grad_accum == 0 or index + 1 == len(batches):
                    _all_reduce_gradients(lora_params + list(scorer.head.parameters()))
                    optimizer.step()
                    schedule.step()
                    optimizer.zero_grad(set_to_none=True)
                    history.append({"loss": loss.item() * config.grad_accum})
                    advance(1)
    scorer.eval()
    report = calibrate(scorer, clips, validation)
    report.update(train_pairs=len(train_pairs), validation_pairs=len(validation), steps=steps,
                  loss_first=history[0]["loss"], loss_last=history[-1]["loss"])  # fmt: skip
    scorer.config.training = {**asdict(config), "report": report}
    scorer.save(Path(config.output_dir))
    return scorer, report


def calibrate(scorer: Scorer, clips: _ClipCache, validation: Sequence[TrainingPair]) -> dict[str, Any]:
    """Validation accuracy, and the linear map from raw scores to the reference 1-5 scores (least squares)."""
    if not validation:
        return {"validation_accuracy": None}
    raw_chosen = clips.scores([(p, p.chosen) for p in validation])
    raw_rejected = clips.scores([(p, p.rejected) for p in validation])
    decided = [i for i, p in enumerate(validation) if not p.tie]
    accuracy = sum(raw_chosen[i] > raw_rejected[i] for i in decided) / len(decided) if decided else None
    raw = torch.tensor(raw_chosen + raw_rejected, dtype=torch.float64)
    reference = torch.tensor([p.chosen_score for p in validation] + [p.rejected_score for p in validation],
                             dtype=torch.float64)  # fmt: skip
    std = float(raw.std()) if len(raw) > 1 else 1.0
    scale = float(((raw - raw.mean()) * (reference - reference.mean())).sum() / ((raw - raw.mean()) ** 2).sum())
    if not math.isfinite(scale):
        scale = 0.0
    shift = float(reference.mean() - scale * raw.mean())
    scorer.config.calibration = {"scale": scale, "shift": shift}
    scorer.config.normalisation = {"mean": float(raw.mean()), "std": std or 1.0}
    return {"validation_accuracy": accuracy, "calibration": scorer.config.calibration}


class _ClipCache:
    """Each video decoded and preprocessed once; each question's suffix tokenised once."""

    def __init__(self, scorer: Scorer):
        self.scorer = scorer
        self.prefix, _ = scorer.prompt_parts("", "")  # the video comes first: the prefix never depends on the text
        self._videos: dict[Path, EncodedVideo] = {}
        self._suffixes: dict[tuple[str, str], tuple[int, ...]] = {}

    def _parts(self, pair: TrainingPair, video: Path) -> tuple[EncodedVideo, tuple[int, ...]]:
        key = (pair.prompt, pair.question)
        if key not in self._suffixes:
            self._suffixes[key] = self.scorer.prompt_parts(pair.prompt, pair.question)[1]
        if video not in self._videos:
            self._videos[video] = self.scorer.lm.encode(video, self.prefix)
        return self._videos[video], self._suffixes[key]

    def score_with_grad(self, pair: TrainingPair, video: Path) -> torch.Tensor:
        encoded, suffix = self._parts(pair, video)
        return self.scorer.raw_with_grad(encoded, suffix)

    def scores(self, asks: Sequence[tuple[TrainingPair, Path]]) -> list[float]:
        out = []
        for pair, video in asks:
            encoded, suffix = self._parts(pair, video)
            out.append(float(self.scorer.raw([encoded], [Query(0, suffix)])[0]))
        return out


def _all_reduce_gradients(params: list[torch.nn.Parameter]) -> None:
    """Average gradients over data-parallel ranks (a no-op in a single process)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return
    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= dist.get_world_size()
