"""``cached``: videos that were generated elsewhere, in a folder.

Videos are found through a manifest (``manifest.jsonl`` in the folder, or ``manifest=PATH``; rows
``{"prompt_id": ..., "seed": ..., "path": ...}`` with paths relative to the folder) or, for requests
the manifest does not list, through a naming convention (``pattern``, default ``{prompt_id}-{seed}.mp4``).

Every video must resolve inside the folder: ``..``, an absolute path elsewhere, or a symlink in the folder
that leads out of it fails that sample (its error names the row, the path and where it leads), not the
run. An absolute path *inside* the folder is accepted, because generation scripts often write absolute
paths and what matters is where a path leads, not how it is spelt. Paths are resolved when the video is
looked up, so a symlink changed after the manifest was read is still checked.

A missing video is an error on that sample, counted in the results; ``--strict`` makes it fatal. Whatever
exists at a video's path (a directory, say) is handed on, and probing it says why it is unusable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scine_eval.contracts.model import GeneratedVideo, GenerationRequest, ModelAdapter, register_model
from scine_eval.errors import ConfigError
from scine_eval.video import sha256_file


@register_model("cached", "folder")
class CachedVideos(ModelAdapter):
    """Reads already-generated videos from a folder.

    Args:
        path: the folder of videos.
        manifest: a JSONL manifest (default: ``manifest.jsonl`` in the folder, if present).
        pattern: the file name of a request not in the manifest, formatted with ``prompt_id`` and ``seed``.
        model_name: the name results and leaderboards show (default: the folder's name).
        revision: the generating model's revision, if known (shown as ``model_sha``).
    """

    def __init__(
        self,
        path: str,
        manifest: str | None = None,
        pattern: str = "{prompt_id}-{seed}.mp4",
        model_name: str | None = None,
        revision: str | None = None,
    ):
        self.root = Path(path).expanduser().resolve()
        if not self.root.is_dir():
            raise ConfigError("video folder not found (model_args path=...)", path=self.root)
        try:
            pattern.format(prompt_id="p", seed=0)
        except (KeyError, IndexError, ValueError) as error:
            raise ConfigError(
                f"model_args pattern {pattern!r} is not a file name pattern ({type(error).__name__}: {error}); "
                "its placeholders are prompt_id, seed"
            ) from None
        self.pattern = pattern
        self.model_name = model_name or self.root.name
        self.revision = revision or ""
        manifest_path = Path(manifest).expanduser() if manifest else self.root / "manifest.jsonl"
        if manifest and not manifest_path.is_file():
            raise ConfigError("manifest not found (model_args manifest=...)", path=manifest_path)
        self.manifest_path = manifest_path if manifest_path.is_file() else None
        # Hashed when read, so the fingerprint describes the rows in use even if the file changes later.
        self.manifest_sha256 = sha256_file(self.manifest_path) if self.manifest_path else None
        # (prompt id, seed) -> (the row's path as written, "line N"); resolved on lookup.
        self.entries = self._read_manifest(self.manifest_path) if self.manifest_path else {}

    def _read_manifest(self, path: Path) -> dict[tuple[str, int], tuple[str, str]]:
        """The manifest's rows; a malformed row (not JSON, a key missing, a bad seed, a duplicate) is fatal.

        A row's path is only checked on lookup: a path leading out of the folder fails that sample.
        """
        entries: dict[tuple[str, int], tuple[str, str]] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"line {number}"
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ConfigError(
                        'not a JSON object (rows are {"prompt_id": ..., "seed": ..., "path": ...})',
                        path=path,
                        where=where,
                    )
                seed = row["seed"]
                if isinstance(seed, bool) or (isinstance(seed, float) and not seed.is_integer()):
                    raise ValueError(seed)  # int() would quietly turn true into 1 and 1.5 into 1
                key = (str(row["prompt_id"]), int(seed))
                video = row["path"]
                if not isinstance(video, str):
                    raise ConfigError(
                        f"path {video!r} is not a string (a file path relative to the video folder)",
                        path=path,
                        where=where,
                    )
            except json.JSONDecodeError as error:
                raise ConfigError(f"not JSON: {error.msg}", path=path, where=where) from None
            except KeyError as error:
                raise ConfigError(
                    f"missing key {error.args[0]!r} (rows need prompt_id, seed, path)", path=path, where=where
                ) from None
            except (TypeError, ValueError):
                raise ConfigError(f"seed {row.get('seed')!r} is not an integer", path=path, where=where) from None
            if key in entries:
                raise ConfigError(f"prompt {key[0]!r} seed {key[1]} is listed twice", path=path, where=where)
            entries[key] = (video, where)
        return entries

    def _inside(self, listed: str, source: Path | str, where: str) -> Path:
        """``listed`` (relative to the folder, or absolute) resolved, symlinks followed.

        Raises:
            ConfigError: it leads outside the folder, or cannot be resolved (a symlink loop, a NUL byte).
        """
        joined = self.root / listed  # an absolute ``listed`` replaces the root
        try:
            resolved = joined.resolve()
        except (OSError, RuntimeError, ValueError) as error:  # RuntimeError: a symlink loop (Python < 3.13)
            raise ConfigError(f"path {listed!r} cannot be resolved ({error})", path=source, where=where) from None
        if not resolved.is_relative_to(self.root):
            # Inside before symlinks are followed, outside after: a symlink leads out.
            through = " through a symlink" if Path(os.path.normpath(joined)).is_relative_to(self.root) else ""
            raise ConfigError(
                f"path {listed!r} escapes the video folder {str(self.root)!r}: it leads{through} to "
                f"{str(resolved)!r}; a video must be a file inside the folder (relative to it, or absolute "
                "within it)",
                path=source,
                where=where,
            )
        return resolved

    def locate(self, prompt_id: str, seed: int) -> Path:
        """Where the video for (prompt, seed) should be (whether or not it exists).

        Raises:
            ConfigError: the manifest row or the pattern leads outside the folder; the message names the
                manifest and its line (or the pattern), the prompt and seed, the path and where it leads.
        """
        if (prompt_id, seed) in self.entries:
            listed, line = self.entries[(prompt_id, seed)]
            return self._inside(listed, str(self.manifest_path), f"{line} (prompt {prompt_id!r} seed {seed})")
        name = self.pattern.format(prompt_id=prompt_id, seed=seed)
        return self._inside(name, "model_args pattern", f"prompt {prompt_id!r}")

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GeneratedVideo]:
        """One result per request: the path when something is there, else an error for that sample only."""
        out = []
        for request in requests:
            try:
                path = self.locate(request.prompt_id, request.seed)
            except ConfigError as error:
                out.append(GeneratedVideo(request, None, error=str(error)))
                continue
            if _exists(path):
                out.append(GeneratedVideo(request, path))
            else:
                out.append(GeneratedVideo(request, None, error=f"missing video: expected {path}"))
        return out

    def spec(self) -> dict[str, Any]:
        return {
            "adapter": self.name,
            "root": str(self.root),
            "pattern": self.pattern,
            "manifest_sha256": self.manifest_sha256,
        }

    def model_info(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "model_sha": self.revision, "model_dtype": ""}


def _exists(path: Path) -> bool:
    """Whether anything is at ``path``; only "no such entry" counts as missing.

    A directory, a device or a file that cannot be read is there but unusable: it is handed on so that
    probing it reports why ("is a directory", "permission denied") instead of "missing".
    """
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True
