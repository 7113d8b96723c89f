"""Parsers generated from typed dataclasses: one option per field, documented from the class docstring.

Every command that takes a config dataclass (``RunConfig``, ``JudgeCheckConfig``, ``AblateConfig``,
``TrainConfig``) builds its parser here, so ``--config FILE`` (YAML), ``--help`` and the Python API agree.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Sequence

from jsonargparse import ActionConfigFile, ActionYesNo, ArgumentParser, Namespace

from scine_eval.options import RunConfig


def summary(cls: type) -> str:
    """The first paragraph of a class's docstring, on one line."""
    return " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())


def config_parser(prog: str, description: str, epilog: str, *configs: type) -> ArgumentParser:
    """A command's parser: ``--config FILE`` (YAML), then one option per field of each dataclass in ``configs``."""
    parser = ArgumentParser(prog=prog, description=description, epilog=epilog, default_env=False)
    parser.add_argument("--config", action=ActionConfigFile, help="Read options from a YAML config file.")
    for cls in configs:
        add_dataclass_arguments(parser, cls)
    return parser


def add_dataclass_arguments(parser: ArgumentParser, cls: type, only: Sequence[str] | None = None) -> None:
    """Adds one option per dataclass field: lists take several values, booleans are ``--x`` / ``--no_x``."""
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if only is not None and f.name not in only:
            continue
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        kind = hints[f.name]
        help_text = f"{docs.get(f.name, '')} (default: {default!r})"
        if kind is bool:
            parser.add_argument(f"--{f.name}", action=ActionYesNo, default=default, help=help_text)
        elif typing.get_origin(kind) is list:
            parser.add_argument(f"--{f.name}", nargs="+", type=str, default=default, help=help_text)
        else:
            parser.add_argument(f"--{f.name}", type=kind, default=default, help=help_text)


def field_docs(cls: type) -> dict[str, str]:
    """Field descriptions from a Google-style ``Args:`` section."""
    doc = cls.__doc__ or ""
    section = doc.split("Args:", 1)[1] if "Args:" in doc else ""
    docs: dict[str, str] = {}
    current = None
    for line in section.splitlines():
        match = re.match(r"\s{4,8}(\w+):\s*(.*)", line)
        if match:
            current = match.group(1)
            docs[current] = match.group(2).strip()
        elif current and line.strip():
            docs[current] += " " + line.strip()
    return docs


def config_from(namespace: Namespace, cls: type = RunConfig):
    """The dataclass ``cls`` (default :class:`RunConfig`) from the options :func:`add_dataclass_arguments` added."""
    return cls(**{f.name: namespace[f.name] for f in dataclasses.fields(cls)})
