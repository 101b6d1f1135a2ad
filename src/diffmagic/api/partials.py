"""Functions of several variables: each partial derivative at a point, by every method.

A partial derivative is the one-variable derivative with the other variables held fixed, so each
is a `compare()` along one variable through the point. The gradient field of a function of two
variables is drawn over its contour plot, with JAX's gradient.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.api.compare import DEFAULT_METHODS, compare
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.target import make_target, resolve_function
from diffmagic.views.tables import aligned_table, html_row

#: Half-width of the line through the point along each variable, and its points (odd, so the
#: point itself is the middle grid point and np.gradient has a value there).
HALF_WIDTH = 0.5
LINE_POINTS = 101


@dataclass
class GradientTable:
    """∂f/∂v at `point` for each variable v, by each method, with the exact value."""

    point: dict[str, float]
    exact: dict[str, float | None] = field(default_factory=dict)
    by_method: dict[str, dict[str, float | None]] = field(default_factory=dict)
    failures: dict[str, dict[str, str]] = field(default_factory=dict)

    def _cell(self, value: float | None) -> str:
        return "—" if value is None or not np.isfinite(value) else f"{value:.12g}"

    def table(self) -> str:
        """The plain-text table: a row per method, a column per variable, then the reasons."""
        where = ", ".join(f"{k}={v:g}" for k, v in self.point.items())
        names = list(self.point)
        lines = [f"partial derivatives at ({where})", ""]
        header = ["method", *(f"d/d{name}" for name in names)]
        rows = [["exact (SymPy, 30 digits)", *(self._cell(self.exact[n]) for n in names)]]
        rows += [
            [label, *(self._cell(values.get(n)) for n in names)]
            for label, values in self.by_method.items()
        ]
        lines.append(aligned_table(header, rows))
        for label, reasons in self.failures.items():
            lines.extend(f"* {label}, d/d{n}: {why}" for n, why in reasons.items())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        names = list(self.point)
        head = html_row(["method", *(f"∂f/∂{name}" for name in names)], "th")
        rows = [("exact (SymPy, 30 digits)", self.exact), *self.by_method.items()]
        body = "".join(
            html_row([label, *(self._cell(values.get(name)) for name in names)])
            for label, values in rows
        )
        return f"<table class='diffmagic-table'>{head}{body}</table>"

    def __repr__(self) -> str:
        return self.table()


def partial_derivatives(
    f: Any,
    at: Mapping[str, float],
    methods: Sequence[str] | str = DEFAULT_METHODS,
    params: Mapping[str, Any] | None = None,
    *,
    func: str | None = None,
) -> GradientTable:
    """Every partial derivative of f at the point `at` (all variables named), by each method.

    Each is a `compare()` along one variable through the point, the others held fixed.

    Parameters
    ----------
    f : callable or str
        A function of several named variables, a cell's text defining one, or an expression.
    at : mapping of str to float
        A value for each variable: {"x": 1.0, "y": 3.0}.
    methods : sequence of str or str, optional
        The methods of `compare()`.
    params, func : mapping, str, optional
        Values of f's other arguments; which function of a cell's text.

    Returns
    -------
    GradientTable
        `.exact[v]` (SymPy's, 30 digits), `.by_method[label][v]`, `.failures` with reasons.

    Raises
    ------
    DiffMagicError
        When `at` is empty or names a variable f does not take (one line).

    Examples
    --------
    >>> import diffmagic
    >>> diffmagic.partial_derivatives("x**2*y", {"x": 1.0, "y": 3.0}).exact  # 2xy, x**2
    {'x': 6.0, 'y': 1.0}
    """
    if not at:
        raise DiffMagicError("the point needs a value for each variable, e.g. x=1,y=2")
    table = GradientTable(point={k: float(v) for k, v in at.items()})
    middle = LINE_POINTS // 2
    for name, value in table.point.items():
        others = {k: v for k, v in table.point.items() if k != name}
        comparison = compare(
            f,
            domain=(value - HALF_WIDTH, value + HALF_WIDTH),
            points=LINE_POINTS,
            methods=methods,
            wrt=name,
            params={**(params or {}), **others},
            func=func,
        )
        reference = comparison.reference
        table.exact[name] = None if reference is None else float(reference[middle])
        for row in comparison:
            values = table.by_method.setdefault(row.label, {})
            if not row.ok:
                table.failures.setdefault(row.label, {})[name] = row.error or "failed"
                values[name] = None
            elif row.key == "numerical":
                values[name] = float(row.values[middle])
            else:
                values[name] = float(row.derivative(np.array([value]))[0])
    return table


def gradient_field(
    f: Any,
    x_domain: tuple[float, float],
    y_domain: tuple[float, float],
    params: Mapping[str, Any] | None = None,
    *,
    func: str | None = None,
    points: int = 60,
    arrows: int = 15,
    mark: tuple[float, float] | None = None,
) -> Any:
    """Contours of f(x, y) with arrows of its gradient (JAX's), for a function of two variables.

    Parameters
    ----------
    f, x_domain, y_domain, params, func, points, arrows, mark
        f(x, y, ...) or a cell's text defining it; the ranges of its first two variables; the
        values of its other arguments; which function of a cell's text; grid points per axis
        for the contours; arrows per axis; a point (x, y) to mark in red.

    Returns
    -------
    matplotlib.figure.Figure
        A figure that shows itself in a notebook (`ShownFigure`).

    Raises
    ------
    DiffMagicError
        When f takes fewer than two variables, or another argument of f has no value.

    Examples
    --------
    >>> import diffmagic  # the arrows' ∂f/∂y of x*y is x: -1, 0, 1 along each row
    >>> diffmagic.gradient_field("x*y", (-1, 1), (-1, 1), arrows=3).axes[0].collections[-1].V
    array([-1.,  0.,  1., -1.,  0.,  1., -1.,  0.,  1.])
    """
    from diffmagic.inputs.rebind import rebind
    from diffmagic.methods.jax_engine import float64, jax_module
    from diffmagic.views.shown_figure import ShownFigure

    function, _ = resolve_function(f, func)
    names = list(inspect.signature(function).parameters)
    if len(names) < 2:
        raise DiffMagicError("a gradient field needs a function of two variables, f(x, y)")
    first, second = names[:2]
    # Checks the other parameters have values, with the first two as the variables.
    target = make_target(function, wrt=first, params={second: 0.0, **(params or {})})
    fixed = {k: v for k, v in target.fixed.items() if k != second}
    jax = jax_module()
    function = rebind(target.function, "jax")

    def of_two(a: Any, b: Any) -> Any:
        return function(**{first: a, second: b}, **fixed)

    xs = np.linspace(*x_domain, points)
    ys = np.linspace(*y_domain, points)
    grid_x, grid_y = np.meshgrid(xs, ys)
    with float64():
        values = np.asarray(jax.vmap(of_two)(grid_x.ravel(), grid_y.ravel())).reshape(grid_x.shape)
        ax_, ay_ = np.meshgrid(np.linspace(*x_domain, arrows), np.linspace(*y_domain, arrows))
        gradient = jax.vmap(jax.grad(of_two, argnums=(0, 1)))(ax_.ravel(), ay_.ravel())
        gx, gy = (np.asarray(g).reshape(ax_.shape) for g in gradient)
    around = "" if mark is None else f" around ({mark[0]:g}, {mark[1]:g})"
    figure = ShownFigure(
        figsize=(6.5, 5.5),
        alt=f"contours of {target.name}({first}, {second}){around} with arrows of its gradient",
    )
    axes = figure.subplots()
    contours = axes.contourf(grid_x, grid_y, values, levels=20, cmap="viridis")
    figure.colorbar(contours, ax=axes, label=f"{target.name}({first}, {second})")
    axes.quiver(ax_, ay_, gx, gy, color="white")
    if mark is not None:
        axes.plot(*mark, "o", color="red", markersize=7)
        axes.annotate(
            f"({mark[0]:g}, {mark[1]:g})",
            mark,
            textcoords="offset points",
            xytext=(6, 6),
            color="red",
        )
    axes.set_xlabel(first)
    axes.set_ylabel(second)
    axes.set_title("contours of f and its gradient (arrows point uphill)", fontsize=10)
    return figure
