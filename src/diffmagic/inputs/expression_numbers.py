"""How big the exact numbers of an expression may grow, checked before anything computes them.

Python and SymPy compute whole numbers exactly, so a few characters can ask for a number of
hundreds of millions of digits, computed in one C call that holds the interpreter: neither a
time limit nor the one guard's worker can stop it (see `worker.py`), so it is refused here.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.expression_checks import snippet

MAX_CONSTANT_BITS = 4096
"""Integer arithmetic is exact in Python and in SymPy, and one power tower takes minutes while
holding the interpreter: `9**9**9` has 370 million digits, and no time limit can stop a C call
that holds the GIL. So is SymPy's `(3*x)**10**8`, which it writes as `3**100000000 * x**...`.
A whole number (or a coefficient SymPy would compute) above this many bits, about 1,200
digits, is refused before anything computes it."""


def check_constant_sizes(tree: ast.Expression, source: str) -> None:
    """Refuse exact arithmetic whose result would be a huge whole number.

    Bottom-up, each node gets its value when it is a constant (computed only once its size is
    known to be small) and an upper bound on the bits of the exact coefficient SymPy would
    carry for it: products, quotients and integer powers multiply coefficients out (`(3*x)**n`
    is `3**n * x**n`), sums and functions do not. A float makes a constant a float, which
    cannot grow (it overflows to inf, or raises at once). Iterative, like every walker that
    may meet a deep tree.
    """
    values: dict[int, int | float] = {}
    bits: dict[int, float] = {}
    for node in _post_order(tree.body):
        size = _coefficient_bits(node, values, bits)
        if size > MAX_CONSTANT_BITS:
            digits = int(size * 0.30103)
            raise DiffMagicError(
                f"`{snippet(node, source)}` makes a whole number of about {digits:,} digits, "
                f"more than the {int(MAX_CONSTANT_BITS * 0.30103):,} an expression may compute "
                "exactly (9**9**9 would take minutes that no time limit can stop): use a "
                "smaller power, or a float such as 9.0**9"
            )
        bits[id(node)] = size
        value = _constant_value(node, values)
        if value is not None:
            values[id(node)] = value


def _post_order(root: ast.AST) -> list[ast.AST]:
    """Every node of `root`, children before their parent, without recursion."""
    ordered: list[ast.AST] = []
    stack = [root]
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return ordered[::-1]


def _coefficient_bits(
    node: ast.AST, values: dict[int, int | float], bits: dict[int, float]
) -> float:
    """An upper bound on the bits of the exact number `node` makes (its value, or the
    coefficient SymPy multiplies out), from its children's."""
    if isinstance(node, ast.Constant):
        return float(abs(node.value).bit_length()) if type(node.value) is int else 0.0
    if isinstance(node, ast.UnaryOp):
        return bits.get(id(node.operand), 0.0)
    if not isinstance(node, ast.BinOp):
        return 0.0  # a variable, a function's value, a comparison: no exact coefficient
    left, right = bits.get(id(node.left), 0.0), bits.get(id(node.right), 0.0)
    if isinstance(node.op, ast.Pow):
        exponent = values.get(id(node.right))
        if type(exponent) is not int:
            return 0.0  # a float or symbolic exponent: SymPy keeps the power as it is
        base = values.get(id(node.left))
        if base is not None and (exponent < 0 or type(base) is float or abs(base) <= 1):
            return 1.0  # Python computes a float, or 0, 1, -1
        return left * abs(exponent)
    if isinstance(node.op, ast.Mult | ast.Div):
        return left + right
    return max(left, right) + 1 if id(node.left) in values and id(node.right) in values else 0.0


def _constant_value(node: ast.AST, values: dict[int, int | float]) -> int | float | None:
    """The value of a constant subexpression (its size already checked), None when it
    involves a variable or a function, or raises."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value  # type: ignore[no-any-return]
    if isinstance(node, ast.UnaryOp) and id(node.operand) in values:
        operand = values[id(node.operand)]
        return -operand if isinstance(node.op, ast.USub) else operand
    if not (isinstance(node, ast.BinOp) and id(node.left) in values and id(node.right) in values):
        return None
    try:
        return _BINARY[type(node.op)](values[id(node.left)], values[id(node.right)])
    except (ArithmeticError, ValueError, TypeError, KeyError):
        return None  # the backends say what is wrong when they evaluate it


_BINARY: dict[type[ast.operator], Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
