"""The three worlds one function runs in: SymPy, NumPy and JAX.

A learner's function names its maths through `np`, `jnp`, `math` or bare `sin`. diffmagic never
rewrites that text: it runs the same code object with those names bound to a backend namespace,
so `np.sin` means `sympy.sin` while tracing symbolically and `jax.numpy.sin` under `grad`.

Each backend is a module-like `Namespace`: it looks a name up in the backend's own table first,
then in the backend's array module, and only then in the module the user imported, so rarely
used names (`math.factorial`) still work where they can.
"""

from __future__ import annotations

import builtins
import functools
import math
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from diffmagic.vocabulary import CONSTANT_NAMES, FUNCTION_NAMES

#: Module names whose functions and constants diffmagic knows how to replace.
MATH_MODULE_NAMES = frozenset({"numpy", "jax.numpy", "math", "cmath", "sympy"})


class Namespace:
    """A module-like object whose attributes are one backend's versions of maths names."""

    def __init__(
        self, backend: str, table: dict[str, Any], primary: Any, fallback: Any = None
    ) -> None:
        self._backend = backend
        self._table = table
        self._primary = primary
        self._fallback = fallback

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._table:
            return self._table[name]
        for source in (self._primary, self._fallback):
            if source is not None and hasattr(source, name):
                return getattr(source, name)
        raise AttributeError(f"{self._backend} backend has no `{name}`")

    def lookup(self, name: str) -> Any:
        """The backend's value for a bare name, or None when it has none."""
        try:
            return getattr(self, name)
        except AttributeError:
            return None

    def __repr__(self) -> str:
        return f"<diffmagic {self._backend} namespace>"


class ScalarReductionError(ValueError):
    """`np.max(x, 0)` with x one number: a reduction along an axis of something with none.

    NumPy itself answers x (a 0-d array has an axis 0 for reductions), SymPy reads Max(x) = x,
    JAX refuses: three readings of a line that means "the largest value of an array". Every
    backend refuses it alike, with the spelling that means what a learner means.
    """

    def __init__(self, name: str, axis: Any) -> None:
        pointwise = {"max": "np.maximum(x, 0) or max(x, 0)", "min": "np.minimum(x, 0) or min(x, 0)"}
        short = name.lstrip("a") if name in ("amax", "amin") else name
        fix = pointwise.get(short, "drop the axis")
        super().__init__(
            f"np.{name}(x, {axis!r}) reduces an array along axis {axis!r}, but x is one number: "
            f"for the {'larger' if short == 'max' else 'smaller' if short == 'min' else 'value'} "
            f"of each x write {fix}"
        )


_REDUCTIONS = ("max", "min", "amax", "amin", "sum", "mean", "prod")


