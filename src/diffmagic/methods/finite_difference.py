"""Accurate finite differences at any points: `scipy.differentiate` and `numdifftools`.

For f' SciPy's `derivative` is vectorised over the points, picks its step adaptively and
extrapolates (Richardson) to an eighth-order central formula; it also returns an error estimate
and a success flag per point. That makes it far more accurate than `np.gradient` on the grid
(about 1e-12 against 1e-3) at a cost of a few dozen evaluations of f per point.

SciPy has no higher derivatives, and nesting first derivatives loses digits at every level
(1e-4 for the third derivative), so orders 2 and up use `numdifftools.Derivative(n=order)`:
Richardson extrapolation over a geometric sequence of steps, about 1e-11 for f'' here.

Points that do not converge with the default first step (for instance a step that would leave
the domain of `log`) are tried again with a small step.

On the JAX engine the method is a fixed central stencil (five points, fourth order, for f') in
`jax.numpy`, compiled with `jit`: four evaluations of f per point with no adaptivity, so its cost
is what a finite difference costs once the engine is as fast as JAX's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.methods.base import CountingFunction, NumpyFunction, Prepared, Work

KEY = "finite_difference"
LABEL = "finite differences"


def _differentiate(
    function: Callable[[np.ndarray], np.ndarray], x: np.ndarray, precision: str = "float64"
) -> np.ndarray:
    from scipy.differentiate import derivative

    # SciPy's default tolerances (rtol = sqrt(eps)) stop before round-off takes over; asking
    # for more makes it shrink the step too far and lose digits. An f that computes in float32
    # has round-off 5e8 times larger: the same rule with float32's eps stops SciPy at the step
    # where float32 differences are still meaningful.
    tolerances = {}
    if precision == "float32":
        tolerances = {"tolerances": {"rtol": float(np.sqrt(np.finfo(np.float32).eps))}}
    with np.errstate(all="ignore"):
        result = derivative(function, x, **tolerances)
        values = np.array(result.df, dtype=np.float64)
        retry = ~np.isfinite(values)
        if np.any(retry):
            small_step = 1e-3 * np.maximum(1.0, np.abs(x[retry]))
            values[retry] = derivative(function, x[retry], initial_step=small_step, **tolerances).df
    return values


def prepare(target: Target, order: int, probe: np.ndarray, engine: str = "numpy") -> Prepared:
    """Adaptive differences with NumPy (SciPy, numdifftools), or a fixed stencil under JAX."""
    if engine == "jax":
        return _on_jax(target, order, probe)
    started = time.perf_counter()
    numpy_function = NumpyFunction(target, probe)
    function = CountingFunction(numpy_function)

    if order == 1:
        engine = "numpy (scipy.differentiate)"

        def derivative(x: np.ndarray) -> np.ndarray:
            return _differentiate(
                function, np.asarray(x, dtype=np.float64), numpy_function.precision
            )

    else:
        import numdifftools

        engine = "numpy (numdifftools)"
        nth = numdifftools.Derivative(function, n=order)

        def derivative(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=np.float64)
            with np.errstate(all="ignore"):
                return np.asarray(nth(x.ravel()), dtype=np.float64).reshape(x.shape)

    function.values = 0
    derivative(probe)
    per_point = function.values / max(probe.size, 1)
    notes = list(numpy_function.notes)
    if numpy_function.precision == "float32":
        notes.append("f computes in float32: steps and tolerances are chosen for float32")
    return Prepared(
        derivative=derivative,
        setup_s=time.perf_counter() - started,
        engine=engine,
        function=numpy_function,
        notes=tuple(notes),
        precision=numpy_function.precision,
        timed_call=lambda x: lambda: derivative(x),
        pointwise=numpy_function.pointwise,
        slow=True,
        work=Work("evaluations of f per point", round(per_point)),
    )


#: Half-width of the JAX engine's central stencil by order: f' from 2 * 2 + 1 = 5 points (the
#: middle one has weight 0, so 4 evaluations of f, fourth order); higher orders need more.
STENCIL_HALF_WIDTH = {1: 2, 2: 3}
DEFAULT_HALF_WIDTH = 4


def half_width_for(order: int) -> int:
    return STENCIL_HALF_WIDTH.get(order, DEFAULT_HALF_WIDTH)


def stencil_weights(order: int, half_width: int) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, weights) of the central difference of the `order`-th derivative (Fornberg).

    The weights solve the Vandermonde system that makes the stencil exact for polynomials up to
    degree 2 * half_width.
    """
    offsets = np.arange(-half_width, half_width + 1, dtype=np.float64)
    vandermonde = np.vander(offsets, increasing=True).T
    rhs = np.zeros(offsets.size)
    rhs[order] = float(np.prod(np.arange(1, order + 1)))
    return offsets, np.linalg.solve(vandermonde, rhs)


def stencil_step(order: int, half_width: int) -> float:
    """The step that balances truncation (h**(2m)) and round-off (eps / h**order) errors."""
    return float(np.finfo(np.float64).eps ** (1.0 / (2 * half_width + order)))


def _on_jax(target: Target, order: int, probe: np.ndarray) -> Prepared:
    from diffmagic.methods.automatic import jax_precision, scalar_function
    from diffmagic.methods.jax_engine import first_call, jax_module, on_numpy, timed_call

    jax = jax_module()
    jnp = jax.numpy
    started = time.perf_counter()
    scalar = scalar_function(target)
    half_width = half_width_for(order)
    offsets, weights = stencil_weights(order, half_width)
    # Zero weights (the middle point of odd orders) cost an evaluation of f for nothing.
    used = np.abs(weights) > 1e-12 * np.max(np.abs(weights))
    offsets, weights = offsets[used], weights[used]
    relative_step = stencil_step(order, half_width)

    def at_point(value: Any) -> Any:
        step = relative_step * jnp.maximum(1.0, jnp.abs(value))
        total = sum(w * scalar(value + s * step) for s, w in zip(offsets, weights, strict=True))
        return total / step**order

    compiled = jax.jit(jax.vmap(at_point))
    derivative = on_numpy(compiled)
    function = on_numpy(jax.jit(jax.vmap(scalar)))

    first_call(derivative, probe, target.name)

    return Prepared(
        derivative=derivative,
        setup_s=time.perf_counter() - started,
        engine=f"jax jit({2 * half_width + 1}-point stencil)",
        precision=jax_precision(scalar),
        function=function,
        timed_call=timed_call(compiled),
        work=Work("evaluations of f per point", int(offsets.size)),
    )
