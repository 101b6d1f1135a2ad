"""The comparison as plain text: what a terminal, `print(cmp)` or an exported notebook shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from diffmagic.views.rows import HEADERS, caption, footnotes, rows

if TYPE_CHECKING:
    from diffmagic.comparison import Comparison


def text_table(comparison: Comparison, colour: bool = False) -> str:
    """An aligned table with each row's notes under it; red/green only when `colour`."""
    table_rows = rows(comparison)
    widths = [len(header) for header in HEADERS]
    for table_row in table_rows:
        widths = [
            max(width, len(cell)) for width, cell in zip(widths, table_row.cells, strict=True)
        ]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.ljust(width) for cell, width in zip(cells, widths, strict=True)
        ).rstrip()

    lines = [caption(comparison), "", line(HEADERS), line(tuple("-" * w for w in widths))]
    for table_row in table_rows:
        text = line(table_row.cells)
        if colour:
            text = f"\033[{'32' if table_row.ok else '31'}m{text}\033[0m"
        lines.append(text)
        lines.extend(f"    - {note}" for note in table_row.notes)
    lines.append("")
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
        f", \\qquad {derivative}({variable}) = {sp.latex(comparison.derivative_expr)}"
    )
