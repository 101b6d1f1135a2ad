"""The PyTorch backend: NumPy's names answered by `torch`, so a NumPy function runs on tensors.

PyTorch is imported on first use, never when this module is imported (it takes seconds).
NumPy's functions take Python numbers and arrays where PyTorch's want tensors (`np.sqrt(2)`,
`np.maximum(x, 0)`), so every function here turns its plain-number arguments into float64
tensors first; the spellings PyTorch lacks (`power`, `mod`, `cbrt`) are its own equivalents.
"""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.inputs.backends.namespace import Namespace
from diffmagic.inputs.backends.pointwise import (
    AXIS_CHECKED_REDUCTIONS,
    math_spellings,
    pointwise_max_min,
    refusing_axis_on_scalars,
)

#: NumPy names whose PyTorch function has the same name and meaning, point by point.
SAME_NAMES = [
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "square",
    "abs",
    "absolute",
    "sign",
    "floor",
    "ceil",
    "trunc",
    "round",
    "maximum",
    "minimum",
    "hypot",
    "logaddexp",
    "sinc",
    "deg2rad",
    "rad2deg",
    "remainder",
    "fmod",
    "reciprocal",
    "float_power",
    "isfinite",
    "isnan",
    "isinf",
]


def _tensor(torch: Any, value: Any) -> Any:
    """`value` as a tensor: a tensor as it is, numbers and arrays as float64 (bool kept)."""
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype == np.bool_:
        return torch.as_tensor(array)
    if array.dtype.kind == "f" and array.dtype.itemsize < 8:
        return torch.as_tensor(array)
    return torch.as_tensor(array.astype(np.float64))


def _on_tensors(torch: Any, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        return function(*(_tensor(torch, arg) for arg in args), **kwargs)

    return call


def _reductions(torch: Any) -> dict[str, Any]:
    """NumPy's reductions: over a list of values too, and `max`/`min` without indices."""

    def whole(reduce: Callable[..., Any]) -> Callable[..., Any]:
        def reduction(values: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(values, list | tuple):
                values = torch.stack([_tensor(torch, value) for value in values])
            if "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            return reduce(_tensor(torch, values), *args, **kwargs)

        return reduction

    table = {
        "sum": whole(torch.sum),
        "prod": whole(torch.prod),
        "mean": whole(torch.mean),
        "max": whole(torch.amax),
        "min": whole(torch.amin),
        "amax": whole(torch.amax),
        "amin": whole(torch.amin),
    }
    for name in AXIS_CHECKED_REDUCTIONS:
        table[name] = refusing_axis_on_scalars(name, table[name])
    return table


@functools.cache
def torch_namespace() -> Namespace:
    """NumPy's names for PyTorch's functions, taking numbers as NumPy's do."""
    import torch

    def on_tensors(function: Callable[..., Any]) -> Callable[..., Any]:
        return _on_tensors(torch, function)

    same = {name: on_tensors(getattr(torch, name)) for name in SAME_NAMES}
    power = on_tensors(torch.pow)

    def cbrt(value: Any) -> Any:
        value = _tensor(torch, value)
        return torch.sign(value) * torch.abs(value) ** (1.0 / 3.0)

    def heaviside(value: Any, at_zero: Any = 0.5) -> Any:
        value = _tensor(torch, value)
        return torch.heaviside(value, _tensor(torch, at_zero).to(value.dtype))

    def where(condition: Any, if_true: Any, if_false: Any) -> Any:
        return torch.where(*(_tensor(torch, arg) for arg in (condition, if_true, if_false)))

    table = {
        **same,
        **math_spellings(types.SimpleNamespace(**same, power=power)),
        **_reductions(torch),
        "power": power,
        "pow": power,
        "mod": on_tensors(torch.remainder),
        "fabs": same["abs"],
        "ln": same["log"],
        "rint": same["round"],
        "cbrt": cbrt,
        "where": where,
        "clip": on_tensors(torch.clamp),
        "heaviside": heaviside,
        "relu": on_tensors(torch.relu),
        "sigmoid": on_tensors(torch.sigmoid),
        "softplus": on_tensors(torch.nn.functional.softplus),
        "float64": lambda value: _tensor(torch, value).to(torch.float64),
        "float32": lambda value: _tensor(torch, value).to(torch.float32),
        "asarray": lambda value, *args, **kwargs: _tensor(torch, value),
        "array": lambda value, *args, **kwargs: _tensor(torch, value),
    }
    return Namespace("torch", table, torch, math)


def torch_builtins() -> dict[str, Any]:
    """Python's `max`/`min`, pointwise over tensors with numbers among the values."""
    same = torch_namespace()
    return pointwise_max_min(types.SimpleNamespace(maximum=same.maximum, minimum=same.minimum))
