"""Tests of the video store's temporary files (scine_eval/store.py): naming, committing, and cleaning up after kills.

A "killed writer" is a real child process that leaves its temporary files behind with ``os._exit`` (no
``finally`` block runs, as under SIGKILL); a "live writer" is a child that keeps running while the store
is opened, like another rank of a torchrun job sharing the store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scine_eval import store as store_module
from scine_eval.errors import VideoError
from scine_eval.store import VideoStore
from scine_eval.video import probe, write_video, writer_id
from tests.helpers import clip, subprocess_env

FOLDER = "0123456789abcdef"  # an adapter fingerprint's folder

_WRITER = """
import os, sys, time
from pathlib import Path
import numpy as np
from scine_eval import video
from scine_eval.store import VideoStore

folder, mode = Path(sys.argv[1]), sys.argv[2]
frames = np.zeros((2, 16, 16, 3), dtype=np.uint8)
partial = VideoStore.partial_path(folder / "p-0-aaaaaaaaaaaa.mp4")
if mode == "killed-in-encoder":  # dies inside write_video, before its temporary is renamed
    video.os.replace = lambda src, dst: os._exit(9)
video.write_video(partial, frames, fps=4)
if mode == "killed-before-commit":  # the adapter finished writing, the store never moved it into place
    os._exit(9)
print(partial, flush=True)  # "live": the partial is written; wait, like a writer in the middle of its work
time.sleep(120)
"""


def writer(folder: Path, mode: str, tmp_path: Path) -> subprocess.Popen:
    """A child process writing into ``folder`` of the store, in the given ``mode`` (see ``_WRITER``)."""
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(folder), mode],
        env=subprocess_env(tmp_path),
        stdout=subprocess.PIPE,
        text=True,
    )


def killed_writer(folder: Path, mode: str, tmp_path: Path) -> list[Path]:
    """Runs a writer that dies part-way; returns the temporary files it left in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    process = writer(folder, mode, tmp_path)
    assert process.wait(timeout=60) == 9
    left = sorted(set(folder.iterdir()) - before)
    assert left, f"the {mode} writer left nothing behind"
    return left


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture
def root(tmp_path) -> Path:
    (tmp_path / "videos" / FOLDER).mkdir(parents=True)
    return tmp_path / "videos"


# -- names ------------------------------------------------------------------------------------------


def test_partial_path_is_hidden_beside_the_final_and_names_its_writer(root):
    """Same folder (an atomic rename), same extension (FFmpeg picks the container from it), this process's id."""
    final = root / FOLDER / "p-0-aaaaaaaaaaaa.mp4"
    partial = VideoStore.partial_path(final)
    assert partial.parent == final.parent and partial.suffix == ".mp4"
    assert partial.name == f".p-0-aaaaaaaaaaaa.partial.{writer_id()}.mp4"


def test_the_longest_store_names_still_fit_a_file_system(root):
    """A partial written through write_video holds the writer's id twice; the longest prompt id still fits 255 bytes."""
    store = VideoStore(root)
    final = store.path_for("f" * 64, "p" * 300, "A shot.", 2**31 - 1)
    partial = write_video(VideoStore.partial_path(final), clip(4), fps=4)
    VideoStore.commit(partial, final)
    assert final.is_file()


# -- cleaning up after killed runs ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["killed-before-commit", "killed-in-encoder"])
def test_opening_the_store_removes_what_a_killed_writer_left(root, tmp_path, mode):
    """A dead writer's partial (or write_video's temporary inside it) is removed when the store is opened."""
    folder = root / FOLDER
    video = write_video(folder / "q-0-bbbbbbbbbbbb.mp4", clip(1), fps=4)
    VideoStore.commit(video, video, {"kept": True})  # a finished video with its metadata: must stay
    left = killed_writer(folder, mode, tmp_path)
    kinds = {".tmp." in p.name for p in left}
    assert kinds == ({True} if mode == "killed-in-encoder" else {False})
    store = VideoStore(root)
    assert not any(p.exists() for p in left)
    assert sorted(p.name for p in folder.iterdir()) == ["q-0-bbbbbbbbbbbb.mp4", "q-0-bbbbbbbbbbbb.mp4.json"]
    assert store.remove_stale() == []


def test_a_live_writers_partial_is_kept_until_it_dies(root, tmp_path):
    """Another live process's partial (another rank) survives the store being opened; once it is killed, it goes."""
    folder = root / FOLDER
    process = writer(folder, "live", tmp_path)
    try:
        partial = Path(process.stdout.readline().strip())
        assert partial.is_file() and f".{process.pid}.mp4" in partial.name
        assert VideoStore(root).remove_stale() == [] and partial.is_file()
    finally:
        process.kill()
        process.wait(timeout=30)
    assert VideoStore(root).remove_stale() == [] and not partial.exists()  # removed on opening, already


