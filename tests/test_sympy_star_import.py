"""The lab's `from sympy import *` cell: SymPy's names read as NumPy's are, by every method.

After `from sympy import *` the lab's learner writes `exp(-2*x) + 3*sin(3*x)` with SymPy's own
functions. Every row must be right against the derivative written by hand here, in `compare()`
and through `%%differentiate` in a real IPython shell; a SymPy function with no NumPy meaning
is refused by name, never with SymPy's or JAX's internals.
"""

from __future__ import annotations

import numpy as np
import pytest
from IPython.core.getipython import get_ipython
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

import diffmagic

ROWS = ("symbolic", "numerical", "finite_difference", "automatic")
LAB_CELL = "from sympy import *\n\ndef f_composed_sympy(x):\n    return exp(-2*x) + 3*sin(3*x)\n"
#: Internals a learner must never read in a row's reason.
FOREIGN = ("ImmutableDenseNDimArray", "as_coefficient", ".flat", "has no attribute")


def composed_derivative(x: np.ndarray) -> np.ndarray:
    """d/dx (exp(-2x) + 3 sin(3x)), by hand."""
    return -2 * np.exp(-2 * x) + 9 * np.cos(3 * x)


def composed_third_bound(x: np.ndarray, step: float) -> np.ndarray:
    """The largest |f'''| within a step of x, for f = exp(-2x) + 3 sin(3x), whose third
    derivative is -8 exp(-2x) - 81 cos(3x)."""
    return 8 * np.exp(-2 * (x - step)) + 81


def assert_every_row_right(comparison, derivative, points, third_bound=None) -> None:
    for key in ROWS:
        row = comparison[key]
        assert row.ok, (key, row.error)
    for key in ("symbolic", "finite_difference", "automatic"):
        np.testing.assert_allclose(
            comparison[key].derivative(points), derivative(points), rtol=1e-6, err_msg=key
        )
    # np.gradient's row is judged inside the grid, where its error is h^2 |f'''| / 6 at most.
    inside = comparison.x[1:-1]
    step = comparison.x[1] - comparison.x[0]
    numerical = comparison["numerical"].values[1:-1]
    if third_bound is None:
        np.testing.assert_allclose(numerical, derivative(inside), rtol=1e-4, atol=1e-4)
    else:
        error = np.abs(numerical - derivative(inside))
        assert np.all(error <= step**2 / 6 * third_bound(inside, step) + 1e-9), np.max(error)


def test_the_labs_star_import_cell_is_right_in_every_row() -> None:
    comparison = diffmagic.compare(LAB_CELL, points=2001)
    assert_every_row_right(
        comparison, composed_derivative, np.array([-1.0, 0.3, 2.0]), composed_third_bound
    )


def test_sympys_own_spellings_mean_what_sympy_means() -> None:
    # Abs, Max of three, log to a base, E, pi, Rational and SymPy's unnormalised sinc.
    cell = (
        "from sympy import *\n\n"
        "def g(x):\n"
        "    return (pi*Abs(x) + E**x*log(x, 2) + Rational(1, 2)*sqrt(x) + sinc(x)\n"
        "            + Max(x, 0.1, 0.2) + atan2(x, 2))\n"
    )

    def derivative(x: np.ndarray) -> np.ndarray:
        return (
            np.pi
            + np.exp(x) * np.log2(x)
            + np.exp(x) / (x * np.log(2))
            + 0.25 / np.sqrt(x)
            + (x * np.cos(x) - np.sin(x)) / x**2
            + 1.0
            + 2 / (4 + x**2)
        )

    comparison = diffmagic.compare(cell, domain=(0.5, 3.0), points=2001)
    assert_every_row_right(comparison, derivative, np.array([0.7, 1.0, 2.5]))


def test_sympy_as_a_module_reads_the_same() -> None:
    cell = "import sympy as sp\n\ndef h(x):\n    return sp.Abs(x) + sp.exp(x) + sp.pi\n"
    comparison = diffmagic.compare(cell, domain=(0.5, 3.0), points=2001)
    assert_every_row_right(comparison, lambda x: 1.0 + np.exp(x), np.array([0.7, 2.5]))


def test_a_sympy_function_numpy_lacks_is_refused_by_name() -> None:
    cell = "from sympy import *\n\ndef f(x):\n    return gamma(x)\n"
    comparison = diffmagic.compare(cell, domain=(0.5, 3.0))
    assert not comparison["symbolic"].ok  # SymPy's own gamma, but NumPy's f cannot check it
    for key in ("numerical", "finite_difference", "automatic"):
        row = comparison[key]
        assert not row.ok, key
        assert "SymPy's `gamma` has no" in row.error, (key, row.error)
        assert not any(text in row.error for text in FOREIGN), (key, row.error)


def test_a_loss_written_with_sympys_names_has_the_right_gradient() -> None:
    # A loss is traced unevaluated: a logarithm to a base must stay log(w)/log(base) there.
    namespace: dict = {}
    exec(
        "from sympy import *\nimport numpy as np\n\n"
        "def loss(w):\n    return np.sum(exp(w) + 2*Abs(w) + log(w, 2) + np.log10(w))\n",
        namespace,
    )
    point = np.array([0.5, 1.0, 2.0])
    comparison = diffmagic.compare_gradient(namespace["loss"], point, timing=False)
    expected = np.exp(point) + 2 + 1 / (point * np.log(2)) + 1 / (point * np.log(10))
    for result in comparison.rows():
        assert result.ok, (result.label, result.error)
        np.testing.assert_allclose(result.values, expected, rtol=1e-7, err_msg=result.label)


@pytest.fixture(scope="module")
def shell():
    ip = start_ipython() or get_ipython()
    ip.run_line_magic("load_ext", "diffmagic")
    return ip


def test_the_labs_star_import_cell_through_the_magic(shell) -> None:
    shell.run_cell("from sympy import *")
    with capture_output() as captured:
        shell.run_cell_magic(
            "differentiate",
            "--no-timing --no-plot --points 2001 -o lab_result",
            "def f_composed_sympy(x):\n    return exp(-2*x) + 3*sin(3*x)\n",
        )
    shown = captured.stdout + "".join(str(o.data) for o in captured.outputs)
    assert not [text for text in FOREIGN if text in shown]
    comparison = shell.user_ns.pop("lab_result")
    assert_every_row_right(
        comparison, composed_derivative, np.array([-1.0, 0.3, 2.0]), composed_third_bound
    )
