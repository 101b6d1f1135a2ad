"""f's gradient compiled once by JAX, and reused by every later check of the same f.

A test suite calls `assert_gradient` many times on the same loss; tracing and compiling it
each time would cost more than the check itself. The compiled program is kept under a key made
of what it depends on: f's code, every name it reads and their values, its closures and
defaults (`diffmagic.running.cache.fingerprint`, never the object's `id`, so a loss whose data
changed compiles again), and the structure and shapes of the parameters. What cannot be
fingerprinted is compiled every time, never reused by mistake.

`STATS` counts the traces JAX really made: the tests count reuse instead of timing it.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.inputs.pytree import Flat
from diffmagic.inputs.target import Target
from diffmagic.limits.explain import explain_jax, where
from diffmagic.limits.guard import Failure
from diffmagic.running.cache import clears_with_the_cache, fingerprint

#: Compiled programs kept (least recently used dropped first), and the bytes of the arrays
#: their functions read that they may keep alive in all.
CAPACITY = 32
MAX_BYTES = 256 << 20
#: What one entry counts as at least (the compiled program itself).
ENTRY_BYTES = 256 << 10


@dataclass
class Stats:
    """How often f was traced by JAX (each trace is what compiling costs) and built."""

    traces: int = 0
    builds: int = 0


STATS = Stats()


@dataclass
class Program:
    """f's value and gradient in float64 as one compiled JAX program, on NumPy arrays."""

    value_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]]
    #: Why JAX must not judge this f (it uses a custom_vjp / custom_jvp rule), or None.
    custom_rule: str | None
    #: f of the flat vector as JAX traces it; `of_flat(narrow=True)` rebinds f anew.
    of_flat: Callable[..., Any] = field(repr=False, default=lambda narrow=False: None)
    #: The gradient compiled in float32 / float16, built on first use.
    _narrow: dict[str, Callable[[np.ndarray], np.ndarray]] = field(default_factory=dict, repr=False)

    def gradient(self, vector: np.ndarray) -> np.ndarray:
        return self.value_and_grad(vector)[1]

    def narrow_gradient(self, vector: np.ndarray, dtype: str) -> np.ndarray:
        """JAX's gradient computed in `dtype` ("float32", "float16") at `vector`, as float64."""
        from diffmagic.methods.jax_engine import jax_module

        jax = jax_module()
        with jax.enable_x64(False):
            if dtype not in self._narrow:
                self._narrow[dtype] = jax.jit(jax.grad(self.of_flat(narrow=True)))
            values = self._narrow[dtype](jax.numpy.asarray(vector, dtype=dtype))
        return np.asarray(values, dtype=np.float64)


def _rule_of_the_user(equation: Any) -> bool:
    """Is this custom_vjp / custom_jvp call's rule written outside JAX (the user's own)?

    JAX's own rules (`jax.nn.relu` is a custom_jvp) are tested by JAX and may judge; a rule
    whose source cannot be told is taken as the user's."""
    import jax

    call = equation.params.get("call_jaxpr")
    info = getattr(getattr(call, "jaxpr", call), "debug_info", None)
    source = getattr(info, "func_src_info", None) or ""
    package = os.path.dirname(jax.__file__) + os.sep
    return package not in source


def _uses_custom_rule(jaxpr: Any) -> bool:
    """Does the trace contain a custom_vjp / custom_jvp call of the user's, at any depth?"""
    for equation in jaxpr.eqns:
        if "custom" in equation.primitive.name and _rule_of_the_user(equation):
            return True
        for parameter in equation.params.values():
            # A sub-program (pjit, scan), or a tuple of them (cond's branches).
            for item in parameter if isinstance(parameter, tuple | list) else (parameter,):
                inner = getattr(item, "jaxpr", item)
                if hasattr(inner, "eqns") and _uses_custom_rule(inner):
                    return True
    return False


