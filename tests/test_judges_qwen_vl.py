"""The zero-shot Qwen2.5-VL judge on a tiny random checkpoint, loaded by path like a Hub id."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from scine_eval import evaluate  # noqa: E402
from scine_eval.components import instantiate  # noqa: E402
from scine_eval.contracts.judge import JudgeItem  # noqa: E402
from scine_eval.errors import ConfigError, MissingDependencyError  # noqa: E402
from scine_eval.judges import judge_registry  # noqa: E402
from scine_eval.options import RunConfig  # noqa: E402
from scine_eval.video import sha256_file  # noqa: E402

QUESTIONS_PER_VIDEO = 3


@pytest.fixture(scope="module")
def judge_cls():
    """Builds the judge from flat arguments the way ``--judge_args`` does (grouped options included)."""
    return lambda **args: instantiate("judge", "qwen2.5-vl", judge_registry.get("qwen2.5-vl"), args)


def _items(videos, suite, taxonomy, n_videos=2, per_video=QUESTIONS_PER_VIDEO):
    items = []
    for prompt_id in videos.prompt_ids[:n_videos]:
        path = videos.root / f"{prompt_id}-0.mp4"
        prompt = suite.prompts[prompt_id]
        questions = [q for q in suite.questions if q.prompt_id == prompt_id][:per_video]
        for q in questions:
            items.append(JudgeItem(path, sha256_file(path), 0, prompt, q, taxonomy[q.node_id], "scine-1-5"))
    return items


@pytest.fixture(scope="module")
def batched(judge_cls, tiny_qwen):
    return judge_cls(pretrained=str(tiny_qwen))


def test_prefix_reuse_matches_independent_forwards(judge_cls, batched, tiny_qwen, videos, suite, taxonomy):
    items = _items(videos, suite, taxonomy)
    reference = judge_cls(pretrained=str(tiny_qwen), mode="independent").score(items)
    for judge in (batched, judge_cls(pretrained=str(tiny_qwen), mode="sequential", suffix_batch=1)):
        scores = judge.score(items)
        for mine, theirs in zip(scores, reference, strict=True):
            assert mine.score == pytest.approx(theirs.score, abs=1e-4)
            assert mine.raw["p"] == pytest.approx(theirs.raw["p"], abs=1e-4)


def test_score_is_the_expected_rating_with_its_distribution(batched, videos, suite, taxonomy):
    for judgement in batched.score(_items(videos, suite, taxonomy)):
        p = judgement.raw["p"]
        assert len(p) == 5 and sum(p) == pytest.approx(1.0, abs=1e-5)
        assert judgement.score == pytest.approx(sum((k + 1) * pk for k, pk in enumerate(p)), abs=1e-4)
        assert 0 < judgement.raw["answer_mass"] <= 1
        assert judgement.raw["video"]["fps"] > 0 and judgement.raw["video"]["grid_thw"][0] >= 1


def test_a_bad_video_abstains_alone(batched, videos, suite, taxonomy):
    items = _items(videos, suite, taxonomy)
    broken = items[0].video
    broken.write_bytes(broken.read_bytes()[:100])
    judgements = batched.score(items)
    assert all(j.score is None and "video" in j.reason for j in judgements[:QUESTIONS_PER_VIDEO])
    assert all(j.score is not None for j in judgements[QUESTIONS_PER_VIDEO:])


def test_a_question_without_text_abstains(batched, videos, suite, taxonomy):
    items = _items(videos, suite, taxonomy, n_videos=1)
    q = items[0].question
    empty = q.model_copy(update={"text": "  "})
    items[0] = JudgeItem(items[0].video, items[0].video_sha256, 0, items[0].prompt, empty, items[0].node, "scine-1-5")
    judgements = batched.score(items)
    assert judgements[0].score is None and "has no text" in judgements[0].reason
    assert judgements[1].score is not None


def test_a_clip_longer_than_the_context_abstains_naming_the_limit(
    judge_cls, tiny_qwen, tmp_path, videos, suite, taxonomy
):
    folder = tmp_path / "short-context"
    shutil.copytree(tiny_qwen, folder)
    config = json.loads((folder / "config.json").read_text())
    config["text_config"]["max_position_embeddings"] = 64
    (folder / "config.json").write_text(json.dumps(config))
    judgements = judge_cls(pretrained=str(folder)).score(_items(videos, suite, taxonomy, n_videos=1))
    assert all(j.score is None and "context of 64" in j.reason and "max_pixels" in j.reason for j in judgements)


def test_rationale_is_generated_text(judge_cls, tiny_qwen, videos, suite, taxonomy):
    judge = judge_cls(pretrained=str(tiny_qwen), rationale=True, rationale_tokens=4)
    judgement = judge.score(_items(videos, suite, taxonomy, n_videos=1, per_video=1))[0]
    assert isinstance(judgement.raw["rationale"], str)


def test_fingerprint_holds_checkpoint_input_spec_and_rubric(judge_cls, batched, tiny_qwen, monkeypatch):
    spec = batched.spec()
    assert spec["load"]["pretrained"] == str(tiny_qwen) and spec["load"]["dtype"] == "float32"
    assert spec["input"] == {
        "frames_as": "video",
        "fps": 2.0,
        "max_pixels": 1003520,
        "min_pixels": 3136,
        "max_frames": 768,
    }
    other = judge_cls(pretrained=str(tiny_qwen), max_pixels=200704)
    assert other.fingerprint != batched.fingerprint
    assert judge_cls(pretrained=str(tiny_qwen), mode="sequential").fingerprint == batched.fingerprint

    from dataclasses import replace

    from scine_eval.vlm import rubric

    before = batched.fingerprint
    monkeypatch.setitem(rubric.RUBRICS, "scine-1-5", replace(rubric.RUBRICS["scine-1-5"], version="2"))
    assert batched.fingerprint != before


def test_presets_name_the_instruct_checkpoints():
    assert judge_registry.get("qwen2.5-vl-72b") is judge_registry.get("qwen2.5-vl")
    assert judge_registry.preset_args("qwen2.5-vl-7b") == {"pretrained": "Qwen/Qwen2.5-VL-7B-Instruct"}
    assert set(judge_registry.presets_of("qwen2.5-vl")) == {"qwen2.5-vl-7b", "qwen2.5-vl-32b", "qwen2.5-vl-72b"}


def test_a_hub_id_offline_is_a_clear_error(judge_cls):
    with pytest.raises(ConfigError, match="Qwen/Qwen2.5-VL-7B-Instruct.*HF_HUB_OFFLINE"):
        judge_cls()


def test_a_folder_that_is_not_a_model_is_a_clear_error(judge_cls, tmp_path):
    with pytest.raises(ConfigError, match="not a model folder: it has no config.json"):
        judge_cls(pretrained=str(tmp_path))
    with pytest.raises(ConfigError, match="does not exist"):
        judge_cls(pretrained=str(tmp_path / "missing"))


def test_a_checkpoint_without_a_video_processor_is_a_clear_error(judge_cls, tiny_qwen, tmp_path):
    folder = tmp_path / "no-video"
    shutil.copytree(tiny_qwen, folder)
    processor = json.loads((folder / "processor_config.json").read_text())
    del processor["video_processor"]
    (folder / "processor_config.json").write_text(json.dumps(processor))
    with pytest.raises(ConfigError, match="could not be loaded: Can't load video processor.*needs the checkpoint's"):
        judge_cls(pretrained=str(folder))


def test_quantised_loading_is_checked_never_a_fallback(judge_cls, tiny_qwen, monkeypatch):
    with pytest.raises(ConfigError, match="load_in='3bit': valid values are 4bit, 8bit"):
        judge_cls(pretrained=str(tiny_qwen), load_in="3bit")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="device='cuda', but torch sees no CUDA device"):
            judge_cls(pretrained=str(tiny_qwen), load_in="4bit", device="cuda")
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # as if it were not installed
    with pytest.raises(MissingDependencyError, match="bitsandbytes.*scine-eval\\[quant\\]"):
        judge_cls(pretrained=str(tiny_qwen), load_in="8bit")


@pytest.fixture(scope="module")
def small_qwen(tmp_path_factory):
    from scine_eval.testing import make_tiny_qwen25vl

    return make_tiny_qwen25vl(tmp_path_factory.mktemp("small-qwen"), size="small", layout="hub")


def test_four_bit_loading_runs_on_cpu(judge_cls, small_qwen, videos, suite, taxonomy):
    """Bitsandbytes quantises on CPU too; nf4 blocks of 64 need layers at least that wide (not "tiny")."""
    pytest.importorskip("bitsandbytes")
    judge = judge_cls(pretrained=str(small_qwen), load_in="4bit", device="cpu")
    kinds = {type(m).__name__ for m in judge.loaded.model.modules()}
    assert "Linear4bit" in kinds
    assert all(j.score is not None for j in judge.score(_items(videos, suite, taxonomy, n_videos=1)))


def test_a_run_with_the_judge_end_to_end(tiny_qwen, videos, tmp_path):
    config = RunConfig(
        model="cached",
        model_args=videos.model_args(),
        judge="qwen2.5-vl",
        judge_args=f"pretrained={tiny_qwen}",
        tasks=["camera.trajectory"],
        output_path=str(tmp_path / "out"),
        cache_dir=str(tmp_path / "cache"),
        bootstrap_iters=50,
    )
    first = evaluate(config)
    score = first.results["results"]["camera.trajectory"]["score,qwen2.5-vl"]
    assert 1 <= score <= 5
    again = evaluate(config)  # every judgement now comes from the cache
    assert again.results["results"]["camera.trajectory"]["score,qwen2.5-vl"] == pytest.approx(score)
