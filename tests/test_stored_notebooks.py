"""The example notebooks are stored with the outputs of their current sources.

`python docs/build_notebooks.py` runs each notebook in a real kernel and stores it with its
outputs and the SHA-256 of its code cells. Two checks keep the stored outputs honest:

- fast: the stamp still matches the code cells (exact, needs no kernel, cannot flake), so a
  code cell edited without a rebuild fails here, with the command that fixes it;
- slow, in tests/test_notebooks.py's run of each notebook: a fresh run shows, cell by cell, the
  same kinds of output as the stored one (a figure where a figure was stored, a table where a
  table was), so a package change that adds, drops or breaks an output fails too. The text
  itself is not compared: it carries timings, and notes that depend on them, which differ from
  run to run on a loaded machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_notebooks import NOTEBOOKS, _build_notebooks

REBUILD = "python docs/build_notebooks.py"


def _stored(path: Path) -> dict:
    """The notebook as stored, read as plain JSON (nbformat costs seconds to import)."""
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_stored_outputs_are_those_of_the_code_cells_as_they_are(notebook_path: Path) -> None:
    notebook = _stored(notebook_path)
    stamp = notebook["metadata"].get("diffmagic", {}).get("sources_sha256")
    assert stamp is not None, f"{notebook_path.name} was not built: run `{REBUILD}`"
    assert stamp == _build_notebooks().sources_digest(notebook), (
        f"a code cell of {notebook_path.name} changed since its outputs were stored: "
        f"run `{REBUILD} {notebook_path.name}`"
    )
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] for cell in code), "every code cell was run"
    assert not [
        output for cell in code for output in cell["outputs"] if output["output_type"] == "error"
    ], "an error is stored"


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda path: path.name)
def test_a_notebook_that_draws_is_stored_with_its_pictures(notebook_path: Path) -> None:
    """A learner who opens the notebook on GitHub sees its figures (or graph) before running."""
    notebook = _stored(notebook_path)
    pictures = [
        output
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
        if {"image/png", "image/svg+xml"} & set(output.get("data", {}))
        or "data:image/png;base64," in "".join(output.get("data", {}).get("text/html", ""))
    ]
    assert pictures, f"{notebook_path.name} is stored without a picture"
