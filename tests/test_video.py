"""Tests of scine_eval.video: probing, sampling, decoding, hashing, writing and every error path.

All inputs are tiny mp4s written with write_video into tmp_path (about 10 ms each).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from scine_eval import video
from scine_eval.errors import VideoError
from scine_eval.video import (
    SampledVideo,
    VideoInfo,
    decode,
    probe,
    sample_indices,
    sha256_file,
    write_video,
)

T, H, W, FPS = 24, 48, 64, 8  # a 3 s clip


def moving_square(n: int = T, height: int = H, width: int = W) -> np.ndarray:
    """Frames with a white square moving right on a dark grey ramp, so every frame differs.

    Grey levels only, so yuv420p chroma subsampling loses nothing and the codec error stays small.
    """
    frames = np.empty((n, height, width, 3), dtype=np.uint8)
    ramp = np.linspace(30, 90, width, dtype=np.uint8)
    for t in range(n):
        frames[t] = ramp[None, :, None]
        x = (2 * t) % (width - 10)
        frames[t, 12:24, x : x + 10] = 235
    return frames


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """The reference clip: 24 frames, 64x48, 8 fps, and the frames it was written from."""
    frames = moving_square()
    path = write_video(tmp_path_factory.mktemp("clip") / "clip.mp4", frames, fps=FPS)
    return path, frames


@pytest.fixture
def clip(written: tuple[Path, np.ndarray]) -> Path:
    return written[0]


def remux(src: Path, dst: Path, *, keyframes: bool = True, options: dict | None = None) -> Path:
    """Copy src's video packets into dst without re-encoding (optionally dropping keyframes)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", options=options or {}) as out:
        stream_in = inp.streams.video[0]
        stream_out = out.add_stream_from_template(stream_in)
        for packet in inp.demux(stream_in):
            if packet.size == 0 or (packet.is_keyframe and not keyframes):
                continue
            packet.stream = stream_out
            out.mux(packet)
    return dst


# ---------------------------------------------------------------------------------------------
# round trip


def test_round_trip_probe_and_decode_all(written: tuple[Path, np.ndarray]) -> None:
    path, frames = written
    info = probe(path)
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height, info.fps, info.n_frames) == (W, H, 8.0, T)
    assert info.duration == pytest.approx(3.0)
    assert info.codec == "h264"
    assert info.path == str(path)

    out = decode(path, fps=None)
    assert isinstance(out, SampledVideo)
    assert out.frames.shape == (T, H, W, 3) and out.frames.dtype == np.uint8
    assert out.indices == tuple(range(T))
    assert out.fps == 8.0
    assert out.info == info
    diff = np.abs(out.frames.astype(np.int16) - frames.astype(np.int16))
    assert diff.mean() < 3.0, f"lossy round trip too far off: mean abs diff {diff.mean():.2f}"
    # Order is right: each decoded frame is much closer to its own source than to the next one.
    shifted = np.abs(out.frames[:-1].astype(np.int16) - frames[1:].astype(np.int16)).mean()
    assert shifted > 3 * diff.mean()


