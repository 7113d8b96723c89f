"""``scine-eval train-judge``: resumable checkpoints, the command on rendered pairs and annotations, and two ranks."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from scine_eval.bt.config import TrainConfig  # noqa: E402
from scine_eval.cli import main  # noqa: E402
from scine_eval.components import instantiate  # noqa: E402
from scine_eval.errors import ConfigError  # noqa: E402
from tests.helpers import REPO, free_port, subprocess_env  # noqa: E402

SMALL = {"epochs": 2, "batch_size": 4, "lr": 3e-3, "lora_r": 4, "lora_alpha": 8, "max_pixels": 28 * 28 * 16}


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return {**load_file(str(folder / "adapter_model.safetensors")), **load_file(str(folder / "bt_head.safetensors"))}


def test_an_interrupted_run_resumes_to_the_same_weights(tiny_qwen, bt_split, tmp_path):
    from scine_eval.bt.train import train

    pairs, validation = bt_split.train[:12], bt_split.validation[:4]
    straight = TrainConfig(base=str(tiny_qwen), output_dir=str(tmp_path / "straight"), **SMALL)
    _, full = train(straight, pairs, validation)
    split_run = TrainConfig(base=str(tiny_qwen), output_dir=str(tmp_path / "split"), stop_after_steps=2, **SMALL)
    _, first = train(split_run, pairs, validation)
    assert not first["finished"] and first["steps_done"] == 2
    assert (tmp_path / "split" / "checkpoint" / "optimizer.safetensors").is_file()
    assert not (tmp_path / "split" / "scorer_config.json").exists(), "an unfinished run writes no scorer"
    _, second = train(replace(split_run, stop_after_steps=None), pairs, validation)
    assert second["finished"] and second["steps_done"] == full["steps_done"] == 6
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "split")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-6), key
    assert second["validation_accuracy"] == full["validation_accuracy"]


def test_a_checkpoint_of_another_run_is_refused_by_name(tiny_qwen, bt_split, tmp_path):
    from scine_eval.bt.train import train

    pairs = bt_split.train[:8]
    config = TrainConfig(base=str(tiny_qwen), output_dir=str(tmp_path), stop_after_steps=1, **SMALL)
    train(config, pairs, [])
    changed = replace(config, lr=1e-4)
    with pytest.raises(ConfigError, match="another training run.*--no_resume"):
        train(changed, pairs, [])
    _, report = train(replace(changed, resume=False), pairs, [])
    assert report["steps_done"] == 1, "--no_resume starts over"


def _cli(tiny_qwen, tmp_path, *extra):
    return ["train-judge", "--base", str(tiny_qwen), "--output_dir", str(tmp_path / "scorer"), "--cache_dir",
            str(tmp_path / "cache"), "--epochs", "1", "--lora_r", "4", "--lora_alpha", "8", "--max_pixels", "12544",
            *extra]  # fmt: skip


def test_the_command_trains_on_rendered_pairs_and_writes_a_judge(tiny_qwen, tmp_path, capsys):
    argv = _cli(tiny_qwen, tmp_path, "--synthetic", "lighting.color_temperature", "--synthetic_seeds", "3")
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "preference pairs, split by prompt" in err and "--judge bt --judge_args pretrained=" in err
    config = json.loads((tmp_path / "scorer" / "scorer_config.json").read_text())
    assert config["training"]["report"]["train_pairs"] > 0 and config["training"]["lora_r"] == 4


def test_the_command_trains_on_annotations(tiny_qwen, tmp_path, suite):
    from scine_eval.stimuli import Stimulus
    from scine_eval.stimuli.clips import StimulusCache

    clips = StimulusCache(tmp_path / "clips", Stimulus(duration=1.0, fps=4, size=64))
    questions = [q for q in suite.questions if q.node_id == "lighting.color_temperature"][:4]
    rows = []
    for question in questions:
        for model, value, score in (("a", question.value, 5), ("b", "cool" if question.value != "cool" else "warm", 1)):
            path, _ = clips.clip((("lighting.color_temperature", value),), seed=len(rows))
            rows += [{"question_id": question.id, "video": str(path), "model": model, "rater": f"r{k}",
                      "score": score} for k in range(2)]  # fmt: skip
    annotations = tmp_path / "ratings.jsonl"
    annotations.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(_cli(tiny_qwen, tmp_path, "--annotations", str(annotations))) == 0
    report = json.loads((tmp_path / "scorer" / "scorer_config.json").read_text())["training"]["report"]
    assert report["train_pairs"] + report["validation_pairs"] == len(questions)


def test_the_command_names_a_missing_or_doubled_pair_source(tiny_qwen, tmp_path, capsys):
    assert main(_cli(tiny_qwen, tmp_path)) == 2
    assert main(_cli(tiny_qwen, tmp_path, "--annotations", "x.jsonl", "--synthetic", "lighting.key")) == 2
    assert capsys.readouterr().err.count("give either --annotations") == 2


def test_two_ranks_train_the_same_weights_as_one(tiny_qwen, tmp_path):
    """Each rank backpropagates its share of every batch; summed gradients make the same step (no dropout)."""
    args = [*_cli(tiny_qwen, tmp_path), "--synthetic", "lighting.color_temperature", "--synthetic_seeds", "2",
            "--lora_dropout", "0", "--batch_size", "4"]  # fmt: skip
    env = subprocess_env(tmp_path)
    one = [a.replace(str(tmp_path / "scorer"), str(tmp_path / "one")) for a in args]
    subprocess.run([sys.executable, "-m", "scine_eval", *one], cwd=REPO, env=env, check=True, capture_output=True)
    two = [a.replace(str(tmp_path / "scorer"), str(tmp_path / "two")) for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
         "--master_port", str(free_port()), "-m", "scine_eval", *two],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    a, b = _weights(tmp_path / "one"), _weights(tmp_path / "two")
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-5), key


def test_gradient_checkpointing_takes_the_same_steps(tiny_qwen, bt_split, tmp_path):
    from scine_eval.bt.train import train

    pairs = bt_split.train[:8]
    plain = TrainConfig(base=str(tiny_qwen), output_dir=str(tmp_path / "plain"), lora_dropout=0.0, **SMALL)
    train(plain, pairs, [])
    train(replace(plain, output_dir=str(tmp_path / "recomputed"), gradient_checkpointing=True), pairs, [])
    a, b = _weights(tmp_path / "plain"), _weights(tmp_path / "recomputed")
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-5), key


def test_qlora_trains_over_a_4bit_base_and_the_judge_loads_it(tmp_path, bt_split, taxonomy):
    pytest.importorskip("bitsandbytes")
    from scine_eval.bt.train import train
    from scine_eval.contracts.judge import JudgeItem
    from scine_eval.judges import judge_registry
    from scine_eval.suite import Prompt, Question
    from scine_eval.testing import make_tiny_qwen25vl
    from scine_eval.video import sha256_file

    base = make_tiny_qwen25vl(tmp_path / "small", size="small")  # nf4 quantises blocks of 64 weights
    config = TrainConfig(base=str(base), output_dir=str(tmp_path / "qlora"), load_in="4bit", **{**SMALL, "epochs": 1})
    scorer, report = train(config, bt_split.train[:4], bt_split.validation[:2])
    layer = scorer.loaded.model.model.language_model.layers[0].self_attn.q_proj
    assert type(layer.base_layer).__name__ == "Linear4bit" and report["finished"]
    args = {"pretrained": str(tmp_path / "qlora"), "load_in": "4bit"}
    judge = instantiate("judge", "bt", judge_registry.get("bt"), args)
    pair = bt_split.validation[0]
    prompt = Prompt(id="p", suite="visuals", text=pair.prompt)
    question = Question(id="p:q", prompt_id="p", node_id="lighting.color_temperature", value="warm", text=pair.question)
    node = taxonomy[question.node_id]
    item = JudgeItem(pair.chosen, sha256_file(pair.chosen), 0, prompt, question, node, "scine-1-5")
    (judgement,) = judge.score([item])
    assert judgement.score is not None and judge.spec()["load"]["load_in"] == "4bit"


def test_without_peft_the_command_names_the_extra(tiny_qwen, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "peft", None)  # importing it now raises ImportError
    assert main(_cli(tiny_qwen, tmp_path, "--synthetic", "lighting.key")) == 2
    assert "scine-eval[llm]" in capsys.readouterr().err
