"""Tasks: what a run scores, derived from the taxonomy and task YAML files.

A task YAML file is one of three kinds, told apart by its name key:

* ``family: NAME`` expands to one task per taxonomy node (pillars, intermediate nodes, leaves), named
  ``{prefix}{node id}``, plus an optional ``root`` task grouping the pillars. The bundled ``scine``
  family (prefix "") is why ``camera.*`` and ``camera.trajectory.movement_2d`` are task names.
* ``task: NAME`` scores the questions on the leaves under ``nodes``.
* ``group: NAME`` aggregates the tasks listed under ``tasks``.

Keys shared by all kinds: ``description``, ``filter`` (prompt facets: suite, role, difficulty, genre),
``rubric`` (the judge rubric id), ``question_template`` (re-words the suite's questions, with
``{value}``), ``metric``, ``aggregation`` (``micro``: mean over samples; ``macro``: mean over children)
and ``version``. ``include: other.yaml`` inherits keys from another file (paths relative to the file);
files whose name starts with ``_`` are only included, never registered. YAML holds data, never code:
unknown keys are errors.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from scine_eval.errors import ConfigError, UnknownNameError, suggest
from scine_eval.readers import bundled_path, read_yaml, validation_message
from scine_eval.registry import Registry
from scine_eval.suite import FACETS, Prompt
from scine_eval.taxonomy import Taxonomy

ENTRY_POINT_GROUP = "scine_eval.tasks"
"""Plugins name a folder of task YAML files here (the entry point loads to a path or a callable returning one)."""
YAML_SUFFIXES = (".yaml", ".yml")

OVERALL = "overall"
"""The summary group a run adds over its top-level tasks when there are several (see ``TaskIndex.summaries``)."""
OVERALL_DESCRIPTION = "Mean of the run's top-level tasks (added by the run, not a registered task)."


class TaskFileSpec(BaseModel):
    """One task YAML file after ``include:`` is resolved."""

    model_config = ConfigDict(extra="forbid")

    family: str | None = None
    task: str | None = None
    group: str | None = None
    description: str = ""
    prefix: str = ""
    root: str | None = None
    nodes: list[str] = []
    tasks: list[str] = []
    filter: dict[str, str | list[str]] = {}
    rubric: str = "scine-1-5"
    question_template: str | None = None
    metric: Literal["mean_rating"] = "mean_rating"
    aggregation: Literal["micro", "macro"] = "macro"
    version: str = "1.0"

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) else value

    @field_validator("filter")
    @classmethod
    def _known_facets(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(FACETS))
        if unknown:
            raise ValueError(f"cannot filter on {unknown[0]!r}; prompt facets are {', '.join(FACETS)}")
        return value

    @field_validator("question_template")
    @classmethod
    def _template_has_value(cls, value: str | None) -> str | None:
        if value is not None and value.count("{value}") != 1:
            raise ValueError("must contain '{value}' exactly once")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> TaskFileSpec:
        kinds = [k for k in ("family", "task", "group") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError("a task file needs exactly one of 'family', 'task' or 'group'")
        if self.task and not self.nodes:
            raise ValueError("a 'task' needs 'nodes' (taxonomy node ids whose leaves it scores)")
        if self.group and not self.tasks:
            raise ValueError("a 'group' needs 'tasks' (the task names it aggregates)")
        return self


@dataclass(frozen=True)
class Task:
    """A scored unit: questions on some taxonomy leaves, or a group of other tasks."""

    name: str
    leaves: tuple[str, ...]
    """Leaf node ids whose questions this task scores (for a group: those of all its members)."""
    subtasks: tuple[str, ...] = ()
    """Member task names of a group; empty for a task scored from its own samples."""
    filter: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rubric: str = "scine-1-5"
    question_template: str | None = None
    metric: str = "mean_rating"
    aggregation: Literal["micro", "macro"] = "macro"
    version: str = "1.0"
    description: str = ""
    source: str = ""
    node: str | None = None
    """The taxonomy node a family task was derived from."""
    family: str | None = None

    @property
    def is_group(self) -> bool:
        return bool(self.subtasks)

    def accepts(self, prompt: Prompt) -> bool:
        """Whether ``prompt`` passes this task's facet filter."""
        return all(str(getattr(prompt, facet)) in values for facet, values in self.filter.items())

    def config(self) -> dict[str, Any]:
        """The resolved configuration recorded in results (``configs``)."""
        return {
            "task": self.name,
            "family": self.family,
            "node": self.node,
            "leaves": list(self.leaves),
            "subtasks": list(self.subtasks),
            "filter": {k: list(v) for k, v in self.filter.items()},
            "rubric": self.rubric,
            "question_template": self.question_template,
            "metric": self.metric,
            "aggregation": self.aggregation,
            "version": self.version,
            "description": self.description,
            "source": self.source,
        }


