"""The comparison as plain text: what a terminal, `print(cmp)` or an exported notebook shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from diffmagic.views.formula import shown_derivative, where_it_holds
from diffmagic.views.rows import HEADERS, caption, footnotes, rows
from diffmagic.views.tables import GREEN, RED, aligned_table

if TYPE_CHECKING:
    from diffmagic.api.compare import Comparison


def text_table(comparison: Comparison, colour: bool = False) -> str:
    """An aligned table with each row's notes under it; red/green only when `colour`."""
    table_rows = rows(comparison)
    table = aligned_table(
        HEADERS,
        [table_row.cells for table_row in table_rows],
        under=[[f"    - {note}" for note in table_row.notes] for table_row in table_rows],
        colours=[GREEN if table_row.ok else RED for table_row in table_rows] if colour else None,
    )
    lines = [caption(comparison), "", table, ""]
    lines.extend(f"* {note}" for note in footnotes(comparison))
    return "\n".join(lines)


def latex(comparison: Comparison) -> str | None:
    """`f(x) = ...` and `f'(x) = ...` as one LaTeX display, or None with no symbolic form."""
    if comparison.function_expr is None or comparison.derivative_expr is None:
        return None
    import sympy as sp

    variable = comparison.target.wrt
    name = comparison.target.name
    order = comparison.order
    derivative = name + "'" * order if order <= 3 else f"{name}^{{({order})}}"
    return (
        f"{name}({variable}) = {sp.latex(comparison.function_expr)}"
        f", \\qquad {derivative}({variable}) = {sp.latex(shown_derivative(comparison))}"
        + where_it_holds(comparison, latex=True)
    )
