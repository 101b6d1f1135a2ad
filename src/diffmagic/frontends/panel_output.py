"""What the panel's output area shows, from the panel's controls and its comparison.

`panel.Panel` holds the controls and reacts to them; this module turns their values into
what is shown: the figure (rebuilt when its curves change, only its overlays redrawn when x0
moves), the slopes at x0, the table and, when ticked, the computational graph. The numbers come
from the analysis (`at_point.tangents`, `steps.difference_quotient`), the pictures and HTML from
`views`; nothing here changes the comparison or the panel: what is kept between two draws
(`Drawn`) the panel owns and passes in.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from diffmagic.analysis.at_point import tangents
from diffmagic.analysis.steps import difference_quotient as quotient_of
from diffmagic.errors import DiffMagicError
from diffmagic.limits.explain import one_line
from diffmagic.limits.guard import Failure, guarded
from diffmagic.views.html import html_table
from diffmagic.views.notebook import image_html
from diffmagic.views.overlays import FastRenderer
from diffmagic.views.slopes import slopes_html, slopes_text

if TYPE_CHECKING:
    from diffmagic.api.compare import Comparison
    from diffmagic.frontends.panel import Panel

T = TypeVar("T")

#: The panel's figure resolution: enough on screen, and a quick PNG on every slider move.
FIGURE_DPI = 80
#: How the panel's table says to time the methods: its own button.
PANEL_TIMING_HINT = "the panel's “time it” button"


class LastDrawn(Generic[T]):
    """One thing drawn (the figure's renderer, the graph's bundle), kept with the comparison
    object it was drawn from and the settings it was drawn with, to redraw without rebuilding.

    The comparison is held and compared with `is`, never by `id()`: once a replaced comparison
    is garbage-collected a new one can get its id, and a cache keyed by the id would then show
    the old comparison's picture as the new one's. Holding it keeps its id taken until the next
    draw replaces it; only the latest is kept.
    """

    def __init__(self) -> None:
        self._entry: tuple[object, tuple[Any, ...], T] | None = None

    def get(self, comparison: object, settings: tuple[Any, ...], make: Callable[[], T]) -> T:
        """What was drawn for this very comparison and these settings, or `make()`'s (kept in
        its place once made: a failing `make` leaves the last one as it was)."""
        entry = self._entry
        if entry is None or entry[0] is not comparison or entry[1] != settings:
            entry = self._entry = (comparison, settings, make())
        return entry[2]


@dataclass
class Drawn:
    """What a panel's output area last drew; the panel owns it and passes it to `bundles`."""

    figure: LastDrawn[FastRenderer] = field(default_factory=LastDrawn)
    graph: LastDrawn[dict[str, Any]] = field(default_factory=LastDrawn)


def _guarded(panel: Panel, work: Callable[[], T]) -> T:
    """`work()`, which calls the learner's f, under the one guard and the comparison's method
    limit; a one-line DiffMagicError (the panel shows it and keeps working) when it fails."""
    outcome = guarded(
        work,
        seconds=panel.comparison.method_time_limit,
        name=panel.comparison.target.name,
        describe_user_timeout=lambda limit, culprit: (
            f"{culprit} took longer than {limit:g} s near x0 (does it sleep or loop?)"
        ),
        passthrough=(DiffMagicError,),
    )
    if isinstance(outcome, Failure):
        raise DiffMagicError(outcome.reason)
    return outcome


def difference_quotient(panel: Panel) -> np.ndarray | None:
    """The panel's own row on the grid: one difference quotient with its step, scheme, dtype."""
    return _guarded(panel, lambda: _difference_quotient(panel))


def _difference_quotient(panel: Panel) -> np.ndarray | None:
    function = panel.comparison.function
    if function is None:
        return None
    return quotient_of(
        function, panel.comparison.x, panel.step.value, panel.scheme.value, panel.dtype.value
    )


def quotient_label(panel: Panel) -> str:
    return f"{panel.scheme.value} difference h={panel.step.value:.0e} {panel.dtype.value}"


def slopes(panel: Panel) -> dict[str, float | None]:
    """Each method's f'(x0), the secant's slope and the difference quotient's, by label."""
    return _guarded(panel, lambda: _slopes(panel))


