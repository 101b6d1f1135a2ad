"""Check a hand-written gradient against a reference, coordinate by coordinate.

`jax.test_util.check_grads` and `torch.autograd.gradcheck` answer pass/fail along random
directions, miss one wrong coordinate among many and fail spuriously at kinks (relu at 0).
`check_gradient` says where the user's gradient is off (the coordinate, named as the user names
it: `W1[2, 3]`), by how much, against which reference and what vouches for that reference; a
kink passes when the user's value lies between its two one-sided slopes, and a jump (where no
derivative exists) is named as a jump.

Fast by design, because a test suite calls it often: the reference is JAX's reverse-mode
gradient, compiled once per f and reused (`running.compiled_checks`), confirmed by a few calls of
NumPy's f (Richardson differences along a random direction); the exact SymPy gradient only when
those disagree or JAX cannot follow f (`check_reference`). Every call of the user's f and
gradient runs through `call_user`: under the check's time limit, with printed output held back.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from diffmagic.analysis.check_reference import (
    Reference,
    central_reference,
    exact_reference,
    first_look,
    jax_reference,
)
from diffmagic.analysis.check_verdict import default_atol, default_rtol, finite, largest
from diffmagic.api.check_coordinates import full_check
from diffmagic.api.check_directions import directions_check
from diffmagic.errors import DiffMagicError
from diffmagic.inputs import torch_loss
from diffmagic.inputs.pytree import Flat, flatten
from diffmagic.inputs.target import resolve_function
from diffmagic.limits import bounds
from diffmagic.limits.guard import Failure, guarded
from diffmagic.limits.held_output import captured_output
from diffmagic.results.check import GradientCheck
from diffmagic.running.check_inputs import (
    Options,
    Point,
    UserCodeFailure,
    check_direction_memory,
    checked_options,
    point_width,
    scalar,
    user_gradient,
)

T = TypeVar("T")

#: Random directions in directions mode, unless `directions=` says otherwise.
DEFAULT_DIRECTIONS = 16
#: The seed of those directions, unless `seed=` says otherwise: the same check, the same result.
DEFAULT_SEED = 0


def in_float64() -> Any:
    """JAX's float64 context when the user's code has imported JAX, else nothing to do: every
    evaluation of f here is at a float64 point, so float32 in its value means f computes in it."""
    import contextlib

    if "jax" in sys.modules:
        from diffmagic.methods.jax_engine import float64

        return float64()
    return contextlib.nullcontext()


def call_user(work: Callable[[], T], name: str, ends: float, limit: float) -> T:
    """`work()` (which calls the user's f or gradient) under what is left of the check's time
    limit, its printing held back by the caller; a `UserCodeFailure` naming the culprit when
    it raises or runs out of time. diffmagic's own refusals (`DiffMagicError`) pass through."""
    remaining = ends - time.monotonic()
    if remaining <= 0:  # the check's own work spent the time: the user's code is not to blame
        raise UserCodeFailure(_out_of_time("the check", limit), timed_out=True)
    outcome = guarded(
        work,
        seconds=remaining,
        name=name,
        describe_timeout=lambda _: _out_of_time("the check", limit),
        describe_user_timeout=lambda _, culprit: _out_of_time(culprit, limit),
        passthrough=(DiffMagicError,),
    )
    if isinstance(outcome, Failure):
        raise UserCodeFailure(outcome.reason, timed_out=outcome.timed_out)
    return outcome


def _out_of_time(name: str, limit: float) -> str:
    """A timeout in words: the learner's function that was running, or the check itself."""
    if name == "the check":
        return f"the check took longer than {limit:g} s; raise time_limit to wait longer"
    return (
        f"{name} took longer than {limit:g} s (the check's time limit; does it sleep or "
        "loop?); raise time_limit to wait longer"
    )


def _point(
    function: Callable[..., Any], name: str, grad: Any, flat: Flat, options: Options
) -> Point:
    """f at the point (twice: a check needs a deterministic f), your gradient, their widths."""
    ends = time.monotonic() + options.time_limit

    def run(work: Callable[[], T], who: str = name) -> T:
        return call_user(work, who, ends, options.time_limit)

    def of_flat(vector: np.ndarray) -> float:
        # Called only inside `run` blocks (a whole Richardson sequence, a probe): one limit
        # for many calls of f, not one each.
        with in_float64():
            return float(np.asarray(function(flat.unflatten(vector))).reshape(-1)[0])

    at = flat.unflatten(flat.values)

    def twice() -> tuple[Any, Any, float]:
        with in_float64():
            first = function(at)
            started = time.perf_counter()  # the second call: the first may import or compile
            second = function(at)
            return first, second, time.perf_counter() - started

    first, second, f_seconds = run(twice)
    f0, f_width = scalar(first, name)
    again, _ = scalar(second, name)
    if again != f0 and not (np.isnan(again) and np.isnan(f0)):
        raise DiffMagicError(
            f"{name} gave two values at the same point ({f0!r}, then {again!r}): a check needs "
            "a deterministic f; fix its random seed or turn dropout off"
        )
    if not np.isfinite(f0):
        raise DiffMagicError(f"{name}(at) is {f0!r}: a gradient needs f finite at the point")
    yours, grad_width = user_gradient(flat, run(lambda: grad(flat.at), "grad"))
    widths = {"`at`": point_width(flat), "your gradient": grad_width, "f": f_width}
    rng = np.random.default_rng(options.seed)
    return Point(function, name, flat, f0, of_flat, run, yours, widths, f_seconds, rng)


def _references(point: Point, options: Options, avoid: np.ndarray) -> Reference | None:
    """The first confirmed reference, cheapest first; else the best unconfirmed one; None when
    only random directions are affordable (no JAX, too many parameters to difference)."""
    rtol, _, _ = default_rtol(point.widths, numerical=False)
    rtol = options.rtol if options.rtol is not None else rtol

    def allowed(values: np.ndarray) -> np.ndarray:
        scale = largest(values)
        atol = options.atol if options.atol is not None else default_atol(rtol, scale, point.f0)
        return atol + rtol * np.abs(finite(values))

    jax = jax_reference(point, allowed, avoid)
    if jax is not None and jax.confirmed:
        return jax
    exact = exact_reference(point, jax, avoid)
    if exact is not None and exact.confirmed:
        if jax is not None:
            exact.slopes, exact.program = jax.slopes, jax.program
        return exact
    if exact is not None and jax is not None:
        point.passed_over.append(f"SymPy's exact gradient: {exact.confirmation}")
    if jax is None and exact is None:
        if options.mode == "directions":
            return None  # differences along the directions themselves, not 2n calls of f
        # Coordinate by coordinate when asked for, or when 2n calls of f are cheap.
        return central_reference(point, avoid, force=options.mode == "full")
    unconfirmed = jax or exact
    assert unconfirmed is not None
    unconfirmed.passed_over = list(point.passed_over)
    return unconfirmed


def check_gradient(
    f: Any,
    grad: Callable[[Any], Any],
    at: Any,
    rtol: float | None = None,
    atol: float | None = None,
    mode: str | None = None,
    directions: int | None = None,
    seed: int = DEFAULT_SEED,
    time_limit: float = bounds.METHOD_SECONDS,
) -> GradientCheck:
    """Check `grad(at)` (the user's gradient of f, shaped like `at`) against a reference.

    Parameters
    ----------
    f : callable or str
        Takes the parameters `at` and returns one number; a function or the text of a cell
        that defines one.
    grad : callable
        Your gradient: `grad(at)` is shaped like `at` (the same dict / list / tuple of arrays).
    at : array_like or pytree
        The parameters: an array, or a dict / list / tuple of arrays.
    rtol, atol : float, optional
        Default to what the precision allows (the one table's: float64 1e-7, float32 1e-5,
        float16 1e-2; looser when f itself computes narrow), stated in the result.
    mode : {'full', 'directions'}, optional
        "full": every coordinate judged, the default whenever a per-coordinate reference is
        affordable; "directions": g·v compared along `directions` random directions.
    directions, seed : int, optional
        How many random directions, and the seed that fixes them.
    time_limit : float, optional
        Bounds all calls of f and grad together (seconds).

    Returns
    -------
    GradientCheck
        `.passed`, `.summary()`, `.table()`; where yours is off (`.worst`, named as you name
        it: `W1[2, 3]`), by how much, against which reference and what vouches for it.

    Raises
    ------
    DiffMagicError
        When an option is out of range, f or grad raises, or grad(at) is not shaped like at.

    Examples
    --------
    >>> import numpy as np, diffmagic
    >>> def loss(p): return np.sum(p["W"] ** 2) + np.sum(p["b"] ** 3)
    >>> def grad(p): return {"W": 2 * p["W"], "b": 2 * p["b"] ** 2}  # b's should be 3 b**2
    >>> check = diffmagic.check_gradient(loss, grad, {"W": np.ones((2, 2)), "b": np.ones(2)})
    >>> check.passed, check.summary()
    (False, 'gradient check FAILED: 6 parameters, 2 coordinates wrong; worst b[0]')
    >>> check.per_coordinate()["reference"]["b"]
    array([3., 3.])
    """
    options = checked_options(grad, rtol, atol, mode, directions, seed, time_limit)
    function, _ = resolve_function(f, seconds=options.time_limit)
    name = getattr(function, "__name__", "f")
    name = "f" if name == "<lambda>" else name
    if torch_loss.written_with_torch(function):
        function, grad, at = _from_torch(function, name, grad, at)
    flat = flatten(at)
    if options.mode == "directions":
        check_direction_memory(options.directions or DEFAULT_DIRECTIONS, flat.size)
    with captured_output() as printed:
        point = _point(function, name, grad, flat, options)
        first_look(point)
        reference = _references(point, options, np.empty(0, dtype=int))
        jumps = sorted(point.jumps, key=lambda jump: jump.index)
        if options.mode == "directions" or reference is None:
            count = options.directions or DEFAULT_DIRECTIONS
            check_direction_memory(count, flat.size)
            check = directions_check(point, reference, options, count, jumps)
        else:
            check = full_check(point, reference, options, jumps)
    return _with_notes(check, point, name, printed)


def _from_torch(function: Any, name: str, grad: Any, at: Any) -> tuple[Any, Any, Any]:
    """A PyTorch loss, its gradient and its parameters as the check meets them: NumPy values
    in and out (tensors inside); a float32 model refused (its only reference would be
    differences of float32 values)."""
    if torch_loss.single_precision(at):
        raise DiffMagicError(torch_loss.SINGLE_PRECISION.format(name=name))
    return (
        torch_loss.TorchAsNumpy(function, name, like=at),
        torch_loss.TorchAsNumpy(grad, getattr(grad, "__name__", "grad"), like=at),
        torch_loss.to_numpy(at),
    )


def _with_notes(check: GradientCheck, point: Point, name: str, printed: Any) -> GradientCheck:
    """The check, with what the learner should know beside its verdict: more jumps than named,
    and what f printed while the check ran it (held back, counted)."""
    if point.more_jumps:
        check.notes.append("f jumps along more coordinates than are named here")
    if printed.lines:
        shown = "; ".join(printed.kept)
        check.notes.append(
            f"{name} printed {printed.lines:,} lines while the check ran it (not shown: {shown})"
        )
    return check
