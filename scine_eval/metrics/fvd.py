"""FVD: the Fréchet distance between I3D features of the generated videos and of a reference set.

    scine-eval ... --metrics fvd:detector=/models/i3d_pretrained_400.pt,reference=/data/ucf101-clips

Protocol (TATS' ``tats/fvd/fvd.py``, which LaVie follows, except where noted):

* **clip**: the first ``frames`` (16) consecutive frames of each video, at its native frame rate. A video with
  fewer frames is left out and counted (``details["too_short"]``); one that cannot be decoded likewise
  (``details["skipped"]``).
* **crop**: a centred square of side ``crop * min(H, W)`` (rounded, at least 1 pixel). ``crop=1`` (default) is the
  largest centred square; TATS crops nothing (it squashes the whole frame to 224x224) and LaVie crops 270x270 out
  of its 320x512 frames, which ``crop=0.84375`` (270 / 320) reproduces.
* **resize**: bilinear to ``size`` x ``size`` (224), ``align_corners=False``, no antialiasing, as TATS.
* **scale**: ``2 * x / 255 - 1``, i.e. ``[-1, 1]``.
* **features**: the I3D's 400 pre-softmax Kinetics logits, averaged over time (:mod:`scine_eval.metrics.i3d`),
  computed in float32 by default.
* **distance**: :func:`scine_eval.metrics.frechet.frechet_distance` of the two sets' means and unbiased
  covariances (TATS computes the same quantity with an SVD; StyleGAN-V with ``scipy.linalg.sqrtm``).

The reference is a folder of videos (read recursively, sorted, same preprocessing) or a ``.npz`` with ``mu`` and
``sigma`` (precomputed with the same detector and preprocessing: the file cannot prove it, so say so in reports).
Statistics of a folder are cached as ``<cache_dir>/fvd/<key>.npz``, keyed by the detector file's sha256, the
folder's listing (relative path, size, mtime) and the preprocessing, so a second run reads them back.

With fewer videos than feature dimensions (400) a covariance is rank deficient; FVD is still defined but biased
upwards and noisy, so ``details["warning"]`` says so. Numbers from different implementations, crops or reference
sets are not comparable (zhizhou57/FVD measures ~10% between VideoGPT- and StyleGAN-V-style FVD).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from annotated_types import Gt, Le

from scine_eval.contracts.arguments import PositiveInt
from scine_eval.contracts.metric import MetricValue, MetricVideo, VideoMetric, register_metric
from scine_eval.errors import ConfigError, VideoError
from scine_eval.fingerprint import fingerprint
from scine_eval.metrics.device import resolve_device
from scine_eval.metrics.frechet import feature_statistics, frechet_distance
from scine_eval.options import default_cache_dir
from scine_eval.video import decode_frames, probe, sha256_file

__all__ = ["FVD", "VIDEO_SUFFIXES", "first_frames", "preprocess"]

FVD_VERSION = "1"
"""Bump when the preprocessing or the features change numbers for the same detector and options."""
VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v", ".gif")
"""Files of a reference folder that are read as videos."""

CropFraction = Annotated[float, Gt(0), Le(1)]
Dtype = Literal["float32", "float16", "bfloat16"]


def first_frames(path: str | os.PathLike[str], frames: int) -> npt.NDArray[np.uint8] | None:
    """The first ``frames`` frames of a video as ``(frames, H, W, 3)`` uint8 RGB, or None if it is shorter.

    Raises:
        VideoError: the file cannot be decoded.
    """
    info = probe(path)
    if info.n_frames < frames:
        return None
    return decode_frames(path, range(frames), info)


def preprocess(frames: npt.NDArray[np.uint8], size: int = 224, crop: float = 1.0) -> Any:
    """One clip as the I3D input: ``(3, T, size, size)`` float32 in ``[-1, 1]`` (see the module docstring).

    Args:
        frames: ``(T, H, W, 3)`` uint8 RGB.
        size: output side in pixels.
        crop: side of the centred square crop as a fraction of the shorter side.
    """
    import torch
    import torch.nn.functional as F

    _, height, width, _ = frames.shape
    side = max(1, round(min(height, width) * crop))
    top, left = (height - side) // 2, (width - side) // 2
    square = torch.from_numpy(np.ascontiguousarray(frames[:, top : top + side, left : left + side]))
    x = square.permute(0, 3, 1, 2).float()  # (T, 3, side, side)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=False)
    return (2.0 * x / 255.0 - 1.0).permute(1, 0, 2, 3).contiguous()


@register_metric("fvd")
class FVD(VideoMetric):
    """Fréchet Video Distance (lower is better) against a reference set, with TATS' I3D as the detector.

    Args:
        detector: the I3D weights: TATS' ``i3d_pretrained_400.pt`` (a state dict) or a ``.safetensors`` copy.
            Loaded safely (no pickled code runs). Required.
        reference: a folder of real videos, or a ``.npz`` with ``mu`` and ``sigma``. Required.
        frames: consecutive frames from the start of each video.
        size: side of the square frames the I3D sees.
        crop: side of the centred square crop, as a fraction of the shorter side (LaVie: 0.84375).
        batch_size: clips per I3D forward pass.
        device: ``auto`` (CUDA if available, else CPU), ``cpu``, ``cuda``, ``cuda:1``...
        dtype: precision of the I3D forward pass.
        cache_dir: where reference statistics are cached (default: the harness cache, ``$SCINE_EVAL_CACHE``).
    """

    higher_is_better = False
    description = "Fréchet Video Distance to a reference set (I3D Kinetics-400 logits, 16 frames, 224 px)"

    def __init__(
        self,
        detector: str | None = None,
        reference: str | None = None,
        frames: PositiveInt = 16,
        size: PositiveInt = 224,
        crop: CropFraction = 1.0,
        batch_size: PositiveInt = 8,
        device: str = "auto",
        dtype: Dtype = "float32",
        cache_dir: str | None = None,
    ):
        self.detector = _existing_file(detector, "detector", _DETECTOR_HELP)
        if self.detector.suffix.lower() not in (".safetensors", ".pt", ".pth", ".bin"):
            raise ConfigError(f"detector={detector!r}: valid weights files end in .safetensors, .pt, .pth or .bin")
        self.reference = _reference(reference)
        if not 0 < crop <= 1:
            raise ConfigError(f"crop={crop!r}: valid values are fractions in (0, 1]")
        if dtype not in ("float32", "float16", "bfloat16"):
            raise ConfigError(f"dtype={dtype!r}: valid values are float32, float16, bfloat16")
        self.frames, self.size, self.crop, self.batch_size = frames, size, float(crop), batch_size
        self.device, self.dtype = device, dtype
        self.cache_dir = Path(cache_dir or default_cache_dir()).expanduser() / "fvd"
        self._model: Any = None
        self._detector_sha: str | None = None

    # -- the contract ------------------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        return {
            "metric": self.name,
            "version": FVD_VERSION,
            "detector_sha256": self.detector_sha256,
            "reference": self._reference_spec(mtimes=False),
            "frames": self.frames,
            "size": self.size,
            "crop": self.crop,
            "dtype": self.dtype,
        }

    def compute(self, videos: Sequence[MetricVideo]) -> MetricValue:
        mu_ref, sigma_ref, n_ref, ref_details = self.reference_statistics()
        features, skipped, too_short = self.features([v.path for v in videos])
        details: dict[str, Any] = {
            "n_reference": n_ref or None,  # a statistics file need not say how many videos it summarises
            "reference_path": str(self.reference),
            **ref_details,
            "skipped": [{**_who(videos[i]), "error": e} for i, e in skipped],
            "too_short": [_who(videos[i]) for i in too_short],
            "frames": self.frames,
            "size": self.size,
            "crop": self.crop,
        }
        n = len(features)
        if n < 2:
            return MetricValue(None, n, f"FVD needs at least 2 usable videos, got {n}", details)
        mu, sigma = feature_statistics(features)
        if mu.shape != mu_ref.shape:
            raise ConfigError(
                f"reference={str(self.reference)!r}: statistics of dimension {mu_ref.shape[0]}, but the detector "
                f"gives {mu.shape[0]} features; the reference must be computed with the same detector"
            )
        fewest = min(n, n_ref) if n_ref else n
        if fewest <= mu.shape[0]:
            details["warning"] = (
                f"{fewest} videos for {mu.shape[0]} feature dimensions: the covariance is rank deficient, so "
                "FVD is biased upwards and noisy; compare only runs with the same number of videos"
            )
        return MetricValue(frechet_distance(mu, sigma, mu_ref, sigma_ref), n, details=details)

    # -- parts -------------------------------------------------------------------------------------

    @property
    def detector_sha256(self) -> str:
        if self._detector_sha is None:
            self._detector_sha = sha256_file(self.detector)
        return self._detector_sha

    def model(self) -> Any:
        """The I3D on its device and in its dtype (loaded on first use)."""
        if self._model is None:
            import torch

            from scine_eval.metrics.i3d import load_i3d

            device = resolve_device(self.device)
            self._model = load_i3d(self.detector).to(device=device, dtype=getattr(torch, self.dtype))
        return self._model

    def features(self, paths: Sequence[Path]) -> tuple[npt.NDArray[np.float64], list[tuple[int, str]], list[int]]:
        """I3D features of the videos that can be used, the undecodable ``(index, cause)`` and the too short."""
        skipped: list[tuple[int, str]] = []
        too_short: list[int] = []

        def clips() -> Iterator[Any]:
            for index, path in enumerate(paths):
                try:
                    frames = first_frames(path, self.frames)
                except VideoError as error:
                    skipped.append((index, error.cause))
                    continue
                if frames is None:
                    too_short.append(index)
                    continue
                yield preprocess(frames, self.size, self.crop)

        return self._embed(clips()), skipped, too_short

    def reference_statistics(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int, dict[str, Any]]:
        """``(mu, sigma, n, details)`` of the reference: read from the ``.npz``, the cache, or computed and cached."""
        if self.reference.is_file():
            mu, sigma, n = _read_statistics(self.reference)
            return mu, sigma, n, {"reference": "statistics file"}
        cached = self.cache_dir / f"{fingerprint(self._reference_key())}.npz"
        if cached.is_file():
            mu, sigma, n = _read_statistics(cached)
            return mu, sigma, n, {"reference": "folder (cached statistics)"}
        paths = _reference_videos(self.reference)
        features, skipped, too_short = self.features(paths)
        if len(features) < 2:
            raise ConfigError(
                f"reference={str(self.reference)!r}: {len(features)} usable videos of {len(paths)} "
                f"({len(skipped)} undecodable, {len(too_short)} shorter than {self.frames} frames); need at least 2"
            )
        mu, sigma = feature_statistics(features)
        _write_statistics(cached, mu, sigma, len(features))
        details = {"reference": "folder", "reference_skipped": len(skipped), "reference_too_short": len(too_short)}
        return mu, sigma, len(features), details

    def _embed(self, clips: Iterator[Any]) -> npt.NDArray[np.float64]:
        import torch

        model = self.model()
        parameter = next(model.parameters())
        out: list[npt.NDArray[np.float64]] = []
        for batch in _batches(clips, self.batch_size):
            with torch.inference_mode():
                logits = model(torch.stack(batch).to(device=parameter.device, dtype=parameter.dtype))
            out.append(logits.float().cpu().numpy().astype(np.float64))
        return np.concatenate(out) if out else np.empty((0, model.config.num_classes))

    def _reference_key(self) -> dict[str, Any]:
        return {
            "version": FVD_VERSION,
            "detector_sha256": self.detector_sha256,
            "reference": self._reference_spec(mtimes=True),
            "frames": self.frames,
            "size": self.size,
            "crop": self.crop,
            "dtype": self.dtype,
        }

    def _reference_spec(self, mtimes: bool) -> dict[str, Any]:
        if self.reference.is_file():
            return {"statistics_sha256": sha256_file(self.reference)}
        listing = []
        for path in _reference_videos(self.reference):
            stat = path.stat()
            entry = [path.relative_to(self.reference).as_posix(), stat.st_size]
            listing.append(entry + [stat.st_mtime_ns] if mtimes else entry)
        return {"videos": len(listing), "listing": fingerprint(listing)}  # not the folder's path: it may move


_DETECTOR_HELP = (
    "the I3D weights file: TATS' i3d_pretrained_400.pt (https://github.com/songweige/TATS, tats/fvd/) or a "
    ".safetensors copy of it"
)


def _existing_file(value: str | None, option: str, what: str) -> Path:
    if value is None or not str(value).strip():
        raise ConfigError(f"fvd needs {option}=PATH: {what}")
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise ConfigError(f"{option}={value!r}: no such file; give {what}")
    return path


HUB_PREFIX = "hf://datasets/"
"""``reference=hf://datasets/ORG/NAME[@REVISION]``: a Hub dataset of real videos (or of one statistics ``.npz``)."""


