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
    from collections.abc import Callable

    from matplotlib.figure import Figure

    from diffmagic.results import Comparison

    #: (x0, dx or None) -> (f(x0), each row's f'(x0) by key, the secant's slope or None).
    Tangents = Callable[
        [float, float | None], tuple[float | None, dict[str, float | None], float | None]
    ]

#: How each method is drawn: symbolic a line, np.gradient dots as in the lab, JAX dashed.
STYLES: dict[str, dict[str, Any]] = {
    "symbolic": {"color": "C0", "linestyle": "-", "linewidth": 2.2},
    "numerical": {"color": "C1", "linestyle": "none", "marker": "o", "markersize": 3.5},
    "finite_difference": {"color": "C2", "linestyle": "none", "marker": "x", "markersize": 4},
    "automatic": {"color": "C3", "linestyle": "--", "linewidth": 1.6},
    "yours": {"color": "C5", "linestyle": "-", "linewidth": 1.3, "alpha": 0.9},
}
#: Rows compiled by JAX draw like their NumPy twin, in a lighter, dotted variant.
ENGINE_VARIANT: dict[str, dict[str, Any]] = {
    "symbolic@jax": {"color": "C9", "linestyle": ":", "linewidth": 2.0},
    "finite_difference@jax": {"color": "C8", "linestyle": "none", "marker": "+", "markersize": 5},
    "numerical@jax": {"color": "C6", "linestyle": "none", "marker": "s", "markersize": 3},
}
#: A row this module does not know yet (a new method or engine) still draws, never raises.
UNKNOWN_STYLE: dict[str, Any] = {"color": "C7", "linestyle": "-.", "linewidth": 1.4}


def style_for(key: str) -> dict[str, Any]:
    """How row `key` is drawn: its own style, its method's (for a new engine), or a fallback."""
    method = key.partition("@")[0].partition(":")[0]
    return dict(ENGINE_VARIANT.get(key) or STYLES.get(method) or UNKNOWN_STYLE)


EXTRA_STYLE: dict[str, Any] = {"color": "C4", "linestyle": ":", "linewidth": 1.6}
#: Exact zeros are drawn on a labelled floor ("exact (0)") a decade below the smallest nonzero
#: error, or here when every error is larger: log axes cannot show a zero.
ERROR_FLOOR = 1e-17
#: Label of the error axis' floor, where exact zeros are drawn.
EXACT_LABEL = "exact (0)"
#: Tangents overlap when the methods agree: the first is drawn widest, each next one narrower
#: on top of it, so every method's colour stays visible as a stripe.
TANGENT_WIDTHS = (6.0, 4.4, 2.8, 1.4, 1.0, 0.8, 0.6)
#: Samples per tangent or secant: straight in data, they bend on a symmetric-log axis.
LINE_SAMPLES = 41
#: The value axis turns symmetric-log when the largest |value| is this many times the median:
#: then e^(-2x) reaching 22,000 does not flatten a sine of amplitude 3 into a line.
SYMLOG_RATIO = 50.0


