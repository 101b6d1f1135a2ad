"""What each float width can resolve: the one table every method, verdict and check reads.

A float32 f known to 1e-7 of its size cannot vouch for a derivative to 1e-12, and a gradient
returned in float16 cannot be judged at float64's tolerance: every tolerance in diffmagic
starts from the width a value was computed in, named here once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Float widths from the widest to the narrowest (by machine epsilon).
WIDTHS = ("float64", "float32", "float16", "bfloat16")
#: Machine epsilon by width: what a value of f of size |f| is known to.
EPSILON = {"float64": 2.0**-52, "float32": 2.0**-23, "float16": 2.0**-10, "bfloat16": 2.0**-7}
#: Relative tolerance of agreement between two readings of f (NumPy's and a backend's), by the
#: width f computes in.
FIDELITY_RTOL = {"float64": 1e-8, "float32": 1e-5, "float16": 1e-2}


def width(value: Any) -> str:
    """The float width of an array's (or a scalar's) values: "float64" for anything else."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return "float64"
    name = str(getattr(dtype, "name", dtype))
    return name if name in WIDTHS else "float64"


def narrowest(*widths: str) -> str:
    """The least precise of the widths."""
    return max(widths, key=WIDTHS.index)


def resolvable(f_size: float, x_size: float, order: int = 1, precision: str = "float64") -> float:
    """The smallest size of an order-`order` derivative that float values of f can resolve.

    f known to eps * |f| cannot show a derivative much below eps^(2/(order+2)) |f| / |x|^order
    (the best any difference quotient does); errors are measured against at least this, so a
    derivative that is 0 (f''' of x^2, a gradient at a minimum) does not turn round-off into
    "inaccurate" while the same round-off beside a large derivative stays negligible.
    """
    if not (np.isfinite(f_size) and f_size > 0):
        return 0.0
    eps = EPSILON.get(precision, EPSILON["float64"])
    return 10.0 * eps ** (2.0 / (order + 2)) * f_size / max(1.0, x_size) ** order
