"""``scine-eval push RESULTS_FILE_OR_FOLDER --org ORG [--public] [--details/--no_details]``: upload runs to the Hub.

The work is :mod:`scine_eval.leaderboard.push` (see its docstring for the repo layout). The core CLI names this
module as a string (``scine_eval/cli/subcommands.py``), so it never imports the ``leaderboard`` package, and
``scine-eval --help`` never imports huggingface_hub.
"""

from __future__ import annotations

from jsonargparse import ActionYesNo, ArgumentParser, Namespace
from rich.markup import escape

from scine_eval.cli.output import dumps, emit, err_console


def push_parser() -> ArgumentParser:
    """The options of ``scine-eval push``."""
    parser = ArgumentParser(
        prog="scine-eval push",
        description="Upload runs (results, leaderboard JSON, per-sample logs) to Hugging Face Hub dataset repos.",
    )
    parser.add_argument("results", type=str, help="A results_<time>.json, or a folder: every run under it.")
    parser.add_argument("--org", type=str, required=True, help="Hub user or organisation that owns the repos.")
    parser.add_argument(
        "--public", action=ActionYesNo, default=False, help="Create new repos public (default private)."
    )
    parser.add_argument(
        "--details", action=ActionYesNo, default=True, help="Also push per-sample logs to <org>/details_<model>."
    )
    parser.add_argument("--format", choices=["text", "json"], default="text", help="Report format on stdout.")
    return parser


def push(namespace: Namespace) -> int:
    """Pushes every run found, then reports per repo what was committed and what was already there."""
    from scine_eval.leaderboard.push import push_results

    reports = push_results(namespace.results, namespace.org, private=not namespace.public, details=namespace.details)
    if namespace.format == "json":
        emit(dumps([vars(report) for report in reports]))
        return 0
    for report in reports:
        if report.uploaded:
            err_console.print(
                f"{escape(report.repo_id)}: committed {len(report.uploaded)} file(s), "
                f"{len(report.unchanged)} unchanged ({escape(report.commit_url or '')})",
                highlight=False,
            )
        else:
            err_console.print(
                f"{escape(report.repo_id)}: up to date ({len(report.unchanged)} file(s))", highlight=False
            )
    return 0
