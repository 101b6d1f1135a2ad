"""Every example notebook runs top to bottom in a real kernel, as a learner would run it.

Each notebook is executed in a copy of `examples/` (so files it writes stay out of the
repository) by the `python3` kernel. That kernelspec runs `python -m ipykernel_launcher`, and
jupyter_client replaces a bare `python` with the interpreter running the tests, so the kernel
uses this environment; the first test checks that it really does.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

# nbformat and nbclient are imported by the tests that use them: importing nbformat costs seconds
# (jsonschema's format checkers), and the fast loop (-m "not slow") never needs it.
import pytest

#: Each test starts a Jupyter kernel and runs a whole notebook.
pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def _execute(notebook_path: Path, workdir: Path, extra_cells: tuple[str, ...] = ()) -> Any:
    """Run a copy of the notebook with `examples/` as its working directory."""
    import nbformat
    from nbclient import NotebookClient

    copy = workdir / "examples"
    shutil.copytree(EXAMPLES, copy)
    notebook = nbformat.read(copy / notebook_path.name, as_version=4)
    notebook.cells.extend(nbformat.v4.new_code_cell(source) for source in extra_cells)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(copy)}},
    )
    client.execute()
    return notebook


def _magic_cells(notebook) -> list:
    """Code cells that run `%%differentiate` or `%differentiate`."""
    return [
        cell
        for cell in notebook.cells
        if cell.cell_type == "code"
        and any(
            line.lstrip().startswith(("%%differentiate", "%differentiate"))
            for line in cell.source.splitlines()
        )
    ]


def _mime_types(cell) -> set[str]:
    return {
        mime
        for output in cell.outputs
        if output.output_type in ("display_data", "execute_result")
        for mime in output.data
    }


def _errors(notebook) -> list[str]:
    """Every error a reader would see: error outputs, and a UsageError's line on stderr."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append(f"cell {index}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                text = output.text
                if any(word in text for word in ("Traceback", "UsageError", "Error:")):
                    found.append(f"cell {index}: {text.strip()}")
    return found


def test_there_are_example_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks in {EXAMPLES}"
    assert EXAMPLES / "01_course_lab.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_saved_without_outputs(notebook_path: Path) -> None:
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} was saved with outputs"
            assert cell.execution_count is None, f"cell {index} was saved with a count"


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_without_errors(notebook_path: Path, tmp_path: Path) -> None:
    check = "import sys; print(sys.executable)"
    notebook = _execute(notebook_path, tmp_path, extra_cells=(check,))
    assert _errors(notebook) == []
    # The kernel ran in the interpreter (and so the environment) running the tests.
    printed = "".join(
        output.text for output in notebook.cells[-1].outputs if output.output_type == "stream"
    )
    assert Path(printed.strip()) == Path(sys.executable)
    # A cell that ends by showing a figure draws it, with or without %matplotlib inline.
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.strip().endswith(".figure()"):
            assert "image/png" in _mime_types(cell), cell.source
    for cell in _magic_cells(notebook):
        shown = _mime_types(cell)
        quiet = " -q" in cell.source or "--quiet" in cell.source
        if quiet:
            assert shown == set(), cell.source
            continue
        assert "text/html" in shown, cell.source
        if "--no-plot" not in cell.source:
            assert "image/png" in shown, cell.source