def comparison_figure(
    comparison: Comparison,
    *,
    at: float | None = None,
    secant: float | None = None,
    extra: dict[str, np.ndarray] | None = None,
    width: float = 9.5,
    height: float = 6.0,
    tangents: Tangents | None = None,
) -> Figure:
    """f, each f' (with tangent lines at `at`), points where f' does not exist, and errors.

    `secant` draws the secant through x0 = `at` and x0 + `secant`; `extra` adds derivative
    curves that are not rows of the comparison (the panel's difference quotient with a chosen
    step), with their errors. `tangents(x0, dx)` gives (f(x0), each row's slope, the secant's
    slope) for the lines at x0: the numbers come from `diffmagic.at_point`, the figure draws.
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
        if _drawn(result):
            flag = "" if result.ok else f" ({result.status})"
            top.plot(
                x,
                _finite(result.values),
                label=f"{name} {result.label}{flag}",
                **style_for(result.key),
            )
        wrong = result.wrong_at if result.wrong_at is not None else ()
        if len(wrong):
            # Where your derivative is wrong: marked on its own curve, one legend entry.
            marked = np.isin(x, wrong)
            top.plot(
                x[marked],
                _finite(result.values)[marked],
                linestyle="none",
                marker="v",
                markersize=5,
                color=style_for(result.key)["color"],
                markeredgecolor="black",
                markeredgewidth=0.5,
                label=f"where {result.label} is wrong",
            )
    # Labels of points go in the legend, not on the plot: there they never cover a curve.
    for point in comparison.singularities:
        top.axvline(
            point.x,
            color="grey",
            linestyle=":",
            linewidth=1,
            label=f"{point.kind} at {target.wrt}={point.x:g}",
        )
    for label, values in (extra or {}).items():
        top.plot(x, _finite(values), label=label, **EXTRA_STYLE)
    if comparison.extrema:
        from diffmagic.extrema import mark

        mark(top, comparison.extrema, target.wrt)
    top.set_ylabel("value")
    scale_note = _value_scale(top, [comparison.f_values, *_curves(comparison, extra)])
    formula = str(comparison.function_expr) if comparison.function_expr is not None else ""
    shown = f"{target.name}({target.wrt}) = {formula}" if 0 < len(formula) <= 60 else target.label
    title = f"{shown} and {name}"
    top.set_title(
        title + (f"\n{scale_note}" if scale_note else ""), fontsize=11 if not scale_note else 9
    )
    top.grid(alpha=0.3)
    _errors(bottom, comparison, extra or {})
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


def _drawn(result: Any) -> bool:
    """Rows with values are drawn: ok ones, and the wrong-but-flagged ones (their legend entry
    says "inaccurate" or "wrong"); a failed row has nothing to draw."""
    return result.values is not None and (result.ok or result.status in ("inaccurate", "wrong"))


def alt_text(comparison: Comparison, at: float | None = None) -> str:
    """What the figure shows, in words: the alt text of its <img> wherever it is embedded."""
    target = comparison.target
    function = comparison.function_expr if comparison.function_expr is not None else None
    formula = f"{target.name}({target.wrt}) = {function}" if function is not None else target.label
    drawn = [result for result in comparison if _drawn(result)]
    count = len(drawn)
    text = (
        f"{formula} and its derivative {comparison.derivative_name} by {count} "
        f"method{'s' if count != 1 else ''} ({', '.join(r.label for r in drawn)})"
    )
    low, high = comparison.domain
    text += f" on [{low:g}, {high:g}]"
    if at is not None:
        text += f", with each method's tangent at {target.wrt}0 = {at:g}"
    if comparison.singularities:
        text += ", " + ", ".join(f"{p.kind} at {p.x:g}" for p in comparison.singularities)
        text += " marked"
    if comparison.extrema:
        text += ", " + ", ".join(f"{p.kind} at {p.x:.4g}" for p in comparison.extrema)
    return text + "; errors against the reference below, on a log scale"


def _curves(comparison: Comparison, extra: dict[str, np.ndarray] | None) -> list[np.ndarray]:
    drawn = [r.values for r in comparison if _drawn(r)]
    return [*drawn, *(extra or {}).values()]


def _value_scale(axes: Any, curves: list[np.ndarray]) -> str | None:
    """A symmetric-log value axis when a few huge values would flatten the rest, else linear.

    Returns the note that says so (shown under the title), or None for a linear axis. The
    linear part spans about twice the median |value|, so the typical curve reads as usual and
    the huge ends stay visible, on a log scale, instead of being clipped.
    """
    values = np.concatenate([np.ravel(np.asarray(c, dtype=np.float64)) for c in curves])
    values = np.abs(values[np.isfinite(values)])
    if values.size == 0:
        return None
    largest, median = float(values.max()), float(np.median(values))
    if largest == 0 or (median > 0 and largest <= SYMLOG_RATIO * median):
        return None
    threshold = float(f"{2 * median:.1g}") if median > 0 else largest / 1e3
    axes.set_yscale("symlog", linthresh=threshold, linscale=4.0)
    # Margins of a factor 2 beyond the threshold, never past 1e300: matplotlib's own margins
    # are a share of the log span and overflow float64 for values near 1e300.
    signed = np.concatenate([np.ravel(np.asarray(c, dtype=np.float64)) for c in curves])
    signed = signed[np.isfinite(signed)]
    low, high = float(signed.min()), float(signed.max())
    axes.set_ylim(_padded(low, threshold, -1), _padded(high, threshold, 1))
    return (
        f"values reach {largest:.3g}: the value axis is linear within ±{threshold:.3g}, "
        "logarithmic beyond"
    )


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

    @property
    def artists(self) -> list[Any]:
        lines = [*self.tangents.values(), self.point]
        return lines if self.secant is None else [*lines, self.secant]

    def update(self, x0: float, dx: float | None = None) -> None:
        """Tangents f(x0) + f'(x0)(x - x0) from each method, and the secant through x0, x0 + dx."""
        comparison = self.comparison
        f0, slopes, secant_slope = self.tangents_at(x0, dx if self.secant is not None else None)
        span = 0.15 * (comparison.domain[1] - comparison.domain[0])
        xs = np.linspace(x0 - span, x0 + span, LINE_SAMPLES)
        for line in self.artists:
            line.set_data([], [])
        if f0 is None:
            return
        self.point.set_data([x0], [f0])
        for key, line in self.tangents.items():
            slope = slopes.get(key)
            if slope is not None and np.isfinite(slope):
                line.set_data(xs, f0 + slope * (xs - x0))
        if dx is None or self.secant is None or secant_slope is None:
            return
        ends = np.linspace(x0 - span - abs(dx), x0 + span + abs(dx), LINE_SAMPLES)
        wide = np.union1d(ends, [x0, x0 + dx])
        self.secant.set_data(wide, f0 + secant_slope * (wide - x0))
        self.secant.set_markevery([int(np.searchsorted(wide, t)) for t in (x0, x0 + dx)])


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


