"""The derivative diffmagic trusts: SymPy's f' evaluated with 30 significant digits by mpmath.

Every method's error is measured against it. Evaluating the exact derivative at high precision
removes float64 round-off from the reference itself, so even an error of 1e-15 is real. When
SymPy cannot trace f there is no exact derivative; the most accurate method that worked stands
in, and the table says which.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

#: Digits mpmath carries while evaluating the reference.
DIGITS = 30
#: The reference is evaluated on at most this many evenly spread grid points (mpmath is about
#: 50 µs a point), and on a larger grid also at each row's WORST_POINTS_PER_ROW.
MAX_REFERENCE_POINTS = 20_001
#: On a grid larger than MAX_REFERENCE_POINTS: the points, for each row, where it is furthest
#: from SymPy's f' evaluated in float64, evaluated at 30 digits too. A row's largest error is
#: among them (up to the float64 rounding of f' itself), so its max error is over every point
#: of the grid, not over the even sample alone (which can miss a spike by orders of magnitude).
WORST_POINTS_PER_ROW = 50


def sample_indices(size: int) -> np.ndarray:
    """Grid indices at which the reference is evaluated: all, or an even subsample."""
    if size <= MAX_REFERENCE_POINTS:
        return np.arange(size)
    return np.unique(np.linspace(0, size - 1, MAX_REFERENCE_POINTS).round().astype(int))


def worst_indices(
    rows: Iterable[np.ndarray | None], float64_reference: np.ndarray, skip: np.ndarray
) -> np.ndarray:
    """For each row's values, the WORST_POINTS_PER_ROW grid indices (outside `skip`) where they
    are furthest from `float64_reference`, all rows together; rows equal to it add none."""
    found: list[np.ndarray] = []
    outside = np.ones(float64_reference.shape, bool)
    outside[skip] = False
    for values in rows:
        if values is None or values.shape != float64_reference.shape:
            continue
        with np.errstate(all="ignore"):
            distance = np.abs(values - float64_reference)
        distance = np.where(outside & np.isfinite(distance), distance, -1.0)
        count = min(WORST_POINTS_PER_ROW, distance.size)
        furthest = np.argpartition(distance, distance.size - count)[distance.size - count :]
        found.append(furthest[distance[furthest] > 0])
    return np.unique(np.concatenate(found)) if found else np.array([], dtype=int)


def _to_float(value: Any) -> float:
    import mpmath

    if isinstance(value, mpmath.mpc):
        return float(value.real) if value.imag == 0 else float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def high_precision(
    expr: Any, symbol: Any, grid: np.ndarray, indices: np.ndarray | None = None
) -> np.ndarray:
    """`expr` at the points of `grid` (at `indices`, by default every point or an even sample
    of them), computed by mpmath with DIGITS digits, as float64; NaN elsewhere."""
    import mpmath
    import sympy as sp

    values = np.full(grid.shape, np.nan)
    if indices is None:
        indices = sample_indices(grid.size)
    try:
        evaluate = sp.lambdify([symbol], expr, modules="mpmath")
    except Exception:
        evaluate = None
    with mpmath.workdps(DIGITS):
        for index in indices:
            point = mpmath.mpf(float(grid[index]))
            try:
                if evaluate is None:
                    raise TypeError
                values[index] = _to_float(evaluate(point))
            except (ZeroDivisionError, OverflowError, ValueError):
                values[index] = np.nan
            except Exception:
                try:
                    values[index] = _to_float(
                        expr.evalf(DIGITS, subs={symbol: sp.Float(point, DIGITS)})
                    )
                except Exception:  # SymPy's own ValueError (log of a negative in a Min)
                    values[index] = np.nan
    return values


#: Points where the closed form gives no number but f has one, re-evaluated as a limit, at most.
MAX_LIMIT_POINTS = 2_000


def _mp_function(expr: Any, symbol: Any) -> Any:
    """`expr` as a function of one mpmath number (evalf when lambdify cannot express it)."""
    import sympy as sp

    try:
        evaluate = sp.lambdify([symbol], expr, modules="mpmath")
    except Exception:
        evaluate = None

    def value(point: Any) -> Any:
        if evaluate is not None:
            try:
                return evaluate(point)
            except (ZeroDivisionError, OverflowError, ValueError):
                raise
            except Exception:
                pass
        return expr.evalf(DIGITS, subs={symbol: sp.Float(point, DIGITS)})

    return value


def by_limits(
    values: np.ndarray,
    function_expr: Any,
    symbol: Any,
    grid: np.ndarray,
    f_values: np.ndarray,
    order: int = 1,
    evaluated: np.ndarray | None = None,
) -> np.ndarray:
    """The reference where its closed form gives no number although f has one (`0**y *
    log(0)` for f = 0**y, an unevaluated `Derivative(floor(x))`): the derivative of SymPy's f
    itself, from both sides at 30 digits (mpmath.diff), kept only where the two sides agree,
    so a corner or a jump stays without a value. Only at the `evaluated` indices (default:
    every point), which on a large grid are those `high_precision` was asked for."""
    import mpmath

    wanted = np.zeros(values.shape, bool)
    wanted[slice(None) if evaluated is None else evaluated] = True
    missing = np.flatnonzero(wanted & ~np.isfinite(values) & np.isfinite(f_values))
    missing = missing[:MAX_LIMIT_POINTS]
    if missing.size == 0 or function_expr is None:
        return values
    filled = values.copy()
    function = _mp_function(function_expr, symbol)
    with mpmath.workdps(DIGITS):
        for index in missing:
            point = mpmath.mpf(float(grid[index]))
            try:
                sides = [mpmath.diff(function, point, order, direction=side) for side in (-1, 1)]
            except Exception:  # f has no value on one side (the edge of its domain)
                continue
            left, right = (_to_float(side) for side in sides)
            size = max(abs(left), abs(right), 1.0)
            if np.isfinite(left) and np.isfinite(right) and abs(left - right) <= 1e-12 * size:
                filled[index] = (left + right) / 2
    return filled


def underflows(expr: Any, symbol: Any, grid: np.ndarray) -> bool:
    """True when `expr` is not 0 at 30 digits at some of the points (so a float64 0 there is
    an underflow, not the value)."""
    import mpmath

    function = _mp_function(expr, symbol)
    sample = grid[np.unique(np.linspace(0, grid.size - 1, min(grid.size, 21)).astype(int))]
    with mpmath.workdps(DIGITS):
        for point in sample:
            try:
                value = function(mpmath.mpf(float(point)))
            except Exception:
                continue
            if mpmath.isfinite(value) and value != 0:
                return True
    return False


def underflow_notes(
    f_values: np.ndarray,
    reference_values: np.ndarray | None,
    function_expr: Any,
    derivative_expr: Any,
    name: str,
    derivative: str,
    symbol: Any = None,
    grid: np.ndarray | None = None,
) -> list[str]:
    """Say so when float64 rounds f or f' to 0 everywhere although its formula is not.

    Then every error reads 0 and every curve lies flat: nothing is measured at all. A product
    of many probabilities does this; its logarithm does not. A formula that is 0 there (0**y
    for y > 0) does not underflow: its values at 30 digits are 0 too.
    """
    notes = []
    for values, expr, label in (
        (f_values, function_expr, name),
        (reference_values, derivative_expr, derivative),
    ):
        if values is None or expr is None or expr.is_zero:
            continue
        finite = values[np.isfinite(values)]
        if not (finite.size and not np.any(finite)):
            continue
        if symbol is not None and grid is not None and not underflows(expr, symbol, grid):
            continue
        notes.append(
            f"{label} is 0 at every grid point in float64 although its formula is not: "
            "it underflows (below 1e-308), so these errors measure nothing; "
            "differentiate its logarithm instead"
        )
    return notes
