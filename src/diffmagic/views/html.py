"""The comparison as an HTML table, for notebooks and the `--html` report."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from diffmagic.views.rows import HEADERS, caption, footnotes, rows

if TYPE_CHECKING:
    from diffmagic.comparison import Comparison

_STYLE = (
    "<style>"
    ".diffmagic-table{border-collapse:collapse;font-size:13px}"
    "table.diffmagic-table th,table.diffmagic-table td{padding:3px 10px;text-align:left;"
    "border-bottom:1px solid #ddd}"
    ".diffmagic-table td.failed{color:#b00020;font-weight:bold}"
    ".diffmagic-table td.ok{color:#1b7f2a}"
    ".diffmagic-table tr.notes td{color:#555;font-size:12px;border-bottom:1px solid #bbb}"
    ".diffmagic-notes{font-size:12px;color:#333;margin:4px 0 0 0;padding-left:18px}"
    "</style>"
)


#: Inline as well as in the style sheet: notebook front ends may drop <style> from outputs (an
#: ipywidgets Output does), and their own tables are right-aligned. Times and errors never wrap.
_CELL = "text-align:left"
_NUMBER = "text-align:left;white-space:nowrap"
_NUMBER_COLUMNS = range(3, 8)


def html_table(comparison: Comparison) -> str:
    escape = html.escape
    parts = [
        _STYLE,
        '<table class="diffmagic-table">',
        f"<caption style='text-align:left'>{escape(caption(comparison))}</caption>",
        "<thead><tr>"
        + "".join(f"<th style='{_CELL}'>{escape(h)}</th>" for h in HEADERS)
        + "</tr></thead>",
        "<tbody>",
    ]
    for table_row in rows(comparison):
        cells = []
        for index, cell in enumerate(table_row.cells):
            css = f' class="{"ok" if table_row.ok else "failed"}"' if index == 2 else ""
            style = _NUMBER if index in _NUMBER_COLUMNS else _CELL
            cells.append(f"<td{css} style='{style}'>{escape(cell)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
        if table_row.notes:
            notes = "<br>".join(escape(note) for note in table_row.notes)
            parts.append(
                f"<tr class='notes'><td></td><td colspan='{len(HEADERS) - 1}' "
                f"style='text-align:left'>{notes}</td></tr>"
            )
    parts.append("</tbody></table>")
    parts.append(
        '<ul class="diffmagic-notes">'
        + "".join(f"<li>{escape(note)}</li>" for note in footnotes(comparison))
        + "</ul>"
    )
    return "".join(parts)
