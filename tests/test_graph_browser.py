"""The computational graph's SVG in a real browser: in JupyterLab, and in an exported HTML page.

Reuses the JupyterLab server and Chromium helpers of `test_panel_browser.py` (the server's root
is `tmp_path / "notebooks"`; this test writes its own notebook there). Screenshots go to
artifacts/browser/graph/ for the record.
"""

from __future__ import annotations

from pathlib import Path

# nbformat and nbclient are imported by the tests that use them: importing nbformat costs seconds
# (jsonschema's format checkers), and the fast loop (-m "not slow") never needs it.
import pytest
from test_panel_browser import (
    ARTIFACTS,
    ERROR_OUTPUTS,
    FRONTENDS,
    Server,
    chromium_page,
    jupyter_server,  # noqa: F401 - the fixture, used by name
    notebook_page,
    run_all_cells,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "08_computational_graph.ipynb"
CELL_TIMEOUT_MS = 120_000  # imports JAX and traces f
GRAPH_CELL = 'import diffmagic\n\ndiffmagic.graph("exp(-2*x) + 3*sin(3*x)", at=1.0, mode="reverse")'


def _svg_facts(locator) -> dict:
    """What the learner sees of one SVG: its size on the page and how much text it draws."""
    return locator.evaluate(
        """(svg) => {
            const box = svg.getBoundingClientRect();
            return {width: box.width, height: box.height,
                    texts: svg.querySelectorAll('text').length,
                    boxes: svg.querySelectorAll('rect').length,
                    title: (svg.querySelector('title') || {}).textContent || ''};
        }"""
    )


@pytest.mark.slow
@pytest.mark.parametrize("jupyter_server", [FRONTENDS[0]], indirect=True, ids=["lab"])
def test_the_graph_renders_in_jupyterlab(jupyter_server: Server, tmp_path: Path) -> None:  # noqa: F811
    import nbformat

    name = "graph.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(GRAPH_CELL)])
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(notebook, tmp_path / "notebooks" / name)
    artifacts = ARTIFACTS / "graph"
    artifacts.mkdir(parents=True, exist_ok=True)
    page_errors: list[str] = []

    with notebook_page(
        jupyter_server, name, artifacts, height=1200, page_errors=page_errors
    ) as page:
        svg = page.locator(".jp-OutputArea-output svg[role='img']").first
        run_all_cells(page, svg.is_visible, CELL_TIMEOUT_MS)
        svg.wait_for(state="visible", timeout=5_000)
        svg.scroll_into_view_if_needed()
        svg.screenshot(path=artifacts / "jupyterlab-graph.png")
        facts = _svg_facts(svg)
        errors = page.locator(ERROR_OUTPUTS).all_inner_texts()

    assert facts["width"] > 300 and facts["height"] > 300, facts
    assert facts["texts"] > 20 and facts["boxes"] > 10, facts
    assert facts["title"].startswith("computational graph of f(x)"), facts
    assert not errors, f"error output in the notebook: {errors}"
    assert not page_errors, page_errors


@pytest.mark.slow
def test_the_exported_html_of_example_08_shows_the_svg(tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    notebook = nbformat.read(EXAMPLE, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLE.parent)}},
    ).execute()
    body, _ = HTMLExporter().from_notebook_node(notebook)
    assert body.count("<svg") >= 4, "the graphs and the expression tree are in the page"
    assert "computational graph of f(x) = exp(-2*x) + 3*sin(3*x)" in body
    page_path = tmp_path / "08_computational_graph.html"
    page_path.write_text(body, encoding="utf-8")

    artifacts = ARTIFACTS / "graph"
    artifacts.mkdir(parents=True, exist_ok=True)
    with chromium_page(artifacts, height=1200) as page:
        page.goto(page_path.as_uri(), wait_until="domcontentloaded")
        svg = page.locator("svg[role='img']").first
        svg.wait_for(state="visible", timeout=30_000)
        svg.scroll_into_view_if_needed()
        svg.screenshot(path=artifacts / "exported-html-graph.png")
        facts = _svg_facts(svg)
        count = page.locator("svg[role='img']").count()
    assert count >= 4
    assert facts["width"] > 300 and facts["height"] > 300 and facts["texts"] > 20, facts
