"""Automatic differentiation with JAX: forward mode, mapped over the points, compiled.

For a function of one variable, forward mode (`jvp`) costs about one evaluation of f, so
`jit(vmap(jvp))` is the fast path; `order` nests it. Everything runs in float64 inside
`jax.enable_x64(True)`, which restores the user's setting on exit, and inputs are converted to
float64 first, so the lab's `grad(f)(3)` integer error never reaches the user.

Python `if` on x stops `vmap` and `jit` (a traced value has no truth value). Then JAX's `grad`
is run point by point, which works because each point is concrete, and the row says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.limits.explain import MethodFailure, explain_jax
from diffmagic.methods.base import Prepared, Work
from diffmagic.methods.jax_engine import float64, jax_module, on_numpy, timed_call

KEY = "automatic"
LABEL = "automatic (JAX)"

CONTROL_FLOW_ERRORS = (
    "TracerBoolConversionError",
    "ConcretizationTypeError",
    "TracerIntegerConversionError",
)


def scalar_function(target: Target) -> Callable[[Any], Any]:
    """f of one JAX scalar, checked to return one real number (float64 for integer results)."""
    jax = jax_module()
    jnp = jax.numpy
    function = target.under("jax")
    name = target.name

    def scalar(value: Any) -> Any:
        out = function(value)
        if isinstance(out, str | bytes) or out is None:
            raise MethodFailure(f"{name} returns {type(out).__name__}, not a number")
        out = jnp.asarray(out)
        if out.shape != ():
            raise MethodFailure(
                f"{name} returns an array of shape {out.shape} for one x: it must return one number"
            )
        if not jnp.issubdtype(out.dtype, jnp.inexact):
            out = out.astype(jnp.float64)
        if jnp.issubdtype(out.dtype, jnp.complexfloating):
            raise MethodFailure(f"{name} returns complex numbers: differentiate its real part")
        return out

    return scalar


def forward(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    jax = jax_module()

    def derivative(value: Any) -> Any:
        return jax.jvp(function, (value,), (jax.numpy.ones_like(value),))[1]

    return derivative


def prepare(target: Target, order: int, probe: np.ndarray, engine: str = "jax") -> Prepared:
    jax = jax_module()
    started = time.perf_counter()
    scalar = scalar_function(target)
    nth = scalar
    for _ in range(order):
        nth = forward(nth)
    # One compiled program gives f and its derivative: the comparison checks JAX's f against
    # NumPy's before it trusts the derivative, and XLA computes the shared primal once.
    batched = jax.jit(jax.vmap(lambda value: (scalar(value), nth(value))))
    run_batched = on_numpy(lambda x: batched(x)[1])
    run_function = on_numpy(lambda x: batched(x)[0])

    try:
        run_batched(probe)
    except MethodFailure:
        raise
    except Exception as error:
        if type(error).__name__ not in CONTROL_FLOW_ERRORS:
            raise MethodFailure(explain_jax(target.name, error)) from None
        return prepare_pointwise(target, scalar, order, probe, started, error)

    return Prepared(
        derivative=run_batched,
        setup_s=time.perf_counter() - started,
        engine="jax jit(vmap(jvp))",
        function=run_function,
        precision=jax_precision(scalar),
        # Timing measures the derivative alone, compiled on first use (so an untimed comparison
        # never pays for a second program).
        timed_call=_timed_lazily(lambda: jax.jit(jax.vmap(nth))),
        work=jaxpr_size(scalar, nth),
    )


def _timed_lazily(compile_: Callable[[], Any]) -> Callable[[np.ndarray], Callable[[], Any]]:
    compiled: list[Any] = []

    def prepare(x: np.ndarray) -> Callable[[], Any]:
        if not compiled:
            compiled.append(compile_())
        return timed_call(compiled[0])(x)

    return prepare


def jax_precision(function: Callable[[Any], Any]) -> str:
    """ "float32" when f computes in single precision even with x64 on (explicit casts)."""
    jax = jax_module()
    try:
        with float64():
            dtype = jax.eval_shape(function, 1.0).dtype
    except Exception:
        return "float64"
    return "float32" if jax.numpy.dtype(dtype).itemsize < 8 else "float64"


def jaxpr_size(function: Callable[[Any], Any], derivative: Callable[[Any], Any]) -> Work:
    """Equations in the traced programs of f and of its derivative."""
    jax = jax_module()
    with float64():
        f_equations = len(jax.make_jaxpr(function)(1.0).jaxpr.eqns)
        d_equations = len(jax.make_jaxpr(derivative)(1.0).jaxpr.eqns)
    return Work("jaxpr equations", d_equations, f_equations)


def _point_by_point(each: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    """`each` applied to every value of an array, in float64, the array's shape kept."""

    def over(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        with float64():
            flat = np.fromiter((each(float(v)) for v in x.ravel()), np.float64, x.size)
        return flat.reshape(x.shape)

    return over


def prepare_pointwise(
    target: Target,
    scalar: Callable[[Any], Any],
    order: int,
    probe: np.ndarray,
    started: float,
    control_flow_error: BaseException,
) -> Prepared:
    """JAX's `grad` at each point on its own: slower, but follows Python control flow."""
    jax = jax_module()
    nth = scalar
    for _ in range(order):
        nth = jax.grad(nth)

    def at_point(value: float) -> float:
        try:
            return float(nth(value))
        except MethodFailure:
            raise
        except Exception as error:
            if type(error).__name__ in CONTROL_FLOW_ERRORS:
                raise MethodFailure(explain_jax(target.name, error)) from None
            return float("nan")

    def value_at(value: float) -> float:
        try:
            return float(scalar(value))
        except MethodFailure:
            raise
        except Exception:
            return float("nan")

    pointwise = _point_by_point(at_point)
    function = _point_by_point(value_at)

    with float64():
        first = [at_point(float(v)) for v in probe[:3]]
    if probe.size and all(np.isnan(first)):
        try:
            with float64():
                nth(float(probe[0]))
        except Exception as error:
            raise MethodFailure(explain_jax(target.name, error)) from None
    reason = explain_jax(target.name, control_flow_error)
    return Prepared(
        derivative=pointwise,
        setup_s=time.perf_counter() - started,
        engine="jax grad, point by point",
        function=function,
        notes=(f"fallback: {reason}; so grad ran point by point (slow)",),
        timed_call=lambda x: lambda: pointwise(x),
        pointwise=True,
    )
