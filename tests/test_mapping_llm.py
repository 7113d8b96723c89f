"""The LLM mapper: answer parsing and validation, retries, and the real load/generate path on a tiny random model.

The model is built here (a byte-level BPE tokenizer trained on the prompt's own words, and a 2-layer Llama with
random weights), saved to a tmp folder and loaded by path, exactly like a user's checkpoint; nothing touches the
network.
"""

from __future__ import annotations

import json

import pytest

from scine_eval.errors import ConfigError
from scine_eval.suites.mapping.base import Control
from scine_eval.suites.mapping.llm import LLMMapper, build_instructions, parse_answer

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|eos|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


@pytest.fixture(scope="session")
def tiny_llm(tmp_path_factory, taxonomy) -> str:
    """A folder holding a tiny random Llama and its tokenizer (with a chat template), as ``save_pretrained`` writes."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llm")
    specials = ["<|pad|>", "<|bos|>", "<|eos|>", "<|user|>", "<|assistant|>"]
    corpus = [build_instructions(taxonomy), '[{"node": "camera.trajectory.gear", "value": "handheld"}]'] * 2
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    backend.train_from_iterator(corpus, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<|pad|>", bos_token="<|bos|>", eos_token="<|eos|>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    return str(folder)


# -- parse_answer ------------------------------------------------------------------------------------------


def test_parse_answer_reads_the_array_inside_fences_and_chatter(taxonomy):
    text = (
        "Sure! Here are the controls [as asked]:\n```json\n"
        '[{"node": "camera.trajectory.gear", "value": "Handheld"},\n'
        ' {"node": "lighting.conditions", "value": "golden  hour", "evidence": "at golden hour"}]\n'
        "```\nHope this helps."
    )
    assert parse_answer(text, taxonomy) == [
        Control("camera.trajectory.gear", "handheld"),
        Control("lighting.conditions", "golden hour", evidence="at golden hour"),
    ]


def test_parse_answer_accepts_an_empty_array(taxonomy):
    assert parse_answer("[]", taxonomy) == []


@pytest.mark.parametrize("text", ["no controls here", "", '[{"node": "camera.trajectory.gear", "value": }]'])
def test_parse_answer_rejects_text_without_json(taxonomy, text):
    with pytest.raises(ValueError, match="JSON"):
        parse_answer(text, taxonomy)


def test_parse_answer_rejects_an_object_instead_of_an_array(taxonomy):
    with pytest.raises(ValueError, match="JSON object, not a JSON array"):
        parse_answer('{"node": "camera.trajectory.gear", "value": "handheld"}', taxonomy)


def test_parse_answer_names_an_unknown_node_and_suggests_leaves(taxonomy):
    answer = json.dumps([{"node": "camera.pan", "value": "pan left"}])
    with pytest.raises(ValueError, match=r"'camera\.pan' is not a leaf.*did you mean.*camera\.trajectory\.movement_2d"):
        parse_answer(answer, taxonomy)


def test_parse_answer_rejects_a_group_node_and_lists_its_leaves(taxonomy):
    answer = json.dumps([{"node": "camera.trajectory", "value": "handheld"}])
    with pytest.raises(ValueError, match=r"is a group, not a leaf.*'camera\.trajectory\.gear'"):
        parse_answer(answer, taxonomy)


def test_parse_answer_names_the_allowed_values_of_a_closed_leaf(taxonomy):
    answer = json.dumps([{"node": "lighting.color_temperature", "value": "purple"}])
    with pytest.raises(ValueError, match=r"item 0: 'purple' is not a value.*valid: warm, neutral, cool"):
        parse_answer(answer, taxonomy)


@pytest.mark.parametrize(
    "item",
    [["camera.trajectory.gear"], {"node": "camera.trajectory.gear"}, {"node": 3, "value": "handheld"}],
)
def test_parse_answer_rejects_malformed_items(taxonomy, item):
    with pytest.raises(ValueError, match="item 0:"):
        parse_answer(json.dumps([item]), taxonomy)


def test_parse_answer_accepts_free_text_for_open_leaves_but_not_empty(taxonomy):
    answer = json.dumps([{"node": "setup.subjects.class", "value": "  an old lighthouse keeper "}])
    assert parse_answer(answer, taxonomy) == [Control("setup.subjects.class", "an old lighthouse keeper")]
    with pytest.raises(ValueError, match="empty value"):
        parse_answer(json.dumps([{"node": "setup.subjects.class", "value": " "}]), taxonomy)


def test_parse_answer_keeps_the_first_value_of_a_repeated_node(taxonomy):
    answer = json.dumps(
        [
            {"node": "setup.set_design.backdrop.time_of_day", "value": "night"},
            {"node": "camera.trajectory.gear", "value": "drone"},
            {"node": "setup.set_design.backdrop.time_of_day", "value": "dawn"},
        ]
    )
    assert parse_answer(answer, taxonomy) == [
        Control("setup.set_design.backdrop.time_of_day", "night"),
        Control("camera.trajectory.gear", "drone"),
    ]


def test_parse_answer_reports_every_invalid_item(taxonomy):
    answer = json.dumps([{"node": "camera.pan", "value": "x"}, {"node": "lighting.color_temperature", "value": "y"}])
    with pytest.raises(ValueError, match=r"item 0: .*; item 1: "):
        parse_answer(answer, taxonomy)


# -- the prompt --------------------------------------------------------------------------------------------


def test_instructions_list_every_leaf_and_valid_examples(taxonomy):
    text = build_instructions(taxonomy)
    for leaf in taxonomy.leaves():
        assert f"\n{leaf.id}: " in text
    assert "lighting.color_temperature: warm | neutral | cool" in text
    assert "setup.subjects.class: free text" in text
    examples = [line.removeprefix("Answer: ") for line in text.splitlines() if line.startswith("Answer: ")]
    assert len(examples) == 2
    for example in examples:
        assert parse_answer(example, taxonomy)


# -- the mapper --------------------------------------------------------------------------------------------


def test_mapper_is_cheap_to_build_and_describes_itself(taxonomy):
    mapper = LLMMapper("some-org/some-model", taxonomy=taxonomy, revision="abc123", max_new_tokens=64, retries=1)
    assert mapper._model is None  # nothing is loaded before the first map()
    assert mapper.spec() == {
        "mapper": "llm",
        "model": "some-org/some-model",
        "revision": "abc123",
        "max_new_tokens": 64,
        "retries": 1,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"retries": -1}, "retries"), ({"batch_size": 0}, "batch_size"), ({"dtype": "float8"}, "dtype")],
)
def test_mapper_rejects_bad_settings(taxonomy, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        LLMMapper("some-org/some-model", taxonomy=taxonomy, **kwargs)


def test_a_missing_model_folder_is_a_config_error_naming_it(tmp_path, taxonomy):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ConfigError, match=str(missing)):
        LLMMapper(str(missing), taxonomy=taxonomy)


def test_a_model_that_cannot_be_loaded_is_a_config_error_naming_it(tmp_path, taxonomy):
    empty = tmp_path / "empty-model"
    empty.mkdir()
    with pytest.raises(ConfigError, match=f"{empty}: cannot load the mapping LLM"):
        LLMMapper(str(empty), taxonomy=taxonomy).map(["a wide shot"])
    # Offline (conftest), an unknown Hub id fails at once instead of retrying the network.
    with pytest.raises(ConfigError, match="no-such-org/no-such-model"):
        LLMMapper("no-such-org/no-such-model", taxonomy=taxonomy).map(["a wide shot"])


def test_random_model_answers_never_validate_and_nothing_raises(tiny_llm, taxonomy):
    mapper = LLMMapper(tiny_llm, taxonomy=taxonomy, max_new_tokens=12, retries=2, batch_size=2)
    texts = ["A wide shot of a desert at dawn.", "Handheld close-up.", "A drone shot over the sea at night."]
    mappings = mapper.map(texts)
    assert [m.text for m in mappings] == texts
    for mapping in mappings:
        assert not mapping.ok
        assert mapping.controls == []
        assert mapping.error.startswith("no valid answer in 3 attempt(s); last: ")
        assert len(mapping.raw["answers"]) == 3
        assert all(isinstance(answer, str) for answer in mapping.raw["answers"])
        assert len(mapping.raw["errors"]) == 3
    assert mapper.map([]) == []


def test_batched_answers_equal_one_at_a_time(tiny_llm, taxonomy):
    # Left padding with an attention mask must not change what a prompt gets, whatever its batch neighbours.
    texts = ["A wide shot.", "A slow handheld push in on a sleeping dog at dusk, lit by a flickering candle."]
    one = LLMMapper(tiny_llm, taxonomy=taxonomy, max_new_tokens=8, retries=0, batch_size=1).map(texts)
    both = LLMMapper(tiny_llm, taxonomy=taxonomy, max_new_tokens=8, retries=0, batch_size=2).map(texts)
    assert [m.raw["answers"] for m in one] == [m.raw["answers"] for m in both]


def test_a_bad_device_is_a_config_error(tiny_llm, taxonomy):
    with pytest.raises(ConfigError, match="cannot move the mapping LLM to device 'no-such-device'"):
        LLMMapper(tiny_llm, taxonomy=taxonomy, device="no-such-device").map(["A wide shot."])


def test_plain_text_prompts_for_a_tokenizer_without_chat_template(tiny_llm, taxonomy):
    mapper = LLMMapper(tiny_llm, taxonomy=taxonomy, max_new_tokens=4, retries=0)
    mapper._load()
    chat = mapper._render([{"role": "user", "content": "P"}])
    assert chat == "<|user|>\nP<|eos|>\n<|assistant|>\n"
    mapper._tokenizer.chat_template = None
    assert mapper._render([{"role": "user", "content": "P"}]) == "P\n\nAnswer: "
    follow_up = [
        {"role": "user", "content": "P"},
        {"role": "assistant", "content": "A"},
        {"role": "user", "content": "E"},
    ]
    assert mapper._render(follow_up) == "P\n\nAnswer: A\n\nE\n\nAnswer: "
    [mapping] = mapper.map(["A wide shot."])
    assert len(mapping.raw["answers"]) == 1


def test_valid_answers_map_and_an_invalid_one_is_retried_with_its_error(tiny_llm, taxonomy, monkeypatch):
    mapper = LLMMapper(tiny_llm, taxonomy=taxonomy, retries=1)
    scripted = {
        "A handheld night shot.": [
            '```json\n[{"node": "camera.trajectory.gear", "value": "HANDHELD"}, '
            '{"node": "setup.set_design.backdrop.time_of_day", "value": "night"}]\n```'
        ],
        "A pan to the left.": [
            '[{"node": "camera.pan", "value": "pan left"}]',
            'Fixed: [{"node": "camera.trajectory.movement_2d", "value": "pan left"}]',
        ],
        "Just a cat.": ["the cat", "still no JSON"],
    }
    seen: list[list[str]] = []

    def fake_generate(prompts: list[str]) -> list[str]:
        seen.append(prompts)
        out = []
        for prompt in prompts:
            text = next(t for t in scripted if f"Prompt: {t}" in prompt)
            out.append(scripted[text][sum(f"Prompt: {text}" in p for round_ in seen for p in round_) - 1])
        return out

    monkeypatch.setattr(mapper, "_generate", fake_generate)
    night, pan, cat = mapper.map(list(scripted))

    assert night.ok and night.controls == [
        Control("camera.trajectory.gear", "handheld"),
        Control("setup.set_design.backdrop.time_of_day", "night"),
    ]
    assert len(night.raw["answers"]) == 1
    assert pan.ok and pan.controls == [Control("camera.trajectory.movement_2d", "pan left")]
    assert pan.raw["answers"] == scripted["A pan to the left."]
    assert cat.controls == [] and "JSON" in cat.error and cat.raw["answers"] == scripted["Just a cat."]

    # Round 1 asks all three; round 2 only the invalid two, quoting the error after their bad answer.
    assert [len(round_) for round_ in seen] == [3, 2]
    retry = next(p for p in seen[1] if "Prompt: A pan to the left." in p)
    assert '<|assistant|>\n[{"node": "camera.pan"' in retry
    assert "That answer is invalid: item 0: node 'camera.pan' is not a leaf" in retry
    assert "did you mean" in retry and retry.endswith("<|assistant|>\n")
