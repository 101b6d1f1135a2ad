"""The user's function under NumPy at the point: its name, one checked evaluation, its cost.

`compare_gradient`, `compare_jacobian` and `parameter_study` all start here, so that a function
that does not run at the point, returns the wrong kind of value, or gives another value each
time it is called, is refused with the same one-line reason whichever was called, and one
evaluation of f is the same unit of cost in each. Every call of the user's code goes through
`guard.guarded` (`call`), the one guard of the package: a limit, and a reason for any failure.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.pytree import Flat
from diffmagic.limits import bounds
from diffmagic.limits.explain import MethodFailure, one_line, user_error
from diffmagic.limits.guard import Failure, guarded
from diffmagic.methods.central import round_off
from diffmagic.methods.gradients import warm_seconds
from diffmagic.methods.precision import resolvable

T = TypeVar("T")


def call(
    work: Callable[[], T],
    *,
    name: str,
    seconds: float = bounds.METHOD_SECONDS,
    explain: Callable[[str, BaseException], str] = user_error,
    too_long: str | None = None,
) -> T:
    """`work()` under `guard.guarded` with NumPy's warnings off; a failure is raised as a
    `MethodFailure` carrying the one-line reason (`too_long` words a timeout)."""

    def quietly() -> T:
        with np.errstate(all="ignore"):
            return work()

    outcome = guarded(
        quietly,
        seconds=seconds,
        name=name,
        explain=explain,
        describe_timeout=None if too_long is None else (lambda limit: too_long),
        passthrough=(DiffMagicError,),
    )
    if isinstance(outcome, Failure):
        raise MethodFailure(outcome.reason)
    return outcome


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
    from diffmagic.inputs.rebind import rebind

    twin = rebind(function, "numpy")
    fixed = dict(params or {})

    def of_flat(vector: np.ndarray) -> Any:
        return twin(flat.unflatten(vector), **fixed)

    return of_flat


def checked_value(value: Any, name: str, *, scalar: bool) -> np.ndarray:
    """f's value as float64, or a one-line refusal naming what f returned instead."""
    if value is None:
        raise DiffMagicError(f"{name} returns None: does it end with `return ...`?")
    if np.iscomplexobj(value):
        raise DiffMagicError(
            f"{name} returns complex numbers ({one_line(value, 40)}): a gradient is of a real "
            "loss; return np.real(...) or np.abs(...)**2"
        )
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise DiffMagicError(
            f"{name} returns a {type(value).__name__}, not a number: return a float"
        ) from None
    if scalar and array.shape != ():
        raise DiffMagicError(
            f"{name} returns an array of shape {array.shape}, not one number: a gradient needs "
            "a scalar loss (return np.sum(...) or its element; compare_jacobian for vectors)"
        )
    if not scalar and (array.ndim > 1 or array.size == 0):
        raise DiffMagicError(
            f"{name} returns an array of shape {array.shape}: a Jacobian needs a 1-D output "
            "of at least one number"
        )
    return array


def precision_of(value: Any) -> str:
    """The floating-point type f returns its value in ("float32" for np.float32 results)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind == "f" and np.dtype(dtype).itemsize < 8:
        return str(np.dtype(dtype))
    return "float64"


def evaluate_once(
    of_flat: Callable[[np.ndarray], Any],
    flat: Flat,
    name: str,
    *,
    scalar: bool,
    seconds: float = bounds.METHOD_SECONDS,
) -> np.ndarray:
    """f(at) under NumPy, checked (`evaluate_checked`), as float64."""
    return evaluate_checked(of_flat, flat, name, scalar=scalar, seconds=seconds)[0]


def evaluate_checked(
    of_flat: Callable[[np.ndarray], Any],
    flat: Flat,
    name: str,
    *,
    scalar: bool,
    seconds: float = bounds.METHOD_SECONDS,
) -> tuple[np.ndarray, str]:
    """(f(at) under NumPy as float64, the precision f returns it in), checked: f runs at this
    point, returns one number (or, for a Jacobian, a vector) that is finite, and the same
    number when called again (a global counter, `np.random` inside: no derivative describes
    such an f). Anything else is the user's input to fix: a one-line DiffMagicError."""
    values, precision = [], "float64"
    for _ in range(2):
        try:
            value = call(lambda: of_flat(flat.values), name=name, seconds=seconds)
        except MethodFailure as failure:
            raise DiffMagicError(
                f"{failure}; check that `at` ({flat.shape_text()}) is what {name} expects"
            ) from None
        values.append(checked_value(value, name, scalar=scalar))
        precision = precision_of(value)
    first, again = values
    if not np.all(np.isfinite(first)):
        raise DiffMagicError(
            f"{name}(at) is not finite ({one_line(first, 60)}): pick another point"
        )
    if first.shape != again.shape or not np.all(np.abs(first - again) <= 1e-13 * np.abs(first)):
        raise DiffMagicError(
            f"{name} gives another value each time it is called at the same point "
            f"({one_line(first, 30)}, then {one_line(again, 30)}): a global it changes, or "
            "np.random inside? A derivative needs f to depend on its arguments only"
        )
    return first, precision


