"""The comparison figure: f and each method's f' on top, each method's error below.

Figures are built with `matplotlib.figure.Figure`, not `pyplot`: nothing is registered with a
backend, so nothing leaks, nothing is shown twice, and the inline and widget backends (or none)
all work. Whoever displays the figure turns it into PNG or SVG.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from diffmagic.comparison import Comparison

#: How each method is drawn: symbolic a line, np.gradient dots as in the lab, JAX dashed.
STYLES: dict[str, dict[str, Any]] = {
    "symbolic": {"color": "C0", "linestyle": "-", "linewidth": 2.2},
    "numerical": {"color": "C1", "linestyle": "none", "marker": "o", "markersize": 3.5},
    "finite_difference": {"color": "C2", "linestyle": "none", "marker": "x", "markersize": 4},
    "automatic": {"color": "C3", "linestyle": "--", "linewidth": 1.6},
}
#: Rows compiled by JAX draw like their NumPy twin, in a lighter, dotted variant.
ENGINE_VARIANT: dict[str, dict[str, Any]] = {
    "symbolic@jax": {"color": "C9", "linestyle": ":", "linewidth": 2.0},
    "finite_difference@jax": {"color": "C8", "linestyle": "none", "marker": "+", "markersize": 5},
}


def style_for(key: str) -> dict[str, Any]:
    return dict(ENGINE_VARIANT.get(key) or STYLES[key])


EXTRA_STYLE: dict[str, Any] = {"color": "C4", "linestyle": ":", "linewidth": 1.6}
#: Errors below this are drawn at this floor: log axes cannot show an exact zero.
ERROR_FLOOR = 1e-17


def comparison_figure(
    comparison: Comparison,
    *,
    at: float | None = None,
    secant: float | None = None,
    extra: dict[str, np.ndarray] | None = None,
    width: float = 9.5,
    height: float = 6.0,
) -> Figure:
    """f, each f' (with tangent lines at `at`), points where f' does not exist, and errors.

    `secant` draws the secant through x0 = `at` and x0 + `secant`; `extra` adds derivative
    curves that are not rows of the comparison (the panel's difference quotient with a chosen
    step), with their errors.
    """
    from matplotlib.figure import Figure

    # Fixed margins instead of a layout engine, and plain tick labels instead of mathtext: both
    # cost more than the drawing itself, and the panel redraws on every slider move.
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(left=0.09, right=0.72, top=0.94, bottom=0.09, hspace=0.1)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    x = comparison.x
    name = comparison.derivative_name
    top.plot(x, _finite(comparison.f_values), color="black", linewidth=1.2, label="f(x)")
    for result in comparison:
        if result.ok and result.values is not None:
            top.plot(
                x, _finite(result.values), label=f"{name} {result.label}", **style_for(result.key)
            )
    for point in comparison.singularities:
        top.axvline(point.x, color="grey", linestyle=":", linewidth=1)
        top.annotate(
            f"{point.kind}\nx={point.x:g}",
            (point.x, 0.02),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            fontsize=8,
            color="dimgrey",
        )
    for label, values in (extra or {}).items():
        top.plot(x, _finite(values), label=label, **EXTRA_STYLE)
    if at is not None:
        _tangents(top, comparison, at)
        if secant is not None:
            _secant(top, comparison, at, secant)
    top.set_ylabel("value")
    top.set_title(f"{comparison.target.label} and {name}", fontsize=11)
    # Outside the axes: it hides no data, and "best" placement is slow on many points.
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    top.grid(alpha=0.3)
    _errors(bottom, comparison, extra or {})
    bottom.set_xlabel(comparison.target.wrt)
    return figure


def _finite(values: np.ndarray) -> np.ndarray:
    """NaN and inf masked, so a pole does not crush the plot's scale."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.full(values.shape, np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def _tangents(axes: Any, comparison: Comparison, x0: float) -> None:
    """The tangent f(x0) + f'(x0)(x - x0) from each method, through the point (x0, f(x0))."""
    from diffmagic.comparison import tangent_slopes

    f0, slopes = tangent_slopes(comparison, x0)
    if f0 is None:
        return
    span = 0.15 * (comparison.domain[1] - comparison.domain[0])
    xs = np.array([x0 - span, x0 + span])
    for key, slope in slopes.items():
        if slope is None or not np.isfinite(slope):
            continue
        axes.plot(xs, f0 + slope * (xs - x0), color=style_for(key)["color"], linewidth=1, alpha=0.8)
    axes.plot([x0], [f0], "ko", markersize=5)


def _secant(axes: Any, comparison: Comparison, x0: float, dx: float) -> None:
    """The secant through (x0, f(x0)) and (x0 + dx, f(x0 + dx)): the course's delta f / delta x."""
    from diffmagic.comparison import function_at

    f0, f1 = function_at(comparison, np.array([x0, x0 + dx]))
    if not (np.isfinite(f0) and np.isfinite(f1)):
        return
    slope = (f1 - f0) / dx
    span = 0.15 * (comparison.domain[1] - comparison.domain[0]) + abs(dx)
    xs = np.array([x0 - span, x0 + span])
    axes.plot(
        xs,
        f0 + slope * (xs - x0),
        color="grey",
        linewidth=1,
        linestyle="-.",
        label=f"secant, dx={dx:.3g}",
    )
    axes.plot([x0 + dx], [f1], "o", color="grey", markersize=4)


def _error_curve(
    axes: Any, x: np.ndarray, values: np.ndarray, reference: np.ndarray, **style: Any
) -> None:
    """|values - reference| on the log axis; exact zeros drawn at the floor, NaN left out."""
    with np.errstate(invalid="ignore"):
        error = np.abs(values - reference)
    error = np.where(np.isfinite(error), np.maximum(error, ERROR_FLOOR), np.nan)
    axes.semilogy(x, error, **style)


def _errors(axes: Any, comparison: Comparison, extra: dict[str, np.ndarray]) -> None:
    reference = comparison.reference
    drawn = False
    if reference is not None:
        for label, values in extra.items():
            _error_curve(axes, comparison.x, values, reference, label=label, **EXTRA_STYLE)
            drawn = True
        for result in comparison:
            if not result.ok or result.values is None or result.is_reference:
                continue
            style = {k: v for k, v in style_for(result.key).items() if k != "linewidth"}
            _error_curve(axes, comparison.x, result.values, reference, label=result.label, **style)
            drawn = True
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    axes.set_ylabel("|error| vs reference")
    axes.yaxis.set_major_locator(LogLocator(numticks=6))
    axes.yaxis.set_minor_locator(NullLocator())
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
    axes.grid(alpha=0.3, which="both")
    if drawn:
        axes.set_ylim(bottom=ERROR_FLOOR / 2)
    else:
        axes.text(
            0.5,
            0.5,
            "no reference to measure errors against",
            ha="center",
            transform=axes.transAxes,
        )


def figure_bytes(figure: Figure, fmt: str = "png", dpi: int = 100) -> bytes:
    """The figure encoded as PNG, SVG or PDF."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()
