"""``llm``: a causal language model reads the controls a prompt sets, as a JSON array checked against the taxonomy.

The model (any local folder or Hub id ``AutoModelForCausalLM`` loads) sees a short instruction, the taxonomy's
leaves with their allowed values, two worked examples and the prompt, and must answer with ONLY a JSON array of
``{"node": "<leaf id>", "value": "<value>"}`` objects. Decoding is greedy, so a mapping is reproducible for a
given model revision. An answer that does not validate (:func:`parse_answer`) is sent back with the error quoted,
up to ``retries`` more times; a prompt whose answers never validate gets a :class:`Mapping` with ``error`` set and
every raw answer in ``raw["answers"]``. Nothing is raised for a bad answer; a model that cannot be loaded is a
:class:`~scine_eval.errors.ConfigError`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scine_eval.compat import ensure_torchvision
from scine_eval.errors import ConfigError, MissingDependencyError, suggest
from scine_eval.suites.mapping.base import Control, Mapper, Mapping
from scine_eval.taxonomy import Taxonomy, load_taxonomy

_DTYPES = ("auto", "float32", "float16", "bfloat16")
_MAX_QUOTED_ERRORS = 5
"""Item errors quoted in one message; more only lengthen the follow-up prompt."""

# Worked examples for the bundled taxonomy. One whose controls do not all validate against the taxonomy in use
# (a swapped-in file) is left out rather than teach the model ids that do not exist.
_EXAMPLES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Close-up of a smiling old fisherman at golden hour, handheld.",
        (
            ("camera.creative_intent.shot_size", "close-up"),
            ("setup.subjects.class", "old fisherman"),
            ("setup.subjects.expression", "smiling"),
            ("lighting.conditions", "golden hour"),
            ("camera.trajectory.gear", "handheld"),
        ),
    ),
    (
        "A slow push in on a detective in a rainy alley at night, lit by flickering neon.",
        (
            ("camera.trajectory.movement_3d", "push in"),
            ("setup.subjects.class", "detective"),
            ("setup.set_design.environment.elements", "rain"),
            ("setup.set_design.backdrop.time_of_day", "night"),
            ("lighting.source.practical", "neon"),
            ("lighting.advanced.motion", "flickering"),
        ),
    ),
)


class LLMMapper(Mapper):
    """Maps prompts to taxonomy controls with a causal LM, validating and retrying its JSON answers.

    Args:
        model: a local model folder or a Hub id, loaded with ``AutoModelForCausalLM`` on the first :meth:`map`.
        taxonomy: the taxonomy answers are checked against (default: the bundled one).
        revision: the Hub revision (branch, tag or commit) to load.
        max_new_tokens: the longest answer generated.
        retries: how many more times an invalid answer is sent back with its error.
        device: where the model runs (``"cpu"``, ``"cuda"``, ``"cuda:1"``...).
        dtype: ``"auto"`` (the checkpoint's), ``"float32"``, ``"float16"`` or ``"bfloat16"``.
        batch_size: prompts generated together.
    """

    name = "llm"

    def __init__(
        self,
        model: str,
        taxonomy: Taxonomy | None = None,
        revision: str | None = None,
        max_new_tokens: int = 256,
        retries: int = 2,
        device: str = "cpu",
        dtype: str = "auto",
        batch_size: int = 4,
    ):
        for key, value, least in (
            ("max_new_tokens", max_new_tokens, 1),
            ("retries", retries, 0),
            ("batch_size", batch_size, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigError(f"{key} must be an integer of at least {least}, got {value!r}")
        if dtype not in _DTYPES:
            raise ConfigError(f"dtype {dtype!r} is not one of {', '.join(_DTYPES)}")
        # A path-like name that is not there would otherwise be sent to the Hub as an id; fail early and clearly.
        if model.startswith(("/", "./", "../", "~")) and not Path(model).expanduser().is_dir():
            raise ConfigError("LLM model folder not found (mapper model=...)", path=model)
        self.model = model
        self.taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
        self.revision = revision
        self.max_new_tokens = max_new_tokens
        self.retries = retries
        self.device = device
        self.dtype = dtype
        self.batch_size = batch_size
        self._preamble = build_instructions(self.taxonomy)
        self._tokenizer: Any = None
        self._model: Any = None

    # -- loading -----------------------------------------------------------------------------------------

    def _load(self) -> None:
        """Loads the tokenizer and model once; every failure names the model."""
        if self._model is not None:
            return
        try:
            import torch

            ensure_torchvision()
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as error:
            package = error.name if error.name in ("torch", "transformers") else "transformers"
            raise MissingDependencyError(package, "llm") from None
        dtype = "auto" if self.dtype == "auto" else getattr(torch, self.dtype)
        source = str(Path(self.model).expanduser()) if self.model.startswith("~") else self.model
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, revision=self.revision)
            model = AutoModelForCausalLM.from_pretrained(source, revision=self.revision, dtype=dtype)
        except Exception as error:  # transformers raises OSError, ValueError, HF errors...: all "cannot load"
            raise ConfigError(
                f"cannot load the mapping LLM ({type(error).__name__}: {error})", path=self.model
            ) from None
        try:
            model.to(self.device)
        except Exception as error:  # a bad name, or a device this torch build or machine lacks
            raise ConfigError(
                f"cannot move the mapping LLM to device {self.device!r} ({type(error).__name__}: {error})",
                path=self.model,
            ) from None
        model.eval()
        # Decoder-only models continue from the last position, so pads go on the left.
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None and tokenizer.eos_token is not None:
            tokenizer.pad_token = tokenizer.eos_token
        self._tokenizer, self._model = tokenizer, model

    # -- mapping -----------------------------------------------------------------------------------------

    def map(self, texts: Sequence[str]) -> list[Mapping]:
        texts = list(texts)
        if not texts:
            return []
        self._load()
        conversations = [[{"role": "user", "content": f"{self._preamble}\n\nPrompt: {text}"}] for text in texts]
        answers: list[list[str]] = [[] for _ in texts]
        errors: list[list[str]] = [[] for _ in texts]
        controls: list[list[Control] | None] = [None] * len(texts)
        pending = list(range(len(texts)))
        for _ in range(self.retries + 1):
            if not pending:
                break
            outputs = self._generate([self._render(conversations[i]) for i in pending])
            if len(outputs) != len(pending):
                raise RuntimeError(f"_generate returned {len(outputs)} answers for {len(pending)} prompts")
            invalid = []
            for index, answer in zip(pending, outputs, strict=True):
                answers[index].append(answer)
                try:
                    controls[index] = parse_answer(answer, self.taxonomy)
                except ValueError as error:
                    errors[index].append(str(error))
                    invalid.append(index)
                    # Only the latest failure is sent back, so the prompt stays bounded over retries.
                    conversations[index] = [
                        conversations[index][0],
                        {"role": "assistant", "content": answer},
                        {"role": "user", "content": _follow_up(str(error))},
                    ]
            pending = invalid
        out = []
        for index, text in enumerate(texts):
            raw = {"answers": answers[index], "errors": errors[index]}
            found = controls[index]
            if found is None:
                attempts = len(answers[index])
                reason = f"no valid answer in {attempts} attempt(s); last: {errors[index][-1]}"
                out.append(Mapping(text, controls=[], error=reason, raw=raw))
            else:
                out.append(Mapping(text, controls=found, raw=raw))
        return out

    def _render(self, messages: list[dict[str, str]]) -> str:
        """The model's input text: through the tokenizer's chat template when it has one, plain text otherwise."""
        if getattr(self._tokenizer, "chat_template", None):
            return self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        parts = []
        for message in messages:
            if message["role"] == "user":
                parts.append(f"{message['content']}\n\nAnswer: ")
            else:
                parts.append(f"{message['content']}\n\n")
        return "".join(parts)

    def _generate(self, prompts: list[str]) -> list[str]:
        """Greedy answers to rendered prompts, in order (the seam tests replace)."""
        import torch

        tokenizer, model = self._tokenizer, self._model
        # A chat template already writes the special tokens (BOS...); plain text needs the tokenizer's own.
        special = not getattr(tokenizer, "chat_template", None)
        # Without a pad token a batch cannot be padded, so prompts go one at a time.
        size = self.batch_size if tokenizer.pad_token_id is not None else 1
        answers: list[str] = []
        for start in range(0, len(prompts), size):
            batch = tokenizer(
                prompts[start : start + size], return_tensors="pt", padding=size > 1, add_special_tokens=special
            ).to(model.device)
            with torch.inference_mode():
                generated = model.generate(
                    **batch,
                    do_sample=False,
                    # Unset the checkpoint's sampling defaults, which greedy decoding would warn about.
                    temperature=None,
                    top_p=None,
                    top_k=None,
                    max_new_tokens=self.max_new_tokens,
                    pad_token_id=tokenizer.pad_token_id,
                )
            new = generated[:, batch["input_ids"].shape[1] :]
            answers.extend(tokenizer.batch_decode(new, skip_special_tokens=True))
        return answers

    def spec(self) -> dict[str, Any]:
        return {
            "mapper": self.name,
            "model": self.model,
            "revision": self.revision,
            "max_new_tokens": self.max_new_tokens,
            "retries": self.retries,
        }


def build_instructions(taxonomy: Taxonomy) -> str:
    """The fixed part of every prompt: the task, the taxonomy's leaves and the worked examples that fit it."""
    lines = []
    for node in taxonomy.leaves():
        lines.append(f"{node.id}: {'free text' if node.is_open else ' | '.join(node.values or ())}")
    examples = []
    for text, controls in _EXAMPLES:
        try:
            for node_id, value in controls:
                if node_id not in taxonomy or not taxonomy[node_id].is_leaf:
                    raise ValueError(node_id)
                taxonomy.canonical_value(node_id, value)
        except ValueError:
            continue
        answer = json.dumps([{"node": node_id, "value": value} for node_id, value in controls])
        examples.append(f"Example\nPrompt: {text}\nAnswer: {answer}")
    return "\n\n".join(
        [
            "You read a text-to-video prompt and list the filmmaking controls it sets, as leaves of this taxonomy. "
            'Each line is "leaf id: allowed values" (use one value exactly as written) or "leaf id: free text" '
            "(use a short phrase from the prompt).",
            "\n".join(lines),
            'Answer with ONLY a JSON array of objects {"node": "<leaf id>", "value": "<value>"}: one per control '
            "the prompt sets, at most one per leaf, leaf ids only from the list above. "
            "If the prompt sets no control, answer [].",
            *examples,
        ]
    )


def _follow_up(error: str) -> str:
    return f"That answer is invalid: {error}\nAnswer again with ONLY the corrected JSON array."


def parse_answer(text: str, taxonomy: Taxonomy) -> list[Control]:
    """The controls in an LLM's answer: the first JSON array in ``text``, every item checked against the taxonomy.

    Code fences and text around the array are tolerated. Each item must be an object with a string ``node`` that
    is a leaf of ``taxonomy`` and a string ``value``: one of the leaf's values (returned in its vocabulary spelling)
    or, for an open leaf, any non-empty text. An optional string ``evidence`` is kept. A node listed twice keeps
    its first value.

    Args:
        text: the generated answer.
        taxonomy: the taxonomy to check against.

    Returns:
        The controls, one per leaf, in the answer's order (empty for ``[]``).

    Raises:
        ValueError: no JSON array, or any item is invalid; the message says what is wrong with each and what
            would be valid, fit to send back to the model.
    """
    items = _first_array(text)
    controls: list[Control] = []
    seen: set[str] = set()
    problems: list[str] = []
    for number, item in enumerate(items):
        try:
            control = _control(item, taxonomy)
        except ValueError as error:
            problems.append(f"item {number}: {error}")
            continue
        if control.node not in seen:
            seen.add(control.node)
            controls.append(control)
    if problems:
        shown = problems[:_MAX_QUOTED_ERRORS]
        if len(problems) > len(shown):
            shown.append(f"and {len(problems) - len(shown)} more invalid item(s)")
        raise ValueError("; ".join(shown))
    return controls


def _first_array(text: str) -> list[Any]:
    """The first top-level JSON array in ``text`` made of objects, else the first JSON array at all."""
    decoder = json.JSONDecoder()
    arrays: list[list[Any]] = []
    first_error: json.JSONDecodeError | None = None
    position = text.find("[")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            first_error = first_error or error
            position = text.find("[", position + 1)
            continue
        if isinstance(value, list):
            if value and all(isinstance(item, dict) for item in value):
                return value
            arrays.append(value)
        position = text.find("[", end)  # skip the array's insides: brackets in its strings are not arrays
    if arrays:
        return arrays[0]
    stripped = text.strip().strip("`").strip()
    if stripped.startswith("{"):
        raise ValueError("the answer is a JSON object, not a JSON array; wrap the objects in [ ... ]")
    if first_error is not None:
        raise ValueError(f"the answer is not valid JSON ({first_error.msg} at character {first_error.pos})")
    shown = text.strip()[:80] or "(empty)"
    raise ValueError(f"no JSON array in the answer {shown!r}; expected a JSON array of node/value objects")


def _control(item: Any, taxonomy: Taxonomy) -> Control:
    """One answer item as a :class:`Control`, or a ValueError saying what is wrong and what would be valid."""
    if not isinstance(item, dict):
        raise ValueError(f'expected an object {{"node": ..., "value": ...}}, got {json.dumps(item)[:60]}')
    node_id, value = item.get("node"), item.get("value")
    if not isinstance(node_id, str) or not isinstance(value, str):
        raise ValueError(f'"node" and "value" must both be strings, got {json.dumps(item)[:80]}')
    node_id = node_id.strip().lower()  # ids are lowercase, so this cannot pick a different node
    if node_id not in taxonomy:
        raise ValueError(f"node {node_id!r} is not a leaf of the taxonomy{_did_you_mean(node_id, value, taxonomy)}")
    node = taxonomy[node_id]
    if not node.is_leaf:
        leaves = [leaf.id for leaf in taxonomy.leaves(node_id)]
        shown = ", ".join(repr(leaf) for leaf in leaves[:6]) + (", ..." if len(leaves) > 6 else "")
        raise ValueError(f"node {node_id!r} is a group, not a leaf; its leaves are {shown}")
    canonical = taxonomy.canonical_value(node_id, value)  # ValueError names the valid values
    evidence = item.get("evidence")
    return Control(node_id, canonical, evidence if isinstance(evidence, str) else "")


def _did_you_mean(node_id: str, value: str, taxonomy: Taxonomy) -> str:
    """A hint for an unknown node: leaves with a close id, then closed leaves whose vocabulary has ``value``."""
    leaves = taxonomy.leaves()
    guesses = suggest(node_id, [leaf.id for leaf in leaves])
    for leaf in leaves:
        if len(guesses) >= 3:
            break
        if leaf.values is not None and leaf.id not in guesses:
            try:
                taxonomy.canonical_value(leaf.id, value)
            except ValueError:
                continue
            guesses.append(leaf.id)
    return f"; did you mean {', '.join(repr(g) for g in guesses)}?" if guesses else ""
