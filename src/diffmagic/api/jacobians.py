"""`compare_jacobian()`: f from n numbers to m numbers, forward vs reverse vs numerical.

Forward mode builds the (m, n) Jacobian a column at a time (n JVPs), reverse mode a row at a
time (m VJPs), central differences a column at a time from 2n evaluations of f. Which of the two
JAX modes is cheaper for this shape is measured here, and the table says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffmagic.analysis import measure
from diffmagic.analysis.exact_gradient import (
    MAX_SYMBOLIC_PARAMETERS,
    ExactJacobian,
    exact_jacobian,
)
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.pytree import Flat, flatten
from diffmagic.inputs.target import resolve_function
from diffmagic.limits import bounds
from diffmagic.limits.explain import MethodFailure, explain_jax, one_line
from diffmagic.limits.guard import Failure, still_running_note
from diffmagic.methods import gradients as gradient_methods
from diffmagic.methods.central import round_off
from diffmagic.methods.coordinate_differences import central_difference_steps
from diffmagic.methods.gradients import GradientTiming, warm_seconds
from diffmagic.methods.jax_engine import block
from diffmagic.methods.precision import resolvable
from diffmagic.results.jacobian import JacobianComparison
from diffmagic.results.point import JacobianResult
from diffmagic.running.loss import (
    call,
    checked_options,
    evaluate_checked,
    f_seconds_of,
    first_parameter,
    function_name,
    numpy_loss,
)

LABELS = {
    "numerical": "numerical (central differences)",
    "forward": "forward mode (JAX jacfwd)",
    "reverse": "reverse mode (JAX jacrev)",
}
JACOBIAN_METHODS = ("numerical", "forward", "reverse")
#: Entries of the largest Jacobian compared (each method holds one (m, n) float64 array).
MAX_JACOBIAN_ENTRIES = 10_000_000


def numerical_jacobian(
    function_of_flat: Callable[[np.ndarray], Any], flat: Flat, outputs: int
) -> np.ndarray:
    """Central differences column by column: 2n evaluations of f, each an m-vector (the plain
    rule; the table's numerical row is `central.central_differences`, with error estimates)."""
    x = np.array(flat.values, dtype=np.float64)
    steps = central_difference_steps(x)
    jacobian = np.empty((outputs, x.size))
    for i in range(x.size):
        original = x[i]
        x[i] = original + steps[i]
        above = np.asarray(function_of_flat(x), dtype=np.float64).reshape(-1)
        x[i] = original - steps[i]
        below = np.asarray(function_of_flat(x), dtype=np.float64).reshape(-1)
        x[i] = original
        jacobian[:, i] = (above - below) / (2.0 * steps[i])
    return jacobian


def _jax_jacobian(
    key: str,
    of_flat: Callable[[Any], Any],
    flat: Flat,
    f_values: np.ndarray,
    name: str,
    noise: np.ndarray,
    precision: str = "float64",
) -> tuple[np.ndarray, GradientTiming]:
    from diffmagic.methods.jax_engine import float64, jax_module

    jax = jax_module()
    with float64():
        jax_values = np.asarray(jax.jit(of_flat)(flat.values), dtype=np.float64).reshape(-1)
        if jax_values.shape != f_values.shape or not all(
            gradient_methods.close_to(a, b, c, precision)
            for a, b, c in zip(jax_values, f_values, noise, strict=True)
        ):
            raise MethodFailure(
                f"JAX computes another {name}(at) than NumPy: it would differentiate another "
                "function"
            )
        transform = jax.jacfwd if key == "forward" else jax.jacrev
        compiled = jax.jit(transform(of_flat))
        on_device = jax.numpy.asarray(flat.values)
        started = time.perf_counter()
        first = block(compiled(on_device))
        setup_s = time.perf_counter() - started
        eval_s, runs = warm_seconds(lambda: compiled(on_device))
    values = np.asarray(first, dtype=np.float64).reshape(f_values.size, flat.size)
    return values, GradientTiming(setup_s, eval_s, None, runs)


def _check_size(outputs: int, inputs: int) -> None:
    """Refuse a Jacobian too large to hold before any method allocates it (diffmagic's own
    (m, n) arrays, one per method, not f's)."""
    entries = outputs * inputs
    if entries > MAX_JACOBIAN_ENTRIES:
        raise DiffMagicError(
            f"a Jacobian of {outputs:,} x {inputs:,} = {entries:,} entries would need "
            f"{8 * entries / 1e9:,.0f} GB per method (limit {MAX_JACOBIAN_ENTRIES:,} entries): "
            "take fewer outputs or parameters, or compare_gradient of one output"
        )


@dataclass
class _Outputs:
    """f at the point as every Jacobian method sees it: its m values, their round-off, the
    smallest derivative they resolve, its cost, and the limit each call of f has."""

    function: Callable[..., Any]
    name: str
    flat: Flat
    params: Mapping[str, Any]
    of_flat: Callable[[np.ndarray], Any]
    f_values: np.ndarray
    precision: str
    noise: np.ndarray
    floor: float
    f_seconds: float
    #: Seconds each call of f, and each method, may take (`method_time_limit`).
    seconds: float

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.f_values.size), self.flat.size


