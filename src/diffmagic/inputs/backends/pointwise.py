"""The meanings the backends share, so NumPy, JAX and SymPy read a learner's line alike.

Python's `max(x, 0)` is the larger value at each point (relu), never a reduction; `heaviside(x)`
is 1/2 at 0 unless told otherwise; `math`'s short spellings (`asin`, `pow`) name the array
module's own functions; and `np.max(x, 0)` with x one number is refused in plain words
instead of being read three ways.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.limits.explain import RefusedInF


class ScalarReductionError(RefusedInF):
    """`np.max(x, 0)` with x one number: a reduction along an axis of something with none.

    NumPy itself answers x (a 0-d array has an axis 0 for reductions), SymPy reads Max(x) = x,
    JAX refuses: three readings of a line that means "the largest value of an array". Every
    backend refuses it alike, with the spelling that means what a learner means.
    """

    def __init__(self, name: str, axis: Any) -> None:
        short = name.lstrip("a") if name in ("amax", "amin") else name
        problem = (
            f"np.{name}(x, {axis!r}) reduces an array along axis {axis!r}, but x is one number"
        )
        if short in ("max", "min"):
            bigger, pointwise = ("larger", "maximum") if short == "max" else ("smaller", "minimum")
            fix = (
                f"for the {bigger} of x and {axis!r} at each point write "
                f"np.{pointwise}(x, {axis!r}) or {short}(x, {axis!r})"
            )
        else:
            fix = f"drop the axis (np.{name} of one number is that number)"
        super().__init__(f"{problem}: {fix}")


AXIS_CHECKED_REDUCTIONS = ("sum", "prod", "max", "min", "amax", "amin", "mean")
"""The reductions whose axis is refused when the values are one number (NumPy would answer x,
JAX refuse in its own words)."""


def axis_refused_on_a_number(
    name: str, values: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The axis a reduction `name` was called with (None when none), refused when `values` is
    one number: every backend's reduction asks here, so all refuse in the same words."""
    axis = args[0] if args else kwargs.get("axis")
    if axis is not None and np.ndim(values) == 0:
        raise ScalarReductionError(name, axis)
    return axis


def refusing_axis_on_scalars(name: str, reduce: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(reduce)
    def reduction(values: Any, *args: Any, **kwargs: Any) -> Any:
        axis_refused_on_a_number(name, values, args, kwargs)
        return reduce(values, *args, **kwargs)

    return reduction


def _is_array_like(value: Any) -> bool:
    return hasattr(value, "shape") and getattr(value, "shape", ()) != ()


def pointwise_max_min(array_module: Any) -> dict[str, Any]:
    """Python's `max` and `min` for an array backend: pointwise over arrays and tracers with the
    module's own `maximum` and `minimum`, Python's own for plain numbers."""
    return {
        "max": _elementwise_max_min(builtins.max, array_module.maximum),
        "min": _elementwise_max_min(builtins.min, array_module.minimum),
    }


def _elementwise_max_min(
    python_builtin: Callable[..., Any], elementwise: Callable[[Any, Any], Any]
) -> Callable[..., Any]:
    """Python's `max`/`min`, extended to arrays and tracers, where the builtin would
    need the truth value of an array."""

    @functools.wraps(python_builtin)
    def chosen(*args: Any, **kwargs: Any) -> Any:
        if len(args) >= 2 and not kwargs and any(_is_array_like(a) or _is_traced(a) for a in args):
            return functools.reduce(elementwise, args)
        return python_builtin(*args, **kwargs)

    return chosen


def _is_traced(value: Any) -> bool:
    return type(value).__module__.startswith("jax")


def math_spellings(module: Any) -> dict[str, Any]:
    """`math`'s and SymPy's short names (asin, atan2, pow) for an array module's own."""
    return {
        "asin": module.arcsin,
        "acos": module.arccos,
        "atan": module.arctan,
        "atan2": module.arctan2,
        "asinh": module.arcsinh,
        "acosh": module.arccosh,
        "atanh": module.arctanh,
        "pow": module.power,
    }


def heaviside_for(module: Any) -> Callable[..., Any]:
    """`heaviside(x)` as learners write it: NumPy's needs the value at 0, here 1/2 by default
    (SymPy's convention, and the average of the two sides)."""

    def heaviside(value: Any, at_zero: Any = 0.5) -> Any:
        return module.heaviside(value, at_zero)

    return heaviside
