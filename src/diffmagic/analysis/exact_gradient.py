"""The gradients errors are measured against: exact (SymPy + mpmath), or central differences.

`exact_gradient` traces the loss with one SymPy symbol per parameter, differentiates it one
coordinate at a time by SymPy's rules and evaluates every component with mpmath at 30 digits,
so round-off in the reference itself is far below any method's error. When SymPy cannot follow
the loss, a method stands in (`analysis.reference_choice`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from diffmagic.inputs.pytree import Flat
from diffmagic.limits import bounds
from diffmagic.limits.explain import explain_symbolic, one_line
from diffmagic.limits.guard import Failure, guarded
from diffmagic.methods.symbols import Calculus, Evaluator, symbol_vector, tree_operations

#: Digits mpmath carries while evaluating the exact gradient.
DIGITS = 30
#: Above this many parameters SymPy is not tried: n derivatives of an f of at least n terms
#: would take minutes (the time limit would stop it anyway, after its full wait).
MAX_SYMBOLIC_PARAMETERS = 2_000


@dataclass
class ExactGradient:
    """SymPy's gradient of the loss at the point, with its values at 30 digits."""

    #: Each partial derivative at the point, computed by mpmath at DIGITS digits, as float64.
    values: np.ndarray
    #: Operations in the gradient's n expressions written out as trees (expression swell).
    expr_ops: int
    #: The loss at the point by the same 30-digit evaluation (compare with NumPy's f(at)).
    f_value: float
    #: Operations in the loss's own expression, for scale.
    f_ops: int
    #: SymPy's trace, differentiation and 30-digit evaluation, in seconds.
    setup_s: float
    #: The trace and differentiation alone (what a symbolic method pays before evaluating).
    derive_s: float = 0.0
    #: The n partial derivatives as SymPy expressions in the symbols w0, w1, ...
    expressions: list[Any] = field(repr=False, default_factory=list)
    symbols: list[Any] = field(repr=False, default_factory=list)
    function_expr: Any = field(repr=False, default=None)

    def float64_values(self, flat_values: np.ndarray) -> np.ndarray:
        """The same expressions evaluated in float64 (what a float64 program of them gives)."""
        evaluator = Evaluator(
            {s: float(v) for s, v in zip(self.symbols, flat_values, strict=True)}, digits=None
        )
        return np.array([float(evaluator.value(e)) for e in self.expressions], dtype=np.float64)


def _to_sympy(value: Any) -> Any:
    from diffmagic.methods.symbolic import to_sympy

    return to_sympy(value)


def _function_name(f: Callable[..., Any]) -> str:
    name = getattr(f, "__name__", "f")
    return "f" if name == "<lambda>" else name


def _one_number(traced: Any, name: str) -> Any | str:
    """The traced loss as one SymPy expression, or why it is not one number."""
    import sympy as sp

    if isinstance(traced, np.ndarray):
        if traced.size != 1:
            return f"{name} returns an array of shape {traced.shape}, not one number"
        traced = traced.reshape(-1)[0]
    try:
        expression = sp.sympify(traced, strict=True)
    except (sp.SympifyError, TypeError):
        return f"{name} returns a {type(traced).__name__}, which SymPy cannot read as a number"
    if not isinstance(expression, sp.Expr):
        return f"{name} returns a {type(expression).__name__}, not a number"
    return expression