def f_seconds_of(
    of_flat: Callable[[np.ndarray], Any], flat: Flat, name: str = "f", seconds: float = 30.0
) -> float:
    """One evaluation of f at the point (median of warm runs); never zero, since every cost is
    divided by it."""
    try:
        measured, _ = call(
            lambda: warm_seconds(lambda: of_flat(flat.values)), name=name, seconds=seconds
        )
    except MethodFailure as failure:
        raise DiffMagicError(str(failure)) from None
    return max(measured, 1e-9)


def check_make_at(make_at: Any, size: int) -> Any:
    """`make_at(size)`, checked: a callable that returns a point of `size` parameters, or a
    one-line refusal (for `parameter_study`, whose sizes mean nothing if make_at ignores n)."""
    from diffmagic.inputs.pytree import flatten

    if not callable(make_at):
        raise DiffMagicError(
            f"make_at must be a function of n returning a point, such as "
            f"lambda n: np.ones(n), not {make_at!r:.40}"
        )
    try:
        point = call(lambda: make_at(size), name="make_at")
    except MethodFailure as failure:
        raise DiffMagicError(str(failure)) from None
    try:
        flat = flatten(point)
    except DiffMagicError as error:
        raise DiffMagicError(f"make_at({size}): {error}") from None
    if flat.size != size:
        raise DiffMagicError(
            f"make_at({size:,}) returns a point of {flat.size:,} parameters: make_at(n) must "
            "return one of n parameters"
        )
    return point


def checked_options(
    params: Any, timing: Any, func: Any, symbolic_seconds: Any
) -> tuple[Mapping[str, Any], bool, float]:
    """(params, timing, symbolic_seconds) checked as `compare()` checks them, in its words."""
    from diffmagic.running.request import check_flag, check_params

    if func is not None and not isinstance(func, str):
        raise DiffMagicError(f"func must be a function's name such as 'f', not {func!r:.40}")
    return (
        check_params(params),
        check_flag(timing, "timing"),
        bounds.check_seconds(symbolic_seconds, "symbolic_seconds"),
    )


@dataclass
class Loss:
    """The loss at the point, as every method of one comparison sees it."""

    function: Callable[..., Any]
    name: str
    flat: Flat
    params: Mapping[str, Any]
    of_flat: Callable[[np.ndarray], Any]
    f_value: float
    f_seconds: float
    #: NumPy's own round-off of f near the point.
    noise: float
    floor: float
    #: The precision f returns its value in ("float32" for a float32 loss).
    precision: str = "float64"
    #: What the comparison found to say about the loss itself.
    notes: list[str] = field(default_factory=list)
    #: Seconds each call of the loss, and each method, may take (`method_time_limit`).
    seconds: float = bounds.METHOD_SECONDS


def loss_at(
    function: Callable[..., Any], flat: Flat, params: Mapping[str, Any], seconds: float
) -> Loss:
    """The loss under NumPy at the point, checked, with its cost and its round-off."""
    name = function_name(function)
    of_flat = numpy_loss(function, flat, params)
    value, precision = evaluate_checked(of_flat, flat, name, scalar=True, seconds=seconds)
    f_value = float(value)
    noise = float(
        call(lambda: round_off(of_flat, flat.values, f_value), name=name, seconds=seconds)[0]
    )
    x_size = float(np.max(np.abs(flat.values)))
    return Loss(
        function,
        name,
        flat,
        params,
        of_flat,
        f_value,
        f_seconds_of(of_flat, flat, name, seconds),
        noise,
        resolvable(abs(f_value), x_size, 1, precision),
        precision,
        seconds=seconds,
    )


def loss_notes(loss: Loss) -> list[str]:
    """What a gradient comparison says about the loss itself: its notes, float32 at `at` or in
    f's value."""
    notes = list(loss.notes)
    if loss.flat.dtype_was_float32:
        notes.append("`at` was float32: every method computes in float64")
    if loss.precision != "float64":
        notes.append(
            f"{loss.name} returns {loss.precision}: central differences use its values and "
            f"are held to {loss.precision}'s tolerance; SymPy and JAX differentiate in float64"
        )
    return notes
