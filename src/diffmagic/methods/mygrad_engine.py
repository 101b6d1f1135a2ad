"""Automatic differentiation with MyGrad: NumPy's own functions, overloaded, eager, first order.

MyGrad's tensor takes part in NumPy's protocols (`__array_ufunc__`, `__array_function__`), so f
runs exactly as NumPy runs it, with x a `mygrad.Tensor` of the grid; `backward()` then walks the
tape. MyGrad's backward pass is not itself recorded, so it gives first derivatives only. A
NumPy function MyGrad does not overload returns a plain array, which has lost x: that is
refused, never read as a derivative of 0.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.limits.explain import MethodFailure
from diffmagic.methods.base import Prepared, Work, float_array
from diffmagic.methods.tape import Tape, engine_module, lost_track, prepare_tape

KEY = "mygrad"
LABEL = "automatic (MyGrad, eager)"


def _operations(output: Any) -> int:
    """Operations on MyGrad's tape behind `output` (each tensor's `creator`, walked back)."""
    seen: set[int] = set()
    stack = [getattr(output, "creator", None)]
    while stack:
        operation = stack.pop()
        if operation is None or id(operation) in seen:
            continue
        seen.add(id(operation))
        stack.extend(getattr(v, "creator", None) for v in getattr(operation, "variables", ()))
    return len(seen)


def _work(under: Any, mygrad: Any) -> Work:
    """f's operations; the derivative runs them and one backward step for each."""
    recorded = _operations(under(mygrad.tensor(0.5)))
    return Work("graph operations", 2 * recorded, recorded)


def prepare(target: Target, order: int, probe: np.ndarray, engine: str = "mygrad") -> Prepared:
    mygrad = engine_module("mygrad")
    if order > 1:
        raise MethodFailure(
            "MyGrad gives first derivatives only (its backward pass is not recorded): "
            "use autograd, torch or automatic for higher orders"
        )
    started = time.perf_counter()
    under = target.under("numpy")
    name = target.name

    def derivative(x: np.ndarray) -> np.ndarray:
        leaf = mygrad.tensor(x)
        out = under(leaf)
        if not isinstance(out, mygrad.Tensor):
            values = float_array(out, np.asarray(x), name)
            if np.ptp(values[np.isfinite(values)], initial=0.0) != 0.0:
                raise lost_track(name, "MyGrad")
            return np.zeros_like(np.asarray(x, dtype=np.float64))
        out.backward()
        gradient = leaf.grad
        return np.zeros(np.shape(x)) if gradient is None else np.asarray(gradient)

    def function(x: np.ndarray) -> Any:
        out = under(mygrad.tensor(x))
        return np.asarray(out.data if isinstance(out, mygrad.Tensor) else out)

    tape = Tape(
        engine="MyGrad",
        description="mygrad backward, eager",
        to_engine=lambda x: np.array(x, dtype=np.float64),
        to_numpy=np.asarray,
        function=function,
        derivative=derivative,
        work=lambda: _work(under, mygrad),
    )
    return prepare_tape(target, probe, tape, started)
