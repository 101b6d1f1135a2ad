"""SymPy's own names in f, read by each backend: `from sympy import *` read like NumPy's import.

After `from sympy import *` a learner's `exp(-2*x) + 3*sin(3*x)` calls SymPy's `exp` and `sin`,
which turn NumPy's numbers into SymPy objects and fail on arrays. As with NumPy's names,
diffmagic never rewrites the text: under NumPy and JAX each SymPy function f reads is rebound
to the backend's function of the same meaning (`Abs` is abs, `Max(a, b, c)` the largest at each
point, `log(x, 2)` keeps its base, `sinc` stays SymPy's unnormalised one) and each SymPy number
(`pi`, `E`, `Rational(1, 3)`) to its float. A SymPy function with no counterpart of the same
meaning is refused by name when f calls it, never left to fail inside SymPy. Under SymPy the
names keep their meaning (read entry by entry over arrays of symbols where the backend can).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from diffmagic.inputs.backends.namespace import Namespace
from diffmagic.limits.explain import RefusedInF

#: SymPy's functions whose meaning every backend shares: SymPy's name, then the vocabulary's.
SYMPY_SPELLINGS: dict[str, str] = {
    **{name: name for name in ("sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "sqrt")},
    **{name: name for name in ("sign", "floor")},
    **{f"a{name}": f"arc{name}" for name in ("sin", "cos", "tan", "sinh", "cosh", "tanh")},
    "atan2": "arctan2",
    "ceiling": "ceil",
    "Abs": "abs",
    "Heaviside": "heaviside",
}

#: SymPy's names spelt unlike NumPy's, which the SymPy backend answers as SymPy does.
SYMPY_OWN_NAMES = ("Abs", "ceiling", "Heaviside", "Max", "Min", "E", "oo")

#: The names SymPy's backend answers with SymPy's own meaning (over arrays of symbols too).
_SAME_UNDER_SYMPY = {**SYMPY_SPELLINGS, **{name: name for name in SYMPY_OWN_NAMES}, "log": "log"}

#: SymPy's number classes, which f may call for an exact constant (`Rational(1, 3)`).
_NUMBER_CLASSES = ("Rational", "Integer", "Float")

_BACKEND_LABELS = {"numpy": "NumPy", "jax": "JAX"}


def _module_of(value: Any) -> str:
    module = getattr(value, "__module__", None)
    return module if isinstance(module, str) else type(value).__module__


def is_sympy_value(value: Any) -> bool:
    """True for anything SymPy made: its functions, numbers, symbols and expressions."""
    module = _module_of(value)
    return module == "sympy" or module.startswith("sympy.")


def is_sympy_module(value: Any) -> bool:
    return isinstance(value, types.ModuleType) and value.__name__ == "sympy"


def _is_sympy_function(value: Any) -> bool:
    """SymPy's mathematical functions (`exp`, `Abs`, `sqrt`, `gamma`), not its tools (`diff`,
    `symbols`, `lambdify`), which keep their meaning under every backend."""
    if not callable(value):
        return False
    return _module_of(value).startswith("sympy.functions") or (
        isinstance(value, type) and value.__name__ in _NUMBER_CLASSES
    )


def _refused(name: str, backend: str) -> Callable[..., Any]:
    label = _BACKEND_LABELS.get(backend, backend)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RefusedInF(
            f"SymPy's `{name}` has no {label} counterpart diffmagic knows: write it with "
            "NumPy's functions (np.exp, np.sin, np.where, ...), which every method can run"
        )

    refuse.__name__ = name
    return refuse


def _differently_called(namespace: Namespace, builtins: dict[str, Any]) -> dict[str, Any]:
    """SymPy's functions called unlike the backend's of the same name, or with no such name:
    `Max` of any number of values, `log` with a base, SymPy's unnormalised `sinc`."""
    log, sin, cos = namespace.log, namespace.sin, namespace.cos

    def log_with_base(value: Any, base: Any = None) -> Any:
        return log(value) if base is None else log(value) / log(base)

    return {
        "Max": builtins["max"],
        "Min": builtins["min"],
        "log": log_with_base,
        "sinc": lambda value: namespace.sinc(value / namespace.pi),
        "sec": lambda value: 1 / cos(value),
        "csc": lambda value: 1 / sin(value),
        "cot": lambda value: cos(value) / sin(value),
        "Rational": lambda numerator, denominator=1: numerator / denominator,
        "Integer": int,
        "Float": float,
    }


class SympyReading:
    """What SymPy's names in f mean under one backend (its namespace and builtins given)."""

    def __init__(self, backend: str, namespace: Namespace, builtins: dict[str, Any]) -> None:
        self.backend = backend
        self.namespace = namespace
        self._called = {} if backend == "sympy" else _differently_called(namespace, builtins)

    def value(self, original: Any) -> Any:
        """The backend's counterpart of a SymPy function or number; `original` itself for the
        rest of SymPy (a Symbol, `diff`) and, under SymPy, for what the backend lacks."""
        if _is_sympy_function(original):
            return self._function(original)
        if self.backend == "sympy" or callable(original) or not getattr(original, "is_number", 0):
            return original
        try:
            return float(original)
        except TypeError:  # I, zoo: no real number
            return original

    def _function(self, original: Any) -> Any:
        name = original.__name__
        if name in self._called:
            return self._called[name]
        if self.backend == "sympy":
            own = _SAME_UNDER_SYMPY.get(name)
            counterpart = self.namespace.lookup(own) if own is not None else None
            return original if counterpart is None else counterpart
        if name in SYMPY_SPELLINGS:
            counterpart = self.namespace.lookup(SYMPY_SPELLINGS[name])
            if counterpart is not None:
                return counterpart
        return _refused(name, self.backend)

    def module(self, sympy_module: types.ModuleType) -> SympyModule:
        return SympyModule(sympy_module, self)


class SympyModule:
    """`sympy` (as `sp`) seen by f under a backend: `sp.exp` is what bare `exp` would be."""

    def __init__(self, sympy_module: types.ModuleType, reading: SympyReading) -> None:
        self._module = sympy_module
        self._reading = reading

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._reading.value(getattr(self._module, name))

    def __repr__(self) -> str:
        return f"<sympy as the diffmagic {self._reading.backend} backend reads it>"
