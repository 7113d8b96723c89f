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


TABLE_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
"""Local table files ``datasets`` reads, by suffix."""


def load_table_rows(source: str | Path, split: str) -> tuple[list[dict], Path | None]:
    """Rows of a local ``.jsonl``/``.csv``/``.parquet`` file or a Hub dataset id, through ``datasets``.

    Returns the rows and the local file (``None`` for a Hub dataset). Every failure is a
    :class:`ConfigError` naming the source.
    """
    import datasets

    path = Path(source).expanduser()
    with quiet_datasets():
        try:
            if path.exists():
                builder = TABLE_FORMATS.get(path.suffix.lower())
                if builder is None or not path.is_file():
                    raise ConfigError(f"annotations must be a file ending in {', '.join(TABLE_FORMATS)}", path=path)
                return datasets.load_dataset(builder, data_files=str(path), split="train").to_list(), path.resolve()
            return datasets.load_dataset(str(source), split=split).to_list(), None
        except ConfigError:
            raise
        except Exception as error:  # datasets raises many types; all mean "cannot read these annotations"
            raise ConfigError(f"cannot load annotations: {type(error).__name__}: {error}", path=source) from None
