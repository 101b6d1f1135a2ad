"""What the differential fuzz (test_fuzz_differential.py) found, each as a minimal, plain test.

Every case here was an "ok" row that was wrong, or an exception other than DiffMagicError
leaving `compare()`, found by the fuzz and fixed since; each now guards its fix. Derivatives are
written by hand; a row may also fail with a one-line reason -- only "ok and wrong" is a bug.
"""

from __future__ import annotations

import numpy as np
import pytest

import diffmagic


def _ok_rows_match(comparison: diffmagic.Comparison, exact: np.ndarray, judged: np.ndarray) -> None:
    """Each row is ok and right where judged (np.gradient to its grid error), or says why."""
    scale = max(1.0, float(np.max(np.abs(exact[judged]))))
    for row in comparison:
        if not row.ok:
            assert row.error and "\n" not in row.error, row.key
            continue
        tolerance = 0.05 if row.key == "numerical" else 1e-5
        error = np.abs(np.asarray(row.values, dtype=float) - exact)[judged]
        assert np.all(error <= tolerance * scale), (row.key, float(np.nanmax(error)))


def test_multiplying_the_argument_in_place_leaves_the_grid_and_the_rows_right() -> None:
    source = "import numpy as np\ndef f(x):\n    x *= 2.0\n    return np.sin(x)\n"
    comparison = diffmagic.compare(source, domain=(-1.0, 1.0), points=30)
    grid = np.linspace(-1.0, 1.0, 30)
    assert np.array_equal(comparison.x, grid)
    _ok_rows_match(comparison, 2 * np.cos(2 * grid), np.ones(30, dtype=bool))


def test_a_masked_assignment_to_the_argument_leaves_the_rows_right() -> None:
    # f(x) = max(x, 0.5)**2: f' = 2x above 0.5, 0 below.
    source = "import numpy as np\ndef f(x):\n    x[x < 0.5] = 0.5\n    return x**2\n"
    comparison = diffmagic.compare(source, domain=(0.0, 2.0), points=30)
    grid = np.linspace(0.0, 2.0, 30)
    assert np.array_equal(comparison.x, grid)
    exact = np.where(grid > 0.5, 2 * grid, 0.0)
    _ok_rows_match(comparison, exact, np.abs(grid - 0.5) > 0.2)


def test_a_reduction_over_axis_0_is_refused_by_every_row() -> None:
    source = "import numpy as np\ndef f(x):\n    return np.max(x, 0)\n"
    try:
        comparison = diffmagic.compare(source, domain=(-2.0, 0.0), points=30)
    except diffmagic.DiffMagicError as error:
        assert "\n" not in str(error)
        return
    assert [row.key for row in comparison if row.ok] == []


@pytest.mark.slow
def test_nested_maxima_do_not_raise_a_recursion_error() -> None:
    # max(|1.5x|, -2.25x) = 1.5x on [0, 3]: f' = 1.5 (the corner of |1.5x| is at 0).
    source = (
        "import numpy as np\ndef f(x):\n    return max(np.maximum(-1.5 * x, 1.5 * x), -2.25 * x)\n"
    )
    comparison = diffmagic.compare(source, domain=(0.0, 3.0), points=30, methods=("symbolic",))
    grid = np.linspace(0.0, 3.0, 30)
    _ok_rows_match(comparison, np.full(30, 1.5), grid > 0.2)


def _precision_said_or_float64_right(row: diffmagic.MethodResult, exact: np.ndarray) -> None:
    """An ok row either says f computes in float32, or is right to float64's round-off."""
    if not row.ok or row.precision == "float32":
        return
    error = float(np.max(np.abs(np.asarray(row.values) - exact)[1:-1]))
    assert error <= 1e-9 * float(np.max(np.abs(exact))), (row.key, row.precision, error)


def test_np_gradient_on_jax_says_when_f_computes_in_float32() -> None:
    # f = float32(x)**2: the central difference of x**2 is exactly 2x; float32 makes it 3e-6 off.
    source = "import numpy as np\ndef f(x):\n    return np.float32(x) ** 2\n"
    comparison = diffmagic.compare(
        source, domain=(-1.0, 3.0), points=30, methods=("numerical",), engines=("numpy", "jax")
    )
    grid = np.linspace(-1.0, 3.0, 30)
    assert comparison["numerical"].precision == "float32"  # NumPy's row says it already
    _precision_said_or_float64_right(comparison["numerical@jax"], 2 * grid)


def test_float32_inside_a_float64_result_is_said() -> None:
    # f = float32(3x) * 2x = 6x**2 to float32's rounding of 3x; the result is float64, so the
    # float32 inside goes unnoticed. The central difference of 6x**2 is exactly 12x.
    source = "import numpy as np\ndef f(x):\n    return np.float32(3.0 * x) * (2.0 * x)\n"
    comparison = diffmagic.compare(
        source, domain=(-1.0, 3.0), points=30, methods=("numerical",), engines=("numpy", "jax")
    )
    grid = np.linspace(-1.0, 3.0, 30)
    for row in comparison:
        _precision_said_or_float64_right(row, 12 * grid)


