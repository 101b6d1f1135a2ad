"""Every option of a comparison checked once, before anything is traced or allocated.

`compare()`, the magic, the command line and the panel each build a `Request` from their
options (`Comparison.time()` uses the same checks), so an option means the same and is refused
in the same words everywhere; the pipeline is given the request, never loose options.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.reader import PYTHON, READERS
from diffmagic.limits import bounds
from diffmagic.running import timing as timing_harness

DEFAULT_DOMAIN = (-5.0, 5.0)
DEFAULT_POINTS = 100
DEFAULT_METHODS = ("symbolic", "numerical", "automatic")
DEFAULT_TIMING_POINTS = 1_000_000


def check_domain(domain: Any) -> tuple[float, float]:
    try:
        low, high = (float(bound) for bound in domain)
    except (TypeError, ValueError):
        raise DiffMagicError(f"domain must be two numbers (low, high), not {domain!r}") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise DiffMagicError(f"domain must be finite, not ({low:g}, {high:g})")
    if low >= high:
        raise DiffMagicError(f"domain must have low < high, not ({low:g}, {high:g})")
    return low, high


def check_timing(points: Any, mode: Any) -> int:
    if mode not in timing_harness.MODES:
        raise DiffMagicError(f"timing mode must be quick or full, not {mode!r}")
    return bounds.check_points(points, "timing_points", bounds.MAX_TIMING_POINTS)


def check_order(order: Any) -> int:
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise DiffMagicError(f"order must be a whole number such as 1 or 2, not {order!r}")
    if not 1 <= order <= bounds.MAX_ORDER:
        raise DiffMagicError(f"order must be from 1 to {bounds.MAX_ORDER}, not {order}")
    return int(order)


def check_grid(low: float, high: float, count: int) -> np.ndarray:
    """The grid, read-only (what f is given cannot write into `cmp.x`), or a refusal when
    float64 cannot hold it: a domain whose width overflows, or points that coincide."""
    with np.errstate(all="ignore"):
        width = high - low
    if not math.isfinite(width):
        raise DiffMagicError(
            f"domain ({low:g}, {high:g}) is too wide for float64 (its width overflows): "
            "choose bounds within about ±1e300"
        )
    with np.errstate(all="ignore"):
        grid = np.linspace(low, high, count)
    if not np.all(np.isfinite(grid)) or np.any(np.diff(grid) <= 0):
        raise DiffMagicError(
            f"domain ({low:g}, {high:g}) is too narrow for {count} distinct float64 points: "
            "widen it or use fewer points"
        )
    grid.flags.writeable = False
    return grid


def check_params(params: Any) -> Mapping[str, Any]:
    """Fixed values of the other parameters, read-only (a request cannot be changed in place)."""
    if params is None:
        return MappingProxyType({})
    if not isinstance(params, Mapping):
        raise DiffMagicError(
            f"params must be a dict of fixed values such as {{'a': 1.0}}, not {params!r:.40}"
        )
    if not all(isinstance(key, str) for key in params):
        raise DiffMagicError("params must be keyed by parameter names such as 'a'")
    return MappingProxyType(dict(params))


def check_flag(value: Any, name: str) -> bool:
    """True or False (NumPy's bools and the integers 0 and 1 mean the same)."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    if not isinstance(value, bool | np.bool_):
        raise DiffMagicError(f"{name} must be True or False, not {value!r:.40}")
    return bool(value)


def _names(value: Any) -> Any:
    """Method or engine names as given, read once into a tuple (a generator could be read only
    once; a string is a list of names); anything else as it is, for `select` to refuse."""
    if isinstance(value, str):
        return tuple(part for part in value.replace(",", " ").split() if part)
    try:
        return tuple(value)
    except TypeError:
        return value


@dataclass(frozen=True)
class Request:
    """Every option of one comparison, each checked once: what the pipeline is asked to do.

    `compare()`, the magic, the command line and the panel all build one (`Request.checked`),
    so an option means the same, and is refused in the same words, in every front end. The
    fields are `compare()`'s keyword arguments under the same names, in checked form; `rows` is
    what `methods` and `engines` select (the registry's row keys, in table order). A request
    is frozen: the panel changes one with `changed(...)`, which checks the new values again.

    Parameters
    ----------
    domain, points
        The grid: `points` evenly spaced values from low to high (`grid()` builds it).
    methods, engines, rows
        The methods and engines as asked for, and the rows they select.
    order
        1 for f', up to `bounds.MAX_ORDER`.
    wrt, params
        The variable (None: the first parameter) and fixed values for the others (read-only).
    timing, timing_points, timing_mode
        Whether, on how many points and how (quick or full) each row is timed.
    symbolic_time_limit, method_time_limit
        Seconds for SymPy's work, and for any other method's (`inf`: no limit).
    extrema, cache, yours, func
        Critical points wanted; reuse of prepared derivatives; the user's own derivative(s);
        which function of a cell's text is meant.
    reader
        Who reads the messages (`inputs.reader`): "python" (the default) or "options" (the
        magic and the command line), so a message names the keyword or the option. Not one
        of `compare()`'s keywords: `options()` leaves it out, `changed()` keeps it.
    """

    domain: tuple[float, float] = DEFAULT_DOMAIN
    points: int = DEFAULT_POINTS
    methods: tuple[str, ...] = DEFAULT_METHODS
    engines: tuple[str, ...] = ("numpy",)
    rows: tuple[str, ...] = ()
    order: int = 1
    wrt: str | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    timing: bool = False
    timing_points: int = DEFAULT_TIMING_POINTS
    timing_mode: str = "quick"
    symbolic_time_limit: float = bounds.SYMBOLIC_SECONDS
    method_time_limit: float = bounds.METHOD_SECONDS
    extrema: bool = False
    cache: bool = True
    yours: Any = None
    func: str | None = None
    reader: str = PYTHON

    @classmethod
    def checked(
        cls,
        domain: Any = DEFAULT_DOMAIN,
        points: Any = DEFAULT_POINTS,
        methods: Any = DEFAULT_METHODS,
        order: Any = 1,
        wrt: str | None = None,
        params: Any = None,
        timing: Any = False,
        timing_points: Any = DEFAULT_TIMING_POINTS,
        *,
        func: str | None = None,
        timing_mode: Any = "quick",
        engines: Any = ("numpy",),
        symbolic_time_limit: Any = bounds.SYMBOLIC_SECONDS,
        method_time_limit: Any = bounds.METHOD_SECONDS,
        extrema: Any = False,
        cache: Any = True,
        yours: Any = None,
        reader: str = PYTHON,
    ) -> Request:
        """The request for these options, or `DiffMagicError` naming the first bad one.

        Parameters
        ----------
        domain, points, methods, order, wrt, params, timing, timing_points
            As `diffmagic.compare()` takes them.
        func, timing_mode, engines, symbolic_time_limit, method_time_limit, extrema, cache, yours
            The same, by keyword only.
        reader
            Who reads the messages: "python" (keywords such as timing=True) or "options" (the
            magic's and the command line's flags such as --timing), set by the front end.

        Returns
        -------
        Request
            Every option in checked form; `run(f, request)` compares as `compare()` would.

        Raises
        ------
        DiffMagicError
            For the first option that cannot be honoured, in one line naming the fix.
        """
        from diffmagic.methods import select

        low, high = check_domain(domain)
        count = bounds.check_points(points)
        derivative_order = check_order(order)
        method_names, engine_names = _names(methods), _names(engines)
        rows = select(method_names, engine_names)
        timed = check_flag(timing, "timing")
        timing_count, timing_mode = _timing_options(timed, timing_points, timing_mode)
        _check_name(wrt, "wrt", "a parameter's name such as 'x'")
        _check_name(func, "func", "a function's name such as 'f'")
        if reader not in READERS:
            raise DiffMagicError(f"reader must be one of {', '.join(READERS)}, not {reader!r:.40}")
        return cls(
            domain=(low, high),
            points=count,
            methods=tuple(str(name) for name in method_names),
            engines=tuple(str(name) for name in engine_names),
            rows=rows,
            order=derivative_order,
            wrt=wrt,
            params=check_params(params),
            timing=timed,
            timing_points=timing_count,
            timing_mode=str(timing_mode),
            symbolic_time_limit=bounds.check_seconds(symbolic_time_limit, "symbolic_time_limit"),
            method_time_limit=bounds.check_seconds(method_time_limit, "method_time_limit"),
            extrema=check_flag(extrema, "extrema"),
            cache=check_flag(cache, "cache"),
            yours=yours,
            func=func,
            reader=reader,
        )

    def options(self) -> dict[str, Any]:
        """The request as `compare()`'s keyword arguments (`compare(f, **request.options())`)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        del values["rows"]  # follows from methods and engines
        del values["reader"]  # the front end's, not an option of the comparison
        values["params"] = dict(self.params)
        return values

    def changed(self, **changes: Any) -> Request:
        """This request with some options changed, every option checked again.

        Parameters
        ----------
        **changes
            New values by `compare()`'s keyword names, such as `points=200`.

        Returns
        -------
        Request
            A new request; this one is frozen and stays as it was.

        Raises
        ------
        DiffMagicError
            For a name that is no option, or a value `checked` refuses.

        Examples
        --------
        >>> from diffmagic import Request
        >>> Request.checked(points=50).changed(points=200).points
        200
        """
        unknown = sorted(set(changes) - set(self.options()))
        if unknown:
            raise DiffMagicError(f"a comparison has no option {unknown[0]!r}")
        return replace(Request.checked(**{**self.options(), **changes}), reader=self.reader)

    def grid(self) -> np.ndarray:
        """The read-only grid of `points` values over `domain`, or a refusal (see check_grid)."""
        return check_grid(*self.domain, self.points)


def _timing_options(timed: bool, points: Any, mode: Any) -> tuple[int, Any]:
    """(points, mode) to time with; when not timing, kept as given if valid (for a later
    `changed(timing=True)`), else the defaults."""
    if timed:
        return check_timing(points, mode), mode
    try:
        return check_timing(points, mode), mode
    except DiffMagicError:
        return DEFAULT_TIMING_POINTS, "quick"


def _check_name(value: Any, what: str, example: str) -> None:
    if value is not None and not isinstance(value, str):
        raise DiffMagicError(f"{what} must be {example}, not {value!r:.40}")