def _outputs_at(
    function: Callable[..., Any], flat: Flat, params: Mapping[str, Any], seconds: float
) -> _Outputs:
    """f under NumPy at the point, checked (`evaluate_checked`), with its size refused before
    any method allocates a Jacobian, its cost and its round-off; every call under `seconds`."""
    name = function_name(function)
    of_flat = numpy_loss(function, flat, params)
    f_values, precision = evaluate_checked(of_flat, flat, name, scalar=False, seconds=seconds)
    f_values = f_values.reshape(-1)
    _check_size(int(f_values.size), flat.size)
    f_seconds = f_seconds_of(of_flat, flat, name, seconds)
    noise = call(lambda: round_off(of_flat, flat.values, f_values), name=name, seconds=seconds)
    x_size = float(np.max(np.abs(flat.values)))
    floor = resolvable(float(np.max(np.abs(f_values))), x_size, 1, precision)
    return _Outputs(
        function, name, flat, params, of_flat, f_values, precision, noise, floor, f_seconds, seconds
    )


def _exact_or_why(outputs: _Outputs, seconds: float) -> ExactJacobian | Failure:
    """SymPy's exact Jacobian when SymPy finishes within `seconds` and computes NumPy's f(at);
    else why not."""
    flat, f_values = outputs.flat, outputs.f_values
    if flat.size * max(f_values.size, 1) > MAX_SYMBOLIC_PARAMETERS:
        return Failure(f"not tried at {flat.size:,} parameters")
    found = exact_jacobian(outputs.function, flat, seconds=seconds, params=outputs.params)
    if isinstance(found, Failure):
        return found
    if not all(
        gradient_methods.close_to(a, b, c, outputs.precision)
        for a, b, c in zip(found.f_values, f_values, outputs.noise, strict=True)
    ):
        return Failure("SymPy traced another function than NumPy computes")
    return found


def _row(key: str, outputs: _Outputs) -> tuple[np.ndarray, GradientTiming, Any]:
    """(values (m, n), timing, central differences' record or None), under the guard and the
    method time limit (MethodFailure: why not)."""
    flat, f_values, name = outputs.flat, outputs.f_values, outputs.name
    if key == "numerical":
        outcome = call(
            lambda: gradient_methods.central(
                outputs.of_flat, flat, f_values, outputs.floor, outputs.precision
            ),
            name=name,
            seconds=outputs.seconds,
        )
        values = outcome.flat_values.reshape(f_values.size, flat.size)
        return values, outcome.timing, outcome.differences

    def jacobian() -> tuple[np.ndarray, GradientTiming]:
        jax_of_flat = gradient_methods.jax_loss(outputs.function, flat, outputs.params)
        return _jax_jacobian(
            key, jax_of_flat, flat, f_values, name, outputs.noise, outputs.precision
        )

    values, timing = call(jacobian, name=name, seconds=outputs.seconds, explain=explain_jax)
    return values, timing, None


def _rows(keys: Sequence[str], outputs: _Outputs) -> dict[str, JacobianResult]:
    """A row per method: its Jacobian, or why it has none (before the verdict)."""
    results: dict[str, JacobianResult] = {}
    for key in keys:
        row = JacobianResult(key=key, label=LABELS[key], ok=False)
        try:
            values, row.timing, found = _row(key, outputs)
        except MethodFailure as failure:
            row.error = one_line(failure)
        else:
            row.ok, row.values, row.flat_values = True, values, values.reshape(-1)
            row.differences = found
            row.precision = outputs.precision if key == "numerical" else "float64"
        results[key] = row
    return results