def test_a_reduction_over_x_is_caught_when_f_is_tiny() -> None:
    # Per point f = 1e-12 (x - 1)**2, f' = 2e-12 (x - 1). On the whole array np.sum adds up the
    # grid: one constant, which NumPy's probe takes for f because it differs by less than 1e-9.
    source = (
        "import numpy as np\n"
        "DATA = np.array([1.0])\n"
        "def f(x):\n"
        "    return 1e-12 * np.sum((x - DATA)**2)\n"
    )
    comparison = diffmagic.compare(source, domain=(-2.0, 2.0), points=30)
    exact = 2e-12 * (comparison.x - 1)
    scale = float(np.max(np.abs(exact)))
    for row in comparison:
        if row.ok:
            tolerance = 0.05 if row.key == "numerical" else 1e-5
            error = float(np.max(np.abs(np.asarray(row.values) - exact)))
            assert error <= tolerance * scale, (row.key, error, scale)


def test_min_of_a_log_undefined_on_part_of_the_domain_does_not_raise() -> None:
    # min(log x, x) = log x for x > 0 (log x < x), undefined for x <= 0: f' = 1/x.
    source = "import numpy as np\ndef f(x):\n    return min(np.log(x), x)\n"
    try:
        comparison = diffmagic.compare(source, domain=(-1.0, 1.0), points=40)
    except diffmagic.DiffMagicError as error:
        assert "\n" not in str(error)
        return
    grid = comparison.x
    # Away from the pole at 0, where np.gradient's grid error (h^2 |f'''| / 6 = h^2 / (3 x^3))
    # is large by its nature, not by a mistake.
    judged = grid > 0.3
    exact = np.where(judged, 1 / np.where(judged, grid, 1.0), 0.0)
    _ok_rows_match(comparison, exact, judged)


def test_finite_differences_on_a_hidden_float32_f_are_not_ok() -> None:
    # f = float32(sin x) + sin(0.5): f' = cos x. SymPy and JAX both fail here, so nothing
    # vouches for the finite differences, whose float64 steps see float32 steps in f.
    source = "import numpy as np\ndef f(x):\n    return np.float32(np.sin(x)) + np.sin(0.5)\n"
    comparison = diffmagic.compare(source, domain=(-2.0, 0.0), points=30)
    row = comparison["finite_difference"]
    if row.ok and row.precision == "float64":
        error = float(np.max(np.abs(np.asarray(row.values) - np.cos(comparison.x))))
        assert error <= 1e-5, error


def test_an_f_that_raises_at_single_points_is_not_called_undefined() -> None:
    # Python `if` needs one number; `t[t < 0.5] = 0.5` needs an array: f runs on neither, only
    # on a one-element array. Where it raises, the reason is the exception, not f's domain.
    source = (
        "import numpy as np\n"
        "def f(x):\n"
        "    if x > 0.3:\n"
        "        t = x * 1.0\n"
        "        t[t < 0.5] = 0.5\n"
        "        return t\n"
        "    return -x\n"
    )
    comparison = diffmagic.compare(source, domain=(0.25, 3.25), points=30)
    for row in comparison:
        if row.ok:
            assert np.all(np.isfinite(np.asarray(row.values)[1:])), (row.key, row.values)


def test_float32_inside_a_reduction_is_said_by_every_row_that_keeps_it() -> None:
    # f = sum((float32(x) - 1)^2): JAX keeps the cast (np.float32 reads as jnp.float32), so its
    # derivative carries float32's rounding of x: no row may call that float64-exact.
    source = (
        "import numpy as np\nDATA1 = np.array([1.0])\n"
        "def f(x):\n    return np.sum(((np.float32(x)) - DATA1)**2)\n"
    )
    comparison = diffmagic.compare(source, domain=(-2.0, 0.0), points=30)
    exact = 2 * (comparison.x - 1)
    for row in comparison:
        if row.ok and row.precision == "float64":
            error = float(np.max(np.abs(np.asarray(row.values) - exact)))
            assert error <= 1e-9 * float(np.max(np.abs(exact))), (row.key, error)
    assert comparison["automatic"].precision == "float32"


def test_differences_of_a_float32_f_never_vouch_for_themselves() -> None:
    # SymPy cannot trace np.float32, no JAX row is asked for: finite differences would be their
    # own reference, good to about 1e-3 in float32, and so "ok" with no error at all.
    source = (
        "import numpy as np\ndef f(x):\n    y = np.sin(x)\n    for _ in range(3):\n"
        "        y = np.sin(0.25 * y)\n    return np.float32(y) - 1.0\n"
    )
    comparison = diffmagic.compare(
        source, domain=(-2.0, 0.0), points=30, methods=("symbolic", "numerical")
    )
    row = comparison["finite_difference"]
    assert not row.ok and "cannot stand in" in row.error


@pytest.mark.slow
def test_float32_on_one_branch_only_is_said() -> None:
    # x < 0 takes np.float32(x): no row may call its derivative float64-exact there.
    source = (
        "import numpy as np\ndef f(x):\n    if np.sin(x) > 0.0:\n        r = np.sin(x)\n"
        "    else:\n        r = np.float32(x)\n    return np.sin(r)\n"
    )
    comparison = diffmagic.compare(source, domain=(-2.0, 2.0), points=30)
    assert comparison.precision == "float32"
    assert all(row.precision == "float32" for row in comparison if row.ok)


@pytest.mark.slow
def test_a_fast_turning_float64_function_is_not_taken_for_float32() -> None:
    comparison = diffmagic.compare("sin(100000*x)", domain=(-2.0, 2.0), points=30)
    assert comparison.precision == "float64"
    assert comparison["symbolic"].status == "ok"
