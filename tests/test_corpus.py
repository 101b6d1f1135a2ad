"""Every method of diffmagic.compare against hand-written derivatives.

The hand derivatives in corpus.py are checked against mpmath at 40 digits by
test_corpus_is_sound.py, so here they are the ground truth.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from corpus import CORPUS, POINTS, Case, sweep, wrt_name

import diffmagic

_RESULTS: dict[str, object] = {}


def run(case: Case):
    """compare() once per case; the tests below share the result."""
    if case.id not in _RESULTS:
        _RESULTS[case.id] = diffmagic.compare(
            case.source,
            func=case.func,
            domain=case.domain,
            points=POINTS,
            order=case.order,
            wrt=case.wrt,
            params=case.params,
        )
    return _RESULTS[case.id]


def hand(case: Case) -> np.ndarray:
    return case.derivative(case.grid)


def scale(case: Case) -> float:
    """max(1, max |f^(n)|) on the grid: the size errors are measured against."""
    return max(1.0, float(np.max(np.abs(hand(case)))))


def max_error(values, case: Case) -> float:
    values = np.asarray(values, dtype=float)
    assert values.shape == case.grid.shape
    assert np.all(np.isfinite(values))
    return float(np.max(np.abs(values - hand(case))))


def _local_sup(case: Case, a: float, b: float, k: int) -> float:
    """sup over [a, b] of |d^k/dx^k| of the hand derivative, estimated by
    differentiating it k times numerically on a fine grid of [a, b] (the hand
    derivative is exact, so this only adds a tiny O(fine step**2) error)."""
    t = np.linspace(a, b, 201)
    v = case.derivative(t)
    for _ in range(k):
        v = np.gradient(v, t, edge_order=2)
    return float(np.max(np.abs(v)))


def _straddles_kink(case: Case, a: float, b: float) -> bool:
    return any(a - 1e-12 <= kink <= b + 1e-12 for kink in case.kinks)


# ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", sweep(CORPUS, fast=4))
def test_grid_is_linspace(case: Case) -> None:
    cmp = run(case)
    np.testing.assert_allclose(cmp.x, case.grid, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["symbolic", "automatic"])
@pytest.mark.parametrize("case", sweep(CORPUS, fast=12))
def test_exact_methods_match_hand_derivative(case: Case, method: str) -> None:
    r = run(case)[method]
    assert r.ok, r.error
    assert r.error is None
    bound = 1e-10 * scale(case)
    error = max_error(r.values, case)
    assert error <= bound, f"{method}: max error {error:g} > {bound:g}"
    # the derivative callable gives the same on the grid and on other points
    np.testing.assert_allclose(r.derivative(case.grid), r.values, rtol=0, atol=bound)
    lo, hi = case.domain
    inside = np.linspace(lo, hi, 7)[1:-1] + (hi - lo) / 1000  # off the grid, off the kinks
    inside = np.array([t for t in inside if all(abs(t - k) > 1e-3 for k in case.kinks)])
    got = np.asarray(r.derivative(inside), dtype=float)
    np.testing.assert_allclose(got, case.derivative(inside), rtol=0, atol=bound)


@pytest.mark.parametrize("case", sweep(CORPUS, fast=12))
def test_symbolic_expr_is_a_sympy_expression(case: Case) -> None:
    import sympy

    r = run(case)["symbolic"]
    assert r.ok, r.error
    assert isinstance(r.expr, sympy.Expr)
    allowed = {wrt_name(case), *(case.params or {})}
    assert {s.name for s in r.expr.free_symbols} <= allowed


@pytest.mark.parametrize("case", sweep(CORPUS, fast=12))
def test_finite_difference_is_accurate(case: Case) -> None:
    r = run(case)["finite_difference"]
    assert r.ok, r.error
    # scipy.differentiate reaches ~1e-10 relative for a first derivative.
    # Higher orders nest one finite difference inside another (or use a wider
    # stencil), and each level loses digits to cancellation (roundoff grows
    # like eps / step**n), so order >= 2 gets the looser 1e-6.
    tolerance = 1e-8 if case.order == 1 else 1e-6
    bound = tolerance * scale(case)
    error = max_error(r.values, case)
    assert error <= bound, f"finite_difference: max error {error:g} > {bound:g}"


def assert_np_gradient_verdict(cmp, case: Case) -> None:
    """np.gradient's row is ok, except where a kink of f lies strictly between two grid points:
    the neighbours of both straddle it, their values are no slope of f, and the row must say
    inaccurate, naming the place (a kink on a grid point is only an end of its neighbours'
    stencils)."""
    row = cmp["numerical"]
    grid = np.asarray(cmp.x)
    straddled = [k for k in case.kinks if not np.any(np.isclose(grid, k, rtol=0, atol=1e-12))]
    straddled = [k for k in straddled if grid[0] < k < grid[-1]]
    if straddled:
        assert row.status == "inaccurate" and "next to" in row.error, row.error
    else:
        assert row.ok, row.error


@pytest.mark.parametrize("case", sweep(CORPUS, fast=12))
def test_numerical_gradient_is_within_its_truncation_bound(case: Case) -> None:
    """The "numerical" row is np.gradient on the grid (applied `order` times).

    Error bounds for a grid step h (Taylor's theorem with the mean-value form
    of the remainder, M_k = sup |f^(k)| over the stencil):

    * order 1, interior point (central difference):   h**2/6 * M3
    * order 1, end point (one-sided, edge_order=1):    h/2 * M2
      (or h**2 * M3 if diffmagic uses edge_order=2: we accept either)
    * order n, points at least n from the ends: the n-fold central difference
      has error ~ n*h**2/6 * M_{n+2}; we allow twice that.  The first and last
      n points mix in one-sided differences whose errors are O(h**(2-n)),
      so there we only require finite values.

    Points whose stencil contains a corner (a kink of |x|, relu, ...) are not
    bounded by Taylor's theorem; they are only required to be finite (the lab's
    0.5 / -0.5 next to the corner of |x| is checked in test_lab.py).

    M_k is estimated from the hand derivative (see _local_sup) and multiplied
    by 1.5 for safety.  The slack 1e-9 * max|f^(n)| covers rounding: np.gradient
    loses eps*|f|/h**n, which is below it for every case of the corpus.
    """
    cmp = run(case)
    r = cmp["numerical"]
    assert_np_gradient_verdict(cmp, case)
    values = np.asarray(r.values, dtype=float)
    x = case.grid
    assert values.shape == x.shape
    assert np.all(np.isfinite(values))
    h = x[1] - x[0]
    n = case.order
    exact = hand(case)
    slack = 1e-9 * scale(case)
    checked = 0
    last = len(x) - 1
    for i in range(len(x)):
        if n == 1 and i in (0, last):
            near, far = (1, 2) if i == 0 else (last - 1, last - 2)
            a1, b1 = sorted((x[i], x[near]))
            a2, b2 = sorted((x[i], x[far]))
            if _straddles_kink(case, a2, b2):
                continue
            bound = max(h / 2 * _local_sup(case, a1, b1, 1), h**2 * _local_sup(case, a2, b2, 2))
        elif n <= i <= last - n:
            a, b = x[i - n], x[i + n]
            if _straddles_kink(case, a, b):
                continue
            factor = 1.0 if n == 1 else 2.0 * n
            bound = factor * h**2 / 6 * _local_sup(case, a, b, 2)
        else:
            continue
        error = abs(values[i] - exact[i])
        assert error <= 1.5 * bound + slack, (
            f"np.gradient at x={x[i]:.6g}: error {error:g} > bound {1.5 * bound + slack:g}"
        )
        checked += 1
    assert checked >= len(x) - 2 * n - 4 * len(case.kinks)


@pytest.mark.parametrize("case", sweep(CORPUS, fast=12))
def test_reference_is_the_true_derivative(case: Case) -> None:
    cmp = run(case)
    reference = np.asarray(cmp.reference, dtype=float)
    error = max_error(reference, case)
    assert error <= 1e-10 * scale(case)


@pytest.mark.parametrize("case", sweep(CORPUS, fast=12))
def test_reported_errors_agree_with_ours(case: Case) -> None:
    cmp = run(case)
    peak = float(np.max(np.abs(hand(case))))
    # symbolic: both numbers are rounding noise; they must agree to 1e-9 * scale
    sym = cmp["symbolic"]
    assert sym.ok, sym.error
    ours = max_error(sym.values, case)
    assert sym.max_abs_error is not None
    assert abs(sym.max_abs_error - ours) <= 1e-9 * scale(case)
    assert sym.max_rel_error is not None
    assert 0 <= sym.max_rel_error <= 1e-9
    # numerical (np.gradient): a real error, so the agreement is relative
    num = cmp["numerical"]
    assert_np_gradient_verdict(cmp, case)
    ours = max_error(num.values, case)
    assert num.max_abs_error == pytest.approx(ours, rel=1e-6, abs=1e-9 * scale(case))
    assert num.max_rel_error == pytest.approx(num.max_abs_error / peak, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("case", sweep(CORPUS, fast=12))
def test_nondifferentiable_points(case: Case) -> None:
    found = sorted(float(v) for v in run(case).nondifferentiable)
    assert found == pytest.approx(sorted(case.kinks), abs=1e-9)


@pytest.mark.parametrize("case", sweep(CORPUS, fast=12))
def test_summary_is_json_and_table_names_every_method(case: Case) -> None:
    cmp = run(case)
    json.dumps(cmp.to_dict())
    text = str(cmp)
    for word in ("symbolic", "numerical", "finite_difference", "automatic"):
        assert word in text.lower().replace(" ", "_") or word.replace("_", " ") in text.lower()
