"""What the panel's output area shows, from the panel's controls and its comparison.

`interactive.Panel` holds the controls and reacts to them; this module turns their values into
what is shown: the figure (rebuilt when its curves change, only its overlays redrawn when x0
moves), the slopes at x0, the table and, when ticked, the computational graph. The numbers come
from the analysis (`at_point.tangents`, `steps.difference_quotient`), the pictures and HTML from
`views`; nothing here changes the comparison.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

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
    from diffmagic.frontends.panel import Panel

T = TypeVar("T")

#: The panel's figure resolution: enough on screen, and a quick PNG on every slider move.
FIGURE_DPI = 80
#: How the panel's table says to time the methods: its own button.
PANEL_TIMING_HINT = "the panel's “time it” button"


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


def figure_png(panel: Panel) -> bytes:
    """The figure as PNG: rebuilt when the curves change, only its overlays when x0 moves."""
    comparison = panel.comparison
    key = (id(comparison), panel.step.value, panel.scheme.value, panel.dtype.value)
    if panel._renderer is None or panel._renderer_key != key:
        figure = _figure(panel, width=9.5, height=5.5)
        figure.set_dpi(FIGURE_DPI)
        panel._renderer = FastRenderer(figure, figure.diffmagic_overlays)
        panel._renderer_key = key
    return panel._renderer.png(float(panel.x0.value), float(panel.dx.value))


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


def bundles(panel: Panel) -> list[dict[str, Any]]:
    """What the output area shows: the figure, the slopes at x0, the table, the graph."""
    png = base64.b64encode(figure_png(panel)).decode("ascii")
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
        *graph_bundles(panel),  # computational graph (issue 15)
    ]


def graph_bundles(panel: Panel) -> list[dict[str, Any]]:
    """The graph at the current x0 when its box is ticked; a reason in one line if none."""
    if not panel.show_graph.value:
        return []
    from diffmagic.results.graph import graph_of_comparison

    key = (id(panel.comparison), float(panel.x0.value), panel.graph_mode.value)
    if key not in panel._graph_cache:
        try:
            drawn = graph_of_comparison(panel.comparison, key[1], key[2])
            bundle = {"text/html": drawn._repr_html_(), "text/plain": drawn.text()}
        except DiffMagicError as error:
            text = f"no computational graph: {one_line(error)}"
            bundle = {"text/html": f"<p>{html.escape(text)}</p>", "text/plain": text}
        panel._graph_cache = {key: bundle}  # only the current one is kept
    return [panel._graph_cache[key]]
