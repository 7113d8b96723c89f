"""Judging the judges from the command line: ``judge-check`` and ``ablate``."""

from __future__ import annotations

from pathlib import Path

from jsonargparse import ArgumentParser, Namespace
from rich.markup import escape

from scine_eval.cli.output import err_console, out
from scine_eval.cli.parsing import add_dataclass_arguments, config_from, config_parser, summary


def judge_check_parser() -> ArgumentParser:
    from scine_eval.judge_eval.check import JudgeCheckConfig

    summary = " ".join((JudgeCheckConfig.__doc__ or "").strip().split("\n\n")[0].split())
    parser = ArgumentParser(
        prog="scine-eval judge-check",
        description=f"{summary} Writes a table to stdout and a JSON report.",
        epilog='example: scine-eval judge-check --judge probe --tasks "camera.*" "lighting.*" --pairs 20',
    )
    add_dataclass_arguments(parser, JudgeCheckConfig)
    return parser


def judge_check(namespace: Namespace) -> int:
    from datetime import datetime

    from scine_eval.cli.tables import judge_check_table
    from scine_eval.judge_eval.check import JudgeCheckConfig, judge_check
    from scine_eval.results import safe_name, write_json

    config = config_from(namespace, JudgeCheckConfig)
    report = judge_check(config)
    out.print(judge_check_table(report))
    if config.output_path:
        stamp = datetime.fromisoformat(report["date"]).strftime("%Y-%m-%dT%H-%M-%S")
        path = write_json(Path(config.output_path) / f"judge_check_{safe_name(report['judge'])}_{stamp}.json", report)
        err_console.print(f"[dim]report:[/] {escape(str(path))}", highlight=False, soft_wrap=True)
    if report["failing"]:
        err_console.print(f"[red]below {config.fail_under:.0%}:[/] {', '.join(report['failing'])}", highlight=False)
        return 1
    return 0


def ablate_parser() -> ArgumentParser:
    from scine_eval.judge_eval.ablate import AblateConfig

    return config_parser(
        "scine-eval ablate",
        f"{summary(AblateConfig)} Writes a table to stdout, and ablation.json and ablation.png.",
        "example: scine-eval ablate --annotations ratings.jsonl --judges qwen2.5-vl-7b qwen2.5-vl-32b "
        'qwen2.5-vl-72b "bt:pretrained=path/to/scorer"',
        AblateConfig,
    )


def ablate(namespace: Namespace) -> int:
    from scine_eval.cli.plots import ablation_plot_problem
    from scine_eval.cli.tables import ablation_table
    from scine_eval.judge_eval.ablate import AblateConfig, write_ablation
    from scine_eval.judge_eval.ablate import ablate as run_ablation

    config = config_from(namespace, AblateConfig)
    report = run_ablation(config)
    out.print(ablation_table(report))
    if config.output_path:
        paths = write_ablation(report, Path(config.output_path))  # an empty plot is skipped, not fatal
        for kind, path in paths.items():
            err_console.print(f"[dim]{kind}:[/] {escape(str(path))}", highlight=False, soft_wrap=True)
        if "plot" not in paths and (problem := ablation_plot_problem(report)):
            err_console.print(f"[yellow]plot: not written: {escape(problem)}[/]", highlight=False, soft_wrap=True)
    return 0
