"""The README's computational-graph pictures: `python docs/make_graph_pictures.py` (repo root).

The SVGs are diffmagic's own; Debian's chromium (driven by Playwright, as in the browser tests)
turns them into PNGs, because the README's pictures are PNGs.
"""

from __future__ import annotations

import pathlib
import shutil

import diffmagic

HERE = pathlib.Path(__file__).parent / "images"
COMPOSED_2 = (
    "def p(x):\n    return 2*x**3 - 3*x**2 + 5\n\n"
    "def f(x):\n    for i in range(2):\n        x = p(x)\n    return x\n"
)


def main() -> None:
    from playwright.sync_api import sync_playwright

    pictures = {
        "graph_reverse.png": diffmagic.graph("exp(-2*x) + 3*sin(3*x)", at=1.0).svg(),
        "expression_tree.png": diffmagic.expression_tree(COMPOSED_2).svg(),
    }
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            for name, svg in pictures.items():
                page.set_content(f"<html><body style='margin:0'>{svg}</body></html>")
                page.locator("svg").first.screenshot(path=HERE / name)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
