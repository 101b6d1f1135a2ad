"""The course lab exported with nbconvert to HTML, as a learner shares it: every figure is an
image with alt text that says what it shows, every table is there with its caption.

JupyterLab's own PNG renderer and nbconvert's lab template give a bare PNG output no alt text;
diffmagic's figures carry an HTML twin (an `<img alt="...">`), which both prefer.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_notebooks import EXAMPLES, _errors, _execute

NOTEBOOK = EXAMPLES / "01_course_lab.ipynb"


class _Elements(HTMLParser):
    """Every <img> with its attributes, and every diffmagic table with whether it has a caption."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.tables: list[bool] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes)
        elif tag == "table" and "diffmagic-table" in (attributes.get("class") or ""):
            self.tables.append(False)
        elif tag == "caption" and self.tables:
            self.tables[-1] = True


def _figure_outputs(notebook) -> int:
    return sum(
        1
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if any(mime.startswith("image/") for mime in output.get("data", {}))
    )


@pytest.mark.slow
def test_the_exported_lab_shows_every_figure_with_alt_text_and_every_table(
    tmp_path: Path,
) -> None:
    from nbconvert import HTMLExporter

    notebook = _execute(NOTEBOOK, tmp_path)
    assert _errors(notebook) == []
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    (tmp_path / "01_course_lab.html").write_text(page, encoding="utf-8")
    elements = _Elements()
    elements.feed(page)

    figures = _figure_outputs(notebook)
    assert figures >= 5, "the lab draws a figure per magic"
    shown = [image for image in elements.images if (image.get("src") or "").startswith("data:")]
    assert len(shown) == figures, f"{figures} figures in the notebook, {len(shown)} in the page"
    for image in shown:
        alt = image.get("alt") or ""
        assert len(alt) > 30 and "No description" not in alt, alt
        assert " and its derivative " in alt or "contours" in alt or "step h" in alt, alt
    assert elements.tables, "no diffmagic table in the exported page"
    # The comparison tables have a caption saying what was compared; the small tables of
    # slopes and secants sit under a paragraph that does.
    assert sum(elements.tables) >= figures


@pytest.mark.slow
def test_the_stored_panel_notebook_exports_its_last_figure_and_table() -> None:
    """The panel notebook as stored (docs/build_notebooks.py), exported as a learner shares it
    or as the docs site shows it: with no widget JavaScript to fetch, the page shows the panel's
    static twin, its last figure with alt text and its table of slopes, not an empty box."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(EXAMPLES / "03_panel.ipynb", as_version=4)
    panel_cells = [
        cell
        for cell in notebook.cells
        if cell.cell_type == "code" and "diffmagic.panel(" in cell.source
    ]
    assert panel_cells and all(cell.outputs for cell in panel_cells), "stored without outputs"
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    elements = _Elements()
    elements.feed(page)
    shown = [image for image in elements.images if (image.get("src") or "").startswith("data:")]
    assert len(shown) == len(panel_cells)
    for image in shown:
        assert " and its derivative " in (image.get("alt") or ""), image.get("alt")
    assert len(elements.tables) >= len(panel_cells)
    assert "slope at x0" in page
