"""Parsers generated from typed dataclasses: one option per field, documented from the class docstring.

Every command that takes a config dataclass (``RunConfig``, ``JudgeCheckConfig``, ``AblateConfig``,
``TrainConfig``) builds its parser here, so ``--config FILE`` (YAML), ``--help`` and the Python API agree.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml
from jsonargparse import ActionConfigFile, ActionYesNo, ArgumentParser, Namespace

from scine_eval.errors import ConfigError, suggest
from scine_eval.options import RunConfig


def summary(cls: type) -> str:
    """The first paragraph of a class's docstring, on one line."""
    return " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())


def config_parser(prog: str, description: str, epilog: str, *configs: type) -> ArgumentParser:
    """A command's parser: ``--config FILE`` (YAML), then one option per field of each dataclass in ``configs``."""
    parser = ArgumentParser(prog=prog, description=description, epilog=epilog, default_env=False)
    parser.add_argument("--config", action=CheckedConfigFile, help="Read options from a YAML config file.")
    for cls in configs:
        add_dataclass_arguments(parser, cls)
    return parser


class CheckedConfigFile(ActionConfigFile):
    """``--config FILE`` that rejects an unknown key by naming the file, the key and the nearest option.

    jsonargparse's own message ("Option 'modle' is not accepted", after the usage text) names neither the file
    nor what was meant; a typo in a config file is the most common way a run silently ignores an option.
    """

    def __call__(self, parser, cfg, values, option_string=None):
        check_config_keys(parser, values)
        super().__call__(parser, cfg, values, option_string)


def check_config_keys(parser: ArgumentParser, value: str) -> None:
    """Raises :class:`ConfigError` if the YAML config ``value`` (a path, or inline YAML) has a key no option takes.

    Anything that is not a readable mapping is left to jsonargparse, whose messages cover missing files and
    values of the wrong type.
    """
    if not isinstance(value, str):
        return
    path = Path(value) if _is_file(value) else None
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8") if path else value)
    except (OSError, ValueError, yaml.YAMLError):
        return
    if not isinstance(content, dict):
        return
    known = config_keys(parser)
    unknown = [key for key in content if key not in known and key != "config"]
    if not unknown:
        return
    key, others = unknown[0], unknown[1:]
    also = f" Also unknown: {', '.join(repr(k) for k in others)}." if others else ""
    raise ConfigError(
        f"not an option of {parser.prog} (value {content[key]!r}){_did_you_mean(str(key), known)}{also} "
        f"Valid keys: {', '.join(sorted(known))}.",
        path=path or "--config",
        where=f"key {key!r}",
    )


def _is_file(value: str) -> bool:
    """Whether ``value`` names a file (an inline YAML string can be too long to be a path: not a file)."""
    try:
        return Path(value).is_file()
    except (OSError, ValueError):
        return False


def config_keys(parser: ArgumentParser) -> list[str]:
    """The keys a config file may set: every option's name, without ``help``, ``config`` and ``print_*``."""
    return [
        action.dest
        for action in parser._actions
        if action.option_strings
        and action.dest not in ("help", "config", argparse.SUPPRESS)
        and not action.dest.startswith("print_")
    ]


def check_options(parser: ArgumentParser, argv: Sequence[str]) -> None:
    """Raises :class:`ConfigError` for a ``--option`` in ``argv`` that is not an option of ``parser``.

    argparse says only "unrecognized arguments"; this names the nearest options. Options of subcommands count
    as known, and so, where the parser accepts abbreviations (``--judge_a``, deprecated by jsonargparse), does
    any prefix of an option: this never rejects what the parser would accept, and leaves ambiguous prefixes
    to argparse's own message.
    """
    known = sorted(set(_option_strings(parser)))
    for token in argv:
        if token == "--":
            return
        name = token.split("=", 1)[0]
        if not name.startswith("--") or name in known:
            continue
        if getattr(parser, "allow_abbrev", False) and any(option.startswith(name) for option in known):
            continue
        hint = _did_you_mean(name, [o for o in known if o.startswith("--")])
        raise ConfigError(f"unknown option {name!r}{hint} '{parser.prog} --help' lists every option.")


def _option_strings(parser: argparse.ArgumentParser) -> Iterator[str]:
    """Every option string of ``parser`` and of its subcommands' parsers."""
    for action in parser._actions:
        yield from action.option_strings
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                yield from _option_strings(subparser)


def _did_you_mean(name: str, known: Sequence[str]) -> str:
    """``"; did you mean 'a' or 'b'?"`` for the close matches of ``name`` among ``known``, else ``"."``."""
    matches = suggest(name, known)
    return f"; did you mean {' or '.join(repr(m) for m in matches)}?" if matches else "."


def add_dataclass_arguments(parser: ArgumentParser, cls: type, only: Sequence[str] | None = None) -> None:
    """Adds one option per dataclass field: lists take several values, booleans are ``--x`` / ``--no_x``."""
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    for f in _own_fields_first(cls):
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


def _own_fields_first(cls: type) -> list[dataclasses.Field]:
    """The fields in the order ``--help`` shows them: the command's own first, then the shared ones it inherits.

    Dataclasses order inherited fields first, which would open ``scine-eval --help`` with the cache options.
    """
    depth: dict[str, int] = {}
    for index, klass in enumerate(cls.__mro__):
        for name in vars(klass).get("__annotations__", {}):
            depth.setdefault(name, index)
    return sorted(dataclasses.fields(cls), key=lambda f: depth.get(f.name, len(cls.__mro__)))


def field_docs(cls: type) -> dict[str, str]:
    """Field descriptions from the Google-style ``Args:`` sections of ``cls`` and its bases.

    Config dataclasses share fields through inheritance (``RunConfig(DataOptions, CacheOptions)``), and each
    class documents only the fields it declares; walking the MRO from the most basic class up lets every
    inherited field keep its description, while a subclass that re-documents a field overrides its base.
    """
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        docs.update(_args_section(vars(klass).get("__doc__") or ""))
    return docs


def _args_section(doc: str) -> dict[str, str]:
    """The ``name: description`` entries of one docstring's ``Args:`` section (continuation lines joined)."""
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
