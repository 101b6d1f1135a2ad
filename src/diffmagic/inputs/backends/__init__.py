"""The worlds one function runs in: SymPy, NumPy, JAX, and the eager engines Autograd and PyTorch.

A learner's function names its maths through `np`, `jnp`, `math` or bare `sin`. diffmagic never
rewrites that text: it runs the same code object with those names bound to a backend namespace,
so `np.sin` means `sympy.sin` while tracing symbolically and `jax.numpy.sin` under `grad`.

Each backend is a module-like `Namespace` (`namespace`) built in a module of its own:
`numpy_backend`, `jax_backend`, `sympy_backend`, `autograd_backend` and `torch_backend` (each
library but NumPy imported on first use); the meanings they share (Python's `max`/`min`
pointwise, `heaviside` at 0, a reduction along an axis of one number refused) are in
`pointwise`. This module chooses among them, and tells which of the user's values are maths
that a backend replaces.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from diffmagic.inputs.backends.autograd_backend import autograd_builtins, autograd_namespace
from diffmagic.inputs.backends.jax_backend import jax_builtins, jax_namespace
from diffmagic.inputs.backends.namespace import Namespace
from diffmagic.inputs.backends.numpy_backend import numpy_builtins, numpy_namespace
from diffmagic.inputs.backends.pointwise import ScalarReductionError
from diffmagic.inputs.backends.sympy_backend import sympy_builtins, sympy_namespace
from diffmagic.inputs.backends.torch_backend import torch_builtins, torch_namespace

__all__ = [
    "MATH_MODULE_NAMES",
    "Namespace",
    "ScalarReductionError",
    "builtins_for",
    "is_math_function",
    "is_math_module",
    "jax_builtins",
    "jax_namespace",
    "namespace_for",
    "numpy_builtins",
    "numpy_namespace",
    "sympy_builtins",
    "sympy_namespace",
]

#: Module names whose functions and constants diffmagic knows how to replace.
MATH_MODULE_NAMES = frozenset({"numpy", "jax.numpy", "math", "cmath", "sympy"})


_NAMESPACES = {
    "sympy": sympy_namespace,
    "numpy": numpy_namespace,
    "jax": jax_namespace,
    "autograd": autograd_namespace,
    "torch": torch_namespace,
}
_BUILTINS = {
    "sympy": sympy_builtins,
    "numpy": numpy_builtins,
    "jax": jax_builtins,
    "autograd": autograd_builtins,
    "torch": torch_builtins,
}


def namespace_for(backend: str) -> Namespace:
    return _NAMESPACES[backend]()


def builtins_for(backend: str) -> dict[str, Any]:
    return _BUILTINS[backend]()


def is_math_module(value: Any) -> bool:
    return isinstance(value, types.ModuleType) and value.__name__ in MATH_MODULE_NAMES


def is_math_function(value: Any) -> bool:
    """True for `sin` imported from numpy, math or jax.numpy (by `from numpy import *`)."""
    if isinstance(value, np.ufunc):
        return True
    module = getattr(value, "__module__", None) or ""
    return callable(value) and (
        module in MATH_MODULE_NAMES or module.startswith(("numpy", "jax.numpy", "jax._src.numpy"))
    )
