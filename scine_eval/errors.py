"""The errors a user can fix.

Every message follows "what is wrong, where (file, key, name), what would be valid". The CLI prints
a :class:`ScineEvalError` as a message with exit code 2, never as a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class ScineEvalError(Exception):
    """Base class of every user-fixable error."""

    exit_code = 2


class ConfigError(ScineEvalError):
    """A data or config file (taxonomy, task YAML, suite, manifest, annotations), or an option, is invalid.

    Args:
        message: what is wrong and what would be valid.
        path: the file at fault, if any.
        where: the key, node, row or line inside the file, if any.
    """

    def __init__(self, message: str, *, path: str | Path | None = None, where: str | None = None):
        self.path = str(path) if path is not None else None
        self.where = where
        location = ": ".join(part for part in (self.path, where) if part)
        super().__init__(f"{location}: {message}" if location else message)


class UnknownNameError(ScineEvalError):
    """A name (task, model, judge) that is not registered; the message suggests close matches."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        self.kind = kind
        self.name = name
        self.suggestions = suggest(name, known)
        hint = f" Did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {kind} {name!r}.{hint}")


class VideoError(ScineEvalError):
    """A video file that cannot be used: missing, empty, corrupt, not a video, or without frames."""

    def __init__(self, path: str | Path, cause: str):
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")


class MissingDependencyError(ScineEvalError):
    """An optional package is needed; the message names the exact install command."""

    def __init__(self, package: str, extra: str):
        super().__init__(
            f'this feature needs the package {package!r}: pip install "scine-eval[{extra}]" '
            "(on CPU machines add -c constraints.txt so torch stays the CPU build)"
        )


def suggest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Close matches for an unknown name, best first (also matching on the last dotted part)."""
    known = list(known)
    matches = difflib.get_close_matches(name, known, n=n, cutoff=0.6)
    if len(matches) < n:
        tail = name.rsplit(".", 1)[-1]
        by_tail = [k for k in known if k.rsplit(".", 1)[-1] == tail and k not in matches]
        matches += by_tail[: n - len(matches)]
    return matches
