"""A point with many parameters, as one flat float64 vector and back.

A loss takes its parameters as one array `w` or as a *pytree*: a dict, list or tuple of arrays
(nested), the way Flax or Equinox hold a network's weights. Every gradient method here works on
one flat vector, so `flatten(at)` lays the leaves end to end (dicts in their own key order,
lists and tuples in order) and `Flat.unflatten(vector)` rebuilds the user's structure from any
vector of the right length: float64, a JAX tracer, or an object array of SymPy symbols.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Number
from typing import Any

import numpy as np

from diffmagic.errors import DiffMagicError

#: A leaf's key in `Flat.location`: a dict key or list position at the top level, or a path
#: such as "['a'][0]" for a leaf nested deeper.
LeafKey = Any


@dataclass(frozen=True)
class Leaf:
    """One array of the pytree: where it sits in the structure and in the flat vector."""

    path: tuple[Any, ...]
    shape: tuple[int, ...]
    start: int
    size: int

    @property
    def key(self) -> LeafKey:
        """The top-level key for a leaf one level down, else a path string like "['a'][0]"."""
        if len(self.path) == 1:
            return self.path[0]
        return "".join(f"[{part!r}]" for part in self.path)


def _is_number(value: Any) -> bool:
    return isinstance(value, Number | np.number) and not isinstance(value, bool | np.bool_)


def _is_number_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and len(value) > 0 and all(map(_is_number, value))


def _is_leaf(value: Any) -> bool:
    """Arrays (NumPy, JAX), numbers and lists of plain numbers are leaves; dicts, lists and
    tuples of anything else are structure."""
    if isinstance(value, Mapping):
        return False
    if isinstance(value, list | tuple):
        return _is_number_list(value)
    return True


def _as_float_leaf(value: Any, where: str) -> tuple[np.ndarray, bool]:
    """The leaf as a float64 array, and whether it was float32 (or narrower) before."""
    if isinstance(value, str | bytes) or value is None:
        raise DiffMagicError(f"{where} is {value!r:.40}, not a number: give arrays of numbers")
    try:
        array = np.asarray(value)
    except Exception:
        raise DiffMagicError(
            f"{where} is a {type(value).__name__}, not an array of numbers"
        ) from None
    kind = array.dtype.kind
    if kind == "b":
        raise DiffMagicError(f"{where} holds True/False values: give numbers such as 0.0 and 1.0")
    if kind == "c":
        raise DiffMagicError(
            f"{where} holds complex numbers: gradients here are of real parameters"
        )
    if kind not in "iuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise DiffMagicError(
                f"{where} holds {array.dtype} values, not numbers: give float arrays"
            ) from None
    narrow = kind == "f" and array.dtype.itemsize < 8
    return np.array(array, dtype=np.float64), narrow


def _leaves(value: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Any]]:
    if _is_leaf(value):
        return [(path, value)]
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    found: list[tuple[tuple[Any, ...], Any]] = []
    for key, child in items:
        found.extend(_leaves(child, (*path, key)))
    return found


def _index_text(shape: tuple[int, ...], index: int) -> str:
    """`[7]`, `[3, 2]`, or '' for a scalar leaf."""
    if not shape:
        return ""
    return "[" + ", ".join(str(int(i)) for i in np.unravel_index(index, shape)) + "]"


class Flat:
    """A point flattened to one float64 vector, which knows how to rebuild the original.

    `values` is a read-only copy (the user's arrays are never written); `unflatten` accepts any
    1-D vector of `size` entries and returns the structure of `at` with its shapes, holding
    slices of that vector (so a JAX tracer or an object array of symbols passes through).
    """

    def __init__(
        self,
        at: Any,
        values: np.ndarray,
        leaves: list[Leaf],
        structured: bool,
        dtype_was_float32: bool,
        name: str,
    ) -> None:
        values.setflags(write=False)
        self.at = at
        self.values = values
        self.size = int(values.size)
        self.leaves = leaves
        #: True for a pytree, False for one plain array.
        self.structured = structured
        #: Some leaf was float32 (or narrower): the gradient is computed in float64 anyway.
        self.dtype_was_float32 = dtype_was_float32
        self.name = name

    # -- rebuilding ------------------------------------------------------------------------

    def _leaf_value(self, vector: Any, leaf: Leaf) -> Any:
        part = vector[leaf.start : leaf.start + leaf.size]
        if not leaf.shape:
            # A 0-d object array behaves badly with SymPy: give the symbol itself.
            return part[0] if _is_object(vector) else part.reshape(())
        return part.reshape(leaf.shape)

    def unflatten(self, flat_vector: Any) -> Any:
        """The structure and shapes of `at`, filled from `flat_vector` (length `size`).

        A NumPy vector is read as float64 unless it holds objects (SymPy symbols); anything
        else (a JAX array or tracer) is sliced as it is. Lists and tuples come back as lists
        and tuples, dicts in their key order, and a leaf given as a list of numbers comes
        back as an array.
        """
        vector = flat_vector
        if isinstance(vector, list | tuple):
            vector = np.asarray(vector)
        if isinstance(vector, np.ndarray) and vector.dtype != object:
            vector = np.asarray(vector, dtype=np.float64)
        length = getattr(vector, "shape", (None,))
        if len(length) != 1 or length[0] != self.size:
            raise DiffMagicError(
                f"a flat vector of {self.size:,} numbers is needed, not shape {tuple(length)}"
            )
        if not self.structured:
            return self._leaf_value(vector, self.leaves[0])
        values = {leaf.path: self._leaf_value(vector, leaf) for leaf in self.leaves}
        return _rebuild(self.at, (), values)

    # -- naming coordinates ------------------------------------------------------------------

    def _leaf_of(self, flat_index: int) -> Leaf:
        index = int(flat_index)
        if not 0 <= index < self.size:
            raise IndexError(f"flat index {index} is outside 0..{self.size - 1}")
        for leaf in self.leaves:
            if leaf.start <= index < leaf.start + leaf.size:
                return leaf
        raise IndexError(index)  # pragma: no cover - leaves cover 0..size-1

    def location(self, flat_index: int) -> int | tuple[LeafKey, int]:
        """The flat index itself for a plain array; `(leaf_key, index_in_leaf)` for a pytree.

        `leaf_key` is the dict key ("W1") or list position (0) for a leaf one level down, and a
        path string such as "['a'][0]" for a leaf nested deeper; `index_in_leaf` is a flat
        (C-order) index into that leaf.
        """
        leaf = self._leaf_of(flat_index)
        if not self.structured:
            return int(flat_index)
        return leaf.key, int(flat_index) - leaf.start

    def describe(self, flat_index: int) -> str:
        """A coordinate as a reader writes it: "w[7]", "W1[3, 2]", "b2", "w[0][4]"."""
        leaf = self._leaf_of(flat_index)
        inside = _index_text(leaf.shape, int(flat_index) - leaf.start)
        if not self.structured:
            return f"{self.name}{inside}"
        head = leaf.path[0]
        if isinstance(head, str) and head.isidentifier():
            prefix = head + "".join(f"[{part!r}]" for part in leaf.path[1:])
        else:
            prefix = self.name + "".join(f"[{part!r}]" for part in leaf.path)
        return prefix + inside

    def shape_text(self) -> str:
        """`w: (100,)` or `W1: (8, 3), b1: (8,), ...`, for headings."""
        if not self.structured:
            return f"{self.name}: {self.leaves[0].shape}"
        parts = [f"{self.describe(leaf.start).split('[')[0]}: {leaf.shape}" for leaf in self.leaves]
        text = ", ".join(parts)
        return text if len(text) <= 80 else text[:77] + "..."

    def __repr__(self) -> str:
        return f"<Flat {self.size:,} parameters ({self.shape_text()})>"


def _is_object(vector: Any) -> bool:
    return isinstance(vector, np.ndarray) and vector.dtype == object


def _rebuild(template: Any, path: tuple[Any, ...], values: dict[tuple[Any, ...], Any]) -> Any:
    if _is_leaf(template):
        return values[path]
    if isinstance(template, Mapping):
        return {key: _rebuild(child, (*path, key), values) for key, child in template.items()}
    rebuilt = [_rebuild(child, (*path, i), values) for i, child in enumerate(template)]
    return tuple(rebuilt) if isinstance(template, tuple) else rebuilt


def flatten(at: Any, *, name: str = "w") -> Flat:
    """`at` (a 1-D array or list of numbers, or a dict / list / tuple of arrays, nested) as one
    float64 vector.

    Integers become float64 (a gradient at an integer point is still a float). Refused with a
    one-line `DiffMagicError`: an empty point, NaN or inf anywhere, and anything that is not
    numbers (text, None, True/False, complex). `name` is what `describe` calls a plain array.
    """
    if at is None:
        raise DiffMagicError("the point `at` is missing: give the parameter values, e.g. at=w0")
    structured = not _is_leaf(at)
    found = _leaves(at, ()) if structured else [((), at)]
    if not found:
        raise DiffMagicError("the point `at` is empty: give at least one parameter value")
    leaves: list[Leaf] = []
    parts: list[np.ndarray] = []
    narrow = False
    start = 0
    for path, value in found:
        where = "the point `at`" if not path else f"`at{''.join(f'[{p!r}]' for p in path)}`"
        array, was_narrow = _as_float_leaf(value, where)
        narrow = narrow or was_narrow
        leaves.append(Leaf(path, tuple(int(d) for d in array.shape), start, int(array.size)))
        parts.append(array.ravel())
        start += array.size
    values = np.concatenate(parts) if parts else np.empty(0)
    if values.size == 0:
        raise DiffMagicError("the point `at` is empty: give at least one parameter value")
    flat = Flat(at, values, leaves, structured, narrow, name)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        kind = "NaN" if math.isnan(values[bad[0]]) else "inf"
        raise DiffMagicError(
            f"the point `at` has {kind} at {flat.describe(int(bad[0]))}"
            f"{f' (and {bad.size - 1:,} more)' if bad.size > 1 else ''}: give finite numbers"
        )
    return flat
