"""The gradient methods, each a function from a loss and a point to values and timings.

* numerical: central differences, one coordinate at a time (2n evaluations of f, NumPy);
* forward: JAX forward mode, one JVP per coordinate (`jacfwd`, batched);
* reverse: JAX reverse mode, one VJP (`grad`);
* symbolic: SymPy (see `reference.exact_gradient`), evaluated in float64.

JAX runs in float64 (`jax_engine.float64()`); its compile time is kept apart from the warm time
of one gradient, and every JAX result is waited for (`block_until_ready`). Each JAX method first
checks that JAX computes the same f(at) as NumPy: a method that differentiates another function
fails with that reason instead of reporting a gradient.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.inputs.pytree import Flat
from diffmagic.limits.explain import MethodFailure, explain_jax, user_error
from diffmagic.methods import method_key as registry_key
from diffmagic.methods import rows, select_gradient
from diffmagic.methods.central import Differences, central_differences
from diffmagic.methods.coordinate_differences import numerical_gradient
from diffmagic.methods.jax_engine import block
from diffmagic.methods.precision import FIDELITY_RTOL

#: Method keys, in table order, and their labels (the registry's gradient rows).
LABELS = {key: row.label for key, row in rows("gradient").items()}
ALL_METHODS = tuple(LABELS)
#: Forward mode pushes this many tangents at once (vmap of JVPs); more would hold an n x n
#: identity in memory at n = 100,000.
FORWARD_BATCH = 512
#: Warm timing repeats one gradient until this much time is spent (at least one run).
TIMING_BUDGET_S = 0.1


def method_key(name: Any) -> str:
    """The gradient row for any of its names: "jax" and "automatic" mean reverse mode."""
    return registry_key(name, "gradient")


#: The gradient rows asked for, in table order (the one registry's `select_gradient`).
select = select_gradient


@dataclass(frozen=True)
class GradientTiming:
    """What one method's gradient cost, in seconds and in evaluations of f."""

    #: Preparing: SymPy's trace and differentiation, JAX's trace and compile (with its first
    #: call). Zero for central differences, which prepare nothing.
    setup_s: float
    #: One gradient, warm (the median of the runs).
    eval_s: float
    #: Evaluations of f one gradient takes (2n for central differences), None where f is not
    #: evaluated as such (SymPy, JAX).
    f_evals: int | None
    runs: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "setup_s": self.setup_s,
            "eval_s": self.eval_s,
            "f_evals": self.f_evals,
            "runs": self.runs,
        }


@dataclass
class Outcome:
    """A method's gradient (flat, float64) and its cost, before errors are measured."""

    flat_values: np.ndarray
    timing: GradientTiming
    notes: list[str] = field(default_factory=list)
    engine: str = ""
    #: The size of the derivative in the method's own unit, e.g. SymPy's operations.
    work: str | None = None
    #: Central differences' own record: error estimates, where f has corners or jumps.
    differences: Differences | None = None


