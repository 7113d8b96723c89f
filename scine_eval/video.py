"""Video probing, frame sampling and decoding with PyAV, plus small file helpers.

The harness decodes videos itself and hands frames plus their *sampled* frame rate to the model
processors: transformers' own decoders (torchcodec, torchvision.io) are not usable on CPU machines.

Decoding is sequential and frames are selected by index: generated videos usually have a single
GOP, so seeking would re-decode from the start for every timestamp (measured 4-6x slower). Only the
selected frames are converted to RGB, which is where most of the per-frame cost is.

Every failure to use a file surfaces as :class:`~scine_eval.errors.VideoError` with a cause a user
can act on; no raw PyAV exception escapes :func:`probe` or :func:`decode`.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import socket
import stat
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from scine_eval.errors import VideoError

__all__ = [
    "SampledVideo",
    "VideoInfo",
    "decode",
    "probe",
    "sample_indices",
    "sha256_file",
    "write_video",
    "writer_id",
]

PathLike = str | os.PathLike[str]

# Signatures of containers FFmpeg reads. A file that starts like one of these but cannot be opened
# is damaged (typically truncated: a plain mp4 keeps its index, the moov atom, at the end), which
# is a different fix for the user than "this is not a video at all".
_ISO_BMFF_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
_HEADER_LEN = 12

# Encoders that understand a constant-rate-factor quality setting.
_CRF_CODECS = frozenset({"libx264", "libx265", "libvpx", "libvpx-vp9", "libaom-av1", "libsvtav1"})

# Float slack for the sampling arithmetic, so that e.g. 3 * 29.97 / 29.97 does not land just below
# an integer and round the wrong way.
_EPS = 1e-9


@dataclass(frozen=True)
class VideoInfo:
    """Metadata of a video file's first video stream.

    Attributes:
        path: the file, as given.
        width: frame width in pixels (of the first decoded frame).
        height: frame height in pixels.
        fps: native average frame rate.
        n_frames: frames in the stream: the container's count when it has one (mp4, mov), otherwise
            counted by decoding the whole stream (mkv, webm).
        duration: ``n_frames / fps`` seconds: the time the frames cover. The container's own
            duration is not used, because it can include longer audio tracks or edit lists.
        codec: FFmpeg's decoder name, e.g. ``"h264"``.
    """

    path: str
    width: int
    height: int
    fps: float
    n_frames: int
    duration: float
    codec: str


@dataclass(frozen=True)
class SampledVideo:
    """Frames selected from a video, with what a VLM needs to place them in time.

    Attributes:
        frames: ``(T, H, W, 3)`` uint8 RGB.
        fps: the rate the frames represent after sampling. This is the value a VLM's
            ``VideoMetadata(fps=...)`` must get; passing the native fps would give wrong temporal
            positions.
        indices: indices of the frames in the native frame sequence (0-based, increasing).
        timestamps: ``index / native fps`` seconds for each frame.
        info: metadata of the source video.
    """

    frames: npt.NDArray[np.uint8]
    fps: float
    indices: tuple[int, ...]
    timestamps: tuple[float, ...]
    info: VideoInfo


def probe(path: PathLike) -> VideoInfo:
    """Read a video's metadata and check that it has at least one decodable frame.

    Cheap: opens the file and decodes only the first frame, unless the container has no frame
    count, in which case the stream is decoded once to count its frames.

    Args:
        path: the video file.

    Returns:
        The metadata of the file's first video stream.

    Raises:
        VideoError: the file is missing, a directory, empty, unreadable, not a video, has no video
            stream, has no decodable frame, or is corrupt or truncated.
    """
    header = _check_file(path)
    with _open(path, header) as container:
        stream = _video_stream(path, container)
        frames = container.decode(stream)
        first = _next_frame(path, frames, decoded=0)
        if first is None:
            declared = f" (the container declares {stream.frames} frames)" if stream.frames else ""
            raise VideoError(
                path,
                "no frames could be decoded: the video stream is empty or damaged" + declared,
            )
        n_frames = int(stream.frames or 0)
        if n_frames <= 0:
            # mkv/webm carry no frame count: count by decoding (this is the only full pass).
            n_frames = 1
            while _next_frame(path, frames, decoded=n_frames) is not None:
                n_frames += 1
        fps = _frame_rate(path, container, stream, n_frames)
        return VideoInfo(
            path=str(path),
            width=int(first.width),
            height=int(first.height),
            fps=fps,
            n_frames=n_frames,
            duration=n_frames / fps,
            codec=str(stream.codec_context.name),
        )


def decode(
    path: PathLike,
    fps: float | None = 2.0,
    max_frames: int | None = None,
    max_pixels: int | None = None,
) -> SampledVideo:
    """Decode a video, keeping only the sampled frames, as RGB.

    Sampling (see :func:`sample_indices` for the exact rounding rules):

    * ``fps=None`` keeps every frame, and the reported fps is the native one.
    * Otherwise frames are taken at times ``k / fps`` for ``k = 0, 1, ...`` while the time is below
      the duration, each mapped to the nearest native frame. If ``fps`` is at or above the native
      rate, every frame is kept and the native fps is reported.
    * ``max_frames`` then subsamples uniformly (first and last kept). The reported fps becomes the
      effective rate ``T / span``, where ``span = (t_last - t_first) + 1 / rate_before_cap``: the
      time the kept frames cover when each stands for one sampling period. For the usual case this
      is ``T / duration``.

    Resizing: with ``max_pixels``, frames larger than that are downscaled (area interpolation) so
    that ``H * W <= max_pixels``, preserving the aspect ratio: ``scale = sqrt(max_pixels / (H * W))``
    and each side is ``floor(side * scale)``, at least 1. Sizes need not be even. Frames already
    within the limit are never upscaled.

    Args:
        path: the video file.
        fps: target sampling rate in frames per second, or ``None`` for every frame.
        max_frames: cap on the number of frames returned, or ``None``.
        max_pixels: cap on ``H * W`` of the returned frames, or ``None``.

    Returns:
        The sampled frames, their indices and timestamps, and the effective fps.

    Raises:
        ValueError: an argument is out of range (a programming error, not a file problem).
        VideoError: the file cannot be used (see :func:`probe`), or decoding fails part-way
            through, or the stream ends before a selected frame.
    """
    if max_pixels is not None and (isinstance(max_pixels, bool) or max_pixels < 1):
        raise ValueError(f"max_pixels must be a positive integer or None, got {max_pixels!r}")
    info = probe(path)
    indices, out_fps = _plan(info.n_frames, info.fps, fps, max_frames)
    width, height = _fit_pixels(info.width, info.height, max_pixels)
    frames = _read_frames(path, indices, info.n_frames, width, height)
    return SampledVideo(
        frames=frames,
        fps=out_fps,
        indices=tuple(indices),
        timestamps=tuple(i / info.fps for i in indices),
        info=info,
    )


def decode_frames(path: PathLike, indices: Sequence[int], info: VideoInfo | None = None) -> npt.NDArray[np.uint8]:
    """The native frames at ``indices`` (increasing) as ``(len(indices), H, W, 3)`` uint8 RGB, at native size.

    Frames before the last index are decoded but only those asked for are converted (``decode`` with ``fps``
    samples by time; this takes positions, e.g. FVD's first 16 frames). ``info`` saves a second probe.

    Raises:
        VideoError: as :func:`decode`.
    """
    info = info or probe(path)
    return _read_frames(path, list(indices), info.n_frames, info.width, info.height)


def sample_indices(
    n_frames: int,
    native_fps: float,
    target_fps: float | None,
    max_frames: int | None,
) -> list[int]:
    """Choose which native frames to keep.

    Rules:

    * ``target_fps=None`` or ``target_fps >= native_fps``: every frame, ``0 .. n_frames-1``.
    * Otherwise, for ``k = 0, 1, ...`` while ``k / target_fps < n_frames / native_fps``, the frame
      nearest to time ``k / target_fps``: ``floor(k * native_fps / target_fps + 0.5)`` (ties round
      up), clamped to the last frame, without duplicates.
    * Then, if more than ``max_frames`` remain, ``max_frames`` positions uniformly spaced over them
      (like ``linspace``, ties rounding up), always keeping the first and the last;
      ``max_frames=1`` keeps the first only.

    Args:
        n_frames: frames in the video (0 gives an empty list).
        native_fps: the video's frame rate, positive.
        target_fps: sampling rate, positive, or ``None`` for every frame.
        max_frames: cap on the result's length, at least 1, or ``None``.

    Returns:
        Increasing frame indices.

    Raises:
        ValueError: an argument is out of range.
    """
    return _plan(n_frames, native_fps, target_fps, max_frames)[0]


def sha256_file(path: PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks so large videos need little memory.

    Args:
        path: the file.
        chunk_size: bytes read at a time.

    Returns:
        The 64-character lowercase hex digest.

    Raises:
        VideoError: the file cannot be read (missing, a directory, permission denied).
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(chunk_size):
                digest.update(chunk)
    except OSError as exc:
        raise VideoError(path, _os_cause(exc)) from exc
    return digest.hexdigest()


def to_uint8(frames: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Frames in ``[0, 1]`` (a diffusers pipeline's ``output_type="np"``) as uint8, rounded and clipped."""
    return np.clip(np.asarray(frames, dtype=np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def write_video(
    path: PathLike,
    frames: npt.NDArray[np.uint8],
    fps: float,
    codec: str = "libx264",
    crf: int = 18,
    options: Mapping[str, str] | None = None,
) -> Path:
    """Encode RGB frames to a video file, atomically.

    The video is written to a temporary file in the same folder and moved into place with
    :func:`os.replace`, so readers never see a half-written file. The pixel format is yuv420p,
    which players and decoders everywhere accept but which needs even sizes. The container is
    chosen from the file extension. Missing parent folders are created.

    Args:
        path: the output file; its extension picks the container (``.mp4``, ``.mkv`` ...).
        frames: ``(T, H, W, 3)`` uint8 RGB with ``T >= 1`` and even ``H`` and ``W``.
        fps: frame rate, positive.
        codec: FFmpeg encoder name.
        crf: quality for encoders that support it (x264, x265, vpx, aom, svt-av1): lower is
            better, 18 is visually lossless for x264. Ignored by other encoders.
        options: further encoder options, e.g. ``{"preset": "veryfast"}`` for x264 (about twice as
            fast as its default, for slightly larger files).

    Returns:
        The written file's path.

    Raises:
        ValueError: the frames have the wrong shape, type or odd sizes, ``fps`` is not positive, or
            ``codec`` is not a video encoder FFmpeg has.
    """
    array = np.asarray(frames)
    if array.ndim != 4 or array.shape[-1] != 3 or array.dtype != np.uint8:
        raise ValueError(
            f"frames must be a (T, H, W, 3) uint8 RGB array, got shape {array.shape} and dtype {array.dtype}"
        )
    n, height, width, _ = array.shape
    if n < 1:
        raise ValueError(f"frames must hold at least one frame, got shape {array.shape}")
    if height % 2 or width % 2:
        raise ValueError(
            f"yuv420p needs an even width and height, got frames of shape {array.shape} "
            f"(height {height}, width {width}); crop or pad them to even sizes"
        )
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    try:
        # Checked up front: PyAV's own error for a bad name is just the name.
        encoder = av.codec.Codec(codec, "w")
    except (ValueError, av.error.FFmpegError) as exc:
        raise ValueError(f"unknown encoder {codec!r} in this FFmpeg build") from exc
    if encoder.type != "video":
        raise ValueError(f"encoder {codec!r} encodes {encoder.type}, not video")

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same folder (so os.replace is an atomic rename) and same extension (so FFmpeg picks the
    # container from it); a fresh name lets FFmpeg create it with the normal permissions. The
    # writer's id lets the video store remove it after a kill without touching a live writer's file.
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:12]}.tmp.{writer_id()}{target.suffix}")
    try:
        with av.open(str(tmp), mode="w") as container:
            rate = Fraction(fps).limit_denominator(100_000)
            stream = container.add_stream(codec, rate=rate)
            stream.width = width
            stream.height = height
            stream.pix_fmt = "yuv420p"
            stream.options = {**({"crf": str(crf)} if codec in _CRF_CODECS else {}), **(options or {})}
            for index, rgb in enumerate(array):
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
                # Explicit timestamps (frame i at i / fps) rather than the encoder's guess.
                frame.pts, frame.time_base = index, 1 / rate
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))  # flush the encoder's delayed frames
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def writer_id() -> str:
    """``<machine>.<pid>`` of this process, for the names of its temporary files.

    A later run reads it to tell a dead writer's leftovers from a live writer's file
    (:meth:`scine_eval.store.VideoStore.remove_stale`). ``<machine>`` is 8 hex digits hashing the host
    name and, on Linux, the process's pid namespace: two containers sharing a host name see different
    pids, so their files must count as another machine's, whose pids cannot be checked. It is a short
    hash, not the host name, because it goes into names that must stay under the 255-byte limit (the
    store's partials are written through :func:`write_video`, so a temporary name holds it twice).
    """
    return f"{_machine_id()}.{os.getpid()}"


