"""`graph(f, at)`: the computational graph of f at one point, for the Python API.

The graph itself (`results.graph.ComputationalGraph`) is traced and checked by the analysis
layer; this front door checks the arguments, builds the target and bounds the tracing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diffmagic.analysis.graph_limits import trace_within
from diffmagic.inputs.target import make_target
from diffmagic.limits import bounds
from diffmagic.results.graph import ComputationalGraph, check_mode, check_point


def graph(
    f: Any,
    at: Any,
    mode: str = "reverse",
    *,
    func: str | None = None,
    wrt: str | None = None,
    params: Mapping[str, Any] | None = None,
    time_limit: float = bounds.METHOD_SECONDS,
) -> ComputationalGraph:
    """The computational graph of f at x0 = `at`, with tangents (forward) or adjoints (reverse).

    What automatic differentiation does, step by step: each JAX operation's value at x0, and
    the derivative pushed forward or pulled back through it by that operation's own rule.

    Parameters
    ----------
    f : callable or str
        What `compare()` takes: a function, a notebook cell's text, or an expression in x.
    at : float
        The point x0.
    mode : {'reverse', 'forward'}, optional
        Reverse pulls adjoints back from f; forward pushes tangents from x.
    func, wrt, params : str, str, mapping, optional
        As `compare()` takes them: which function of a cell, which variable, the other
        arguments' values.
    time_limit : float, optional
        Tracing f stops after `time_limit` seconds, whatever f does.

    Returns
    -------
    ComputationalGraph
        `.nodes`, `.value`, `.derivative` (JAX's number) and `.ok`: whether it is f'(x0),
        confirmed by SymPy's exact value or central differences. It draws itself as SVG in a
        notebook and as a listing (`.text()`) in a terminal.

    Raises
    ------
    DiffMagicError
        When `at` is not one finite number, `mode` is neither, or JAX cannot trace f.

    Examples
    --------
    >>> import diffmagic
    >>> g = diffmagic.graph("x**2", at=3.0)
    >>> g.value, g.derivative, g.ok
    (9.0, 6.0, True)
    >>> print(g.text())
    computational graph of f(x) = x**2 at x = 3, reverse mode: 1 JAX operations
      f(3) = 9, df/dx = 6
    ...
    >>> diffmagic.graph("abs(x)", at=0.0).verdict
    'no derivative: df/dx does not exist at this x0; see the caution'
    """
    mode = check_mode(mode)
    x0 = check_point(at)
    seconds = bounds.check_seconds(time_limit, "time_limit")
    target = make_target(f, func=func, wrt=wrt, params=params, seconds=seconds)
    _, program = trace_within(target, x0, seconds)
    return ComputationalGraph(target, x0, mode, program)
