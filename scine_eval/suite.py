"""Prompt suites: prompts, and one question per (prompt, taxonomy leaf) the prompt sets.

A suite is a dataset with two configs, ``prompts`` and ``questions`` (split ``test``), loaded through
``datasets`` the same way wherever it lives:

* a bundled suite by name (``starter``), a folder under ``tasks/suites/`` (a bare name that is a bundled
  suite means the bundled one: write ``./starter`` for a local folder of that name);
* a local folder holding ``prompts.jsonl`` / ``questions.jsonl`` (or ``.parquet``), with or without a
  dataset card;
* a Hugging Face Hub dataset id, optionally pinned as ``org/name@revision``.

The schema is documented in ``docs/suite.md``. Rows are validated against the taxonomy: every question
names one leaf and one of its values, and every fault names the file, the row and the field. A row of a
local ``.jsonl`` table is named by its 1-based line in the file (``prompts.jsonl line 7``), which is what an
editor shows; rows of parquet and Hub tables by their 0-based index (``prompts row 6``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from scine_eval.errors import ConfigError, suggest
from scine_eval.fingerprint import canonical_json
from scine_eval.multishot.script import Script, load_scripts
from scine_eval.readers import bundled_path, quiet_datasets, validation_message
from scine_eval.taxonomy import Taxonomy

DEFAULT_SUITE = "starter"
FACETS = ("suite", "role", "difficulty", "genre")
"""Prompt fields that results are broken down by and task filters may select on."""


class Prompt(BaseModel):
    """A prompt given to the video model."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    text: str
    suite: Literal["scripts", "visuals", "multishot"]
    """SCINE-Scripts (narrative single shots), SCINE-Visuals (scripts with controls injected), or a multi-shot
    script (its shots in the suite's ``scripts.jsonl``)."""
    role: Literal["cinematographer", "production_designer", "director"] | None = None
    """Visuals only: whose controls were injected (camera+lighting, setup, or all pillars)."""
    difficulty: Literal["basic", "advanced"] | None = None
    """Visuals only: basic = 2-4 common controls, advanced = 5-10 rarer ones."""
    genre: str | None = None
    duration: float | None = None
    """Intended shot length in seconds (the paper's shots are under 10 s)."""

    @field_validator("id", "text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class Question(BaseModel):
    """One question about one taxonomy leaf, asked of every video of its prompt."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    prompt_id: str
    node_id: str
    """A taxonomy leaf id."""
    value: str
    """The value the prompt sets for that leaf (vocabulary spelling, or free text for open leaves)."""
    text: str
    """The question as an expert rater reads it; judges answer it on the 1-5 scale."""

    @cached_property
    def sha256(self) -> str:
        """Hash of everything that changes the answer: node, value and text."""
        return hashlib.sha256(canonical_json([self.node_id, self.value, self.text]).encode()).hexdigest()


@dataclass(frozen=True)
class Suite:
    """A validated suite: prompts by id, and questions in file order."""

    name: str
    source: str
    revision: str | None
    prompts: Mapping[str, Prompt]
    questions: tuple[Question, ...]
    scripts: Mapping[str, Script] = field(default_factory=dict)
    """Multi-shot scripts by prompt id (a suite folder's ``scripts.jsonl``); empty for single-shot suites."""

    @cached_property
    def sha256(self) -> str:
        rows = [p.model_dump() for p in self.prompts.values()] + [q.model_dump() for q in self.questions]
        rows += [s.model_dump(mode="json") for s in self.scripts.values()]  # nothing for single-shot suites
        return hashlib.sha256(canonical_json(rows).encode()).hexdigest()

    @property
    def version(self) -> str:
        """``name@revision`` for Hub suites, ``name@sha12`` of the content otherwise."""
        return f"{self.name}@{self.revision or self.sha256[:12]}"

    def questions_for(self, leaves: Sequence[str] | set[str]) -> Iterator[Question]:
        wanted = set(leaves)
        return (q for q in self.questions if q.node_id in wanted)

    def controls(self, prompt_id: str) -> tuple[tuple[str, str], ...]:
        """The prompt's (leaf, value) pairs in file order: what it asks of a video."""
        return self._controls.get(prompt_id, ())

    @cached_property
    def _controls(self) -> dict[str, tuple[tuple[str, str], ...]]:
        by_prompt: dict[str, list[tuple[str, str]]] = {}
        for q in self.questions:
            by_prompt.setdefault(q.prompt_id, []).append((q.node_id, q.value))
        return {p: tuple(pairs) for p, pairs in by_prompt.items()}

    def counts_by_node(self) -> Counter[str]:
        return Counter(q.node_id for q in self.questions)


def load_suite(source: str | Path | None, taxonomy: Taxonomy) -> Suite:
    """Loads a suite (see the module docstring for where from) and validates it against ``taxonomy``."""
    source = str(source) if source is not None else DEFAULT_SUITE
    local = _local_folder(source)
    prompt_where = question_where = None
    if local is not None:
        name, revision = local.name, None
        prompts, prompt_where = _local_rows(local, "prompts")
        questions, question_where = _local_rows(local, "questions")
    else:
        name, _, revision = source.partition("@")
        prompts = _rows(name, "prompts", None, revision or None)
        questions = _rows(name, "questions", None, revision or None)
        name = name.rsplit("/", 1)[-1]
    suite = build_suite(
        name,
        source,
        revision or None,
        prompts,
        questions,
        taxonomy,
        prompt_where=prompt_where,
        question_where=question_where,
    )
    scripts_file = local / SCRIPTS_FILE if local is not None else None
    return _with_scripts(suite, scripts_file) if scripts_file is not None and scripts_file.is_file() else suite


SCRIPTS_FILE = "scripts.jsonl"
"""A suite folder's multi-shot scripts, one per ``multishot`` prompt (:mod:`scine_eval.multishot.script`)."""


def _with_scripts(suite: Suite, file: Path) -> Suite:
    """``suite`` with its scripts; every ``multishot`` prompt needs one, and every script a prompt."""
    scripts = {script.id: script for script in load_scripts(file)}
    for prompt in suite.prompts.values():
        if prompt.suite == "multishot" and prompt.id not in scripts:
            raise ConfigError(f"prompt {prompt.id!r} is a multishot prompt without a script in {SCRIPTS_FILE}",
                              path=suite.source)  # fmt: skip
    strays = sorted(set(scripts) - set(suite.prompts))
    if strays:
        raise ConfigError(f"scripts without a prompt: {', '.join(strays[:5])}", path=file)
    return replace(suite, scripts=scripts)


def build_suite(
    name: str,
    source: str,
    revision: str | None,
    prompt_rows: Sequence[Mapping],
    question_rows: Sequence[Mapping],
    taxonomy: Taxonomy,
    *,
    prompt_where: Sequence[str] | None = None,
    question_where: Sequence[str] | None = None,
) -> Suite:
    """Validates rows into a :class:`Suite`; the first fault raises with its file, row and field.

    ``prompt_where`` and ``question_where`` say where each row is, for messages (``prompts.jsonl line 7``
    for a local jsonl file, whose lines a user can find); without them a row is ``prompts row I`` (0-based).
    """
    prompt_where = prompt_where or [f"prompts row {index}" for index in range(len(prompt_rows))]
    question_where = question_where or [f"questions row {index}" for index in range(len(question_rows))]
    prompts: dict[str, Prompt] = {}
    for row, where in zip(prompt_rows, prompt_where, strict=True):
        prompt = _parse(Prompt, row, source, where)
        if prompt.id in prompts:
            raise ConfigError(f"duplicate prompt id {prompt.id!r}", path=source, where=where)
        prompts[prompt.id] = prompt
    questions, seen_ids, seen_pairs = [], set(), set()
    for row, where in zip(question_rows, question_where, strict=True):
        question = _parse(Question, row, source, where)
        where = f"{where} (question {question.id!r})"
        if question.id in seen_ids:
            raise ConfigError("duplicate question id", path=source, where=where)
        if question.prompt_id not in prompts:
            raise ConfigError(
                f"prompt_id {question.prompt_id!r} is not a prompt of this suite", path=source, where=where
            )
        if question.node_id not in taxonomy:
            hint = suggest(question.node_id, [leaf.id for leaf in taxonomy.leaves()])
            raise ConfigError(
                f"node_id {question.node_id!r} is not in the taxonomy"
                + (f"; did you mean {', '.join(map(repr, hint))}?" if hint else ""),
                path=source,
                where=where,
            )
        try:
            value = taxonomy.canonical_value(question.node_id, question.value)
        except ValueError as error:
            raise ConfigError(str(error), path=source, where=where) from None
        if (question.prompt_id, question.node_id) in seen_pairs:
            raise ConfigError(
                f"a second question for node {question.node_id!r} on prompt {question.prompt_id!r} "
                "(one question per prompt and node)",
                path=source,
                where=where,
            )
        seen_ids.add(question.id)
        seen_pairs.add((question.prompt_id, question.node_id))
        questions.append(question.model_copy(update={"value": value}))
    return Suite(name=name, source=source, revision=revision, prompts=prompts, questions=tuple(questions))


def _parse(model: type[BaseModel], row: Mapping, source: str, where: str):
    try:
        # datasets fills absent columns with None: drop them so a missing field reads "Field required"
        return model.model_validate({k: v for k, v in row.items() if v is not None})
    except ValidationError as error:
        raise ConfigError(validation_message(error), path=source, where=where) from None


def _local_folder(source: str) -> Path | None:
    if "/" not in source and bundled_path("suites", source).is_dir():
        return bundled_path("suites", source)  # a bare bundled name wins; write ./name for a local folder
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    if path.exists():
        raise ConfigError(
            "a suite is a folder holding prompts.jsonl and questions.jsonl (or .parquet), "
            "a bundled suite name, or a Hub dataset id",
            path=path,
        )
    if source.startswith((".", "/", "~")) or source.endswith((".jsonl", ".parquet", ".json")):
        raise ConfigError("suite folder not found", path=path)
    return None


def _local_rows(folder: Path, config: str) -> tuple[list[dict], list[str] | None]:
    """A local folder's ``config`` table, and where each row is (its file and line) when the table is one jsonl file.

    One UTF-8 jsonl file is read here, line by line, so a line that is not JSON is named by its number; it
    needs no ``datasets`` (whose import alone costs about a second, on every ``scine-eval tasks``). Parquet,
    several files or globs go through ``datasets``. Blank lines are skipped, as ``datasets`` skips them.
    """
    file = _jsonl_file(folder, config)
    parsed = _jsonl_rows(folder, file) if file is not None else None
    if parsed is None:
        return _rows(str(folder), config, folder), None
    label = file.relative_to(folder).as_posix() if file.is_relative_to(folder) else str(file)
    return [row for _, row in parsed], [f"{label} line {number}" for number, _ in parsed]


def _jsonl_file(folder: Path, config: str) -> Path | None:
    """The one local ``.jsonl`` file that holds ``config``: ``{config}.jsonl``, or the file the dataset card names.

    ``None`` where the table is parquet, spread over several files or globs, or missing (``_rows`` says so).
    """
    card = folder / "README.md"
    if not card.is_file():
        file = folder / f"{config}.jsonl"
        return file if file.is_file() else None
    paths = _card_paths(card.read_text(encoding="utf-8"), config)
    if len(paths) != 1 or not paths[0].endswith(".jsonl") or any(c in paths[0] for c in "*?["):
        return None
    file = folder / paths[0]
    return file if file.is_file() else None


def _card_paths(card: str, config: str) -> list[str]:
    """The ``test`` split's data file paths of ``config`` in a dataset card's YAML header (``[]`` if unreadable)."""
    parts = card.split("---", 2)
    try:
        header = yaml.safe_load(parts[1]) if card.startswith("---") and len(parts) == 3 else None
    except yaml.YAMLError:
        return []
    configs = header.get("configs") if isinstance(header, dict) else None
    entry = next((c for c in configs or [] if isinstance(c, dict) and c.get("config_name") == config), None)
    files = entry.get("data_files") if entry else None
    if isinstance(files, list):
        files = [f.get("path") for f in files if isinstance(f, dict) and f.get("split") == "test"]
        files = files[0] if len(files) == 1 else None
    if isinstance(files, str):
        return [files]
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []


def _jsonl_rows(folder: Path, file: Path) -> list[tuple[int, dict]] | None:
    """``file``'s rows with their 1-based line numbers (blank lines skipped).

    A line that is not a JSON object raises :class:`ConfigError` naming it; ``None`` where the file is not
    UTF-8 (``datasets`` then says what is wrong).
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return None
    label = file.relative_to(folder).as_posix() if file.is_relative_to(folder) else str(file)
    rows = []
    # Split on "\n" only: str.splitlines would also split at U+2028 and friends, which JSON strings may hold.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"not valid JSON ({error.msg} at column {error.colno}); each line is one row, a JSON object",
                path=folder,
                where=f"{label} line {number}",
            ) from None
        if not isinstance(row, dict):
            raise ConfigError(
                f"a row must be a JSON object ({{...}}), not a JSON {type(row).__name__}",
                path=folder,
                where=f"{label} line {number}",
            )
        rows.append((number, row))
    return rows


def _rows(source: str, config: str, local: Path | None, revision: str | None = None) -> list[dict]:
    import datasets

    with quiet_datasets():
        try:
            if local is not None and not (local / "README.md").is_file():
                files = {ext: local / f"{config}.{ext}" for ext in ("jsonl", "parquet")}
                found = [(ext, f) for ext, f in files.items() if f.is_file()]
                if not found:
                    raise ConfigError(f"no {config}.jsonl or {config}.parquet in the suite folder", path=local)
                builder = "json" if found[0][0] == "jsonl" else "parquet"
                data = datasets.load_dataset(builder, data_files=str(found[0][1]), split="train")
            elif local is not None:
                # datasets caches a local folder's tables and does not notice when the files change: read afresh.
                data = datasets.load_dataset(str(local), config, split="test", download_mode="force_redownload",
                                             verification_mode="no_checks")  # fmt: skip
            else:
                data = datasets.load_dataset(source, config, split="test", revision=revision)
        except ConfigError:
            raise
        except Exception as error:  # datasets raises many types; all mean "this source cannot be read"
            raise ConfigError(
                f"cannot load the {config!r} table: {type(error).__name__}: {error}", path=source
            ) from None
    return data.to_list()
