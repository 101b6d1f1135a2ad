"""The comparison as an HTML table, for notebooks and the `--html` report."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from diffmagic.views.rows import HEADERS, caption, footnotes, rows
from diffmagic.views.tables import html_row

if TYPE_CHECKING:
    from diffmagic.api.compare import Comparison

#: Colours come from the front end's theme (JupyterLab and Notebook 7: --jp-*, VS Code:
#: --vscode-*), with a fallback that reads on white (an exported page, Colab's light theme).
#: Body text is never coloured at all: it inherits the theme's foreground.
TEXT_SECONDARY = "var(--jp-content-font-color2, var(--vscode-descriptionForeground, currentColor))"
ERROR_COLOUR = "var(--jp-error-color1, var(--vscode-errorForeground, #b00020))"
RULE = "var(--jp-border-color2, var(--vscode-editorWidget-border, rgba(128, 128, 128, 0.45)))"
RULE_STRONG = "var(--jp-border-color1, var(--vscode-editorWidget-border, rgba(128, 128, 128, 0.7)))"
SUCCESS_MARK = "var(--jp-success-color1, var(--vscode-testing-iconPassed, #1b7f2a))"

_STYLE = (
    "<style>"
    ".diffmagic-table{border-collapse:collapse;font-size:13px}"
    "table.diffmagic-table th,table.diffmagic-table td{padding:3px 10px;text-align:left;"
    f"border-bottom:1px solid {RULE}}}"
    f".diffmagic-table td.failed{{color:{ERROR_COLOUR};font-weight:bold}}"
    f".diffmagic-table tr.notes td{{color:{TEXT_SECONDARY};font-size:12px;"
    f"border-bottom:1px solid {RULE_STRONG}}}"
    f".diffmagic-notes{{font-size:12px;color:{TEXT_SECONDARY};margin:4px 0 0 0;"
    "padding-left:18px}"
    "</style>"
)


#: Inline as well as in the style sheet: notebook front ends may drop <style> from outputs (an
#: ipywidgets Output does), and their own tables are right-aligned. Times and errors never wrap.
_CELL = "text-align:left"  # rules come from the style sheet: where it is dropped, the front end's
_NUMBER = _CELL + ";white-space:nowrap"
_NUMBER_COLUMNS = range(3, 8)
_STATUS_COLUMN = HEADERS.index("status")
#: "ok" keeps the theme's text colour (a green that reads on white fails on a dark theme) and is
#: marked by a green bar beside it; "failed" is the theme's error colour, in bold.
_STATUS = {
    True: f"{_CELL};border-left:3px solid {SUCCESS_MARK}",
    False: f"{_CELL};color:{ERROR_COLOUR};font-weight:bold",
}
_NOTES = (
    f"text-align:left;color:{TEXT_SECONDARY};font-size:12px;border-bottom:1px solid {RULE_STRONG}"
)
_FOOTNOTES = f"font-size:12px;color:{TEXT_SECONDARY};margin:4px 0 0 0;padding-left:18px"


def html_table(comparison: Comparison, timing_hint: str | None = None) -> str:
    escape = html.escape
    parts = [
        _STYLE,
        '<table class="diffmagic-table">',
        f"<caption style='text-align:left'>{escape(caption(comparison, timing_hint))}</caption>",
        f"<thead>{html_row(HEADERS, 'th', _CELL)}</thead>",
        "<tbody>",
    ]
    for table_row in rows(comparison):
        styles = [
            _NUMBER if index in _NUMBER_COLUMNS else _CELL for index in range(len(table_row.cells))
        ]
        styles[_STATUS_COLUMN] = _STATUS[table_row.ok]
        classes: list[str | None] = [None] * len(table_row.cells)
        classes[_STATUS_COLUMN] = "ok" if table_row.ok else "failed"
        parts.append(html_row(table_row.cells, style=styles, classes=classes))
        if table_row.notes:
            notes = "<br>".join(escape(note) for note in table_row.notes)
            parts.append(
                f"<tr class='notes'><td></td><td colspan='{len(HEADERS) - 1}' "
                f"style='{_NOTES}'>{notes}</td></tr>"
            )
    parts.append("</tbody></table>")
    parts.append(
        f'<ul class="diffmagic-notes" style="{_FOOTNOTES}">'
        + "".join(f"<li>{escape(note)}</li>" for note in footnotes(comparison))
        + "</ul>"
    )
    return "".join(parts)
