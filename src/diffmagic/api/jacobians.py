"""`compare_jacobian()`: f from n numbers to m numbers, forward vs reverse vs numerical.

Forward mode builds the (m, n) Jacobian a column at a time (n JVPs), reverse mode a row at a
time (m VJPs), central differences a column at a time from 2n evaluations of f. Which of the two
JAX modes is cheaper for this shape is measured here, and the table says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
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


def _exact_or_why(
    function: Callable[..., Any],
    flat: Flat,
    params: Mapping[str, Any],
    f_values: np.ndarray,
    noise: np.ndarray,
    seconds: float,
    precision: str = "float64",
) -> ExactJacobian | str:
    if flat.size * max(f_values.size, 1) > MAX_SYMBOLIC_PARAMETERS:
        return f"not tried at {flat.size:,} parameters"
    found = exact_jacobian(function, flat, seconds=seconds, params=params)
    if isinstance(found, str):
        return found
    if not all(
        gradient_methods.close_to(a, b, c, precision)
        for a, b, c in zip(found.f_values, f_values, noise, strict=True)
    ):
        return "SymPy traced another function than NumPy computes"
    return found


def _row(
    key: str,
    function: Callable[..., Any],
    flat: Flat,
    params: Mapping[str, Any],
    of_flat: Callable[[np.ndarray], Any],
    f_values: np.ndarray,
    noise: np.ndarray,
    floor: float,
    name: str,
    precision: str = "float64",
) -> tuple[np.ndarray, GradientTiming, Any]:
    """(values (m, n), timing, central differences' record or None), under the guard."""
    if key == "numerical":
        outcome = call(
            lambda: gradient_methods.central(of_flat, flat, f_values, floor, precision), name=name
        )
        values = outcome.flat_values.reshape(f_values.size, flat.size)
        return values, outcome.timing, outcome.differences

    def jacobian() -> tuple[np.ndarray, GradientTiming]:
        jax_of_flat = gradient_methods.jax_loss(function, flat, params)
        return _jax_jacobian(key, jax_of_flat, flat, f_values, name, noise, precision)

    values, timing = call(jacobian, name=name, explain=explain_jax)
    return values, timing, None


def compare_jacobian(
    f: Any,
    at: Any,
    methods: Sequence[str] | str = JACOBIAN_METHODS,
    params: Mapping[str, Any] | None = None,
    *,
    func: str | None = None,
    symbolic_seconds: float = bounds.SYMBOLIC_SECONDS,
) -> JacobianComparison:
    """The Jacobian (m, n) of f from the point `at` to a 1-D array of m numbers, by forward
    mode, reverse mode and central differences, each timed; every row judged by the one
    verdict against SymPy's exact Jacobian (30 digits) when SymPy finishes, else against a
    stand-in an independent method confirms.

    Parameters
    ----------
    f : callable or str
        Takes the point as its first argument and returns m numbers; or a cell's text.
    at : array_like or pytree
        The n inputs: a 1-D array, a list of numbers, or a dict / list / tuple of arrays.
    methods : sequence of str or str, optional
        Any of "numerical", "forward", "reverse" (default: all three).
    params, func, symbolic_seconds : mapping, str, float, optional
        f's other arguments; which function of a cell's text; the limit on SymPy's work.

    Returns
    -------
    JacobianComparison
        A row per method (`.values` of shape (m, n), errors, timing), `.cheaper_mode` and
        `.verdict`: which mode was cheaper for this shape.

    Raises
    ------
    DiffMagicError
        When f raises at `at`, returns no numbers or a 2-D array, or the Jacobian is too large.

    Examples
    --------
    >>> import numpy as np, diffmagic
    >>> J = diffmagic.compare_jacobian(lambda w: np.array([w[0] * w[1], np.sin(w[0])]), [1.0, 2.0])
    >>> J.shape, J.failures, J["reverse"].values.round(6)  # [[w1, w0], [cos w0, 0]]
    ((2, 2), {}, array([[2.      , 1.      ],
                        [0.540302, 0.      ]]))
    """
    params, _, symbolic_seconds = checked_options(params, True, func, symbolic_seconds)
    function, _ = resolve_function(f, func)
    name = function_name(function)
    keys = gradient_methods.select(methods, allowed=JACOBIAN_METHODS)
    flat = flatten(at, name=first_parameter(function))
    of_flat = numpy_loss(function, flat, params)
    f_values, precision = evaluate_checked(of_flat, flat, name, scalar=False)
    f_values = f_values.reshape(-1)
    shape = (int(f_values.size), flat.size)
    _check_size(*shape)
    f_seconds = f_seconds_of(of_flat, flat, name)
    noise = call(lambda: round_off(of_flat, flat.values, f_values), name=name)
    x_size = float(np.max(np.abs(flat.values)))
    floor = resolvable(float(np.max(np.abs(f_values))), x_size, 1, precision)
    exact = _exact_or_why(function, flat, params, f_values, noise, symbolic_seconds, precision)
    why_not = exact if isinstance(exact, str) else ""
    exact = None if isinstance(exact, str) else exact

    results: dict[str, JacobianResult] = {}
    differences = None
    for key in keys:
        row = JacobianResult(key=key, label=LABELS[key], ok=False)
        try:
            values, row.timing, found = _row(
                key, function, flat, params, of_flat, f_values, noise, floor, name, precision
            )
        except MethodFailure as failure:
            row.error = one_line(failure)
        else:
            row.ok, row.values, row.flat_values = True, values, values.reshape(-1)
            row.differences = found
            row.precision = precision if key == "numerical" else "float64"
            differences = found if found is not None else differences
        results[key] = row
    point = measure.Point(
        locate=lambda i: f"J[{i // shape[1]}, {i % shape[1]}] ({flat.describe(i % shape[1])})",
        coordinate=flat.describe,
        what="Jacobian",
        f_size=float(np.max(np.abs(f_values))),
        x_size=x_size,
        shape=shape,
        symbol="J",
    )
    notes = []
    if shape[0] == 1:
        notes.append("f returns one number: compare_gradient shows more for a scalar loss")
    if "numerical" not in results:
        differences, unchecked = measure.witness_differences(
            of_flat, flat, f_values, floor, precision, name, f_seconds
        )
        notes += [unchecked] if unchecked else []
    witnesses = []
    if differences is not None:
        witnesses.append(measure.witness(differences, LABELS["numerical"], precision))
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
    return JacobianComparison(
        name=name,
        at=at,
        flat=flat,
        shape=shape,
        f_seconds=f_seconds,
        results=results,
        reference=reference,
        exact=exact,
        notes=notes,
    )