def exact_gradient(
    f: Callable[..., Any],
    flat: Flat,
    *,
    seconds: float = bounds.SYMBOLIC_SECONDS,
    params: Mapping[str, Any] | None = None,
) -> ExactGradient | Failure:
    """The exact gradient of `f` at `flat` (SymPy's derivative, mpmath's 30 digits), or why not.

    `f` is the user's callable of the point (a 1-D array or a pytree, whatever `flat` was made
    from), written with `np`, `jnp` or `math`. It is called once through
    `diffmagic.inputs.rebind.rebind(f, "sympy")` with `flat.unflatten` of an object array of real
    symbols w0..w{n-1} (a `SymbolArray`), so `X @ w`, `np.sum(..., axis=1)`, `np.log`,
    `np.exp`, `np.tanh` build one SymPy expression; `params` are other arguments of f, by
    keyword, held fixed. Each partial derivative is taken by SymPy's rules one coordinate at a
    time (`Calculus`), then every component and f itself are evaluated by mpmath at 30 digits.

    Returns an `ExactGradient` with `.values` (float64, shape (n,), in `flat`'s order),
    `.expr_ops` (the gradient's size written out), `.f_value` (f at the point, 30-digit
    evaluation), `.setup_s`; or, when SymPy cannot, a `Failure` whose reason says why in one
    line: it ran past `seconds` (the one guard, on any thread), f uses Python `if` on a
    parameter, converts one to float, calls a function SymPy lacks, returns an array, ...
    """
    import sympy  # noqa: F401  (imported before the clock starts: 1 s the first time)

    name = _function_name(f)
    started = time.perf_counter()

    def derive(traced: Any, calculus: Calculus) -> ExactGradient | str:
        expression = _one_number(traced, name)
        if isinstance(expression, str):
            return expression
        gradient = calculus.gradient(expression)
        derive_s = time.perf_counter() - started
        evaluate = _exact_evaluator(calculus.symbols, flat)
        with _workdps(DIGITS):
            values = np.array([_to_float(evaluate.value(g)) for g in gradient])
            f_value = _to_float(evaluate.value(expression))
        if np.isfinite(f_value):
            values = by_limits(values, expression, list(calculus.symbols), flat)
        return ExactGradient(
            values=values,
            expr_ops=int(tree_operations(gradient)),
            f_value=f_value,
            f_ops=int(tree_operations([expression])),
            setup_s=time.perf_counter() - started,
            derive_s=derive_s,
            expressions=gradient,
            symbols=list(calculus.symbols),
            function_expr=expression,
        )

    return _derive_under_limit(
        f,
        flat,
        params,
        seconds,
        derive,
        too_long=(
            f"SymPy took longer than {seconds:g} s for the gradient of {flat.size:,} parameters "
            "(one derivative per parameter, each as large as f)"
        ),
    )


Derived = TypeVar("Derived")


def _derive_under_limit(
    f: Callable[..., Any],
    flat: Flat,
    params: Mapping[str, Any] | None,
    seconds: float,
    derive: Callable[[Any, Calculus], Derived | str],
    *,
    too_long: str,
) -> Derived | Failure:
    """f traced with one SymPy symbol per parameter, then `derive(traced, calculus)`, all
    under the one guard (`guard.guarded`, SymPy's time limit); or, when SymPy cannot, why not
    in one line (`too_long` when SymPy ran past `seconds`, f named when f itself did)."""
    from diffmagic.inputs.rebind import rebind

    name = _function_name(f)
    fixed = {key: _to_sympy(value) for key, value in (params or {}).items()}
    nested = f"{name}'s expression is nested too deeply for SymPy to differentiate"

    def trace_and_derive() -> Derived | str:
        symbols = symbol_vector(flat.size)
        try:
            # Unevaluated: SymPy's automatic simplification of each new term queries the
            # assumptions system and made tracing a 10-parameter log loss take 6 s.
            with _unevaluated():
                traced = rebind(f, "sympy")(flat.unflatten(symbols), **fixed)
        except RecursionError:
            return nested
        except Exception as error:
            return explain_symbolic(name, error)
        try:
            return derive(traced, Calculus(list(symbols)))
        except RecursionError:
            return nested

    outcome = guarded(
        trace_and_derive,
        seconds=seconds,
        name=name,
        describe_timeout=lambda _: too_long,
        describe_user_timeout=lambda limit, culprit: (
            f"{culprit} took longer than {limit:g} s while SymPy traced it (does it sleep or loop?)"
        ),
        explain=lambda who, error: f"SymPy failed on {who}: {one_line(error, 120)}",
    )
    if isinstance(outcome, Failure):
        return Failure(nested) if outcome.error_type == "RecursionError" else outcome
    return Failure(outcome) if isinstance(outcome, str) else outcome


