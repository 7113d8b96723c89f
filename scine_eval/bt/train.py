"""Training a Bradley-Terry scorer: LoRA on the language model, a linear head on the last token.

Defaults follow the paper (1 epoch, batch 8 pairs, lr 6e-5) and VideoReward (LoRA r=64, alpha=128,
Bradley-Terry with ties). Each video is decoded and preprocessed once, on first use. A step takes
``batch_size`` pairs; each pair runs a full forward per clip with gradients (two different videos share no
prefix) and is backpropagated at once, so memory holds one pair's activations whatever the batch size;
the per-pair losses are scaled so the step's gradient is exactly that of the batch mean. Under torchrun /
accelerate launch every rank takes its share of each batch and gradients are summed across ranks.

A checkpoint is written every ``save_steps`` optimizer steps; rerunning the same command resumes from it
(same data and options, else it is refused by name). Validation accuracy is the fraction of non-tied
validation pairs the scorer orders like the reference; it is shown in the progress bar at the end of
each epoch (or every ``eval_steps``) and the final value goes into the scorer config with the
calibration to the 1-5 scale.
"""

from __future__ import annotations

import math
import random
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from scine_eval.bt.checkpoint import load_checkpoint, save_checkpoint
from scine_eval.bt.config import ScorerConfig, TrainConfig
from scine_eval.bt.loss import LOSSES, counted
from scine_eval.bt.pairs import TrainingPair
from scine_eval.bt.scorer import Scorer
from scine_eval.distributed import Distributed, from_environment
from scine_eval.errors import ConfigError
from scine_eval.fingerprint import fingerprint
from scine_eval.progress import progress_bar
from scine_eval.vlm.engine import EncodedVideo, Query
from scine_eval.vlm.loading import LoadOptions, RuntimeOptions
from scine_eval.vlm.spec import InputSpec

__all__ = ["calibrate", "train", "validation_accuracy", "validation_scores"]

_NOT_IN_RUN_ID = ("output_dir", "resume", "stop_after_steps", "eval_steps", "save_steps")
"""Options that do not change what is trained: a run resumes across changes to them."""


def train(
    config: TrainConfig,
    train_pairs: Sequence[TrainingPair],
    validation: Sequence[TrainingPair],
    dist: Distributed | None = None,
) -> tuple[Scorer, dict[str, Any]]:
    """Train, calibrate on validation, save the scorer folder; returns the scorer and the training report.

    The report holds the pair counts, the steps, the first and last loss, the validation accuracy, the
    calibration, and the training throughput (pairs/s); it is also stored in the scorer config.
    """
    if not train_pairs:
        raise ConfigError("no training pairs")
    run = _setup(config, train_pairs, dist or from_environment())
    scored = _loop(run, train_pairs, validation)
    return _finish(run, train_pairs, validation, scored)


@dataclass
class _Run:
    """One training run's moving parts: the scorer and its optimiser, the schedule, and the resumable state."""

    config: TrainConfig
    dist: Distributed
    scorer: Scorer
    clips: _ClipCache
    optimizer: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LambdaLR
    trained: list[torch.nn.Parameter]
    """Every parameter with a gradient (LoRA and head): summed across ranks each step."""
    steps: int
    per_step: int
    steps_per_epoch: int
    state: dict[str, Any]
    """``run_id``, ``step``, ``history`` (losses), ``seconds`` and ``validation``: what a checkpoint stores."""
    started: float = 0.0

    @property
    def last(self) -> int:
        """Where this invocation stops: the end, or ``stop_after_steps`` to split a job across time slots."""
        return min(self.steps, self.config.stop_after_steps or self.steps)

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def checkpoint(self) -> None:
        self.state["seconds"] = self.seconds()
        if self.dist.is_main:
            save_checkpoint(Path(self.config.output_dir), self.scorer, self.optimizer, self.state)
        self.dist.barrier()


