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

from diffmagic import bounds
from diffmagic.errors import DiffMagicError
from diffmagic.explain import MethodFailure, explain_jax, one_line, user_error
from diffmagic.many import methods as gradient_methods
from diffmagic.many.loss import (
    evaluate_once,
    f_seconds_of,
    first_parameter,
    function_name,
    numpy_loss,
)
from diffmagic.many.methods import GradientTiming, warm_seconds
from diffmagic.many.pytree import Flat, flatten
from diffmagic.many.reference import (
    MAX_SYMBOLIC_PARAMETERS,
    ExactJacobian,
    central_difference_steps,
    exact_jacobian,
)
from diffmagic.many.results import MethodResult, MethodTable, stand_in
from diffmagic.target import resolve_function
from diffmagic.timing import block

LABELS = {
    "numerical": "numerical (central differences)",
    "forward": "forward mode (JAX jacfwd)",
    "reverse": "reverse mode (JAX jacrev)",
}
JACOBIAN_METHODS = ("numerical", "forward", "reverse")


@dataclass(repr=False)
class JacobianResult(MethodResult):
    """One method's Jacobian (shape (m, n)), its error and its cost."""

    values: np.ndarray | None = None


class JacobianComparison(MethodTable[JacobianResult]):
    """The outcome of `compare_jacobian()`; index by method, display for the table."""

    def __init__(
        self,
        *,
        name: str,
        at: Any,
        flat: Flat,
        shape: tuple[int, int],
        f_seconds: float,
        results: dict[str, JacobianResult],
        reference: str,
        exact: ExactJacobian | None,
        notes: list[str],
    ) -> None:
        self.name = name
        self.at = at
        self.flat = flat
        #: (m, n): outputs by inputs.
        self.shape = shape
        self.f_seconds = f_seconds
        self.results = results
        self.reference = reference
        self.exact = exact
        self.notes = notes

    @property
    def cheaper_mode(self) -> str | None:
        """ "forward" or "reverse", whichever took less time here (None if either failed)."""
        forward, reverse = self.results.get("forward"), self.results.get("reverse")
        if not (forward and reverse and forward.ok and reverse.ok):
            return None
        assert forward.timing is not None and reverse.timing is not None
        return "forward" if forward.timing.eval_s <= reverse.timing.eval_s else "reverse"

    @property
    def verdict(self) -> str:
        m, n = self.shape
        shape = "tall (m > n)" if m > n else "wide (n > m)" if n > m else "square"
        cheaper = self.cheaper_mode
        if cheaper is None:
            return f"shape {m} x {n}, {shape}: forward and reverse were not both measured"
        forward = self.results["forward"].timing
        reverse = self.results["reverse"].timing
        assert forward is not None and reverse is not None
        ratio = max(forward.eval_s, reverse.eval_s) / max(
            min(forward.eval_s, reverse.eval_s), 1e-12
        )
        expected = "forward" if m > n else "reverse" if n > m else "either"
        agrees = "as the shape predicts" if expected in (cheaper, "either") else "against the shape"
        return (
            f"measured: {cheaper} mode is {ratio:.2g}x cheaper for this {shape} Jacobian "
            f"({agrees}: forward needs n = {n:,} JVPs, reverse m = {m:,} VJPs)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "jacobian",
            "function": self.name,
            "shape": list(self.shape),
            "f_seconds": self.f_seconds,
            "reference": self.reference,
            "cheaper_mode": self.cheaper_mode,
            "verdict": self.verdict,
            "notes": list(self.notes),
            "methods": {key: row.to_dict() for key, row in self.results.items()},
        }

    def _repr_html_(self) -> str:
        from diffmagic.many.views import jacobian_html

        return jacobian_html(self)

    def __str__(self) -> str:
        from diffmagic.many.views import jacobian_text

        return jacobian_text(self)


