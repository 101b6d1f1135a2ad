"""Tracing a loss with SymPy symbols in place of its parameters, fast enough for n = 100.

The loss runs unchanged (rebound to SymPy, see `diffmagic.inputs.rebind`) on an object array of
symbols. Two things make that practical where plain object arrays are not:

* `SymbolArray`, an object-array subclass whose `@` (and `np.add.reduce`) builds each sum as
  one SymPy `Add` of all its terms. NumPy's object matmul adds term by term, and SymPy
  re-flattens the growing sum each time: 3.5 s for a 50 x 100 `X @ w`, against 0.1 s here.
* `Calculus`, which differentiates the traced expression by SymPy's own rules (the sum,
  product and power rules, and each function's `fdiff`) with two memos SymPy lacks: the
  symbols each subexpression depends on, and each subexpression's derivative for the symbol at
  hand. `sympy.diff` recomputes `free_symbols` of every subtree at every level and took 5 s a
  coordinate on the 30-parameter square loss; here a coordinate visits only the
  subexpressions that contain its symbol. It is still symbolic differentiation, one
  coordinate at a time: the cost grows with n times the size of f, as it should.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np


class SymbolArray(np.ndarray):
    """An object array of SymPy expressions whose matrix products and sums are built in one go.

    Any other ufunc runs NumPy's object loop on plain arrays; results come back as
    `SymbolArray` so products further down the loss stay fast.
    """

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        plain = [x.view(np.ndarray) if isinstance(x, SymbolArray) else x for x in inputs]
        if ufunc is np.matmul and method == "__call__" and not kwargs:
            result = _matmul(*plain)
        elif ufunc is np.add and method == "reduce" and set(kwargs) <= {"axis", "keepdims"}:
            from diffmagic.inputs.backends import sympy_namespace

            total = sympy_namespace().sum
            result = total(plain[0], kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
        else:
            if "out" in kwargs:
                kwargs["out"] = tuple(
                    o.view(np.ndarray) if isinstance(o, SymbolArray) else o for o in kwargs["out"]
                )
            result = getattr(ufunc, method)(*plain, **kwargs)
        if isinstance(result, np.ndarray) and result.dtype == object and result.ndim > 0:
            return result.view(SymbolArray)
        return result


def _matmul(a: Any, b: Any) -> Any:
    """`a @ b` for 1-D and 2-D operands, each entry one SymPy Add of its nonzero products."""
    import sympy as sp

    left, right = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if left.ndim == 0 or right.ndim == 0 or left.ndim > 2 or right.ndim > 2:
        return np.matmul(left, right)
    rows = left if left.ndim == 2 else left[None, :]
    columns = right if right.ndim == 2 else right[:, None]
    if rows.shape[1] != columns.shape[0]:
        return np.matmul(left, right)  # NumPy's own shape error, with its wording
    out = np.empty((rows.shape[0], columns.shape[1]), dtype=object)
    for i in range(rows.shape[0]):
        row = rows[i]
        for k in range(columns.shape[1]):
            terms = [
                x * y
                for x, y in zip(row, columns[:, k], strict=True)
                if not (_is_zero_number(x) or _is_zero_number(y))
            ]
            out[i, k] = sp.Add(*terms) if terms else sp.S.Zero
    if left.ndim == 1:
        out = out[0]
    if right.ndim == 1:
        out = out[..., 0]
    return out.item() if out.ndim == 0 else out


def _is_zero_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and value == 0


def symbol_vector(size: int) -> SymbolArray:
    """`size` real symbols w0, w1, ... as a `SymbolArray`."""
    import sympy as sp

    symbols = sp.symbols(f"w0:{size}", real=True) if size > 1 else (sp.Symbol("w0", real=True),)
    vector = np.empty(size, dtype=object)
    vector[:] = list(symbols)
    return vector.view(SymbolArray)


class Calculus:
    """Derivatives of SymPy expressions in `symbols`, memoised on subexpressions.

    Memos are keyed by object identity (hashing SymPy Floats costs more than the derivative);
    every node keyed is held alive by the expression it belongs to, or by `_alive`.
    """

    def __init__(self, symbols: list[Any]) -> None:
        self.symbols = symbols
        self._bit = {id(symbol): 1 << i for i, symbol in enumerate(symbols)}
        self._depends: dict[int, int] = {}
        self._outer: dict[tuple[int, int], Any] = {}
        self._terms_by_symbol: dict[int, dict[int, list[Any]]] = {}
        self._alive: list[Any] = []

    def depends(self, node: Any) -> int:
        """A bit mask of the symbols `node` contains."""
        found = self._depends.get(id(node))
        if found is None:
            found = self._bit.get(id(node))
            if found is None:
                found = 0
                for argument in node.args:
                    found |= self.depends(argument)
            self._depends[id(node)] = found
            self._alive.append(node)
        return found

    def _outer_derivative(self, node: Any, argument: int) -> Any:
        """A function's derivative in its argument (SymPy's `fdiff`; the power rule's
        e * b**(e - 1) for a power), once per node."""
        import sympy as sp

        key = (id(node), argument)
        found = self._outer.get(key)
        if found is None:
            if isinstance(node, sp.Pow):
                base, exponent = node.args
                found = _mul([exponent, sp.Pow(base, _minus_one(exponent))])
            else:
                found = node.fdiff(argument)
            self._outer[key] = found
        return found

    def _terms_with(self, node: Any, index: int) -> list[Any]:
        """The terms of a sum that contain symbol `index` (the sum rule skips the others)."""
        by_symbol = self._terms_by_symbol.get(id(node))
        if by_symbol is None:
            by_symbol = {}
            for term in node.args:
                mask = self.depends(term)
                while mask:
                    low = mask & -mask
                    by_symbol.setdefault(low.bit_length() - 1, []).append(term)
                    mask ^= low
            self._terms_by_symbol[id(node)] = by_symbol
        return by_symbol.get(index, [])

    def derivative(self, node: Any, index: int, memo: dict[int, Any]) -> Any:
        """d node / d symbols[index] by SymPy's rules, sharing the subexpressions of `node`."""
        import sympy as sp

        if not self.depends(node) & (1 << index):
            return sp.S.Zero
        found = memo.get(id(node))
        if found is not None:
            return found
        symbol = self.symbols[index]
        if node is symbol:
            result: Any = sp.S.One
        elif isinstance(node, sp.Add):
            result = _add([self.derivative(a, index, memo) for a in self._terms_with(node, index)])
        elif isinstance(node, sp.Mul):
            terms = []
            for i, factor in enumerate(node.args):
                inner = self.derivative(factor, index, memo)
                if inner is not sp.S.Zero:
                    terms.append(_mul([*node.args[:i], *node.args[i + 1 :], inner]))
            result = _add(terms)
        elif isinstance(node, sp.Pow) and not self.depends(node.args[1]) & (1 << index):
            inner = self.derivative(node.args[0], index, memo)
            result = _mul([self._outer_derivative(node, 1), inner])
        elif isinstance(node, sp.Function) and not isinstance(node, sp.Piecewise):
            terms = []
            for i, argument in enumerate(node.args):
                inner = self.derivative(argument, index, memo)
                if inner is not sp.S.Zero:
                    terms.append(_mul([self._outer_derivative(node, i + 1), inner]))
            result = _add(terms)
        else:
            result = _sympy_diff(node, symbol)
        memo[id(node)] = result
        return result

    def gradient(self, expression: Any) -> list[Any]:
        """Every partial derivative of `expression`, one coordinate at a time.

        Built unevaluated (`sympy.evaluate(False)`): SymPy's automatic simplification asks
        the assumptions system about every new product, which costs more than the derivative.
        """
        import sympy as sp

        with sp.evaluate(False):
            return [self.derivative(expression, i, {}) for i in range(len(self.symbols))]