def _reference(value: str | None) -> Path:
    what = ("a folder of real videos, a .npz with 'mu' and 'sigma' computed with the same detector and options, "
            f"or a Hub dataset of either ({HUB_PREFIX}ORG/NAME[@REVISION])")  # fmt: skip
    if value is None or not str(value).strip():
        raise ConfigError(f"fvd needs reference=PATH: {what}")
    if str(value).startswith(HUB_PREFIX):
        return _hub_reference(str(value))
    path = Path(str(value)).expanduser()
    if path.is_dir():
        if not _reference_videos(path):
            raise ConfigError(f"reference={value!r}: the folder holds no videos ({', '.join(VIDEO_SUFFIXES)})")
        return path
    if path.is_file() and path.suffix.lower() == ".npz":
        return path
    raise ConfigError(f"reference={value!r}: {'not a .npz file' if path.is_file() else 'no such file or folder'}; "
                      f"give {what}")  # fmt: skip


def _hub_reference(value: str) -> Path:
    """The local snapshot of a Hub dataset reference (downloaded once, then read from the cache)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    repo_id, _, revision = value.removeprefix(HUB_PREFIX).partition("@")
    patterns = [f"*{suffix}" for suffix in VIDEO_SUFFIXES] + [f"*{suffix.upper()}" for suffix in VIDEO_SUFFIXES]
    try:
        folder = Path(snapshot_download(repo_id, repo_type="dataset", revision=revision or None,
                                        allow_patterns=[*patterns, "*.npz"]))  # fmt: skip
    except LocalEntryNotFoundError:
        raise ConfigError(f"reference={value!r} is not in the local Hugging Face cache and the Hub cannot be reached "
                          f"(HF_HUB_OFFLINE?): download it once (hf download --repo-type dataset {repo_id}) or pass "
                          "a local folder") from None  # fmt: skip
    except RepositoryNotFoundError:
        raise ConfigError(f"reference={value!r}: no such dataset on the Hub (or no access to it)") from None
    except HfHubHTTPError as error:
        raise ConfigError(f"reference={value!r}: the Hub refused the download ({error})") from None
    if _reference_videos(folder):
        return folder
    statistics = sorted(folder.rglob("*.npz"))
    if len(statistics) == 1:
        return statistics[0]
    raise ConfigError(f"reference={value!r}: the dataset holds no videos ({', '.join(VIDEO_SUFFIXES)}) and not "
                      f"exactly one .npz (found {len(statistics)})")  # fmt: skip


def _reference_videos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())


def _read_statistics(path: Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int]:
    try:
        with np.load(path, allow_pickle=False) as data:
            mu, sigma = np.asarray(data["mu"], np.float64), np.asarray(data["sigma"], np.float64)
            n = int(data["n"]) if "n" in data else 0
    except (OSError, ValueError, KeyError) as error:
        raise ConfigError(
            f"reference={str(path)!r}: not a statistics file with arrays 'mu' (D,) and 'sigma' (D, D): {error}"
        ) from None
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise ConfigError(
            f"reference={str(path)!r}: mu has shape {mu.shape} and sigma {sigma.shape}; need (D,) and (D, D)"
        )
    return mu, sigma, n


def _write_statistics(path: Path, mu: npt.NDArray[np.float64], sigma: npt.NDArray[np.float64], n: int) -> None:
    """Written beside its final name and renamed, so a concurrent reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:12]}.tmp.npz")
    try:
        np.savez(tmp, mu=mu, sigma=sigma, n=np.int64(n))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _who(video: MetricVideo) -> dict[str, Any]:
    return {"prompt_id": video.prompt_id, "seed": video.seed, "path": str(video.path)}
