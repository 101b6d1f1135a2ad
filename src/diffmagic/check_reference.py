"""The reference a hand-written gradient is checked against, and how it was chosen.

In order of trust: the exact gradient (SymPy + mpmath, 30 digits, from `diffmagic.many`) when
SymPy finishes in time; JAX reverse mode in float64; central differences, always said so. JAX is
passed over when f uses a `custom_vjp` / `custom_jvp` rule (it would check the rule against
itself) or cannot be traced at all (an untraceable f might hide such a rule).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.explain import one_line, user_error
from diffmagic.many.pytree import Flat

EXACT = "exact (SymPy + mpmath, 30 digits)"
JAX_REVERSE = "JAX reverse mode (float64)"
JAX_FORWARD = "JAX forward mode along each direction (float64)"
CENTRAL = "central differences"


def _uses_custom_rule(function: Callable[[Any], Any], x: Any, in_float64: bool = True) -> bool:
    """Does JAX's trace of f contain a custom_vjp / custom_jvp call?"""
    from diffmagic.methods.jax_engine import float64, jax_module

    jax = jax_module()

    def walk(jaxpr: Any) -> bool:
        for equation in jaxpr.eqns:
            if "custom" in equation.primitive.name:
                return True
            for parameter in equation.params.values():
                # A sub-program (pjit, scan), or a tuple of them (cond's branches).
                for item in parameter if isinstance(parameter, tuple | list) else (parameter,):
                    inner = getattr(item, "jaxpr", item)
                    if hasattr(inner, "eqns") and walk(inner):
                        return True
        return False

    with float64() if in_float64 else jax.enable_x64(False):
        return walk(jax.make_jaxpr(function)(x).jaxpr)


def _jax_of_flat(function: Callable[..., Any], flat: Flat) -> Callable[[Any], Any]:
    from diffmagic.rebind import rebind

    twin = rebind(function, "jax")

    def of_flat(vector: Any) -> Any:
        return twin(flat.unflatten(vector))

    return of_flat


def in_float64() -> Any:
    """JAX's float64 context when the user's code has imported JAX, else nothing to do."""
    import contextlib

    if "jax" in sys.modules:
        from diffmagic.methods.jax_engine import float64

        return float64()
    return contextlib.nullcontext()


@dataclass
class Reference:
    name: str
    note: str | None
    numerical: bool
    values: np.ndarray | None = None
    directional: np.ndarray | None = None


def locate_with_jax(
    function: Callable[..., Any], flat: Flat, yours: np.ndarray, rtol: float, shown: int = 5
) -> str | None:
    """After directions failed: the worst coordinates by JAX's full reverse-mode gradient (one
    VJP, so cheap at any n), in words; None when JAX cannot give it."""
    values, _ = _jax_reference(function, flat, None)
    if values is None or not np.all(np.isfinite(values)):
        return None
    error = np.abs(yours - values)
    tolerance = rtol * max(float(np.max(np.abs(values))), 1e-300) + rtol * np.abs(values)
    wrong = np.flatnonzero(~(error <= tolerance))
    if wrong.size == 0:
        return None
    ranked = wrong[np.argsort(-error[wrong], kind="stable")][:shown]
    places = ", ".join(
        f"{flat.describe(int(i))} (yours {yours[i]:.6g}, JAX {values[i]:.6g})" for i in ranked
    )
    more = f" and {wrong.size - ranked.size:,} more" if wrong.size > ranked.size else ""
    return f"located with {JAX_REVERSE}'s full gradient: {places}{more}"


