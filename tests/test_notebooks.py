"""Every example notebook runs top to bottom in a real kernel, as a learner would run it.

Each notebook is executed in a copy of `examples/` (so files it writes stay out of the
repository) by the `python3` kernel. That kernelspec runs `python -m ipykernel_launcher`, and
jupyter_client replaces a bare `python` with the interpreter running the tests, so the kernel
uses this environment; the first test checks that it really does. The kernel is started by
`docs/build_notebooks.py`, which stores the examples with their outputs; each run here also
checks that the stored outputs are of the kinds the run shows (tests/test_stored_notebooks.py
checks, without a kernel, that they were made from the code cells as they are).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

# nbformat and nbclient are imported by the tests that use them: importing nbformat costs seconds
# (jsonschema's format checkers), and the fast loop (-m "not slow") never needs it.
import pytest

#: Each test starts a Jupyter kernel and runs a whole notebook.
pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BUILD_SCRIPT = EXAMPLES.parent / "docs" / "build_notebooks.py"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def _build_notebooks():
    """docs/build_notebooks.py, which stores the examples with their outputs: the tests start
    their kernels through its `execute`, so a stored output is made as a tested one is."""
    spec = importlib.util.spec_from_file_location("build_notebooks", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _execute(notebook_path: Path, workdir: Path, extra_cells: tuple[str, ...] = ()) -> Any:
    """Run a copy of the notebook with `examples/` as its working directory (the stored
    outputs are cleared as each cell runs)."""
    return _build_notebooks().execute(notebook_path, workdir, extra_cells)


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
    return _build_notebooks().errors(notebook)


def _output_kinds(cell) -> tuple[tuple[str, ...], ...]:
    """What a reader sees in a cell, by kind: each rich output's type and MIME types, then
    whether it printed to stdout. Streams are counted once (a kernel may split one print in
    chunks); stderr is left out (warnings of the platform, not the notebook's content)."""
    outputs = cell.get("outputs", [])
    rich = tuple(
        (output["output_type"], *sorted(output.get("data", {})))
        for output in outputs
        if output["output_type"] != "stream"
    )
    printed = any(
        output["output_type"] == "stream" and output["name"] == "stdout" for output in outputs
    )
    return (*rich, ("stdout",)) if printed else rich


def _stale_cells(stored, fresh) -> list[str]:
    """The code cells whose fresh run shows other kinds of output than the stored notebook.
    The text is not compared: it carries timings, and notes that depend on them."""
    stored_code = [cell for cell in stored.cells if cell.cell_type == "code"]
    fresh_code = [cell for cell in fresh.cells if cell.cell_type == "code"]
    return [
        f"code cell {index}: stored {_output_kinds(then)}, now {_output_kinds(now)}\n{then.source}"
        for index, (then, now) in enumerate(zip(stored_code, fresh_code, strict=False))
        if _output_kinds(then) != _output_kinds(now)
    ]


def test_there_are_example_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks in {EXAMPLES}"
    assert EXAMPLES / "01_course_lab.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_without_errors(notebook_path: Path, tmp_path: Path) -> None:
    import nbformat

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
    # The stored outputs (docs/build_notebooks.py) are of the kinds a fresh run shows.
    stale = _stale_cells(nbformat.read(notebook_path, as_version=4), notebook)
    assert stale == [], f"run `python docs/build_notebooks.py {notebook_path.name}`: {stale}"
    for cell in _magic_cells(notebook):
        shown = _mime_types(cell)
        quiet = " -q" in cell.source or "--quiet" in cell.source
        if quiet:
            assert shown == set(), cell.source
            continue
        assert "text/html" in shown, cell.source
        if "--no-plot" not in cell.source:
            assert "image/png" in shown, cell.source