def _setup(config: TrainConfig, train_pairs: Sequence[TrainingPair], dist: Distributed) -> _Run:
    """Builds the scorer (base + LoRA + head), the optimiser and the schedule, and resumes a checkpoint."""
    torch.manual_seed(config.seed)
    spec = InputSpec(fps=config.fps, max_pixels=config.max_pixels, max_frames=config.max_frames)
    options = LoadOptions(config.base, config.revision, RuntimeOptions(dtype=config.dtype, load_in=config.load_in))
    scorer = Scorer.create(
        options,
        ScorerConfig(base=config.base, revision=config.revision, input_spec=spec.to_dict()),
        {"r": config.lora_r, "lora_alpha": config.lora_alpha, "lora_dropout": config.lora_dropout},
    )
    if config.gradient_checkpointing:
        scorer.enable_gradient_checkpointing()
    lora_params = [p for p in scorer.peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": lora_params}, {"params": scorer.head.parameters(), "lr": config.head_lr or config.lr * 10}],
        lr=config.lr,
        weight_decay=config.weight_decay,
    )
    per_step = config.batch_size * config.grad_accum
    steps_per_epoch = math.ceil(len(train_pairs) / per_step)
    steps = config.epochs * steps_per_epoch
    warmup = max(1, int(steps * config.warmup_ratio))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup))
    )
    run_id = fingerprint(
        [{k: v for k, v in asdict(config).items() if k not in _NOT_IN_RUN_ID}, [asdict(p) for p in train_pairs]]
    )
    state = {"run_id": run_id, "step": 0, "history": [], "seconds": 0.0, "validation": []}
    if config.resume:
        state = load_checkpoint(Path(config.output_dir), scorer, optimizer, run_id) or state
        schedule.last_epoch = state["step"]
    trained = lora_params + list(scorer.head.parameters())
    run = _Run(config, dist, scorer, _ClipCache(scorer), optimizer, schedule, trained, steps, per_step,
               steps_per_epoch, state)  # fmt: skip
    run.started = time.perf_counter() - state["seconds"]
    return run


def _loop(
    run: _Run, train_pairs: Sequence[TrainingPair], validation: Sequence[TrainingPair]
) -> tuple[int, tuple[list[float], list[float]]] | None:
    """Optimiser steps until :attr:`_Run.last`, validating per epoch (or ``eval_steps``) and checkpointing.

    Returns the latest validation scores with the step they were taken at (``None`` if none were).
    """
    config, state = run.config, run.state
    history = state["history"]
    scored: tuple[int, tuple[list[float], list[float]]] | None = None
    orders: dict[int, list[TrainingPair]] = {}  # each epoch's order, a function of the seed (so resumable)
    run.scorer.train()
    with progress_bar("train", run.last, enabled=run.dist.is_main, unit="steps", completed=state["step"]) as advance:
        while state["step"] < run.last:
            epoch, offset = divmod(state["step"], run.steps_per_epoch)
            if epoch not in orders:
                orders[epoch] = list(train_pairs)
                random.Random(config.seed + epoch).shuffle(orders[epoch])
            step_pairs = orders[epoch][offset * run.per_step : (offset + 1) * run.per_step]
            loss = _step(config, run.scorer, run.clips, step_pairs, run.dist)
            _all_reduce_sum(run.trained)
            run.optimizer.step()
            run.schedule.step()
            run.optimizer.zero_grad(set_to_none=True)
            state["step"] = step = state["step"] + 1
            history.append(round(loss, 6))
            note = f"loss {sum(history[-20:]) / len(history[-20:]):.4f}"
            end_of_epoch = step % run.steps_per_epoch == 0
            if validation and ((config.eval_steps and step % config.eval_steps == 0) or end_of_epoch):
                run.scorer.eval()  # no dropout while measuring
                scored = (step, validation_scores(run.clips, validation, run.dist))
                state["validation"].append({"step": step, "accuracy": validation_accuracy(validation, *scored[1])})
                run.scorer.train()
            if state["validation"] and state["validation"][-1]["accuracy"] is not None:
                note += f" · val acc {state['validation'][-1]['accuracy']:.3f}"
            advance(1, note)
            if step % config.save_steps == 0 or step == run.last:
                run.checkpoint()
    run.scorer.eval()
    return scored


