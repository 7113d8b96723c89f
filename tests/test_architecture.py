"""The import graph: the core never imports the extension folders, and no modules import each other in a loop.

Read statically from the source (every ``import``, including those inside functions), so a lazy import
counts too. The extension packages (``scine_eval.models``, ``scine_eval.judges``, ``scine_eval.leaderboard``)
may import the core; the core reaches them only through the registries in :mod:`scine_eval.contracts`.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "scine_eval"
EXTENSIONS = ("scine_eval.models", "scine_eval.judges", "scine_eval.leaderboard")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports (``from a import b`` counts ``a.b`` when that is a module)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    for name in files:
        graph.setdefault(name, set())
    return dict(graph)


def _is_extension(module: str) -> bool:
    return any(module == ext or module.startswith(ext + ".") for ext in EXTENSIONS)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), ignoring a package's own __init__."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def edges(module: str) -> set[str]:
        # A module importing its own package's __init__ (to reach a sibling) is how packages work, not a loop.
        return {t for t in graph[module] if not module.startswith(t + ".")}

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges(module):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_core_never_imports_the_extension_packages():
    graph = import_graph()
    edges = sorted(
        f"{source} -> {target}"
        for source, targets in graph.items()
        if not _is_extension(source)
        for target in targets
        if _is_extension(target)
    )
    assert not edges, "core modules import extension packages:\n" + "\n".join(edges)


def test_no_import_loops():
    assert _cycles(import_graph()) == []


def test_the_graph_reader_sees_lazy_imports_and_loops():
    """The checks above must be able to fail: a made-up graph with a loop and a core -> judge edge."""
    graph = {"scine_eval.a": {"scine_eval.b"}, "scine_eval.b": {"scine_eval.a", "scine_eval.judges.x"},
             "scine_eval.judges.x": set()}  # fmt: skip
    assert _cycles(graph) == [["scine_eval.a", "scine_eval.b"]]
    real = import_graph()
    assert "scine_eval.evaluator" in real["scine_eval.cli.run"]  # imported inside a function
