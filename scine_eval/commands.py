"""What each ``scine-eval`` subcommand does (the parsers are small; the work lives in the core)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from jsonargparse import ArgumentParser, Namespace
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from scine_eval.cli import add_dataclass_arguments, config_from, config_parser, dumps, summary
from scine_eval.config import RunConfig
from scine_eval.progress import console as err_console

out = Console(width=None if sys.stdout.isatty() else 160)
"""stdout: tables and JSON people pipe (wide when piped, so task names are not cut)."""

_DATA_OPTIONS = ("taxonomy", "suite", "include_path")


def emit(text: str) -> None:
    """Writes JSON or YAML to stdout verbatim: rich would wrap long lines (breaking strings) and expand emoji codes."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def run(namespace: Namespace) -> int:
    from scine_eval.evaluator import evaluate
    from scine_eval.report import results_table

    config = config_from(namespace)
    output = evaluate(config)
    if output.files is not None:
        out.print(results_table(output.results, requested_only=False))
        samples = [path for kind, path in output.files.items() if kind.startswith("samples:")]
        err_console.print(f"[dim]results:[/] {escape(str(output.files['results']))}", highlight=False, soft_wrap=True)
        err_console.print(
            f"[dim]leaderboard:[/] {escape(str(output.files['leaderboard']))}", highlight=False, soft_wrap=True
        )
        if samples:
            err_console.print(f"[dim]samples:[/] {len(samples)} files samples_*.jsonl beside them", highlight=False)
        videos = output.results["videos"]
        if videos["missing"] or videos["unusable"]:
            err_console.print(
                f"[yellow]{videos['missing']} video(s) missing and {videos['unusable']} unusable; "
                "they are listed under 'videos' in the results (use --strict to make this fatal)[/]"
            )
    return 0


def taxonomy_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="scine-eval taxonomy", description="Print the taxonomy tree (76 leaves by default).")
    add_dataclass_arguments(parser, RunConfig, only=("taxonomy",))
    parser.add_argument("--format", choices=["tree", "json", "yaml"], default="tree", help="Output format.")
    parser.add_argument("--node", type=str, default=None, help="Print only the subtree under this node id.")
    return parser


def taxonomy(namespace: Namespace) -> int:
    from scine_eval.taxonomy import dump_yaml, load_taxonomy

    tax = load_taxonomy(namespace.taxonomy)
    if namespace.format != "tree":
        data = tax.to_dict()
        if namespace.node:
            keep = {n.id for n in tax.descendants(namespace.node)}
            data["nodes"] = [n for n in data["nodes"] if n["id"] in keep]
        emit(dumps(data) if namespace.format == "json" else dump_yaml(data))
        return 0
    roots = [tax[namespace.node]] if namespace.node else tax.pillars
    title = f"[bold]{tax.name}[/] ({len(tax.leaves())} leaves, {tax.version})"
    tree = Tree(title)
    for root in roots:
        _grow(tree, tax, root.id)
    out.print(tree)
    return 0


def _grow(parent: Tree, tax, node_id: str) -> None:
    node = tax[node_id]
    mark = " [magenta](reconstructed)[/]" if node.provenance == "reconstructed" else ""
    if node.is_leaf:
        values = "open" if node.is_open else ", ".join(node.values)
        parent.add(f"[cyan]{node.id}[/] {node.name}{mark} [dim]· {values}[/]")
        return
    branch = parent.add(f"[bold]{node.id}[/] {node.name}{mark} [dim]({len(tax.leaves(node_id))} leaves)[/]")
    for child in node.children:
        _grow(branch, tax, child)


def tasks_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="scine-eval tasks", description="List tasks with their question counts in the suite.")
    add_dataclass_arguments(parser, RunConfig, only=_DATA_OPTIONS)
    parser.add_argument("--pattern", type=str, default="*", help="Only tasks matching this glob, e.g. 'camera.*'.")
    parser.add_argument("--format", choices=["table", "json"], default="table", help="Output format.")
    return parser


