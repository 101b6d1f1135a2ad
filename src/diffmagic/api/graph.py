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

    `f` is what `compare()` takes: a function, a notebook cell's text, or an expression in x.
    Tracing f stops after `time_limit` seconds, whatever f does.
    """
    mode = check_mode(mode)
    x0 = check_point(at)
    seconds = bounds.check_seconds(time_limit, "time_limit")
    target = make_target(f, func=func, wrt=wrt, params=params, seconds=seconds)
    _, program = trace_within(target, x0, seconds)
    return ComputationalGraph(target, x0, mode, program)
