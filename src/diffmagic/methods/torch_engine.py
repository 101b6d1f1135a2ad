"""Automatic differentiation with PyTorch, eager: autograd on a float64 tensor of the grid.

f runs unchanged with `np` bound to PyTorch's functions under NumPy's names (names rebound,
never text rewritten), on a tensor of every point at once; `torch.autograd.grad` of the sum of
its values gives the derivative at each point, and `create_graph` lets `order` nest it. PyTorch
is imported when a torch row runs, never when diffmagic is.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.limits.explain import MethodFailure
from diffmagic.methods.base import Prepared, Work, float_array
from diffmagic.methods.tape import Tape, engine_module, lost_track, prepare_tape

KEY = "torch"
LABEL = "automatic (PyTorch, eager)"


def _graph_size(output: Any) -> int:
    """Operations in the autograd graph that computed `output` (its `grad_fn` chain)."""
    seen: set[int] = set()
    stack = [getattr(output, "grad_fn", None)]
    count = 0
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if type(node).__name__ != "AccumulateGrad":
            count += 1
        stack.extend(parent for parent, _ in node.next_functions)
    return count


def prepare(target: Target, order: int, probe: np.ndarray, engine: str = "torch") -> Prepared:
    torch = engine_module("torch")
    started = time.perf_counter()
    under = target.under("torch")
    name = target.name

    def values(x: Any) -> Any:
        """f on a tensor of x, as a real floating tensor (a constant f gives a number)."""
        out = under(x)
        if not isinstance(out, torch.Tensor):
            return torch.as_tensor(float_array(out, np.empty(tuple(x.shape)), name))
        if out.is_complex():
            raise MethodFailure(f"{name} returns complex numbers: differentiate its real part")
        return out if out.is_floating_point() else out.to(torch.float64)

    def varies(leaf: Any) -> bool:
        """True when f changes with x (its values at x and at x + 1/2 differ somewhere)."""
        with torch.no_grad():
            here, there = values(leaf.detach()), values(leaf.detach() + 0.5)
            finite = torch.isfinite(here) & torch.isfinite(there)
            return bool(torch.any((here != there) & finite))

    def derivative(x: Any, keep_graph: bool = False) -> Any:
        with torch.enable_grad():
            leaf = x.detach().requires_grad_(True)
            current = values(leaf)
            if not current.requires_grad and varies(leaf):
                raise lost_track(name, "PyTorch")
            for step in range(order):
                if not current.requires_grad:
                    return torch.zeros_like(leaf)
                (current,) = torch.autograd.grad(
                    current.sum(),
                    leaf,
                    create_graph=keep_graph or step < order - 1,
                    allow_unused=True,
                )
                if current is None:
                    return torch.zeros_like(leaf)
        return current if keep_graph else current.detach()

    def work() -> Work:
        one = torch.tensor(0.5, dtype=torch.float64)
        with torch.enable_grad():
            f_size = _graph_size(values(one.clone().requires_grad_(True)))
        return Work("graph operations", _graph_size(derivative(one, keep_graph=True)), f_size)

    tape = Tape(
        engine="PyTorch",
        description="torch autograd, eager",
        to_engine=lambda x: torch.from_numpy(np.array(x, dtype=np.float64)),
        to_numpy=lambda out: out.detach().numpy() if isinstance(out, torch.Tensor) else out,
        function=lambda x: values(x),
        derivative=derivative,
        work=work,
    )
    return prepare_tape(target, probe, tape, started)
