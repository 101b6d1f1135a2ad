"""A function's name in the LaTeX a notebook shows is the name the learner wrote.

The lab names its functions `f_composed`, `f_abs`, `f_polynomial`; the example notebooks
`square_loss`, `log_loss`. Read as LaTeX, `f_composed` is f with the subscript "composed". Each
formula is rendered here with matplotlib's mathtext (what a figure or `plt.title` would draw)
and every glyph of the name must come out as written: each character, the underscore drawn,
all in one size on one baseline.
"""

from __future__ import annotations

import pytest
from IPython.core.getipython import get_ipython
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output
from matplotlib.mathtext import MathTextParser

import diffmagic


def rendered(latex: str) -> list[tuple[str, float, float]]:
    """Each glyph mathtext draws for `latex`: (character, font size, baseline offset)."""
    # \displaystyle is KaTeX's and MathJax's, not mathtext's; it changes no glyph of a name.
    math = latex.replace("\\displaystyle", "").strip().strip("$")
    parsed = MathTextParser("path").parse(f"${math}$", dpi=72)
    return [(chr(glyph[2]), glyph[1], float(glyph[5])) for glyph in parsed.glyphs]


def assert_name_drawn_as_written(glyphs: list[tuple[str, float, float]], name: str) -> None:
    """`name` followed by `(`, in one size and on one baseline, somewhere in `glyphs`."""
    text = "".join(character for character, _, _ in glyphs)
    start = text.find(name + "(")
    assert start >= 0, f"{name!r} is not drawn as written: {text!r}"
    shown = glyphs[start : start + len(name) + 1]
    assert len({size for _, size, _ in shown}) == 1, shown
    assert len({baseline for _, _, baseline in shown}) == 1, shown


@pytest.fixture(scope="module")
def shell():
    ip = start_ipython() or get_ipython()
    ip.run_line_magic("load_ext", "diffmagic")
    return ip


@pytest.mark.parametrize("name", ["f_composed", "square_loss", "f_abs_2"])
def test_the_magic_shows_the_name_as_written(shell, name: str) -> None:
    cell = f"import numpy as np\n\ndef {name}(x):\n    return np.exp(-2*x) + 3*np.sin(3*x)\n"
    with capture_output() as captured:
        shell.run_cell_magic("differentiate", "--no-timing --no-plot", cell)
    formulas = [o.data["text/latex"] for o in captured.outputs if "text/latex" in o.data]
    assert formulas, "the magic showed no formula"
    glyphs = rendered(formulas[0])
    assert_name_drawn_as_written(glyphs, name)  # f(x) = ...
    assert "".join(c for c, _, _ in glyphs).count(name) == 2  # and f'(x) = ...


def test_a_high_order_keeps_the_name_and_a_one_letter_name_stays_italic() -> None:
    long_name = diffmagic.compare("def f_polynomial(x):\n    return x**5\n", order=4)
    assert_name_drawn_as_written(rendered(long_name.latex()), "f_polynomial")
    short = diffmagic.compare("def g(x):\n    return x**2\n")
    assert short.latex().startswith("g(x) = ")
