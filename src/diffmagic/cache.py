"""Prepared derivatives, kept so that a slider move or a rerun re-evaluates and never re-derives.

A prepared derivative depends on the function's code, on every global it reads (recursively
through the helper functions it calls), on the fixed parameter values, the variable, the method
and the order. The key below is built from exactly those, so editing the cell, a helper or a
global constant prepares afresh, and anything that cannot be fingerprinted is simply not cached.
"""

from __future__ import annotations

import collections
import types
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from diffmagic.rebind import _names_read
from diffmagic.target import Target

#: How many prepared derivatives are kept (least recently used are dropped).
CAPACITY = 128
#: Arrays larger than this are not hashed: such a function is not cached.
MAX_HASHED_BYTES = 1 << 20


class Unhashable(Exception):
    """A value the fingerprint cannot capture; the function is then not cached."""


def _value_print(value: Any, seen: set[int]) -> Hashable:
    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        return (type(value).__name__, value)
    if isinstance(value, types.ModuleType):
        return ("module", value.__name__)
    if isinstance(value, types.FunctionType):
        return _function_print(value, seen)
    if isinstance(value, tuple | list):
        return (type(value).__name__, tuple(_value_print(item, seen) for item in value))
    if isinstance(value, np.ndarray):
        if value.nbytes > MAX_HASHED_BYTES or value.dtype.kind == "O":
            raise Unhashable
        return ("array", value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, np.generic):
        return ("scalar", value.dtype.str, value.item())
    if callable(value):
        # ufuncs, builtins, jax functions: library objects that do not change under us.
        return ("callable", id(value))
    raise Unhashable


def _code_print(code: types.CodeType, seen: set[int]) -> Hashable:
    constants = tuple(
        _code_print(c, seen) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts
    )
    return (code.co_code, constants, code.co_names, code.co_varnames)


def _function_print(function: types.FunctionType, seen: set[int]) -> Hashable:
    if id(function) in seen:
        return ("recursive", function.__name__)
    seen = seen | {id(function)}
    globals_read = tuple(
        (name, _value_print(function.__globals__[name], seen))
        for name in sorted(set(_names_read(function.__code__)))
        if name in function.__globals__
    )
    closure = tuple(_value_print(cell.cell_contents, seen) for cell in (function.__closure__ or ()))
    defaults = _value_print(function.__defaults__, seen)
    return ("function", _code_print(function.__code__, seen), globals_read, closure, defaults)


def fingerprint(target: Target) -> Hashable | None:
    """A key that changes whenever anything the derivative depends on changes, or None."""
    try:
        fixed = tuple(sorted((name, _value_print(v, set())) for name, v in target.fixed.items()))
        return (_value_print(target.function, set()), target.wrt, fixed)
    except (Unhashable, ValueError, TypeError):
        return None


class PreparedCache:
    """An LRU of prepared derivatives, counting how often each method really prepared."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._entries: collections.OrderedDict[Hashable, Any] = collections.OrderedDict()
        self.preparations: collections.Counter[str] = collections.Counter()

    def get_or_prepare(
        self, method: str, target: Target, order: int, prepare: Callable[[], Any]
    ) -> tuple[Any, bool]:
        """(prepared, True when it came from the cache)."""
        target_key = fingerprint(target)
        if target_key is None:
            self.preparations[method] += 1
            return prepare(), False
        key = (method, order, target_key)
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key], True
        self.preparations[method] += 1
        prepared = prepare()
        self._entries[key] = prepared
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return prepared, False

    def clear(self) -> None:
        self._entries.clear()
        self.preparations.clear()


#: The process-wide cache that `compare()` uses.
PREPARED = PreparedCache()
