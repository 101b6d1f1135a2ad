"""Regenerate the README's pictures: `python docs/make_pictures.py` (from the repository root).

The panel's screenshot comes from the browser test (tests/test_panel_browser.py saves it in
artifacts/browser/); run that test first to refresh it.
"""

from __future__ import annotations

import pathlib

import diffmagic
from diffmagic.partials import gradient_field_figure

HERE = pathlib.Path(__file__).parent / "images"
ABS_CELL = "import numpy as np\ndef f(x):\n    return np.abs(x) + np.sin(x)\n"


def main() -> None:
    HERE.mkdir(exist_ok=True)
    lab = diffmagic.compare(
        "import numpy as np\ndef f(x):\n    return np.exp(-2*x) + 3*np.sin(3*x)\n", domain=(-1, 3)
    )
    lab.figure(at=1.0).savefig(HERE / "exp_sin.png", dpi=72)
    kink = diffmagic.compare(ABS_CELL, domain=(-3, 3))
    kink.figure().savefig(HERE / "abs_corner.png", dpi=72)
    cubic = diffmagic.compare("2*x**3 - 3*x**2 + 5", domain=(-1, 2), extrema=True)
    cubic.figure().savefig(HERE / "extrema.png", dpi=72)
    sine = diffmagic.compare("sin(x)", domain=(0, 2))
    sine.step_study(1.0).figure().savefig(HERE / "step_study.png", dpi=72)
    gradient_field_figure("def f(x, y):\n    return 2*x**2 - x*y\n", (-2, 2), (-2, 2)).savefig(
        HERE / "gradient_field.png", dpi=72
    )
    screenshot = pathlib.Path("artifacts/browser/02-page-after.png")
    if screenshot.exists():
        from PIL import Image

        page = Image.open(screenshot)
        width, height = page.size
        page.crop((290, 330, min(width, 1360), min(height, 1560))).save(HERE / "panel.png")
    else:
        print("no panel screenshot: run tests/test_panel_browser.py first")


if __name__ == "__main__":
    main()