def _finish(
    run: _Run,
    train_pairs: Sequence[TrainingPair],
    validation: Sequence[TrainingPair],
    scored: tuple[int, tuple[list[float], list[float]]] | None,
) -> tuple[Scorer, dict[str, Any]]:
    """The report; when every step is done, calibration on validation and the saved scorer folder."""
    config, step, history = run.config, run.state["step"], run.state["history"]
    seconds = run.seconds()
    report: dict[str, Any] = {
        "train_pairs": len(train_pairs),
        "validation_pairs": len(validation),
        "steps": run.steps,
        "steps_done": step,
        "loss_first": history[0] if history else None,
        "loss_last": history[-1] if history else None,
        "seconds": round(seconds, 2),
        "pairs_per_second": round(min(len(train_pairs) * config.epochs, step * run.per_step) / seconds, 3),
        "validation_curve": run.state["validation"],
    }
    if step < run.steps:  # stopped early on purpose: the checkpoint is the product
        return run.scorer, {**report, "finished": False}
    if scored is None or scored[0] != step:  # the last step was not validated (or this run resumed after it)
        scored = (step, validation_scores(run.clips, validation, run.dist))
    report.update(calibrate(run.scorer, validation, *scored[1]), finished=True)
    run.scorer.config.training = {**asdict(config), "report": report}
    if run.dist.is_main:
        run.scorer.save(Path(config.output_dir))
    run.dist.barrier()
    return run.scorer, report


def _step(
    config: TrainConfig, scorer: Scorer, clips: _ClipCache, pairs: Sequence[TrainingPair], dist: Distributed
) -> float:
    """Accumulates one optimizer step's gradients (this rank's share of the pairs); returns the batch loss."""
    loss_fn = LOSSES[config.loss]
    loss_kwargs = {"theta": config.tie_theta} if config.loss == "bt-ties" else {}
    denominator = max(1, counted(config.loss, torch.tensor([p.tie for p in pairs])))
    total = 0.0
    for pair in dist.shard(pairs):
        chosen = clips.score_with_grad(pair, pair.chosen)
        rejected = clips.score_with_grad(pair, pair.rejected)
        tie = torch.tensor([pair.tie], device=chosen.device)
        loss = loss_fn(chosen[None], rejected[None], tie, reduction="sum", **loss_kwargs) / denominator
        loss.backward()
        total += loss.item()
    return sum(dist.all_gather(total))


def validation_accuracy(
    validation: Sequence[TrainingPair], chosen: Sequence[float], rejected: Sequence[float]
) -> float | None:
    """The fraction of non-tied validation pairs whose raw scores order them like the reference."""
    decided = [i for i, p in enumerate(validation) if not p.tie]
    return sum(chosen[i] > rejected[i] for i in decided) / len(decided) if decided else None


def validation_scores(
    clips: _ClipCache, validation: Sequence[TrainingPair], dist: Distributed
) -> tuple[list[float], list[float]]:
    """Raw scores of every validation pair's two clips (chosen, rejected).

    A clip asked the same question by several pairs is scored once; the distinct (clip, question) asks are
    sliced across ranks and gathered.
    """
    asks = [(p, p.chosen) for p in validation] + [(p, p.rejected) for p in validation]
    distinct = {_ask_key(p, video): (p, video) for p, video in asks}
    mine = dist.shard(list(distinct))
    scores: dict[tuple[Path, str, str], float] = {}
    for part in dist.all_gather(dict(zip(mine, clips.scores([distinct[k] for k in mine]), strict=True))):
        scores.update(part)
    ordered = [scores[_ask_key(p, video)] for p, video in asks]
    return ordered[: len(validation)], ordered[len(validation) :]


def _ask_key(pair: TrainingPair, video: Path) -> tuple[Path, str, str]:
    return video, pair.prompt, pair.question


