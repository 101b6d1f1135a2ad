"""The JAX backend: `jax.numpy`, with the `math` spellings mapped onto it so `math.sin(x)` traces.

JAX is imported on first use, never when this module is imported: importing diffmagic stays
light.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from diffmagic.inputs.backends.namespace import Namespace
from diffmagic.inputs.backends.pointwise import (
    AXIS_CHECKED_REDUCTIONS,
    heaviside_for,
    math_spellings,
    pointwise_max_min,
    refusing_axis_on_scalars,
)


def _accepting_lists(jnp: Any) -> dict[str, Any]:
    """jax.numpy's reductions refuse Python lists, which NumPy (and learners) accept."""

    def accepting(reduce: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(reduce)
        def reduction(values: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(values, list | tuple):
                values = jnp.stack([jnp.asarray(value) for value in values])
            return reduce(values, *args, **kwargs)

        return reduction

    names = ("sum", "prod", "mean", "max", "min", "amax", "amin", "cumsum", "cumprod")
    table = {name: accepting(getattr(jnp, name)) for name in names}
    for name in AXIS_CHECKED_REDUCTIONS:
        table[name] = refusing_axis_on_scalars(name, table[name])
    return table


@functools.cache
def jax_namespace() -> Namespace:
    """`jax.numpy`, with the `math` spellings mapped onto it so `math.sin(x)` traces."""
    import jax
    import jax.numpy as jnp

    table = {
        **math_spellings(jnp),
        **_accepting_lists(jnp),
        "fabs": jnp.abs,
        "ln": jnp.log,
        "relu": jax.nn.relu,
        "sigmoid": jax.nn.sigmoid,
        "softplus": jax.nn.softplus,
        "heaviside": heaviside_for(jnp),
    }
    return Namespace("jax", table, jnp, math)


def jax_builtins() -> dict[str, Any]:
    import jax.numpy as jnp

    return pointwise_max_min(jnp)