def _minus_one(exponent: Any) -> Any:
    import sympy as sp

    if exponent.is_Rational:
        return sp.Rational(exponent.p - exponent.q, exponent.q)
    return sp.Add(exponent, sp.S.NegativeOne, evaluate=False)


def _sympy_diff(node: Any, symbol: Any) -> Any:
    """SymPy's own `diff`, for what the rules above do not cover (Piecewise, Max, ...)."""
    import sympy as sp

    with sp.evaluate(True):
        return sp.diff(node, symbol)


def _add(terms: list[Any]) -> Any:
    import sympy as sp

    kept = [t for t in terms if t is not sp.S.Zero]
    if not kept:
        return sp.S.Zero
    # `_from_args` is SymPy's own constructor for terms known to need no canonicalising.
    return kept[0] if len(kept) == 1 else sp.Add._from_args(tuple(kept))


def _mul(factors: list[Any]) -> Any:
    import sympy as sp

    if any(f is sp.S.Zero for f in factors):
        return sp.S.Zero
    kept = [f for f in factors if f is not sp.S.One]
    if not kept:
        return sp.S.One
    return kept[0] if len(kept) == 1 else sp.Mul._from_args(tuple(kept))


def tree_operations(expressions: list[Any]) -> int:
    """Operations in the expressions written out as trees (what printing them would show),
    counted without writing them out: an Add or Mul of k terms is k - 1 operations, a power or
    function one, each shared subexpression counted every time it is used."""
    import sympy as sp

    sizes: dict[int, int] = {}  # by identity: every node is held by `expressions`

    def size(node: Any) -> int:
        found = sizes.get(id(node))
        if found is None:
            own = len(node.args) - 1 if isinstance(node, sp.Add | sp.Mul) else 1
            found = (own if node.args else 0) + sum(size(a) for a in node.args)
            sizes[id(node)] = found
        return found

    return sum(size(e) for e in expressions)


