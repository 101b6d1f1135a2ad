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
from diffmagic.results.comparison import Comparison
from diffmagic.results.method_result import MethodResult
from diffmagic.running.request import (
    DEFAULT_DOMAIN,
    DEFAULT_METHODS,
    DEFAULT_POINTS,
    DEFAULT_TIMING_POINTS,
    Request,
)
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
    domain: Sequence[float] = DEFAULT_DOMAIN,
    points: int = DEFAULT_POINTS,
    methods: Sequence[str] | str = DEFAULT_METHODS,
    order: int = 1,
    wrt: str | None = None,
    params: Mapping[str, Any] | None = None,
    timing: bool = False,
    timing_points: int = DEFAULT_TIMING_POINTS,
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
    f, func : callable or str, str, optional
        A Python function, the text of a notebook cell that defines one (the last `def` not
        named as yours, or the one named `func`), or an expression in x such as
        ``"exp(-2*x) + 3*sin(3*x)"``.
    domain, points : (float, float), int, optional
        The grid: `points` evenly spaced values of the variable from low to high.
    methods, engines : sequence of str or str, optional
        Which rows: `"symbolic"`, `"numerical"` (np.gradient and finite differences),
        `"automatic"`...; `engines=("numpy", "jax")` also runs SymPy's derivative and finite
        differences compiled by JAX, so the table separates a method's cost from its engine's.
        Also `"automatic@eager"` (JAX, no jit) and the extras `"autograd"`, `"torch"`, `"mygrad"`.
    order : int, optional
        1 for f', 2 for f'', up to 8.
    wrt, params : str, mapping, optional
        The parameter to differentiate (default: the first) and fixed values for the others.
    timing, timing_points, timing_mode : bool, int, {'quick', 'full'}, optional
        Time each row on `timing_points` points (quick: about a second; full: %timeit-like).
    symbolic_time_limit, method_time_limit : float, optional
        SymPy's work stops after the first, any other method's after the second (seconds).
    extrema : bool, optional
        Find the critical points of f in the domain (`comparison.extrema`).
    yours : callable, dict or str, optional
        Your own derivative (`dfdx`, of order `order`), or several as a dict {name: function};
        with a cell's text, the name of a function it defines (`yours="dfdx"`). A row each
        ("yours", or "yours:NAME"), judged against the same reference, with where and how it
        is wrong in words ("yours is 1.5 times the true derivative everywhere").
    cache : bool, optional
        Reuse derivatives prepared by earlier calls for the same function (default). The key is
        everything the derivative depends on, never the object's identity; `False` derives
        afresh, `diffmagic.clear_cache()` empties it.

    Returns
    -------
    Comparison
        A row per method (`cmp["symbolic"]`, or an alias such as `cmp["jax"]`), the grid, the
        reference and the verdicts. A row says ok only when its backend computes NumPy's own
        f, its values are finite where f' exists, and its error is within what its method
        promises; otherwise it says why. What `f` prints is held back and counted.

    Raises
    ------
    DiffMagicError
        Only for input that is no usable function or option, in one line naming the fix; a
        method that fails becomes a row with a reason instead.

    Examples
    --------
    >>> import diffmagic
    >>> cmp = diffmagic.compare("x**2", domain=(-1, 1), points=5, yours=lambda x: x)
    >>> cmp["symbolic"].values, cmp["automatic"].status
    (array([-2., -1.,  0.,  1.,  2.]), 'ok')
    >>> cmp["yours"].error
    'yours / true = 1/2 everywhere: a chain-rule factor 2 missing?'
    """
    options = dict(locals())  # every parameter but f is an option of the request, by its name
    return run(options.pop("f"), Request.checked(**options))


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
        reader=request.reader,
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
