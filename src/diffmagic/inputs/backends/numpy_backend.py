"""The NumPy backend: NumPy itself, plus the few spellings learners borrow from `math` and SymPy."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from diffmagic.inputs.backends.namespace import Namespace
from diffmagic.inputs.backends.pointwise import (
    AXIS_CHECKED_REDUCTIONS,
    heaviside_for,
    math_spellings,
    pointwise_max_min,
    refusing_axis_on_scalars,
)


@functools.cache
def numpy_namespace() -> Namespace:
    """NumPy itself, plus the few spellings learners borrow from `math` and SymPy."""
    table = {
        **math_spellings(np),
        **{
            name: refusing_axis_on_scalars(name, getattr(np, name))
            for name in AXIS_CHECKED_REDUCTIONS
        },
        "ceil": np.ceil,
        "ln": np.log,
        "relu": lambda value: np.maximum(value, 0.0),
        # 1/(1 + e^-x) written with tanh: the same numbers, and no overflow for x << 0.
        "sigmoid": lambda value: 0.5 * (1.0 + np.tanh(0.5 * np.asarray(value, dtype=float))),
        "softplus": lambda value: np.logaddexp(0.0, value),
        "heaviside": heaviside_for(np),
    }
    return Namespace("numpy", table, np, math)


def numpy_builtins() -> dict[str, Any]:
    return pointwise_max_min(np)
