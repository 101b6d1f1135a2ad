"""Eager automatic differentiation on a tape (Autograd, PyTorch, MyGrad): the shape they share.

An eager engine runs f once on the whole grid, recording each operation on a tape, then walks
the tape backwards. Nothing is traced ahead or compiled, so preparing costs nothing beyond the
engine's import, and every call pays Python's dispatch for each operation (what JAX's `jit`
removes). f runs on the whole array at once, so the derivative at each point is the gradient
of the sum of f's values: right when each value depends on its own x only, which the
comparison checks first (this engine's f against NumPy's, point by point). Python `if` on x
cannot run on a whole array: then the engine runs point by point, slowly, and says so.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.limits.engine_explain import explain_engine
from diffmagic.limits.explain import MethodFailure
from diffmagic.methods.base import Prepared, Work, float_array, precision_of

#: Each eager engine: the module it needs, its name, and the extra that installs it.
ENGINES: dict[str, tuple[str, str]] = {
    "autograd": ("autograd", "Autograd"),
    "torch": ("torch", "PyTorch"),
    "mygrad": ("mygrad", "MyGrad"),
}


def install_line(engine: str) -> str:
    """One line naming the missing package and the command that installs it."""
    _, shown = ENGINES[engine]
    return (
        f"{shown} is not installed, so the {engine} row cannot run: "
        f'pip install "diffmagic[{engine}]"'
    )


def missing(engine: str) -> str | None:
    """The install line when `engine`'s package cannot be imported here, else None (the
    package is looked up, not imported: importing PyTorch takes seconds)."""
    if engine not in ENGINES:
        return None
    try:
        found = importlib.util.find_spec(ENGINES[engine][0]) is not None
    except (ImportError, ValueError):
        found = False
    return None if found else install_line(engine)


def engine_module(engine: str) -> ModuleType:
    """`engine`'s package, imported; MethodFailure with the install line when it is missing."""
    reason = missing(engine)
    if reason is not None:
        raise MethodFailure(reason)
    try:
        return importlib.import_module(ENGINES[engine][0])
    except ImportError:
        raise MethodFailure(install_line(engine)) from None


@dataclass(frozen=True)
class Tape:
    """One engine's calls on its own arrays, and how arrays cross to it and back."""

    #: The engine's name as a learner knows it ("PyTorch").
    engine: str
    #: How the derivative was computed, shown in the row ("torch autograd, eager").
    description: str
    to_engine: Callable[[np.ndarray], Any]
    to_numpy: Callable[[Any], np.ndarray]
    #: f on the engine's array of x.
    function: Callable[[Any], Any]
    #: The derivative asked for, on the engine's array of x.
    derivative: Callable[[Any], Any]
    #: The work column (the tape's size at one point), or None when it cannot be counted.
    work: Callable[[], Work | None] = lambda: None


def _is_control_flow(error: BaseException) -> bool:
    text = str(error)
    return "truth value of an array" in text or "Boolean value of Tensor" in text


def _on_numpy(tape: Tape, call: Callable[[Any], Any], name: str) -> Callable[[np.ndarray], Any]:
    def evaluate(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float_array(tape.to_numpy(call(tape.to_engine(x))), x, name)

    return evaluate


def prepare_tape(target: Target, probe: np.ndarray, tape: Tape, started: float) -> Prepared:
    """The engine's derivative on whole arrays, or point by point when f branches on x."""
    name = target.name
    derivative = _on_numpy(tape, tape.derivative, f"{tape.engine}'s {name}'")
    function = _on_numpy(tape, tape.function, name)
    try:
        derivative(probe)
        precision = precision_of(tape.to_numpy(tape.function(tape.to_engine(probe))))
    except MethodFailure:
        raise
    except Exception as error:
        if not _is_control_flow(error):
            raise MethodFailure(explain_engine(name, error, tape.engine)) from None
        return _prepare_pointwise(target, probe, tape, started, error)

    def timed_call(x: np.ndarray) -> Callable[[], Any]:
        on_engine = tape.to_engine(np.asarray(x, dtype=np.float64))
        return lambda: tape.derivative(on_engine)

    return Prepared(
        derivative=derivative,
        setup_s=time.perf_counter() - started,
        engine=tape.description,
        function=function,
        timed_call=timed_call,
        work=_work(tape),
        precision=precision,
    )


def _work(tape: Tape) -> Work | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return tape.work()
    except Exception:
        return None


def _prepare_pointwise(
    target: Target, probe: np.ndarray, tape: Tape, started: float, error: BaseException
) -> Prepared:
    """The engine at each point on its own: slow, but Python `if` on one number works."""
    name = target.name

    def at_each(call: Callable[[Any], Any]) -> Callable[[np.ndarray], np.ndarray]:
        one = _on_numpy(tape, call, name)

        def at_point(value: float) -> float:
            try:
                return float(one(np.float64(value)))
            except MethodFailure:
                raise
            except Exception:
                return float("nan")

        def over(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=np.float64)
            flat = np.fromiter((at_point(float(v)) for v in x.ravel()), np.float64, x.size)
            return flat.reshape(x.shape)

        return over

    pointwise = at_each(tape.derivative)
    first = pointwise(probe[:3])
    if probe.size and np.all(np.isnan(first)):
        try:
            _on_numpy(tape, tape.derivative, name)(np.float64(probe[0]))
        except MethodFailure:
            raise
        except Exception as at_one:
            raise MethodFailure(explain_engine(name, at_one, tape.engine)) from None
    reason = explain_engine(name, error, tape.engine)
    return Prepared(
        derivative=pointwise,
        setup_s=time.perf_counter() - started,
        engine=f"{tape.description}, point by point",
        function=at_each(tape.function),
        notes=(f"fallback: {reason}; so it ran point by point (slow)",),
        timed_call=lambda x: lambda: pointwise(x),
        pointwise=True,
        work=_work(tape),
    )
