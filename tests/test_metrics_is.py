"""Inception Score: the formula against scipy, its bounds, and the ``is`` metric with a tiny random VideoMAE."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import json  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.stats import entropy  # noqa: E402

from scine_eval.components import resolve  # noqa: E402
from scine_eval.contracts.metric import MetricVideo, metric_registry  # noqa: E402
from scine_eval.errors import ConfigError  # noqa: E402
from scine_eval.metrics.inception_score import InceptionScore, clip_frames, inception_score  # noqa: E402
from scine_eval.video import decode, write_video  # noqa: E402

CLASSES = 5
CLIP_FRAMES = 4


def reference_is(probs: np.ndarray, chunks: list[slice]) -> tuple[float, float]:
    """The IS of each chunk (exp of the mean KL(p(y|x) || p(y)), with scipy's ``entropy(p, q)``): mean, std."""
    scores = []
    for chunk in chunks:
        part = probs[chunk]
        marginal = part.mean(axis=0)
        scores.append(np.exp(np.mean([entropy(row, marginal) for row in part])))
    return float(np.mean(scores)), float(np.std(scores))


def test_matches_scipy_entropy_with_one_and_several_splits():
    probs = np.random.default_rng(0).dirichlet(np.full(7, 0.3), size=23)
    assert inception_score(probs, splits=1) == pytest.approx(reference_is(probs, [slice(0, 23)]), rel=1e-10)
    # numpy.array_split of 23 rows into 4: chunks of 6, 6, 6, 5, in order.
    chunks = [slice(0, 6), slice(6, 12), slice(12, 18), slice(18, 23)]
    assert inception_score(probs, splits=4) == pytest.approx(reference_is(probs, chunks), rel=1e-10)


def test_bounds_uniform_is_one_and_confident_distinct_is_the_number_of_classes():
    assert inception_score(np.full((12, 6), 1 / 6), splits=1) == pytest.approx((1.0, 0.0))
    confident = np.eye(6)[np.arange(18) % 6]  # every class equally often, each video certain: KL = log 6
    assert inception_score(confident, splits=1)[0] == pytest.approx(6.0)
    assert inception_score(np.eye(6)[np.zeros(10, int)], splits=1)[0] == pytest.approx(1.0)  # all the same class


def test_refuses_rows_that_are_not_distributions_and_bad_splits():
    with pytest.raises(ValueError, match="sum to 1"):
        inception_score(np.full((3, 4), 0.3))
    with pytest.raises(ValueError, match="splits"):
        inception_score(np.full((3, 4), 0.25), splits=4)


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory, videos) -> str:
    """A random VideoMAE video classifier (4 frames of 32x32, 5 classes) with its video processor, saved.

    A random head gives every video nearly the same prediction (IS ~ 1, which would hide a mix-up of videos), so
    each class's weights are set to the centred features of one of the test videos: the classes then differ.
    """
    import torch
    from transformers import VideoMAEConfig, VideoMAEForVideoClassification
    from transformers.models.videomae import VideoMAEVideoProcessor

    folder = tmp_path_factory.mktemp("tiny-videomae")
    config = VideoMAEConfig(
        image_size=32, patch_size=8, num_frames=CLIP_FRAMES, tubelet_size=2, hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=32, num_labels=CLASSES,
        id2label={i: f"class{i}" for i in range(CLASSES)}, label2id={f"class{i}": i for i in range(CLASSES)},
    )  # fmt: skip
    torch.manual_seed(0)
    model = VideoMAEForVideoClassification(config).eval()
    processor = VideoMAEVideoProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    seen: list = []
    hook = model.classifier.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    clips = [clip_frames(v.path, CLIP_FRAMES) for v in videos[1 : CLASSES + 1]]
    with torch.no_grad():
        model(**processor(videos=clips, return_tensors="pt"))
        features = seen[0] - seen[0].mean(0)
        model.classifier.weight.copy_(4.0 * features / features.norm(dim=1, keepdim=True))
        model.classifier.bias.zero_()
    hook.remove()
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> list[MetricVideo]:
    folder = tmp_path_factory.mktemp("is-videos")
    rng = np.random.default_rng(0)
    out = []
    for i in range(7):
        frames = 3 if i == 0 else 9  # the first is shorter than a clip: its frames repeat
        # a colour of its own plus texture, so the classifier sees videos that differ
        colour = rng.integers(0, 256, 3)
        video = np.clip(colour + rng.normal(0, 25, (frames, 32, 40, 3)), 0, 255).astype(np.uint8)
        out.append(MetricVideo(write_video(folder / f"v{i}.mp4", video, fps=8), f"p{i}", 0, f"prompt {i}"))
    broken = folder / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    out.append(MetricVideo(broken, "broken", 0, "broken"))
    return out