def _judge(
    outputs: _Outputs,
    results: dict[str, JacobianResult],
    exact: ExactJacobian | None,
    why_not: str,
    notes: list[str],
) -> str:
    """Every row's verdict (`measure.judge_rows`), with central differences as a witness
    (run here when the numerical row was not asked for), each row's worst entry as (i, j);
    the reference in words. What could not be checked goes in `notes`."""
    flat, f_values, shape = outputs.flat, outputs.f_values, outputs.shape
    point = measure.Point(
        locate=lambda i: f"J[{i // shape[1]}, {i % shape[1]}] ({flat.describe(i % shape[1])})",
        coordinate=flat.describe,
        what="Jacobian",
        f_size=float(np.max(np.abs(f_values))),
        x_size=float(np.max(np.abs(flat.values))),
        shape=shape,
        symbol="J",
    )
    numerical = results.get("numerical")
    differences = None if numerical is None else numerical.differences
    if numerical is None:
        differences, unchecked = measure.witness_differences(
            outputs.of_flat,
            flat,
            f_values,
            outputs.floor,
            outputs.precision,
            outputs.name,
            outputs.f_seconds,
            seconds=outputs.seconds,
        )
        notes += [unchecked] if unchecked else []
    witnesses = []
    if differences is not None:
        witnesses.append(measure.witness(differences, LABELS["numerical"], outputs.precision))
    _, reference, _ = measure.judge_rows(
        results,
        None if exact is None else exact.values.reshape(-1),
        "exact: SymPy's Jacobian evaluated by mpmath at 30 digits",
        why_not,
        point,
        differences,
        witnesses,
    )
    for row in results.values():
        if isinstance(row.worst, int):
            row.worst = (row.worst // shape[1], row.worst % shape[1])
    return reference


def compare_jacobian(
    f: Any,
    at: Any,
    methods: Sequence[str] | str = JACOBIAN_METHODS,
    params: Mapping[str, Any] | None = None,
    *,
    func: str | None = None,
    symbolic_seconds: float = bounds.SYMBOLIC_SECONDS,
    method_time_limit: float = bounds.METHOD_SECONDS,
) -> JacobianComparison:
    """The Jacobian of f at `at` by forward mode, reverse mode and central differences, each
    timed and judged by the one verdict (against SymPy's exact Jacobian at 30 digits, else a
    stand-in an independent method confirms).

    Parameters
    ----------
    f : callable or str
        The function (or a cell's text defining it), taking the point as its first argument
        and returning a 1-D array of m numbers.
    at : array_like or pytree
        The point: a 1-D array, a list of numbers, or a dict / list / tuple of arrays.
    methods : sequence of str or str, optional
        Any of "numerical", "forward", "reverse" (default: all three).
    params : mapping, optional
        Values of f's other arguments.
    func : str, optional
        Which function of a cell's text to use (default: the last one it defines).
    symbolic_seconds : float, optional
        Limit on SymPy's work for the exact Jacobian.
    method_time_limit : float, optional
        Seconds each call of f, and each method, may take: the limit holds whatever f does
        (a sleep, a loop, one blocking C call), and a call still running is said so.

    Returns
    -------
    JacobianComparison
        A row per method (values (m, n), timing, verdict), the reference, notes.

    Raises
    ------
    DiffMagicError
        When f does not run at `at`, returns no finite 1-D array, gives another value each
        call, or the Jacobian is too large to hold: one line saying what to change.

    Examples
    --------
    >>> import numpy as np
    >>> from diffmagic import compare_jacobian
    >>> table = compare_jacobian(lambda w: np.array([w[0] * w[1], np.sin(w[0])]), [1.0, 2.0])
    >>> table.shape
    (2, 2)
    """
    params, _, symbolic_seconds = checked_options(params, True, func, symbolic_seconds)
    seconds = bounds.check_seconds(method_time_limit, "method_time_limit")
    function, _ = resolve_function(f, func, seconds=seconds)
    keys = gradient_methods.select(methods, allowed=JACOBIAN_METHODS)
    flat = flatten(at, name=first_parameter(function))
    outputs = _outputs_at(function, flat, params, seconds)
    exact = _exact_or_why(outputs, symbolic_seconds)
    results = _rows(keys, outputs)
    notes = []
    if outputs.shape[0] == 1:
        notes.append("f returns one number: compare_gradient shows more for a scalar loss")
    why_not = exact.reason if isinstance(exact, Failure) else ""
    exact = None if isinstance(exact, Failure) else exact
    reference = _judge(outputs, results, exact, why_not, notes)
    return JacobianComparison(
        name=outputs.name,
        at=at,
        flat=flat,
        shape=outputs.shape,
        f_seconds=outputs.f_seconds,
        results=results,
        reference=reference,
        exact=exact,
        notes=notes + still_running_note(),
    )