def numerical_jacobian(
    function_of_flat: Callable[[np.ndarray], Any], flat: Flat, outputs: int
) -> np.ndarray:
    """Central differences column by column: 2n evaluations of f, each an m-vector."""
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
    key: str, of_flat: Callable[[Any], Any], flat: Flat, f_values: np.ndarray, name: str
) -> tuple[np.ndarray, GradientTiming]:
    from diffmagic.methods.jax_engine import float64, jax_module

    jax = jax_module()
    with float64():
        try:
            jax_values = np.asarray(jax.jit(of_flat)(flat.values), dtype=np.float64).reshape(-1)
        except Exception as error:
            raise MethodFailure(explain_jax(name, error)) from None
        if jax_values.shape != f_values.shape or not all(
            gradient_methods.close_to(a, b) for a, b in zip(jax_values, f_values, strict=True)
        ):
            raise MethodFailure(
                f"JAX computes another {name}(at) than NumPy: it would differentiate another "
                "function"
            )
        transform = jax.jacfwd if key == "forward" else jax.jacrev
        compiled = jax.jit(transform(of_flat))
        on_device = jax.numpy.asarray(flat.values)
        try:
            started = time.perf_counter()
            first = block(compiled(on_device))
            setup_s = time.perf_counter() - started
            eval_s, runs = warm_seconds(lambda: compiled(on_device))
        except Exception as error:
            raise MethodFailure(explain_jax(name, error)) from None
    values = np.asarray(first, dtype=np.float64).reshape(f_values.size, flat.size)
    return values, GradientTiming(setup_s, eval_s, None, runs)


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
    mode, reverse mode and central differences, each timed; errors against SymPy's exact
    Jacobian (30 digits) when SymPy finishes."""
    function, _ = resolve_function(f, func)
    name = function_name(function)
    keys = gradient_methods.select(methods, allowed=JACOBIAN_METHODS)
    flat = flatten(at, name=first_parameter(function))
    of_flat = numpy_loss(function, flat, params)
    f_values = evaluate_once(of_flat, flat, name, scalar=False).reshape(-1)
    f_seconds = f_seconds_of(of_flat, flat)
    shape = (int(f_values.size), flat.size)

    exact: ExactJacobian | None = None
    why_not = f"not tried at {flat.size:,} parameters"
    if flat.size * max(shape[0], 1) <= MAX_SYMBOLIC_PARAMETERS:
        found = exact_jacobian(function, flat, seconds=symbolic_seconds, params=params)
        if isinstance(found, str):
            why_not = found
        elif not all(
            gradient_methods.close_to(a, b) for a, b in zip(found.f_values, f_values, strict=True)
        ):
            why_not = "SymPy traced another function than NumPy computes"
        else:
            exact = found

    results: dict[str, JacobianResult] = {}
    for key in keys:
        row = JacobianResult(key=key, label=LABELS[key], ok=False)
        try:
            if key == "numerical":
                started = time.perf_counter()
                try:
                    values = numerical_jacobian(of_flat, flat, shape[0])
                except Exception as error:
                    raise MethodFailure(user_error(name, error)) from None
                row.timing = GradientTiming(0.0, time.perf_counter() - started, 2 * flat.size)
            else:
                jax_of_flat = gradient_methods.jax_loss(function, flat, params)
                values, row.timing = _jax_jacobian(key, jax_of_flat, flat, f_values, name)
        except MethodFailure as failure:
            row.error = one_line(failure)
            results[key] = row
            continue
        row.ok = True
        row.values = values
        results[key] = row

    reference_values = None
    if exact is not None:
        reference_values = exact.values
        reference = "exact: SymPy's Jacobian evaluated by mpmath at 30 digits"
    else:
        reference = f"no exact Jacobian (SymPy: {one_line(why_not, 100)})"
        row = stand_in(results)
        if row is not None:
            reference_values = row.values
            reference += f"; errors are differences from {row.label}"
    if reference_values is not None:
        scale = float(np.max(np.abs(reference_values))) or 1.0
        for row in results.values():
            if row.ok and row.values is not None:
                difference = np.abs(row.values - reference_values)
                difference = np.where(np.isfinite(difference), difference, np.inf)
                worst = np.unravel_index(int(np.argmax(difference)), difference.shape)
                row.max_abs_error = float(difference[worst])
                row.max_rel_error = row.max_abs_error / scale
                row.worst = (int(worst[0]), int(worst[1]))
    if shape[0] == 1:
        notes = ["f returns one number: compare_gradient shows more for a scalar loss"]
    else:
        notes = []
    if not results:
        raise DiffMagicError("choose at least one method: numerical, forward, reverse")
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
