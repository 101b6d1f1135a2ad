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


def latex_name(name: str) -> str:
    """A function's name in LaTeX, as the learner wrote it.

    SymPy's printer, and LaTeX itself, read `f_composed` as f with the subscript "composed"
    and `f2` as f with the subscript 2. A one-letter name stays as mathematics writes it
    (italic f); a longer one is set upright as one word, as LaTeX sets sin and log, with each
    underscore drawn: `\\operatorname{f\\_composed}`, which KaTeX, MathJax and matplotlib's
    mathtext all read.
    """
    if len(name) == 1:
        return name
    return "\\operatorname{" + name.replace("_", "\\_") + "}"


def latex_derivative_name(order: int, name: str) -> str:
    """f', f'', f''' and then f^{(4)}, the name set by `latex_name`."""
    shown = latex_name(name)
    return shown + "'" * order if order <= 3 else f"{shown}^{{({order})}}"


def latex(comparison: Comparison) -> str | None:
    """`f(x) = ...` and `f'(x) = ...` as one LaTeX display, or None with no symbolic form.

    The variable is printed by SymPy, as it is inside the formulas; the name as written.
    """
    if comparison.function_expr is None or comparison.derivative_expr is None:
        return None
    import sympy as sp

    variable = sp.latex(sp.Symbol(comparison.target.wrt))
    name = latex_name(comparison.target.name)
    derivative = latex_derivative_name(comparison.order, comparison.target.name)
    return (
        f"{name}({variable}) = {sp.latex(comparison.function_expr)}"
        f", \\qquad {derivative}({variable}) = {sp.latex(shown_derivative(comparison))}"
        + where_it_holds(comparison, latex=True)
    )