def _refusing_axis_on_scalars(name: str, reduce: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(reduce)
    def reduction(values: Any, *args: Any, **kwargs: Any) -> Any:
        axis = args[0] if args else kwargs.get("axis")
        if axis is not None and np.ndim(values) == 0:
            raise ScalarReductionError(name, axis)
        return reduce(values, *args, **kwargs)

    return reduction


def _is_array_like(value: Any) -> bool:
    return hasattr(value, "shape") and getattr(value, "shape", ()) != ()


def _elementwise_max_min(
    python_builtin: Callable[..., Any], elementwise: Callable[[Any, Any], Any]
) -> Callable[..., Any]:
    """Python's `max`/`min`, extended to arrays and tracers, where the builtin would
    need the truth value of an array."""

    @functools.wraps(python_builtin)
    def chosen(*args: Any, **kwargs: Any) -> Any:
        if len(args) >= 2 and not kwargs and any(_is_array_like(a) or _is_traced(a) for a in args):
            return functools.reduce(elementwise, args)
        return python_builtin(*args, **kwargs)

    return chosen


def _is_traced(value: Any) -> bool:
    return type(value).__module__.startswith("jax")


# ----------------------------------------------------------------------------- NumPy


def _math_spellings(module: Any) -> dict[str, Any]:
    """`math`'s and SymPy's short names (asin, atan2, pow) for an array module's own."""
    return {
        "asin": module.arcsin,
        "acos": module.arccos,
        "atan": module.arctan,
        "atan2": module.arctan2,
        "asinh": module.arcsinh,
        "acosh": module.arccosh,
        "atanh": module.arctanh,
        "pow": module.power,
    }


@functools.cache
def numpy_namespace() -> Namespace:
    """NumPy itself, plus the few spellings learners borrow from `math` and SymPy."""
    table = {
        **_math_spellings(np),
        **{name: _refusing_axis_on_scalars(name, getattr(np, name)) for name in _REDUCTIONS},
        "ceil": np.ceil,
        "ln": np.log,
        "relu": lambda value: np.maximum(value, 0.0),
        # 1/(1 + e^-x) written with tanh: the same numbers, and no overflow for x << 0.
        "sigmoid": lambda value: 0.5 * (1.0 + np.tanh(0.5 * np.asarray(value, dtype=float))),
        "softplus": lambda value: np.logaddexp(0.0, value),
        "heaviside": _heaviside_for(np),
    }
    return Namespace("numpy", table, np, math)


def _heaviside_for(module: Any) -> Callable[..., Any]:
    """`heaviside(x)` as learners write it: NumPy's needs the value at 0, here 1/2 by default
    (SymPy's convention, and the average of the two sides)."""

    def heaviside(value: Any, at_zero: Any = 0.5) -> Any:
        return module.heaviside(value, at_zero)

    return heaviside


def numpy_builtins() -> dict[str, Any]:
    return {
        "max": _elementwise_max_min(builtins.max, np.maximum),
        "min": _elementwise_max_min(builtins.min, np.minimum),
    }


# ----------------------------------------------------------------------------- JAX


def _accepting_lists(jnp: Any) -> dict[str, Any]:
    """jax.numpy's reductions refuse Python lists, which NumPy (and learners) accept."""

    def accepting(reduce: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(reduce)
        def reduction(values: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(values, list | tuple):
                values = jnp.stack([jnp.asarray(value) for value in values])
            return reduce(values, *args, **kwargs)

        return reduction

    names = ("sum", "prod", "mean", "max", "min", "amax", "amin", "cumsum", "cumprod")
    table = {name: accepting(getattr(jnp, name)) for name in names}
    for name in _REDUCTIONS:
        table[name] = _refusing_axis_on_scalars(name, table[name])
    return table


@functools.cache
def jax_namespace() -> Namespace:
    """`jax.numpy`, with the `math` spellings mapped onto it so `math.sin(x)` traces."""
    import jax
    import jax.numpy as jnp

    table = {
        **_math_spellings(jnp),
        **_accepting_lists(jnp),
        "fabs": jnp.abs,
        "ln": jnp.log,
        "relu": jax.nn.relu,
        "sigmoid": jax.nn.sigmoid,
        "softplus": jax.nn.softplus,
        "heaviside": _heaviside_for(jnp),
    }
    return Namespace("jax", table, jnp, math)


def jax_builtins() -> dict[str, Any]:
    import jax.numpy as jnp

    return {
        "max": _elementwise_max_min(builtins.max, jnp.maximum),
        "min": _elementwise_max_min(builtins.min, jnp.minimum),
    }


# ----------------------------------------------------------------------------- SymPy


def _flatten(values: Any) -> list[Any]:
    if isinstance(values, np.ndarray):
        return list(values.ravel())
    if isinstance(values, Iterable) and not hasattr(values, "free_symbols"):
        return [item for value in values for item in _flatten(value)]
    return [values]


@functools.cache
def sympy_namespace() -> Namespace:
    """SymPy's counterparts of the NumPy names, chosen so the derivative is the real one.

    `where` becomes a `Piecewise`, `maximum` a `Max` (whose derivative is a `Heaviside`), `cbrt`
    the real cube root, `log1p(x)` is `log(1 + x)`; reductions such as `np.sum` add the terms.
    """
    import sympy as sp

    def where(condition: Any, if_true: Any, if_false: Any) -> Any:
        if condition is sp.true or condition is True:
            return if_true
        if condition is sp.false or condition is False:
            return if_false
        return sp.Piecewise((if_true, condition), (if_false, True))

    def whole(name: str, combine: Callable[[list[Any]], Any]) -> Callable[..., Any]:
        """A reduction over every term; with an axis only for arrays (refused for a scalar,
        and for arrays of more than one dimension, which SymPy's reading cannot split)."""

        def reduction(values: Any, *args: Any, **kwargs: Any) -> Any:
            axis = args[0] if args else kwargs.get("axis")
            if axis is not None:
                if np.ndim(values) == 0:
                    raise ScalarReductionError(name, axis)
                if np.ndim(values) > 1:
                    raise TypeError(f"SymPy's reading of np.{name} cannot reduce along an axis")
            return combine(_flatten(values))

        return reduction

    total = whole("sum", lambda terms: sp.Add(*terms))
    product = whole("prod", lambda terms: sp.Mul(*terms))
    mean = whole("mean", lambda terms: sp.Add(*terms) / len(terms))
    largest = whole("max", lambda terms: sp.Max(*terms))
    smallest = whole("min", lambda terms: sp.Min(*terms))

    half = sp.Rational(1, 2)

    def heaviside(value: Any, at_zero: Any = half) -> Any:
        return sp.Heaviside(value, at_zero)

    def array(values: Any, *args: Any, **kwargs: Any) -> Any:
        return np.array(values, dtype=object)

    table: dict[str, Any] = {
        "sin": sp.sin,
        "cos": sp.cos,
        "tan": sp.tan,
        "arcsin": sp.asin,
        "arccos": sp.acos,
        "arctan": sp.atan,
        "arctan2": sp.atan2,
        "atan2": sp.atan2,
        "asin": sp.asin,
        "acos": sp.acos,
        "atan": sp.atan,
        "sinh": sp.sinh,
        "cosh": sp.cosh,
        "tanh": sp.tanh,
        "arcsinh": sp.asinh,
        "arccosh": sp.acosh,
        "arctanh": sp.atanh,
        "asinh": sp.asinh,
        "acosh": sp.acosh,
        "atanh": sp.atanh,
        "exp": sp.exp,
        "exp2": lambda value: sp.Integer(2) ** value,
        "expm1": lambda value: sp.exp(value) - 1,
        "log": sp.log,
        "log2": lambda value: sp.log(value, 2),
        "log10": lambda value: sp.log(value, 10),
        "log1p": lambda value: sp.log(1 + value),
        "sqrt": sp.sqrt,
        "cbrt": lambda value: sp.real_root(value, 3),
        "power": lambda base, exponent: base**exponent,
        "pow": lambda base, exponent: base**exponent,
        "square": lambda value: value**2,
        "hypot": lambda a, b: sp.sqrt(a**2 + b**2),
        "abs": sp.Abs,
        "absolute": sp.Abs,
        "fabs": sp.Abs,
        "sign": sp.sign,
        "maximum": sp.Max,
        "minimum": sp.Min,
        "where": where,
        "clip": lambda value, low, high: sp.Min(sp.Max(value, low), high),
        "heaviside": heaviside,
        "floor": sp.floor,
        "ceil": sp.ceiling,
        "ln": sp.log,
        "relu": lambda value: sp.Max(value, 0),
        "sigmoid": lambda value: 1 / (1 + sp.exp(-value)),
        "softplus": lambda value: sp.log(1 + sp.exp(value)),
        "sum": total,
        "mean": mean,
        "prod": product,
        "max": largest,
        "min": smallest,
        "amax": largest,
        "amin": smallest,
        "array": array,
        "asarray": array,
        "pi": sp.pi,
        "e": sp.E,
        "inf": sp.oo,
        "nan": sp.nan,
    }
    missing = (FUNCTION_NAMES | CONSTANT_NAMES) - table.keys()
    assert not missing, f"sympy namespace lacks {sorted(missing)}"
    table = _over_symbol_arrays(table)
    return Namespace("sympy", table, None, np)


# --- issue 13 (many parameters): SymPy functions over object arrays of symbols -------------
# A loss of a parameter vector `w` is traced with `w` an object array of SymPy symbols, so
# `np.exp(X @ w)` must apply `exp` to each entry and `np.sum(..., axis=1)` must add along an
# axis. Scalar arguments take the unchanged path above.

_REDUCTIONS = {"sum": "Add", "prod": "Mul", "max": "Max", "min": "Min", "mean": "Add"}


def _reduce_along(values: np.ndarray, axis: Any, keepdims: bool, combine: Any, mean: bool) -> Any:
    """One SymPy `combine` (Add, Mul, Max, Min) of the entries along `axis` (an int or tuple)."""
    axes = tuple(range(values.ndim)) if axis is None else np.atleast_1d(axis).tolist()
    axes = tuple(sorted(a % values.ndim for a in axes))
    kept = [d for d in range(values.ndim) if d not in axes]
    moved = np.moveaxis(values, axes, range(values.ndim - len(axes), values.ndim))
    count = int(np.prod([values.shape[a] for a in axes]))
    grouped = np.asarray(moved, dtype=object).reshape(*[values.shape[d] for d in kept], count)
    out = np.empty(grouped.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        combined = combine(*grouped[index])
        out[index] = combined / count if mean else combined
    if keepdims:
        out = out.reshape([1 if d in axes else values.shape[d] for d in range(values.ndim)])
    if out.ndim == 0:
        return out.item()
    return out.view(type(values)) if type(values) is not np.ndarray else out


def _over_symbol_arrays(table: dict[str, Any]) -> dict[str, Any]:
    """The table with each function extended to NumPy arrays (entry by entry) and reductions
    extended to `axis=` and `keepdims=`."""
    import sympy as sp

    def elementwise(function: Callable[..., Any]) -> Callable[..., Any]:
        def over_arrays(*args: Any, **kwargs: Any) -> Any:
            arrays = [a for a in args if isinstance(a, np.ndarray) and a.ndim > 0]
            if not arrays or kwargs:
                return function(*args, **kwargs)
            result = np.frompyfunc(function, len(args), 1)(*args)
            subclass = type(arrays[0])
            return result.view(subclass) if subclass is not np.ndarray else result

        over_arrays.__name__ = getattr(function, "__name__", "function")
        return over_arrays

    def reduction(name: str, scalar_version: Callable[..., Any]) -> Callable[..., Any]:
        combine = getattr(sp, _REDUCTIONS[name])

        def reduce(values: Any, axis: Any = None, *args: Any, keepdims: bool = False) -> Any:
            if isinstance(values, np.ndarray) and (axis is not None or keepdims):
                return _reduce_along(values, axis, keepdims, combine, name == "mean")
            return scalar_version(values)

        return reduce

    extended: dict[str, Any] = {}
    for name, value in table.items():
        if name in _REDUCTIONS:
            extended[name] = reduction(name, value)
        elif callable(value) and name not in ("array", "asarray"):
            extended[name] = elementwise(value)
        else:
            extended[name] = value
    return extended


# --- end issue 13 --------------------------------------------------------------------------


def sympy_builtins() -> dict[str, Any]:
    import sympy as sp

    def symbolic(python_builtin: Callable[..., Any], symbolic_version: Any) -> Callable[..., Any]:
        @functools.wraps(python_builtin)
        def chosen(*args: Any, **kwargs: Any) -> Any:
            values = args[0] if len(args) == 1 else args
            terms = _flatten(values)
            if any(isinstance(term, sp.Basic) for term in terms) and not kwargs:
                return symbolic_version(*terms)
            return python_builtin(*args, **kwargs)

        return chosen

    return {"max": symbolic(builtins.max, sp.Max), "min": symbolic(builtins.min, sp.Min)}


# ----------------------------------------------------------------------------- choice


def namespace_for(backend: str) -> Namespace:
    return {"sympy": sympy_namespace, "numpy": numpy_namespace, "jax": jax_namespace}[backend]()


def builtins_for(backend: str) -> dict[str, Any]:
    return {"sympy": sympy_builtins, "numpy": numpy_builtins, "jax": jax_builtins}[backend]()


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
