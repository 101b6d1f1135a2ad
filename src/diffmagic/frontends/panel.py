"""The interactive panel: drag a slider, watch each method's derivative, tangent and error move.

Built the way ipywidgets' `interactive_output` is: controls, one `Output`, an observer on each
control's value. Two kinds of change are kept apart so that a slider move costs only what it
must:

- *view* controls (tangent point x0, secant width dx, step h, scheme, precision) only redraw
  from the comparison already computed: nothing is re-derived or re-compiled;
- *comparison* controls (domain, points, methods, order, parameters) re-run the comparison with
  a changed `Request` (every other option kept, every option checked again), whose prepared
  derivatives come from the cache unless the order or a parameter changed.

The output area's content is replaced in one assignment (no flicker), it has a fixed height (the
page does not jump), and an error in a callback is shown there in one line while the panel keeps
working. Without a widget frontend the panel's static HTML (figure and table) is shown instead.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from diffmagic.analysis.steps import DTYPES, SCHEMES
from diffmagic.api.compare import Comparison, Request, run
from diffmagic.errors import DiffMagicError
from diffmagic.frontends import panel_output
from diffmagic.frontends.panel_controls import (
    domain_slider,
    log_slider,
    param_slider,
    points_slider,
    x0_slider,
)
from diffmagic.limits.bounds import MAX_ORDER
from diffmagic.limits.explain import one_line
from diffmagic.methods import METHODS, select
from diffmagic.views.html import ERROR_COLOUR
from diffmagic.views.notebook import image_html

OUTPUT_HEIGHT = "1000px"


#: What `repr(panel)` says: in a plain Python REPL there is no widget front end to show it.
WHERE_TO_RUN = (
    "a diffmagic panel for {label}: its sliders show in a Jupyter notebook (JupyterLab, "
    "Notebook 7, VS Code); here print(panel.comparison) shows the table"
)
MISSING_WIDGETS = (
    "the panel needs ipywidgets, which the plain install leaves out: "
    'pip install "diffmagic[notebook]"'
)


def _ipywidgets() -> Any:
    """ipywidgets, or one line naming the install that brings it."""
    try:
        import ipywidgets
    except ImportError:
        raise DiffMagicError(MISSING_WIDGETS) from None
    return ipywidgets


def _output(bundle: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": bundle, "metadata": {}}


def _checked_request(request: Request | None, options: dict[str, Any], graph_mode: str) -> Request:
    """The panel's starting request, every option checked once, so that a bad call fails here
    with DiffMagicError and not later in a callback."""
    if graph_mode not in ("reverse", "forward"):
        raise DiffMagicError(f"graph_mode must be reverse or forward, not {graph_mode!r}")
    if request is not None and options:
        raise DiffMagicError("Panel takes a request or compare()'s options, not both")
    if request is not None and not isinstance(request, Request):
        raise DiffMagicError(
            f"request must be a diffmagic Request (Request.checked(...)), "
            f"not {type(request).__name__}"
        )
    # A request made as Request(points=-5) skipped the checks, so it is checked again.
    return request.changed() if request is not None else Request.checked(**options)


class Panel:
    """Controls, an output area and the comparison they show; display it in a notebook."""

    def __init__(
        self,
        f: Any,
        *,
        x0: float | None = None,
        graph: bool = False,
        graph_mode: str = "reverse",
        request: Request | None = None,
        **options: Any,
    ) -> None:
        """`f` and `options` are exactly `diffmagic.compare()`'s (domain, points, methods,
        order, wrt, params, engines, extrema, timing, yours, limits...), or a checked
        `request` (what the magic's `--panel` passes): the panel starts from that comparison,
        and its controls change domain, points, methods, order and the parameters while every
        other option stays as given. `x0` is the tangent point; `graph` and `graph_mode` (reverse
        or forward) set the computational graph's controls."""
        widgets = _ipywidgets()
        self._widgets = widgets
        self._source = f
        #: The checked options of what the panel shows; a control change makes a changed copy.
        self.request: Request = _checked_request(request, options, graph_mode)
        self.comparison: Comparison = run(f, self.request)
        self.redraws = 0
        self._quiet = False
        #: What the output area last drew (figure renderer, graph), reused while still right.
        self._drawn = panel_output.Drawn()
        self._comparison_controls()
        self._view_controls(x0)
        self.time_button = widgets.Button(description="time it", icon="clock")
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="timing")
        self.status = widgets.HTML(value="")
        self.output = widgets.Output(layout=widgets.Layout(height=OUTPUT_HEIGHT, overflow="auto"))
        # The computational graph: off by default, redrawn with x0.
        self.show_graph = widgets.Checkbox(
            value=graph, description="computational graph at x0", indent=False
        )
        self.graph_mode = widgets.ToggleButtons(
            options=("reverse", "forward"), value=graph_mode, description="graph"
        )
        self._observe_controls()
        self.widget = self._laid_out()
        self.redraw()

    def _comparison_controls(self) -> None:
        """The controls that re-run the comparison: domain, points, order, methods, parameters."""
        widgets = self._widgets
        low, high = self.comparison.domain
        chosen = set(select(self.request.methods))
        self.domain = domain_slider(widgets, low, high)
        self.points = points_slider(widgets, int(self.comparison.x.size))
        self.order = widgets.BoundedIntText(
            value=self.comparison.order,
            min=1,
            max=MAX_ORDER,
            description="order",
            layout=widgets.Layout(width="140px"),
        )
        self.methods = {
            key: widgets.Checkbox(value=key in chosen, description=module.LABEL, indent=False)
            for key, module in METHODS.items()
        }
        self.params = {
            name: param_slider(widgets, name, value)
            for name, value in self.comparison.target.fixed.items()
        }

    def _view_controls(self, x0: float | None) -> None:
        """The controls that only redraw: tangent point, secant width, step, scheme, precision."""
        widgets = self._widgets
        low, high = self.comparison.domain
        self.x0 = x0_slider(widgets, low, high, x0)
        self.dx = log_slider(widgets, "secant dx", 0.5, -12, 0)
        self.step = log_slider(widgets, "step h", 1e-2, -12, 0)
        self.scheme = widgets.Dropdown(options=SCHEMES, value="central", description="scheme")
        self.dtype = widgets.ToggleButtons(
            options=tuple(DTYPES), value="float64", description="precision"
        )

    def _observe_controls(self) -> None:
        """Each control calls back on a change of its value: a re-run or only a redraw."""
        for control in (
            self.domain,
            self.points,
            self.order,
            *self.methods.values(),
            *self.params.values(),
        ):
            control.observe(self._on_comparison_change, names="value")
        for control in (
            self.x0,
            self.dx,
            self.step,
            self.scheme,
            self.dtype,
            self.show_graph,
            self.graph_mode,
        ):
            control.observe(self._on_view_change, names="value")
        self.time_button.on_click(self._on_time)

    def _laid_out(self) -> Any:
        """The controls in rows by what they change, then the status line and the output."""
        widgets = self._widgets
        return widgets.VBox(
            [
                widgets.HBox([self.domain, self.points, self.order]),
                widgets.HBox(list(self.methods.values())),
                widgets.HBox([self.x0, self.dx]),
                widgets.HBox([self.step, self.scheme, self.dtype]),
                *([widgets.HBox(list(self.params.values()))] if self.params else []),
                widgets.HBox([self.time_button, self.progress]),
                widgets.HBox([self.show_graph, self.graph_mode]),
                self.status,
                self.output,
            ]
        )

    # ------------------------------------------------------------------ callbacks

    def _current_params(self) -> dict[str, Any]:
        values = dict(self.comparison.target.fixed)
        for name, control in self.params.items():
            if hasattr(control, "value") and isinstance(control.value, float):
                values[name] = control.value
        return values

    def _on_comparison_change(self, change: Any = None) -> None:
        try:
            methods = [key for key, box in self.methods.items() if box.value]
            if not methods:
                raise DiffMagicError("tick at least one method")
            request = self.request.changed(
                domain=self.domain.value,
                points=self.points.value,
                methods=methods,
                order=self.order.value,
                params=self._current_params(),
            )
            self.comparison = run(self._source, request)
            self.request = request
            self._fit_x0_to_domain()
        except Exception as error:
            self._show_error(error)
            return
        self.redraw()

    def _fit_x0_to_domain(self) -> None:
        """Keep x0 inside a new domain without a redraw per limit changed."""
        low, high = self.comparison.domain
        self._quiet = True
        try:
            if low >= self.x0.max:
                self.x0.max, self.x0.min = high, low
            else:
                self.x0.min, self.x0.max = low, high
            self.x0.step = (high - low) / 200
        finally:
            self._quiet = False

    def _on_view_change(self, change: Any = None) -> None:
        if not self._quiet:
            self.redraw()

    def _on_time(self, button: Any = None) -> None:
        def progress(fraction: float, label: str) -> None:
            self.progress.value = fraction
            self.progress.description = "done" if fraction >= 1 else "timing"
            self.status.value = f"timing {html.escape(label)}..." if fraction < 1 else ""

        try:
            self.comparison.time(progress=progress)
        except Exception as error:
            self._show_error(error)
            return
        self.redraw()

    def _show_error(self, error: BaseException) -> None:
        message = one_line(error)
        self.status.value = f"<span style='color:{ERROR_COLOUR}'>{html.escape(message)}</span>"

    # ------------------------------------------------------------------ drawing

    def difference_quotient(self) -> np.ndarray | None:
        """The panel's own row: one difference quotient with the chosen step, scheme, precision."""
        return panel_output.difference_quotient(self)

    def slopes(self) -> dict[str, float | None]:
        """Each method's f'(x0), the secant's slope and the difference quotient's, by label."""
        return panel_output.slopes(self)

    def save_figure(self, path: str) -> None:
        """The panel's figure as it stands (x0, dx, step) to PNG, SVG or PDF (`--save`)."""
        panel_output.save_figure(self, path)

    def bundles(self) -> list[dict[str, Any]]:
        """What the output area shows: the figure, the slopes at x0, the table, the graph."""
        return panel_output.bundles(self, self._drawn)

    def alt_text(self) -> str:
        """What the panel's figure shows, for its alt text."""
        return panel_output.alt_text(self)

    def redraw(self) -> None:
        """Replace the output area's content in one step."""
        try:
            outputs = tuple(_output(bundle) for bundle in self.bundles())
        except Exception as error:
            self._show_error(error)
            return
        self.output.outputs = outputs
        self.status.value = ""
        self.redraws += 1

    # ------------------------------------------------------------------ display

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget where widgets work; the static figure and table where they do not."""
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        static = []
        for output in self.output.outputs:
            data = output["data"]
            if "image/png" in data:
                static.append(image_html(data["image/png"], self.alt_text()))
            elif "text/html" in data:
                static.append(data["text/html"])
        bundle["text/html"] = "".join(static)
        bundle["text/plain"] = self.comparison.table()
        return bundle

    def __repr__(self) -> str:
        return WHERE_TO_RUN.format(label=self.comparison.target.label)


def panel(
    f: Any,
    *,
    x0: float | None = None,
    graph: bool = False,
    graph_mode: str = "reverse",
    request: Request | None = None,
    **options: Any,
) -> Panel:
    """An interactive panel for `f`: sliders for the domain, the points, the methods, the order,
    the tangent point and f's other parameters, the figure and the table redrawn as they move.

    Parameters
    ----------
    f
        What `compare()` takes: a function, a notebook cell's text, or an expression in x.
    x0
        The tangent point (default: the middle of the domain).
    graph, graph_mode
        Show f's computational graph at x0, with "reverse" adjoints or "forward" tangents.
    request
        A checked `Request` to start from (what `%%differentiate --panel` passes), instead of
        `options`.
    **options
        `compare()`'s keyword arguments: domain, points, methods, order, wrt, params, engines,
        extrema, timing, yours, the time limits.

    Returns
    -------
    Panel
        Display it in a notebook (the last expression of a cell); `panel.comparison` is what it
        shows now. Without a widget frontend it shows the static figure and table.

    Raises
    ------
    DiffMagicError
        When ipywidgets is missing, or an option cannot be honoured (one line, before any work).

    Examples
    --------
    >>> diffmagic.panel("exp(-2*x) + 3*sin(3*x)", domain=(-2, 2), x0=1.0)  # doctest: +SKIP
    """
    return Panel(f, x0=x0, graph=graph, graph_mode=graph_mode, request=request, **options)