class TaskIndex:
    """Every task known to a run: bundled families, plugin folders and ``--include_path`` folders.

    Args:
        taxonomy: the taxonomy tasks are derived from and validated against.
        include_paths: extra folders (or files) of task YAML.
        include_defaults: load the bundled ``tasks/families``.
    """

    def __init__(self, taxonomy: Taxonomy, include_paths: Iterable[str | Path] = (), include_defaults: bool = True):
        self.taxonomy = taxonomy
        self.registry: Registry[Task] = Registry("task", Task)
        self._order: list[str] = []
        """Task names in definition order (taxonomy order for families), which globs keep."""
        self._top_level: dict[str, list[str]] = {}
        folders: list[Path] = [bundled_path("families")] if include_defaults else []
        folders += _plugin_folders()
        folders += [Path(p).expanduser() for p in include_paths]
        for folder in folders:
            self.load(folder)

    # -- loading ------------------------------------------------------------------------------------

    def load(self, path: str | Path) -> list[Task]:
        """Loads a task YAML file or every one in a folder; returns the top-level tasks they define."""
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and not p.name.startswith("_"))
            loaded: list[Task] = []
            while files:  # a group may name tasks of a file that sorts after it: retry it once those are in
                waiting = []
                for file in files:
                    try:
                        loaded += self.load(file)
                    except UnknownNameError:
                        waiting.append(file)
                if len(waiting) == len(files):
                    self.load(waiting[0])  # no progress: raise the first file's error
                files = waiting
            return loaded
        if not path.is_file():
            raise ConfigError("task file or folder not found", path=path)
        key = str(path.resolve())
        if key not in self._top_level:
            tasks, top = self._build(_resolve_includes(path, ()), path)
            for task in tasks:
                self._add(task)
            self._top_level[key] = top
        return [self.registry.get(name) for name in self._top_level[key]]

    def _add(self, task: Task) -> None:
        if task.name in self.registry and self.registry.get(task.name) != task:
            other = self.registry.get(task.name).source
            raise ConfigError(f"task {task.name!r} is also defined in {other}", path=task.source)
        if task.name not in self.registry:
            self._order.append(task.name)
        self.registry.add(task.name, task)

    def _build(self, raw: dict, path: Path) -> tuple[list[Task], list[str]]:
        try:
            spec = TaskFileSpec.model_validate(raw)
        except ValidationError as error:
            raise ConfigError(validation_message(error), path=path) from None
        for node in spec.nodes:
            if node not in self.taxonomy:
                hint = suggest(node, self.taxonomy.nodes)
                did_you_mean = f"; did you mean {', '.join(map(repr, hint))}?" if hint else ""
                raise ConfigError(f"{node!r} is not a taxonomy node{did_you_mean}", path=path, where="key 'nodes'")
        common = {
            "filter": {k: (v,) if isinstance(v, str) else tuple(v) for k, v in spec.filter.items()},
            "rubric": spec.rubric,
            "question_template": spec.question_template,
            "metric": spec.metric,
            "aggregation": spec.aggregation,
            "version": spec.version,
            "source": str(path),
        }
        if spec.family:
            return self._expand_family(spec, common)
        if spec.task:
            leaves = _unique(leaf.id for node in spec.nodes for leaf in self.taxonomy.leaves(node))
            task = Task(name=spec.task, leaves=leaves, description=spec.description, **common)
            return [task], [task.name]
        members = [self.get(name) for name in spec.tasks]
        leaves = _unique(leaf for member in members for leaf in member.leaves)
        group = Task(name=spec.group, leaves=leaves, subtasks=tuple(spec.tasks), description=spec.description, **common)
        return [group], [group.name]

    def _expand_family(self, spec: TaskFileSpec, common: dict) -> tuple[list[Task], list[str]]:
        roots = spec.nodes or [pillar.id for pillar in self.taxonomy.pillars]
        tasks = []
        for node in (n for root in roots for n in self.taxonomy.descendants(root)):
            tasks.append(
                Task(
                    name=spec.prefix + node.id,
                    leaves=tuple(leaf.id for leaf in self.taxonomy.leaves(node.id)),
                    subtasks=tuple(spec.prefix + child for child in node.children),
                    description=node.description if not spec.description else f"{spec.description} {node.name}.",
                    node=node.id,
                    family=spec.family,
                    **common,
                )
            )
        top = [spec.prefix + root for root in roots]
        if spec.root:
            leaves = _unique(leaf for task in tasks if not task.is_group for leaf in task.leaves)
            root_task = Task(
                name=spec.root,
                leaves=leaves,
                subtasks=tuple(top),
                description=spec.description,
                family=spec.family,
                **common,
            )
            tasks.append(root_task)
            top = [root_task.name]
        return tasks, top

    # -- lookup and selection -----------------------------------------------------------------------

    def get(self, name: str) -> Task:
        return self.registry.get(name)

    def names(self) -> list[str]:
        return self.registry.names()

    def select(self, specs: Sequence[str]) -> list[Task]:
        """Resolves ``--tasks`` values (names, globs, YAML files, folders) to tasks, in order, no repeats.

        Raises:
            UnknownNameError: a value that matches nothing (exit code 2, with suggestions).
        """
        selected: dict[str, Task] = {}
        for spec in _split(specs):
            path = Path(spec).expanduser()
            if spec in self.registry:  # a task name wins over a folder of that name in the working directory
                found = [self.get(spec)]
            elif spec.endswith(YAML_SUFFIXES) or path.is_dir():
                found = self.load(path)
                if not found:
                    raise ConfigError("no task files (*.yaml, *.yml not starting with '_') here", path=path)
            elif any(char in spec for char in "*?["):
                found = [self.get(name) for name in self._order if fnmatch.fnmatchcase(name, spec)]
                if not found:
                    raise UnknownNameError("task pattern", spec, self._pattern_hints(spec))
            else:
                raise UnknownNameError("task", spec, self.names())
            for task in found:
                selected.setdefault(task.name, task)
        return list(selected.values())

    def _pattern_hints(self, pattern: str) -> list[str]:
        words = [w for w in pattern.replace("*", " ").replace("?", " ").replace(".", " ").split() if w]
        return [name for name in self.names() if any(w in name for w in words)][:20] or self.names()

    def summaries(self, tasks: Sequence[Task]) -> list[Task]:
        """The summary rows a selection implies: every group it completes, and ``overall`` over its tops.

        ``--tasks "camera.*"`` names camera's members but not ``camera``; a reader still wants the pillar's
        row, so each registered group whose members are all selected (at any depth) is scored too. When
        more than one top-level task remains, an ``overall`` group (the macro mean of those tops, like
        every group) is added; it is the run's own, never registered, and is skipped if a task of that
        name exists.
        """
        chosen = dict(self.closure(tasks))
        added: list[Task] = []
        grew = True
        while grew:
            grew = False
            for name in self._order:
                task = self.get(name)
                if name not in chosen and task.is_group and all(member in chosen for member in task.subtasks):
                    chosen.update(self.closure([task]))
                    added.append(task)
                    grew = True
        tops = self.roots([*tasks, *added])
        if len(tops) > 1 and OVERALL not in self.registry:
            leaves = _unique(leaf for task in tops for leaf in task.leaves)
            names = tuple(task.name for task in tops)
            added.append(Task(name=OVERALL, leaves=leaves, subtasks=names, description=OVERALL_DESCRIPTION))
        return added

    def roots(self, tasks: Sequence[Task]) -> list[Task]:
        """The tasks that are not members (at any depth) of another task in ``tasks``: where tables start."""
        inside = {name for task in tasks for name in self.closure([task]) if name != task.name}
        return [task for task in tasks if task.name not in inside]

    def closure(self, tasks: Iterable[Task]) -> dict[str, Task]:
        """The tasks plus, recursively, every member of the groups among them (selection order first)."""
        out: dict[str, Task] = {}
        stack = list(reversed(list(tasks)))
        while stack:
            task = stack.pop()
            if task.name not in out:
                out[task.name] = task
                stack.extend(self.get(name) for name in reversed(task.subtasks) if name not in out)
        return out


