"""Difference quotients with a step the user chooses: what the course's limit definition means.

`(f(x + h) - f(x)) / h` tends to f'(x) as h shrinks, until round-off takes over: in float64 the
best forward step is near eps**(1/2), the best central step near eps**(1/3). These functions
compute the quotients in float32 or float64 so a learner can watch both errors trade places.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SCHEMES = ("central", "forward", "backward")
DTYPES = {"float64": np.float64, "float32": np.float32}

#: Secant widths listed by default: 1, 0.1, ... 1e-15.
SECANT_WIDTHS = tuple(10.0**-k for k in range(16))


def difference_quotient(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    step: float,
    scheme: str = "central",
    dtype: str = "float64",
) -> np.ndarray:
    """f' by one difference quotient of step `step`, computed in `dtype` throughout."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
    kind = DTYPES[dtype]
    x = np.asarray(x, dtype=kind)
    h = kind(step)
    with np.errstate(all="ignore"):
        if scheme == "forward":
            values = (_in(f, x + h, kind) - _in(f, x, kind)) / h
        elif scheme == "backward":
            values = (_in(f, x, kind) - _in(f, x - h, kind)) / h
        else:
            values = (_in(f, x + h, kind) - _in(f, x - h, kind)) / (kind(2) * h)
    return values.astype(np.float64)


def _in(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, kind: type) -> np.ndarray:
    """f(x) rounded to `kind`, as if f had been computed in that precision."""
    return np.asarray(f(x)).astype(kind)


def secant_slopes(
    f: Callable[[np.ndarray], np.ndarray],
    x0: float,
    widths: tuple[float, ...] = SECANT_WIDTHS,
) -> list[tuple[float, float]]:
    """(dx, (f(x0 + dx) - f(x0)) / dx) for each width: the secants that tend to the tangent."""
    dx = np.asarray(widths, dtype=np.float64)
    with np.errstate(all="ignore"):
        values = np.asarray(f(np.concatenate(([x0], x0 + dx))), dtype=np.float64)
        slopes = (values[1:] - values[0]) / dx
    return [(float(d), float(s)) for d, s in zip(dx, slopes, strict=True)]
