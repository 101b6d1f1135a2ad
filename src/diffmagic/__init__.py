"""diffmagic: see, compare and trust derivatives in a notebook.

`compare()` differentiates one function symbolically (SymPy), numerically (NumPy and SciPy) and
automatically (JAX) and returns a `Comparison`. In IPython, `%load_ext diffmagic` adds the
`%%differentiate` magic. Importing this package imports neither IPython nor JAX.
"""

from __future__ import annotations

from typing import Any

from diffmagic.cache import clear_cache
from diffmagic.comparison import Comparison, MethodResult, compare
from diffmagic.errors import DiffMagicError

__all__ = [
    "Comparison",
    "DiffMagicError",
    "MethodResult",
    "clear_cache",
    "compare",
    "gradient_field",
    "load_ipython_extension",
    "panel",
    "partial_derivatives",
    "unload_ipython_extension",
]
__version__ = "0.1.0"


def panel(f: Any, *args: Any, **kwargs: Any) -> Any:
    """An interactive ipywidgets panel for `f`; takes the arguments of `compare()` and `x0`."""
    from diffmagic.interactive import Panel

    return Panel(f, *args, **kwargs)


def partial_derivatives(f: Any, at: Any, **kwargs: Any) -> Any:
    """Every partial derivative of f at the point `at` ({"x": 1, "y": 2}), by each method."""
    from diffmagic.partials import gradient_at

    return gradient_at(f, at, **kwargs)


def gradient_field(f: Any, x_domain: Any, y_domain: Any, **kwargs: Any) -> Any:
    """Contours of f(x, y) with arrows of its gradient: a matplotlib Figure."""
    from diffmagic.partials import gradient_field_figure

    return gradient_field_figure(f, x_domain, y_domain, **kwargs)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext diffmagic`: register `%%differentiate` and `%differentiate`."""
    from diffmagic.magic import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext diffmagic`: remove what loading added."""
    from diffmagic.magic import unload

    unload(ipython)
