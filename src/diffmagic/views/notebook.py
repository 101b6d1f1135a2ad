"""What a notebook shows for a comparison, in order: LaTeX, figure, table, tangent slopes.

Each piece is a MIME bundle with a `text/plain` twin, so a terminal IPython, an exported
notebook or a frontend without widgets still reads it.
"""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.explain import one_line
from diffmagic.views.figure import figure_bytes

if TYPE_CHECKING:
    from diffmagic.comparison import Comparison


def latex_bundle(comparison: Comparison) -> dict[str, str] | None:
    formula = comparison.latex()
    if formula is None:
        return None
    name, variable = comparison.target.name, comparison.target.wrt
    derivative = comparison.derivative_name
    plain = f"{name}({variable}) = {comparison.function_expr}; "
    plain += f"{derivative}({variable}) = {comparison.derivative_expr}"
    return {"text/latex": f"$\\displaystyle {formula}$", "text/plain": plain}


def figure_bundle(
    comparison: Comparison, at: float | None = None, figure: Any = None
) -> dict[str, Any]:
    """The figure as PNG: `figure` when the caller built it already, else built here."""
    try:
        png = figure_bytes(figure if figure is not None else comparison.figure(at=at), "png")
    except Exception as error:
        # A figure that cannot be drawn must not take the table, which says why, down with it.
        return {"text/plain": f"<no diffmagic figure: {one_line(error, 120)}>"}
    return {
        "image/png": base64.b64encode(png).decode("ascii"),
        "text/plain": f"<diffmagic figure: {comparison.target.label} and its derivatives>",
    }


def table_bundle(comparison: Comparison) -> dict[str, str]:
    return {"text/html": comparison._repr_html_(), "text/plain": comparison.table()}


def tangent_bundle(comparison: Comparison, x0: float) -> dict[str, str]:
    """Each method's slope at x0, then the secants (f(x0+dx) - f(x0))/dx closing in on it."""
    from diffmagic.comparison import tangent_slopes

    f0, slopes = tangent_slopes(comparison, x0)
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
    if comparison.order == 1 and comparison.function is not None:
        secants = comparison.secants(x0)
        errors = [e for _, _, e in secants if e is not None and np.isfinite(e)]
        best = min(errors) if errors else None
        lines.append("  secants (f(x0+dx) - f(x0))/dx; * marks where round-off takes over")
        secant_rows = []
        for dx, slope, error in secants:
            mark = " *" if best is not None and error == best else ""
            shown = "—" if error is None else f"{error:.1e}"
            lines.append(f"    dx={dx:<8.0e} slope={slope:<22.15g} error={shown}{mark}")
            weight = " style='font-weight:bold'" if mark else ""
            secant_rows.append(
                f"<tr{weight}><td>{dx:.0e}</td><td>{slope:.15g}</td><td>{shown}</td></tr>"
            )
        parts.append(
            "<p>secants through x0 and x0 + dx: their slopes tend to the derivative until "
            "round-off takes over (bold: the closest)</p><table class='diffmagic-table'>"
            "<tr><th>dx</th><th>slope</th><th>error</th></tr>" + "".join(secant_rows) + "</table>"
        )
    return {"text/html": "".join(parts), "text/plain": "\n".join(lines)}


def bundles(
    comparison: Comparison, *, plot: bool = True, at: float | None = None, figure: Any = None
) -> list[dict]:
    """The bundles to display, in the order the user reads them."""
    shown: list[dict] = []
    formula = latex_bundle(comparison)
    if formula is not None:
        shown.append(formula)
    if plot:
        shown.append(figure_bundle(comparison, at, figure))
    shown.append(table_bundle(comparison))
    if at is not None:
        shown.append(tangent_bundle(comparison, at))
    return shown
