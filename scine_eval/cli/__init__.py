"""The ``scine-eval`` command.

``scine-eval [run] --model M --tasks ... --judge J`` evaluates; the subcommands inspect what a run would use
(``taxonomy``, ``tasks``, ``validate``, ``models``, ``judges``), judge the judges (``judge-check``,
``ablate``), train one (``train-judge``), build suites (``suite``) and write an example kit (``example``).
Run options are generated from :class:`scine_eval.options.RunConfig` (one source of truth for the CLI,
config files and the API); ``--config FILE`` reads them from YAML and ``--print_config`` writes the
resolved set. Each subcommand is a ``module:parser`` and ``module:handler`` pair, imported only when used.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from jsonargparse import ArgumentParser, Namespace
from rich.markup import escape

from scine_eval.cli.parsing import check_options
from scine_eval.cli.subcommands import COMMANDS, load_named
from scine_eval.errors import ScineEvalError
from scine_eval.progress import console

Command = Callable[[Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for user-fixable errors, printed without a traceback)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    name = argv[0] if argv and argv[0] in COMMANDS else "run"
    if argv and argv[0] == name:
        argv = argv[1:]
    build, handler = (load_named(target) for target in COMMANDS[name])
    parser: ArgumentParser = build()
    try:
        check_options(parser, argv)
        return handler(parser.parse_args(argv))
    except ScineEvalError as error:
        # Escaped: messages quote user input (globs like "camera.[ab]*", paths) that rich would read as markup.
        # Soft-wrapped: a message stays one line in logs, so paths and "Did you mean" hints are not cut.
        console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, markup=True, soft_wrap=True)
        return error.exit_code

