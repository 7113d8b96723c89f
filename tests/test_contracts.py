"""Every registered model adapter and judge, held to the shared contracts in ``tests/contracts.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from scine_eval.contracts.judge import JudgeItem, judge_registry
from scine_eval.contracts.model import GenerationRequest, model_registry
from scine_eval.registry import RegistrationError
from scine_eval.stimuli import Stimulus, resolve_controls
from scine_eval.stimuli.clips import write_clip
from scine_eval.suite import Prompt, Question
from scine_eval.video import sha256_file
from tests.contracts import AdapterContract, JudgeContract


def _request(tmp_path: Path, prompt_id: str, seed: int = 0, output: Path | None = None, controls=()):
    output = output or tmp_path / f"{prompt_id}-{seed}.mp4"
    return GenerationRequest(prompt_id, f"prompt {prompt_id}", seed, 0, output, tuple(controls))


def _broken_video(tmp_path: Path) -> Path:
    path = tmp_path / "broken.mp4"
    path.write_text("not a video")
    return path


def _suite_items(videos, suite, taxonomy, n_videos: int = 2, per_video: int = 2, seed: int = 0) -> list[JudgeItem]:
    items = []
    for prompt_id in videos.prompt_ids[:n_videos]:
        path = videos.root / f"{prompt_id}-0.mp4"
        for q in [q for q in suite.questions if q.prompt_id == prompt_id][:per_video]:
            items.append(JudgeItem(path, sha256_file(path), seed, suite.prompts[prompt_id], q, taxonomy[q.node_id],
                                   "scine-1-5"))  # fmt: skip
    return items


def _with_video(item: JudgeItem, path: Path) -> JudgeItem:
    return JudgeItem(path, sha256_file(path), item.seed, item.prompt, item.question, item.node, item.rubric)


# -- model adapters ---------------------------------------------------------------------------------------------


class TestSyntheticContract(AdapterContract):
    name = "synthetic"
    pixel_options = {"follow_prompt": False, "duration": 2.0, "fps": 6, "size": 96, "crf": 23, "preset": "medium"}
    bad_arguments = {"follow_prompt": "maybe", "fps": -3, "size": "abc", "crf": 99, "preset": "turbo"}

    @pytest.fixture
    def base_args(self):
        return {"duration": 1.0, "fps": 4, "size": 64}

    @pytest.fixture
    def requests(self, tmp_path):
        pan = (("camera.trajectory.movement_2d", "pan left"),)
        return [_request(tmp_path, "a", controls=pan), _request(tmp_path, "b", seed=1)]

    @pytest.fixture
    def failing_request(self, tmp_path):
        (tmp_path / "a-file").write_text("")
        return _request(tmp_path, "c", output=tmp_path / "a-file" / "c-0.mp4")  # its folder is a file


class TestCachedContract(AdapterContract):
    name = "cached"
    pixel_options = {"pattern": "{prompt_id}_{seed}.mp4"}
    neutral_options = {"model_name": "another-name", "revision": "abc123"}
    bad_arguments = {"revision": {"not": "a string"}, "pattern": ["a", "list"]}

    @pytest.fixture
    def base_args(self, videos):
        return {"path": str(videos.root)}

    @pytest.fixture
    def requests(self, tmp_path, videos):
        return [_request(tmp_path, prompt_id) for prompt_id in videos.prompt_ids[:2]]

    @pytest.fixture
    def failing_request(self, tmp_path):
        return _request(tmp_path, "no-such-prompt")


class TestDiffusersContract(AdapterContract):
    name = "diffusers"
    pixel_options = {"steps": 3, "guidance": 2.0, "frames": 9, "height": 32, "fps": 8, "flow_shift": 2.0,
                     "negative_prompt": "blurry", "dtype": "bfloat16", "max_sequence_length": 8,
                     "multishot": "per_shot"}  # fmt: skip
    neutral_options = {"batch_size": 2, "device": "cpu", "model_name": "another-name"}
    # frame and size rules: test_models_diffusers
    bad_arguments = {"offload": "gpu", "steps": 0, "dtype": "fp8", "multishot": "some"}

    @pytest.fixture(scope="class")
    def pipeline(self, tmp_path_factory):
        pytest.importorskip("diffusers")
        from scine_eval.tiny_pipelines import make_tiny_pipeline

        return make_tiny_pipeline("wan2.1", tmp_path_factory.mktemp("tiny-wan"))

    @pytest.fixture
    def base_args(self, pipeline):
        return {"pretrained": str(pipeline), "height": 16, "width": 16, "frames": 5, "frame_step": 4, "frame_offset": 1,
                "size_multiple": 16, "steps": 2, "dtype": "float32", "max_sequence_length": 16}  # fmt: skip

    @pytest.fixture
    def requests(self, tmp_path):
        return [_request(tmp_path, "a"), _request(tmp_path, "b", seed=1)]

    @pytest.fixture
    def failing_request(self, tmp_path):
        (tmp_path / "a-file").write_text("")
        return _request(tmp_path, "c", output=tmp_path / "a-file" / "c-0.mp4")


class TestLaVieContract(AdapterContract):
    name = "lavie"
    pixel_options = {"steps": 3, "guidance": 2.0, "frames": 8, "height": 32, "fps": 4, "stages": "base+vsr",
                     "sampler": "ddim", "negative_prompt": "blurry", "dtype": "bfloat16"}  # fmt: skip
    neutral_options = {"batch_size": 2, "device": "cpu", "model_name": "another-name"}
    bad_arguments = {"stages": "foo", "steps": 0, "dtype": "fp8", "sampler": "plms"}  # files, frames: test_models_lavie

    @pytest.fixture(scope="class")
    def pipeline(self, tmp_path_factory):
        pytest.importorskip("diffusers")
        from scine_eval.tiny_pipelines.lavie import make_tiny_lavie

        return make_tiny_lavie(tmp_path_factory.mktemp("tiny-lavie"))

    @pytest.fixture
    def base_args(self, pipeline):
        return {"pretrained": str(pipeline), "height": 16, "width": 16, "frames": 4, "steps": 2, "dtype": "float32"}

    @pytest.fixture
    def requests(self, tmp_path):
        return [_request(tmp_path, "a"), _request(tmp_path, "b", seed=1)]

    @pytest.fixture
    def failing_request(self, tmp_path):
        (tmp_path / "a-file").write_text("")
        return _request(tmp_path, "c", output=tmp_path / "a-file" / "c-0.mp4")


# -- judges -----------------------------------------------------------------------------------------------------


class TestProbeContract(JudgeContract):
    name = "probe"
    score_options = {"fps": 6.0, "max_frames": 10, "max_pixels": 48 * 48}
    bad_arguments = {"fps": -1, "max_frames": 1, "max_pixels": "big"}

    @pytest.fixture
    def base_args(self):
        return {"fps": 8.0}

    @pytest.fixture
    def items(self, tmp_path, taxonomy):
        base = Stimulus(duration=1.5, fps=8, size=64)
        asked = [("camera.trajectory.movement_2d", "pan left"), ("lighting.color_temperature", "warm")]
        out = []
        for k, controls in enumerate([(asked[0],), (asked[1],)]):
            path = write_clip(tmp_path / f"clip{k}.mp4", resolve_controls(controls, base).stimulus, world=k)
            prompt = Prompt(id=f"p{k}", suite="visuals", text="A street.")
            for leaf, value in asked:
                question = Question(id=f"p{k}:{leaf}", prompt_id=prompt.id, node_id=leaf, value=value,
                                    text=taxonomy[leaf].question_for(value))  # fmt: skip
                out.append(JudgeItem(path, sha256_file(path), 0, prompt, question, taxonomy[leaf], "scine-1-5"))
        return out

    @pytest.fixture
    def failing_item(self, tmp_path, items):
        return _with_video(items[0], _broken_video(tmp_path))


class TestHumanContract(JudgeContract):
    name = "human"
    score_options = {"min_raters": 3}
    bad_arguments = {"min_raters": 0}

    @pytest.fixture
    def base_args(self, videos):
        return {"annotations": str(videos.annotations)}

    @pytest.fixture
    def items(self, videos, suite, taxonomy):
        return _suite_items(videos, suite, taxonomy)

    @pytest.fixture
    def failing_item(self, videos, suite, taxonomy):
        return _suite_items(videos, suite, taxonomy, n_videos=1, per_video=1, seed=99)[0]  # nobody rated seed 99


class _ReadsSuiteVideos:
    """Items: questions of the starter suite about the tiny test videos; the failing one's video is not a video."""

    @pytest.fixture
    def items(self, videos, suite, taxonomy):
        return _suite_items(videos, suite, taxonomy)

    @pytest.fixture
    def failing_item(self, tmp_path, items):
        return _with_video(items[0], _broken_video(tmp_path))


