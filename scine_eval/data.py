"""Reading the files users and the package provide: bundled data, YAML, pydantic messages."""

from __future__ import annotations

import contextlib
import importlib.resources
from collections.abc import Iterator
from pathlib import Path

import yaml
from pydantic import ValidationError

from scine_eval.errors import ConfigError


def bundled_path(*parts: str) -> Path:
    """A path inside the bundled task data (the repository's ``tasks/`` folder)."""
    return Path(str(importlib.resources.files("scine_eval.task_data").joinpath(*parts)))


def read_yaml(path: Path) -> object:
    """Parses a YAML file; syntax errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=path) from None
    except (UnicodeDecodeError, OSError) as error:
        raise ConfigError(f"cannot read: {error}", path=path) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"invalid YAML: {problem}", path=path, where=where) from None


def validation_message(error: ValidationError) -> str:
    """The first pydantic error as "key 'a.b': what is wrong" (unknown keys say so plainly)."""
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    return f"key {key!r}: {message}" if key else message


@contextlib.contextmanager
def quiet_datasets() -> Iterator[None]:
    """Hides ``datasets``' per-split progress bars for our small tables, restoring the user's setting."""
    import datasets.utils as ds_utils
    from datasets.utils import logging as ds_logging

    was_enabled = not ds_utils.are_progress_bars_disabled()
    level = ds_logging.get_verbosity()
    ds_utils.disable_progress_bars()
    ds_logging.set_verbosity_error()
    try:
        yield
    finally:
        ds_logging.set_verbosity(level)
        if was_enabled:
            ds_utils.enable_progress_bars()
