"""The Bradley-Terry scorer on a tiny random Qwen2.5-VL: losses, training on rendered pairs, save and reload."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from scine_eval.bt.loss import bradley_terry, rao_kupper  # noqa: E402
from scine_eval.errors import ConfigError  # noqa: E402
from tests.helpers import BT_PROOF  # noqa: E402


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


def test_training_on_rendered_pairs_orders_unseen_worlds(bt_trained, bt_split):
    _, report, _ = bt_trained
    assert not {p.prompt_id for p in bt_split.train} & {p.prompt_id for p in bt_split.validation}
    assert report["finished"] and report["steps_done"] == report["steps"]
    assert report["loss_last"] < report["loss_first"]
    assert report["validation_accuracy"] >= 0.9, report
    assert report["validation_curve"][-1]["accuracy"] == report["validation_accuracy"]
    assert [v["step"] for v in report["validation_curve"]] == [
        report["steps"] // BT_PROOF["epochs"] * (e + 1) for e in range(BT_PROOF["epochs"])
    ]


def test_training_writes_a_scorer_folder_without_pickles(bt_trained):
    folder, report, _ = bt_trained
    names = {p.name for p in folder.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "bt_head.safetensors", "scorer_config.json"} <= names
    assert not any(n.endswith((".pt", ".pth", ".bin", ".pkl")) for n in names)
    config = json.loads((folder / "scorer_config.json").read_text())
    assert config["pooling"] == "last_token" and config["rubric"] == "scine-1-5" and config["rubric_sha256"]
    assert config["input_spec"]["fps"] == 2.0 and set(config["calibration"]) == {"scale", "shift"}
    assert report["pairs_per_second"] > 0
    assert config["training"]["report"]["validation_accuracy"] == report["validation_accuracy"]


def test_reloaded_scorer_gives_identical_scores(bt_trained, bt_split):
    from scine_eval.bt.scorer import Scorer
    from scine_eval.vlm.engine import Query

    folder, _, in_memory = bt_trained
    reloaded = Scorer.load(folder)
    pair = bt_split.validation[0]
    prefix, suffix = reloaded.prompt_parts(pair.prompt, pair.question)
    videos = [reloaded.lm.encode(path, prefix) for path in (pair.chosen, pair.rejected)]
    queries = [Query(0, suffix), Query(1, suffix)]
    assert torch.allclose(in_memory.raw(videos, queries), reloaded.raw(videos, queries), atol=1e-6)


def test_a_scorer_folder_missing_its_head_or_config_is_named(bt_trained, tmp_path):
    import shutil

    from scine_eval.bt.scorer import Scorer

    folder, _, _ = bt_trained
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "bt_head.safetensors").unlink()
    with pytest.raises(ConfigError, match="missing bt_head.safetensors"):
        Scorer.load(broken)
    (broken / "scorer_config.json").unlink()
    with pytest.raises(ConfigError, match="scorer_config.json is missing"):
        Scorer.load(broken)


def test_a_base_that_does_not_match_the_head_is_named(bt_trained, tmp_path):
    from scine_eval.bt.scorer import Scorer
    from scine_eval.testing import make_tiny_qwen25vl
    from scine_eval.vlm.loading import LoadOptions

    folder, _, _ = bt_trained
    other = make_tiny_qwen25vl(tmp_path / "small", size="small")
    with pytest.raises(ConfigError, match="hidden size 256.*hidden size 64"):
        Scorer.load(folder, LoadOptions(str(other)))