#: Components whose closed form gives no number, re-evaluated as limits, at most.
MAX_LIMIT_COMPONENTS = 50


def by_limits(values: np.ndarray, expression: Any, symbols: list[Any], flat: Flat) -> np.ndarray:
    """The exact gradient where its closed form gives no number although f has one (an
    unevaluated `Derivative(floor(w0))`, `0**w * log(0)`): the derivative of SymPy's f itself
    along that coordinate, from both sides at 30 digits (mpmath.diff), kept only where the
    sides agree, so a corner or a jump stays without a value."""
    import mpmath

    filled = values.copy()
    for index in np.flatnonzero(~np.isfinite(values))[:MAX_LIMIT_COMPONENTS]:
        point = {s: _mpf(v) for s, v in zip(symbols, flat.values, strict=True)}

        def along(t: Any, index: int = int(index), point: dict[Any, Any] = point) -> Any:
            return Evaluator({**point, symbols[index]: t}, digits=DIGITS).value(expression)

        with _workdps(DIGITS):
            try:
                start = _mpf(flat.values[index])
                left, right = (
                    _to_float(mpmath.diff(along, start, direction=side)) for side in (-1, 1)
                )
            except Exception:  # f has no value on one side
                continue
        if np.isfinite(left) and abs(left - right) <= 1e-12 * max(1.0, abs(left), abs(right)):
            filled[index] = (left + right) / 2
    return filled


def _exact_evaluator(symbols: list[Any], flat: Flat) -> Evaluator:
    """Values at the point at DIGITS digits (evaluated inside `_workdps(DIGITS)`)."""
    return Evaluator({s: _mpf(v) for s, v in zip(symbols, flat.values, strict=True)}, digits=DIGITS)


def _unevaluated() -> Any:
    import sympy as sp

    return sp.evaluate(False)


def _mpf(value: float) -> Any:
    import mpmath

    return mpmath.mpf(float(value))


def _workdps(digits: int) -> Any:
    import mpmath

    return mpmath.workdps(digits)


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


@dataclass
class ExactJacobian:
    """SymPy's Jacobian of a vector function at the point, at 30 digits, as float64."""

    #: Shape (m, n): row i is the gradient of output i.
    values: np.ndarray
    #: f's m outputs at the point, by the same 30-digit evaluation.
    f_values: np.ndarray
    expr_ops: int
    setup_s: float


def exact_jacobian(
    f: Callable[..., Any],
    flat: Flat,
    *,
    seconds: float = bounds.SYMBOLIC_SECONDS,
    params: Mapping[str, Any] | None = None,
) -> ExactJacobian | Failure:
    """The exact Jacobian of a function from the point to a 1-D array, or why not.

    As `exact_gradient`, for each of f's m outputs: traced once with symbols, differentiated
    by SymPy's rules coordinate by coordinate, evaluated by mpmath at 30 digits.
    """
    import sympy  # noqa: F401  (imported before the clock starts: 1 s the first time)

    name = _function_name(f)
    started = time.perf_counter()

    def derive(traced: Any, calculus: Calculus) -> ExactJacobian | Failure:
        expressions = []
        for output in np.asarray(traced, dtype=object).reshape(-1):
            expression = _one_number(output, name)
            if isinstance(expression, str):
                return expression
            expressions.append(expression)
        rows = [calculus.gradient(e) for e in expressions]
        evaluate = _exact_evaluator(calculus.symbols, flat)
        with _workdps(DIGITS):
            values = np.array([[_to_float(evaluate.value(d)) for d in row] for row in rows])
            f_values = np.array([_to_float(evaluate.value(e)) for e in expressions])
        return ExactJacobian(
            values=values.reshape(len(expressions), flat.size),
            f_values=f_values,
            expr_ops=int(sum(tree_operations(row) for row in rows)),
            setup_s=time.perf_counter() - started,
        )

    return _derive_under_limit(
        f,
        flat,
        params,
        seconds,
        derive,
        too_long=f"SymPy took longer than {seconds:g} s for the Jacobian",
    )
