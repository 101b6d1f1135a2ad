"""What a notebook shows for a comparison, in order: LaTeX, figure, table, tangent slopes.

Each piece is a MIME bundle with a `text/plain` twin, so a terminal IPython, an exported
notebook or a frontend without widgets still reads it.
"""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING, Any

from diffmagic.explain import one_line
from diffmagic.views.figure import figure_bytes

if TYPE_CHECKING:
    from diffmagic.comparison import Comparison


def latex_bundle(comparison: Comparison) -> dict[str, str] | None:
    formula = comparison.latex()
    if formula is None:
        return None
    name, variable = comparison.target.name, comparison.target.wrt
    derivative = comparison.derivative_name.replace("f", name, 1)
    plain = f"{name}({variable}) = {comparison.function_expr}; "
    plain += f"{derivative}({variable}) = {comparison.derivative_expr}"
    return {"text/latex": f"$\\displaystyle {formula}$", "text/plain": plain}


def figure_bundle(comparison: Comparison, at: float | None = None) -> dict[str, Any]:
    try:
        png = figure_bytes(comparison.figure(at=at), "png")
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
    from diffmagic.comparison import tangent_slopes

    f0, slopes = tangent_slopes(comparison, x0)
    name = comparison.derivative_name
    lines = [f"at x0 = {x0:g}: f(x0) = {f0:.10g}" if f0 is not None else f"at x0 = {x0:g}"]
    for result in comparison:
        slope = slopes.get(result.key)
        shown = "—" if slope is None else f"{slope:.15g}"
        lines.append(f"  {result.label:<28} {name}(x0) = {shown}")
    rows = "".join(
        f"<tr><td>{html.escape(result.label)}</td><td>{html.escape(line.split('= ')[-1])}</td></tr>"
        for result, line in zip(comparison, lines[1:], strict=True)
    )
    table = (
        f"<p>{html.escape(lines[0])}</p><table class='diffmagic-table'>"
        f"<tr><th>method</th><th>{html.escape(name)}(x0)</th></tr>{rows}</table>"
    )
    return {"text/html": table, "text/plain": "\n".join(lines)}


def bundles(comparison: Comparison, *, plot: bool = True, at: float | None = None) -> list[dict]:
    """The bundles to display, in the order the user reads them."""
    shown: list[dict] = []
    formula = latex_bundle(comparison)
    if formula is not None:
        shown.append(formula)
    if plot:
        shown.append(figure_bundle(comparison, at))
    shown.append(table_bundle(comparison))
    if at is not None:
        shown.append(tangent_bundle(comparison, at))
    return shown
