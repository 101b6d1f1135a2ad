"""JAX without `jit`: the same forward mode mapped over the points, run op by op.

Beside the compiled `automatic` row, this row runs `vmap(jvp)` eagerly: JAX dispatches each
operation of f and of its derivative on its own, as the eager tape engines do, so the two rows
together measure what compiling buys. Values are JAX's, so it shares the compiled row's family
(the two cannot confirm each other).
"""

from __future__ import annotations

import time

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.limits.explain import MethodFailure, explain_jax
from diffmagic.methods import automatic
from diffmagic.methods.base import Prepared
from diffmagic.methods.jax_engine import jax_module, on_numpy, timed_call

KEY = "automatic"
LABEL = "automatic (JAX, eager: no jit)"


def prepare(target: Target, order: int, probe: np.ndarray, engine: str = "eager") -> Prepared:
    jax = jax_module()
    started = time.perf_counter()
    scalar = automatic.scalar_function(target)
    nth = scalar
    for _ in range(order):
        nth = automatic.forward(nth)
    eager = jax.vmap(nth)
    run = on_numpy(eager)
    try:
        run(probe)
    except MethodFailure:
        raise
    except Exception as error:
        if type(error).__name__ not in automatic.CONTROL_FLOW_ERRORS:
            raise MethodFailure(explain_jax(target.name, error)) from None
        return automatic.prepare_pointwise(target, scalar, order, probe, started, error)
    return Prepared(
        derivative=run,
        setup_s=time.perf_counter() - started,
        engine="jax vmap(jvp), eager (no jit)",
        function=on_numpy(jax.vmap(scalar)),
        precision=automatic.jax_precision(scalar),
        timed_call=timed_call(eager),
        work=automatic.jaxpr_size(scalar, nth),
    )
