"""Every figure diffmagic returns draws itself in a notebook that never ran `%matplotlib inline`.

In a fresh kernel `cmp = diffmagic.compare("x**2"); cmp.figure()` printed
`<Figure size 950x600 with 2 Axes>`, and so did `g.figure()` and `study.figure()` in notebook 06
right after text that says "The figure shows ...". Each figure object is displayed here through
a real IPython shell's own display machinery, with IPython's matplotlib printers removed (as in
a kernel where `%matplotlib inline` never ran), and must give a PNG with its alt text.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest
from IPython.core.getipython import get_ipython
from IPython.display import display
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output
from matplotlib.figure import Figure

import diffmagic

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def shell():
    """A real IPython shell whose formatters know nothing of matplotlib, as in a fresh kernel
    (another test may have run `%matplotlib inline` in this process: its printers are put
    back afterwards)."""
    ip = start_ipython() or get_ipython()
    removed = {}
    for mime in ("image/png", "image/svg+xml", "image/jpeg", "application/pdf", "text/html"):
        formatter = ip.display_formatter.formatters[mime]
        printer = formatter.pop(Figure, None)
        if printer is not None:
            removed[mime] = printer
    yield ip
    for mime, printer in removed.items():
        ip.display_formatter.formatters[mime].for_type(Figure, printer)


def square_loss(w):
    return np.sum((w - 1.0) ** 2)


def square_loss_gradient(w):
    return 2 * (w - 1.0)


FIGURES = {
    "comparison": lambda: diffmagic.compare("x**2").figure(),
    "tangents at x0": lambda: diffmagic.compare("sin(x)").figure(at=1.0),
    "step study": lambda: diffmagic.compare("sin(x)").step_study(1.0).figure(),
    "gradient": lambda: diffmagic.compare_gradient(square_loss, np.zeros(3)).figure(),
    "parameter study": lambda: diffmagic.parameter_study(square_loss, sizes=[2, 4]).figure(),
    "gradient check": lambda: diffmagic.check_gradient(
        square_loss, square_loss_gradient, np.zeros(3)
    ).figure(),
    "gradient field": lambda: diffmagic.gradient_field(
        "x**2 + x*y", (-1.0, 1.0), (-1.0, 1.0), points=10, arrows=4
    ),
}


@pytest.mark.parametrize("kind", list(FIGURES))
def test_a_figure_displays_as_a_png_with_its_alt_text(shell, kind: str) -> None:
    figure = FIGURES[kind]()
    assert isinstance(figure, Figure)  # still a matplotlib Figure: savefig, axes, ...
    formatted, _ = shell.display_formatter.format(figure)
    assert base64.b64decode(formatted["image/png"]).startswith(PNG_SIGNATURE), kind
    alt = figure.diffmagic_alt
    assert alt and alt != "a diffmagic figure", kind  # it says what it shows
    assert f'alt="{alt.split("(")[0]}' in formatted["text/html"].replace("&#x27;", "'")
    assert formatted["text/plain"] == f"<figure: {alt}>"
    with capture_output() as captured:
        display(figure)
    assert "image/png" in captured.outputs[0].data


def test_the_example_notebooks_way_of_showing_a_study(shell) -> None:
    # examples/06_many_parameters.ipynb ends a cell with `study.figure()`.
    shell.user_ns["diffmagic"] = diffmagic
    shell.user_ns["square_loss"] = square_loss
    with capture_output() as captured:
        ran = shell.run_cell("diffmagic.parameter_study(square_loss, sizes=[2, 4]).figure()")
    assert ran.success and "<Figure size" not in captured.stdout
    shown = ran.result  # what the cell's last line gave, which IPython displays
    assert "image/png" in shell.display_formatter.format(shown)[0]
