"""Running a compiled JAX function on NumPy arrays, in float64, for every row that uses JAX.

JAX is imported on first use only (importing diffmagic stays light). Every call runs inside
`jax.enable_x64(True)`, which restores the user's own setting on exit: outside it a function
jitted in float64 would silently run in float32.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np


def block(result: Any) -> Any:
    """Wait for asynchronous (JAX) results, so a timing ends when the work does; a tuple of
    results (f and f' from one program) is waited for whole."""
    if isinstance(result, tuple | list):
        for item in result:
            block(item)
        return result
    ready = getattr(result, "block_until_ready", None)
    if ready is not None:
        ready()
    return result


@functools.cache
def jax_module() -> Any:
    import jax

    return jax


def float64() -> Any:
    """A context in which JAX computes in float64; the user's own setting is restored after."""
    return jax_module().enable_x64(True)


#: Arrays are padded to one of a few lengths (at least this many points, then powers of two),
#: so that a new number of points reuses a compiled program instead of compiling another.
SMALLEST_BUCKET = 1024


def bucket_size(size: int) -> int:
    """The padded length for `size` points: 1024, 2048, 4096, ... (at most twice the work)."""
    return max(SMALLEST_BUCKET, 1 << max(size - 1, 0).bit_length())


def on_numpy(compiled: Callable[[Any], Any]) -> Callable[[np.ndarray], np.ndarray]:
    """`compiled` (a jitted function of a 1-D array) as a float64 NumPy function of any shape.

    `jit` compiles once per input shape. Padding to `bucket_size` (with copies of the last
    point, which is a point f is defined at) means the panel's "points" slider, the tangent
    point and the grid share a handful of compiled programs.
    """
    jnp = jax_module().numpy

    def evaluate(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        flat = x.ravel()
        if flat.size == 0:
            return np.empty(x.shape)
        padded = np.full(bucket_size(flat.size), flat[-1])
        padded[: flat.size] = flat
        with float64():
            values = np.asarray(compiled(jnp.asarray(padded)), dtype=np.float64)
        # A constant derivative (lambdify of `2`) comes back as one number.
        values = np.broadcast_to(values, padded.shape)
        return values[: flat.size].reshape(x.shape).copy()

    return evaluate


def timed_call(compiled: Callable[[Any], Any]) -> Callable[[np.ndarray], Callable[[], Any]]:
    """For timing: x copied to the device once, then a call that returns JAX's (async) result.

    The timing harness waits for it with `block_until_ready`; converting back to NumPy is left
    out, as it is no part of the derivative's cost.
    """

    def prepare(x: np.ndarray) -> Callable[[], Any]:
        with float64():
            on_device = jax_module().numpy.asarray(np.asarray(x, dtype=np.float64))

        def call() -> Any:
            with float64():
                return compiled(on_device)

        return call

    return prepare


def first_call(
    derivative: Callable[[np.ndarray], np.ndarray], probe: np.ndarray, name: str
) -> None:
    """Run a JAX row's derivative once on the probe (tracing and compiling it), turning what
    JAX raises into the learner's one-line reason."""
    from diffmagic.limits.explain import MethodFailure, explain_jax

    try:
        derivative(probe)
    except MethodFailure:
        raise
    except Exception as error:
        raise MethodFailure(explain_jax(name, error)) from None
