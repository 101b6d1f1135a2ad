"""Symbolic differentiation: trace f with a SymPy symbol, `diff`, simplify, `lambdify`.

The variable is a *real* symbol, so |x| differentiates to sign(x) instead of the lab's
`Derivative(re(x))` that no printer can evaluate. Dirac deltas (from differentiating sign or a
step) are zero everywhere but at the point where f' does not exist, so they are dropped for
evaluation; that point is reported separately.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.limits import bounds
from diffmagic.limits.explain import MethodFailure, explain_symbolic
from diffmagic.methods.base import Prepared, Work, float_array

KEY = "symbolic"
LABEL = "symbolic (SymPy)"


def to_sympy(value: Any) -> Any:
    """A fixed parameter as SymPy wants it; arrays and lists stay as they are."""
    import sympy as sp

    if isinstance(value, bool | int | float | np.number):
        return sp.sympify(value.item() if isinstance(value, np.number) else value)
    return value


def trace(target: Target) -> Any:
    """f(x) as a SymPy expression, or a failure that says what SymPy could not follow."""
    import sympy as sp

    symbol = sp.Symbol(target.wrt, real=True)
    function = target.under("sympy", convert=to_sympy)
    try:
        traced = function(symbol)
    except Exception as error:
        raise MethodFailure(explain_symbolic(target.name, error)) from None
    if isinstance(traced, np.ndarray):
        if traced.size != 1:
            raise MethodFailure(
                f"{target.name} returns an array of shape {traced.shape}: "
                "it must return one number per x"
            )
        traced = traced.reshape(()).item()
    if isinstance(traced, str | bytes) or traced is None:
        float_array(traced, np.empty(()), target.name)
    try:
        expression = sp.sympify(traced, strict=True)
    except (sp.SympifyError, TypeError):
        raise MethodFailure(
            f"{target.name} returns a {type(traced).__name__}, which SymPy cannot read as a number"
        ) from None
    # A Symbol is both an Expr and a Boolean: only a non-Expr Boolean is a comparison.
    if isinstance(expression, sp.logic.boolalg.Boolean) and not isinstance(expression, sp.Expr):
        raise MethodFailure(f"{target.name} returns a comparison (True/False), not a number")
    if not isinstance(expression, sp.Expr):
        raise MethodFailure(f"{target.name} returns a {type(expression).__name__}, not a number")
    return symbol, expression


def _without_delta(derivative: Any) -> Any:
    import sympy as sp

    return derivative.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)


def _evaluates_like(candidate: Any, original: Any, symbol: Any, probe: np.ndarray) -> bool:
    """True when `candidate` gives the same finite numbers as `original` on the probe points.

    SymPy's simplify is right over the complex numbers but can trade `Abs(x)**(2/3)` for
    `Abs(x**(2/3))`, which NumPy evaluates to NaN for x < 0: a simpler form is taken only if it
    evaluates as well as the one it replaces.
    """
    import sympy as sp

    with np.errstate(all="ignore"):
        try:
            new = np.broadcast_to(sp.lambdify([symbol], candidate, "numpy")(probe), probe.shape)
            old = np.broadcast_to(sp.lambdify([symbol], original, "numpy")(probe), probe.shape)
        except Exception:
            return False
        new, old = np.asarray(new, dtype=complex), np.asarray(old, dtype=complex)
    finite = np.isfinite(old) & (old.imag == 0)
    if np.any(finite & ~(np.isfinite(new) & (new.imag == 0))):
        return False
    return bool(np.allclose(new[finite], old[finite], rtol=1e-9, atol=1e-12))


def _simplified(derivative: Any, symbol: Any, probe: np.ndarray) -> tuple[Any, str | None]:
    """The simpler of f' and simplify(f'), when simplifying is cheap; else f' with a note."""
    import sympy as sp

    operations = sp.count_ops(derivative)
    if operations > bounds.MAX_SIMPLIFY_OPS:
        return derivative, None
    try:
        with bounds.time_limit(bounds.SIMPLIFY_SECONDS) as limit:
            candidate = sp.simplify(derivative)
    except bounds.TimeLimitExceeded as error:
        if error.deadline is not limit:
            raise
        return derivative, (
            f"simplification timed out after {bounds.SIMPLIFY_SECONDS:g} s: "
            "showing the unsimplified form"
        )
    if sp.count_ops(candidate) < operations and _evaluates_like(
        candidate, derivative, symbol, probe
    ):
        return candidate, None
    return derivative, None


