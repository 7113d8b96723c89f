"""Zero-shot Qwen2.5-VL judges: the paper's 7B / 32B / 72B baselines, or any Qwen2.5-VL checkpoint.

The score is the expected rating under the model's next-token probabilities for the answers "1".."5"
(renormalised over those five), so there are no parse failures; the distribution and the probability
mass the model put on the five answers are kept in each judgement's ``raw``. All questions about a
video are scored from one encoding of it (see :mod:`scine_eval.vlm.engine`), and the next batch's
videos are decoded and preprocessed in a background thread while the current one runs.

    scine-eval --judge qwen2.5-vl-7b
    scine-eval --judge qwen2.5-vl --judge_args pretrained=/models/my-qwen,load_in=4bit,max_pixels=401408
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from scine_eval.contracts.arguments import PositiveInt
from scine_eval.contracts.judge import JudgeItem, Judgement, judge_registry, register_judge
from scine_eval.errors import ConfigError
from scine_eval.vlm.engine import EncodedVideo, VideoLM
from scine_eval.vlm.loading import LoadOptions, RuntimeOptions, load_vlm
from scine_eval.vlm.presets import PRESETS
from scine_eval.vlm.rubric import RUBRICS, Rubric, get_rubric
from scine_eval.vlm.spec import InputSpec
from scine_eval.vlm.video_judge import Asked, Batching, VideoLMJudge

log = logging.getLogger("scine_eval")

ENGINE_VERSION = "1"
"""Bump when the prompt assembly or the scoring changes numbers for the same checkpoint and rubric."""


@register_judge("qwen2.5-vl")
class QwenVLJudge(VideoLMJudge):
    """Zero-shot Qwen2.5-VL: expected 1-5 rating from the answer-token probabilities, video encoded once.

    Args:
        pretrained: a Hub id or a local Qwen2.5-VL checkpoint folder.
        revision: the Hub branch, tag or commit (pin it for reproducibility).
        load: precision, placement, attention kernel and quantisation, given flat (``dtype=bfloat16``,
            ``load_in=4bit``...; see :class:`scine_eval.vlm.loading.RuntimeOptions`).
        input_spec: what the model sees of a video, given flat (``fps``, ``max_pixels``, ``min_pixels``,
            ``max_frames``; see :class:`scine_eval.vlm.spec.InputSpec`).
        batching: ``mode``, ``suffix_batch``, ``videos_per_batch`` (see :class:`scine_eval.vlm.video_judge.Batching`).
        rationale: also generate a short free-text reason per question (slow: no prefix reuse).
        rationale_tokens: the most new tokens a rationale may take.
    """

    def __init__(
        self,
        pretrained: str = PRESETS["qwen2.5-vl-7b"].repo_id,
        revision: str | None = None,
        load: RuntimeOptions = RuntimeOptions(),
        input_spec: InputSpec = InputSpec(),
        batching: Batching = Batching(),
        rationale: bool = False,
        rationale_tokens: PositiveInt = 128,
    ):
        self.set_batching(batching)
        self.options = LoadOptions(str(pretrained), revision, load)
        self.input_spec = input_spec
        self.rationale, self.rationale_tokens = rationale, rationale_tokens
        self.loaded = load_vlm(self.options)
        self.lm = VideoLM(self.loaded, self.input_spec)
        self._answer_ids: dict[str, list[int]] = {}
        for rubric in RUBRICS.values():
            self._answers(rubric)  # a tokenizer that splits an answer fails here, not mid-run
        self.start_decoding()

    @classmethod
    def describe(cls) -> dict[str, Any]:
        from scine_eval.vlm.memory import table_rows

        spec = InputSpec()
        return {
            "covers": "every node",
            "input": f"video at {spec.fps:g} fps, <= {spec.max_pixels:,} px per frame, <= {spec.max_frames} frames",
            "memory": table_rows,
        }

    # -- the contract ------------------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        return {
            "judge": self.name,
            "engine": ENGINE_VERSION,
            "load": {**self.options.spec(), "dtype": self.loaded.dtype},
            "input": self.input_spec.to_dict(),
            "rubrics": {rid: rubric.sha256 for rid, rubric in sorted(RUBRICS.items())},
            "rationale": self.rationale_tokens if self.rationale else None,
        }

    def chat(self, item: JudgeItem) -> str:
        return self._render(get_rubric(item.rubric), item)

    def read(self, states: Any, asked: Sequence[Asked]) -> list[Judgement]:
        logprobs = self.loaded.model.lm_head(states).float().log_softmax(-1)
        return [self._judgement(get_rubric(one.item.rubric), logprobs[row], one) for row, one in enumerate(asked)]

    # -- helpers -----------------------------------------------------------------------------------

    def _render(self, rubric: Rubric, item: JudgeItem, answer: str | None = None) -> str:
        messages = rubric.messages(item.prompt.text, item.question.text)
        if answer is not None:
            messages += [
                {"role": "assistant", "content": [{"type": "text", "text": answer}]},
                {"role": "user", "content": [{"type": "text", "text": "Explain your rating in one or two sentences."}]},
            ]
        return self.loaded.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def _answers(self, rubric: Rubric) -> list[int]:
        """Token ids of the answers; each must be one token, or expected values would be meaningless."""
        if rubric.id not in self._answer_ids:
            ids = []
            for answer in rubric.answers:
                tokens = self.lm.tokenize(answer)
                if len(tokens) != 1:
                    raise ConfigError(
                        f"rubric {rubric.id!r}: answer {answer!r} is {len(tokens)} tokens for the tokenizer of "
                        f"{self.options.pretrained!r}; answer options must be single tokens"
                    )
                ids.append(tokens[0])
            self._answer_ids[rubric.id] = ids
        return self._answer_ids[rubric.id]

    def _judgement(self, rubric: Rubric, logprobs: Any, asked: Asked) -> Judgement:
        import torch

        options = logprobs[self._answers(rubric)]
        probabilities = options.softmax(-1)
        levels = torch.arange(1, len(rubric.answers) + 1, dtype=probabilities.dtype, device=probabilities.device)
        raw: dict[str, Any] = {
            "p": [round(float(p), 6) for p in probabilities],
            "answer_mass": round(float(options.exp().sum()), 6),
            "video": asked.video.describe(),
        }
        if self.rationale:
            answer = rubric.answers[int(probabilities.argmax())]
            raw["rationale"] = self._explain(rubric, asked.video, asked.item, answer)
        return Judgement(score=float((probabilities * levels).sum()), raw=raw)

    def _explain(self, rubric: Rubric, video: EncodedVideo, item: JudgeItem, answer: str) -> str:
        """Free text after the scored answer, through ``generate`` (transformers' own positions)."""
        import torch

        _, suffix = self.lm.split(self._render(rubric, item, answer))
        ids = torch.cat([video.prefix_ids, torch.tensor(self.lm.tokenize(suffix))])[None]
        device = self.loaded.device
        with torch.inference_mode():
            new = self.loaded.model.generate(
                input_ids=ids.to(device),
                attention_mask=torch.ones_like(ids).to(device),
                mm_token_type_ids=((ids == self.lm.video_token_id).long() * 2).to(device),
                pixel_values_videos=video.pixel_values_videos.to(device),
                video_grid_thw=video.video_grid_thw.to(device),
                second_per_grid_ts=video.second_per_grid_ts.to(device),
                max_new_tokens=self.rationale_tokens,
                do_sample=False,
            )
        return self.loaded.processor.tokenizer.decode(new[0, ids.shape[1] :], skip_special_tokens=True).strip()


for _preset in PRESETS.values():
    judge_registry.add_preset(_preset.name, "qwen2.5-vl", pretrained=_preset.repo_id)