# ----------------------------------------------------------------------------- evaluation

_MPMATH_NAMES = {"Abs": "fabs", "asin": "asin", "acos": "acos", "atan": "atan"}


class Evaluator:
    """Values of SymPy expressions at a point, in mpmath (`digits`) or float64, memoised."""

    def __init__(self, values: dict[Any, Any], *, digits: int | None) -> None:
        import mpmath

        self._mp = mpmath
        self.digits = digits
        self._point = dict(values)
        # By identity, as in `Calculus`: the expressions evaluated hold their nodes alive.
        self._values: dict[int, Any] = {id(symbol): value for symbol, value in values.items()}
        self._keep = list(values)
        self._bits = None if digits is None else int(digits * 3.33) + 8

    def number(self, node: Any) -> Any:
        if self.digits is None:
            return float(node)
        # A Float holding a float64 widens exactly; a Rational or pi gets the digits asked.
        return self._mp.mpf(node.evalf(self.digits + 5))

    def function(self, node: Any) -> Callable[..., Any] | None:
        name = type(node).__name__
        if self.digits is None:
            table: dict[str, Callable[..., Any]] = {"Abs": abs, "sign": np.sign}
            return table.get(name) or getattr(np, name, None)
        return getattr(self._mp, _MPMATH_NAMES.get(name, name), None)

    def value(self, node: Any) -> Any:
        import sympy as sp

        found = self._values.get(id(node))
        if found is not None:
            return found
        if node.is_Number or isinstance(node, sp.NumberSymbol):
            result = self.number(node)
        elif isinstance(node, sp.Add):
            result = sum((self.value(a) for a in node.args[1:]), self.value(node.args[0]))
        elif isinstance(node, sp.Mul):
            result = self.value(node.args[0])
            for factor in node.args[1:]:
                result = result * self.value(factor)
        elif isinstance(node, sp.Pow):
            base, exponent = self.value(node.args[0]), self.value(node.args[1])
            result = self._power(base, exponent)
        else:
            function = self.function(node) if isinstance(node, sp.Function) else None
            if function is not None and type(node).__name__ not in ("Heaviside", "Max", "Min"):
                result = self._real(function(*(self.value(a) for a in node.args)))
            else:
                result = self._by_substitution(node)
        self._values[id(node)] = result
        return result

    def _power(self, base: Any, exponent: Any) -> Any:
        try:
            return self._real(base**exponent)
        except (ZeroDivisionError, OverflowError, ValueError):
            return math.nan if self.digits is None else self._mp.nan

    def _real(self, value: Any) -> Any:
        if isinstance(value, complex | self._mp.mpc):
            return math.nan if self.digits is None else self._mp.nan
        return value

    def _by_substitution(self, node: Any) -> Any:
        """Anything else (Max, Heaviside, Piecewise): SymPy's own evaluation at the point."""
        import sympy as sp

        digits = self.digits or 17
        point = {
            symbol: sp.Float(self._point[symbol], digits)
            for symbol in node.free_symbols
            if symbol in self._point
        }
        value = node.evalf(digits, subs=point)
        try:
            return float(value) if self.digits is None else self._mp.mpf(value)
        except TypeError:
            return math.nan if self.digits is None else self._mp.nan
