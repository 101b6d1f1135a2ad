"""SymPy's derivative as it is shown: never with a value where the derivative does not exist.

SymPy's simplify turns sign(x) + cos(2x), the derivative of |x| + sin x cos x, into
`Piecewise((1, Eq(x, 0)), (x/Abs(x) + cos(2x), True))`: "1 at x = 0", where f' has no value
(the footnote says so, and the course: d|x|/dx does not exist at 0). The formula shown drops
such a branch and says where it holds instead: `x/|x| + cos 2x  (x ≠ 0)`. The expression the
symbolic row evaluates is left alone: its number at 0 is SymPy's convention, shown as such.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diffmagic.results.comparison import Comparison

#: Points where the derivative does not exist listed one by one in the formula's condition;
#: more are shortened (floor's nine jumps: x ≠ -4, -3, …, 4).
LISTED = 4


def shown_derivative(comparison: Comparison) -> Any:
    """The comparison's derivative without the Piecewise branches that give it a value at a
    point where it does not exist (`Eq(x, 0)` where 0 is listed; `Ne(x, 0)` holds there)."""
    import sympy as sp

    expression = comparison.derivative_expr
    points = comparison.nondifferentiable
    if expression is None or not points or not expression.has(sp.Piecewise):
        return expression
    symbol = sp.Symbol(comparison.target.wrt, real=True)
    low, high = comparison.domain
    near = 1e-9 * max(high - low, 1.0)

    def listed(condition: Any) -> bool:
        at = _point_of(condition, symbol)
        return at is not None and any(abs(at - point) <= near for point in points)

    def pruned(piecewise: Any) -> Any:
        kept = []
        for branch, condition in piecewise.args:
            if isinstance(condition, sp.Eq) and listed(condition):
                continue
            if isinstance(condition, sp.Ne) and listed(condition):
                condition = sp.true
            kept.append((branch, condition))
            if condition is sp.true:
                break
        if not kept:
            return piecewise
        return kept[0][0] if kept[0][1] is sp.true else sp.Piecewise(*kept)

    return expression.replace(lambda node: isinstance(node, sp.Piecewise), pruned)


def _point_of(condition: Any, symbol: Any) -> float | None:
    """c when `condition` compares the variable with one number c (`Eq(x, 0)`, `Ne(2x - 1, 0)`)."""
    import sympy as sp

    if not isinstance(condition, sp.Eq | sp.Ne):
        return None
    difference = condition.lhs - condition.rhs
    if difference.free_symbols != {symbol}:
        return None
    try:
        polynomial = sp.Poly(difference, symbol)
    except sp.PolynomialError:
        return None
    if polynomial.degree() != 1:
        return None
    slope, offset = polynomial.all_coeffs()
    root = -offset / slope
    return float(root) if root.is_number and root.is_real else None


def where_it_holds(comparison: Comparison, latex: bool) -> str:
    """`(x ≠ 0)` after the formula: the points where the derivative does not exist, in LaTeX
    or plain text; empty when it exists on the whole domain."""
    points = comparison.nondifferentiable
    if not points:
        return ""
    numbers = [f"{point:g}" for point in points]
    if len(numbers) > LISTED:
        numbers = [*numbers[:2], r"\ldots" if latex else "…", numbers[-1]]
    if not latex:
        return f" ({comparison.target.wrt} ≠ {', '.join(numbers)})"
    import sympy as sp

    variable = sp.latex(sp.Symbol(comparison.target.wrt))
    return rf" \quad ({variable} \neq {', '.join(numbers)})"
