"""What a notebook shows for a comparison, in order: LaTeX, figure, table, tangent slopes.

Each piece is a MIME bundle with a `text/plain` twin, so a terminal IPython, an exported
notebook or a frontend without widgets still reads it. Figures carry an HTML twin too, an
`<img>` with alt text that says what the figure shows (`images.image_bundle`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from diffmagic.limits.explain import one_line
from diffmagic.views.formula import shown_derivative, where_it_holds
from diffmagic.views.images import IMAGE_MIME, image_bundle, image_html
from diffmagic.views.point_block import secant_marks, tangent_bundle

#: The x0 block lives in `point_block`; these names have always been importable from here.
__all__ = [
    "bundles",
    "figure_bundle",
    "image_bundle",
    "latex_bundle",
    "secant_marks",
    "tangent_bundle",
]

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
    plain += f"{derivative}({variable}) = {shown_derivative(comparison)}"
    plain += where_it_holds(comparison, latex=False)
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
