"""One verdict for every row: the cases where a row said "ok" and was wrong, or refused a right
answer, each with its expected outcome.

Every expected value is computed here, by mpmath at 30 digits or by hand, never by another
method of diffmagic.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import diffmagic
from diffmagic import verdicts

#: What an ok row may be off by, relative to the largest |f'| judged, by kind of method: the
#: promises of the README's "What ok means".
EXACT_RTOL = 1e-7
DIFFERENCES_RTOL = 1e-5


def _mp_derivative(function, points, order: int = 1) -> np.ndarray:
    with mpmath.workdps(30):
        return np.array([float(mpmath.diff(function, mpmath.mpf(float(x)), order)) for x in points])


def _ok_rows_are_right(comparison, exact: np.ndarray, judged: np.ndarray) -> None:
    """Every ok row within its method's promise of `exact` at the judged points."""
    scale = float(np.max(np.abs(exact[judged])))
    for row in comparison:
        if not row.ok:
            continue
        method = row.key.partition("@")[0]
        if method == "numerical":  # np.gradient: its error is the grid's, shown on purpose
            continue
        rtol = DIFFERENCES_RTOL if method == "finite_difference" else EXACT_RTOL
        error = float(np.max(np.abs(np.asarray(row.values)[judged] - exact[judged])))
        assert error <= rtol * scale, (row.key, row.status, error, scale)


# ----------------------------------------------------------------------------- the reference


def test_a_formula_that_cancels_in_float64_keeps_its_exact_reference() -> None:
    """SymPy reads f right; only its float64 evaluation loses digits near 0. The reference is
    SymPy's f' at 30 digits, and JAX, 6e-6 off it, is not ok."""
    source = "(x*np.exp(x) - np.expm1(x))/x**2"
    comparison = diffmagic.compare(source, domain=(-1e-3, 1e-3))
    assert comparison.reference_label.startswith("SymPy's exact derivative")
    symbolic = comparison["symbolic"]
    assert symbolic.values is not None, symbolic.error  # not refused as another function
    assert "reads f differently" not in (symbolic.error or "")

    def f(x):
        return (x * mpmath.exp(x) - mpmath.expm1(x)) / x**2

    judged = comparison.x != 0
    exact = np.full(comparison.x.shape, np.nan)
    exact[judged] = _mp_derivative(f, comparison.x[judged])
    reference = np.asarray(comparison.reference)
    assert np.max(np.abs(reference[judged] - exact[judged])) <= 1e-12 * np.max(np.abs(exact))
    assert comparison["automatic"].status == "inaccurate"
    _ok_rows_are_right(comparison, exact, judged)


def test_f_identically_zero_is_measured_and_its_zero_derivative_is_ok() -> None:
    def f(y):
        return np.power(0.0, y)

    comparison = diffmagic.compare(
        f, domain=(0.5, 2.0), methods=("symbolic", "numerical", "finite_difference", "automatic")
    )
    for key in ("numerical", "finite_difference", "automatic"):
        assert comparison[key].ok, (key, comparison[key].error)
    np.testing.assert_array_equal(comparison.reference, 0.0)
    assert not any("underflows" in note for note in comparison.notes)
    assert not any("not measured" in (row.error or "") for row in comparison)


def test_a_third_derivative_that_is_zero_does_not_turn_round_off_into_inaccurate() -> None:
    comparison = diffmagic.compare("np.square(x)", order=3, methods="finite_difference")
    row = comparison["finite_difference"]
    assert row.ok, row.error
    assert np.max(np.abs(row.values)) < 1e-6  # f''' of x**2 is 0


def test_a_reason_names_the_derivative_of_the_order_asked_for() -> None:
    grid = np.linspace(-1.0, 1.0, 5)
    reference = verdicts.Reference(6.0 * np.ones(5), True, "exact", "the exact derivative")
    row = verdicts.Row("finite_difference", "finite differences", verdicts.DIFFERENCES, 3)
    place = verdicts.Place(locate=lambda i: f"x = {grid[i]:g}", quantity="f'''")
    verdict = verdicts.judge(np.full(5, 7.0), reference, row, place)
    assert verdict.status == "inaccurate"
    assert "max |f'''|" in verdict.reason and "x = -1" in verdict.reason


# ----------------------------------------------------------------------------- stand-ins


def _wrong_custom_rule():
    import jax

    @jax.custom_jvp
    def f(x):
        return jax.numpy.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return jax.numpy.sin(x), 2.0 * jax.numpy.cos(x) * t  # the rule is off by 2

    return f


def test_where_no_two_independent_methods_agree_no_row_is_ok() -> None:
    from diffmagic.methods.jax_engine import float64

    with float64():
        comparison = diffmagic.compare(
            _wrong_custom_rule(),
            methods=("symbolic", "numerical", "finite_difference", "automatic"),
        )
    assert not any(row.ok for row in comparison), [(r.key, r.status) for r in comparison]
    assert comparison["automatic"].status == "reference (unconfirmed)"
    assert comparison["automatic"].status != "ok"


def test_a_stand_in_is_marked_reference_and_confirmed_by_a_method_not_asked_for() -> None:
    source = "def f(x):\n    if x > 0:\n        return x**2\n    return -x\n"
    comparison = diffmagic.compare(source, methods=("automatic",))
    row = comparison["automatic"]
    assert row.ok and row.status.startswith("reference")
    assert "confirmed by finite differences" in comparison.reference_label
    grid = comparison.x
    exact = np.where(grid > 0, 2 * grid, -1.0)
    judged = np.abs(grid) > 1e-9
    assert np.max(np.abs(row.values[judged] - exact[judged])) <= 1e-12


@pytest.mark.parametrize("status", ["ok", "reference"])
def test_only_ok_and_a_confirmed_reference_vouch(status: str) -> None:
    assert verdicts.Verdict(status).ok
    for other in ("inaccurate", "unconfirmed", "reference (unconfirmed)", "no derivative"):
        assert not verdicts.Verdict(other).ok
