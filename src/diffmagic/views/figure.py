"""The comparison figure: f and each method's f' on top, each method's error below.

Figures are built with `matplotlib.figure.Figure`, not `pyplot`: nothing is registered with a
backend, so nothing leaks, nothing is shown twice, and the inline and widget backends (or none)
all work. Whoever displays the figure turns it into PNG or SVG; shown as it is, it draws itself
(`shown_figure.ShownFigure`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.views.error_axis import ERROR_FLOOR, EXACT_LABEL, draw_errors, error_floor
from diffmagic.views.images import figure_bytes
from diffmagic.views.overlays import LINE_SAMPLES, FastRenderer, Overlays
from diffmagic.views.styles import (
    ENGINE_VARIANT,
    EXTRA_STYLE,
    STYLES,
    TANGENT_WIDTHS,
    UNKNOWN_STYLE,
    drawn,
    style_for,
)
from diffmagic.views.value_axis import SYMLOG_RATIO, finite, value_scale

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from diffmagic.results.comparison import Comparison
    from diffmagic.views.overlays import Tangents

#: The names this module has always offered; they live where their job is.
__all__ = [
    "ENGINE_VARIANT",
    "ERROR_FLOOR",
    "EXACT_LABEL",
    "EXTRA_STYLE",
    "LINE_SAMPLES",
    "STYLES",
    "SYMLOG_RATIO",
    "TANGENT_WIDTHS",
    "UNKNOWN_STYLE",
    "FastRenderer",
    "Overlays",
    "alt_text",
    "comparison_figure",
    "error_floor",
    "figure_bytes",
    "style_for",
]


#: The comparison figure's size in inches, unless the caller asks for another.
FIGURE_WIDTH = 9.5
FIGURE_HEIGHT = 6.0


def comparison_figure(
    comparison: Comparison,
    *,
    at: float | None = None,
    secant: float | None = None,
    extra: dict[str, np.ndarray] | None = None,
    width: float = FIGURE_WIDTH,
    height: float = FIGURE_HEIGHT,
    tangents: Tangents | None = None,
) -> Figure:
    """f, each f' (with tangent lines at `at`), points where f' does not exist, and errors.

    `secant` draws the secant through x0 = `at` and x0 + `secant`; `extra` adds derivative
    curves that are not rows of the comparison (the panel's difference quotient with a chosen
    step), with their errors. `tangents(x0, dx)` gives (f(x0), each row's slope, the secant's
    slope) for the lines at x0: the numbers come from `diffmagic.analysis.at_point`, the figure
    draws.
    """
    from diffmagic.views.shown_figure import ShownFigure

    # Fixed margins instead of a layout engine, and plain tick labels instead of mathtext: both
    # cost more than the drawing itself, and the panel redraws on every slider move.
    figure = ShownFigure(figsize=(width, height))
    figure.subplots_adjust(left=0.1, right=0.72, top=0.94, bottom=0.09, hspace=0.1)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    _plot_curves(top, comparison, extra or {})
    _set_title(top, comparison, extra or {})
    top.grid(alpha=0.3)
    draw_errors(bottom, comparison, extra or {})
    bottom.set_xlabel(comparison.target.wrt)
    if at is not None:
        top.autoscale_view()
        top.set_ylim(top.get_ylim())  # tangent lines never rescale the plot
        if tangents is None:
            raise ValueError("a figure with tangents at x0 needs tangents=at_point.tangents")
        overlays = Overlays(top, comparison, tangents, secant=secant is not None)
        overlays.update(at, secant)
        figure.diffmagic_overlays = overlays
    # Outside the axes: it hides no data, and "best" placement is slow on many points.
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    figure.diffmagic_alt = alt_text(comparison, at)
    return figure


def _plot_curves(top: Any, comparison: Comparison, extra: dict[str, np.ndarray]) -> None:
    """f, each row's f' (where your derivative is wrong, marked), the points where f' does not
    exist, the extra curves and the extrema, on the top panel."""
    x = comparison.x
    name = comparison.derivative_name
    target = comparison.target
    top.plot(
        x,
        finite(comparison.f_values),
        color="black",
        linewidth=1.2,
        label=f"{target.name}({target.wrt})",
    )
    for result in comparison:
        if drawn(result):
            flag = "" if result.ok else f" ({result.status})"
            top.plot(
                x,
                finite(result.values),
                label=f"{name} {result.label}{flag}",
                **style_for(result.key),
            )
        wrong = result.wrong_at if result.wrong_at is not None else ()
        if len(wrong):
            # Where your derivative is wrong: marked on its own curve, one legend entry.
            marked = np.isin(x, wrong)
            top.plot(
                x[marked],
                finite(result.values)[marked],
                linestyle="none",
                marker="v",
                markersize=5,
                color=style_for(result.key)["color"],
                markeredgecolor="black",
                markeredgewidth=0.5,
                label=f"where {result.label} is wrong",
            )
    # Labels of points go in the legend, not on the plot: there they never cover a curve.
    labels = point_labels(comparison.singularities, f"{target.wrt}=")
    for point in comparison.singularities:
        top.axvline(
            point.x,
            color="grey",
            linestyle=":",
            linewidth=1,
            label=labels.pop(point.kind, "_nolegend_"),
        )
    for label, values in extra.items():
        top.plot(x, finite(values), label=label, **EXTRA_STYLE)
    if comparison.extrema:
        from diffmagic.analysis.extrema import mark

        mark(top, comparison.extrema, target.wrt)


def _set_title(top: Any, comparison: Comparison, extra: dict[str, np.ndarray]) -> None:
    """The value axis (linear, or symmetric-log with a note) and the title above it."""
    name = comparison.derivative_name
    target = comparison.target
    top.set_ylabel("value")
    scale_note = value_scale(top, [comparison.f_values, *_curves(comparison, extra)])
    formula = str(comparison.function_expr) if comparison.function_expr is not None else ""
    shown = f"{target.name}({target.wrt}) = {formula}" if 0 < len(formula) <= 60 else target.label
    title = f"{shown} and {name}"
    # An explicit y: matplotlib then skips measuring every tick label to place the title,
    # which cost more than the rest of a redraw.
    top.set_title(
        title + (f"\n{scale_note}" if scale_note else ""),
        fontsize=11 if not scale_note else 9,
        y=1.0,
        pad=6,
    )


def alt_text(comparison: Comparison, at: float | None = None) -> str:
    """What the figure shows, in words: the alt text of its <img> wherever it is embedded."""
    target = comparison.target
    function = comparison.function_expr if comparison.function_expr is not None else None
    formula = f"{target.name}({target.wrt}) = {function}" if function is not None else target.label
    drawn_rows = [result for result in comparison if drawn(result)]
    count = len(drawn_rows)
    text = (
        f"{formula} and its derivative {comparison.derivative_name} by {count} "
        f"method{'s' if count != 1 else ''} ({', '.join(r.label for r in drawn_rows)})"
    )
    low, high = comparison.domain
    text += f" on [{low:g}, {high:g}]"
    if at is not None:
        text += _at_words(comparison, at)
    if comparison.singularities:
        labels = point_labels(comparison.singularities, "")
        text += ", " + ", ".join(labels.values()) + " marked"
    if comparison.extrema:
        text += ", " + ", ".join(f"{p.kind} at {p.x:.4g}" for p in comparison.extrema)
    return text + "; errors against the reference below, on a log scale"


def _at_words(comparison: Comparison, at: float) -> str:
    """What is drawn at x0: each method's tangent, or, where f' does not exist there, none."""
    from diffmagic.analysis.at_point import no_derivative_at

    where = f"{comparison.target.wrt}0 = {at:g}"
    missing = no_derivative_at(comparison, at)
    if missing is None:
        return f", with each method's tangent at {where}"
    if missing.slopes is not None:
        left, right = missing.slopes
        return (
            f", with no tangent at {where} ({missing.kind}) but the one-sided slopes {left:.3g} "
            f"from the left and {right:.3g} from the right"
        )
    return f", with no tangent at {where} ({missing.kind})"


def _curves(comparison: Comparison, extra: dict[str, np.ndarray] | None) -> list[np.ndarray]:
    """Every curve on the value axis but f itself: the drawn rows', then the extra ones."""
    return [*(r.values for r in comparison if drawn(r)), *(extra or {}).values()]


def point_labels(points: list[Any], where_prefix: str) -> dict[str, str]:
    """One legend entry per kind of point where f' does not exist: `jump at x=1.3`, or for
    many (floor's nine jumps) `jumps at x=-4, -3, …, 4 (9)`, which keeps the legend short.
    `where_prefix` comes before the numbers ("x=" in the legend, "" in the alt text)."""
    by_kind: dict[str, list[float]] = {}
    for point in points:
        by_kind.setdefault(point.kind, []).append(point.x)
    labels = {}
    for kind, where in by_kind.items():
        if len(where) == 1:
            labels[kind] = f"{kind} at {where_prefix}{where[0]:g}"
            continue
        shown = [f"{x:g}" for x in where]
        if len(shown) > 4:
            shown = [*shown[:2], "…", shown[-1]]
        plural = kind if kind == "undefined" else f"{kind}s"
        labels[kind] = f"{plural} at {where_prefix}{', '.join(shown)} ({len(where)})"
    return labels
