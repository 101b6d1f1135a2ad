"""Prepared derivatives, kept so that a slider move or a rerun re-evaluates and never re-derives.

A prepared derivative depends on the function's code, on every name it reads and what that
name resolves to (its globals, recursively through the helper functions it calls, and the
builtins: an expression's bare `max` is not a cell's), on its closures, defaults and, for a
callable object, its state; on the fixed parameter values, the variable, the method and the
order. The key is built from exactly those values, never from an object's `id` (a callable
whose state changed, or a new object at an old address, would get a stale derivative), and
anything that cannot be fingerprinted is simply not cached.

What the cache hands out is a frozen `Prepared`: no caller can change what a later comparison
is given. The cache is bounded by count and by an estimate of the memory its entries hold.
"""

from __future__ import annotations

import builtins
import collections
import functools
import hashlib
import types
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffmagic.inputs.rebind import names_read
from diffmagic.inputs.target import Target

#: How many prepared derivatives are kept (least recently used are dropped).
CAPACITY = 128
#: Estimated bytes the cache may hold in all (compiled programs, SymPy expressions).
MAX_BYTES = 256 << 20
#: Arrays larger than this are not hashed: such a function is not cached.
MAX_HASHED_BYTES = 64 << 20
#: What one entry is counted as at least (a compiled JAX program, closures, notes).
ENTRY_BYTES = 256 << 10
#: Modules whose functions are library code that does not change under us.
_LIBRARY_MODULES = ("numpy", "jax", "jaxlib", "scipy", "sympy", "math", "cmath", "builtins")


class Unhashable(Exception):
    """A value the fingerprint cannot capture; the function is then not cached."""


@dataclass
class _Walk:
    """State of one fingerprint: functions on the path (recursion) and array bytes seen."""

    path: frozenset[int] = frozenset()
    array_bytes: int = 0


def _is_library(value: Any) -> bool:
    module = getattr(value, "__module__", None) or ""
    if isinstance(value, types.BuiltinFunctionType | np.ufunc):
        return True
    return module.split(".")[0] in _LIBRARY_MODULES and not isinstance(value, types.MethodType)


def _array_print(value: np.ndarray, walk: _Walk) -> Hashable:
    if value.nbytes > MAX_HASHED_BYTES or value.dtype.kind == "O":
        raise Unhashable
    walk.array_bytes += value.nbytes
    # SHA-256 runs in hardware on current CPUs (twice blake2b's speed here), and reading the
    # array's own memory saves a copy: a check that reuses its compiled f hashes the data f
    # reads at every call.
    raw = np.ascontiguousarray(value).reshape(-1).view(np.uint8)
    digest = hashlib.sha256(raw).hexdigest()
    return ("array", value.shape, value.dtype.str, digest)


def _value_print(value: Any, walk: _Walk) -> Hashable:
    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        return (type(value).__name__, value)
    if isinstance(value, types.ModuleType):
        return ("module", value.__name__)
    if isinstance(value, types.FunctionType) and not _is_library(value):
        return _function_print(value, walk)
    if isinstance(value, tuple | list):
        return (type(value).__name__, tuple(_value_print(item, walk) for item in value))
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: repr(item[0]))
        return ("dict", tuple((repr(k), _value_print(v, walk)) for k, v in items))
    if isinstance(value, np.ndarray):
        return _array_print(value, walk)
    if isinstance(value, np.generic):
        return ("scalar", value.dtype.str, value.item())
    if not callable(value) and hasattr(value, "__array__") and hasattr(value, "shape"):
        return _array_print(np.asarray(value), walk)  # a JAX array, say
    if isinstance(value, functools.partial):
        return (
            "partial",
            _value_print(value.func, walk),
            _value_print(value.args, walk),
            _value_print(value.keywords, walk),
        )
    if _is_library(value):
        # ufuncs, builtins, jax and numpy functions: named by where they live, not by address.
        name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
        if name is None:
            raise Unhashable
        return ("library", getattr(value, "__module__", None), name)
    wrapped = getattr(value, "__wrapped__", None)
    if isinstance(wrapped, types.FunctionType):
        # jax.jit(f), functools.wraps decorators: what runs is the wrapped function.
        return ("wrapped", type(value).__qualname__, _function_print(wrapped, walk))
    if isinstance(value, types.MethodType):
        return ("method", _value_print(value.__func__, walk), _state_print(value.__self__, walk))
    if callable(value):
        return _state_print(value, walk)
    raise Unhashable


def _state_print(instance: Any, walk: _Walk) -> Hashable:
    """A user object by its class's code and its current state (so a changed attribute is a
    new key), or Unhashable when its state is not a plain `__dict__`."""
    if id(instance) in walk.path:
        return ("recursive object", type(instance).__qualname__)
    state = getattr(instance, "__dict__", None)
    if state is None:
        raise Unhashable
    walk.path = walk.path | {id(instance)}
    methods = tuple(
        (name, _function_print(member, walk))
        for name, member in sorted(vars(type(instance)).items())
        if isinstance(member, types.FunctionType)
    )
    return ("object", type(instance).__qualname__, methods, _value_print(dict(state), walk))