def _resolve_includes(path: Path, chain: tuple[Path, ...]) -> dict:
    resolved = path.resolve()
    if resolved in chain:
        raise ConfigError("include cycle: " + " -> ".join(str(p) for p in (*chain, resolved)), path=path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError("a task file must be a YAML mapping of keys to values", path=path)
    include = raw.pop("include", None)
    if include is None:
        return raw
    if not isinstance(include, str):
        raise ConfigError("'include' must be one file path", path=path, where="key 'include'")
    target = (path.parent / include).resolve()
    if not target.is_file():
        raise ConfigError(f"included file {include!r} not found (looked at {target})", path=path, where="key 'include'")
    base = _resolve_includes(target, (*chain, resolved))
    for kind in ("family", "task", "group"):
        if kind in raw:  # the including file says what it is; an inherited kind would clash
            for other in ("family", "task", "group"):
                base.pop(other, None)
    return {**base, **raw}


def _plugin_folders() -> list[Path]:
    folders = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = entry_point.load()
            folders.append(Path(target() if callable(target) else target))
        except Exception as error:  # a broken plugin must say which one, not crash the import
            raise ConfigError(
                f"task plugin {entry_point.name!r} ({entry_point.value}) failed to load: {error}"
            ) from None
    return folders


def _split(specs: Sequence[str] | str) -> list[str]:
    """``--tasks`` values may also be separated by commas: "camera.*,lighting.*"."""
    if isinstance(specs, str):
        specs = [specs]
    return [part.strip() for spec in specs for part in spec.split(",") if part.strip()]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
