"""FVD: the I3D network and its safe loading, preprocessing, and the metric against an independent computation."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import json  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.linalg  # noqa: E402
import torch  # noqa: E402

from scine_eval.components import resolve  # noqa: E402
from scine_eval.contracts.metric import MetricVideo, metric_registry  # noqa: E402
from scine_eval.errors import ConfigError  # noqa: E402
from scine_eval.fingerprint import fingerprint  # noqa: E402
from scine_eval.metrics import i3d  # noqa: E402
from scine_eval.metrics.fvd import FVD, preprocess  # noqa: E402
from scine_eval.metrics.i3d import I3DConfig, build_i3d, load_i3d, same_padding  # noqa: E402
from scine_eval.video import decode, write_video  # noqa: E402

FEATURES = 8  # a tiny detector with 8 "classes", so 16 videos give full-rank covariances scipy can take
N_VIDEOS = 16
SIZE = 16  # frames the tiny detector sees: 16x16, 8 frames (the protocol's 224 and 16 are defaults, not limits)
FRAMES = 8


# -- the network ------------------------------------------------------------------------------------


def test_same_padding_is_tensorflows_rule():
    for size in range(1, 20):
        for kernel in (1, 2, 3, 7):
            for stride in (1, 2):
                before, after = same_padding(size, kernel, stride)
                out = math.ceil(size / stride)  # TF SAME: output size, then the padding that window needs
                total = max((out - 1) * stride + kernel - size, 0)
                assert (before, after) == (total // 2, total - total // 2)


def test_the_released_i3d_pretrained_400_layout_loads_strictly(tmp_path):
    """Keys and shapes of TATS' converted TF-Hub file (which has no num_batches_tracked entries)."""
    network = build_i3d(seed=0)
    state = {k: v for k, v in network.state_dict().items() if not k.endswith("num_batches_tracked")}
    expected = {
        "Conv3d_1a_7x7.conv3d.weight": (64, 3, 7, 7, 7),
        "Conv3d_1a_7x7.bn.running_var": (64,),
        "Conv3d_2b_1x1.conv3d.weight": (64, 64, 1, 1, 1),
        "Conv3d_2c_3x3.conv3d.weight": (192, 64, 3, 3, 3),
        "Mixed_3b.b0.conv3d.weight": (64, 192, 1, 1, 1),
        "Mixed_3b.b1b.conv3d.weight": (128, 96, 3, 3, 3),
        "Mixed_3b.b3b.conv3d.weight": (32, 192, 1, 1, 1),
        "Mixed_4b.b0.conv3d.weight": (192, 480, 1, 1, 1),
        "Mixed_5b.b2a.bn.bias": (32,),
        "Mixed_5c.b1b.conv3d.weight": (384, 192, 3, 3, 3),
        "logits.conv3d.weight": (400, 1024, 1, 1, 1),
        "logits.conv3d.bias": (400,),
    }
    assert {k: tuple(state[k].shape) for k in expected} == expected
    assert not any("MaxPool" in k or "b3a" in k or k.endswith("conv3d.bias") and "logits" not in k for k in state)
    # 3 stem units + 9 blocks x 6 units, each a conv3d.weight and 4 batch-norm tensors; then logits weight + bias
    assert len(state) == (3 + 9 * 6) * 5 + 2
    torch.save(state, tmp_path / "i3d_pretrained_400.pt")
    loaded = load_i3d(tmp_path / "i3d_pretrained_400.pt")
    assert loaded.config == I3DConfig.standard() and isinstance(loaded, i3d.InceptionI3d)
    for key, value in loaded.state_dict().items():
        if key in state:
            assert torch.equal(value, state[key]), key
    with torch.no_grad():
        assert loaded(torch.zeros(1, 3, 16, 32, 32)).shape == (1, 400)


@pytest.fixture(scope="module")
def detector(tmp_path_factory) -> dict[str, Path]:
    """A tiny random I3D saved both ways a user may have it."""
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("detector")
    network = build_i3d(I3DConfig.scaled(1 / 16, num_classes=FEATURES), seed=0)
    state = {k: v.contiguous() for k, v in network.state_dict().items()}
    save_file(state, folder / "tiny-i3d.safetensors")
    torch.save(state, folder / "tiny-i3d.pt")
    return {"safetensors": folder / "tiny-i3d.safetensors", "pt": folder / "tiny-i3d.pt"}