def independent_probabilities(classifier: str, paths: list) -> np.ndarray:
    """Softmax of the classifier on uniformly sampled frames, computed without the metric's code."""
    import torch
    from transformers import AutoModelForVideoClassification, AutoVideoProcessor

    model = AutoModelForVideoClassification.from_pretrained(classifier).eval()
    processor = AutoVideoProcessor.from_pretrained(classifier)
    clips = []
    for path in paths:
        frames = decode(path, fps=None).frames
        # frames spread over the whole video, first and last kept; a short video repeats its nearest frames
        index = np.floor(np.linspace(0, len(frames) - 1, CLIP_FRAMES) + 0.5).astype(int)
        clips.append(frames[index])
    with torch.no_grad():
        logits = model(**processor(videos=clips, return_tensors="pt")).logits
    return torch.softmax(logits.double(), dim=-1).numpy()


def test_metric_equals_an_independent_computation(tiny_classifier, videos):
    metric = InceptionScore(classifier=tiny_classifier, splits=2, batch_size=3)
    result = metric.compute(videos)
    probs = independent_probabilities(tiny_classifier, [v.path for v in videos[:-1]])
    expected_mean, expected_std = reference_is(probs, [slice(0, 4), slice(4, 7)])
    assert result.value == pytest.approx(expected_mean, rel=1e-5)
    assert result.details["std"] == pytest.approx(expected_std, rel=1e-4, abs=1e-6)
    assert result.value > 1.2  # the classifier does discriminate: the check is not of a constant
    assert result.n_videos == 7 and result.details["frames"] == CLIP_FRAMES and result.details["classes"] == CLASSES
    assert [s["prompt_id"] for s in result.details["skipped"]] == ["broken"]
    json.dumps(result.details)  # the contract: details are JSON-able
    tops = [row["top_class"] for row in result.details["per_video"]]
    assert tops == [f"class{k}" for k in probs.argmax(1)]


def test_splits_are_capped_by_the_number_of_videos(tiny_classifier, videos):
    result = InceptionScore(classifier=tiny_classifier, splits=10).compute(videos[:3])
    assert result.details["splits"] == 3


def test_short_videos_repeat_frames_to_fill_a_clip(videos):
    clip = clip_frames(videos[0].path, CLIP_FRAMES)
    native = decode(videos[0].path, fps=None).frames
    assert clip.shape[0] == CLIP_FRAMES
    np.testing.assert_array_equal(clip, native[[0, 1, 1, 2]])


def test_abstains_without_a_classifier(videos):
    result = InceptionScore().compute(videos)
    assert result.value is None and "classifier=" in result.reason


def test_a_bad_classifier_is_a_config_error_naming_it(tmp_path, videos):
    with pytest.raises(ConfigError, match="classifier="):
        InceptionScore(classifier=str(tmp_path / "nothing-here")).compute(videos)
    with pytest.raises(ConfigError, match="splits=0"):
        resolve(metric_registry, "is", "splits=0")
    assert resolve(metric_registry, "is", "classifier=x,frames=8").kwargs == {"classifier": "x", "frames": 8}
