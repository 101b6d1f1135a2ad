"""Run every example notebook in a real kernel and store it with its outputs.

    python docs/build_notebooks.py                         # from the repository root: all of them
    python docs/build_notebooks.py 03_panel.ipynb          # or some, by name

A learner who opens `examples/*.ipynb` on GitHub, or in the documentation site, sees the figures
and tables before running anything. Each notebook runs top to bottom in a copy of `examples/`
(so the files a notebook writes stay out of the repository) in the `python3` kernel, which
jupyter_client starts with the interpreter running this script; tests/test_notebooks.py runs the
notebooks through `execute` below, so the build and the tests start their kernels the same way.

A notebook whose run shows an error is not stored: the script names the cell and exits 1.
Each stored notebook carries, in its metadata, the SHA-256 of its code cells' sources
(`sources_digest`): tests/test_stored_notebooks.py checks that it still matches, so a code cell
edited without a rebuild fails the tests, and the check costs no kernel. The stored PNGs are
palette-coded (256 colours; the figures are lines and text on white), a quarter of their size,
so the eight notebooks weigh about 2 MB.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
#: Where the stamp lives in a notebook's metadata.
STAMP_KEY = "diffmagic"
#: A notebook runs for minutes at most; a cell stuck for longer than this is a bug.
CELL_TIMEOUT_S = 600
#: Colours kept in a stored PNG: line plots on white look the same and weigh a quarter.
PNG_COLOURS = 256
#: A PNG inlined in an HTML output (a figure's `<img alt=...>` twin, the panel's static view).
_DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


def execute(notebook_path: Path, workdir: Path, extra_cells: tuple[str, ...] = ()) -> Any:
    """Run a copy of the notebook, with a copy of `examples/` in `workdir` as its working
    directory, and return the executed notebook (outputs stored in it, errors included)."""
    import nbformat
    from nbclient import NotebookClient

    copy = workdir / "examples"
    shutil.copytree(notebook_path.parent, copy, dirs_exist_ok=True)
    notebook = nbformat.read(copy / notebook_path.name, as_version=4)
    notebook.metadata.pop("widgets", None)  # a previous run's, kept by the stored notebook
    notebook.cells.extend(nbformat.v4.new_code_cell(source) for source in extra_cells)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        allow_errors=True,
        # No per-cell timestamps: a rebuild changes only what the reader sees.
        record_timing=False,
        # No widget state: a static page (nbconvert's HTML, the site) then shows a widget
        # output's static twin, the panel's last figure and table, instead of an empty
        # placeholder for widget JavaScript fetched from the network.
        store_widget_state=False,
        resources={"metadata": {"path": str(copy)}},
    )
    client.execute()
    return notebook


def sources_digest(notebook: Any) -> str:
    """SHA-256 of the code cells' sources, in order: what the stored outputs were made from.
    Markdown cells are left out, since editing prose does not make an output stale. Takes the
    notebook as nbformat reads it or as plain JSON (so a check needs no nbformat)."""
    digest = hashlib.sha256()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            source = cell["source"]  # a list of lines in the file's JSON, a str in nbformat's
            digest.update("".join(source).encode("utf-8"))
            digest.update(b"\0")
    return digest.hexdigest()


def errors(notebook: Any) -> list[str]:
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


def _palette_png(encoded: str) -> str:
    """The base64 PNG `encoded` redrawn with a palette of `PNG_COLOURS` colours (alpha kept)."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(encoded)))
    image = image.convert("RGBA").quantize(colors=PNG_COLOURS, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    smaller = base64.b64encode(buffer.getvalue()).decode("ascii")
    return smaller if len(smaller) < len(encoded) else encoded


def smaller_pngs(node: Any) -> Any:
    """`node` (a notebook, or any part of one) with every PNG in it palette-coded: the values
    of `image/png` keys, and PNGs inlined as data URIs in text (which repeat the same image)."""
    if isinstance(node, dict):
        return {
            key: _palette_png(value)
            if key == "image/png" and isinstance(value, str)
            else smaller_pngs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [smaller_pngs(item) for item in node]
    if isinstance(node, str) and "data:image/png;base64," in node:
        return _DATA_URI.sub(
            lambda match: "data:image/png;base64," + _palette_png(match.group(1)), node
        )
    return node


def build(notebook_path: Path) -> list[str]:
    """Execute one notebook and store it with its outputs and its stamp; the errors if any
    (then the stored file is left as it was)."""
    import nbformat

    with tempfile.TemporaryDirectory(prefix="diffmagic-notebook-") as workdir:
        notebook = execute(notebook_path, Path(workdir))
    found = errors(notebook)
    if found:
        return found
    notebook = nbformat.from_dict(smaller_pngs(notebook))
    notebook.metadata[STAMP_KEY] = {"sources_sha256": sources_digest(notebook)}
    nbformat.write(notebook, notebook_path)
    return []


def main(argv: list[str]) -> int:
    """Build the notebooks named in `argv` (all of `examples/` when none is)."""
    paths = [EXAMPLES / name for name in argv] or sorted(EXAMPLES.glob("*.ipynb"))
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        print(f"no such notebook in {EXAMPLES}: {', '.join(missing)}", file=sys.stderr)
        return 2
    failed = False
    for path in paths:
        found = build(path)
        for line in found:
            print(f"{path.name}: {line}", file=sys.stderr)
        failed = failed or bool(found)
        print(f"{path.name}: {'NOT stored (errors above)' if found else 'stored with outputs'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
