"""The user's function under NumPy at the point: its name, one checked evaluation, its cost.

`compare_gradient`, `compare_jacobian` and `parameter_study` all start here, so that a function
that does not run at the point, or returns the wrong kind of value, is refused with the same
one-line reason whichever was called, and one evaluation of f is the same unit of cost in each.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.explain import one_line, user_error
from diffmagic.many.methods import warm_seconds
from diffmagic.many.pytree import Flat


def first_parameter(function: Callable[..., Any]) -> str:
    """The name f gives its point ("w" when it gives none): coordinates are written after it."""
    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return "w"
    return names[0] if names else "w"


def function_name(function: Callable[..., Any]) -> str:
    """The name the tables and errors call f by; a lambda is "f"."""
    name = getattr(function, "__name__", None) or "f"
    return "f" if name == "<lambda>" else name


def numpy_loss(
    function: Callable[..., Any], flat: Flat, params: Mapping[str, Any] | None
) -> Callable[[np.ndarray], Any]:
    """f under NumPy as a function of the flat float64 vector."""
    from diffmagic.rebind import rebind

    twin = rebind(function, "numpy")
    fixed = dict(params or {})

    def of_flat(vector: np.ndarray) -> Any:
        return twin(flat.unflatten(vector), **fixed)

    return of_flat


def evaluate_once(
    of_flat: Callable[[np.ndarray], Any], flat: Flat, name: str, *, scalar: bool
) -> np.ndarray:
    """f(at) under NumPy, checked: it runs at this point and returns one number (or, for a
    Jacobian, a vector). Anything else is the user's input to fix: a one-line DiffMagicError."""
    try:
        with np.errstate(all="ignore"):
            value = of_flat(flat.values)
    except Exception as error:
        raise DiffMagicError(
            f"{user_error(name, error)}; check that `at` ({flat.shape_text()}) is what "
            f"{name} expects"
        ) from None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise DiffMagicError(
            f"{name} returns a {type(value).__name__}, not a number: return a float"
        ) from None
    if scalar and array.size != 1:
        raise DiffMagicError(
            f"{name} returns an array of shape {array.shape}, not one number: a gradient needs "
            "a scalar loss (use compare_jacobian for vector outputs)"
        )
    if not scalar and array.ndim > 1:
        raise DiffMagicError(
            f"{name} returns an array of shape {array.shape}: a Jacobian needs a 1-D output"
        )
    if not np.all(np.isfinite(array)):
        raise DiffMagicError(
            f"{name}(at) is not finite ({one_line(array, 60)}): pick another point"
        )
    return array


def f_seconds_of(of_flat: Callable[[np.ndarray], Any], flat: Flat) -> float:
    """One evaluation of f at the point (median of warm runs); never zero, since every cost is
    divided by it."""
    seconds, _ = warm_seconds(lambda: of_flat(flat.values))
    return max(seconds, 1e-9)