def tasks(namespace: Namespace) -> int:
    import fnmatch

    index, suite = _load_data(namespace)
    rows = []
    for name in index.names():
        if not fnmatch.fnmatchcase(name, namespace.pattern):
            continue
        task = index.get(name)
        n = sum(1 for q in suite.questions_for(task.leaves) if task.accepts(suite.prompts[q.prompt_id]))
        kind = "group" if task.is_group else "task"
        rows.append({"task": name, "kind": kind, "questions": n, "leaves": len(task.leaves), "version": task.version})
    if namespace.format == "json":
        emit(dumps(rows))
        return 0
    table = Table(title=f"{len(rows)} tasks · suite {suite.version}", title_justify="left")
    for column, justify in (
        ("task", "left"),
        ("kind", "left"),
        ("questions", "right"),
        ("leaves", "right"),
        ("version", "right"),
    ):
        table.add_column(column, justify=justify)
    for row in rows:
        style = "dim" if row["questions"] == 0 else None
        table.add_row(row["task"], row["kind"], str(row["questions"]), str(row["leaves"]), row["version"], style=style)
    out.print(table)
    return 0


def validate_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="scine-eval validate",
        description="Check the taxonomy, the task files and the suite together; exit 2 on a fault.",
    )
    add_dataclass_arguments(parser, RunConfig, only=(*_DATA_OPTIONS, "tasks"))
    return parser


def validate(namespace: Namespace) -> int:
    index, suite = _load_data(namespace)
    selected = index.closure(index.select(namespace.tasks))
    leaves = {leaf for task in selected.values() for leaf in task.leaves}
    covered = set(suite.counts_by_node())
    empty = sorted(leaves - covered)
    out.print(f"[green]ok[/] taxonomy {index.taxonomy.name!r}: {len(index.taxonomy.leaves())} leaves")
    named = escape(" ".join(namespace.tasks))
    out.print(f"[green]ok[/] {len(index.names())} tasks; {len(selected)} selected by {named}")
    out.print(f"[green]ok[/] suite {suite.version}: {len(suite.prompts)} prompts, {len(suite.questions)} questions")
    if empty:
        out.print(f"[yellow]note[/] {len(empty)} selected leaves have no question in this suite: {', '.join(empty)}")
    return 0


def _load_data(namespace: Namespace):
    from scine_eval.suite import load_suite
    from scine_eval.tasks import TaskIndex
    from scine_eval.taxonomy import load_taxonomy

    tax = load_taxonomy(namespace.taxonomy)
    return TaskIndex(tax, include_paths=namespace.include_path), load_suite(namespace.suite, tax)


def registry_parser(kind: str) -> Callable[[], ArgumentParser]:
    def build() -> ArgumentParser:
        parser = ArgumentParser(prog=f"scine-eval {kind}", description=f"List the registered {kind}.")
        parser.add_argument("--format", choices=["table", "json"], default="table", help="Output format.")
        return parser

    return build


def models(namespace: Namespace) -> int:
    from scine_eval.models import model_registry

    return _list_registry(model_registry, namespace.format)


def judges_parser() -> ArgumentParser:
    parser = registry_parser("judges")()
    parser.description = (
        "List the registered judges: what they cover, what they see of a video, and for model judges the "
        "estimated GPU memory of each preset in bf16 / 8-bit / 4-bit (from the real architectures, no download)."
    )
    parser.add_argument("--gpu_gib", type=float, default=80.0, help="GPU memory to check each estimate against.")
    return parser


