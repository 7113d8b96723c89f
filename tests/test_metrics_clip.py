"""CLIPSIM and VSA with a tiny random CLIP saved to disk, against independent computations; VSA's maths exactly."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import json  # noqa: E402
import math  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from scine_eval.components import resolve  # noqa: E402
from scine_eval.contracts.metric import MetricVideo, metric_registry  # noqa: E402
from scine_eval.errors import ConfigError  # noqa: E402
from scine_eval.metrics.clip_backbone import ClipBackbone, unit_rows  # noqa: E402
from scine_eval.metrics.clipsim import ClipSim  # noqa: E402
from scine_eval.metrics.vsa import VSA, derangement, frames_by_shot, shuffled_vsa, vsa_of_segments  # noqa: E402
from scine_eval.video import decode, write_video  # noqa: E402
from tests.helpers import tiny_clip as build_tiny_clip  # noqa: E402

FPS = 8
SHOT_FRAMES = 8  # three shots of one second each
COLOURS = {"a red room": (210, 40, 40), "a green field": (40, 190, 70), "a blue sea": (40, 70, 220)}
SHOT_TEXTS = list(COLOURS)


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory) -> str:
    """A random CLIP (32x32 images, 8-d projections) with the hand-written CLIP tokenizer, saved as a checkpoint."""
    model, processor = build_tiny_clip(width=16, projection=8)
    folder = tmp_path_factory.mktemp("tiny-clip")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return str(folder)


def cosines(folder: str, frames: np.ndarray, texts: list[str]) -> np.ndarray:
    """``(frames, texts)`` cosines through CLIPModel's forward (logits / logit scale), not the metric's code path."""
    from transformers import CLIPModel, CLIPProcessor

    model, processor = CLIPModel.from_pretrained(folder).eval(), CLIPProcessor.from_pretrained(folder)
    inputs = processor(text=texts, images=list(frames), return_tensors="pt", padding=True)
    with torch.no_grad():
        out = model(**inputs)
        return (out.logits_per_image / model.logit_scale.exp()).double().numpy()


def uniform(n: int, k: int) -> np.ndarray:
    """``k`` positions spread over ``n`` frames, first and last kept, halves rounded up."""
    return np.floor(np.linspace(0, n - 1, k) + 0.5).astype(int) if n > k else np.arange(n)


# -- CLIPSIM ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prompt_videos(tmp_path_factory) -> list[MetricVideo]:
    folder = tmp_path_factory.mktemp("clipsim-videos")
    rng = np.random.default_rng(0)
    videos = []
    for i, (prompt, frames) in enumerate((("a red room with a lamp", 10), ("the sea", 5), ("green grass", 12))):
        clip = np.clip(rng.uniform(20, 230, 3) + rng.normal(0, 30, (frames, 32, 48, 3)), 0, 255).astype(np.uint8)
        videos.append(MetricVideo(write_video(folder / f"v{i}.mp4", clip, fps=FPS), f"p{i}", i, prompt))
    broken = folder / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom cut short")
    return [*videos, MetricVideo(broken, "broken", 0, "nothing")]


def test_clipsim_equals_an_independent_computation(tiny_clip, prompt_videos):
    result = ClipSim(clip=tiny_clip, frames=6, batch_size=4).compute(prompt_videos)
    expected = []
    for video in prompt_videos[:-1]:
        frames = decode(video.path, fps=None).frames
        expected.append(cosines(tiny_clip, frames[uniform(len(frames), 6)], [video.text])[:, 0].mean())
    per_video = result.details["per_video"]
    np.testing.assert_allclose([row["value"] for row in per_video], expected, rtol=0, atol=1e-5)
    assert [row["frames"] for row in per_video] == [6, 5, 6]  # the 5-frame video is scored on all its frames
    assert result.value == pytest.approx(np.mean(expected), abs=1e-5)
    assert len(set(np.round(expected, 6))) == 3  # the videos do get different values
    assert result.n_videos == 3 and [s["prompt_id"] for s in result.details["skipped"]] == ["broken"]
    json.dumps(result.details)  # the contract: details are JSON-able


def test_bad_clip_options_are_config_errors(tmp_path, prompt_videos):
    with pytest.raises(ConfigError, match="clip="):
        ClipSim(clip=str(tmp_path / "no-such-model")).compute(prompt_videos)
    with pytest.raises(ConfigError, match="frames=0"):
        resolve(metric_registry, "clipsim", "frames=0")
    with pytest.raises(ConfigError, match="timing='sometimes'"):
        resolve(metric_registry, "vsa", "timing=sometimes")
    assert resolve(metric_registry, "vsa", "fps=none").kwargs == {"fps": None}


# -- VSA: the maths ---------------------------------------------------------------------------------


def test_vsa_of_segments_on_constructed_embeddings():
    e = np.eye(3)
    per_shot = [np.stack([e[0], (e[0] + e[1]) / math.sqrt(2)]), e[1:2], np.zeros((0, 3))]
    # aligned: cos = 1 and 1/sqrt(2) (shot 0), 1 (shot 1); shot 2 has no frame
    assert vsa_of_segments(per_shot, e) == pytest.approx((1 + 1 / math.sqrt(2) + 1) / 3)
    # shuffled (shot k against text k + 1): 0 and 1/sqrt(2) against e1, 0 for e1 against e2
    assert shuffled_vsa(per_shot, e) == pytest.approx((0 + 1 / math.sqrt(2) + 0) / 3)
    assert vsa_of_segments([5 * shot for shot in per_shot], 3 * e) == pytest.approx(vsa_of_segments(per_shot, e))


def test_vsa_weighs_frames_not_shots_and_aligned_beats_shuffled():
    e = np.eye(2)
    per_shot = [np.tile(e[0], (3, 1)), np.array([[1.0, 1.0]])]  # 3 frames of exact match, 1 at 45 degrees
    assert vsa_of_segments(per_shot, e) == pytest.approx((3 + 1 / math.sqrt(2)) / 4)  # not (1 + 0.707) / 2
    rng = np.random.default_rng(0)
    texts = rng.normal(size=(4, 16))
    frames = [texts[k] + 0.5 * rng.normal(size=(5, 16)) for k in range(4)]  # each shot near its own text
    assert vsa_of_segments(frames, texts) > shuffled_vsa(frames, texts) + 0.3
    assert shuffled_vsa(frames[:1], texts[:1]) is None
    with pytest.raises(ValueError, match="no shot has a frame"):
        vsa_of_segments([np.zeros((0, 16))], texts[:1])
    with pytest.raises(ValueError, match="2 shots"):
        vsa_of_segments(frames[:2], texts)


def test_the_control_permutation_leaves_no_shot_its_own_text():
    for k in range(2, 9):
        permutation = derangement(k)
        assert sorted(permutation) == list(range(k)) and all(permutation[i] != i for i in range(k))


def test_frames_are_assigned_to_the_interval_holding_their_time():
    groups = frames_by_shot([0.0, 0.5, 1.0, 1.5, 2.9, 3.0], [(0.0, 1.0), (1.0, 3.0)])
    assert groups == [[0, 1], [2, 3, 4]]  # 3.0 is past the end
    assert frames_by_shot([0.5], [(1.0, 2.0)]) == [[]]


# -- VSA: end to end --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def script_video(tmp_path_factory) -> Path:
    """Three one-second solid-colour shots (red, green, blue) at 8 fps, 32x32."""
    frames = np.concatenate([np.full((SHOT_FRAMES, 32, 32, 3), c, np.uint8) for c in COLOURS.values()])
    return write_video(tmp_path_factory.mktemp("vsa") / "script.mp4", frames, fps=FPS)


def shots(times: list[tuple[float, float]], texts: list[str] = SHOT_TEXTS) -> tuple[tuple[str, float, float], ...]:
    return tuple((text, start, end) for text, (start, end) in zip(texts, times, strict=True))


ONE_SECOND_SHOTS = [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]


def independent_vsa(folder: str, path: Path, texts: list[str]) -> tuple[float, float]:
    """Frames at 4 fps (every 2nd native frame: times k / 4), each in the shot of floor(time), cosines by forward."""
    frames = decode(path, fps=None).frames[::2]
    shot = np.floor(np.arange(len(frames)) / 4).astype(int)
    c = cosines(folder, frames, texts)
    aligned = np.mean([c[i, shot[i]] for i in range(len(frames))])
    shuffled = np.mean([c[i, (shot[i] + 1) % 3] for i in range(len(frames))])
    return float(aligned), float(shuffled)


def test_vsa_equals_an_independent_computation(tiny_clip, script_video):
    video = MetricVideo(script_video, "script", 0, "three shots", shots(ONE_SECOND_SHOTS))
    result = VSA(clip=tiny_clip, fps=4, timing="script").compute([video])
    aligned, shuffled = independent_vsa(tiny_clip, script_video, SHOT_TEXTS)
    assert result.value == pytest.approx(aligned, abs=1e-5)
    assert result.details["shuffled"] == pytest.approx(shuffled, abs=1e-5)
    assert result.details["gap"] == pytest.approx(aligned - shuffled, abs=1e-5)
    row = result.details["per_video"][0]
    assert (row["frames"], row["shots"], row["shots_without_frames"], row["timing"]) == (12, 3, 0, "script")


def test_scaled_and_detected_timings_recover_the_same_intervals(tiny_clip, script_video):
    metric = VSA(clip=tiny_clip, fps=4)  # timing=scaled
    reference = metric.compute([MetricVideo(script_video, "s", 0, "", shots(ONE_SECOND_SHOTS))]).value
    doubled = shots([(0.0, 2.0), (2.0, 4.0), (4.0, 6.0)])  # a 6 s script rendered as a 3 s video
    assert metric.compute([MetricVideo(script_video, "s", 0, "", doubled)]).value == pytest.approx(reference, abs=1e-9)
    as_given = VSA(clip=tiny_clip, fps=4, timing="script").compute([MetricVideo(script_video, "s", 0, "", doubled)])
    assert as_given.value != pytest.approx(reference, abs=1e-6)  # unscaled, frames land in the wrong shots
    no_times = shots([(0.0, 0.0)] * 3)  # no usable time codes: cuts are detected in the video
    detected = metric.compute([MetricVideo(script_video, "s", 0, "", no_times)])
    assert detected.value == pytest.approx(reference, abs=1e-9)
    assert detected.details["per_video"][0]["timing"] == "detect"


def test_a_video_without_shots_is_one_shot_with_the_prompt(tiny_clip, script_video, tmp_path):
    single = MetricVideo(script_video, "single", 0, "a red room")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"RIFF....AVI junk")
    result = VSA(clip=tiny_clip, fps=4).compute([single, MetricVideo(broken, "broken", 0, "x")])
    frames = decode(script_video, fps=None).frames[::2]
    assert result.value == pytest.approx(cosines(tiny_clip, frames, ["a red room"])[:, 0].mean(), abs=1e-5)
    assert result.details["per_video"][0]["shuffled"] is None and result.details["n_multi_shot"] == 0
    assert result.details["gap"] is None
    assert [s["prompt_id"] for s in result.details["skipped"]] == ["broken"]
    json.dumps(result.details)


class ColourTexts:
    """The tiny CLIP for frames; for a shot text, the mean image embedding of reference images of its colour.

    A random CLIP does not align words with colours, so this stands in for a trained one: it makes each text
    embedding "look like" its shot, with reference images that are not the video's frames (another size and shade).
    """

    def __init__(self, backbone: ClipBackbone):
        self.backbone = backbone
        rng = np.random.default_rng(0)
        self.texts = {}
        for text, colour in COLOURS.items():
            references = np.clip(np.array(colour) + rng.normal(0, 12, (4, 40, 40, 3)), 0, 255).astype(np.uint8)
            self.texts[text] = backbone.embed_images(references).mean(0)

    def embed_images(self, frames):
        return self.backbone.embed_images(frames)

    def embed_texts(self, texts):
        return unit_rows(np.stack([self.texts[text] for text in texts]))


def test_the_shuffled_control_scores_lower_when_the_shots_match_the_script(tiny_clip, script_video, monkeypatch):
    metric = VSA(clip=tiny_clip, fps=4)
    stand_in = ColourTexts(metric.backbone())
    monkeypatch.setattr(metric, "backbone", lambda: stand_in)
    in_order = MetricVideo(script_video, "in-order", 0, "", shots(ONE_SECOND_SHOTS))
    result = metric.compute([in_order])
    assert result.value > result.details["shuffled"] and result.details["gap"] > 0
    # A script whose shots come in another order than the video's (blue, red, green for red, green, blue):
    # rotating the texts by one happens to restore the order, so the control beats the script and the gap flips.
    rotated = MetricVideo(script_video, "rotated", 0, "", shots(ONE_SECOND_SHOTS, [SHOT_TEXTS[i] for i in (2, 0, 1)]))
    flipped = metric.compute([rotated])
    assert flipped.details["gap"] < 0
    assert flipped.details["shuffled"] == pytest.approx(result.value, abs=1e-9)


# -- in a run ---------------------------------------------------------------------------------------


def test_a_run_records_its_metrics_beside_the_scores(tiny_clip, tmp_path):
    from scine_eval import evaluate
    from scine_eval.record import load_record

    output = evaluate(model_args="duration=2.0,fps=8,size=64", tasks=["camera.trajectory.movement_2d"],
                      metrics=[f"clipsim:clip={tiny_clip},frames=4", "vsa:clip=" + tiny_clip],
                      bootstrap_iters=20, output_path=str(tmp_path / "out"),
                      cache_dir=str(tmp_path / "cache"))  # fmt: skip
    record = load_record(output.files["results"])
    assert set(record.metrics) == {f"clipsim:clip={tiny_clip},frames=4", f"vsa:clip={tiny_clip}"}
    entry = record.metrics[f"clipsim:clip={tiny_clip},frames=4"]
    assert entry.metric == "clipsim" and entry.higher_is_better and entry.n_videos == record.videos.usable
    rows = {(r["prompt_id"], r["seed"]): r for rows in output.samples.values() for r in rows}
    videos = [MetricVideo(Path(rows[(r["prompt_id"], r["seed"])]["video"]), r["prompt_id"], r["seed"],
                          rows[(r["prompt_id"], r["seed"])]["prompt"]) for r in entry.details["per_video"]]  # fmt: skip
    direct = resolve(metric_registry, "clipsim", f"clip={tiny_clip},frames=4").build().compute(videos)
    assert entry.value == pytest.approx(direct.value, abs=1e-6)  # the run's value is the metric's own
    assert record.results["camera.trajectory.movement_2d"]["score,probe"] is not None  # scores unaffected


def test_bad_metric_options_stop_a_run_before_any_work(tmp_path):
    from scine_eval import evaluate
    from scine_eval.errors import UnknownNameError

    for spec, message in (("fvd", "detector"), ("nosuch", "unknown metric"), ("clipsim:frames=0", "frames")):
        with pytest.raises((ConfigError, UnknownNameError), match=message):
            evaluate(tasks=["camera.trajectory.movement_2d"], metrics=[spec], output_path=str(tmp_path / "o"),
                     cache_dir=str(tmp_path / "c"))  # fmt: skip
        assert not (tmp_path / "c" / "videos").exists()
