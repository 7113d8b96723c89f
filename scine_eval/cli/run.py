"""``scine-eval [run]``: evaluate a model on tasks with a judge, print the score table, say where the files are."""

from __future__ import annotations

from jsonargparse import ArgumentParser, Namespace
from rich.markup import escape

from scine_eval.cli.output import err_console, out
from scine_eval.cli.parsing import config_from, config_parser, summary
from scine_eval.cli.subcommands import COMMANDS, load_named
from scine_eval.options import RunConfig


def run_parser() -> ArgumentParser:
    """The run options, one per :class:`RunConfig` field, documented from its docstring."""
    return config_parser(
        "scine-eval",
        f"{summary(RunConfig)} Subcommands (scine-eval SUBCOMMAND -h): {', '.join(sorted(COMMANDS))}.",
        'example: scine-eval --model cached --model_args path=videos/ --tasks "camera.*" '
        "--judge human --judge_args annotations=ratings.jsonl",
        RunConfig,
    )


def run(namespace: Namespace) -> int:
    from scine_eval.cli.tables import metrics_table, results_table
    from scine_eval.evaluator import evaluate

    config = config_from(namespace)
    output = evaluate(config)
    if output.files is not None:
        out.print(results_table(output.record, requested_only=False))
        if output.record.metrics:
            out.print(metrics_table(output.record))
        samples = [path for kind, path in output.files.items() if kind.startswith("samples:")]
        err_console.print(f"[dim]results:[/] {escape(str(output.files['results']))}", highlight=False, soft_wrap=True)
        err_console.print(
            f"[dim]leaderboard:[/] {escape(str(output.files['leaderboard']))}", highlight=False, soft_wrap=True
        )
        if samples:
            err_console.print(f"[dim]samples:[/] {len(samples)} files samples_*.jsonl beside them", highlight=False)
        if config.plots:
            _plots(output)
        if config.push_to_hub:
            _push(output, config.hub_results_org)
        videos = output.record.videos
        if videos.not_generated:
            err_console.print(
                f"[dim]{videos.not_generated} video(s) not generated: judge {output.record.judge} covers none of "
                "their questions (--generate all makes them too)[/]"
            )
        if videos.missing or videos.unusable:
            err_console.print(
                f"[yellow]{videos.missing} video(s) missing and {videos.unusable} unusable; "
                "they are listed under 'videos' in the results (use --strict to make this fatal)[/]"
            )
    return 0


def _plots(output) -> None:
    """The run's pillar radar and node bar chart beside its results (a note, not a failure, without matplotlib)."""
    from scine_eval.cli.plots import run_plots

    results_file = output.files["results"]
    stamp = results_file.stem.removeprefix("results_")
    try:
        files = run_plots(output.record, results_file.parent, stamp)
    except ImportError:
        err_console.print("[yellow]--plots needs matplotlib: pip install -c constraints.txt 'scine-eval\\[plot]'[/]")
        return
    for kind, path in files.items():
        err_console.print(f"[dim]plot ({kind}):[/] {escape(str(path))}", highlight=False, soft_wrap=True)


PUSH = "scine_eval.leaderboard.push:push_run"
"""The upload, named rather than imported: the core CLI never imports the leaderboard package (as subcommands)."""


def _push(output, org: str) -> None:
    """Uploads the run just written (``scine-eval push``'s work): results, leaderboard JSON and sample logs."""
    for report in load_named(PUSH)(output.files["results"], org):
        done = f"committed {len(report.uploaded)} file(s)" if report.uploaded else "already up to date"
        err_console.print(f"[dim]pushed:[/] {escape(report.repo_id)}: {done}", highlight=False, soft_wrap=True)
