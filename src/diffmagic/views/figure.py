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
    figure.subplots_adjust(left=0.1, right=0.72, top=0.94, bottom=0.09, hspace=0.1)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    x = comparison.x
    name = comparison.derivative_name
    target = comparison.target
    top.plot(
        x,
        _finite(comparison.f_values),
        color="black",
        linewidth=1.2,
        label=f"{target.name}({target.wrt})",
    )
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
    if comparison.extrema:
        from diffmagic.extrema import mark

        mark(top, comparison.extrema)
    top.set_ylabel("value")
    top.set_title(f"{comparison.target.label} and {name}", fontsize=11)
    top.grid(alpha=0.3)
    _errors(bottom, comparison, extra or {})
    bottom.set_xlabel(comparison.target.wrt)
    if at is not None:
        top.autoscale_view()
        top.set_ylim(top.get_ylim())  # tangent lines never rescale the plot
        overlays = Overlays(top, comparison)
        overlays.update(at, secant)
        figure.diffmagic_overlays = overlays
    # Outside the axes: it hides no data, and "best" placement is slow on many points.
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return figure


def _finite(values: np.ndarray) -> np.ndarray:
    """NaN and inf masked, so a pole does not crush the plot's scale."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.full(values.shape, np.nan)
    return np.where(np.isfinite(values), values, np.nan)


class Overlays:
    """The tangent lines at x0, the point (x0, f(x0)) and the secant: lines that move with x0.

    They are drawn after the axes' limits are frozen, so moving x0 never rescales the plot, and
    `update` moves them without rebuilding anything; `FastRenderer` redraws only them.
    """

    def __init__(self, axes: Any, comparison: Comparison) -> None:
        self.comparison = comparison
        frozen = dict(scalex=False, scaley=False)
        self.tangents = {
            result.key: axes.plot(
                [], [], color=style_for(result.key)["color"], linewidth=1, alpha=0.8, **frozen
            )[0]
            for result in comparison
            if result.ok
        }
        self.secant = axes.plot(
            [],
            [],
            color="grey",
            linewidth=1,
            linestyle="-.",
            label="secant through x0, x0 + dx",
            **frozen,
        )[0]
        self.secant_point = axes.plot([], [], "o", color="grey", markersize=4, **frozen)[0]
        self.point = axes.plot([], [], "ko", markersize=5, **frozen)[0]

    @property
    def artists(self) -> list[Any]:
        return [*self.tangents.values(), self.secant, self.secant_point, self.point]

    def update(self, x0: float, dx: float | None = None) -> None:
        """Tangents f(x0) + f'(x0)(x - x0) from each method, and the secant through x0, x0 + dx."""
        from diffmagic.comparison import function_at, tangent_slopes

        comparison = self.comparison
        f0, slopes = tangent_slopes(comparison, x0)
        span = 0.15 * (comparison.domain[1] - comparison.domain[0])
        xs = np.array([x0 - span, x0 + span])
        for line in self.artists:
            line.set_data([], [])
        if f0 is None:
            return
        self.point.set_data([x0], [f0])
        for key, line in self.tangents.items():
            slope = slopes.get(key)
            if slope is not None and np.isfinite(slope):
                line.set_data(xs, f0 + slope * (xs - x0))
        if dx is None:
            return
        f1 = float(function_at(comparison, np.array([x0 + dx]))[0])
        if np.isfinite(f1):
            slope = (f1 - f0) / dx
            wide = np.array([x0 - span - abs(dx), x0 + span + abs(dx)])
            self.secant.set_data(wide, f0 + slope * (wide - x0))
            self.secant_point.set_data([x0 + dx], [f1])


class FastRenderer:
    """Renders a figure to PNG once, then re-renders only its overlays (blitting on Agg).

    The panel redraws on every move of x0; drawing axes, ticks, legend and curves again each
    time costs far more than the few lines that moved.
    """

    def __init__(self, figure: Figure, overlays: Overlays) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = figure
        self.overlays = overlays
        self.canvas = FigureCanvasAgg(figure)
        for artist in overlays.artists:
            artist.set_animated(True)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(figure.bbox)

    def png(self, x0: float, dx: float | None = None) -> bytes:
        from PIL import Image

        self.overlays.update(x0, dx)
        self.canvas.restore_region(self.background)
        for artist in self.overlays.artists:
            self.figure.draw_artist(artist)
        pixels = np.asarray(self.canvas.buffer_rgba())
        buffer = io.BytesIO()
        Image.fromarray(pixels[..., :3]).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


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
    axes.grid(alpha=0.3, which="both")
    if drawn:
        axes.yaxis.set_major_locator(LogLocator(numticks=6))
        axes.yaxis.set_minor_locator(NullLocator())
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
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
