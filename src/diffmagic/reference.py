"""The derivative diffmagic trusts: SymPy's f' evaluated with 30 significant digits by mpmath.

Every method's error is measured against it. Evaluating the exact derivative at high precision
removes float64 round-off from the reference itself, so even an error of 1e-15 is real. When
SymPy cannot trace f there is no exact derivative; the most accurate method that worked stands
in, and the table says which.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Digits mpmath carries while evaluating the reference.
DIGITS = 30
#: The reference is evaluated on at most this many grid points (mpmath is about 50 µs a point).
MAX_REFERENCE_POINTS = 20_001


def sample_indices(size: int) -> np.ndarray:
    """Grid indices at which the reference is evaluated: all, or an even subsample."""
    if size <= MAX_REFERENCE_POINTS:
        return np.arange(size)
    return np.unique(np.linspace(0, size - 1, MAX_REFERENCE_POINTS).round().astype(int))


def _to_float(value: Any) -> float:
    import mpmath

    if isinstance(value, mpmath.mpc):
        return float(value.real) if value.imag == 0 else float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def high_precision(expr: Any, symbol: Any, grid: np.ndarray) -> np.ndarray:
    """`expr` at every point of `grid`, computed by mpmath with DIGITS digits, as float64."""
    import mpmath
    import sympy as sp

    values = np.full(grid.shape, np.nan)
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
                values[index] = _to_float(
                    expr.evalf(DIGITS, subs={symbol: sp.Float(point, DIGITS)})
                )
    return values


def underflow_notes(
    f_values: np.ndarray,
    reference_values: np.ndarray | None,
    function_expr: Any,
    derivative_expr: Any,
    name: str,
    derivative: str,
) -> list[str]:
    """Say so when float64 rounds f or f' to 0 everywhere although its formula is not 0.

    Then every error reads 0 and every curve lies flat: nothing is measured at all. A product
    of many probabilities does this; its logarithm does not.
    """
    notes = []
    for values, expr, label in (
        (f_values, function_expr, name),
        (reference_values, derivative_expr, derivative),
    ):
        if values is None or expr is None or expr.is_zero:
            continue
        finite = values[np.isfinite(values)]
        if finite.size and not np.any(finite):
            notes.append(
                f"{label} is 0 at every grid point in float64 although its formula is not: "
                "it underflows (below 1e-308), so these errors measure nothing; "
                "differentiate its logarithm instead"
            )
    return notes