def test_this_processs_own_fresh_partial_is_kept(root):
    """A partial with this process's pid, written after it started, is its own work in progress."""
    partial = VideoStore.partial_path(root / FOLDER / "p-0-aaaaaaaaaaaa.mp4")
    partial.write_bytes(b"half a video")
    assert VideoStore(root).remove_stale() == [] and partial.is_file()


def test_a_partial_with_this_pid_from_before_this_process_is_removed(root):
    """The same pid but older than this process: an earlier process that had the pid (a restarted container)."""
    partial = VideoStore.partial_path(root / FOLDER / "p-0-aaaaaaaaaaaa.mp4")
    partial.write_bytes(b"half a video")
    before = store_module._STARTED - 60
    os.utime(partial, (before, before))
    assert VideoStore(root, clean=False).remove_stale() == [partial]


@pytest.mark.parametrize(
    "name",
    [
        ".p-0-aaaaaaaaaaaa.partial.other-host.123.mp4",  # another machine: its pids cannot be checked
        ".p-0-aaaaaaaaaaaa.partial.mp4",  # an older version's partial, no writer named
        ".p-0-aaaaaaaaaaaa.0123456789ab.tmp.mp4",  # an older version's write_video temporary
    ],
)
def test_unverifiable_writers_files_go_only_when_old(root, name):
    """Files whose writer cannot be checked are kept while recent and removed after ``stale_after_s``."""
    path = root / FOLDER / name
    path.write_bytes(b"half a video")
    store = VideoStore(root, clean=False)
    now = time.time()
    assert store.remove_stale(now=now) == [] and path.is_file()
    assert store.remove_stale(now=now + store.stale_after_s + 1) == [path] and not path.exists()


def test_a_live_pid_is_trusted_only_for_a_day(root):
    """A partial of a live pid untouched for ``stale_after_s`` is removed anyway (the pid was reused, or it hung)."""
    partial = root / FOLDER / f".p-0-aaaaaaaaaaaa.partial.{writer_id().rpartition('.')[0]}.1.mp4"
    partial.write_bytes(b"half a video")
    store = VideoStore(root, clean=False)
    assert store.remove_stale() == []  # pid 1 is alive (or cannot be signalled): kept
    assert store.remove_stale(now=time.time() + store.stale_after_s + 1) == [partial]


@pytest.mark.parametrize(
    "name",
    [
        "p-0-aaaaaaaaaaaa.mp4",
        "p-0-aaaaaaaaaaaa.mp4.json",
        ".hidden-note.txt",
        ".x.partial.host.12-0-123456789012.mp4",  # a final video whose prompt id looks like a partial name
    ],
)
def test_only_temporary_names_are_ever_removed(root, name):
    """Videos, their metadata and unrelated files are never removed, however old."""
    path = root / FOLDER / name
    path.write_bytes(b"x")
    store = VideoStore(root, clean=False)
    assert store.remove_stale(now=time.time() + 10 * store.stale_after_s) == [] and path.is_file()


def test_cleaning_a_store_that_does_not_exist_or_cannot_be_listed(tmp_path):
    """No store folder yet, or a file where it should be: nothing to clean, and no error."""
    assert VideoStore(tmp_path / "absent").remove_stale() == []
    (tmp_path / "file").write_text("x")
    assert VideoStore(tmp_path / "file").remove_stale() == []


# -- commit ------------------------------------------------------------------------------------------


def test_commit_moves_the_partial_into_place_with_its_metadata(root):
    final = root / FOLDER / "p-0-aaaaaaaaaaaa.mp4"
    partial = write_video(VideoStore.partial_path(final), clip(2), fps=4)
    VideoStore.commit(partial, final, {"seed": 0})
    assert final.is_file() and not partial.exists()
    assert VideoStore.metadata(final) == {"seed": 0}
    assert hidden(final.parent) == []


def test_commit_onto_a_directory_drops_the_video_and_probing_says_why(root):
    """A directory squatting on the final name: no IsADirectoryError ending the run; probing fails that sample."""
    final = root / FOLDER / "p-0-aaaaaaaaaaaa.mp4"
    final.mkdir()
    partial = write_video(VideoStore.partial_path(final), clip(3), fps=4)
    VideoStore.commit(partial, final, {"seed": 0})
    assert final.is_dir() and not partial.exists()
    with pytest.raises(VideoError, match="is a directory, not a video file"):
        probe(final)