def test_tiny_detector_loads_from_safetensors_and_pt_alike(detector):
    a, b = load_i3d(detector["safetensors"]), load_i3d(detector["pt"])
    assert a.config == b.config == I3DConfig.scaled(1 / 16, num_classes=FEATURES)
    clip = torch.rand(2, 3, FRAMES, SIZE, SIZE) * 2 - 1
    with torch.no_grad():
        out = a(clip)
        torch.testing.assert_close(out, b(clip), rtol=0, atol=0)
    assert out.shape == (2, FEATURES) and out.std() > 0


class _Payload:
    """Pickles as a call of ``Path.touch``: loading the pickle with full unpickling would create ``marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_pickle_that_runs_code_is_refused(tmp_path, detector):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    state = torch.load(detector["pt"], weights_only=True)
    state["Conv3d_1a_7x7.extra"] = _Payload(marker)
    torch.save(state, evil)
    with pytest.raises(ConfigError, match="weights_only"):
        load_i3d(evil)
    assert not marker.exists()
    torch.load(evil, weights_only=False)  # what the refusal prevents: the payload runs
    assert marker.exists()


def test_files_that_are_not_i3d_state_dicts_are_refused(tmp_path, detector):
    (tmp_path / "weights.ckpt").write_bytes(b"x")
    with pytest.raises(ConfigError, match="valid: .safetensors, .pt"):
        load_i3d(tmp_path / "weights.ckpt")
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(ConfigError, match="no flat state dict"):
        load_i3d(tmp_path / "list.pt")
    state = torch.load(detector["pt"], weights_only=True)
    del state["Mixed_4c.b2b.conv3d.weight"]
    torch.save(state, tmp_path / "partial.pt")
    with pytest.raises(ConfigError, match="Mixed_4c.b2b.conv3d.weight"):
        load_i3d(tmp_path / "partial.pt")
    with pytest.raises(ConfigError, match="no such file"):
        load_i3d(tmp_path / "missing.pt")
    (tmp_path / "bad.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ConfigError, match="not a readable .safetensors"):
        load_i3d(tmp_path / "bad.safetensors")


# -- preprocessing ----------------------------------------------------------------------------------


def test_preprocess_takes_the_centre_square_resizes_and_scales():
    frames = np.zeros((2, 40, 60, 3), np.uint8)
    frames[:, :, 10:50] = 255  # a white 40x40 centre between black side bands
    x = preprocess(frames, size=20)
    assert x.shape == (3, 2, 20, 20) and x.dtype == torch.float32
    torch.testing.assert_close(x, torch.ones_like(x))  # only the white square is left, scaled to +1
    frames[:, 15:25, 25:35] = 0  # a black 10x10 centre: crop=0.25 keeps exactly it
    torch.testing.assert_close(preprocess(frames, size=4, crop=0.25), -torch.ones(3, 2, 4, 4))
    grey = np.full((1, 8, 8, 3), 51, np.uint8)
    torch.testing.assert_close(preprocess(grey, size=8), torch.full((3, 1, 8, 8), 2 * 51 / 255 - 1))
    # Halving with bilinear, align_corners=False and no antialiasing (TATS) samples between pixels: 2x2 block means.
    texture = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    blocks = texture.astype(np.float64).reshape(3, 4, 2, 4, 2, 3).mean(axis=(2, 4))
    expected = torch.from_numpy(2 * blocks / 255 - 1).permute(3, 0, 1, 2).float()
    torch.testing.assert_close(preprocess(texture, size=4), expected, atol=1e-5, rtol=0)


# -- the metric -------------------------------------------------------------------------------------


def _clips(seed: int, n: int, frames: int = FRAMES + 3) -> list[np.ndarray]:
    """Videos with a colour of their own, a moving bright square and texture; more frames than FVD reads."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        video = np.empty((frames, SIZE, SIZE, 3), np.float64)
        video[:] = rng.uniform(30, 220, 3)
        x0, y0, speed = rng.integers(0, 10), rng.integers(0, 10), rng.integers(-1, 2)
        for t in range(frames):
            x = int(np.clip(x0 + speed * t, 0, SIZE - 6))
            video[t, y0 : y0 + 6, x : x + 6] = 250
        out.append(video + rng.normal(0, 8, video.shape))
    return out


