"""``scine-eval leaderboard build``: many models' results records as one ranked leaderboard.

The inputs are the ``results_<time>.json`` records runs write (see ``docs/results.md``). They are collected
(newest run per model), checked to be comparable (one judge, one suite version, one taxonomy, one task
selection), ranked by their overall score with 95 % intervals, and written as ``leaderboard.json``,
``leaderboard.csv``, ``leaderboard.md``, a self-contained ``index.html``, and the ``requests/`` + ``results/``
folders the Hugging Face demo-leaderboard template reads. See ``docs/leaderboard.md``.

Every score here is on the 0-100 scale (the 1-5 mean rating mapped linearly, as ``score_norm``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from scine_eval.errors import ConfigError
from scine_eval.leaderboard.board import Leaderboard, build_leaderboard
from scine_eval.leaderboard.page import render_html
from scine_eval.leaderboard.render import render_csv, render_markdown
from scine_eval.leaderboard.space import write_space
from scine_eval.results import write_json

__all__ = ["MARKER", "build_leaderboard", "prepare_output", "write_leaderboard"]

MARKER = ".scine-leaderboard"
"""Written into every output folder, so a rebuild may replace its ``requests/`` and ``results/`` safely."""


def write_leaderboard(board: Leaderboard, output: str | Path) -> dict[str, Path]:
    """Writes every file of the leaderboard into ``output``; returns them by kind.

    Raises:
        ConfigError: ``output`` is a non-empty folder that no earlier build wrote (never overwritten).
    """
    folder = prepare_output(Path(output))
    files = {
        "json": write_json(folder / "leaderboard.json", board.as_dict()),
        "csv": _write(folder / "leaderboard.csv", render_csv(board)),
        "markdown": _write(folder / "leaderboard.md", render_markdown(board)),
        "html": _write(folder / "index.html", render_html(board)),
    }
    files.update(write_space(board, folder))
    return files


def prepare_output(folder: Path) -> Path:
    """Makes ``folder`` ready: new, empty, or an earlier build's (whose Space folders are replaced)."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError("exists and is not a folder; --output must be a folder", path=folder)
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise ConfigError(f"is a non-empty folder that no leaderboard build wrote (no {MARKER} file); choose a new "
                          "or empty folder", path=folder)  # fmt: skip
    for name in ("requests", "results"):  # a rebuild must not keep models that are no longer given
        shutil.rmtree(folder / name, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("written by scine-eval leaderboard build; the folder may be rebuilt\n")
    return folder


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
