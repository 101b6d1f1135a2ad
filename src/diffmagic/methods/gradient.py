"""The lab's numerical method: `np.gradient` of f's values on the grid.

Central differences inside, one-sided at the two ends, applied `order` times. Its error is that
of the grid step (about h**2 * f'''/6), and next to a kink it averages the slopes on both sides:
that is where the lab's 0.5 and -0.5 for |x| come from. diffmagic keeps it as the course's row
and shows those errors rather than hiding them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.methods.base import NumpyFunction, Prepared, Work

KEY = "numerical"
LABEL = "numerical (np.gradient)"


def prepare(target: Target, order: int, probe: np.ndarray, engine: str = "numpy") -> Prepared:
    """np.gradient of NumPy's f on the grid, or its formula on JAX's f compiled by `jit`."""
    if engine == "jax":
        return _on_jax(target, order, probe)
    started = time.perf_counter()
    function = NumpyFunction(target, probe)

    def derivative(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 1 or x.size < 2:
            raise ValueError("np.gradient needs a 1-D grid of at least two points")
        values = function(x)
        for _ in range(order):
            values = np.gradient(values, x)
        return values

    return Prepared(
        derivative=derivative,
        setup_s=time.perf_counter() - started,
        engine="numpy",
        function=function,
        notes=tuple(function.notes),
        precision=function.precision,
        timed_call=lambda x: lambda: derivative(x),
        pointwise=function.pointwise,
        work=Work("evaluations of f per point", 1),
    )


#: f of at most this many arithmetic operations (no division, no transcendental function) is
#: recomputed at both neighbours of each point inside the one compiled pass of differences:
#: that costs less than writing f's values to memory and reading them back in a second pass.
#: Any other f is evaluated once and its values differenced in a second pass. Measured at
#: 10**6 points on a 2-core CPU: x**2 fused 1.9x one jitted f against 3.5x in two passes;
#: x**3 - 2*x 2.7x against 4.0x; exp(-2x) + 3 sin 3x in two passes 1.1x against 3.2x fused.
FUSED_AT_MOST = 4
#: Primitives that cost one vector instruction or none (`convert_element_type` and the like).
_ARITHMETIC = frozenset({"add", "sub", "mul", "neg", "integer_pow", "square", "abs", "max", "min"})
_FREE = frozenset(
    {"convert_element_type", "copy", "copy_p", "broadcast_in_dim", "reshape", "squeeze"}
)
_CALLS = frozenset({"pjit", "jit", "closed_call", "core_call", "custom_jvp_call"})


def gradient_formula(jnp: Any, values: Any, x: Any) -> Any:
    """`np.gradient(values, x)` in `jax.numpy`, written as one expression XLA fuses into a pass.

    np.gradient's formula with coordinates x (edge_order 1): inside, with h1 = x[i] - x[i-1]
    and h2 = x[i+1] - x[i], the second-order difference of a non-uniform grid,
    (h1**2 f[i+1] + (h2**2 - h1**2) f[i] - h2**2 f[i-1]) / (h1 h2 (h1 + h2)), which is
    np.gradient's a f[i-1] + b f[i] + c f[i+1] over one denominator (one division a point
    instead of three; on a uniform grid it is np.gradient's (f[i+1] - f[i-1]) / 2h); at the two
    ends the one-sided differences np.gradient takes. Equal to np.gradient up to rounding.
    `jnp.gradient` computes the same numbers in several passes that XLA on the CPU does not
    fuse (3.5 to 5.5 times one jitted f at 10**6 points).
    """
    h1 = x[1:-1] - x[:-2]
    h2 = x[2:] - x[1:-1]
    inner = (h1 * h1 * values[2:] + (h2 * h2 - h1 * h1) * values[1:-1] - h2 * h2 * values[:-2]) / (
        h1 * h2 * (h1 + h2)
    )
    first = (values[1:2] - values[:1]) / (x[1:2] - x[:1])
    last = (values[-1:] - values[-2:-1]) / (x[-1:] - x[-2:-1])
    return jnp.concatenate([first, inner, last])


def _arithmetic_operations(jaxpr: Any) -> int | None:
    """Arithmetic operations in a traced f (nested calls included), or None when it has any
    other: a division, a transcendental function, control flow."""
    count = 0
    for equation in jaxpr.eqns:
        name = equation.primitive.name
        if name in _ARITHMETIC:
            count += 1
        elif name in _CALLS:
            inner = next(
                (v for v in equation.params.values() if hasattr(v, "eqns") or hasattr(v, "jaxpr")),
                None,
            )
            nested = (
                None if inner is None else _arithmetic_operations(getattr(inner, "jaxpr", inner))
            )
            if nested is None:
                return None
            count += nested
        elif name not in _FREE:
            return None
    return count


def fuses_f(scalar_f: Callable[[Any], Any]) -> bool:
    """True when f is cheap enough to recompute at each point's neighbours (FUSED_AT_MOST)."""
    from diffmagic.methods.jax_engine import float64, jax_module

    try:
        with float64():
            traced = jax_module().make_jaxpr(scalar_f)(1.0)
    except Exception:
        return False
    operations = _arithmetic_operations(traced.jaxpr)
    return operations is not None and operations <= FUSED_AT_MOST


def _on_jax(target: Target, order: int, probe: np.ndarray) -> Prepared:
    """np.gradient's formula in `jax.numpy`, f and all, compiled with `jit`.

    A cheap f (`fuses_f`) of a first derivative is compiled with the differences into one
    program, which XLA fuses into one pass recomputing f at each point's neighbours (three
    evaluations of f a point); any other f is one compiled program, its values differenced by a
    second (one evaluation a point, then one pass over the values). No padding to a bucket of
    sizes as the other JAX rows do: np.gradient differences neighbouring points, so copies of
    the last point would put a zero step at the end. `jit` compiles once per number of points.
    """
    from diffmagic.methods.automatic import jax_precision, scalar_function
    from diffmagic.methods.jax_engine import first_call, float64, jax_module

    jax = jax_module()
    jnp = jax.numpy
    started = time.perf_counter()
    scalar_f = scalar_function(target)
    values_of = jax.vmap(scalar_f)
    function = jax.jit(values_of)
    fused = order == 1 and fuses_f(scalar_f)
    if fused:
        one_pass = jax.jit(lambda x: gradient_formula(jnp, values_of(x), x))
        program: Callable[[Any], Any] = one_pass
    else:

        def repeated(values: Any, x: Any) -> Any:
            for _ in range(order):
                values = gradient_formula(jnp, values, x)
            return values

        differences = jax.jit(repeated)
        program = lambda x: differences(function(x), x)  # noqa: E731

    def run(compiled: Callable[[Any], Any]) -> Callable[[np.ndarray], np.ndarray]:
        def evaluate(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=np.float64)
            if x.ndim != 1 or x.size < 2:
                raise ValueError("np.gradient needs a 1-D grid of at least two points")
            with float64():
                return np.asarray(compiled(jnp.asarray(x)), dtype=np.float64)

        return evaluate

    derivative = run(program)
    first_call(derivative, probe, target.name)

    def timed_call(x: np.ndarray) -> Any:
        with float64():
            on_device = jnp.asarray(np.asarray(x, dtype=np.float64))

        def call() -> Any:
            with float64():
                return program(on_device)

        return call

    return Prepared(
        derivative=derivative,
        setup_s=time.perf_counter() - started,
        engine="jax jit(np.gradient formula)",
        precision=jax_precision(scalar_f),
        function=run(function),
        timed_call=timed_call,
        work=Work("evaluations of f per point", 3 if fused else 1),
    )