def calibrate(
    scorer: Scorer, validation: Sequence[TrainingPair], chosen: Sequence[float], rejected: Sequence[float]
) -> dict[str, Any]:
    """Validation accuracy, and the linear map from raw scores to the reference 1-5 scores (least squares)."""
    if not validation:
        return {"validation_accuracy": None}
    raw = torch.tensor([*chosen, *rejected], dtype=torch.float64)
    reference = torch.tensor([p.chosen_score for p in validation] + [p.rejected_score for p in validation],
                             dtype=torch.float64)  # fmt: skip
    std = float(raw.std()) if len(raw) > 1 else 1.0
    scale = float(((raw - raw.mean()) * (reference - reference.mean())).sum() / ((raw - raw.mean()) ** 2).sum())
    if not math.isfinite(scale):
        scale = 0.0
    shift = float(reference.mean() - scale * raw.mean())
    scorer.config.calibration = {"scale": scale, "shift": shift}
    scorer.config.normalisation = {"mean": float(raw.mean()), "std": std or 1.0}
    accuracy = validation_accuracy(validation, chosen, rejected)
    return {"validation_accuracy": accuracy, "calibration": scorer.config.calibration}


class _ClipCache:
    """Videos decoded and preprocessed once while they fit a memory budget; each question tokenised once.

    An encoded 5 s 720p clip is about 100 MB of patches, so the clips kept are bounded by ``budget`` bytes
    (least recently used go first): small clips all stay, large ones are decoded again when they return.
    """

    def __init__(self, scorer: Scorer, budget: int = 2 * 2**30):
        self.scorer, self.budget = scorer, budget
        self.prefix, _ = scorer.prompt_parts("", "")  # the video comes first: the prefix never depends on the text
        self._videos: OrderedDict[Path, EncodedVideo] = OrderedDict()
        self._bytes = 0
        self._suffixes: dict[tuple[str, str], tuple[int, ...]] = {}

    def _video(self, path: Path) -> EncodedVideo:
        if path in self._videos:
            self._videos.move_to_end(path)
            return self._videos[path]
        encoded = self._videos[path] = self.scorer.lm.encode(path, self.prefix)
        self._bytes += _size(encoded)
        while self._bytes > self.budget and len(self._videos) > 1:
            self._bytes -= _size(self._videos.popitem(last=False)[1])
        return encoded

    def _suffix(self, pair: TrainingPair) -> tuple[int, ...]:
        key = (pair.prompt, pair.question)
        if key not in self._suffixes:
            self._suffixes[key] = self.scorer.prompt_parts(pair.prompt, pair.question)[1]
        return self._suffixes[key]

    def score_with_grad(self, pair: TrainingPair, video: Path) -> torch.Tensor:
        return self.scorer.raw_with_grad(self._video(video), self._suffix(pair))

    def scores(self, asks: Sequence[tuple[TrainingPair, Path]]) -> list[float]:
        """Raw scores without gradients; the questions asked of one clip share its prefix (one encoding)."""
        by_video: dict[Path, list[int]] = {}
        for index, (_, video) in enumerate(asks):
            by_video.setdefault(video, []).append(index)
        out = [0.0] * len(asks)
        for video, indices in by_video.items():
            queries = [Query(0, self._suffix(asks[i][0])) for i in indices]
            for i, value in zip(indices, self.scorer.raw([self._video(video)], queries).tolist(), strict=True):
                out[i] = value
        return out


def _size(video: EncodedVideo) -> int:
    return sum(t.numel() * t.element_size() for t in (video.prefix_ids, video.pixel_values_videos))


def _all_reduce_sum(params: list[torch.nn.Parameter]) -> None:
    """Sums gradients over data-parallel ranks, as one flat buffer (a no-op in a single process)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    offset = 0
    for p, g in zip(params, grads, strict=True):
        p.grad = flat[offset : offset + g.numel()].view_as(g)
        offset += g.numel()
