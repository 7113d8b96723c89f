"""The Bradley-Terry scorer on a tiny random Qwen2.5-VL: losses, training on rendered pairs, save and reload."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from scine_eval.bt.loss import bradley_terry, rao_kupper  # noqa: E402
from scine_eval.errors import ConfigError  # noqa: E402


def test_bradley_terry_is_the_logistic_loss_of_the_difference():
    chosen, rejected = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 0.0])
    expected = (
        -(torch.nn.functional.logsigmoid(torch.tensor(2.0)) + torch.nn.functional.logsigmoid(torch.tensor(0.0))) / 2
    )
    assert bradley_terry(chosen, rejected) == pytest.approx(float(expected))
    assert bradley_terry(chosen, rejected, torch.tensor([False, True])) == pytest.approx(
        float(-torch.nn.functional.logsigmoid(torch.tensor(2.0)))
    )


def test_rao_kupper_probabilities_sum_to_one_and_ties_pull_scores_together():
    d = torch.linspace(-4, 4, 9)
    zero = torch.zeros_like(d)
    win = torch.exp(-rao_kupper(d[:, None], zero[:, None], torch.tensor([False]), theta=5.0))
    per = [
        (torch.exp(-rao_kupper(x[None], y[None], torch.tensor([False]))) + torch.exp(-rao_kupper(y[None], x[None],
         torch.tensor([False]))) + torch.exp(-rao_kupper(x[None], y[None], torch.tensor([True])))).item()
        for x, y in zip(d, zero, strict=True)
    ]  # fmt: skip
    assert per == pytest.approx([1.0] * 9, abs=1e-5)
    assert win.shape == ()
    tie_near = rao_kupper(torch.tensor([0.1]), torch.tensor([0.0]), torch.tensor([True]))
    tie_far = rao_kupper(torch.tensor([3.0]), torch.tensor([0.0]), torch.tensor([True]))
    assert tie_near < tie_far
    with pytest.raises(ValueError, match="at least 1"):
        rao_kupper(d, zero, theta=0.5)


@pytest.fixture(scope="module")
def rendered_pairs(tmp_path_factory):
    from scine_eval.bt.synthetic import synthetic_pairs

    pairs = synthetic_pairs(["lighting.color_temperature"], range(3), tmp_path_factory.mktemp("stimuli"))
    return [p for p in pairs if "warm" in p.question]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_qwen, rendered_pairs):
    from scine_eval.bt.train import TrainConfig, train

    folder = tmp_path_factory.mktemp("scorer")
    config = TrainConfig(base=str(tiny_qwen), output_dir=str(folder), epochs=2, batch_size=4, lr=1e-3, lora_r=4,
                         lora_alpha=8, loss="bt", max_pixels=28 * 28 * 16)  # fmt: skip
    half = len(rendered_pairs) * 3 // 4
    scorer, report = train(config, rendered_pairs[:half], rendered_pairs[half:])
    return folder, report, scorer


def test_training_writes_a_scorer_folder_without_pickles(trained):
    folder, report, _ = trained
    names = {p.name for p in folder.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "bt_head.safetensors", "scorer_config.json"} <= names
    assert not any(n.endswith((".pt", ".pth", ".bin", ".pkl")) for n in names)
    config = json.loads((folder / "scorer_config.json").read_text())
    assert config["pooling"] == "last_token" and config["rubric"] == "scine-1-5" and config["rubric_sha256"]
    assert config["input_spec"]["fps"] == 2.0 and set(config["calibration"]) == {"scale", "shift"}
    assert report["steps"] >= 2 and report["validation_accuracy"] is not None


def test_reloaded_scorer_gives_identical_scores(trained, rendered_pairs):
    from scine_eval.bt.scorer import Scorer
    from scine_eval.vlm.engine import Query

    folder, _, in_memory = trained
    reloaded = Scorer.load(folder)
    pair = rendered_pairs[0]
    prefix, suffix = reloaded.prompt_parts(pair.prompt, pair.question)
    videos = [reloaded.lm.encode(path, prefix) for path in (pair.chosen, pair.rejected)]
    queries = [Query(0, suffix), Query(1, suffix)]
    assert torch.allclose(in_memory.raw(videos, queries), reloaded.raw(videos, queries), atol=1e-6)


def test_a_scorer_folder_missing_its_head_or_config_is_named(trained, tmp_path):
    import shutil

    from scine_eval.bt.scorer import Scorer

    folder, _, _ = trained
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "bt_head.safetensors").unlink()
    with pytest.raises(ConfigError, match="missing bt_head.safetensors"):
        Scorer.load(broken)
    (broken / "scorer_config.json").unlink()
    with pytest.raises(ConfigError, match="scorer_config.json is missing"):
        Scorer.load(broken)


def test_a_base_that_does_not_match_the_head_is_named(trained, tmp_path):
    from scine_eval.bt.scorer import Scorer
    from scine_eval.testing import make_tiny_qwen25vl
    from scine_eval.vlm.loading import LoadOptions

    folder, _, _ = trained
    other = make_tiny_qwen25vl(tmp_path / "small", size="small")
    with pytest.raises(ConfigError, match="hidden size 256.*hidden size 64"):
        Scorer.load(folder, LoadOptions(str(other)))
