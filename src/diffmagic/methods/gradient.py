"""The lab's numerical method: `np.gradient` of f's values on the grid.

Central differences inside, one-sided at the two ends, applied `order` times. Its error is that
of the grid step (about h**2 * f'''/6), and next to a kink it averages the slopes on both sides:
that is where the lab's 0.5 and -0.5 for |x| come from. diffmagic keeps it as the course's row
and shows those errors rather than hiding them.
"""

from __future__ import annotations

import time

import numpy as np

from diffmagic.methods.base import NumpyFunction, Prepared, Work
from diffmagic.target import Target

KEY = "numerical"
LABEL = "numerical (np.gradient)"


def prepare(target: Target, order: int, probe: np.ndarray) -> Prepared:
    started = time.perf_counter()
    function = NumpyFunction(target, probe)

    def derivative(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 1 or x.size < 2:
            raise ValueError("np.gradient needs a 1-D grid of at least two points")
        values = function(x)
        for _ in range(order):
            values = np.gradient(values, x)
        return values

    return Prepared(
        derivative=derivative,
        setup_s=time.perf_counter() - started,
        engine="numpy",
        function=function,
        notes=tuple(function.notes),
        precision=function.precision,
        timed_call=lambda x: lambda: derivative(x),
        pointwise=function.pointwise,
        work=Work("evaluations of f per point", 1),
    )
