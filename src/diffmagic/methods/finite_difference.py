"""Accurate finite differences at any points: `scipy.differentiate` and `numdifftools`.

For f' SciPy's `derivative` is vectorised over the points, picks its step adaptively and
extrapolates (Richardson) to an eighth-order central formula; it also returns an error estimate
and a success flag per point. That makes it far more accurate than `np.gradient` on the grid
(about 1e-12 against 1e-3) at a cost of a few dozen evaluations of f per point.

SciPy has no higher derivatives, and nesting first derivatives loses digits at every level
(1e-4 for the third derivative), so orders 2 and up use `numdifftools.Derivative(n=order)`:
Richardson extrapolation over a geometric sequence of steps, about 1e-11 for f'' here.

Points that do not converge with the default first step (for instance a step that would leave
the domain of `log`) are tried again with a small step; those that still do not converge are
counted in the row's notes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from diffmagic.methods.base import NumpyFunction, Prepared
from diffmagic.target import Target

KEY = "finite_difference"
LABEL = "finite differences"


def _differentiate(
    function: Callable[[np.ndarray], np.ndarray], x: np.ndarray, failures: list[int]
) -> np.ndarray:
    from scipy.differentiate import derivative

    with np.errstate(all="ignore"):
        # SciPy's default tolerances (rtol = sqrt(eps)) stop before round-off takes over; asking
        # for more makes it shrink the step too far and lose digits.
        result = derivative(function, x)
        values = np.array(result.df, dtype=np.float64)
        retry = ~np.isfinite(values)
        if np.any(retry):
            small_step = 1e-3 * np.maximum(1.0, np.abs(x[retry]))
            values[retry] = derivative(function, x[retry], initial_step=small_step).df
    failures.append(int(np.count_nonzero(~np.isfinite(values))))
    return values


def prepare(target: Target, order: int, probe: np.ndarray) -> Prepared:
    started = time.perf_counter()
    function = NumpyFunction(target, probe)
    unconverged: list[int] = []

    if order == 1:
        engine = "numpy (scipy.differentiate)"

        def derivative(x: np.ndarray) -> np.ndarray:
            return _differentiate(function, np.asarray(x, dtype=np.float64), unconverged)

    else:
        import numdifftools

        engine = "numpy (numdifftools)"
        nth = numdifftools.Derivative(function, n=order)

        def derivative(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=np.float64)
            with np.errstate(all="ignore"):
                return np.asarray(nth(x.ravel()), dtype=np.float64).reshape(x.shape)

    derivative(probe[:3])
    notes = list(function.notes)
    return Prepared(
        derivative=derivative,
        setup_s=time.perf_counter() - started,
        engine=engine,
        notes=notes,
        timed_call=lambda x: lambda: derivative(x),
        pointwise=function.pointwise,
        slow=True,
    )
