"""The computational graph of f at one point: what automatic differentiation does, step by step.

`diffmagic.graph(f, at=1.0, mode="reverse")` traces f with JAX (in float64), evaluates each step
at x0, and pushes tangents forward (mode="forward") or pulls adjoints back (mode="reverse")
through each step's own JAX derivative rule. The result shows as an SVG picture in a notebook
and as an indented listing in a terminal. `expression_tree(f)` draws SymPy's side: the trees of
f and f' and the subexpressions they share.

Here: the graph as a result (its nodes, value, derivative and the check of that derivative),
and how it shows itself; `api.graph.graph` is the front door, `analysis.graph_trace` the numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from diffmagic.analysis.graph_limits import trace_within
from diffmagic.analysis.graph_point import caveats, checked_point
from diffmagic.analysis.graph_trace import MODES, Node, Program, forward, reverse
from diffmagic.analysis.verdicts import NO_DERIVATIVE, OK, UNCONFIRMED
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.target import Target
from diffmagic.limits import bounds

__all__ = ["MODES", "ComputationalGraph", "Node", "graph_of_comparison"]


def check_mode(mode: Any) -> str:
    if mode not in MODES:
        raise DiffMagicError(
            f"mode must be 'forward' or 'reverse', not {mode!r}: forward pushes tangents from x, "
            "reverse pulls adjoints back from f"
        )
    return mode


def check_point(at: Any) -> float:
    if isinstance(at, bool) or at is None:
        raise DiffMagicError(f"at must be a number such as at=1.0, not {at!r}")
    try:
        x0 = float(at)
    except (TypeError, ValueError):
        raise DiffMagicError(f"at must be one number such as at=1.0, not {at!r}") from None
    if not math.isfinite(x0):
        raise DiffMagicError(f"at must be a finite number, not {x0}")
    return x0


class ComputationalGraph:
    """f traced by JAX at x0: `.nodes` in evaluation order, `.value`, `.derivative`.

    `.derivative` is JAX's number; `.ok` says whether it is f'(x0): f' exists there (NumPy's
    f has no corner, jump or hole at x0) and SymPy's exact f'(x0) at 30 digits (or, without
    SymPy, central differences of NumPy's f) agrees. `.caveats` say why not.
    """

    def __init__(
        self,
        target: Target,
        x0: float,
        mode: str,
        program: Program,
        expressions: tuple[Any, Any] | None = None,
        ask_sympy: bool = True,
    ) -> None:
        self.target = target
        self.x0 = x0
        self.mode = mode
        self.nodes: list[Node] = program.nodes
        self.input_index = program.input_index
        self.output_index = program.output_index
        self.equations = program.equations
        runner = forward if mode == "forward" else reverse
        #: f'(x0) as JAX computes it: the output's tangent (forward) or the input's adjoint.
        self.derivative: float = runner(program, target.name)
        #: f(x0), the output node's value.
        self.value: float = float(program.nodes[program.output_index].value)
        #: What is known of f' at x0 besides JAX's number (see `analysis.graph_point`).
        self.check = checked_point(target, x0, self.derivative, expressions, ask_sympy)
        #: Why f'(x0) may not mean what it seems (a corner, a jump, a branch point, infinity).
        self.caveats: list[str] = caveats(program, self.check)
        if not math.isfinite(self.derivative) and not self.check.notes:
            self.caveats.append(f"the derivative at this x0 is {self.derivative}: f' is not finite")

    @property
    def ok(self) -> bool:
        """Whether `.derivative` is f'(x0): it exists, is finite and is confirmed."""
        return self.check.status == OK and math.isfinite(self.derivative) and not self.caveats

    def derivative_text(self, digits: int = 10) -> str:
        """f'(x0) as the graph shows it: JAX's number, or why there is none.

        Parameters
        ----------
        digits : int, optional
            Significant digits of the number.

        Returns
        -------
        str
            The number, or "does not exist: a corner (JAX gives 1)" and the like.

        Examples
        --------
        >>> import diffmagic
        >>> diffmagic.graph("exp(-2*x) + 3*sin(3*x)", at=1.0).derivative_text(6)
        '-9.1806'
        >>> diffmagic.graph("abs(x)", at=0.0).derivative_text()
        'does not exist: a corner (JAX gives 1)'
        """
        from diffmagic.analysis.graph_trace import format_number

        number = format_number(self.derivative, digits)
        if self.check.kind == "undefined":
            return f"no value (JAX gives {number})"
        if self.check.kind is not None:
            return f"does not exist: a {self.check.kind} (JAX gives {number})"
        return number

    @property
    def verdict(self) -> str:
        """One line: what confirms the derivative, or that nothing does."""
        status = self.check.status
        if self.ok:
            return f"{status}: agrees with {self.check.confirmed_by}"
        if status == OK:  # confirmed, but a caution holds (a corner among JAX's steps)
            return f"{UNCONFIRMED}: see the caution"
        if status == NO_DERIVATIVE:
            return f"{status}: {self.derivative_name} does not exist at this x0; see the caution"
        return f"{status}: see the caution"

    # ------------------------------------------------------------------ names
    @property
    def function_name(self) -> str:
        """f's name, as the listing and the picture use it."""
        return self.target.name

    @property
    def variable(self) -> str:
        """The variable differentiated with respect to."""
        return self.target.wrt

    @property
    def label(self) -> str:
        """`f(x)`, with the expression when f was given as one: `f(x) = exp(-2*x) + ...`."""
        from diffmagic.inputs.expression import looks_like_expression

        source = (self.target.source or "").strip()
        if source and "\n" not in source and looks_like_expression(source):
            return f"{self.target.label} = {source}"
        return self.target.label

    @property
    def derivative_name(self) -> str:
        """`df/dx`, with f's and the variable's own names."""
        return f"d{self.function_name}/d{self.variable}"

    @property
    def operations(self) -> int:
        """How many JAX equations the (inlined) program has."""
        return sum(1 for node in self.nodes if node.kind == "operation")

    # ------------------------------------------------------------------ display
    def text(self) -> str:
        """The graph as an indented listing (a str): each step's value and tangent or adjoint."""
        from diffmagic.views.graph_text import listing

        return listing(self)

    def svg(self, page: int | None = None) -> str:
        """The picture; big graphs fold repeated blocks or are paged (`page=2`), with a note.

        Parameters
        ----------
        page : int, optional
            Which page of a paged graph, from 1 (default: the first, which says how many).

        Returns
        -------
        str
            One SVG document.

        Raises
        ------
        DiffMagicError
            When `page` is not a whole number from 1.
        """
        from diffmagic.views.graph_svg import svg_text

        if page is not None and (
            isinstance(page, bool) or not isinstance(page, int | np.integer) or page < 1
        ):
            raise DiffMagicError(
                f"page must be a whole number from 1, such as page=2, not {page!r:.40}"
            )
        return svg_text(self, None if page is None else int(page))

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return (
            f"<ComputationalGraph of {self.label} at {self.variable}={self.x0:g}, {self.mode} "
            f"mode: {len(self.nodes)} nodes, value {self.value:.12g}, "
            f"derivative {self.derivative:.12g}>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())

    def _repr_html_(self) -> str:
        return _framed(self.svg())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """SVG, HTML and text from one drawing: IPython asks `_repr_html_` only for a type this
        bundle lacks, so the graph is drawn once per display."""
        svg = self.svg()
        return {"image/svg+xml": svg, "text/html": _framed(svg), "text/plain": self.text()}


def _framed(svg: str) -> str:
    """The SVG on its own white card, readable on a light or a dark notebook."""
    return (
        "<div class='diffmagic-graph' style='overflow:auto;max-width:100%;"
        "background:#ffffff;padding:4px;border-radius:4px'>" + svg + "</div>"
    )


def graph_of_comparison(comparison: Any, at: Any, mode: str = "reverse") -> ComputationalGraph:
    """`Comparison.graph(at, mode)`: the graph of the comparison's own function and parameters."""
    mode = check_mode(mode)
    x0 = check_point(at)
    seconds = getattr(comparison, "method_time_limit", None) or bounds.METHOD_SECONDS
    _, program = trace_within(
        comparison.target, x0, seconds, "raise method_time_limit to wait longer"
    )
    expressions = None
    if comparison.order == 1 and comparison.derivative_expr is not None:
        expressions = (comparison.function_expr, comparison.derivative_expr)
    # The comparison asked SymPy already: without its expressions, SymPy has none.
    return ComputationalGraph(
        comparison.target, x0, mode, program, expressions, ask_sympy=comparison.order != 1
    )
