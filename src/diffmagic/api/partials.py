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
from diffmagic.limits import bounds
from diffmagic.limits.explain import MethodFailure, one_line
from diffmagic.limits.guard import guarded_entry, still_running_note
from diffmagic.running.loss import call
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
    #: Said about the whole table: calls diffmagic stopped waiting for that still run.
    notes: list[str] = field(default_factory=list)

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
        lines.extend(f"* {note}" for note in self.notes)
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
    method_time_limit: float = bounds.METHOD_SECONDS,
) -> GradientTable:
    """Every partial derivative of f at the point `at` (all variables named), by each method.

    Parameters
    ----------
    f : callable or str
        A function of several named variables, a cell's text defining one, or an expression.
    at : mapping
        A value for each variable: {"x": 1.0, "y": 2.0}.
    methods : sequence of str or str, optional
        The methods of `compare()`.
    params : mapping, optional
        Values of f's other arguments.
    func : str, optional
        Which function of a cell's text to use.
    method_time_limit : float, optional
        Seconds each method may take along each variable, and each method's derivative at
        the point: the limit holds whatever f does.

    Returns
    -------
    GradientTable
        ∂f/∂v for each variable v by each method, the exact value, and why a method has none.

    Raises
    ------
    DiffMagicError
        When the point names no variable, or f is not a function of them (one line).

    Examples
    --------
    >>> from diffmagic import partial_derivatives
    >>> table = partial_derivatives("x**2*y", {"x": 1.0, "y": 3.0}, methods="symbolic")
    >>> round(table.exact["x"], 12), round(table.exact["y"], 12)
    (6.0, 1.0)
    """
    if not at:
        raise DiffMagicError("the point needs a value for each variable, e.g. x=1,y=2")
    seconds = bounds.check_seconds(method_time_limit, "method_time_limit")
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
            method_time_limit=seconds,
        )
        reference = comparison.reference
        table.exact[name] = None if reference is None else float(reference[middle])
        for row in comparison:
            values = table.by_method.setdefault(row.label, {})
            slope = _at_the_point(row, value, middle, comparison.target.name, seconds)
            if isinstance(slope, str):
                table.failures.setdefault(row.label, {})[name] = slope
                values[name] = None
            else:
                values[name] = slope
    table.notes = still_running_note()
    return table


