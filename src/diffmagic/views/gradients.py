"""Tables (text, HTML) and figures for gradients, Jacobians and the parameter study.

Figures are `matplotlib.figure.Figure` objects (no pyplot state), as in `diffmagic.views`.
HTML colours fall back from the notebook theme's variables so dark themes stay readable.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.running.timing import format_time
from diffmagic.views.tables import aligned_table, html_row

if TYPE_CHECKING:
    from diffmagic.results.gradient import GradientComparison
    from diffmagic.results.jacobian import JacobianComparison
    from diffmagic.results.study import ParameterStudy

COLOURS = {"symbolic": "C0", "numerical": "C1", "forward": "C2", "reverse": "C3"}
MARKERS = {"symbolic": "s", "numerical": "o", "forward": "^", "reverse": "v"}
#: Errors below this are drawn at this floor: a log axis cannot show an exact zero.
ERROR_FLOOR = 1e-17

_TEXT = "color:var(--jp-ui-font-color1, #222)"
_MUTED = "color:var(--jp-ui-font-color2, #555)"
_FAILED = "color:var(--jp-error-color1, #b00020);font-weight:bold"
_OK = "color:var(--jp-success-color1, #1b7f2a)"
_CELL = "text-align:left;padding:3px 10px;border-bottom:1px solid var(--jp-border-color2, #ddd)"
_NUMBER = _CELL + ";white-space:nowrap"


def _error(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.2e}"


def _multiple(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.3g}x" if value < 1000 else f"{value:,.0f}x"


# ----------------------------------------------------------------------------- gradient


HEADERS = (
    "method",
    "status",
    "max abs error",
    "max rel error",
    "worst at",
    "setup",
    "one gradient",
    "gradient / f",
    "f evaluations",
)


#: A table row: its cells, whether the method worked, and the notes shown under it.
TableRow = tuple[list[str], bool, list[str]]


@dataclass(frozen=True)
class _Table:
    """What the text and the HTML table of one result both show."""

    caption: str
    headers: tuple[str, ...]
    rows: list[TableRow]
    footnotes: list[str]
    #: The column coloured green or red by whether the row's method worked (None: none).
    status_column: int | None = 1


def _method_rows(
    comparison: GradientComparison | JacobianComparison, headers: tuple[str, ...]
) -> list[TableRow]:
    """One row per method, for the gradient's table and the Jacobian's alike.

    Only the gradient's headers have "worst at": a gradient's worst coordinate is one place
    (`W1[3, 2]`), while a Jacobian's is said in its verdict. A gradient row's work (what SymPy
    or JAX built) goes under it as a note; a Jacobian row has none.
    """
    worst_column = "worst at" in headers
    rows: list[TableRow] = []
    for row in comparison.rows():
        if row.flat_values is None:
            cells = [row.label, row.status, *[""] * (len(headers) - 2)]
            rows.append((cells, False, [row.error or "failed"]))
            continue
        timing = row.timing
        worst = ["" if row.is_reference else (row.worst_text or "")] if worst_column else []
        cells = [
            row.label,
            row.status,
            "0 (reference)" if row.is_reference else _error(row.max_abs_error),
            "" if row.is_reference else _error(row.max_rel_error),
            *worst,
            format_time(timing.setup_s) if timing and timing.setup_s else "—",
            format_time(timing.eval_s) if timing else "—",
            _multiple(comparison.cost_in_f(row.key)),
            "—" if timing is None or timing.f_evals is None else f"{timing.f_evals:,}",
        ]
        # A row with values that is not ok says why first (inaccurate, no derivative, ...).
        notes = ([] if row.ok else [row.error or row.status]) + list(row.notes)
        work = getattr(row, "work", None)
        if work:
            notes.append(work)
        rows.append((cells, row.ok, notes))
    return rows


def gradient_caption(comparison: GradientComparison) -> str:
    return (
        f"gradient of {comparison.name} at {comparison.size:,} parameters "
        f"({comparison.flat.shape_text()}); f(at) = {comparison.f_value:.10g}, "
        f"one f: {format_time(comparison.f_seconds)}"
    )


def gradient_footnotes(comparison: GradientComparison) -> list[str]:
    word = "errors" if comparison.exact_reference else "differences"
    notes = [f"reference: {comparison.reference}"]
    notes.append(
        f"{word} are max over coordinates; relative = max |{word[:-1]}| / max |gradient|; "
        "setup = SymPy's derivation or JAX's trace + compile + first call"
    )
    notes.extend(comparison.notes)
    return notes


def gradient_headers(comparison: GradientComparison) -> tuple[str, ...]:
    """The table's headers: "error" against an exact reference, "difference" otherwise."""
    if comparison.exact_reference:
        return HEADERS
    return tuple(h.replace("error", "difference") for h in HEADERS)


