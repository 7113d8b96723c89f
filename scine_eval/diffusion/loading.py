"""Loading a diffusers pipeline from a Hub id or a folder, with every failure named.

A local folder and a Hub id go through the same ``DiffusionPipeline.from_pretrained`` call, which picks the
pipeline class from the folder's ``model_index.json``. What can go wrong before any weights load (a missing
extra, a folder that is no pipeline, a Hub id that cannot be reached offline) is checked by
:func:`locate`, which the adapter calls when it is built, so a run fails before any other work.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scine_eval.errors import ConfigError, MissingDependencyError
from scine_eval.fingerprint import fingerprint

__all__ = ["Located", "load_pipeline", "locate", "require_diffusers"]

SHIFT_KEYS = ("flow_shift", "shift")
"""Scheduler config keys that hold the flow-matching shift (UniPC for Wan uses ``flow_shift``, Euler ``shift``)."""


def require_diffusers() -> None:
    """Raises :class:`MissingDependencyError` naming the ``gen`` extra when diffusers or torch is missing."""
    for package in ("torch", "diffusers", "transformers"):
        try:
            __import__(package)
        except ImportError:
            raise MissingDependencyError(package, "gen") from None


@dataclass(frozen=True)
class Located:
    """Where a pipeline's files are, and what identifies them."""

    folder: Path | None
    """The local folder (``None`` until a Hub id is downloaded at load time)."""
    revision_sha: str
    """The Hub commit of the files, or a content hash of a local folder's configs."""
    index: dict[str, Any]
    """``model_index.json``: the pipeline class and each component's class."""

    @property
    def pipeline_class(self) -> str:
        return str(self.index.get("_class_name", ""))

    @property
    def scheduler_class(self) -> str:
        entry = self.index.get("scheduler") or ["", ""]
        return str(entry[1]) if isinstance(entry, list) and len(entry) == 2 else ""


def locate(pretrained: str, revision: str | None = None) -> Located:
    """Finds the pipeline's ``model_index.json`` (downloading only that file for a Hub id) without loading weights."""
    path = Path(pretrained).expanduser()
    if path.exists() or pretrained.startswith((".", "/", "~")):
        if not path.is_dir():
            raise ConfigError("not a folder: pretrained must be a diffusers pipeline folder or a Hub id", path=path)
        index_file = path / "model_index.json"
        if not index_file.is_file():
            raise ConfigError(
                "not a diffusers pipeline folder: it has no model_index.json (save one with "
                "pipeline.save_pretrained(folder), or give a Hub id such as Wan-AI/Wan2.1-T2V-1.3B-Diffusers)",
                path=path,
            )
        configs = sorted(p for p in path.glob("*/*config.json")) + [index_file]
        sha = fingerprint([(p.relative_to(path).as_posix(), p.read_text(encoding="utf-8")) for p in configs])[:40]
        return Located(path, f"local-{sha[:12]}", json.loads(index_file.read_text(encoding="utf-8")))
    return _locate_on_hub(pretrained, revision)


def _locate_on_hub(repo_id: str, revision: str | None) -> Located:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    try:
        index_file = Path(hf_hub_download(repo_id, "model_index.json", revision=revision))
    except LocalEntryNotFoundError:
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
        why = "HF_HUB_OFFLINE is set" if offline else "the Hub cannot be reached"
        raise ConfigError(
            f"pipeline {repo_id!r} is not in the local Hugging Face cache and {why}: download it once "
            f"(huggingface-cli download {repo_id}) or pass pretrained=<local folder>"
        ) from None
    except (RepositoryNotFoundError, HfHubHTTPError, ValueError) as error:
        raise ConfigError(f"pipeline {repo_id!r} could not be found on the Hub: {error}") from None
    # A snapshot lives in .../snapshots/<commit sha>/: the sha pins exactly what was evaluated.
    return Located(None, index_file.parent.name, json.loads(index_file.read_text(encoding="utf-8")))


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """Hides diffusers' per-component loading bar (the run draws its own), restoring the user's setting."""
    from diffusers.utils import logging as diffusers_logging

    was_enabled = diffusers_logging.is_progress_bar_enabled()
    diffusers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            diffusers_logging.enable_progress_bar()


def load_pipeline(
    pretrained: str,
    revision: str | None,
    dtype: str,
    device: str,
    flow_shift: float | None = None,
    offload: str = "none",
    vae_tiling: bool = False,
    compile_transformer: bool = False,
) -> Any:
    """The pipeline in eval mode on ``device`` (or offloaded), its scheduler shifted and its VAE tiled as asked."""
    import torch

    from scine_eval.compat import ensure_torchvision

    ensure_torchvision()  # before diffusers imports transformers (PyPI's torchvision is a CUDA build)
    from diffusers import DiffusionPipeline

    try:
        with _quiet_loading():
            pipe = DiffusionPipeline.from_pretrained(pretrained, revision=revision, torch_dtype=getattr(torch, dtype))
    except (OSError, ValueError) as error:
        raise ConfigError(f"pipeline {pretrained!r} could not be loaded: {str(error).splitlines()[0]}") from None
    if flow_shift is not None:
        key = next((k for k in SHIFT_KEYS if k in pipe.scheduler.config), None)
        if key is None:
            raise ConfigError(f"flow_shift={flow_shift}: the scheduler {type(pipe.scheduler).__name__} has no shift")
        pipe.scheduler = type(pipe.scheduler).from_config(pipe.scheduler.config, **{key: flow_shift})
    if vae_tiling and hasattr(pipe, "vae") and hasattr(pipe.vae, "enable_tiling"):
        pipe.vae.enable_tiling()
    if offload == "model":
        pipe.enable_model_cpu_offload()
    elif offload == "sequential":
        pipe.enable_sequential_cpu_offload()
    else:
        pipe.to(device)
    if compile_transformer and getattr(pipe, "transformer", None) is not None:
        pipe.transformer = torch.compile(pipe.transformer)
    pipe.set_progress_bar_config(disable=True)  # the runner draws one bar per video
    return pipe
