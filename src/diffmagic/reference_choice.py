"""Which values every row is measured against: SymPy's f' at 30 digits, or the best stand-in.

The exact reference is SymPy's derivative evaluated with mpmath, under the symbolic time limit
like every SymPy step. When it cannot be had (SymPy cannot trace f, or the evaluation fails),
the most accurate method that worked stands in, and the label says so: a stand-in can only
show how far the others are from it, not that any of them is right.
"""

from __future__ import annotations

import numpy as np

from diffmagic import reference
from diffmagic.bounded_steps import bounded
from diffmagic.methods.base import Prepared
from diffmagic.results import MethodResult


def choose_reference(
    symbolic: Prepared | None,
    results: dict[str, MethodResult],
    grid: np.ndarray,
    wrt: str,
    seconds: float,
) -> tuple[np.ndarray | None, str, bool]:
    """(reference values, what they are in words, whether they are exact).

    `symbolic` is SymPy's derivative of f as NumPy computes it (None when there is none); the
    row that stands in is marked `is_reference`, and a float32 finite-difference row, which
    cannot stand in, is failed with the reason.
    """
    why_not = "SymPy cannot trace f"
    if symbolic is not None:
        import sympy as sp

        symbol = sp.Symbol(wrt, real=True)
        values = bounded(
            lambda: reference.high_precision(symbolic.expr, symbol, grid),
            "symbolic",
            "the exact reference",
            seconds,
        )
        if not isinstance(values, str):
            label = f"SymPy's exact derivative evaluated with {reference.DIGITS} digits (mpmath)"
            if values.size > reference.MAX_REFERENCE_POINTS:
                label += f" at {reference.MAX_REFERENCE_POINTS:,} of the points"
            return values, label, True
        why_not = f"evaluating it at {reference.DIGITS} digits failed: {values}"
    for key in ("automatic", "finite_difference"):
        result = results.get(key)
        if result is None or not result.ok:
            continue
        if key == "finite_difference" and result.precision != "float64":
            # Differences of float32 values are good to about 1e-3: they can vouch for
            # nothing, themselves included.
            result.ok, result.values = False, None
            result.error = (
                "nothing to measure it against: no exact derivative, no JAX row, and "
                "differences of a float32 f cannot stand in (add methods='automatic')"
            )
            continue
        result.is_reference = True
        return (
            result.values,
            f"no exact derivative ({why_not}): {result.label} is the reference",
            False,
        )
    return None, "no reference: no method produced a derivative", False
