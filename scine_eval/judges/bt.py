"""The fine-tuned judge: a Bradley-Terry scorer (LoRA on Qwen2.5-VL, linear head) from ``scine-eval train-judge``.

It asks each question exactly as in training (the scorer's rubric and input spec, stored in its
``scorer_config.json``, whatever the task's rubric says), reads the head on the last token's hidden
state, and reports that raw score mapped to the 1-5 scale by the calibration fitted on validation.
The raw and the normalised score are kept in each judgement's ``raw``. Videos are encoded once for all
their questions and decoded ahead, as for the zero-shot judge (:mod:`scine_eval.vlm.video_judge`).

    scine-eval --judge bt --judge_args pretrained=runs/scorer
    scine-eval --judge bt --judge_args pretrained=org/scine-bt-7b,base=/models/Qwen2.5-VL-7B-Instruct
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scine_eval.bt.config import HEAD_FILE, SCORER_CONFIG, ScorerConfig, require_training_stack, scorer_folder
from scine_eval.contracts.judge import JudgeItem, Judgement, register_judge
from scine_eval.fingerprint import fingerprint
from scine_eval.video import sha256_file
from scine_eval.vlm.loading import LoadOptions, RuntimeOptions
from scine_eval.vlm.video_judge import Asked, Batching, VideoLMJudge

ENGINE_VERSION = "1"
"""Bump when prompt assembly or scoring changes numbers for the same scorer folder."""


@register_judge("bt")
class BTJudge(VideoLMJudge):
    """A trained Bradley-Terry scorer: calibrated 1-5 score from a linear head on the last token.

    Args:
        pretrained: the scorer folder ``scine-eval train-judge`` wrote, or a Hub repo id holding one.
        revision: the Hub revision of that repo.
        base: load this base checkpoint instead of the one the scorer config names (e.g. a local copy);
            its hidden size must match the head's.
        load: precision, placement and quantisation of the base, given flat (``dtype=bfloat16``, ``load_in=4bit``...;
            see :class:`scine_eval.vlm.loading.RuntimeOptions`).
        batching: ``mode``, ``suffix_batch``, ``videos_per_batch`` (see :class:`scine_eval.vlm.video_judge.Batching`).
    """

    def __init__(
        self,
        pretrained: str,
        revision: str | None = None,
        base: str | None = None,
        load: RuntimeOptions = RuntimeOptions(),
        batching: Batching = Batching(),
    ):
        self.set_batching(batching)
        self.folder = scorer_folder(pretrained, revision)
        config = ScorerConfig.load(self.folder)
        self.options = LoadOptions(base or config.base, config.revision if base is None else None, load)
        require_training_stack()
        from scine_eval.bt.scorer import Scorer

        self.scorer = Scorer.load(self.folder, self.options)
        self.lm = self.scorer.lm
        # The weights that score: adapter, head and config (calibration included), by content.
        self._scorer_hash = fingerprint(
            [sha256_file(self.folder / name) for name in ("adapter_model.safetensors", HEAD_FILE, SCORER_CONFIG)]
        )
        self.start_decoding()

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {"covers": "every node", "input": "the input spec stored with the scorer (fps, max pixels, frames)"}

    def spec(self) -> dict[str, Any]:
        config = self.scorer.config
        return {
            "judge": self.name,
            "engine": ENGINE_VERSION,
            "scorer": self._scorer_hash,
            "load": {**self.options.spec(), "dtype": self.scorer.loaded.dtype},
            "input": config.input_spec,
            "rubric": {config.rubric: config.rubric_sha256},
        }

    def chat(self, item: JudgeItem) -> str:
        return self.scorer.chat(item.prompt.text, item.question.text)

    def read(self, states: Any, asked: Sequence[Asked]) -> list[Judgement]:
        config = self.scorer.config
        raw = self.scorer.head(states.float()).squeeze(-1).tolist()
        mean, std = config.normalisation["mean"], config.normalisation["std"]
        return [
            Judgement(
                score=config.calibrated(value),
                raw={"raw": value, "normalised": (value - mean) / std, "video": one.video.describe()},
            )
            for value, one in zip(raw, asked, strict=True)
        ]
