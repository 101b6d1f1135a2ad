"""The lab's numerical method: `np.gradient` of f's values on the grid.

Central differences inside, one-sided at the two ends, applied `order` times. Its error is that
of the grid step (about h**2 * f'''/6), and next to a kink it averages the slopes on both sides:
that is where the lab's 0.5 and -0.5 for |x| come from. diffmagic keeps it as the course's row
and shows those errors rather than hiding them.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.methods.base import NumpyFunction, Prepared, Work

KEY = "numerical"
LABEL = "numerical (np.gradient)"


def prepare(target: Target, order: int, probe: np.ndarray, engine: str = "numpy") -> Prepared:
    """np.gradient of NumPy's f on the grid, or `jnp.gradient` of JAX's f compiled by `jit`."""
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


def _on_jax(target: Target, order: int, probe: np.ndarray) -> Prepared:
    """The same differences in `jax.numpy`, f and all, compiled with `jit`.

    No padding to a bucket of sizes as the other JAX rows do: np.gradient differences
    neighbouring points, so copies of the last point would put a zero step at the end. `jit`
    compiles once per number of points instead.
    """
    from diffmagic.methods.automatic import jax_precision, scalar_function
    from diffmagic.methods.jax_engine import first_call, float64, jax_module

    jax = jax_module()
    jnp = jax.numpy
    started = time.perf_counter()
    scalar_f = scalar_function(target)
    values_of = jax.vmap(scalar_f)

    def differences(x: Any) -> Any:
        values = values_of(x)
        for _ in range(order):
            values = jnp.gradient(values, x)
        return values

    compiled = jax.jit(differences)
    function = jax.jit(values_of)

    def run(program: Any) -> Any:
        def evaluate(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=np.float64)
            if x.ndim != 1 or x.size < 2:
                raise ValueError("np.gradient needs a 1-D grid of at least two points")
            with float64():
                return np.asarray(program(jnp.asarray(x)), dtype=np.float64)

        return evaluate

    derivative = run(compiled)
    first_call(derivative, probe, target.name)

    def timed_call(x: np.ndarray) -> Any:
        with float64():
            on_device = jnp.asarray(np.asarray(x, dtype=np.float64))

        def call() -> Any:
            with float64():
                return compiled(on_device)

        return call

    return Prepared(
        derivative=derivative,
        setup_s=time.perf_counter() - started,
        engine="jax jit(jnp.gradient)",
        precision=jax_precision(scalar_f),
        function=run(function),
        timed_call=timed_call,
        work=Work("evaluations of f per point", 1),
    )
