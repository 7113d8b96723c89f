"""The content-addressed video store, and the record of each video a run uses.

A generated video lives at ``<root>/<adapter fingerprint[:16]>/<prompt_id>-<seed>-<key[:12]>.mp4``,
where ``key`` hashes the adapter fingerprint, the prompt text, the seed and, for adapters that draw
from them, the prompt's controls: anything that changes the pixels changes the path, so a rerun finds
what it made before and generates only what is missing. Adapters write to a temporary path that the
store renames into place, so a killed run never leaves a half-written video under a final name; what
the adapter reported about the video is kept beside it (``<video>.json``) for the sample logs of reruns.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scine_eval.fingerprint import fingerprint


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
    """Where generating adapters' videos go, keyed by what determines their pixels."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser()

    def path_for(
        self, adapter_fingerprint: str, prompt_id: str, prompt: str, seed: int, controls: tuple = ()
    ) -> Path:
        key = fingerprint([adapter_fingerprint, prompt, seed, *([list(map(list, controls))] if controls else [])])
        safe_id = re.sub(r"[^A-Za-z0-9_.-]+", "_", prompt_id)[:80]
        return self.root / adapter_fingerprint[:16] / f"{safe_id}-{seed}-{key[:12]}.mp4"

    @staticmethod
    def partial_path(final: Path) -> Path:
        """The temporary name an adapter writes to before :meth:`commit` moves it into place."""
        return final.with_name(f".{final.stem}.partial{final.suffix}")

    @staticmethod
    def commit(partial: Path, final: Path, metadata: dict[str, Any] | None = None) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        if metadata:  # written first: a video in place always has its metadata
            VideoStore._metadata_path(final).write_text(json.dumps(metadata, sort_keys=True), encoding="utf-8")
        os.replace(partial, final)

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
