"""A loss written with PyTorch, seen as a NumPy function: tensors in, a 0-d tensor out.

The gradient check needs f's values at points it chooses, as NumPy numbers; a PyTorch loss takes
a tensor (or a dict of tensors, as `model.named_parameters()` gives) and returns a 0-d tensor.
`TorchAsNumpy` turns every NumPy array it is given into a float tensor of the same width and
every tensor f returns into a NumPy array, so the check runs unchanged. It is a callable object,
not a function: names are rebound only in Python functions, so JAX and SymPy meet it as it is,
and it says in one line that they cannot trace it (the check then measures the gradient
against differences of f's own values, which owe nothing to PyTorch's autograd).
PyTorch is never imported here: a loss is PyTorch's when the names it reads hold PyTorch.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.inputs.rebind import names_read


def written_with_torch(function: Any) -> bool:
    """True when f reads the `torch` module (or `torch.nn.functional`...) by one of its names."""
    torch = sys.modules.get("torch")
    code = getattr(function, "__code__", None)
    if torch is None or code is None:
        return False
    globals_ = getattr(function, "__globals__", {})
    values = [globals_.get(name) for name in set(names_read(code))]
    values += [cell.cell_contents for cell in (getattr(function, "__closure__", None) or ())]
    return any(
        isinstance(value, types.ModuleType) and value.__name__.split(".")[0] == "torch"
        for value in values
    )


def to_torch(value: Any, like: Any = None) -> Any:
    """NumPy arrays and numbers as tensors, in any nesting: of the type of the tensor at the same
    place in `like` (the parameters the check was given: a float32 model stays float32), else
    float32 kept and anything else float64."""
    torch = sys.modules["torch"]
    if isinstance(value, dict):
        mapping = like if isinstance(like, dict) else {}
        return {key: to_torch(item, mapping.get(key)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        places = like if isinstance(like, list | tuple) and len(like) == len(value) else ()
        return type(value)(
            to_torch(item, places[index] if places else None) for index, item in enumerate(value)
        )
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype != np.float32:
        array = array.astype(np.float64)
    tensor = torch.from_numpy(np.array(array, copy=True))
    return tensor.to(like.dtype) if isinstance(like, torch.Tensor) else tensor


def to_numpy(value: Any) -> Any:
    """Tensors as NumPy arrays of their own width, in any nesting; anything else unchanged."""
    torch = sys.modules["torch"]
    if isinstance(value, dict):
        return {key: to_numpy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(to_numpy(item) for item in value)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


#: Why a float32 PyTorch loss is refused: the reference would be differences of float32 values.
SINGLE_PRECISION = (
    "{name} is a float32 PyTorch model: JAX and SymPy cannot trace it, so the reference would "
    "be differences of float32 values, too noisy to judge a float32 gradient; check it in "
    "float64 (model.double(), and the parameters as float64 tensors)"
)


def single_precision(value: Any) -> bool:
    """True when any tensor among the parameters is float32 or narrower."""
    torch = sys.modules["torch"]
    if isinstance(value, dict):
        return any(single_precision(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(single_precision(item) for item in value)
    return (
        isinstance(value, torch.Tensor) and value.is_floating_point() and value.element_size() < 8
    )


class TorchAsNumpy:
    """A PyTorch function called with NumPy values, answering NumPy values."""

    def __init__(self, function: Callable[..., Any], name: str, like: Any = None) -> None:
        self.function = function
        self.__name__ = name
        #: The parameters as the user gave them (tensors keep their float width).
        self.like = like

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if not _is_numeric(value):
                raise TypeError(
                    f"{self.__name__} is written with PyTorch, which only NumPy values reach: "
                    "JAX and SymPy cannot trace it"
                )
        first, *rest = args if args else (None,)
        tensors = [to_torch(first, self.like), *to_torch(rest)] if args else []
        return to_numpy(self.function(*tensors, **to_torch(kwargs)))


def _is_numeric(value: Any) -> bool:
    """NumPy arrays, numbers and tensors, in any nesting (a JAX tracer or a SymPy symbol is
    not)."""
    if isinstance(value, dict):
        return all(_is_numeric(item) for item in value.values())
    if isinstance(value, list | tuple):
        return all(_is_numeric(item) for item in value)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return True
    if isinstance(value, np.ndarray | np.generic):
        return value.dtype.kind in "biuf"
    return isinstance(value, int | float)
