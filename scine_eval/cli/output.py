"""Where commands write: tables and JSON to stdout, messages and progress to stderr."""

from __future__ import annotations

import json
import sys

from rich.console import Console

from scine_eval.progress import console as err_console

out = Console(width=None if sys.stdout.isatty() else 160)
"""stdout: tables and JSON people pipe (wide when piped, so task names are not cut)."""

__all__ = ["dumps", "emit", "err_console", "out"]


def emit(text: str) -> None:
    """Writes JSON or YAML to stdout verbatim: rich would wrap long lines (breaking strings) and expand emoji codes."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def dumps(data: object) -> str:
    return json.dumps(data, indent=2, default=str)
