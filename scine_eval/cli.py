"""The ``scine-eval`` command.

``scine-eval [run] --model M --tasks ... --judge J`` evaluates; the subcommands ``taxonomy``, ``tasks``,
``validate``, ``models`` and ``judges`` inspect what a run would use. The run options are generated
from :class:`scine_eval.config.RunConfig` (one source of truth for the CLI, config files and the API);
``--config FILE`` reads them from YAML and ``--print_config`` writes the resolved set.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import typing
from collections.abc import Callable, Sequence

from jsonargparse import ActionConfigFile, ActionYesNo, ArgumentParser, Namespace
from rich.markup import escape

from scine_eval.config import RunConfig
from scine_eval.errors import ScineEvalError
from scine_eval.progress import console

Command = Callable[[Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for user-fixable errors, printed without a traceback)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = _commands()
    name = argv[0] if argv and argv[0] in commands else "run"
    if argv and argv[0] == name:
        argv = argv[1:]
    build, handler = commands[name]
    parser = build()
    try:
        return handler(parser.parse_args(argv))
    except ScineEvalError as error:
        # Escaped: messages quote user input (globs like "camera.[ab]*", paths) that rich would read as markup.
        # Soft-wrapped: a message stays one line in logs, so paths and "Did you mean" hints are not cut.
        console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, markup=True, soft_wrap=True)
        return error.exit_code


def _commands() -> dict[str, tuple[Callable[[], ArgumentParser], Command]]:
    from scine_eval import commands, suite_cli, train_judge

    return {
        "run": (run_parser, commands.run),
        "taxonomy": (commands.taxonomy_parser, commands.taxonomy),
        "tasks": (commands.tasks_parser, commands.tasks),
        "validate": (commands.validate_parser, commands.validate),
        "models": (commands.registry_parser("models"), commands.models),
        "judges": (commands.judges_parser, commands.judges),
        "example": (commands.example_parser, commands.example),
        "judge-check": (commands.judge_check_parser, commands.judge_check),
        "ablate": (commands.ablate_parser, commands.ablate),
        "suite": (suite_cli.suite_parser, suite_cli.suite),
        "train-judge": (train_judge.train_judge_parser, train_judge.train_judge),
    }


def run_parser() -> ArgumentParser:
    """The run options, one per :class:`RunConfig` field, documented from its docstring."""
    return config_parser(
        "scine-eval",
        f"{summary(RunConfig)} Subcommands (scine-eval SUBCOMMAND -h): {', '.join(sorted(_commands()))}.",
        'example: scine-eval --model cached --model_args path=videos/ --tasks "camera.*" '
        "--judge human --judge_args annotations=ratings.jsonl",
        RunConfig,
    )


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


def dumps(data: object) -> str:
    return json.dumps(data, indent=2, default=str)
