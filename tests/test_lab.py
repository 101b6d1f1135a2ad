"""Reproductions of the course lab "Differentiation in Python: symbolic,
numerical and automatic", each written as the learner's story."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import sympy
from corpus import CASES_BY_ID

import diffmagic

X = sympy.Symbol("x", real=True)

SQUARE = "def f(x):\n    return x**2\n"
EXP_SIN = "import numpy as np\n\ndef f_composed(x):\n    return np.exp(-2*x) + 3*np.sin(3*x)\n"

ABS_SOURCES = {
    "np_abs": "import numpy as np\n\ndef f(x):\n    return np.abs(x)\n",
    "python_abs": "def f(x):\n    return abs(x)\n",
    "jnp_abs": "import jax.numpy as jnp\n\ndef g(x):\n    return jnp.abs(x)\n",
}

EXACT_ROWS = ("symbolic", "automatic", "finite_difference")


def test_x_squared_derivative_is_2x() -> None:
    cmp = diffmagic.compare(SQUARE)
    assert sympy.simplify(cmp["symbolic"].expr - 2 * X) == 0
    points = np.array([1.0, 2.0, 3.0])
    for method in EXACT_ROWS:
        r = cmp[method]
        assert r.ok, (method, r.error)
        np.testing.assert_allclose(r.derivative(points), [2.0, 4.0, 6.0], rtol=1e-9, err_msg=method)


def test_x_squared_numerical_row_is_np_gradient_on_a_fine_grid() -> None:
    # In the lab np.gradient(f([1, 2, 3]), [1, 2, 3]) printed [3, 4, 5]: at the
    # two ends np.gradient is one-sided.  So the lab's "numerical" method is
    # judged on a fine grid: central differences are exact for x**2 inside,
    # and the one-sided ends are off by at most h (h/2 * f'' = h).
    np.testing.assert_allclose(np.gradient(np.array([1.0, 4.0, 9.0]), [1.0, 2.0, 3.0]), [3, 4, 5])
    cmp = diffmagic.compare(SQUARE, domain=(1.0, 3.0), points=2001)
    r = cmp["numerical"]
    assert r.ok, r.error
    x = cmp.x
    h = x[1] - x[0]
    values = np.asarray(r.values)
    np.testing.assert_allclose(values[1:-1], 2 * x[1:-1], rtol=0, atol=1e-9)
    assert abs(values[0] - 2.0) <= 1.01 * h
    assert abs(values[-1] - 6.0) <= 1.01 * h


def test_exp_sin_derivative_is_9cos3x_minus_2exp() -> None:
    cmp = diffmagic.compare(EXP_SIN)
    expected = 9 * sympy.cos(3 * X) - 2 * sympy.exp(-2 * X)
    assert sympy.simplify(cmp["symbolic"].expr - expected) == 0
    for method in EXACT_ROWS:
        r = cmp[method]
        assert r.ok, (method, r.error)
        expected = 9 * np.cos(3 * cmp.x) - 2 * np.exp(-2 * cmp.x)
        peak = np.max(np.abs(expected))  # 4.4e4 at x = -5
        np.testing.assert_allclose(r.values, expected, rtol=0, atol=1e-8 * peak)


def test_exp_sin_as_an_expression_string_gives_the_same() -> None:
    from_cell = diffmagic.compare(EXP_SIN)
    from_text = diffmagic.compare("exp(-2*x) + 3*sin(3*x)")
    assert sympy.simplify(from_text["symbolic"].expr - from_cell["symbolic"].expr) == 0
    for method in ("symbolic", "numerical", "finite_difference", "automatic"):
        assert from_text[method].ok, (method, from_text[method].error)
        np.testing.assert_allclose(
            from_text[method].values, from_cell[method].values, rtol=0, atol=1e-9
        )


def test_a_python_function_object_can_be_passed() -> None:
    def f(x):
        return np.exp(-2 * x) + 3 * np.sin(3 * x)

    cmp = diffmagic.compare(f)
    expected = 9 * np.cos(3 * cmp.x) - 2 * np.exp(-2 * cmp.x)
    peak = np.max(np.abs(expected))
    for method in EXACT_ROWS:
        assert cmp[method].ok, (method, cmp[method].error)
        np.testing.assert_allclose(cmp[method].values, expected, rtol=0, atol=1e-8 * peak)


@pytest.mark.parametrize("name", list(ABS_SOURCES))
def test_abs_has_a_corner_at_zero(name: str) -> None:
    cmp = diffmagic.compare(ABS_SOURCES[name])
    x = cmp.x
    np.testing.assert_allclose(x, np.linspace(-5, 5, 100))
    # symbolically d|x|/dx = sign(x): it evaluates on the grid (0 is not on it)
    sym = cmp["symbolic"]
    assert sym.ok, sym.error
    assert sympy.simplify(sym.expr - sympy.sign(X)) == 0
    np.testing.assert_allclose(sym.values, np.sign(x), rtol=0, atol=1e-12)
    for method in ("automatic", "finite_difference"):
        assert cmp[method].ok, (method, cmp[method].error)
        np.testing.assert_allclose(cmp[method].values, np.sign(x), rtol=0, atol=1e-8)
    # the corner is found
    assert [float(v) for v in cmp.nondifferentiable] == pytest.approx([0.0], abs=1e-9)
    # the lab's observation: np.gradient averages the two slopes across the
    # corner, giving -0.5 and 0.5 at the grid points next to 0, where f' is -1 and 1:
    # "inaccurate at the points where there are jumps of the derivative", never ok
    num = cmp["numerical"]
    assert num.status == "inaccurate" and not num.ok
    assert "next to x = 0" in num.error and "-0.5" in num.error
    left, right = 49, 50
    assert x[left] < 0 < x[right]
    assert num.values[left] == pytest.approx(-0.5, abs=1e-9)
    assert num.values[right] == pytest.approx(0.5, abs=1e-9)
    others = np.r_[0:left, right + 1 : len(x)]
    np.testing.assert_allclose(num.values[others], np.sign(x[others]), rtol=0, atol=1e-9)
    # the table tells the learner about the corner at 0
    text = str(cmp)
    corner_lines = [
        line
        for line in text.splitlines()
        if re.search(r"corner|kink|not differentiable|non-?differentiable", line, re.I)
    ]
    assert corner_lines, text
    assert any(re.search(r"(?<![\d.])-?0(\.0*)?(?![\d.])", line) for line in corner_lines), text


def test_composed_polynomial_agrees_across_methods() -> None:
    case = CASES_BY_ID["lab_composed_polynomial"]
    cmp = diffmagic.compare(case.source, domain=(-1.0, 1.5))
    x = cmp.x
    exact = case.derivative(x)
    peak = np.max(np.abs(exact))
    sym, auto, fd, num = (
        cmp["symbolic"],
        cmp["automatic"],
        cmp["finite_difference"],
        cmp["numerical"],
    )
    for r in (sym, auto, fd, num):
        assert r.ok, r.error
    np.testing.assert_allclose(sym.values, exact, rtol=0, atol=1e-10 * peak)
    np.testing.assert_allclose(auto.values, sym.values, rtol=0, atol=1e-10 * peak)
    np.testing.assert_allclose(fd.values, sym.values, rtol=0, atol=1e-8 * peak)
    # np.gradient on 100 points of a degree-27 polynomial is rough, but it
    # must follow the same curve: inside, central differences stay within 2%
    # of the largest slope (about 1% in fact); at the steep right end the
    # one-sided difference is off by about 12% (edge_order=1; 2% with
    # edge_order=2), so the ends get 20%.
    num_error = np.abs(np.asarray(num.values) - exact)
    assert np.max(num_error[1:-1]) <= 0.02 * peak
    assert max(num_error[0], num_error[-1]) <= 0.2 * peak
    assert num.max_rel_error == pytest.approx(np.max(np.abs(num.values - exact)) / peak, rel=1e-6)


def test_integer_domain_works_for_automatic() -> None:
    cmp = diffmagic.compare(SQUARE, domain=(1, 3), points=3)
    np.testing.assert_allclose(cmp.x, [1.0, 2.0, 3.0])
    auto = cmp["automatic"]
    assert auto.ok, auto.error
    np.testing.assert_allclose(auto.values, [2.0, 4.0, 6.0], rtol=1e-12)
    np.testing.assert_allclose(cmp["symbolic"].values, [2.0, 4.0, 6.0], rtol=1e-12)


@pytest.mark.parametrize("method", EXACT_ROWS)
def test_derivative_accepts_an_integer_array(method: str) -> None:
    r = diffmagic.compare(SQUARE)[method]
    assert r.ok, r.error
    got = np.asarray(r.derivative(np.array([3])), dtype=float)
    np.testing.assert_allclose(got, [6.0], rtol=1e-8)
    got = np.asarray(r.derivative(np.array([1, 2, 3])), dtype=float)
    np.testing.assert_allclose(got, [2.0, 4.0, 6.0], rtol=1e-8)


def test_method_aliases_name_the_same_rows() -> None:
    cmp = diffmagic.compare(EXP_SIN)
    for alias, name in [
        ("sympy", "symbolic"),
        ("numpy", "numerical"),
        ("gradient", "numerical"),
        ("scipy", "finite_difference"),
        ("jax", "automatic"),
    ]:
        np.testing.assert_array_equal(cmp[alias].values, cmp[name].values)
        assert cmp[alias].ok == cmp[name].ok


def test_selecting_numerical_gives_both_numerical_rows() -> None:
    cmp = diffmagic.compare(EXP_SIN, methods=("numerical",))
    assert cmp["numerical"].ok, cmp["numerical"].error
    assert cmp["finite_difference"].ok, cmp["finite_difference"].error
    text = str(cmp).lower()
    assert "finite" in text


def test_outputs_for_the_notebook() -> None:
    from matplotlib.figure import Figure

    cmp = diffmagic.compare(EXP_SIN, timing=True, timing_points=10_000)
    assert isinstance(cmp.figure(), Figure)
    html = cmp._repr_html_()
    assert "<table" in html.lower()
    for word in ("symbolic", "automatic"):
        assert word in html.lower()
        assert word in str(cmp).lower()
    summary = json.loads(json.dumps(cmp.to_dict()))
    assert isinstance(summary, dict)
    assert "symbolic" in json.dumps(summary)