def _gradient_table(comparison: GradientComparison) -> _Table:
    headers = gradient_headers(comparison)
    return _Table(
        gradient_caption(comparison),
        headers,
        _method_rows(comparison, headers),
        gradient_footnotes(comparison),
    )


def gradient_text(comparison: GradientComparison) -> str:
    return _text_table(_gradient_table(comparison))


def gradient_html(comparison: GradientComparison) -> str:
    return _html_table(_gradient_table(comparison))


def gradient_figure(comparison: GradientComparison, width: float = 9.5) -> Any:
    """Left: |error| of each ok method per coordinate (log scale). Right: cost as multiples
    of one evaluation of f."""
    from diffmagic.views.shown_figure import ShownFigure

    figure = ShownFigure(
        figsize=(width, 4.0),
        alt=f"error of each method's gradient of {comparison.name} per coordinate (log scale), "
        "and what one gradient cost in evaluations of f",
    )
    errors_axes, cost_axes = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
    coordinates = np.arange(comparison.size)
    word = "error" if comparison.exact_reference else "difference from the reference"
    drawn = False
    for row in comparison.rows():
        if row.flat_values is None or row.is_reference or comparison.reference_values is None:
            continue
        difference = np.abs(row.flat_values - comparison.reference_values)
        difference = np.where(np.isfinite(difference), difference, np.nan)
        shown = np.maximum(difference, ERROR_FLOOR)
        style: dict[str, Any] = {
            "color": COLOURS[row.key],
            "marker": MARKERS[row.key],
            "markersize": 3 if comparison.size <= 200 else 1.5,
            "linestyle": "none",
            "label": f"{row.label}: max {_error(row.max_abs_error)}",
        }
        errors_axes.plot(coordinates, shown, **style)
        drawn = True
    errors_axes.set_yscale("log")
    errors_axes.set_xlabel("coordinate (flat index)")
    errors_axes.set_ylabel(f"|{word}|" if len(word) < 12 else "|difference|")
    errors_axes.set_title(f"{word} per coordinate (zero drawn at 1e-17)", fontsize=10)
    if drawn:
        errors_axes.legend(fontsize=8, loc="best")
    else:
        errors_axes.text(
            0.5, 0.5, "no errors to draw", ha="center", transform=errors_axes.transAxes
        )

    labels, costs, colours = [], [], []
    for row in comparison.rows():
        cost = comparison.cost_in_f(row.key)
        if row.ok and cost is not None:
            labels.append(row.key)
            costs.append(cost)
            colours.append(COLOURS[row.key])
    if costs:
        cost_axes.barh(labels, costs, color=colours)
        cost_axes.set_xscale("log")
        cost_axes.set_xlim(min(costs) / 3, max(costs) * 30)  # room for the labels
        for index, cost in enumerate(costs):
            cost_axes.text(cost, index, f" {_multiple(cost)}", va="center", fontsize=8)
    cost_axes.set_xlabel("one gradient / one f (log)")
    cost_axes.set_title("cost in evaluations of f", fontsize=10)
    figure.suptitle(gradient_caption(comparison), fontsize=9)
    figure.subplots_adjust(left=0.08, right=0.97, bottom=0.14, top=0.84, wspace=0.35)
    return figure


# ----------------------------------------------------------------------------- Jacobian


JACOBIAN_HEADERS = (
    "method",
    "status",
    "max abs error",
    "max rel error",
    "setup",
    "one Jacobian",
    "Jacobian / f",
    "f evaluations",
)


def jacobian_caption(comparison: JacobianComparison) -> str:
    m, n = comparison.shape
    return (
        f"Jacobian of {comparison.name} at {n:,} inputs, {m:,} outputs (shape {m} x {n}); "
        f"one f: {format_time(comparison.f_seconds)}"
    )


def jacobian_footnotes(comparison: JacobianComparison) -> list[str]:
    return [f"reference: {comparison.reference}", comparison.verdict, *comparison.notes]


def _jacobian_table(comparison: JacobianComparison) -> _Table:
    return _Table(
        jacobian_caption(comparison),
        JACOBIAN_HEADERS,
        _method_rows(comparison, JACOBIAN_HEADERS),
        jacobian_footnotes(comparison),
    )


