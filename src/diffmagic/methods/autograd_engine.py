"""Automatic differentiation with HIPS Autograd: `elementwise_grad`, eager, on NumPy arrays.

Autograd is the library the course names first: it wraps NumPy's functions so that running f
records a tape, and `elementwise_grad` walks it backwards for every point of the grid at once;
`order` nests it. f runs unchanged with `np` bound to `autograd.numpy` (names rebound, never
text rewritten).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.methods.base import Prepared, Work
from diffmagic.methods.tape import Tape, engine_module, prepare_tape

KEY = "autograd"
LABEL = "automatic (Autograd, eager)"


def _tape_size(function: Callable[[Any], Any]) -> int:
    """Operations Autograd records when `function` runs at one point (a derivative's include
    the backward pass that computes it)."""
    from autograd.tracer import Node, trace

    recorded: list[object] = []

    class Counted(Node):  # type: ignore[misc]
        def __init__(self, value: Any, fun: Any, *rest: Any) -> None:
            recorded.append(fun)

        def initialize_root(self, *args: Any, **kwargs: Any) -> None:
            pass

    trace(Counted.new_root(), function, np.float64(0.5))
    return len(recorded)


def prepare(target: Target, order: int, probe: np.ndarray, engine: str = "autograd") -> Prepared:
    autograd = engine_module("autograd")
    started = time.perf_counter()
    function = target.under("autograd")
    nth = function
    for _ in range(order):
        nth = autograd.elementwise_grad(nth)
    tape = Tape(
        engine="Autograd",
        description="autograd elementwise_grad, eager",
        to_engine=lambda x: np.array(x, dtype=np.float64),
        to_numpy=np.asarray,
        function=function,
        derivative=nth,
        work=lambda: Work("recorded operations", _tape_size(nth), _tape_size(function)),
    )
    return prepare_tape(target, probe, tape, started)