def _write_set(folder: Path, clips: list[np.ndarray], noise: float = 0.0, seed: int = 99) -> list[MetricVideo]:
    rng = np.random.default_rng(seed)
    videos = []
    for i, clip in enumerate(clips):
        frames = np.clip(clip + rng.normal(0, noise, clip.shape), 0, 255).astype(np.uint8) if noise else clip
        path = write_video(folder / f"{i:02d}.mp4", np.clip(frames, 0, 255).astype(np.uint8), fps=8)
        videos.append(MetricVideo(path, f"p{i}", 0, f"prompt {i}"))
    return videos


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, list[MetricVideo]]:
    base = _clips(0, N_VIDEOS)
    root = tmp_path_factory.mktemp("fvd-sets")
    return {
        "reference": _write_set(root / "reference", base),
        "noise-10": _write_set(root / "noise-10", base, noise=10),
        "noise-40": _write_set(root / "noise-40", base, noise=40),
        "noise-80": _write_set(root / "noise-80", base, noise=80),
    }


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One statistics cache for the module, so the reference folder is read once per detector."""
    return tmp_path_factory.mktemp("fvd-cache")


def _metric(detector: Path, reference: Path, cache_dir: Path, **options) -> FVD:
    options = {"frames": FRAMES, "size": SIZE, **options}
    return FVD(detector=str(detector), reference=str(reference), cache_dir=str(cache_dir), **options)


def _folder(videos: list[MetricVideo]) -> Path:
    return videos[0].path.parent


def test_a_set_against_itself_is_zero(detector, sets, cache):
    reference = sets["reference"]
    result = _metric(detector["safetensors"], _folder(reference), cache).compute(reference)
    assert result.value == pytest.approx(0.0, abs=1e-6)
    assert result.n_videos == N_VIDEOS and result.details["n_reference"] == N_VIDEOS
    assert "warning" not in result.details  # 16 videos for 8 dimensions: full rank


def test_fvd_grows_with_the_perturbation(detector, sets, cache):
    metric = _metric(detector["pt"], _folder(sets["reference"]), cache)
    values = [metric.compute(sets[name]).value for name in ("noise-10", "noise-40", "noise-80")]
    assert 0 < values[0] < values[1] < values[2], values


def _independent_features(detector: Path, videos: list[MetricVideo]) -> np.ndarray:
    """First frames decoded in full, the module's preprocessing, the network: no metric code."""
    network = load_i3d(detector)
    clips = [preprocess(decode(v.path, fps=None).frames[:FRAMES], SIZE) for v in videos]
    with torch.no_grad():
        return network(torch.stack(clips)).double().numpy()


def test_fvd_equals_an_independent_computation_with_scipy(detector, sets, cache):
    real = _independent_features(detector["pt"], sets["reference"])
    fake = _independent_features(detector["pt"], sets["noise-40"])
    mu1, mu2 = real.mean(0), fake.mean(0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    expected = float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * np.real(scipy.linalg.sqrtm(s1 @ s2))))
    result = _metric(detector["pt"], _folder(sets["reference"]), cache).compute(sets["noise-40"])
    assert result.value == pytest.approx(expected, rel=1e-5)
    assert expected > 1e-6  # far above the ~1e-12 of a set against itself


def test_reference_statistics_are_cached_and_a_statistics_file_gives_the_same_value(detector, sets, tmp_path):
    videos = sets["noise-10"][:4]
    first = _metric(detector["pt"], _folder(sets["reference"]), tmp_path)
    result = first.compute(videos)
    value = result.value
    assert result.details["reference"] == "folder" and result.details["reference_skipped"] == 0
    cached = list((tmp_path / "fvd").glob("*.npz"))
    assert len(cached) == 1
    again = _metric(detector["pt"], _folder(sets["reference"]), tmp_path).compute(videos)
    assert again.details["reference"] == "folder (cached statistics)" and again.value == pytest.approx(value, rel=1e-12)
    # The key holds the preprocessing: another crop must not read these statistics.
    other = _metric(detector["pt"], _folder(sets["reference"]), tmp_path, crop=0.5)
    assert fingerprint(other._reference_key()) != fingerprint(first._reference_key())
    assert cached[0].stem == fingerprint(first._reference_key())
    with np.load(cached[0]) as data:
        assert int(data["n"]) == N_VIDEOS
        np.savez(tmp_path / "stats.npz", mu=data["mu"], sigma=data["sigma"])
    from_file = _metric(detector["pt"], tmp_path / "stats.npz", tmp_path).compute(videos)
    assert from_file.value == pytest.approx(value, rel=1e-12) and from_file.details["reference"] == "statistics file"
    assert from_file.details["n_reference"] is None  # the file does not say; the warning uses the generated count