def judges(namespace: Namespace) -> int:
    from scine_eval.judges import judge_registry
    from scine_eval.report import memory_table

    described = {name: judge_registry.get(name).describe() for name in judge_registry.names()}
    memory: dict[str, list[dict]] = {}
    missing = ""
    for name, info in described.items():
        try:
            memory[name] = info["memory"](gpu_gib=namespace.gpu_gib) if "memory" in info else []
        except ImportError as error:  # the core install has no torch: list the judges anyway
            memory[name], missing = [], error.name or "torch"
    extra = {
        name: {
            "presets": sorted(judge_registry.presets_of(name)),
            "covers": info["covers"],
            "input": info["input"],
            "memory": memory[name],
        }
        for name, info in described.items()
    }
    if namespace.format == "json":
        return _list_registry(judge_registry, "json", extra)
    _list_registry(
        judge_registry, "table", {n: {k: v for k, v in e.items() if k != "memory"} for n, e in extra.items()}
    )
    for name, rows in memory.items():
        if rows:
            out.print(memory_table(name, rows, namespace.gpu_gib))
    if missing:
        err_console.print(
            f"[yellow]note[/] memory estimates need {missing}: pip install -c constraints.txt 'scine-eval\\[llm]'"
        )
    return 0


def _list_registry(registry, fmt: str, extra: dict[str, dict] | None = None) -> int:
    """One row per registered name; ``extra`` adds columns per name (lists are joined in the table)."""
    rows = []
    for name in registry.names():
        cls = registry.get(name)
        summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        rows.append(
            {
                "name": name,
                "aliases": registry.aliases_of(name),
                "class": f"{cls.__module__}.{cls.__qualname__}",
                "summary": summary,
                **(extra or {}).get(name, {}),
            }
        )
    if fmt == "json":
        emit(dumps(rows))
        return 0
    table = Table(title=f"{registry.kind}s", title_justify="left")
    columns = [c for c in rows[0] if c != "class"] + ["class"] if rows else []
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(", ".join(v) if isinstance(v, list) else str(v) for v in (row[c] for c in columns)))
    out.print(table)
    return 0


def example_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="scine-eval example",
        description="Write an example kit (procedural videos + simulated ratings) to try a run offline.",
    )
    parser.add_argument("--output", type=str, default="example", help="Folder to write the kit into.")
    add_dataclass_arguments(parser, RunConfig, only=("taxonomy", "suite"))
    return parser


def example(namespace: Namespace) -> int:
    from scine_eval.example import write_example
    from scine_eval.suite import load_suite
    from scine_eval.taxonomy import load_taxonomy

    suite = load_suite(namespace.suite, load_taxonomy(namespace.taxonomy))
    videos, annotations = write_example(namespace.output, suite)
    err_console.print(f"wrote {len(suite.prompts)} videos to {videos} and simulated ratings to {annotations}")
    out.print(
        f"scine-eval --model cached --model_args path={videos} --judge human --judge_args annotations={annotations}",
        highlight=False,
        markup=False,
    )
    return 0


def judge_check_parser() -> ArgumentParser:
    from scine_eval.judge_check import JudgeCheckConfig

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

    from scine_eval.judge_check import JudgeCheckConfig, judge_check
    from scine_eval.report import judge_check_table
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
    from scine_eval.ablate import AblateConfig

    return config_parser(
        "scine-eval ablate",
        f"{summary(AblateConfig)} Writes a table to stdout, and ablation.json and ablation.png.",
        "example: scine-eval ablate --annotations ratings.jsonl --judges qwen2.5-vl-7b qwen2.5-vl-32b "
        'qwen2.5-vl-72b "bt:pretrained=path/to/scorer"',
        AblateConfig,
    )


def ablate(namespace: Namespace) -> int:
    from scine_eval.ablate import AblateConfig, write_ablation
    from scine_eval.ablate import ablate as run_ablation
    from scine_eval.report import ablation_table

    config = config_from(namespace, AblateConfig)
    report = run_ablation(config)
    out.print(ablation_table(report))
    if config.output_path:
        for kind, path in write_ablation(report, Path(config.output_path)).items():
            err_console.print(f"[dim]{kind}:[/] {escape(str(path))}", highlight=False, soft_wrap=True)
    return 0
