"""`compare()`: one function, every method, one honest comparison.

The flow is one way: options are checked (`request`, before anything is traced or allocated),
the target is built, NumPy's own f is evaluated on the grid, each method prepares its
derivative or a reason it cannot, each backend's f is checked against NumPy's f (a backend
that reads f differently fails), every derivative is evaluated on the grid and measured
against a high-precision reference (`verdicts`: non-finite or inaccurate rows are not ok),
points where f' does not exist are found and explained, and, if asked, each method is timed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from diffmagic.analysis.at_point import function_at, tangent_slopes
from diffmagic.api.pipeline import Comparer
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.target import make_target
from diffmagic.limits import bounds
from diffmagic.limits.guard import Failure, guarded, still_running_note
from diffmagic.limits.held_output import captured_output
from diffmagic.methods import yours as yours_rows
from diffmagic.results.comparison import Comparison, MethodResult
from diffmagic.running.request import DEFAULT_METHODS, Request
from diffmagic.running.row_timing import time_results

__all__ = [
    "DEFAULT_METHODS",
    "Comparison",
    "MethodResult",
    "Request",
    "compare",
    "function_at",
    "run",
    "tangent_slopes",
    "time_results",
]


def compare(
    f: Any,
    domain: Sequence[float] = (-5.0, 5.0),
    points: int = 100,
    methods: Sequence[str] | str = DEFAULT_METHODS,
    order: int = 1,
    wrt: str | None = None,
    params: Mapping[str, Any] | None = None,
    timing: bool = False,
    timing_points: int = 1_000_000,
    *,
    func: str | None = None,
    timing_mode: str = "quick",
    engines: Sequence[str] | str = ("numpy",),
    symbolic_time_limit: float = bounds.SYMBOLIC_SECONDS,
    method_time_limit: float = bounds.METHOD_SECONDS,
    extrema: bool = False,
    cache: bool = True,
    yours: Any = None,
) -> Comparison:
    """Differentiate `f` symbolically, numerically and automatically, and compare the results.

    Parameters
    ----------
    f
        A Python function, the text of a notebook cell that defines one (the last `def` not
        named as yours, or the one named `func`), or an expression in x such as
        ``"exp(-2*x) + 3*sin(3*x)"``.
    domain, points
        The grid: `points` evenly spaced values of the variable from low to high.
    methods, engines
        Which rows: `"symbolic"`, `"numerical"` (np.gradient and finite differences),
        `"automatic"`...; `engines=("numpy", "jax")` also runs SymPy's derivative and finite
        differences compiled by JAX, so the table separates a method's cost from its engine's.
    order
        1 for f', 2 for f'', up to 8.
    wrt, params
        The parameter to differentiate (default: the first) and fixed values for the others.
    timing, timing_points, timing_mode
        Time each row on `timing_points` points (quick: about a second; full: %timeit-like).
    symbolic_time_limit, method_time_limit
        SymPy's work stops after the first, any other method's after the second (seconds).
    extrema
        Find the critical points of f in the domain (`comparison.extrema`).
    yours
        Your own derivative (`dfdx`, of order `order`), or several as a dict {name: function};
        with a cell's text, the name of a function it defines (`yours="dfdx"`). A row each
        ("yours", or "yours:NAME"), judged against the same reference, with where and how it
        is wrong in words ("yours is 1.5 times the true derivative everywhere").
    cache
        Reuse derivatives prepared by earlier calls for the same function (default). The key is
        everything the derivative depends on, never the object's identity; `False` derives
        afresh, `diffmagic.clear_cache()` empties it.

    A row says ok only when its backend computes NumPy's own f, its values are finite where
    f' exists, and its error is within what its method promises; otherwise it says why. A
    method that fails becomes a row with a reason; only input that is no usable function or
    option raises `DiffMagicError`. What `f` prints is held back and counted.
    """
    request = Request.checked(
        domain,
        points,
        methods,
        order,
        wrt,
        params,
        timing,
        timing_points,
        func=func,
        timing_mode=timing_mode,
        engines=engines,
        symbolic_time_limit=symbolic_time_limit,
        method_time_limit=method_time_limit,
        extrema=extrema,
        cache=cache,
        yours=yours,
    )
    return run(f, request)


def _add_extrema(comparison: Comparison, seconds: float) -> None:
    """The critical points of f, searched under the one guard (f', f'' and SymPy's solveset
    run there; f' of finite differences calls f)."""
    from diffmagic.analysis.extrema import critical_points, describe

    found = guarded(
        lambda: critical_points(comparison),
        seconds=seconds,
        name=comparison.target.name,
        describe_timeout=lambda limit: (
            f"the search took longer than {limit:g} s; raise method_time_limit to wait longer"
        ),
        passthrough=(DiffMagicError,),
    )
    if isinstance(found, Failure):
        comparison.notes.append(f"critical points not searched: {found.reason}")
        return
    comparison.extrema = found
    comparison.notes.extend(
        f"critical point: {text}" for text in describe(found, comparison.target.wrt)
    )


def run(f: Any, request: Request) -> Comparison:
    """Compare the derivatives of `f` as `request` asks: what every front end calls.

    `compare()` builds the request from its keyword arguments; the magic, the command line and
    the panel build it from theirs (`options.to_request`), so all of them run this one path.
    """
    if not isinstance(request, Request):
        raise DiffMagicError(f"run() takes a diffmagic Request, not {type(request).__name__}")
    target = make_target(
        f,
        func=request.func,
        wrt=request.wrt,
        params=request.params,
        skip=yours_rows.names(request.yours),
        seconds=request.method_time_limit,
    )
    comparer = Comparer(
        target,
        request.grid(),
        request.order,
        request.rows,
        request.symbolic_time_limit,
        request.method_time_limit,
        request.cache,
    )
    comparer.yours = yours_rows.candidates(request.yours, target.function)
    timing_count = request.timing_points if request.timing else None
    with captured_output() as printed:
        comparison = comparer.run(timing_count, request.timing_mode)
        comparison.request = request
        if request.extrema:
            _add_extrema(comparison, request.method_time_limit)
    if printed.lines:
        shown = "; ".join(printed.kept)
        comparison.notes.append(
            f"{target.name} printed {printed.lines:,} lines while diffmagic ran it "
            f"(not shown; the first: {shown[:80]})"
        )
    comparison.notes.extend(still_running_note())
    return comparison
