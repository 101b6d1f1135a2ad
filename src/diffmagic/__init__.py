"""diffmagic: see, compare and trust derivatives in a notebook.

`compare()` differentiates one function symbolically (SymPy), numerically (NumPy and SciPy) and
automatically (JAX) and returns a `Comparison`; `compare_gradient`, `compare_jacobian` and
`parameter_study` do the same for a loss of many parameters, `check_gradient` checks a gradient
written by hand, `graph` draws f's computational graph. In IPython, `%load_ext diffmagic` adds
the `%%differentiate` magic.

Importing this package imports neither NumPy's heavier neighbours nor IPython nor JAX: each
public name below is the real function or class of the module that defines it, imported on
first use through one mapping (PEP 562), so `help()`, `inspect.signature` and an IDE see its
real parameters, and a type checker sees them through the `TYPE_CHECKING` imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from diffmagic.errors import DiffMagicError as DiffMagicError

if TYPE_CHECKING:
    from diffmagic.api.check import check_gradient as check_gradient
    from diffmagic.api.compare import compare as compare
    from diffmagic.api.expression_tree import expression_tree as expression_tree
    from diffmagic.api.gradients import compare_gradient as compare_gradient
    from diffmagic.api.graph import graph as graph
    from diffmagic.api.jacobians import compare_jacobian as compare_jacobian
    from diffmagic.api.partials import gradient_field as gradient_field
    from diffmagic.api.partials import partial_derivatives as partial_derivatives
    from diffmagic.api.study import parameter_study as parameter_study
    from diffmagic.frontends.panel import panel as panel
    from diffmagic.limits.internal import debug as debug
    from diffmagic.limits.internal import last_internal_traceback as last_internal_traceback
    from diffmagic.results.check import GradientCheck as GradientCheck
    from diffmagic.results.comparison import Comparison as Comparison
    from diffmagic.results.gradient import GradientComparison as GradientComparison
    from diffmagic.results.graph import ComputationalGraph as ComputationalGraph
    from diffmagic.results.jacobian import JacobianComparison as JacobianComparison
    from diffmagic.results.method_result import MethodResult as MethodResult
    from diffmagic.results.study import ParameterStudy as ParameterStudy
    from diffmagic.running.cache import clear_cache as clear_cache
    from diffmagic.running.request import Request as Request

__version__ = "0.1.0"

#: Every public name and the module that defines it.
_PUBLIC = {
    "compare": "diffmagic.api.compare",
    "Comparison": "diffmagic.results.comparison",
    "MethodResult": "diffmagic.results.method_result",
    "Request": "diffmagic.running.request",
    "clear_cache": "diffmagic.running.cache",
    "compare_gradient": "diffmagic.api.gradients",
    "GradientComparison": "diffmagic.results.gradient",
    "compare_jacobian": "diffmagic.api.jacobians",
    "JacobianComparison": "diffmagic.results.jacobian",
    "parameter_study": "diffmagic.api.study",
    "ParameterStudy": "diffmagic.results.study",
    "check_gradient": "diffmagic.api.check",
    "GradientCheck": "diffmagic.results.check",
    "graph": "diffmagic.api.graph",
    "ComputationalGraph": "diffmagic.results.graph",
    "expression_tree": "diffmagic.api.expression_tree",
    "partial_derivatives": "diffmagic.api.partials",
    "gradient_field": "diffmagic.api.partials",
    "panel": "diffmagic.frontends.panel",
    "debug": "diffmagic.limits.internal",
    "last_internal_traceback": "diffmagic.limits.internal",
}

__all__ = sorted([*_PUBLIC, "DiffMagicError", "load_ipython_extension", "unload_ipython_extension"])


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use and kept."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'diffmagic' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext diffmagic`: register `%%differentiate` and `%differentiate`.

    IPython calls this; it imports IPython's side of diffmagic only now, so the package itself
    works without IPython. Loading twice is harmless.

    Parameters
    ----------
    ipython : IPython.core.interactiveshell.InteractiveShell
        The shell to add the magics to (in a notebook, the kernel's).

    Returns
    -------
    None

    Examples
    --------
    In a notebook or IPython, where `get_ipython()` gives the running shell:

    >>> import diffmagic
    >>> shell = get_ipython()
    >>> diffmagic.load_ipython_extension(shell)  # what `%load_ext diffmagic` does
    >>> "differentiate" in shell.magics_manager.magics["cell"]
    True
    """
    from diffmagic.frontends.magic import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext diffmagic`: remove what loading added.

    Parameters
    ----------
    ipython : IPython.core.interactiveshell.InteractiveShell
        The shell the magics were added to.

    Returns
    -------
    None

    Examples
    --------
    In a notebook or IPython, where `get_ipython()` gives the running shell:

    >>> import diffmagic
    >>> shell = get_ipython()
    >>> diffmagic.unload_ipython_extension(shell)  # what `%unload_ext diffmagic` does
    >>> "differentiate" in shell.magics_manager.magics["cell"]
    False
    >>> diffmagic.load_ipython_extension(shell)  # and back
    """
    from diffmagic.frontends.magic import unload

    unload(ipython)
