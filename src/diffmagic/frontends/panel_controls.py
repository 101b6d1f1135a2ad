"""The panel's controls, each made with its range and step from the comparison it starts from.

Widget construction only: `panel.Panel` decides which controls re-run the comparison and which
only redraw, and lays them out.
"""

from __future__ import annotations

from typing import Any

#: The grid sizes the points slider offers (and the comparison's own, when it is not one).
POINT_CHOICES = (10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000)


def log_slider(widgets: Any, description: str, value: float, low: int, high: int) -> Any:
    """A width or a step from 10**low to 10**high, a quarter of a decade a notch: the sizes that
    matter here span twelve decades."""
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=low,
        max=high,
        step=0.25,
        description=description,
        continuous_update=False,
        readout_format=".1e",
    )


def domain_slider(widgets: Any, low: float, high: float) -> Any:
    """The domain's ends, free to move one domain's width past either end."""
    width = high - low
    return widgets.FloatRangeSlider(
        value=(low, high),
        min=low - width,
        max=high + width,
        step=width / 100,
        description="domain",
        continuous_update=False,
        readout_format=".2f",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="420px"),
    )


def points_slider(widgets: Any, points: int) -> Any:
    """The grid's size: the usual choices and the one the comparison started with."""
    return widgets.SelectionSlider(
        options=sorted(set(POINT_CHOICES) | {points}),
        value=points,
        description="points",
        continuous_update=False,
    )


def x0_slider(widgets: Any, low: float, high: float, x0: float | None) -> Any:
    """The tangent point, inside the domain; 60% of the way along it unless given."""
    width = high - low
    return widgets.FloatSlider(
        value=x0 if x0 is not None else low + 0.6 * width,
        min=low,
        max=high,
        step=width / 200,
        description="x0",
        continuous_update=False,
        readout_format=".3f",
    )


def param_slider(widgets: Any, name: str, value: Any) -> Any:
    """A slider per numeric parameter, spanning what `interact` would give it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return widgets.Label(value=f"{name} = {value!r} (fixed)")
    span = max(abs(float(value)), 1.0)
    return widgets.FloatSlider(
        value=float(value),
        min=float(value) - 2 * span,
        max=float(value) + 2 * span,
        step=span / 50,
        description=name,
        continuous_update=False,
    )
