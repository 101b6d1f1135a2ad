"""Tables laid out once: aligned plain-text columns, and the rows of an HTML table.

Every plain-text table diffmagic prints (the comparison, the gradient check, the partial
derivatives, gradients and Jacobians, the sweeps) pads each column to its widest cell, two
spaces apart, and cuts the spaces a line ends with, so a terminal, a doctest and a pinned test
all see the same text. Writing that once keeps the tables alike and their tests stable.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

#: Between two columns of a text table.
COLUMN_GAP = "  "
#: ANSI colour codes a terminal row can be drawn in (`colours=` of `aligned_table`).
GREEN = "32"
RED = "31"


def aligned_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    rule: bool = True,
    under: Sequence[Sequence[str]] | None = None,
    colours: Sequence[str | None] | None = None,
) -> str:
    """The header, a rule of dashes (unless `rule` is False), then one line per row.

    `under[i]` holds the lines shown beneath row i as they are (its notes, already indented),
    and leaves the column widths alone: a long note does not widen the table. `colours[i]`, an
    ANSI code such as GREEN, colours row i's line in a terminal (None leaves it plain).
    """
    widths = [len(cell) for cell in header]
    for cells in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, cells, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return COLUMN_GAP.join(padded).rstrip()

    lines = [line(header)]
    if rule:
        lines.append(line(["-" * width for width in widths]))
    for index, cells in enumerate(rows):
        text = line(cells)
        colour = colours[index] if colours is not None else None
        lines.append(text if colour is None else f"\033[{colour}m{text}\033[0m")
        if under is not None:
            lines.extend(under[index])
    return "\n".join(lines)


def html_row(
    cells: Sequence[str],
    tag: str = "td",
    style: str | Sequence[str] | None = None,
    classes: Sequence[str | None] | None = None,
) -> str:
    """`<tr>` of escaped cells, each a `tag` (`td`, or `th` for a header).

    `style` is one inline style for every cell, or one per cell; inline because notebook front
    ends may drop a `<style>` sheet from outputs. `classes` gives each cell a class (or None).
    """
    parts = []
    for index, cell in enumerate(cells):
        css = style if style is None or isinstance(style, str) else style[index]
        name = classes[index] if classes is not None else None
        attributes = (f' class="{name}"' if name else "") + (
            f" style='{css}'" if css is not None else ""
        )
        parts.append(f"<{tag}{attributes}>{html.escape(cell)}</{tag}>")
    return "<tr>" + "".join(parts) + "</tr>"
