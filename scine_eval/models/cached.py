"""``cached``: videos that were generated elsewhere, in a folder.

Videos are found through a manifest (``manifest.jsonl`` in the folder, or ``manifest=PATH``; rows
``{"prompt_id": ..., "seed": ..., "path": ...}`` with paths relative to the folder) or, for requests
the manifest does not list, through a naming convention (``pattern``, default ``{prompt_id}-{seed}.mp4``).
Paths that resolve outside the folder are rejected. A missing video is an error on that sample, counted
in the results; ``--strict`` makes it fatal.
"""

from __future__ import annotations

import json
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
        self.entries = self._read_manifest(self.manifest_path) if self.manifest_path else {}

    def _read_manifest(self, path: Path) -> dict[tuple[str, int], Path]:
        entries: dict[tuple[str, int], Path] = {}
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
            entries[key] = self._inside(str(video), path, where)
        return entries

    def _inside(self, relative: str, source: Path | str, where: str) -> Path:
        resolved = (self.root / relative).resolve()
        if not resolved.is_relative_to(self.root):
            raise ConfigError(
                f"path {relative!r} escapes the video folder {str(self.root)!r}", path=source, where=where
            )
        return resolved

    def locate(self, prompt_id: str, seed: int) -> Path:
        """Where the video for (prompt, seed) should be (whether or not it exists)."""
        if (prompt_id, seed) in self.entries:
            return self.entries[(prompt_id, seed)]
        name = self.pattern.format(prompt_id=prompt_id, seed=seed)
        return self._inside(name, "model_args pattern", f"prompt {prompt_id!r}")

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GeneratedVideo]:
        out = []
        for request in requests:
            try:
                path = self.locate(request.prompt_id, request.seed)
            except ConfigError as error:
                out.append(GeneratedVideo(request, None, error=str(error)))
                continue
            if path.is_file():
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
