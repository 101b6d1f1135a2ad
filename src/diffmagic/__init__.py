"""diffmagic: see, compare and trust derivatives in a notebook.

`compare()` differentiates one function symbolically (SymPy), numerically (NumPy and SciPy) and
automatically (JAX) and returns a `Comparison`. In IPython, `%load_ext diffmagic` adds the
`%%differentiate` magic. Importing this package imports neither IPython nor JAX.
"""

from __future__ import annotations

from typing import Any

from diffmagic.comparison import Comparison, MethodResult, compare
from diffmagic.errors import DiffMagicError

__all__ = [
    "Comparison",
    "DiffMagicError",
    "MethodResult",
    "compare",
    "load_ipython_extension",
    "panel",
    "unload_ipython_extension",
]
__version__ = "0.1.0"


def panel(f: Any, *args: Any, **kwargs: Any) -> Any:
    """An interactive ipywidgets panel for `f`; takes the arguments of `compare()` and `x0`."""
    from diffmagic.interactive import Panel

    return Panel(f, *args, **kwargs)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext diffmagic`: register `%%differentiate` and `%differentiate`."""
    from diffmagic.magic import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext diffmagic`: remove what loading added."""
    from diffmagic.magic import unload

    unload(ipython)