def _at_the_point(row: Any, value: float, middle: int, name: str, seconds: float) -> float | str:
    """The row's derivative at the point, or why it has none: np.gradient's value there (the
    middle of the line), else the row's derivative called at the point under the one guard
    (a method's derivative may call f again: a finite-difference row does)."""
    if not row.ok:
        return row.error or "failed"
    if row.key == "numerical":
        return float(row.values[middle])
    try:
        found = call(
            lambda: row.derivative(np.array([value]))[0],
            name=name,
            seconds=seconds,
            too_long=(
                f"{row.label} at the point took longer than {seconds:g} s (does {name} sleep "
                "or loop?); raise method_time_limit"
            ),
        )
    except MethodFailure as failure:
        return one_line(failure)
    return float(found)


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
    method_time_limit: float = bounds.METHOD_SECONDS,
) -> Any:
    """Contours of f(x, y) with arrows of its gradient (JAX's), for a function of two variables.

    Parameters
    ----------
    f : callable or str
        A function of two variables f(x, y, ...), or a cell's text defining one.
    x_domain, y_domain : tuple of float
        The ranges of the first and the second variable.
    params : mapping, optional
        Values of f's other arguments.
    func : str, optional
        Which function of a cell's text to use.
    points : int, optional
        Grid points along each axis for the contours.
    arrows : int, optional
        Arrows along each axis.
    mark : tuple of float, optional
        A point to mark in red.
    method_time_limit : float, optional
        Seconds JAX may take for f's values and gradients on the grid, whatever f does.

    Returns
    -------
    matplotlib.figure.Figure
        The contour plot with the gradient's arrows.

    Raises
    ------
    DiffMagicError
        When f is not a function of two variables, JAX cannot run it, or it takes longer
        than `method_time_limit` (one line).

    Examples
    --------
    >>> from diffmagic import gradient_field
    >>> figure = gradient_field("x**2 + y**2", (-1, 1), (-1, 1), points=10, arrows=5)
    >>> figure.axes[0].get_xlabel()
    'x'
    """
    seconds = bounds.check_seconds(method_time_limit, "method_time_limit")
    function, _ = resolve_function(f, func, seconds=seconds)
    names = list(inspect.signature(function).parameters)
    if len(names) < 2:
        raise DiffMagicError("a gradient field needs a function of two variables, f(x, y)")
    first, second = names[:2]
    # Checks the other parameters have values, with the first two as the variables.
    target = make_target(function, wrt=first, params={second: 0.0, **(params or {})})
    fixed = {k: v for k, v in target.fixed.items() if k != second}
    xs = np.linspace(*x_domain, points)
    ys = np.linspace(*y_domain, points)
    grid_x, grid_y = np.meshgrid(xs, ys)
    ax_, ay_ = np.meshgrid(np.linspace(*x_domain, arrows), np.linspace(*y_domain, arrows))
    (values, gx, gy), notes = guarded_entry(
        lambda: _values_and_gradient(
            target.function, (first, second), fixed, (grid_x, grid_y), (ax_, ay_)
        ),
        seconds=seconds,
        fix="raise method_time_limit to wait longer",
        name=target.name,
        what="JAX's gradient field",
    )
    return _figure(
        (grid_x, grid_y, values), (ax_, ay_, gx, gy), (first, second), target.name, mark, notes
    )


def _figure(
    contour: tuple[np.ndarray, np.ndarray, np.ndarray],
    arrows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    variables: tuple[str, str],
    name: str,
    mark: tuple[float, float] | None,
    notes: list[str],
) -> Any:
    """The contours of f with the gradient's arrows, the point marked, and the notes (calls
    still running, lines f printed) in small print."""
    from diffmagic.views.shown_figure import ShownFigure

    first, second = variables
    around = "" if mark is None else f" around ({mark[0]:g}, {mark[1]:g})"
    figure = ShownFigure(
        figsize=(6.5, 5.5),
        alt=f"contours of {name}({first}, {second}){around} with arrows of its gradient",
    )
    axes = figure.subplots()
    contours = axes.contourf(*contour, levels=20, cmap="viridis")
    figure.colorbar(contours, ax=axes, label=f"{name}({first}, {second})")
    axes.quiver(*arrows, color="white")
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
    if notes:
        figure.text(0.01, 0.005, one_line("; ".join(notes), 160), fontsize=7, color="gray")
    return figure


def _values_and_gradient(
    function: Any,
    variables: tuple[str, str],
    fixed: Mapping[str, Any],
    grid: tuple[np.ndarray, np.ndarray],
    arrows: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(f on the grid, the gradient's x and y parts at the arrows), by JAX in float64: the
    work that calls f, run under the one guard by `gradient_field`."""
    from diffmagic.inputs.rebind import rebind
    from diffmagic.methods.jax_engine import float64, jax_module

    jax = jax_module()
    under_jax = rebind(function, "jax")
    first, second = variables

    def of_two(a: Any, b: Any) -> Any:
        return under_jax(**{first: a, second: b}, **fixed)

    grid_x, grid_y = grid
    ax_, ay_ = arrows
    with float64():
        values = np.asarray(jax.vmap(of_two)(grid_x.ravel(), grid_y.ravel())).reshape(grid_x.shape)
        gradient = jax.vmap(jax.grad(of_two, argnums=(0, 1)))(ax_.ravel(), ay_.ravel())
        gx, gy = (np.asarray(g).reshape(ax_.shape) for g in gradient)
    return values, gx, gy
