"""The plain central-difference gradient: 2n evaluations of f, one coordinate at a time.

The rule a learner writes by hand, and the check's and the parameter study's unit of cost:
cheap and predictable, without the error estimate of `central.central_differences`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.inputs.pytree import Flat


def central_difference_steps(values: np.ndarray) -> np.ndarray:
    """Steps for central differences in float64: eps^(1/3) times the coordinate's scale.

    The error of (f(x+h) - f(x-h)) / 2h is about h^2 f'''/6 from truncation plus eps f / h from
    round-off, smallest near h = eps^(1/3) (6e-6) for a well-scaled f. Each step is then
    rounded so that x + h and x - h are exactly x +- h in float64.
    """
    scale = np.maximum(1.0, np.abs(values))
    steps = np.cbrt(np.finfo(np.float64).eps) * scale
    return (values + steps) - values


def numerical_gradient(
    function_of_flat: Callable[[np.ndarray], Any], flat: Flat | np.ndarray
) -> np.ndarray:
    """Central differences coordinate by coordinate: exactly 2n evaluations of f, float64.

    `function_of_flat` takes one float64 vector of length n (`flat.values`, or `flat` itself
    when it is an array) and returns one number, e.g. `lambda v: f(flat.unflatten(v))`.
    Component i is (f(x + h_i e_i) - f(x - h_i e_i)) / (2 h_i) with h_i from
    `central_difference_steps` (eps^(1/3) times max(1, |x_i|)); its error is about 1e-10
    relative for a smooth, well-scaled loss.

    Written by hand rather than with `scipy.differentiate.jacobian`: that routine is adaptive
    (Richardson steps, at least 8 evaluations per coordinate and more until it converges) and
    calls f on a whole batch of points at once, which a loss written for one parameter vector
    (`X @ w`) does not accept; the issue's method is the plain 2n-evaluation rule. A result
    that is not a finite number raises `ValueError` naming the coordinate.
    """
    x = np.array(flat.values if isinstance(flat, Flat) else flat, dtype=np.float64)
    steps = central_difference_steps(x)
    gradient = np.empty(x.size)
    for i in range(x.size):
        original = x[i]
        x[i] = original + steps[i]
        above = float(function_of_flat(x))
        x[i] = original - steps[i]
        below = float(function_of_flat(x))
        x[i] = original
        gradient[i] = (above - below) / (2.0 * steps[i])
        if not np.isfinite(gradient[i]):
            raise ValueError(f"f is not finite next to the point along coordinate {i}")
    return gradient
