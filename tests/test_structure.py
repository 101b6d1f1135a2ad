"""The package's shape: the folders are layers that import one way, each module imports alone,
no module or function is longer than its one job needs.

The layers are checked by a kept tool, import-linter (contracts in pyproject.toml), which reads
the imports from the source, so an import made inside a function counts as much as one at the
top of a module; imports under `if TYPE_CHECKING:` do not run and are left out.
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import shutil
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


ROOT = PACKAGE_DIR.parents[1]
LINT_IMPORTS = pathlib.Path(sys.executable).parent / "lint-imports"


def lint_imports(project: pathlib.Path, source: pathlib.Path) -> subprocess.CompletedProcess:
    """import-linter's contracts of `project/pyproject.toml` over the package in `source`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(source)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layers_and_the_acyclic_contract_hold() -> None:
    """The folders are the layers (pyproject.toml's import-linter contracts): a layer imports
    only the layers below it, and no package's modules import each other in a cycle."""
    done = lint_imports(ROOT, ROOT / "src")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def _broken_copy(tmp_path: pathlib.Path, module: str, line: str) -> pathlib.Path:
    """The project's contracts and a copy of the package with `line` added to `module`."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    source = tmp_path / "src"
    shutil.copytree(PACKAGE_DIR, source / "diffmagic", ignore=shutil.ignore_patterns("__pycache__"))
    target = source / "diffmagic" / module
    target.write_text(target.read_text(encoding="utf-8") + "\n\n" + line + "\n", encoding="utf-8")
    return source


@pytest.mark.slow
def test_the_contract_fails_when_a_lower_layer_imports_a_higher_one(tmp_path) -> None:
    """The guard (the lowest layer) importing the magic (the highest), inside a function as a
    lazy import would: the build fails and names the import."""
    source = _broken_copy(
        tmp_path,
        "limits/guard.py",
        "def _upward() -> None:\n    from diffmagic.frontends import magic",
    )
    done = lint_imports(tmp_path, source)
    assert done.returncode != 0
    assert "diffmagic.limits is not allowed to import diffmagic.frontends" in done.stdout
    assert "diffmagic.limits.guard -> diffmagic.frontends.magic" in done.stdout


@pytest.mark.slow
def test_the_contract_fails_on_a_cycle_inside_a_layer(tmp_path) -> None:
    """Two analysis modules importing each other: allowed by the layers, refused as a cycle."""
    source = _broken_copy(
        tmp_path,
        "analysis/reference.py",
        "def _back() -> None:\n    from diffmagic.analysis import verdicts",
    )
    verdicts = source / "diffmagic" / "analysis" / "verdicts.py"
    verdicts.write_text(
        verdicts.read_text(encoding="utf-8")
        + "\n\ndef _forth() -> None:\n    from diffmagic.analysis import reference\n",
        encoding="utf-8",
    )
    done = lint_imports(tmp_path, source)
    assert done.returncode != 0
    assert "No import cycle between the modules of any package BROKEN" in done.stdout


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


#: One module per job: a module that grows past this is doing two jobs.
MAX_MODULE_LINES = 400
#: One function per step: a function that grows past this is doing two steps.
MAX_FUNCTION_LINES = 80


def test_no_module_is_over_four_hundred_lines() -> None:
    lengths = {
        str(path.relative_to(PACKAGE_DIR)): len(path.read_text(encoding="utf-8").splitlines())
        for path in module_names(PACKAGE_DIR, "diffmagic").values()
    }
    too_long = {name: lines for name, lines in lengths.items() if lines > MAX_MODULE_LINES}
    assert not too_long, f"split these by job: {too_long}"


def test_no_function_is_over_eighty_lines() -> None:
    """Counted from its first decorator to its last line, docstring included."""
    too_long = {}
    for path in module_names(PACKAGE_DIR, "diffmagic").values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = node.end_lineno - first + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long[f"{path.relative_to(PACKAGE_DIR)}:{node.name}"] = lines
    assert not too_long, f"split these by step: {too_long}"


def _private_attributes_written(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, target) of each assignment or deletion of `something._name` where something is
    not `self` or `cls`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.Delete):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        for target in targets:
            for part in ast.walk(target):
                if (
                    isinstance(part, ast.Attribute)
                    and part.attr.startswith("_")
                    and not part.attr.startswith("__")
                    and not (isinstance(part.value, ast.Name) and part.value.id in ("self", "cls"))
                ):
                    found.append((node.lineno, ast.unparse(target)))
    return found


def test_no_module_writes_another_object_s_private_attribute() -> None:
    """`other._name = ...` makes one class's invariants another's business: an owner exposes
    what others need (a method, a public attribute, an argument) and keeps its own state."""
    writes = [
        f"{path.relative_to(PACKAGE_DIR)}:{line} {target}"
        for path in module_names(PACKAGE_DIR, "diffmagic").values()
        for line, target in _private_attributes_written(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert writes == []


def test_the_private_write_check_sees_one() -> None:
    tree = ast.parse("def draw(panel):\n    panel._cache = {}\n    self._mine = 1\n")
    assert _private_attributes_written(tree) == [(2, "panel._cache")]


def test_code_speaks_of_the_product_never_of_issue_numbers() -> None:
    """No "issue 13" banners or comments: the code says what it does, not when it was asked."""
    import re

    found = [
        f"{path.relative_to(PACKAGE_DIR)}:{number}"
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bissue\s*#?\d", line, re.IGNORECASE)
    ]
    assert not found, f"issue numbers in the code: {found}"


def test_the_public_functions_show_their_real_signatures() -> None:
    import inspect

    import diffmagic

    for name in ("compare", "compare_gradient", "compare_jacobian", "check_gradient", "graph"):
        parameters = inspect.signature(getattr(diffmagic, name)).parameters
        kinds = {parameter.kind for parameter in parameters.values()}
        assert inspect.Parameter.VAR_POSITIONAL not in kinds, name
        assert "f" in parameters, name