def _as_numpy(symbol: Any, expr: Any, name: str = "f") -> tuple[Any, Any]:
    """(NumPy code SymPy printed for expr, that code as a float64 function of an array).

    Complex results (a real power of a negative number) become NaN, as NumPy's would.
    """
    import sympy as sp

    try:
        numeric = sp.lambdify([symbol], expr, modules="numpy", cse=True)
    except Exception as error:
        raise MethodFailure(f"SymPy cannot turn {name} into NumPy code: {error}") from None

    def evaluate(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            values = np.asarray(numeric(x))
        if values.dtype.kind == "c":
            values = np.where(values.imag == 0, values.real, np.nan)
        if values.dtype.kind not in "biuf":
            values = values.astype(np.float64)
        return np.broadcast_to(values.astype(np.float64, copy=False), x.shape).copy()

    return numeric, evaluate


def prepare(target: Target, order: int, probe: np.ndarray, engine: str = "numpy") -> Prepared:
    """SymPy's derivative, evaluated by NumPy (as in the lab) or compiled by JAX (`engine`)."""
    import sympy as sp

    started = time.perf_counter()
    symbol, function_expr = trace(target)
    notes: list[str] = []
    derivative = sp.diff(function_expr, symbol, order)
    if derivative.has(sp.Derivative):
        raise MethodFailure("SymPy left the derivative unevaluated: it cannot differentiate this f")
    if derivative.has(sp.DiracDelta):
        derivative = _without_delta(derivative)
    operations = sp.count_ops(derivative)
    work = Work("operations", int(operations), int(sp.count_ops(function_expr)))
    if operations > bounds.MAX_SYMBOLIC_OPS:
        raise MethodFailure(
            f"symbolic derivative too large ({operations:,} operations): skipped (expression swell)"
        )
    derivative, note = _simplified(derivative, symbol, probe)
    if note:
        notes.append(note)
    _, reading = _as_numpy(symbol, function_expr)
    if engine == "jax":
        return _on_jax(symbol, function_expr, derivative, probe, started, notes, work, reading)
    numeric, evaluate = _as_numpy(symbol, derivative, "f'")
    try:
        evaluate(probe[:3])
    except Exception as error:
        raise MethodFailure(f"the NumPy code SymPy made for f' fails: {error}") from None
    return Prepared(
        derivative=evaluate,
        setup_s=time.perf_counter() - started,
        engine="numpy",
        function=reading,
        notes=tuple(notes),
        timed_call=lambda x: lambda: numeric(x),
        function_expr=function_expr,
        expr=derivative,
        work=work,
    )


def _on_jax(
    symbol: Any,
    function_expr: Any,
    derivative: Any,
    probe: np.ndarray,
    started: float,
    notes: list[str],
    work: Work,
    reading: Any,
) -> Prepared:
    """The same SymPy derivative, printed as `jax.numpy` code and compiled with `jit`."""
    import sympy as sp

    from diffmagic.methods.jax_engine import jax_module, on_numpy, timed_call

    jax = jax_module()
    try:
        compiled = jax.jit(sp.lambdify([symbol], derivative, modules="jax", cse=True))
    except Exception as error:
        raise MethodFailure(f"SymPy cannot turn f' into JAX code: {error}") from None

    evaluate = on_numpy(compiled)

    try:
        evaluate(probe)
    except Exception as error:
        raise MethodFailure(f"the JAX code SymPy made for f' fails: {error}") from None

    return Prepared(
        derivative=evaluate,
        setup_s=time.perf_counter() - started,
        engine="jax jit(lambdify)",
        function=reading,
        notes=tuple(notes),
        timed_call=timed_call(compiled),
        function_expr=function_expr,
        expr=derivative,
        work=work,
    )