# --------------------------------------------------------------------------------------------
# internals


@functools.cache
def _machine_id() -> str:
    """The part of :func:`writer_id` that is the same for every process that can see the others' pids."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:  # not Linux, or /proc is not mounted: the host name alone
        namespace = ""
    return hashlib.sha256(f"{socket.gethostname()}\0{namespace}".encode()).hexdigest()[:8]


def _plan(
    n_frames: int,
    native_fps: float,
    target_fps: float | None,
    max_frames: int | None,
) -> tuple[list[int], float]:
    """Sampled indices and the fps they represent; the rules are in :func:`sample_indices`."""
    if isinstance(n_frames, bool) or not isinstance(n_frames, int) or n_frames < 0:
        raise ValueError(f"n_frames must be a non-negative integer, got {n_frames!r}")
    if not (math.isfinite(native_fps) and native_fps > 0):
        raise ValueError(f"native_fps must be positive, got {native_fps!r}")
    if target_fps is not None and not (math.isfinite(target_fps) and target_fps > 0):
        raise ValueError(f"fps must be positive or None, got {target_fps!r}")
    if max_frames is not None and (isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1):
        raise ValueError(f"max_frames must be a positive integer or None, got {max_frames!r}")

    if target_fps is None or target_fps >= native_fps:
        indices = list(range(n_frames))
        rate = float(native_fps)
    else:
        indices = []
        rate = float(target_fps)
        k = 0
        while True:
            position = k * native_fps / target_fps  # time k / target_fps, in native frames
            if position >= n_frames - _EPS:
                break
            index = min(math.floor(position + 0.5 + _EPS), n_frames - 1)
            if not indices or index != indices[-1]:
                indices.append(index)
            k += 1

    if max_frames is not None and len(indices) > max_frames:
        if max_frames == 1:
            kept = [indices[0]]
        else:
            step = (len(indices) - 1) / (max_frames - 1)
            kept = [indices[math.floor(j * step + 0.5 + _EPS)] for j in range(max_frames)]
        # The kept frames cover the span from the first to the last, plus one sampling period
        # for the last frame; their effective rate is what a VLM must be told.
        span = (kept[-1] - kept[0]) / native_fps + 1.0 / rate
        return kept, len(kept) / span
    return indices, rate


def _fit_pixels(width: int, height: int, max_pixels: int | None) -> tuple[int, int]:
    """Output size: unchanged if within ``max_pixels``, else scaled down keeping the aspect."""
    if max_pixels is None or width * height <= max_pixels:
        return width, height
    scale = math.sqrt(max_pixels / (width * height))
    new_w = max(1, math.floor(width * scale))
    new_h = max(1, math.floor(height * scale))
    # Guard against float error pushing the product one row or column over the cap.
    while new_w * new_h > max_pixels and (new_w > 1 or new_h > 1):
        if new_w * height >= new_h * width and new_w > 1:
            new_w -= 1
        else:
            new_h -= 1
    return new_w, new_h


def _read_frames(path: PathLike, indices: list[int], n_frames: int, width: int, height: int) -> npt.NDArray[np.uint8]:
    """Decode sequentially and convert only the frames at ``indices`` to RGB of the given size."""
    out = np.empty((len(indices), height, width, 3), dtype=np.uint8)
    if not indices:
        return out
    header = _check_file(path)
    kept = 0
    decoded = 0
    with _open(path, header) as container:
        stream = _video_stream(path, container)
        frames = container.decode(stream)
        while kept < len(indices):
            frame = _next_frame(path, frames, decoded)
            if frame is None:
                raise VideoError(
                    path,
                    f"corrupt or truncated video stream: it ended after {decoded} of "
                    f"{n_frames} frames (frame {indices[kept]} was requested)",
                )
            if decoded == indices[kept]:
                # Reformatting to a fixed size also absorbs mid-stream resolution changes.
                rgb = frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA")
                out[kept] = rgb.to_ndarray()
                kept += 1
            decoded += 1
    return out


def _check_file(path: PathLike) -> bytes:
    """Check the path is a readable, non-empty regular file; return its first bytes."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise VideoError(path, _os_cause(exc)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise VideoError(path, "is a directory, not a video file")
    if not stat.S_ISREG(info.st_mode):
        raise VideoError(path, "is not a regular file (a device, pipe or socket), not a video file")
    if info.st_size == 0:
        raise VideoError(path, "file is empty (0 bytes); it was probably not fully written")
    try:
        with open(path, "rb") as fh:
            return fh.read(_HEADER_LEN)
    except OSError as exc:
        raise VideoError(path, _os_cause(exc)) from exc


