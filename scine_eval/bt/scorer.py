"""A Bradley-Terry scorer: base checkpoint + LoRA adapter + linear head on the last token, as one folder.

The folder holds no pickles::

    adapter_config.json, adapter_model.safetensors   the peft LoRA adapter (language model only)
    bt_head.safetensors                             the head's weight and bias
    scorer_config.json                              base id and revision, pooling, input spec, rubric id
                                                    and hash, calibration to 1-5, normalisation stats

Loading checks every part and names what is missing or does not match (a folder without its head, a
base whose hidden size differs from the head's, a rubric whose text changed since training).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from scine_eval.bt.config import HEAD_FILE, LM_TARGETS, SCORER_CONFIG, ScorerConfig, require_training_stack
from scine_eval.errors import ConfigError
from scine_eval.vlm.engine import EncodedVideo, Query, VideoLM
from scine_eval.vlm.loading import LoadedVLM, LoadOptions, load_vlm
from scine_eval.vlm.rubric import get_rubric

__all__ = ["Scorer"]


class Scorer(torch.nn.Module):
    """The trainable pieces (LoRA inside ``peft_model``, ``head``) and the engine that feeds them."""

    def __init__(self, loaded: LoadedVLM, peft_model: Any, config: ScorerConfig):
        super().__init__()
        self.loaded, self.peft_model, self.config = loaded, peft_model, config
        hidden = loaded.model.config.text_config.hidden_size
        self.head = torch.nn.Linear(hidden, 1).to(device=loaded.model.device, dtype=torch.float32)
        config.hidden_size = hidden
        self.lm = VideoLM(loaded, config.spec)
        self.rubric = get_rubric(config.rubric)
        config.rubric_sha256 = config.rubric_sha256 or self.rubric.sha256

    # -- building -----------------------------------------------------------------------------------

    @classmethod
    def create(cls, options: LoadOptions, config: ScorerConfig, lora: dict[str, Any]) -> Scorer:
        """A fresh scorer: base loaded, LoRA attached to the language model, head initialised."""
        require_training_stack()
        return cls.attach(load_vlm(options), config, lora, quantised=bool(options.runtime.load_in))

    @classmethod
    def attach(cls, loaded: LoadedVLM, config: ScorerConfig, lora: dict[str, Any], quantised: bool = False) -> Scorer:
        """LoRA on the language model of an already loaded base, and a fresh head (benchmarks build bases directly)."""
        require_training_stack()
        from peft import LoraConfig, get_peft_model

        if quantised:
            from peft import prepare_model_for_kbit_training

            loaded.model = prepare_model_for_kbit_training(loaded.model, use_gradient_checkpointing=False)
        config.lora = dict(lora)
        peft_model = get_peft_model(loaded.model, LoraConfig(target_modules=LM_TARGETS, **lora))
        loaded.model = peft_model.base_model.model  # LoRA layers are injected in place
        return cls(loaded, peft_model, config)

    @classmethod
    def load(cls, folder: str | Path, options: LoadOptions | None = None) -> Scorer:
        """A trained scorer from its folder; ``options`` may override device, dtype or quantisation."""
        require_training_stack()
        from peft import PeftModel
        from safetensors.torch import load_file

        folder = Path(folder).expanduser()
        config = ScorerConfig.load(folder)
        for needed in (HEAD_FILE, "adapter_config.json"):
            if not (folder / needed).is_file():
                raise ConfigError(f"scorer folder is missing {needed}", path=folder)
        rubric = get_rubric(config.rubric)
        if rubric.sha256 != config.rubric_sha256:
            raise ConfigError(
                f"rubric {config.rubric!r} changed since this scorer was trained (hash {rubric.sha256[:12]} vs "
                f"{config.rubric_sha256[:12]}); retrain, or restore the rubric text",
                path=folder / SCORER_CONFIG,
            )
        options = options or LoadOptions(config.base, config.revision)
        loaded = load_vlm(options)
        hidden = loaded.model.config.text_config.hidden_size
        if hidden != config.hidden_size:
            raise ConfigError(
                f"base model {options.pretrained!r} has hidden size {hidden}; this scorer's head was trained on "
                f"{config.base!r} with hidden size {config.hidden_size}",
                path=folder / SCORER_CONFIG,
            )
        peft_model = PeftModel.from_pretrained(loaded.model, str(folder))
        loaded.model = peft_model.base_model.model
        scorer = cls(loaded, peft_model, config)
        state = load_file(str(folder / HEAD_FILE))
        try:
            scorer.head.load_state_dict({k: v.to(scorer.head.weight.device) for k, v in state.items()}, strict=True)
        except RuntimeError as error:
            raise ConfigError(f"{HEAD_FILE} does not fit this base model: {error}", path=folder) from None
        scorer.eval()
        return scorer

    def enable_gradient_checkpointing(self) -> None:
        """Recompute activations in backward: memory for one layer's activations instead of all of them."""
        self.loaded.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        self.loaded.model.enable_input_require_grads()

    def save(self, folder: str | Path) -> Path:
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.peft_model.save_pretrained(str(folder))
        save_file(
            {k: v.detach().cpu().contiguous() for k, v in self.head.state_dict().items()}, str(folder / HEAD_FILE)
        )
        self.config.save(folder)
        return folder

    # -- scoring ------------------------------------------------------------------------------------

    def chat(self, prompt: str, question: str) -> str:
        """The chat text asking one question, exactly as in training (the scorer's rubric, video first)."""
        messages = self.rubric.messages(prompt, question)
        return self.loaded.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def prompt_parts(self, prompt: str, question: str) -> tuple[str, tuple[int, ...]]:
        """(prefix text, suffix token ids) of the rubric prompt for one question."""
        prefix, suffix = self.lm.split(self.chat(prompt, question))
        return prefix, self.lm.tokenize(suffix)

    def raw(self, videos: list[EncodedVideo], queries: list[Query], mode: str = "batched") -> torch.Tensor:
        """Raw scores without gradients, with prefix reuse."""
        with torch.inference_mode():
            return self.head(self.lm.states(videos, queries, mode).float()).squeeze(-1)

    def raw_with_grad(self, video: EncodedVideo, suffix: tuple[int, ...]) -> torch.Tensor:
        """One raw score through a full forward, with gradients (training)."""
        return self.head(self.lm.full_states(video, [suffix]).float()).squeeze(-1)[0]