def test_probe_counts_frames_when_container_has_no_count(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mkv", moving_square(10), fps=5)
    with av.open(str(path)) as container:
        assert container.streams.video[0].frames == 0  # the premise: mkv stores no frame count
    info = probe(path)
    assert (info.n_frames, info.fps, info.duration) == (10, 5.0, pytest.approx(2.0))
    assert decode(path, fps=None).frames.shape[0] == 10


def test_write_video_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.mp4"
    returned = write_video(target, moving_square(4), fps=4)
    assert returned == target and target.is_file()
    assert os.listdir(target.parent) == ["out.mp4"]
    with pytest.raises(ValueError, match="unknown encoder 'no-such-codec'"):
        write_video(tmp_path / "bad.mp4", moving_square(4), fps=4, codec="no-such-codec")
    assert sorted(os.listdir(tmp_path)) == ["sub"]


def test_write_video_temporary_names_its_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The temporary file is hidden, beside the target, keeps its extension and names this process.

    The writer's id is what lets the video store remove a killed writer's temporary without touching a
    live one's (tests/test_store.py).
    """
    moved: list[tuple[str, str]] = []
    real_replace = os.replace
    monkeypatch.setattr(
        video.os, "replace", lambda src, dst: (moved.append((str(src), str(dst))), real_replace(src, dst))
    )
    write_video(tmp_path / "out.mp4", moving_square(2), fps=4)
    [(src, dst)] = moved
    assert dst == str(tmp_path / "out.mp4") and Path(src).parent == tmp_path
    assert re.fullmatch(rf"\.out\.[0-9a-f]{{12}}\.tmp\.{re.escape(video.writer_id())}\.mp4", Path(src).name)


def test_writer_id_is_machine_and_pid() -> None:
    """``<machine>.<pid>``: the machine part is a short hash (no dots, so the pid can be read back), then this pid."""
    machine, _, pid = video.writer_id().rpartition(".")
    assert re.fullmatch(r"[0-9a-f]{8}", machine)
    assert int(pid) == os.getpid()


# ---------------------------------------------------------------------------------------------
# sampling


def test_decode_at_2_fps_selects_every_fourth_frame(clip: Path) -> None:
    out = decode(clip, fps=2.0)
    assert out.indices == (0, 4, 8, 12, 16, 20)
    assert out.timestamps == pytest.approx((0.0, 0.5, 1.0, 1.5, 2.0, 2.5))
    assert out.fps == 2.0 and isinstance(out.fps, float)
    assert out.frames.shape == (6, H, W, 3)
    # The sequential selection returns exactly the frames a full decode has at those indices.
    everything = decode(clip, fps=None).frames
    np.testing.assert_array_equal(out.frames, everything[list(out.indices)])


def test_target_above_native_keeps_all_frames_and_native_fps(clip: Path) -> None:
    out = decode(clip, fps=30.0)
    assert out.indices == tuple(range(T))
    assert out.fps == 8.0


def test_max_frames_caps_uniformly_and_adjusts_fps(clip: Path) -> None:
    out = decode(clip, fps=None, max_frames=4)
    assert out.indices == (0, 8, 15, 23)  # linspace(0, 23, 4) = 0, 7.67, 15.33, 23
    assert out.frames.shape[0] == 4
    assert out.fps == pytest.approx(4 / 3.0)  # 4 frames spanning the 3 s clip

    out = decode(clip, fps=2.0, max_frames=3)
    assert out.indices == (0, 12, 20)  # from (0, 4, 8, 12, 16, 20): positions 0, 2.5 -> 3, 5
    assert out.fps == pytest.approx(1.0)  # span 20/8 + 1/2 = 3 s

    assert decode(clip, fps=2.0, max_frames=10).indices == (0, 4, 8, 12, 16, 20)  # cap not hit


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((1, 8.0, 2.0, None), [0]),
        ((1, 30.0, None, None), [0]),
        ((1, 30.0, 2.0, 1), [0]),
        ((0, 30.0, 2.0, None), []),
        ((24, 8.0, 2.0, None), [0, 4, 8, 12, 16, 20]),
        ((24, 8.0, 8.0, None), list(range(24))),
        ((30, 30.0, 2.0, None), [0, 15]),  # 1 s: times 0 and 0.5
        ((10, 30.0, 1.0, None), [0]),  # shorter than one sampling period
        ((6, 3.0, 2.0, None), [0, 2, 3, 5]),  # positions 0, 1.5, 3, 4.5: ties round up
        ((150, 29.97, 2.0, None), [0, 15, 30, 45, 60, 75, 90, 105, 120, 135, 149]),  # last clamped
        ((10, 10.0, None, 4), [0, 3, 6, 9]),
        ((10, 10.0, None, 1), [0]),
        ((10, 10.0, None, 10), list(range(10))),
    ],
)
def test_sample_indices(args: tuple, expected: list[int]) -> None:
    assert sample_indices(*args) == expected


def test_sample_indices_are_increasing_in_range_and_capped() -> None:
    for n in (1, 2, 7, 24, 151):
        for native in (7.5, 8.0, 23.976, 30.0):
            for target in (None, 0.7, 1.0, 2.0, 7.9, 24.0, 60.0):
                for cap in (None, 1, 2, 5):
                    got = sample_indices(n, native, target, cap)
                    assert got[0] == 0 and got[-1] <= n - 1
                    assert all(a < b for a, b in zip(got, got[1:], strict=False)), (
                        n,
                        native,
                        target,
                        cap,
                        got,
                    )
                    if cap is not None:
                        assert len(got) <= cap


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 8.0, 2.0, None), "n_frames"),
        ((10, 0.0, 2.0, None), "native_fps"),
        ((10, 8.0, 0.0, None), "fps must be positive"),
        ((10, 8.0, 2.0, 0), "max_frames"),
    ],
)
def test_sample_indices_rejects_bad_arguments(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sample_indices(*args)


# ---------------------------------------------------------------------------------------------
# resizing


def test_max_pixels_downscales_preserving_aspect(clip: Path) -> None:
    full = decode(clip, fps=2.0).frames
    half = decode(clip, fps=2.0, max_pixels=W * H // 4)
    assert half.frames.shape == (6, H // 2, W // 2, 3)
    # Area interpolation at exactly half size is close to a 2x2 box average of the full frames.
    boxed = full.reshape(6, H // 2, 2, W // 2, 2, 3).astype(np.float32).mean(axis=(2, 4))
    assert np.abs(half.frames.astype(np.float32) - boxed).mean() < 3.0

    odd = decode(clip, fps=2.0, max_pixels=1000).frames
    _, h, w, _ = odd.shape
    assert h * w <= 1000 and (w, h) == (36, 27)
    assert w / h == pytest.approx(W / H, rel=0.05)

    assert decode(clip, fps=2.0, max_pixels=W * H).frames.shape == (6, H, W, 3)  # never upscaled


def test_fit_pixels_guarantees_the_cap() -> None:
    for width, height in ((64, 48), (1280, 720), (721, 479), (3, 1000)):
        for cap in (1, 7, 100, 999, 50_000):
            w, h = video._fit_pixels(width, height, cap)
            if width * height <= cap:
                assert (w, h) == (width, height)
            else:
                assert 1 <= w <= width and 1 <= h <= height and w * h <= cap
                # the aspect ratio is kept up to one pixel of rounding per side
                assert abs(w * height - h * width) <= max(width, height)


# ---------------------------------------------------------------------------------------------
# hashing


def test_sha256_file_matches_hashlib_and_detects_a_changed_byte(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_file(clip) == expected
    assert sha256_file(clip, chunk_size=7) == expected  # chunk boundaries do not matter
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    copy = tmp_path / "changed.mp4"
    copy.write_bytes(bytes(changed))
    assert sha256_file(copy) != expected
    with pytest.raises(VideoError, match=r"missing\.mp4: file does not exist"):
        sha256_file(tmp_path / "missing.mp4")


# ---------------------------------------------------------------------------------------------
# errors


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"nope\.mp4: file does not exist"):
        probe(tmp_path / "nope.mp4")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.mp4"
    folder.mkdir()
    with pytest.raises(VideoError, match=r"folder\.mp4: is a directory"):
        probe(folder)


def test_directory_reached_through_a_symlink(tmp_path: Path) -> None:
    """A symlink to a directory is "a directory" too, for probing and for hashing, never "does not exist"."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "link.mp4").symlink_to(tmp_path / "folder")
    with pytest.raises(VideoError, match=r"link\.mp4: is a directory, not a video file"):
        probe(tmp_path / "link.mp4")
    with pytest.raises(VideoError, match=r"link\.mp4: is a directory, not a video file"):
        sha256_file(tmp_path / "link.mp4")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(VideoError, match=r"empty\.mp4: file is empty \(0 bytes\)"):
        decode(path)


def test_text_file_renamed_mp4(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are meeting notes, not a video\n" * 20)
    with pytest.raises(VideoError, match=r"notes\.mp4: not a video file") as caught:
        decode(path)
    assert not isinstance(caught.value.__cause__, VideoError)  # the av error is kept as the cause


def test_audio_only_file(tmp_path: Path) -> None:
    path = tmp_path / "speech.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 800)
    with pytest.raises(VideoError, match=r"speech\.wav: no video stream .*streams found: audio"):
        probe(path)


def test_zero_decodable_frames(clip: Path, tmp_path: Path) -> None:
    # A video stream without its keyframe: the container declares 23 frames, none decode.
    path = remux(clip, tmp_path / "nokey.mp4", keyframes=False)
    with pytest.raises(VideoError, match=r"nokey\.mp4: no frames could be decoded"):
        probe(path)
    with pytest.raises(VideoError, match="no frames could be decoded"):
        decode(path)


def test_first_half_of_an_mp4(clip: Path, tmp_path: Path) -> None:
    # A plain mp4 keeps its index (moov) at the end, so the first half cannot even be opened.
    data = clip.read_bytes()
    path = tmp_path / "half.mp4"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match=r"half\.mp4: corrupt or truncated MP4/MOV file"):
        probe(path)


@pytest.mark.parametrize("cut", ["mid_packet", "packet_boundary"])
def test_truncated_stream_fails_mid_decode(clip: Path, tmp_path: Path, cut: str) -> None:
    # With the index at the front (faststart) the file opens and its first frame decodes; the
    # damage only shows while decoding: as a decoder error or as a stream that ends early.
    fast = remux(clip, tmp_path / "fast.mp4", options={"movflags": "faststart"})
    with av.open(str(fast)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    packet = sorted(packets, key=lambda p: p.pos)[T // 2]
    end = packet.pos + (packet.size // 2 if cut == "mid_packet" else 0)
    path = tmp_path / f"{cut}.mp4"
    path.write_bytes(fast.read_bytes()[:end])

    assert probe(path).n_frames == T  # the container still declares every frame
    with pytest.raises(VideoError, match=rf"{cut}\.mp4: corrupt or truncated video stream"):
        decode(path, fps=None)


def test_unreadable_file_via_chmod(clip: Path, tmp_path: Path) -> None:
    if os.name != "posix" or os.geteuid() == 0:
        pytest.skip(
            "root (or a non-POSIX system) bypasses file permissions, so chmod 000 cannot "
            "make a file unreadable; test_permission_denied_simulated covers the mapping"
        )
    path = tmp_path / "locked.mp4"
    path.write_bytes(clip.read_bytes())
    path.chmod(0)
    try:
        with pytest.raises(VideoError, match=r"locked\.mp4: permission denied"):
            probe(path)
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("layer", ["python_open", "av_open"])
def test_permission_denied_simulated(clip: Path, monkeypatch: pytest.MonkeyPatch, layer: str) -> None:
    # Runs as root too: the OS (for the header read) or FFmpeg (when opening) reports EACCES,
    # exactly as they do for an unreadable file.
    def denied(file: object, *args: object, **kwargs: object) -> None:
        if layer == "python_open":
            raise PermissionError(13, "Permission denied", str(file))
        raise av.error.PermissionError(13, "Permission denied", str(file))

    if layer == "python_open":
        monkeypatch.setattr(video, "open", denied, raising=False)  # shadows the builtin
    else:
        monkeypatch.setattr(video.av, "open", denied)
    with pytest.raises(VideoError, match=r"clip\.mp4: permission denied"):
        probe(clip)


def test_no_raw_av_error_escapes_for_garbage_with_a_video_header(tmp_path: Path) -> None:
    # Starts like an mp4 (an ftyp box) but the rest is noise.
    rng = np.random.default_rng(0)
    path = tmp_path / "noise.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom" + rng.integers(0, 256, 3000, np.uint8).tobytes())
    with pytest.raises(VideoError, match=r"noise\.mp4: corrupt or truncated"):
        decode(path)


# ---------------------------------------------------------------------------------------------
# write_video argument checks


@pytest.mark.parametrize("shape", [(2, 47, 64, 3), (2, 48, 63, 3)])
def test_write_video_rejects_odd_sizes(tmp_path: Path, shape: tuple[int, ...]) -> None:
    frames = np.zeros(shape, dtype=np.uint8)
    with pytest.raises(ValueError, match=rf"even width and height.*{re_shape(shape)}"):
        write_video(tmp_path / "odd.mp4", frames, fps=8)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("frames", "fps", "message"),
    [
        (np.zeros((2, 48, 64), np.uint8), 8, r"\(T, H, W, 3\) uint8.*shape \(2, 48, 64\)"),
        (np.zeros((2, 48, 64, 3), np.float32), 8, "dtype float32"),
        (np.zeros((0, 48, 64, 3), np.uint8), 8, "at least one frame"),
        (np.zeros((2, 48, 64, 3), np.uint8), 0, "fps must be a positive number"),
        (np.zeros((2, 48, 64, 3), np.uint8), math.nan, "fps must be a positive number"),
    ],
)
def test_write_video_rejects_bad_input(tmp_path: Path, frames: np.ndarray, fps: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_video(tmp_path / "bad.mp4", frames, fps=fps)


def re_shape(shape: tuple[int, ...]) -> str:
    """A regex matching the tuple as Python prints it."""
    return r"\(" + ", ".join(str(s) for s in shape) + r"\)"