def _os_cause(exc: OSError) -> str:
    """A user-facing cause for an OS-level failure to access a file."""
    if isinstance(exc, FileNotFoundError):
        return "file does not exist"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a video file"
    if isinstance(exc, PermissionError):
        return "permission denied: the file is not readable by this user"
    return f"cannot read the file ({exc.strerror or exc})"


def _container_kind(header: bytes) -> str | None:
    """Name of the container the first bytes announce, or None if not recognised."""
    if header[4:8] in _ISO_BMFF_BOXES:
        return "MP4/MOV"
    if header.startswith(b"\x1a\x45\xdf\xa3"):
        return "Matroska/WebM"
    if header.startswith(b"RIFF") and header[8:12] == b"AVI ":
        return "AVI"
    if header.startswith(b"OggS"):
        return "Ogg"
    if header.startswith(b"FLV"):
        return "FLV"
    return None


@contextmanager
def _open(path: PathLike, header: bytes) -> Iterator[av.container.InputContainer]:
    """``av.open`` for reading, translating its errors into VideoError."""
    try:
        # "replace": undecodable metadata tags must not make a playable file unusable.
        container = av.open(os.fspath(path), mode="r", metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise VideoError(path, _open_cause(exc, header)) from exc
    try:
        yield container
    finally:
        container.close()


def _open_cause(exc: av.error.FFmpegError, header: bytes) -> str:
    """A user-facing cause for a failure of ``av.open``."""
    if isinstance(exc, OSError):  # PyAV's PermissionError, FileNotFoundError ... are OSErrors
        return _os_cause(exc)
    detail = exc.strerror or str(exc)
    kind = _container_kind(header)
    if kind is not None:
        # Starts like a real container but FFmpeg cannot read it: damaged, usually cut short.
        return f"corrupt or truncated {kind} file: FFmpeg cannot read its header or index ({detail})"
    if isinstance(exc, (av.error.InvalidDataError, av.error.EOFError)):
        return f"not a video file, or a format FFmpeg does not recognise ({detail})"
    return f"cannot open the video ({detail})"


def _video_stream(path: PathLike, container: av.container.InputContainer) -> av.VideoStream:
    """The first video stream, or a VideoError naming the streams that were found."""
    if container.streams.video:
        return container.streams.video[0]
    found = ", ".join(s.type for s in container.streams) or "none"
    raise VideoError(path, f"no video stream in the file (streams found: {found})")


def _next_frame(path: PathLike, frames: Iterator[av.VideoFrame], decoded: int) -> av.VideoFrame | None:
    """The next decoded frame, None at the end; decoder errors become VideoError."""
    try:
        return next(frames, None)
    except av.error.FFmpegError as exc:
        detail = exc.strerror or str(exc)
        raise VideoError(
            path,
            f"corrupt or truncated video stream: decoding failed after {decoded} frames ({detail})",
        ) from exc


def _frame_rate(path: PathLike, container: av.container.InputContainer, stream: av.VideoStream, n_frames: int) -> float:
    """The native average frame rate, from the stream or else from the duration."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and rate > 0:
            return float(rate)
    seconds = 0.0
    if stream.duration and stream.time_base:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration:
        seconds = container.duration / av.time_base
    if seconds > 0:
        return n_frames / seconds
    raise VideoError(path, "the video stream has no frame rate and no duration to derive one from")
