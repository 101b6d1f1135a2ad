"""Eager automatic differentiation on a tape (Autograd, PyTorch, MyGrad): the shape they share.

An eager engine runs f once on the whole grid, recording each operation on a tape, then walks
the tape backwards. Nothing is traced ahead or compiled, so preparing costs nothing beyond the
engine's import, and every call pays Python's dispatch for each operation (what JAX's `jit`
removes). f runs on the whole array at once, so the derivative at each point is the gradient
of the sum of f's values: right when each value depends on its own x only, which the
engine checks first (f on the whole array against f at single points). Python `if` on x, or a
reduction over data, cannot run on a whole array: then the engine runs point by point, slowly,
and says so.
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


def lost_track(name: str, engine: str) -> MethodFailure:
    """f's result no longer depends on x on the engine's tape, though f's values change with x:
    its derivative would read 0, so the row fails instead."""
    return MethodFailure(
        f"{engine} lost track of x in {name}: it turns x into a plain number or array "
        "(float(), .item(), np.float32, np.asarray...), so the tape records no dependence on x; "
        "keep x an array throughout"
    )


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


#: How many spread-out grid points f on the whole array is checked against f at each alone.
SINGLE_POINT_CHECKS = 5


def _why_not_whole(error: BaseException | None, name: str, engine: str) -> str:
    """Why f could not run on the whole grid at once, in the words of the fallback's note."""
    if error is None:
        return f"{name} does not act point by point on an array of x"
    text = str(error)
    if "truth value of an array" in text or "Boolean value of Tensor" in text:
        return explain_engine(name, error, engine)
    return f"{name} does not accept an array of x ({engine} runs it on the whole grid)"


def _acts_point_by_point(
    function: Callable[[np.ndarray], np.ndarray], probe: np.ndarray, whole: np.ndarray
) -> bool:
    """True when f on the whole array gives f at each point alone (a reduction does not).

    Relative to the values, with a floor far below them (as NumPy's own check): a value that
    rounds to 0 one way and to 1e-17 the other is the same value."""
    finite = whole[np.isfinite(whole)]
    floor = 1e-12 * float(np.max(np.abs(finite))) if finite.size else 0.0
    picks = np.unique(np.linspace(0, probe.size - 1, min(SINGLE_POINT_CHECKS, probe.size)))
    for index in picks.astype(int):
        try:
            alone = float(function(np.float64(probe[index])))
        except Exception:
            return False
        together = float(whole[index])
        if np.isfinite(alone) != np.isfinite(together):
            return False
        if np.isfinite(alone) and abs(alone - together) > 1e-9 * abs(alone) + floor:
            return False
    return True


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
        whole = function(probe)
    except MethodFailure:
        raise
    except Exception as error:
        return _prepare_pointwise(target, probe, tape, started, error)
    if not _acts_point_by_point(function, probe, whole):
        return _prepare_pointwise(target, probe, tape, started, None)

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
    target: Target, probe: np.ndarray, tape: Tape, started: float, error: BaseException | None
) -> Prepared:
    """The engine at each point on its own: slow, but Python `if` on one number works, and a
    reduction over data (`np.sum((x - a)**2)`) sees one x at a time; it fails, in words, when
    f cannot run under the engine at one point either."""
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
    reason = _why_not_whole(error, name, tape.engine)
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
