"""The content-addressed video store, and the record of each video a run uses.

A generated video lives at ``<root>/<adapter fingerprint[:16]>/<prompt_id>-<seed>-<key[:12]>.mp4``,
where ``key`` hashes the adapter fingerprint, the prompt text, the seed and, for adapters that draw
from them, the prompt's controls: anything that changes the pixels changes the path, so a rerun finds
what it made before and generates only what is missing. Adapters write to a temporary path that the
store renames into place, so a killed run never leaves a half-written video under a final name; what
the adapter reported about the video is kept beside it (``<video>.json``) for the sample logs of reruns.

Temporary names carry their writer's id (``<machine>.<pid>``, :func:`scine_eval.video.writer_id`), and
opening the store removes those a killed run left (:meth:`VideoStore.remove_stale`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scine_eval.fingerprint import fingerprint
from scine_eval.video import writer_id

log = logging.getLogger(__name__)

_STARTED = time.time()
"""When this process began using the store (this module's import): a temporary file with this process's
pid but older than this was left by an earlier process that had the same pid (a restarted container)."""

_OWNED = re.compile(r"^\..*\.(?:partial|tmp)\.(?P<machine>[A-Za-z0-9-]+)\.(?P<pid>\d+)(?:\.[A-Za-z0-9]+)?$")
"""A temporary name with its writer's id: a store partial (``.<stem>.partial.<machine>.<pid>.mp4``) or a
:func:`~scine_eval.video.write_video` temporary (``.<stem>.<hex>.tmp.<machine>.<pid>.mp4``)."""
_ANONYMOUS = re.compile(r"^\..*\.(?:partial|[0-9a-f]{12}\.tmp)(?:\.[A-Za-z0-9]+)?$")
"""The same, from versions that did not name the writer (only their age can tell they are dead)."""


@dataclass(frozen=True)
class VideoRecord:
    """A video a run judges (or failed to get), with its content hash and metadata."""

    prompt_id: str
    seed: int
    sample_index: int
    path: str | None
    sha256: str | None = None
    error: str | None = None
    """Why there is no usable video: missing, corrupt, not a video, no frames, generation failed."""
    info: dict[str, Any] = field(default_factory=dict)
    """Width, height, native fps, frame count, duration and codec, from probing the file."""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class VideoStore:
    """Where generating adapters' videos go, keyed by what determines their pixels.

    Args:
        root: the store's folder (need not exist yet).
        clean: remove the temporary files killed runs left (:meth:`remove_stale`) on opening.
    """

    stale_after_s: float = 24 * 3600
    """A temporary file not modified for this long is a dead writer's, whoever wrote it: a live writer
    encoding a video touches its file far more often, and this bounds what a reused pid or a writer on
    another machine (whose pid cannot be checked) keeps on disk."""

    def __init__(self, root: str | Path, clean: bool = True):
        self.root = Path(root).expanduser()
        if clean:
            removed = self.remove_stale()
            if removed:
                log.info("removed %d temporary video file(s) left by killed runs in %s", len(removed), self.root)

    def path_for(
        self, adapter_fingerprint: str, prompt_id: str, prompt: str, seed: int, controls: tuple = ()
    ) -> Path:
        key = fingerprint([adapter_fingerprint, prompt, seed, *([list(map(list, controls))] if controls else [])])
        safe_id = re.sub(r"[^A-Za-z0-9_.-]+", "_", prompt_id)[:80]
        return self.root / adapter_fingerprint[:16] / f"{safe_id}-{seed}-{key[:12]}.mp4"

    @staticmethod
    def partial_path(final: Path) -> Path:
        """The temporary name an adapter writes to before :meth:`commit` moves it into place.

        It names this process (:func:`~scine_eval.video.writer_id`), so that :meth:`remove_stale` in
        another process never removes it while this one lives, and two writers never share one.
        """
        return final.with_name(f".{final.stem}.partial.{writer_id()}{final.suffix}")

    @staticmethod
    def commit(partial: Path, final: Path, metadata: dict[str, Any] | None = None) -> None:
        """Moves a finished ``partial`` to its ``final`` name (atomically), its metadata first.

        A directory squatting on the final name cannot be replaced by a file: the partial is dropped
        and the directory left, so probing ``final`` fails that one sample with "is a directory"
        instead of an ``IsADirectoryError`` ending the whole run.
        """
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.is_dir():
            log.warning("%s is a directory, not a video file: the video generated for it is dropped", final)
            partial.unlink(missing_ok=True)
            return
        if metadata:  # written first: a video in place always has its metadata
            VideoStore._metadata_path(final).write_text(json.dumps(metadata, sort_keys=True), encoding="utf-8")
        os.replace(partial, final)

    def remove_stale(self, now: float | None = None) -> list[Path]:
        """Removes the temporary videos (partials, write temporaries) that killed runs left; returns them.

        The store is shared by the ranks of a torchrun job and by concurrent runs, so a file is removed
        only when its writer is known to be gone (:meth:`is_stale`): never a live process's file. Files
        that cannot be listed or removed are skipped, so cleaning never fails a run.

        Args:
            now: the current time (``time.time()``), for tests.
        """
        now = time.time() if now is None else now
        removed: list[Path] = []
        try:
            folders = [entry.path for entry in os.scandir(self.root) if entry.is_dir(follow_symlinks=False)]
        except OSError:  # no store yet, or not readable: nothing to clean
            return removed
        for folder in folders:
            try:
                entries = [entry for entry in os.scandir(folder) if entry.name.startswith(".")]
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False) and self.is_stale(entry.name, entry.stat().st_mtime, now):
                        os.unlink(entry.path)
                        removed.append(Path(entry.path))
                except OSError as error:  # gone already (another rank cleaned it), or not ours to remove
                    log.debug("could not remove %s: %s", entry.path, error)
        return removed

    def is_stale(self, name: str, mtime: float, now: float) -> bool:
        """Whether the file ``name`` (modified at ``mtime``) is a temporary file whose writer is gone.

        * not a temporary name: never (videos and their metadata are kept);
        * not modified for :attr:`stale_after_s`: yes, whoever wrote it;
        * written on this machine by another pid: yes when that pid is no longer running;
        * written with this process's pid: yes when older than this process (an earlier process with
          the same pid, as in a restarted container);
        * written on another machine (whose pids cannot be checked), or by an older version that did
          not name the writer: only by age.
        """
        owned = _OWNED.match(name)
        if not owned and not _ANONYMOUS.match(name):
            return False
        if now - mtime > self.stale_after_s:
            return True
        if not owned:
            return False
        machine, _, pid = writer_id().rpartition(".")
        if owned["machine"] != machine:
            return False
        if int(owned["pid"]) == int(pid):
            return mtime < _STARTED
        return not _pid_alive(int(owned["pid"]))

    @staticmethod
    def metadata(final: Path) -> dict[str, Any]:
        """What the adapter reported when it made ``final`` (empty if nothing, or unreadable)."""
        try:
            return json.loads(VideoStore._metadata_path(final).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    @staticmethod
    def _metadata_path(final: Path) -> Path:
        return final.with_name(final.name + ".json")


def _pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (True when that cannot be told: keep its files)."""
    if pid <= 0 or os.name == "nt":  # on Windows, signal 0 would be CTRL_C_EVENT, not a probe
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    return True
