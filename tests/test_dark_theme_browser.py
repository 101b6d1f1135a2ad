"""diffmagic's output reads in JupyterLab's dark theme: checked from the page, in a real browser.

A small notebook (the magic on |x| with its notes and secant table, a function whose symbolic
row fails, `print`-free HTML of a comparison, and the panel with a message in its status line)
runs in JupyterLab with the theme set to "JupyterLab Dark" in the user settings, as a learner
would choose it. JavaScript in the page then walks every text node of the outputs and computes,
as WCAG 2 defines it, the contrast between the text's colour and the background it sits on
(each ancestor's background composited, alpha included): every one must reach 4.5:1. Every
image among the outputs must carry alt text.

Reuses the JupyterLab + chromium + Playwright fixtures of tests/test_panel_browser.py.
"""

from __future__ import annotations

import json
from pathlib import Path

# nbformat and nbclient are imported by the tests that use them: importing nbformat costs seconds
# (jsonschema's format checkers), and the fast loop (-m "not slow") never needs it.
import pytest
from test_panel_browser import (  # the shared fixtures and helpers of the panel's browser test
    ARTIFACTS,
    FRONTENDS,
    PANEL_TIMEOUT_MS,
    Server,
    jupyter_server,  # noqa: F401  (a fixture, used by name)
    notebook_page,
    run_all_cells,
)

NOTEBOOK_NAME = "dark_theme.ipynb"
STATUS_MESSAGE = "a message in the panel's status line"
CELLS = [
    "%load_ext diffmagic\nimport diffmagic",
    "%%differentiate --at 0.5 --timing-points 10000\ndef f(x):\n    return abs(x) + x**2\n",
    "%%differentiate --no-timing --no-plot\n"
    "def g(x):\n    if x > 0:\n        return x**2\n    return -x\n",
    'diffmagic.compare("exp(-2*x) + 3*sin(3*x)")',
    'panel = diffmagic.panel("abs(x) + sin(x)", x0=1.0)\n'
    f"panel._show_error(ValueError({STATUS_MESSAGE!r}))\npanel",
]
#: Tables the notebook shows: |x|'s table, slopes and secants; g's table; the comparison's;
#: the panel's slopes and table (inside its output widget).
EXPECTED_TABLES = 7
MINIMUM_CONTRAST = 4.5

#: Every text node of the outputs with its colour, its effective background and their contrast.
CONTRASTS_JS = r"""
() => {
  const parse = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const parts = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, bottom) => {  // `top` composited over an opaque `bottom`
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const background = (element) => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    let result = [255, 255, 255, 1];  // the canvas under everything
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const luminance = (rgb) => {
    const channel = (v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
  };
  const roots = [
    ...document.querySelectorAll('.jp-OutputArea-output.jp-RenderedHTMLCommon'),
    ...document.querySelectorAll('.jp-OutputArea-output .jp-RenderedHTMLCommon'),
    ...document.querySelectorAll('.jp-OutputArea-output.jp-RenderedText'),
    ...document.querySelectorAll('.widget-html-content'),
  ];
  const seen = new Set();
  const results = [];
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      const element = node.parentElement;
      if (!text || !element || seen.has(element) || element.closest('mjx-container, .MathJax')) {
        continue;
      }
      seen.add(element);
      const style = getComputedStyle(element);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      const back = background(element);
      const fore = over(parse(style.color), back);
      const [l1, l2] = [luminance(fore), luminance(back)].sort((a, b) => b - a);
      results.push({
        text: text.slice(0, 60),
        color: style.color,
        background: `rgb(${back.slice(0, 3).map(Math.round).join(', ')})`,
        contrast: (l1 + 0.05) / (l2 + 0.05),
      });
    }
  }
  return results;
}
"""


def _notebook(path: Path) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)


def _dark_theme(settings: Path) -> None:
    """The user's choice of theme, where JupyterLab keeps it (JUPYTERLAB_SETTINGS_DIR)."""
    themes = settings / "@jupyterlab" / "apputils-extension"
    themes.mkdir(parents=True, exist_ok=True)
    (themes / "themes.jupyterlab-settings").write_text(json.dumps({"theme": "JupyterLab Dark"}))


@pytest.mark.slow
@pytest.mark.parametrize("jupyter_server", [FRONTENDS[0]], indirect=True, ids=["lab"])
def test_every_text_of_diffmagic_reads_in_the_dark_theme(
    jupyter_server: Server,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert jupyter_server.frontend.name == "lab"
    # The fixture serves tmp_path/notebooks and keeps the user settings in tmp_path/jupyter.
    _notebook(tmp_path / "notebooks" / NOTEBOOK_NAME)
    _dark_theme(tmp_path / "jupyter" / "settings")
    artifacts = ARTIFACTS / "dark"
    artifacts.mkdir(parents=True, exist_ok=True)
    with notebook_page(jupyter_server, NOTEBOOK_NAME, artifacts) as page:
        theme = page.evaluate(
            "() => [document.body.dataset.jpThemeName, document.body.dataset.jpThemeLight]"
        )
        assert theme == ["JupyterLab Dark", "false"], f"the dark theme is not on: {theme}"
        ready = (
            f"() => document.querySelectorAll('.diffmagic-table').length >= {EXPECTED_TABLES}"
            f" && document.body.innerText.includes({STATUS_MESSAGE!r})"
            " && document.querySelectorAll('.widget-output img').length > 0"
        )
        run_all_cells(page, lambda: page.evaluate(ready), PANEL_TIMEOUT_MS)
        page.wait_for_function(ready, timeout=5_000)
        page.wait_for_timeout(1_000)  # the last output's styles applied
        page.screenshot(path=artifacts / "dark-theme.png", full_page=True)
        contrasts = page.evaluate(CONTRASTS_JS)
        images = page.evaluate(
            "() => [...document.querySelectorAll('.jp-OutputArea-output img')]"
            ".map((img) => img.getAttribute('alt') || '')"
        )

    texts = " ".join(item["text"] for item in contrasts)
    # The outputs were read: table cells, the notes under a row, footnotes, the status line.
    for expected in ("symbolic (SymPy)", "failed", "corner", "timing off", STATUS_MESSAGE):
        assert expected in texts, f"{expected!r} not among the texts checked: {texts[:400]}"
    low = [item for item in contrasts if item["contrast"] < MINIMUM_CONTRAST]
    (artifacts / "contrasts.json").write_text(json.dumps(contrasts, indent=1))
    assert low == [], f"text below {MINIMUM_CONTRAST}:1 on the dark theme: {low[:10]}"
    assert images and all(len(alt) > 20 for alt in images), images
