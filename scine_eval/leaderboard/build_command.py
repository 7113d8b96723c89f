"""``scine-eval leaderboard ...``: many models' results as one ranked leaderboard.

* ``leaderboard build RESULTS... --output DIR``: collects ``results_<time>.json`` records (files or folders,
  searched recursively; the newest run per model), refuses records scored with another judge, suite, taxonomy
  or task selection, ranks the models with 95 % intervals and writes ``leaderboard.json``, ``.csv``, ``.md``, a
  self-contained ``index.html`` and the Hugging Face template's ``requests/`` + ``results/`` (see
  ``docs/leaderboard.md``).
"""

from __future__ import annotations

from jsonargparse import ArgumentParser, Namespace
from rich.markup import escape

from scine_eval.progress import console as err_console


def leaderboard_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="scine-eval leaderboard", description="Build leaderboards from results records.")
    commands = parser.add_subcommands(dest="action")

    build = ArgumentParser(description="Rank models from their results_<time>.json records and write the pages.")
    build.add_argument("results", type=str, nargs="+",
                       help="results_<time>.json files, or folders searched recursively for them.")  # fmt: skip
    build.add_argument("--output", type=str, required=True,
                       help="Folder to write into (new, empty, or an earlier build's).")  # fmt: skip
    commands.add_subcommand("build", build, help="rank models and write JSON, CSV, Markdown, HTML and Space files")
    return parser


def leaderboard(namespace: Namespace) -> int:
    action = namespace.action
    return {"build": _build}[action](namespace[action])


def _build(ns: Namespace) -> int:
    from scine_eval.leaderboard.build import build_leaderboard, write_leaderboard

    board = build_leaderboard(ns.results, ns.output)
    files = write_leaderboard(board, ns.output)
    for row in board.rows:
        overall = "—" if row.overall.value is None else f"{row.overall.value:.1f}"
        err_console.print(f"{row.rank:>3}. {escape(row.model)}  {overall}", highlight=False)
    err_console.print(f"wrote {len(board.rows)} model(s), judge {escape(board.judge)}: "
                      f"{escape(str(files['html']))}", highlight=False)  # fmt: skip
    return 0