def test_bad_and_short_videos_are_left_out_and_counted(detector, sets, cache, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom truncated")
    short = write_video(tmp_path / "short.mp4", np.zeros((FRAMES - 1, SIZE, SIZE, 3), np.uint8), fps=8)
    videos = [*sets["noise-10"][:5], MetricVideo(broken, "broken", 1, "x"), MetricVideo(short, "short", 2, "y")]
    result = _metric(detector["pt"], _folder(sets["reference"]), cache).compute(videos)
    assert result.n_videos == 5 and result.value > 0
    assert [s["prompt_id"] for s in result.details["skipped"]] == ["broken"]
    assert [s["prompt_id"] for s in result.details["too_short"]] == ["short"]
    assert "rank deficient" in result.details["warning"]  # 5 videos for 8 dimensions
    json.dumps(result.details)  # the contract: details are JSON-able
    one = _metric(detector["pt"], _folder(sets["reference"]), cache).compute(videos[:1])
    assert one.value is None and "at least 2" in one.reason


def test_options_are_checked_before_anything_loads(detector, sets, tmp_path):
    reference = str(_folder(sets["reference"]))
    with pytest.raises(ConfigError, match="detector=PATH"):
        FVD(reference=reference)
    with pytest.raises(ConfigError, match="reference=PATH"):
        FVD(detector=str(detector["pt"]))
    with pytest.raises(ConfigError, match="detector='/nowhere/i3d.pt': no such file"):
        FVD(detector="/nowhere/i3d.pt", reference=reference)
    with pytest.raises(ConfigError, match="not a .npz"):
        FVD(detector=str(detector["pt"]), reference=str(detector["pt"]))
    with pytest.raises(ConfigError, match="crop=1.5"):
        resolve(metric_registry, "fvd", f"detector={detector['pt']},reference={reference},crop=1.5")
    with pytest.raises(ConfigError, match="dtype='float64'"):
        resolve(metric_registry, "fvd", f"detector={detector['pt']},reference={reference},dtype=float64")


def test_fingerprint_follows_what_changes_the_value(detector, sets, cache):
    def fp(**options):
        return _metric(detector["pt"], _folder(sets["reference"]), cache, **options).fingerprint

    base = fp()
    assert fp(batch_size=2) == base and fp(device="cpu") == base
    assert len({base, fp(crop=0.84375), fp(frames=12), fp(size=32), fp(dtype="bfloat16")}) == 5
    other_detector = _metric(detector["safetensors"], _folder(sets["reference"]), cache).fingerprint
    assert other_detector != base  # different bytes, even with the same weights: the sha256 is of the file


def _cached_dataset(cache: Path, repo_id: str, files: dict[str, Path]) -> None:
    """A Hub dataset as ``huggingface_hub`` leaves it in ``cache`` after a download (refs/main -> a snapshot)."""
    root = cache / f"datasets--{repo_id.replace('/', '--')}"
    commit = "0" * 39 + "1"
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / "main").write_text(commit)
    snapshot = root / "snapshots" / commit
    for name, source in files.items():
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, snapshot / name)


def test_a_hub_dataset_reference_reads_like_the_folder_it_downloads_to(detector, sets, cache, tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))  # never the user's cache
    reference = sets["reference"]
    _cached_dataset(tmp_path / "hub", "scine-test/fvd-reference", {f"clips/{v.path.name}": v.path for v in reference})
    from_hub = _metric(detector["pt"], "hf://datasets/scine-test/fvd-reference", cache).compute(sets["noise-40"])
    from_folder = _metric(detector["pt"], _folder(reference), cache).compute(sets["noise-40"])
    assert from_hub.value == pytest.approx(from_folder.value, rel=1e-9)
    assert from_hub.details["n_reference"] == N_VIDEOS
    with pytest.raises(ConfigError, match="not in the local Hugging Face cache.*hf download --repo-type dataset"):
        _metric(detector["pt"], "hf://datasets/scine-test/never-downloaded", cache)
