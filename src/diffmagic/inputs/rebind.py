"""Run one unchanged function under another backend by rebinding the names it reads.

`types.FunctionType(code, globals, ...)` makes a twin of the user's function that shares its code
but reads its global names from a new dictionary. In that dictionary `np`, `jnp`, `math` and bare
`sin` are replaced by the backend's namespace (SymPy's own names, `from sympy import *`, by
their counterparts: `backends.sympy_names`), helper functions the user wrote are twinned the
same way (so the lab's `f_polynomial` calling `f_polynomial_simple` works), and `max`/`min` learn
arrays. The user's own namespace is only read, never written.
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Iterator
from typing import Any

from diffmagic.inputs.backends import builtins_for, is_math_function, is_math_module, namespace_for
from diffmagic.inputs.backends.sympy_names import SympyReading, is_sympy_module, is_sympy_value
from diffmagic.inputs.vocabulary import CONSTANT_NAMES, FUNCTION_NAMES, MODULE_NAMES

_MISSING = object()


def names_read(code: types.CodeType) -> Iterator[str]:
    """Every global name the code (and the comprehensions and lambdas inside it) may read.

    The names a twin must rebind are the names a cache key must cover and the names a verdict
    may find ambiguous: `cache` and `verdicts` ask here too, so the three never disagree.
    """
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from names_read(constant)


def _is_user_function(value: Any) -> bool:
    if not isinstance(value, types.FunctionType):
        return False
    module = getattr(value, "__module__", None) or ""
    return not module.startswith(("numpy", "jax", "sympy", "scipy", "math", "diffmagic"))


def _original_value(globals_: dict[str, Any], name: str) -> Any:
    if name in globals_:
        return globals_[name]
    builtins_ = globals_.get("__builtins__")
    if isinstance(builtins_, dict):
        return builtins_.get(name, _MISSING)
    return getattr(builtins_, name, _MISSING) if builtins_ is not None else _MISSING


class Rebinder:
    """Twins functions for one backend, remembering twins so recursion and shared helpers work."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.namespace = namespace_for(backend)
        self.builtins = builtins_for(backend)
        self.sympy = SympyReading(backend, self.namespace, self.builtins)
        self._twins: dict[int, types.FunctionType] = {}

    def _replacement(self, name: str, original: Any) -> Any:
        if original is _MISSING:
            # An expression string has no builtins: its bare `max(x, 0)` means what Python's
            # means, the larger of the values at each point (relu), never a reduction.
            if name in self.builtins:
                return self.builtins[name]
            if name in MODULE_NAMES:
                return self.namespace
            if name in FUNCTION_NAMES or name in CONSTANT_NAMES:
                return self.namespace.lookup(name) or _MISSING
            return _MISSING
        if is_sympy_module(original):
            return self.sympy.module(original)
        if is_math_module(original):
            return self.namespace
        if is_sympy_value(original):
            replacement = self.sympy.value(original)
            return _MISSING if replacement is original else replacement
        if name in self.builtins and original is getattr(builtins, name, None):
            return self.builtins[name]
        if _is_user_function(original):
            return self.twin(original)
        if is_math_function(original):
            own_name = getattr(original, "__name__", name)
            for candidate in (name, own_name):
                value = self.namespace.lookup(candidate)
                if value is not None:
                    return value
            return original
        if isinstance(original, float) and name in CONSTANT_NAMES:
            backend_constant = self.namespace.lookup(name)
            if backend_constant is not None and float(backend_constant) == original:
                return backend_constant
        return _MISSING

    def twin(self, function: types.FunctionType) -> types.FunctionType:
        """The same function, reading maths names from this backend."""
        key = id(function)
        if key in self._twins:
            return self._twins[key]
        new_globals: dict[str, Any] = dict(function.__globals__)
        new_globals["__builtins__"] = self._builtins_module(function.__globals__)
        cells = [types.CellType() for _ in function.__code__.co_freevars]
        twin = types.FunctionType(
            function.__code__,
            new_globals,
            function.__name__,
            function.__defaults__,
            tuple(cells) if cells else None,
        )
        twin.__kwdefaults__ = function.__kwdefaults__
        self._twins[key] = twin
        # Closures are rebound like globals (a helper or `np` captured by a factory), in cells
        # of the twin's own: the user's cells are never written.
        for name, cell, original in zip(
            function.__code__.co_freevars, cells, function.__closure__ or (), strict=True
        ):
            try:
                contents = original.cell_contents
            except ValueError:  # not yet assigned
                continue
            replacement = self._replacement(name, contents)
            cell.cell_contents = contents if replacement is _MISSING else replacement
        for name in set(names_read(function.__code__)):
            original = _original_value(function.__globals__, name)
            replacement = self._replacement(name, original)
            if replacement is not _MISSING:
                new_globals[name] = replacement
        return twin

    def _builtins_module(self, globals_: dict[str, Any]) -> dict[str, Any]:
        """The function's builtins with `__import__` answering for the maths modules, so an
        `import numpy as np` (or `from sympy import exp`) inside f gives the backend's names
        as the global `np` (or `exp`) does."""
        original = globals_.get("__builtins__", builtins)
        table = dict(original if isinstance(original, dict) else vars(original))
        real_import = table.get("__import__", builtins.__import__)
        namespace = self.namespace
        sympy_reading = self.sympy

        def backend_import(
            name: str,
            globals: Any = None,
            locals: Any = None,
            fromlist: Any = (),
            level: int = 0,
        ) -> Any:
            if level == 0 and name == "sympy":
                return sympy_reading.module(real_import(name, globals, locals, fromlist, level))
            if level == 0 and name in ("numpy", "math", "cmath", "jax.numpy"):
                if name == "jax.numpy" and not fromlist:
                    return _JaxPackage(namespace)  # `import jax.numpy as jnp` reads .numpy
                return namespace
            return real_import(name, globals, locals, fromlist, level)

        table["__import__"] = backend_import
        return table


class _JaxPackage:
    """`jax` as seen by `import jax.numpy as jnp` inside a rebound function."""

    def __init__(self, namespace: Any) -> None:
        self.numpy = namespace

    def __getattr__(self, name: str) -> Any:
        import jax

        return getattr(jax, name)


def rebind(function: Any, backend: str) -> Any:
    """`function` as it runs under `backend` ("sympy", "numpy", "jax", "autograd", "torch").

    A NumPy, math or JAX function passed itself (`np.sin`) becomes the backend's own; other
    objects that are not Python functions (a `functools.partial`, a jitted function) come back
    unchanged: there is no code of theirs to rebind.
    """
    if isinstance(function, types.FunctionType) and not is_math_function(function):
        return Rebinder(backend).twin(function)
    if is_math_function(function):
        # np.sin itself as the function: the backend's own sine.
        counterpart = namespace_for(backend).lookup(getattr(function, "__name__", ""))
        if counterpart is not None:
            return counterpart
    return function
