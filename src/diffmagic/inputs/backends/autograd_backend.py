"""The Autograd backend: `autograd.numpy`, the NumPy that HIPS Autograd records on its tape.

Autograd is imported on first use, never when this module is imported. Its `autograd.numpy`
wraps NumPy's own functions, so a learner's NumPy function runs unchanged with `np` bound here.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from diffmagic.inputs.backends.namespace import Namespace
from diffmagic.inputs.backends.pointwise import (
    AXIS_CHECKED_REDUCTIONS,
    heaviside_for,
    math_spellings,
    pointwise_max_min,
    refusing_axis_on_scalars,
)


@functools.cache
def autograd_namespace() -> Namespace:
    """`autograd.numpy`, with the spellings learners borrow from `math` and SymPy."""
    import autograd.numpy as anp

    table = {
        **math_spellings(anp),
        **{
            name: refusing_axis_on_scalars(name, getattr(anp, name))
            for name in AXIS_CHECKED_REDUCTIONS
        },
        "fabs": anp.abs,
        "ln": anp.log,
        "relu": lambda value: anp.maximum(value, 0.0),
        # The same tanh form as the NumPy backend's: no overflow for x << 0.
        "sigmoid": lambda value: 0.5 * (1.0 + anp.tanh(0.5 * value)),
        "softplus": lambda value: anp.logaddexp(0.0, value),
        "heaviside": heaviside_for(anp),
    }
    return Namespace("autograd", table, anp, math)


def autograd_builtins() -> dict[str, Any]:
    import autograd.numpy as anp

    return pointwise_max_min(anp)