def _code_print(code: types.CodeType) -> Hashable:
    constants = tuple(
        _code_print(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts
    )
    return (code.co_code, constants, code.co_names, code.co_varnames, code.co_freevars)


def _resolved(function: types.FunctionType, name: str, walk: _Walk) -> Hashable:
    """What `name` means inside `function`: its global, else its builtin, else nothing."""
    if name in function.__globals__:
        return ("global", _value_print(function.__globals__[name], walk))
    table = function.__globals__.get("__builtins__", builtins)
    table = table if isinstance(table, dict) else vars(table)
    if name in table:
        return ("builtin", name, table[name] is getattr(builtins, name, None))
    return ("unbound",)


def _function_print(function: types.FunctionType, walk: _Walk) -> Hashable:
    if id(function) in walk.path:
        return ("recursive", function.__qualname__)
    walk.path = walk.path | {id(function)}
    names = tuple(
        (name, _resolved(function, name, walk))
        for name in sorted(set(names_read(function.__code__)))
    )
    closure = []
    for cell in function.__closure__ or ():
        try:
            closure.append(_value_print(cell.cell_contents, walk))
        except ValueError:  # an empty cell
            closure.append(("empty",))
    return (
        "function",
        _code_print(function.__code__),
        names,
        tuple(closure),
        _value_print(function.__defaults__, walk),
        _value_print(function.__kwdefaults__, walk),
    )


def fingerprint(target: Target) -> tuple[Hashable, int] | None:
    """(A key that changes whenever anything the derivative depends on changes, the bytes of
    the arrays it covers), or None when f cannot be fingerprinted (then it is not cached)."""
    walk = _Walk()
    try:
        fixed = tuple(sorted((name, _value_print(v, walk)) for name, v in target.fixed.items()))
        key = (_value_print(target.function, walk), target.wrt, fixed, target.parameters)
        hash(key)
    except (Unhashable, ValueError, TypeError, RecursionError):
        return None
    return key, walk.array_bytes


def _entry_bytes(prepared: Any, array_bytes: int) -> int:
    """A rough size: a floor per entry, SymPy's expression by its operations, and the arrays
    f reads (the rebound function keeps them alive)."""
    work = getattr(prepared, "work", None)
    operations = work.derivative if work is not None and work.unit == "operations" else 0
    return ENTRY_BYTES + 512 * int(operations) + array_bytes


class PreparedCache:
    """An LRU of prepared derivatives, counting how often each method really prepared."""

    def __init__(self, capacity: int = CAPACITY, max_bytes: int = MAX_BYTES) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._entries: collections.OrderedDict[Hashable, tuple[Any, int]] = (
            collections.OrderedDict()
        )
        self.bytes = 0
        self.preparations: collections.Counter[str] = collections.Counter()

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_prepare(
        self, method: str, target: Target, order: int, prepare: Callable[[], Any]
    ) -> tuple[Any, bool]:
        """(prepared, True when it came from the cache)."""
        printed = fingerprint(target)
        if printed is None:
            self.preparations[method] += 1
            return prepare(), False
        target_key, array_bytes = printed
        key = (method, order, target_key)
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key][0], True
        self.preparations[method] += 1
        prepared = prepare()
        size = _entry_bytes(prepared, array_bytes)
        self._entries[key] = (prepared, size)
        self.bytes += size
        while self._entries and (len(self._entries) > self.capacity or self.bytes > self.max_bytes):
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped
        return prepared, False

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
        self.preparations.clear()


#: The process-wide cache that `compare()` uses.
PREPARED = PreparedCache()

#: The `clear` of every other process-wide cache of derived or compiled work (the compiled
#: checks of `check_gradient`, the zeros that place f's corners): each registers itself where
#: it is made, so that this module, below them, need not import them.
_OTHER_CACHES: list[Callable[[], None]] = []


def clears_with_the_cache(clear: Callable[[], None]) -> None:
    """Have `clear_cache()` call `clear` too (a cache of compiled programs registers its own)."""
    if clear not in _OTHER_CACHES:
        _OTHER_CACHES.append(clear)


def clear_cache() -> None:
    """Forget every prepared derivative, compiled check and solved zero: the next call derives
    anew (`diffmagic.clear_cache()`).

    `compare(..., cache=False)` skips the cache for one call; this empties it for all, to
    measure a first derivation again or to free the memory it holds.

    Returns
    -------
    None
        `compare()` prepares every method and solves for f's corners again, and
        `check_gradient` compiles f again.

    Examples
    --------
    >>> import diffmagic
    >>> diffmagic.clear_cache()
    >>> diffmagic.compare("x**3", points=5, methods="symbolic")["symbolic"].cached
    False
    >>> diffmagic.compare("x**3", points=5, methods="symbolic")["symbolic"].cached
    True
    """
    PREPARED.clear()
    for clear in _OTHER_CACHES:
        clear()