def jacobian_text(comparison: JacobianComparison) -> str:
    return _text_table(_jacobian_table(comparison))


def jacobian_html(comparison: JacobianComparison) -> str:
    return _html_table(_jacobian_table(comparison))


# ----------------------------------------------------------------------------- study


def study_figure(study: ParameterStudy, width: float = 7.5) -> Any:
    """Cost of one gradient as a multiple of one f against n, log-log, one line per method."""
    from diffmagic.views.shown_figure import ShownFigure

    figure = ShownFigure(
        figsize=(width, 4.6),
        alt=f"cost of one gradient of {study.name} as a multiple of one f against n, "
        "per method, log-log",
    )
    axes = figure.subplots()
    for key, seconds in study.seconds.items():
        points = [
            (n, s / f)
            for n, s, f in zip(study.sizes, seconds, study.f_seconds, strict=True)
            if s is not None and f
        ]
        if not points:
            continue
        sizes, costs = zip(*points, strict=True)
        slope = study.slopes.get(key)
        slope_text = "—" if slope is None else f"{slope:.2f}"
        axes.plot(
            sizes,
            costs,
            marker=MARKERS.get(key, "o"),
            color=COLOURS.get(key),
            label=f"{key} (slope {slope_text})",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("n, parameters (log)")
    axes.set_ylabel("one gradient / one f (log)")
    axes.set_title(
        f"cost of a gradient of {study.name} as n grows: slope 1 means n evaluations of f",
        fontsize=10,
    )
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=9, loc="upper left")
    figure.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.9)
    return figure


def study_rows(study: ParameterStudy) -> tuple[list[str], list[list[str]]]:
    headers = ["n", "one f", *(f"{key} / f" for key in study.seconds)]
    rows = []
    for index, n in enumerate(study.sizes):
        f_seconds = study.f_seconds[index]
        cells = [f"{n:,}", format_time(f_seconds)]
        for seconds in study.seconds.values():
            value = seconds[index]
            cells.append("—" if value is None or not f_seconds else _multiple(value / f_seconds))
        rows.append(cells)
    rows.append(
        [
            "slope",
            "",
            *(
                "—" if study.slopes.get(k) is None else f"{study.slopes[k]:.2f}"
                for k in study.seconds
            ),
        ]
    )
    return headers, rows


def _study_table(study: ParameterStudy) -> _Table:
    headers, rows = study_rows(study)
    # Every row is a size, not a method: no status column to colour, no notes under a row.
    rows_without_notes = [(cells, True, []) for cells in rows]
    return _Table(study.caption(), tuple(headers), rows_without_notes, study.notes, None)


def study_text(study: ParameterStudy) -> str:
    return _text_table(_study_table(study))


def study_html(study: ParameterStudy) -> str:
    return _html_table(_study_table(study))


# ----------------------------------------------------------------------------- tables


def _text_table(table: _Table) -> str:
    aligned = aligned_table(
        table.headers,
        [cells for cells, _, _ in table.rows],
        under=[[f"    {note}" for note in notes] for _, _, notes in table.rows],
    )
    return "\n".join([table.caption, "", aligned, "", *(f"* {note}" for note in table.footnotes)])


def _html_table(table: _Table) -> str:
    escape = html.escape
    parts = [
        f'<table class="diffmagic-table" style="border-collapse:collapse;font-size:13px;{_TEXT}">',
        f"<caption style='text-align:left;{_TEXT}'>{escape(table.caption)}</caption>",
        f"<thead>{html_row(table.headers, 'th', _CELL)}</thead><tbody>",
    ]
    for cells, ok, notes in table.rows:
        styles = [_CELL if index < 2 else _NUMBER for index in range(len(cells))]
        if table.status_column is not None:
            styles[table.status_column] += ";" + (_OK if ok else _FAILED)
        parts.append(html_row(cells, style=styles))
        if notes:
            parts.append(
                f"<tr><td></td><td colspan='{len(table.headers) - 1}' style='{_CELL};{_MUTED};"
                f"font-size:12px'>{'<br>'.join(escape(n) for n in notes)}</td></tr>"
            )
    parts.append("</tbody></table>")
    if table.footnotes:
        parts.append(
            f"<ul style='font-size:12px;margin:4px 0 0 0;padding-left:18px;{_TEXT}'>"
            + "".join(f"<li>{escape(note)}</li>" for note in table.footnotes)
            + "</ul>"
        )
    return "".join(parts)
