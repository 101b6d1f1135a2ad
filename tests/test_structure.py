"""The package's shape: imports inside it go one way (no cycle), and each module imports alone.

The import graph is read from the source (the AST), not from `sys.modules`, so an import made
inside a function counts as much as one at the top of a module: both make the two modules
depend on each other. Imports under `if TYPE_CHECKING:` do not run and are left out.
"""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

import pytest

PACKAGE_DIR = pathlib.Path(__file__).resolve().parents[1] / "src" / "diffmagic"


def module_names(package_dir: pathlib.Path, package: str) -> dict[str, pathlib.Path]:
    """Every module of the package by dotted name (a package by its `__init__.py`)."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join([package, *parts])] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(package_dir: pathlib.Path, package: str) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports (anywhere in its code)."""
    modules = module_names(package_dir, package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from pkg import sub` imports the submodule `pkg.sub` when there is one.
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            for target in targets:
                while target and target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found)


def test_the_cycle_finder_sees_function_level_imports_and_skips_type_checking(
    tmp_path: pathlib.Path,
) -> None:
    package = tmp_path / "pkg"
    (package / "views").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "views" / "__init__.py").write_text("")
    (package / "core.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg.typed import T\n"
        "def draw():\n    from pkg.views import figure\n"
    )
    (package / "views" / "figure.py").write_text("from ..core import draw\n")
    (package / "typed.py").write_text("import pkg.core\n")
    (package / "alone.py").write_text("from pkg import core\n")
    graph = import_graph(package, "pkg")
    assert graph["pkg.core"] == {"pkg.views.figure"}
    assert graph["pkg.views.figure"] == {"pkg.core"}
    assert graph["pkg.typed"] == {"pkg.core"}
    assert graph["pkg.alone"] == {"pkg.core"}
    assert cycles(graph) == [["pkg.core", "pkg.views.figure"]]


def test_the_package_graph_covers_every_module() -> None:
    graph = import_graph(PACKAGE_DIR, "diffmagic")
    assert {
        "diffmagic",
        "diffmagic.limits.bounds",
        "diffmagic.limits.guard",
        "diffmagic.views.figure",
    } <= set(graph)
    assert "diffmagic.limits.bounds" in graph["diffmagic.limits.guard"]


def test_no_import_cycle_inside_the_package() -> None:
    found = cycles(import_graph(PACKAGE_DIR, "diffmagic"))
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


@pytest.mark.slow
def test_each_module_imports_alone_in_a_fresh_interpreter_without_jax() -> None:
    """Every module imports on its own (no hidden order between them), and none imports JAX
    at import time (JAX is imported on first use: importing diffmagic stays light)."""
    script = (
        "import importlib, json, sys\n"
        "importlib.import_module(sys.argv[1])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'jax')))\n"
    )
    failures = []
    for name in module_names(PACKAGE_DIR, "diffmagic"):
        if name == "diffmagic.__main__":
            continue  # importing it runs the command, by design (`python -m diffmagic`)
        done = subprocess.run(
            [sys.executable, "-c", script, name], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            failures.append(f"{name}: {done.stderr.strip().splitlines()[-1:]}")
        elif json.loads(done.stdout.strip().splitlines()[-1]):
            failures.append(f"{name}: imports jax at import time")
    assert failures == []


#: One module per job: a module that grows past this is doing two jobs (issue 12).
MAX_MODULE_LINES = 400


def test_no_module_is_over_four_hundred_lines() -> None:
    lengths = {
        str(path.relative_to(PACKAGE_DIR)): len(path.read_text(encoding="utf-8").splitlines())
        for path in module_names(PACKAGE_DIR, "diffmagic").values()
    }
    too_long = {name: lines for name, lines in lengths.items() if lines > MAX_MODULE_LINES}
    assert not too_long, f"split these by job: {too_long}"
