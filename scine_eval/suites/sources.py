"""Reading what suites are built from: hand-written scripts with their Events labels, and users' prompt files.

Scripts are JSONL rows ``{"id", "text", "genre", "duration", "events": [[leaf, value], ...]}`` (a file,
or a folder of ``*.jsonl`` read in name order). A prompt file is plain text (one prompt per line) or
JSONL (``{"text": ..., "id"?: ..., "genre"?: ..., "duration"?: ...}`` per line). Empty lines and
duplicate prompts are skipped and counted, never fatal; text that is not UTF-8 is an error naming the
file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from scine_eval.errors import ConfigError
from scine_eval.readers import validation_message
from scine_eval.taxonomy import Taxonomy


class Script(BaseModel):
    """A SCINE-Scripts prompt: one narrative shot and the Events controls it sets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    genre: str
    duration: float
    events: tuple[tuple[str, str], ...]

    @field_validator("id", "text", "genre")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()


def load_scripts(source: str | Path, taxonomy: Taxonomy) -> list[Script]:
    """Reads and validates scripts; faults name the file, the line and the field."""
    scripts: list[Script] = []
    seen: dict[str, str] = {}
    for path, line_no, row in jsonl_rows(Path(source)):
        where = f"line {line_no}"
        try:
            script = Script.model_validate(row)
        except ValidationError as error:
            raise ConfigError(validation_message(error), path=path, where=where) from None
        if script.id in seen:
            raise ConfigError(f"duplicate script id {script.id!r} (first in {seen[script.id]})", path=path, where=where)
        canonical = []
        for node_id, value in script.events:
            if node_id not in taxonomy or not taxonomy[node_id].is_leaf:
                raise ConfigError(f"{node_id!r} is not a taxonomy leaf", path=path, where=where)
            try:
                canonical.append((node_id, taxonomy.canonical_value(node_id, value)))
            except ValueError as error:
                raise ConfigError(str(error), path=path, where=where) from None
        seen[script.id] = f"{path.name} {where}"
        scripts.append(script.model_copy(update={"events": tuple(canonical)}))
    return scripts


def jsonl_rows(source: Path) -> Iterator[tuple[Path, int, dict]]:
    """(file, line number, object) for every non-empty line of a .jsonl file or a folder of them."""
    files = sorted(source.glob("*.jsonl")) if source.is_dir() else [source]
    if not files or not all(f.is_file() for f in files):
        raise ConfigError("no scripts: expected a .jsonl file or a folder of them", path=source)
    for path in files:
        for line_no, line in enumerate(_lines(path), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ConfigError(f"invalid JSON: {error.msg}", path=path, where=f"line {line_no}") from None
            if not isinstance(row, dict):
                raise ConfigError("each line must be a JSON object", path=path, where=f"line {line_no}")
            yield path, line_no, row


def _lines(path: Path) -> list[str]:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text (byte {error.start} is {data[error.start]:#04x}); save the file as UTF-8",
            path=path,
            where=f"line {line}",
        ) from None


@dataclass(frozen=True)
class UserPrompt:
    id: str
    text: str
    genre: str | None = None
    duration: float | None = None


@dataclass
class PromptFile:
    """The prompts of a user's file, and what was skipped (line numbers)."""

    prompts: list[UserPrompt] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)


def read_prompt_file(path: str | Path) -> PromptFile:
    """Reads a .txt (one prompt per line) or .jsonl prompt file; see the module docstring."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("prompt file not found", path=path)
    out, seen = PromptFile(), set()
    for line_no, line in enumerate(_lines(path), start=1):
        if not line.strip():
            out.empty.append(line_no)
            continue
        if path.suffix == ".jsonl":
            try:
                row = json.loads(line)
                text = row["text"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise ConfigError('each line must be a JSON object with a "text" field', path=path,
                                  where=f"line {line_no}") from None  # fmt: skip
            if not isinstance(text, str) or not text.strip():
                out.empty.append(line_no)
                continue
            prompt = UserPrompt(str(row.get("id") or f"p{line_no:05d}"), " ".join(text.split()),
                                row.get("genre"), row.get("duration"))  # fmt: skip
        else:
            prompt = UserPrompt(f"p{line_no:05d}", " ".join(line.split()))
        if prompt.text.lower() in seen:
            out.duplicates.append(line_no)
            continue
        seen.add(prompt.text.lower())
        out.prompts.append(prompt)
    return out
