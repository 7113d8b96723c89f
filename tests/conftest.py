"""Test setup: offline, CPU only, no writes outside tmp folders.

The Hugging Face variables must be set before anything imports huggingface_hub or datasets (setting
them later has no effect), so they are set here, at collection time.
"""

from __future__ import annotations

import os
import shutil
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="scine-eval-hf-home-"))
os.environ.setdefault("SCINE_EVAL_CACHE", tempfile.mkdtemp(prefix="scine-eval-cache-"))

import pytest  # noqa: E402

from scine_eval.compat import ensure_torchvision  # noqa: E402

ensure_torchvision()  # before any test imports transformers (PyPI's torchvision is a CUDA build)

from tests.helpers import BT_PROOF, VideoFolder  # noqa: E402


@pytest.fixture(scope="session")
def taxonomy():
    from scine_eval.taxonomy import load_taxonomy

    return load_taxonomy()


@pytest.fixture(scope="session")
def suite(taxonomy):
    from scine_eval.suite import load_suite

    return load_suite(None, taxonomy)


@pytest.fixture(scope="session")
def _video_source(tmp_path_factory, suite) -> VideoFolder:
    base = tmp_path_factory.mktemp("video-source")
    return VideoFolder.build(base / "videos", suite, base / "annotations.jsonl")


@pytest.fixture
def videos(tmp_path, _video_source) -> VideoFolder:
    """A folder of tiny real mp4s named ``{prompt_id}-0.mp4`` for every starter prompt, with annotations.

    A fresh copy per test, so a test may delete or corrupt files.
    """
    shutil.copytree(_video_source.root, tmp_path / "videos")
    shutil.copy(_video_source.annotations, tmp_path / "annotations.jsonl")
    return VideoFolder(tmp_path / "videos", tmp_path / "annotations.jsonl", list(_video_source.prompt_ids))


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory):
    """A tiny random Qwen2.5-VL checkpoint folder (v5 layout), built once per session."""
    from scine_eval.testing import make_tiny_qwen25vl

    return make_tiny_qwen25vl(tmp_path_factory.mktemp("tiny-qwen"), size="tiny")


@pytest.fixture(scope="session")
def bt_split(tmp_path_factory):
    """Warm-light questions: a warm clip against a neutral or a cool one of one world; 24 worlds split by prompt."""
    from scine_eval.bt.synthetic import synthetic_pairs
    from scine_eval.judge_eval.preferences import split_by_prompt

    pairs = synthetic_pairs(["lighting.color_temperature"], range(24), tmp_path_factory.mktemp("bt-stimuli"))
    return split_by_prompt([p for p in pairs if "warm" in p.question], validation_fraction=0.25)


@pytest.fixture(scope="session")
def bt_trained(tmp_path_factory, tiny_qwen, bt_split):
    """A Bradley-Terry scorer trained on ``bt_split`` with the tiny recipe: (folder, report, scorer)."""
    pytest.importorskip("peft")
    from scine_eval.bt.config import TrainConfig
    from scine_eval.bt.train import train

    folder = tmp_path_factory.mktemp("bt-scorer")
    config = TrainConfig(base=str(tiny_qwen), output_dir=str(folder), **BT_PROOF)
    scorer, report = train(config, bt_split.train, bt_split.validation)
    return folder, report, scorer
