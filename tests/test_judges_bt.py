"""The ``bt`` judge: a scorer folder trained on the tiny Qwen2.5-VL, loaded by path like a Hub id."""

from __future__ import annotations

import json
import shutil

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from scine_eval import evaluate  # noqa: E402
from scine_eval.components import instantiate  # noqa: E402
from scine_eval.contracts.judge import JudgeItem  # noqa: E402
from scine_eval.errors import ConfigError  # noqa: E402
from scine_eval.judges import judge_registry  # noqa: E402
from scine_eval.options import RunConfig  # noqa: E402
from scine_eval.suite import Prompt, Question  # noqa: E402
from scine_eval.video import sha256_file  # noqa: E402


@pytest.fixture(scope="module")
def judge_cls():
    """Builds the judge from flat arguments the way ``--judge_args`` does (grouped options included)."""
    return lambda **args: instantiate("judge", "bt", judge_registry.get("bt"), args)


@pytest.fixture(scope="module")
def judge(judge_cls, bt_trained):
    return judge_cls(pretrained=str(bt_trained[0]))


def _items(pairs, taxonomy):
    """Per pair: the compliant clip, then the violating one, asked the pair's question."""
    items = []
    for pair in pairs:
        prompt = Prompt(id=pair.prompt_id, suite="visuals", text=pair.prompt)
        question = Question(id=f"{pair.prompt_id}:q", prompt_id=pair.prompt_id, node_id="lighting.color_temperature",
                            value="warm", text=pair.question)  # fmt: skip
        node = taxonomy["lighting.color_temperature"]
        for path in (pair.chosen, pair.rejected):
            items.append(JudgeItem(path, sha256_file(path), 0, prompt, question, node, "scine-1-5"))
    return items


def test_the_judge_orders_unseen_worlds_and_reports_calibrated_and_raw_scores(judge, bt_trained, bt_split, taxonomy):
    _, report, _ = bt_trained
    judgements = judge.score(_items(bt_split.validation, taxonomy))
    compliant, violating = judgements[::2], judgements[1::2]
    correct = sum(c.raw["raw"] > v.raw["raw"] for c, v in zip(compliant, violating, strict=True))
    assert correct / len(compliant) == pytest.approx(report["validation_accuracy"])
    config = judge.scorer.config
    for j in judgements:
        assert 1.0 <= j.score <= 5.0 and j.score == pytest.approx(config.calibrated(j.raw["raw"]))
        norm = (j.raw["raw"] - config.normalisation["mean"]) / config.normalisation["std"]
        assert j.raw["normalised"] == pytest.approx(norm)
        assert j.raw["video"]["frames"] > 0
    assert sum(c.score for c in compliant) > sum(v.score for v in violating)


def test_prefix_reuse_matches_independent_forwards_and_the_trained_scorer(judge_cls, judge, bt_trained, bt_split,
                                                                          taxonomy):  # fmt: skip
    from scine_eval.vlm.engine import Query

    _, _, scorer = bt_trained
    items = _items(bt_split.validation[:3], taxonomy)
    batched = judge.score(items)
    independent = judge_cls(pretrained=str(bt_trained[0]), mode="independent").score(items)
    for mine, theirs in zip(batched, independent, strict=True):
        assert mine.raw["raw"] == pytest.approx(theirs.raw["raw"], abs=1e-4)
    pair = bt_split.validation[0]
    prefix, suffix = scorer.prompt_parts(pair.prompt, pair.question)
    in_memory = scorer.raw([scorer.lm.encode(pair.chosen, prefix)], [Query(0, suffix)])
    assert batched[0].raw["raw"] == pytest.approx(float(in_memory[0]), abs=1e-5)


def test_the_fingerprint_follows_the_scorer_contents(judge_cls, judge, bt_trained, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bt_trained[0], copy)
    assert judge_cls(pretrained=str(copy)).fingerprint == judge.fingerprint, "same contents, same scores"
    config = json.loads((copy / "scorer_config.json").read_text())
    config["calibration"]["shift"] += 0.5
    (copy / "scorer_config.json").write_text(json.dumps(config))
    assert judge_cls(pretrained=str(copy)).fingerprint != judge.fingerprint


def test_a_run_with_the_bt_judge_scores_the_synthetic_model(bt_trained, tmp_path):
    output = evaluate(RunConfig(model="synthetic", tasks=["lighting.color_temperature"], judge="bt",
                                judge_args=f"pretrained={bt_trained[0]}", output_path=str(tmp_path / "results"),
                                cache_dir=str(tmp_path / "cache"), limit=2))  # fmt: skip
    counts = output.results["n-samples"]["lighting.color_temperature"]
    assert counts["effective"] == counts["planned"] > 0


def test_a_scorer_that_cannot_be_found_is_named(judge_cls, tmp_path):
    with pytest.raises(ConfigError, match="is not a folder"):
        judge_cls(pretrained=str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="not in the Hugging Face cache"):
        judge_cls(pretrained="nobody/no-such-scorer")
    with pytest.raises(ConfigError, match="scorer_config.json is missing"):
        judge_cls(pretrained=str(tmp_path))