def error_floor(errors: list[np.ndarray]) -> float:
    """Where exact zeros are drawn: a decade below the smallest nonzero error, at most 1e-17."""
    positive = [e[np.isfinite(e) & (e > 0)] for e in errors]
    smallest = min((float(p.min()) for p in positive if p.size), default=ERROR_FLOOR * 10)
    return min(ERROR_FLOOR, 10.0 ** (np.floor(np.log10(smallest)) - 1))


def _error_curve(
    axes: Any, x: np.ndarray, error: np.ndarray, floor: float, label: str, **style: Any
) -> bool:
    """|error| on the log axis, NaN left out; exact zeros as markers on the labelled floor.

    Returns whether any error was exactly zero.
    """
    exact = error == 0
    axes.semilogy(x, np.where(exact, np.nan, error), label=label, **style)
    if not exact.any():
        return False
    marker = style.get("marker") or ("s" if style.get("linestyle") == "-" else "D")
    axes.plot(
        x[exact],
        np.full(int(exact.sum()), floor),
        linestyle="none",
        marker=marker,
        markersize=4,
        color=style.get("color"),
        label=f"{label}: {EXACT_LABEL}",
    )
    return True


def _errors(axes: Any, comparison: Comparison, extra: dict[str, np.ndarray]) -> None:
    reference = comparison.reference
    curves: list[tuple[str, np.ndarray, dict[str, Any]]] = []
    if reference is not None:
        for label, values in extra.items():
            curves.append((label, values, dict(EXTRA_STYLE)))
        for result in comparison:
            if not _drawn(result) or result.is_reference:
                continue
            style = {k: v for k, v in style_for(result.key).items() if k != "linewidth"}
            curves.append((result.label, result.values, style))
    with np.errstate(invalid="ignore"):
        errors = [
            np.abs(np.asarray(values, dtype=np.float64) - reference) for _, values, _ in curves
        ]
    floor = error_floor(errors)
    finite = [e[np.isfinite(e)] for e in errors]
    largest = max((float(e.max()) for e in finite if e.size), default=floor)
    if curves:
        # Limits before the curves, so matplotlib never autoscales them: its log margins
        # overflow float64 for errors near 1e300.
        axes.set_yscale("log")
        axes.set_ylim(floor / 3, min(1e300, max(largest, floor) * 10))
    any_exact = False
    for (label, _, style), error in zip(curves, errors, strict=True):
        any_exact |= _error_curve(axes, comparison.x, error, floor, label, **style)
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    axes.set_ylabel("|error| vs reference")
    axes.grid(alpha=0.3, which="both")
    if curves:
        axes.yaxis.set_major_locator(LogLocator(numticks=6))
        axes.yaxis.set_minor_locator(NullLocator())
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
        # The floor is a line of its own with its own words: there the error is exactly zero.
        axes.axhline(floor, color="dimgrey", linewidth=0.8, linestyle="--", label=EXACT_LABEL)
        axes.annotate(
            EXACT_LABEL + (": markers are exact zeros" if any_exact else ""),
            (0.005, floor),
            xycoords=("axes fraction", "data"),
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=8,
            color="dimgrey",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )
    else:
        axes.text(
            0.5,
            0.5,
            "no reference to measure errors against",
            ha="center",
            transform=axes.transAxes,
        )


def _padded(value: float, threshold: float, direction: int) -> float:
    """A limit a little beyond `value` in `direction` on a symmetric-log axis."""
    if abs(value) <= threshold:
        return value + direction * 0.2 * threshold
    grown = value * 2 if np.sign(value) == direction else value / 2
    return float(np.clip(grown, -1e300, 1e300))


def figure_bytes(figure: Figure, fmt: str = "png", dpi: int = 100) -> bytes:
    """The figure encoded as PNG, SVG or PDF."""
    buffer = io.BytesIO()
    # Ticks of a symmetric-log axis near float64's limit overflow harmlessly while drawn.
    with np.errstate(over="ignore"):
        figure.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()