def _slopes(panel: Panel) -> dict[str, float | None]:
    comparison = panel.comparison
    x0, dx = float(panel.x0.value), float(panel.dx.value)
    f0, by_method, secant = tangents(comparison, x0, dx)
    listed: dict[str, float | None] = {
        result.label: by_method.get(result.key) for result in comparison
    }
    if comparison.function is not None and f0 is not None:
        listed[f"secant (f(x0+dx) - f(x0))/dx, dx={dx:.2g}"] = secant
        quotient = quotient_of(
            comparison.function,
            np.array([x0]),
            panel.step.value,
            panel.scheme.value,
            panel.dtype.value,
        )
        listed[quotient_label(panel)] = float(quotient[0])
    return listed


def _figure(panel: Panel, **size: float) -> Any:
    """The comparison's figure with the panel's tangent, secant and difference quotient."""
    quotient = difference_quotient(panel) if panel.comparison.order == 1 else None
    return panel.comparison.figure(
        at=float(panel.x0.value),
        secant=float(panel.dx.value),
        extra={quotient_label(panel): quotient} if quotient is not None else {},
        **size,
    )


def figure_png(panel: Panel, drawn: LastDrawn[FastRenderer]) -> bytes:
    """The figure as PNG: rebuilt when the curves change, only its overlays when x0 moves."""

    def renderer() -> FastRenderer:
        figure = _figure(panel, width=9.5, height=5.5)
        figure.set_dpi(FIGURE_DPI)
        return FastRenderer(figure, figure.diffmagic_overlays)

    settings = (panel.step.value, panel.scheme.value, panel.dtype.value)
    fast = drawn.get(panel.comparison, settings, renderer)
    return fast.png(float(panel.x0.value), float(panel.dx.value))


def save_figure(panel: Panel, path: str) -> None:
    """The panel's figure as it stands (x0, dx, step) to PNG, SVG or PDF (`--save`)."""
    from diffmagic.frontends.options import figure_format
    from diffmagic.frontends.report_result import write_file
    from diffmagic.views.figure import figure_bytes

    fmt = figure_format(path)
    write_file(path, figure_bytes(_figure(panel), fmt))


def alt_text(panel: Panel) -> str:
    """What the panel's figure shows, for its alt text."""
    from diffmagic.views.figure import alt_text as figure_alt_text

    return figure_alt_text(panel.comparison, float(panel.x0.value)) + (
        f"; secant with dx = {float(panel.dx.value):.2g} and a {quotient_label(panel)}"
    )


def bundles(panel: Panel, drawn: Drawn) -> list[dict[str, Any]]:
    """What the output area shows: the figure, the slopes at x0, the table, the graph; `drawn`
    is what the panel's output area last drew, reused where nothing it shows changed."""
    png = base64.b64encode(figure_png(panel, drawn.figure)).decode("ascii")
    at_x0 = slopes(panel)
    return [
        # The <img> twin carries the alt text JupyterLab's PNG renderer leaves out.
        {
            "image/png": png,
            "text/html": image_html(png, alt := alt_text(panel)),
            "text/plain": f"<figure: {alt}>",
        },
        {
            "text/html": slopes_html(
                float(panel.x0.value), panel.comparison.derivative_name, at_x0
            ),
            "text/plain": slopes_text(at_x0),
        },
        {
            "text/html": html_table(panel.comparison, PANEL_TIMING_HINT),
            "text/plain": panel.comparison.table(),
        },
        *graph_bundles(panel, drawn.graph),
    ]


def graph_bundles(panel: Panel, drawn: LastDrawn[dict[str, Any]]) -> list[dict[str, Any]]:
    """The graph at the current x0 when its box is ticked; a reason in one line if none."""
    if not panel.show_graph.value:
        return []
    x0, mode = float(panel.x0.value), panel.graph_mode.value
    return [
        drawn.get(panel.comparison, (x0, mode), lambda: _graph_bundle(panel.comparison, x0, mode))
    ]


def _graph_bundle(comparison: Comparison, x0: float, mode: str) -> dict[str, Any]:
    """The graph's HTML and text listing, or why there is none, in one line."""
    from diffmagic.results.graph import graph_of_comparison

    try:
        graph = graph_of_comparison(comparison, x0, mode)
        return {"text/html": graph._repr_html_(), "text/plain": graph.text()}
    except DiffMagicError as error:
        text = f"no computational graph: {one_line(error)}"
        return {"text/html": f"<p>{html.escape(text)}</p>", "text/plain": text}