def _jax_reference(
    function: Callable[..., Any], flat: Flat, directions: np.ndarray | None
) -> tuple[np.ndarray | None, str | None]:
    """JAX's float64 gradient (or derivatives along `directions`), or why it cannot serve."""
    try:
        from diffmagic.methods.jax_engine import float64, jax_module

        jax = jax_module()
    except ImportError:
        return None, "JAX is not installed"
    of_flat = _jax_of_flat(function, flat)
    with float64():
        x = jax.numpy.asarray(flat.values)
        try:
            custom = _uses_custom_rule(of_flat, x)
        except Exception as error:
            # Untraceable means unknown: it might hide a custom rule, so JAX does not judge.
            return None, f"JAX could not trace f: {user_error('f', error)}"
        if custom:
            return None, (
                "f uses a custom_vjp/custom_jvp rule, so JAX's gradient would check the rule "
                "against itself"
            )
        try:
            if directions is None:
                # One compiled program: eagerly, JAX compiles every operation on its own.
                values = np.asarray(jax.jit(jax.grad(of_flat))(x), dtype=np.float64)
            else:
                along = jax.jit(jax.vmap(lambda v: jax.jvp(of_flat, (x,), (v,))[1]))
                values = np.asarray(along(jax.numpy.asarray(directions)), dtype=np.float64)
        except Exception as error:
            return None, f"JAX could not trace f: {user_error('f', error)}"
    return values, None


def float32_floor(
    function: Callable[..., Any], flat: Flat, reference: np.ndarray, chosen: Reference
) -> float | None:
    """How far a float32 gradient of this f at this point is off by round-off alone: JAX's
    reverse mode in float32 against the reference. None when JAX cannot tell (no JAX, f not
    traceable, or JAX itself is the rule under test)."""
    if chosen.name == CENTRAL and "custom" in (chosen.note or ""):
        return None
    try:
        from diffmagic.methods.jax_engine import jax_module

        jax = jax_module()
        of_flat = _jax_of_flat(function, flat)
        with jax.enable_x64(False):
            x = jax.numpy.asarray(flat.values, dtype=jax.numpy.float32)
            if _uses_custom_rule(of_flat, x, in_float64=False):
                return None
            values = np.asarray(jax.jit(jax.grad(of_flat))(x), dtype=np.float64)
    except Exception:
        return None
    error = np.abs(values - reference)
    return float(np.max(error)) if np.all(np.isfinite(error)) else None


def choose_reference(
    function: Callable[..., Any],
    flat: Flat,
    of_flat: Callable[[np.ndarray], float],
    directions: np.ndarray | None,
    seconds: float,
) -> Reference:
    from diffmagic.many.reference import exact_gradient, numerical_gradient

    reasons: list[str] = []
    if directions is None:
        try:
            exact = exact_gradient(function, flat, seconds=seconds)
        except DiffMagicError:
            raise
        except Exception as error:  # a reference that breaks is a reason, not a crash
            exact = f"SymPy failed: {one_line(error, 100)}"
        if not isinstance(exact, str):
            # NaN at a kink (SymPy's sign(0)) is fine: failing coordinates are probed below.
            values = np.asarray(exact.values, dtype=np.float64).ravel()
            return Reference(EXACT, None, False, values=values)
        reasons.append(f"no exact gradient: {exact}")
    values, why = _jax_reference(function, flat, directions)
    if values is not None and np.all(np.isfinite(values)):
        name = JAX_REVERSE if directions is None else JAX_FORWARD
        return Reference(name, "; ".join(reasons) or None, False, values, values)
    if why is None:
        why = "JAX's gradient holds NaN or inf"
    reasons.append(why)
    try:
        with in_float64():
            if directions is None:
                numerical = np.asarray(numerical_gradient(of_flat, flat), dtype=np.float64)
            else:
                numerical = np.array([_central_along(of_flat, flat.values, v) for v in directions])
    except DiffMagicError:
        raise
    except Exception as error:
        raise DiffMagicError(
            f"no reference: {'; '.join(reasons)}; and central differences failed: "
            f"{one_line(error, 120)}"
        ) from None
    numerical = numerical.ravel()
    return Reference(CENTRAL, "; ".join(reasons), True, numerical, numerical)


def _central_along(of_flat: Callable[[np.ndarray], float], x: np.ndarray, v: np.ndarray) -> float:
    """d/dt f(x + t v) at t = 0 by central differences with Richardson extrapolation."""
    h = 1e-3 * max(1.0, float(np.max(np.abs(x))))
    estimates = []
    for step in (h, h / 2, h / 4):
        estimates.append((of_flat(x + step * v) - of_flat(x - step * v)) / (2 * step))
    first = [(4 * estimates[k + 1] - estimates[k]) / 3 for k in range(2)]
    return float((16 * first[1] - first[0]) / 15)
