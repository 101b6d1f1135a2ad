"""What a notebook shows for a comparison, in order: LaTeX, figure, table, tangent slopes.

Each piece is a MIME bundle with a `text/plain` twin, so a terminal IPython, an exported
notebook or a frontend without widgets still reads it. Figures carry an HTML twin too, an
`<img>` with alt text that says what the figure shows (`images.image_bundle`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.limits.explain import one_line
from diffmagic.views.images import IMAGE_MIME, image_bundle, image_html

if TYPE_CHECKING:
    from diffmagic.analysis.at_point import AtPoint
    from diffmagic.results.comparison import Comparison


#: The image helpers live in `images`; the front ends have always found them here too.
__all__ = [
    "IMAGE_MIME",
    "bundles",
    "figure_alt",
    "figure_bundle",
    "image_bundle",
    "image_html",
    "latex_bundle",
    "secant_marks",
    "table_bundle",
    "tangent_bundle",
]


def latex_bundle(comparison: Comparison) -> dict[str, str] | None:
    formula = comparison.latex()
    if formula is None:
        return None
    name, variable = comparison.target.name, comparison.target.wrt
    derivative = comparison.derivative_name
    plain = f"{name}({variable}) = {comparison.function_expr}; "
    plain += f"{derivative}({variable}) = {comparison.derivative_expr}"
    return {"text/latex": f"$\\displaystyle {formula}$", "text/plain": plain}


def figure_alt(comparison: Comparison, at: float | None = None, figure: Any = None) -> str:
    from diffmagic.views.figure import alt_text

    return getattr(figure, "diffmagic_alt", None) or alt_text(comparison, at)


def figure_bundle(
    comparison: Comparison, at: float | None = None, figure: Any = None, fmt: str = "png"
) -> dict[str, Any]:
    """The figure: `figure` when the caller built it already, else built here."""
    try:
        if figure is None:
            figure = comparison.figure(at=at)
    except Exception as error:
        return {"text/plain": f"<no diffmagic figure: {one_line(error, 120)}>"}
    return image_bundle(figure, figure_alt(comparison, at, figure), fmt)


def table_bundle(comparison: Comparison) -> dict[str, str]:
    return {"text/html": comparison._repr_html_(), "text/plain": comparison.table()}


def tangent_bundle(comparison: Comparison, point: AtPoint) -> dict[str, str]:
    """Each method's slope at x0, then the secants (f(x0+dx) - f(x0))/dx closing in on it."""
    x0, f0, slopes = point.x0, point.f0, point.slopes
    name = comparison.derivative_name
    title = f"at x0 = {x0:g}: f(x0) = {f0:.10g}" if f0 is not None else f"at x0 = {x0:g}"
    rows = [
        (r.label, "—" if slopes.get(r.key) is None else f"{slopes[r.key]:.15g}") for r in comparison
    ]
    lines = [title, *(f"  {label:<28} {name}(x0) = {value}" for label, value in rows)]
    table = "".join(f"<tr><td>{html.escape(a)}</td><td>{b}</td></tr>" for a, b in rows)
    parts = [
        f"<p>{html.escape(title)}</p><table class='diffmagic-table'>"
        f"<tr><th>method</th><th>{html.escape(name)}(x0)</th></tr>{table}</table>"
    ]
    if point.secants:
        secants = point.secants
        marks = secant_marks([error for _, _, error in secants])
        lines.append(
            "  secants (f(x0+dx) - f(x0))/dx; <- the closest; * round-off has taken over "
            "(the error grows again as dx shrinks)"
        )
        secant_rows = []
        for (dx, slope, error), mark in zip(secants, marks, strict=True):
            shown = "—" if error is None else f"{error:.1e}"
            suffix = {"closest": " <- closest", "round-off": " *"}.get(mark, "")
            lines.append(f"    dx={dx:<8.0e} slope={slope:<22.15g} error={shown}{suffix}")
            weight = " style='font-weight:bold'" if mark == "closest" else ""
            words = {"closest": "closest", "round-off": "* round-off"}.get(mark, "")
            secant_rows.append(
                f"<tr{weight}><td>{dx:.0e}</td><td>{slope:.15g}</td><td>{shown}</td>"
                f"<td>{words}</td></tr>"
            )
        parts.append(
            "<p>secants through x0 and x0 + dx: their slopes tend to the derivative until "
            "round-off takes over (bold: the closest; *: round-off has taken over)</p>"
            "<table class='diffmagic-table'>"
            "<tr><th>dx</th><th>slope</th><th>error</th><th></th></tr>"
            + "".join(secant_rows)
            + "</table>"
        )
    return {"text/html": "".join(parts), "text/plain": "\n".join(lines)}


def secant_marks(errors: list[float | None]) -> list[str]:
    """ "closest" for the smallest error, "round-off" for each smaller dx whose error is larger.

    Widths shrink down the list. Down to the closest secant the error is truncation, falling
    with dx; below it, cancellation in f(x0 + dx) - f(x0) makes it grow: round-off has taken
    over. An empty string for the rows before the closest (and rows without an error).
    """
    finite = [(i, e) for i, e in enumerate(errors) if e is not None and np.isfinite(e)]
    marks = [""] * len(errors)
    if not finite:
        return marks
    best_index, best = min(finite, key=lambda pair: pair[1])
    marks[best_index] = "closest"
    for index, error in finite:
        if index > best_index and error > best:
            marks[index] = "round-off"
    return marks


def bundles(
    comparison: Comparison,
    *,
    plot: bool = True,
    at: float | None = None,
    figure: Any = None,
    fmt: str = "png",
    point: AtPoint | None = None,
) -> list[dict]:
    """The bundles to display, in the order the user reads them; `point` holds the numbers
    at x0 = `at` (`diffmagic.analysis.at_point.at_point`)."""
    shown: list[dict] = []
    formula = latex_bundle(comparison)
    if formula is not None:
        shown.append(formula)
    if plot:
        shown.append(figure_bundle(comparison, at, figure, fmt))
    shown.append(table_bundle(comparison))
    if point is not None:
        shown.append(tangent_bundle(comparison, point))
    return shown
