"""diffmagic: see, compare and trust derivatives in a notebook.

`compare()` differentiates one function symbolically (SymPy), numerically (NumPy and SciPy) and
automatically (JAX) and returns a `Comparison`. In IPython, `%load_ext diffmagic` adds the
`%%differentiate` magic. Importing this package imports neither IPython nor JAX.
"""

from __future__ import annotations

from typing import Any

from diffmagic.api.compare import Comparison, MethodResult, Request, compare
from diffmagic.errors import DiffMagicError
from diffmagic.running.cache import clear_cache

__all__ = [
    "Comparison",
    "DiffMagicError",
    "GradientComparison",
    "JacobianComparison",
    "MethodResult",
    "ParameterStudy",
    "Request",
    "clear_cache",
    "compare",
    "compare_gradient",
    "compare_jacobian",
    "expression_tree",
    "gradient_field",
    "graph",
    "load_ipython_extension",
    "panel",
    "parameter_study",
    "partial_derivatives",
    "unload_ipython_extension",
]
__version__ = "0.1.0"


def panel(f: Any, **options: Any) -> Any:
    """An interactive ipywidgets panel for `f`: every keyword of `compare()`, and `x0`."""
    from diffmagic.frontends.panel import Panel

    return Panel(f, **options)


def partial_derivatives(f: Any, at: Any, **kwargs: Any) -> Any:
    """Every partial derivative of f at the point `at` ({"x": 1, "y": 2}), by each method."""
    from diffmagic.api.partials import gradient_at

    return gradient_at(f, at, **kwargs)


def gradient_field(f: Any, x_domain: Any, y_domain: Any, **kwargs: Any) -> Any:
    """Contours of f(x, y) with arrows of its gradient: a matplotlib Figure."""
    from diffmagic.api.partials import gradient_field_figure

    return gradient_field_figure(f, x_domain, y_domain, **kwargs)


# --- computational graph (issue 15): lazy, like panel --------------------------------------
def graph(f: Any, at: Any, mode: str = "reverse", **kwargs: Any) -> Any:
    """f's JAX program at x0 = `at`: each step's value, tangent (forward) or adjoint (reverse)."""
    from diffmagic.api.graph import graph as build

    return build(f, at, mode, **kwargs)


def expression_tree(f: Any, **kwargs: Any) -> Any:
    """SymPy's expression trees of f and f' side by side, shared subexpressions marked."""
    from diffmagic.api.expression_tree import expression_tree as build

    return build(f, **kwargs)


# --- end computational graph ---------------------------------------------------------------
# --- issue 13 (many parameters): gradients of a loss, Jacobians, cost against n -------------
# Small functions, as `panel` above, so that importing diffmagic does not import the package.


def compare_gradient(f: Any, at: Any, *args: Any, **kwargs: Any) -> Any:
    """The gradient of a loss f: R^n -> R at `at` (an array or a pytree) by symbolic,
    numerical, forward and reverse mode, with errors and timings: a `GradientComparison`."""
    from diffmagic.api.gradients import compare_gradient as run

    return run(f, at, *args, **kwargs)


def compare_jacobian(f: Any, at: Any, *args: Any, **kwargs: Any) -> Any:
    """The (m, n) Jacobian of f: R^n -> R^m by forward, reverse and numerical, each timed."""
    from diffmagic.api.jacobians import compare_jacobian as run

    return run(f, at, *args, **kwargs)


def parameter_study(f: Any, *args: Any, **kwargs: Any) -> Any:
    """One gradient's cost against n, as a multiple of one f, per method: a `ParameterStudy`."""
    from diffmagic.api.study import parameter_study as run

    return run(f, *args, **kwargs)


def __getattr__(name: str) -> Any:
    """The result types, imported on first use."""
    if name == "GradientComparison":
        from diffmagic.api.gradients import GradientComparison

        return GradientComparison
    if name == "JacobianComparison":
        from diffmagic.api.jacobians import JacobianComparison

        return JacobianComparison
    if name == "ParameterStudy":
        from diffmagic.api.study import ParameterStudy

        return ParameterStudy
    raise AttributeError(f"module 'diffmagic' has no attribute {name!r}")


# --- end issue 13 --------------------------------------------------------------------------


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext diffmagic`: register `%%differentiate` and `%differentiate`."""
    from diffmagic.frontends.magic import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext diffmagic`: remove what loading added."""
    from diffmagic.frontends.magic import unload

    unload(ipython)


# --- check your own gradient (issue 14) ---------------------------------------------------
# As above: a small function and a lazy type, so that importing diffmagic stays light.
__all__ += ["GradientCheck", "check_gradient"]


def check_gradient(f: Any, grad: Any, at: Any, *args: Any, **kwargs: Any) -> Any:
    """Check your hand-written gradient `grad(at)` of f against a reference, coordinate by
    coordinate (kinks, float32 and large n handled): a `GradientCheck`."""
    from diffmagic.api.check import check_gradient as run

    return run(f, grad, at, *args, **kwargs)


_lazy_before_checks = globals().get("__getattr__")


def __getattr__(name: str) -> Any:  # noqa: F811 - extends the lazy attributes above
    """`GradientCheck` on first use; everything else as before."""
    if name == "GradientCheck":
        from diffmagic.results.check import GradientCheck

        return GradientCheck
    if _lazy_before_checks is not None:
        return _lazy_before_checks(name)
    raise AttributeError(f"module 'diffmagic' has no attribute {name!r}")


# --- end check your own gradient ---