def _build(function: Callable[..., Any], flat: Flat) -> Program | Failure:
    """Trace f once with JAX (its value and gradient), look for custom rules in the trace,
    compile it ahead of time."""
    from diffmagic.inputs.rebind import rebind
    from diffmagic.methods.jax_engine import float64, jax_module

    jax = jax_module()
    twin = rebind(function, "jax")
    STATS.builds += 1

    def of_flat(vector: Any) -> Any:
        STATS.traces += 1  # this body runs only while JAX traces
        return jax.numpy.reshape(twin(flat.unflatten(vector)), ())

    with float64():
        x = jax.numpy.asarray(flat.values)
        try:
            # The trace of value-and-gradient, not of f alone: tracing f by itself in float64
            # makes JAX keep the arrays f reads as float64 constants for later float32 traces.
            traced = jax.jit(jax.value_and_grad(of_flat)).trace(x)
            custom = _uses_custom_rule(traced.jaxpr.jaxpr)
            program = traced.lower().compile()
        except Exception as error:
            return Failure(f"JAX cannot follow f: {_jax_reason(error)}")

    def value_and_grad(vector: np.ndarray) -> tuple[float, np.ndarray]:
        # NumPy in and out: jnp.asarray and float() of a JAX scalar each cost more than the
        # compiled program does at small n.
        with float64():
            value, gradient = program(np.asarray(vector, dtype=np.float64))
        return float(np.asarray(value)), np.asarray(gradient, dtype=np.float64)

    def rebound(narrow: bool = False) -> Callable[[Any], Any]:
        """f of the flat vector; rebound anew for a narrow width."""
        if not narrow:
            return of_flat
        fresh = rebind(function, "jax")
        return lambda vector: jax.numpy.reshape(fresh(flat.unflatten(vector)), ())

    rule = None
    if custom:
        rule = (
            "f uses a custom_vjp/custom_jvp rule, so JAX's gradient would check the rule "
            "against itself"
        )
    return Program(value_and_grad, rule, rebound)


def _jax_reason(error: BaseException) -> str:
    """Why JAX could not trace f, in words (a float() on a parameter is not a branch)."""
    text = str(error)
    if type(error).__name__ == "ConcretizationTypeError" and (
        "`float` function" in text or "`int` function" in text
    ):
        return (
            f"turns the variable into a Python number (float(), int()){where(error)}: JAX needs "
            "it to stay an array"
        )
    return explain_jax("f", error)


def _skeleton(value: Any) -> Hashable:
    """The containers of `at` (dict keys, list or tuple, nesting) without the numbers."""
    if isinstance(value, Mapping):
        return ("dict", tuple((repr(key), _skeleton(child)) for key, child in value.items()))
    if isinstance(value, list | tuple) and not all(
        isinstance(item, int | float | np.number) for item in value
    ):
        return (type(value).__name__, tuple(_skeleton(child) for child in value))
    return "leaf"


class ProgramCache:
    """Compiled programs by what they depend on, least recently used dropped first."""

    def __init__(self, capacity: int = CAPACITY, max_bytes: int = MAX_BYTES) -> None:
        self.capacity, self.max_bytes, self.bytes = capacity, max_bytes, 0
        self._entries: collections.OrderedDict[Hashable, tuple[Program | Failure, int]] = (
            collections.OrderedDict()
        )

    def get(self, function: Callable[..., Any], flat: Flat) -> Program | Failure:
        """The compiled program of f for points shaped like `flat`, or why JAX cannot give one."""
        target = Target(function=function, name="f", parameters=("w",), wrt="w")
        printed = fingerprint(target)
        if printed is None:
            return _build(function, flat)
        shapes = tuple((leaf.path, leaf.shape) for leaf in flat.leaves)
        key = (printed[0], shapes, _skeleton(flat.at))
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key][0]
        program = _build(function, flat)
        size = ENTRY_BYTES + printed[1]
        self._entries[key] = (program, size)
        self.bytes += size
        while self._entries and (len(self._entries) > self.capacity or self.bytes > self.max_bytes):
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped
        return program

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0


PROGRAMS = ProgramCache()
clears_with_the_cache(PROGRAMS.clear)


def compiled(function: Callable[..., Any], flat: Flat) -> Program | Failure:
    """f's compiled value-and-gradient (from the cache when f and the shapes are unchanged),
    or why JAX cannot give it in one line (not installed, f cannot be traced)."""
    try:
        from diffmagic.methods.jax_engine import jax_module

        jax_module()
    except ImportError:
        return Failure("JAX is not installed")
    return PROGRAMS.get(function, flat)
