"""What moves with x0 in the panel: the tangent lines, the point (x0, f(x0)) and the secant.

The slopes come from `diffmagic.analysis.at_point` (the `tangents` callback); these classes only
draw them, and `FastRenderer` redraws only them on each move.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.views.styles import SIDES_STYLE, TANGENT_WIDTHS, style_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.figure import Figure

    from diffmagic.results.comparison import Comparison

    #: (x0, dx or None) -> (f(x0), each row's f'(x0) by key, the secant's slope or None).
    Tangents = Callable[
        [float, float | None], tuple[float | None, dict[str, float | None], float | None]
    ]

#: Samples per tangent or secant: straight in data, they bend on a symmetric-log axis.
LINE_SAMPLES = 41


class Overlays:
    """The tangent lines at x0, the point (x0, f(x0)) and the secant: lines that move with x0.

    They are drawn after the axes' limits are frozen, so moving x0 never rescales the plot, and
    `update` moves them without rebuilding anything; `FastRenderer` redraws only them.
    """

    def __init__(
        self, axes: Any, comparison: Comparison, tangents: Tangents, *, secant: bool = True
    ) -> None:
        self.comparison = comparison
        self.tangents_at = tangents
        frozen = dict(scalex=False, scaley=False)
        working = [result for result in comparison if result.ok]
        self.tangents = {
            result.key: axes.plot(
                [],
                [],
                color=style_for(result.key)["color"],
                linewidth=TANGENT_WIDTHS[min(index, len(TANGENT_WIDTHS) - 1)],
                solid_capstyle="butt",
                label=f"tangent: {result.label}",
                **frozen,
            )[0]
            for index, result in enumerate(working)
        }
        # One artist for the secant and its two points (x0 and x0 + dx): one legend entry.
        self.secant = (
            axes.plot(
                [],
                [],
                color="dimgrey",
                linewidth=1.2,
                linestyle="-.",
                marker="o",
                markersize=4,
                markevery=[],
                label="secant through x0, x0 + dx",
                **frozen,
            )[0]
            if secant
            else None
        )
        self.point = axes.plot([], [], "ko", markersize=5, label="(x0, f(x0))", **frozen)[0]
        # Where f' does not exist at x0 (a corner): f's two one-sided slopes, one half-line each.
        self.sides = axes.plot(
            [],
            [],
            **SIDES_STYLE,
            label="one-sided slopes at x0",
            **frozen,
        )[0]
        self.labels = {id(line): line.get_label() for line in self.artists}

    @property
    def artists(self) -> list[Any]:
        lines = [*self.tangents.values(), self.point, self.sides]
        return lines if self.secant is None else [*lines, self.secant]

    def update(self, x0: float, dx: float | None = None) -> None:
        """Tangents f(x0) + f'(x0)(x - x0) from each method, and the secant through x0, x0 + dx;
        where f' does not exist at x0, no tangent: the one-sided half-tangents of a corner."""
        from diffmagic.analysis.at_point import no_derivative_at

        comparison = self.comparison
        f0, slopes, secant_slope = self.tangents_at(x0, dx if self.secant is not None else None)
        span = 0.15 * (comparison.domain[1] - comparison.domain[0])
        xs = np.linspace(x0 - span, x0 + span, LINE_SAMPLES)
        for line in self.artists:
            line.set_data([], [])
        missing = None if f0 is None else no_derivative_at(comparison, x0)
        if f0 is not None:
            self.point.set_data([x0], [f0])
        if missing is not None and missing.slopes is not None:
            self._half_tangents(x0, f0, span, missing.slopes)
        for key, line in self.tangents.items():
            slope = slopes.get(key)
            if missing is None and f0 is not None and slope is not None and np.isfinite(slope):
                line.set_data(xs, f0 + slope * (xs - x0))
        if not (f0 is None or dx is None or self.secant is None or secant_slope is None):
            ends = np.linspace(x0 - span - abs(dx), x0 + span + abs(dx), LINE_SAMPLES)
            wide = np.union1d(ends, [x0, x0 + dx])
            self.secant.set_data(wide, f0 + secant_slope * (wide - x0))
            self.secant.set_markevery([int(np.searchsorted(wide, t)) for t in (x0, x0 + dx)])
        self._label_what_is_drawn()

    def _half_tangents(
        self, x0: float, f0: float, span: float, slopes: tuple[float, float]
    ) -> None:
        """f0 + left (x - x0) left of x0 and f0 + right (x - x0) right of it, one artist."""
        left, right = slopes
        half = np.linspace(0.0, span, LINE_SAMPLES // 2 + 1)
        xs = np.concatenate([x0 - half[::-1], [np.nan], x0 + half])
        ys = np.concatenate([f0 - left * half[::-1], [np.nan], f0 + right * half])
        self.sides.set_data(xs, ys)
        self.labels[id(self.sides)] = f"one-sided slopes at x0: {left:.3g}, {right:.3g}"

    def _label_what_is_drawn(self) -> None:
        """Only lines with something drawn keep their legend label: an empty tangent (no
        tangent exists at x0, or the method has no number there) has no legend entry."""
        for line in self.artists:
            label = self.labels[id(line)]
            line.set_label(label if len(line.get_xdata()) else f"_{label}")


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