def warm_seconds(call: Callable[[], Any], budget_s: float = TIMING_BUDGET_S) -> tuple[float, int]:
    """(median seconds of one call, runs): repeated until `budget_s` is spent, 3 to 25 runs,
    or one run when a single call already takes longer than the budget. GC is off meanwhile."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        runs: list[float] = []
        spent = 0.0
        while len(runs) < 25 and (len(runs) < 3 or spent < budget_s):
            started = time.perf_counter()
            block(call())
            runs.append(time.perf_counter() - started)
            spent += runs[-1]
            if runs[0] > budget_s:
                break
        runs.sort()
        return runs[len(runs) // 2], len(runs)
    finally:
        if gc_was_enabled:
            gc.enable()


def close_to(value: float, expected: float, noise: float = 0.0, precision: str = "float64") -> bool:
    """Agreement of two evaluations of the same loss: round-off in a sum of n terms (far more
    when NumPy's f returns float32), and `noise`, NumPy's own round-off of f near the point
    (`central.round_off`: a formula that cancels is far noisier than 1e-9)."""
    if not (math.isfinite(value) and math.isfinite(expected)):
        return value == expected
    rtol = 1e-9 if precision == "float64" else FIDELITY_RTOL.get(precision, 1e-2)
    return abs(value - expected) <= rtol * max(1.0, abs(expected)) + 8 * noise


# ----------------------------------------------------------------------------- numerical


def numerical(function_of_flat: Callable[[np.ndarray], Any], flat: Flat, name: str) -> Outcome:
    """Central differences, timed as one run (it is 2n evaluations of f, and n may be large)."""
    started = time.perf_counter()
    try:
        values = numerical_gradient(function_of_flat, flat)
    except ValueError as error:
        raise MethodFailure(str(error)) from None
    except Exception as error:
        raise MethodFailure(user_error(name, error)) from None
    seconds = time.perf_counter() - started
    if seconds < TIMING_BUDGET_S / 10:
        seconds, runs = warm_seconds(lambda: numerical_gradient(function_of_flat, flat))
    else:
        runs = 1
    return Outcome(
        values,
        GradientTiming(0.0, seconds, 2 * flat.size, runs),
        engine="numpy",
        notes=[f"step eps^(1/3) max(1, |w_i|); {2 * flat.size:,} evaluations of f"],
    )


def central(
    function_of_flat: Callable[[np.ndarray], Any],
    flat: Flat,
    f0: np.ndarray,
    floor: float,
    precision: str = "float64",
) -> Outcome:
    """Central differences at two steps or more per coordinate, with their error estimates
    (`central.central_differences`): the numerical row of a comparison. Timed as one run."""
    from diffmagic.methods.precision import EPSILON

    started = time.perf_counter()
    eps = EPSILON.get(precision, EPSILON["float64"])
    differences = central_differences(function_of_flat, flat.values, f0, floor, eps)
    seconds = time.perf_counter() - started
    worst = float(np.max(differences.error[np.isfinite(differences.error)], initial=0.0))
    notes = [
        f"two steps or more per coordinate (Richardson), {differences.evaluations:,} "
        f"evaluations of f; largest error estimate {worst:.2g}"
    ]
    return Outcome(
        differences.values.reshape(-1),
        GradientTiming(0.0, seconds, differences.evaluations, 1),
        notes=notes,
        engine="numpy",
        differences=differences,
    )


# ----------------------------------------------------------------------------- JAX


def jax_loss(
    function: Callable[..., Any], flat: Flat, params: Mapping[str, Any] | None
) -> Callable[[Any], Any]:
    """f as a JAX function of the flat parameter vector (the user's structure rebuilt inside)."""
    from diffmagic.inputs.rebind import rebind

    twin = rebind(function, "jax")
    fixed = dict(params or {})

    def of_flat(vector: Any) -> Any:
        return twin(flat.unflatten(vector), **fixed)

    return of_flat


def _check_same_loss(
    of_flat: Callable[[Any], Any],
    flat: Flat,
    f_value: float,
    name: str,
    noise: float = 0.0,
    precision: str = "float64",
) -> None:
    """JAX's f(at) against NumPy's: a method that would differentiate another function fails."""
    jax = _jax()
    try:
        value = jax.jit(of_flat)(flat.values)
        value = np.asarray(value, dtype=np.float64)
    except Exception as error:
        raise MethodFailure(explain_jax(name, error)) from None
    if value.size != 1:
        raise MethodFailure(f"{name} returns an array of shape {value.shape} under JAX")
    jax_value = float(value.reshape(-1)[0])
    if not close_to(jax_value, f_value, noise, precision):
        raise MethodFailure(
            f"JAX computes {name}(at) = {jax_value:.17g}, NumPy {f_value:.17g}: it would "
            "differentiate another function (a NumPy-only call, a global changed by f?)"
        )


def _jax() -> Any:
    from diffmagic.methods.jax_engine import jax_module

    return jax_module()


def _timed_jax(compiled: Callable[[Any], Any], flat: Flat) -> tuple[np.ndarray, float, float, int]:
    """(gradient, setup seconds: trace + compile + first call, warm seconds, runs)."""
    jax = _jax()
    on_device = jax.numpy.asarray(flat.values)
    started = time.perf_counter()
    first = block(compiled(on_device))
    setup_s = time.perf_counter() - started
    values = np.asarray(first, dtype=np.float64).reshape(-1)
    eval_s, runs = warm_seconds(lambda: compiled(on_device))
    return values, setup_s, eval_s, runs


def reverse(
    of_flat: Callable[[Any], Any],
    flat: Flat,
    f_value: float,
    name: str,
    noise: float = 0.0,
    precision: str = "float64",
) -> Outcome:
    """`jax.jit(jax.grad(f))`: one reverse sweep, whatever n."""
    from diffmagic.methods.jax_engine import float64

    jax = _jax()
    with float64():
        _check_same_loss(of_flat, flat, f_value, name, noise, precision)
        compiled = jax.jit(jax.grad(of_flat))
        try:
            values, setup_s, eval_s, runs = _timed_jax(compiled, flat)
        except Exception as error:
            raise MethodFailure(explain_jax(name, error)) from None
    return Outcome(values, GradientTiming(setup_s, eval_s, None, runs), engine="jax grad, jit")


def _forward_in_batches(of_flat: Callable[[Any], Any], size: int) -> Callable[[Any], Any]:
    """n JVPs in batches of FORWARD_BATCH tangents (each batch one compiled vmap of JVPs)."""
    jax = _jax()
    jnp = jax.numpy
    batch = FORWARD_BATCH
    count = -(-size // batch)

    @jax.jit
    def one_batch(vector: Any, start: Any) -> Any:
        rows = start + jnp.arange(batch)
        tangents = (rows[:, None] == jnp.arange(size)[None, :]).astype(vector.dtype)
        return jax.vmap(lambda t: jax.jvp(of_flat, (vector,), (t,))[1])(tangents)

    def gradient(vector: Any) -> Any:
        # Each batch waited for before the next is sent: a time limit then lands between two
        # batches, instead of after all of them were queued to XLA (which no limit can reach).
        parts = [block(one_batch(vector, i * batch)) for i in range(count)]
        return jnp.concatenate(parts)[:size]

    return gradient


def forward(
    of_flat: Callable[[Any], Any],
    flat: Flat,
    f_value: float,
    name: str,
    noise: float = 0.0,
    precision: str = "float64",
) -> Outcome:
    """Forward mode: `jax.jit(jax.jacfwd(f))` (n JVPs in one vmap) up to FORWARD_BATCH
    parameters; beyond, the same JVPs FORWARD_BATCH at a time, so memory stays bounded."""
    from diffmagic.methods.jax_engine import float64

    jax = _jax()
    notes = []
    with float64():
        _check_same_loss(of_flat, flat, f_value, name, noise, precision)
        if flat.size <= FORWARD_BATCH:
            compiled = jax.jit(jax.jacfwd(of_flat))
            engine = "jax jacfwd, jit"
        else:
            compiled = _forward_in_batches(of_flat, flat.size)
            engine = f"jax jvp, vmap over {FORWARD_BATCH} tangents, jit"
            notes.append(
                f"{flat.size:,} JVPs, {FORWARD_BATCH} at a time "
                f"({-(-flat.size // FORWARD_BATCH):,} batches)"
            )
        try:
            values, setup_s, eval_s, runs = _timed_jax(compiled, flat)
        except Exception as error:
            raise MethodFailure(explain_jax(name, error)) from None
    return Outcome(values, GradientTiming(setup_s, eval_s, None, runs), notes=notes, engine=engine)
