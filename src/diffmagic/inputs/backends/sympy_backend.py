"""The SymPy backend: SymPy's counterparts of the NumPy names, so the derivative is the real one.

SymPy is imported on first use, never when this module is imported. A loss of many parameters
is traced with an object array of symbols, so every function here also works entry by entry
over such arrays, and reductions along an axis.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from diffmagic.inputs.backends.namespace import Namespace
from diffmagic.inputs.backends.pointwise import axis_refused_on_a_number
from diffmagic.inputs.backends.sympy_names import SYMPY_OWN_NAMES
from diffmagic.inputs.vocabulary import CONSTANT_NAMES, FUNCTION_NAMES


def _flatten(values: Any) -> list[Any]:
    if isinstance(values, np.ndarray):
        return list(values.ravel())
    if isinstance(values, Iterable) and not hasattr(values, "free_symbols"):
        return [item for value in values for item in _flatten(value)]
    return [values]


def _writable(make: Callable[..., Any]) -> Callable[..., Any]:
    """An array f makes for itself (`out = np.zeros(2); out[0] = w[0]`) as objects, so that
    symbols can be written into it."""

    def build(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("dtype", None)
        return make(*args, **kwargs).astype(object)

    return build


def _reductions(sp: Any) -> dict[str, Any]:
    """np.sum, np.prod, np.mean, np.max and np.min as one SymPy term of all their terms."""

    def whole(name: str, combine: Callable[[list[Any]], Any]) -> Callable[..., Any]:
        """A reduction over every term; with an axis only for arrays (refused for a scalar,
        and for arrays of more than one dimension, which SymPy's reading cannot split)."""

        def reduction(values: Any, *args: Any, **kwargs: Any) -> Any:
            axis = axis_refused_on_a_number(name, values, args, kwargs)
            if axis is not None and np.ndim(values) > 1:
                raise TypeError(f"SymPy's reading of np.{name} cannot reduce along an axis")
            return combine(_flatten(values))

        return reduction

    largest = whole("max", lambda terms: sp.Max(*terms))
    smallest = whole("min", lambda terms: sp.Min(*terms))
    return {
        "sum": whole("sum", lambda terms: sp.Add(*terms)),
        "prod": whole("prod", lambda terms: sp.Mul(*terms)),
        "mean": whole("mean", lambda terms: sp.Add(*terms) / len(terms)),
        "max": largest,
        "min": smallest,
        "amax": largest,
        "amin": smallest,
    }


def _smooth(sp: Any) -> dict[str, Any]:
    """The trigonometric, hyperbolic, exponential and power functions, by NumPy's and math's
    spellings; `cbrt` is the real cube root, `log1p(x)` is `log(1 + x)`.

    A logarithm to a base is log(x)/log(base), never SymPy's two-argument `log(x, base)`: a
    loss is traced unevaluated (`sympy.evaluate(False)`), where that stays one function whose
    derivative SymPy gives as 1/x, without the base.
    """

    def log(value: Any, base: Any = None) -> Any:
        return sp.log(value) if base is None else sp.log(value) / sp.log(base)

    return {
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
        "log": log,
        "ln": log,
        "log2": lambda value: log(value, 2),
        "log10": lambda value: log(value, 10),
        "log1p": lambda value: sp.log(1 + value),
        "sqrt": sp.sqrt,
        "cbrt": lambda value: sp.real_root(value, 3),
        "power": lambda base, exponent: base**exponent,
        "pow": lambda base, exponent: base**exponent,
        "square": lambda value: value**2,
        "hypot": lambda a, b: sp.sqrt(a**2 + b**2),
        # NumPy's and SciPy's names whose meaning SymPy has under another spelling (np.sinc
        # is the normalised sin(pi x)/(pi x)). Not erf, nor scipy.special.ndtr built on it:
        # SymPy's erf does not lambdify to NumPy, so its derivative could not be evaluated.
        "sinc": lambda value: sp.sinc(sp.pi * value),
        "logaddexp": lambda a, b: sp.log(sp.exp(a) + sp.exp(b)),
        "logaddexp2": lambda a, b: log(2**a + 2**b, 2),
        "expit": lambda value: 1 / (1 + sp.exp(-value)),
        "sigmoid": lambda value: 1 / (1 + sp.exp(-value)),
        "softplus": lambda value: sp.log(1 + sp.exp(value)),
    }


def _pieces(sp: Any) -> dict[str, Any]:
    """Kinks, steps and branches: `where` becomes a `Piecewise`, `maximum` a `Max` (whose
    derivative is a `Heaviside`), `heaviside` is 1/2 at 0 unless told otherwise."""

    def where(condition: Any, if_true: Any, if_false: Any) -> Any:
        if condition is sp.true or condition is True:
            return if_true
        if condition is sp.false or condition is False:
            return if_false
        return sp.Piecewise((if_true, condition), (if_false, True))

    half = sp.Rational(1, 2)

    def heaviside(value: Any, at_zero: Any = half) -> Any:
        return sp.Heaviside(value, at_zero)

    return {
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
        "relu": lambda value: sp.Max(value, 0),
    }


def _arrays_and_constants(sp: Any) -> dict[str, Any]:
    """The arrays f may build (of objects, so symbols can be written into them) and NumPy's
    constants as SymPy's exact ones."""

    def array(values: Any, *args: Any, **kwargs: Any) -> Any:
        return np.array(values, dtype=object)

    return {
        "array": array,
        "asarray": array,
        "zeros": _writable(np.zeros),
        "ones": _writable(np.ones),
        "empty": _writable(np.zeros),
        "zeros_like": _writable(np.zeros_like),
        "ones_like": _writable(np.ones_like),
        "empty_like": _writable(np.zeros_like),
        "full": _writable(np.full),
        "pi": sp.pi,
        "e": sp.E,
        "inf": sp.oo,
        "nan": sp.nan,
    }


def _own_spellings(sp: Any) -> dict[str, Any]:
    """SymPy's own names for the same functions (`from sympy import *` binds them), so an f
    written with `Abs` or `Max` is traced entry by entry over arrays as `abs` is."""
    return {name: getattr(sp, name) for name in SYMPY_OWN_NAMES}


@functools.cache
def sympy_namespace() -> Namespace:
    """SymPy's counterparts of the NumPy names, chosen so the derivative is the real one.

    Built by kind (smooth functions, pieces, reductions, arrays and constants, SymPy's own
    spellings); every name of the vocabulary must be among them.
    """
    import sympy as sp

    table: dict[str, Any] = {
        **_smooth(sp),
        **_pieces(sp),
        **_reductions(sp),
        **_arrays_and_constants(sp),
        **_own_spellings(sp),
    }
    missing = (FUNCTION_NAMES | CONSTANT_NAMES) - table.keys()
    assert not missing, f"sympy namespace lacks {sorted(missing)}"
    return Namespace("sympy", _over_symbol_arrays(table), None, np)


# SymPy functions over object arrays of symbols. A loss of a parameter vector `w` is traced
# with `w` an object array of SymPy symbols, so `np.exp(X @ w)` must apply `exp` to each entry
# and `np.sum(..., axis=1)` must add along an axis. Scalar arguments take the unchanged path.

_COMBINING_CLASS_NAMES = {"sum": "Add", "prod": "Mul", "max": "Max", "min": "Min", "mean": "Add"}


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
        combine = getattr(sp, _COMBINING_CLASS_NAMES[name])

        def reduce(values: Any, axis: Any = None, *args: Any, keepdims: bool = False) -> Any:
            if isinstance(values, np.ndarray) and (axis is not None or keepdims):
                return _reduce_along(values, axis, keepdims, combine, name == "mean")
            # The axis goes on, so that one along an axis of one number is refused there.
            return scalar_version(values, *(() if axis is None else (axis,)), *args)

        return reduce

    extended: dict[str, Any] = {}
    for name, value in table.items():
        if name in _COMBINING_CLASS_NAMES:
            extended[name] = reduction(name, value)
        elif callable(value) and name not in ("array", "asarray"):
            extended[name] = elementwise(value)
        else:
            extended[name] = value
    return extended


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
