"""What a run would use: ``taxonomy``, ``tasks``, ``validate``, ``models`` and ``judges``."""

from __future__ import annotations

from collections.abc import Callable

from jsonargparse import ActionYesNo, ArgumentParser, Namespace
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from scine_eval.cli.output import dumps, emit, err_console, out
from scine_eval.cli.parsing import add_dataclass_arguments
from scine_eval.options import RunConfig

_DATA_OPTIONS = ("taxonomy", "suite", "include_path")


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
    from scine_eval.contracts.model import model_registry

    presets = {name: model_registry.get(name).describe().get("presets", []) for name in model_registry.names()}
    if namespace.format == "json":
        return _list_registry(model_registry, "json", {name: {"presets": rows} for name, rows in presets.items()})
    _list_registry(model_registry, "table")
    for name, rows in presets.items():
        if rows:
            table = Table(
                title=f"{name} presets (--model PRESET; override any default with --model_args)",
                title_justify="left",
                caption="GiB: estimated bf16 weights, all on the GPU / with offload=model (the largest component), "
                "before activations",
                caption_justify="left",
            )
            for column in rows[0]:
                table.add_column(column, justify="right" if isinstance(rows[0][column], int | float) else "left")
            for row in rows:
                table.add_row(*(str(value) for value in row.values()))
            out.print(table)
    return 0


def judges_parser() -> ArgumentParser:
    parser = registry_parser("judges")()
    parser.description = (
        "List the registered judges: what they cover, what they see of a video, and for model judges the "
        "estimated GPU memory of each preset in bf16 / 8-bit / 4-bit with --memory (from the real architectures, "
        "no download; needs torch and transformers)."
    )
    parser.add_argument(
        "--memory", action=ActionYesNo, default=False, help="Also estimate each preset's GPU memory (imports torch)."
    )
    parser.add_argument("--gpu_gib", type=float, default=80.0, help="GPU memory to check each estimate against.")
    return parser


def judges(namespace: Namespace) -> int:
    from scine_eval.cli.tables import memory_table
    from scine_eval.contracts.judge import judge_registry

    described = {name: judge_registry.get(name).describe() for name in judge_registry.names()}
    memory: dict[str, list[dict]] = {}
    missing = ""
    for name, info in described.items():
        try:
            wanted = namespace.memory and "memory" in info
            memory[name] = info["memory"](gpu_gib=namespace.gpu_gib) if wanted else []
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
    if not namespace.memory and any("memory" in info for info in described.values()):
        err_console.print("[dim]add --memory for each preset's estimated GPU memory in bf16 / 8-bit / 4-bit[/]")
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


models_parser = registry_parser("models")
metrics_parser = registry_parser("metrics")


def metrics(namespace: Namespace) -> int:
    """The video metrics ``--metrics`` takes (FVD, CLIPSIM, IS, VSA), with what each measures."""
    from scine_eval.contracts.metric import metric_registry

    extra = {
        name: {"measures": metric_registry.get(name).description,
               "better": "higher" if metric_registry.get(name).higher_is_better else "lower"}
        for name in metric_registry.names()
    }  # fmt: skip
    return _list_registry(metric_registry, namespace.format, extra)