class TestQwenVLContract(_ReadsSuiteVideos, JudgeContract):
    name = "qwen2.5-vl"
    score_options = {"fps": 1.0, "max_pixels": 28 * 28 * 8, "max_frames": 2, "dtype": "bfloat16", "rationale": True}
    neutral_options = {"mode": "sequential", "suffix_batch": 1, "videos_per_batch": 1, "device": "cpu"}
    bad_arguments = {"mode": "fast", "fps": -1, "load_in": "3bit", "suffix_batch": 0}

    @pytest.fixture
    def base_args(self, tiny_qwen):
        return {"pretrained": str(tiny_qwen)}


class TestBTContract(_ReadsSuiteVideos, JudgeContract):
    name = "bt"
    score_options = {"dtype": "bfloat16"}
    neutral_options = {"mode": "independent", "suffix_batch": 1, "device": "cpu"}
    bad_arguments = {"mode": "fast", "videos_per_batch": 0, "load_in": "3bit"}

    @pytest.fixture
    def base_args(self, bt_trained):
        return {"pretrained": str(bt_trained[0])}


def _is_builtin(registry, name: str) -> bool:
    try:
        return registry.get(name).__module__.startswith("scine_eval.")
    except RegistrationError:  # a plugin entry point another test left behind, whose package is gone
        return False


def test_every_registered_adapter_and_judge_has_a_contract_test():
    """A new adapter or judge is not done until it is held to the contract here."""
    for registry, contract in ((model_registry, AdapterContract), (judge_registry, JudgeContract)):
        tested = {cls.name for cls in contract.__subclasses__()}
        # Built-ins only: other tests register plugins and one-off classes in the same registries.
        builtins = {name for name in registry.names() if _is_builtin(registry, name)}
        assert builtins and builtins <= tested, sorted(builtins - tested)
