"""SymPy's side: the expression trees of f and of f', with the subexpressions `cse` shares.

The symbolic method traces f into one expression tree and `diff` builds f' as another. For a
composed function the derivative's tree repeats whole subtrees (the chain rule copies the inner
function into every factor): the lab's *expression swell*. `sympy.cse` finds those repeats; here
each shared subexpression gets a colour and a name (s0, s1, ...), its subtree is drawn once and
every later occurrence is a coloured leaf, so the repeats are visible. Trees too big to draw are
cut at a depth, with the number of nodes below each cut, and a note says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.target import make_target
from diffmagic.limits import bounds
from diffmagic.limits.explain import MethodFailure
from diffmagic.limits.guard import guarded_entry
from diffmagic.views.expression_tree_svg import (
    PALETTE,
    Drawn,
    count_boxes,
    fit,
    tree_layout,
    trees_svg,
)

MAX_TEXT_LINES = 200  # lines per tree in the text listing


def node_count(expression: Any) -> int:
    """Nodes of the expression tree: every operation, function, symbol and number."""
    import sympy as sp

    return sum(1 for _ in sp.preorder_traversal(expression))


def _label(expression: Any) -> str:
    import sympy as sp

    if expression.is_Symbol:
        return str(expression)
    if expression.is_Number:
        text = str(expression)
        return text if len(text) <= 10 else f"{float(expression):.4g}"
    if isinstance(expression, sp.Add):
        return "+"
    if isinstance(expression, sp.Mul):
        return "×"
    if isinstance(expression, sp.Pow):
        return "^"
    name = getattr(expression.func, "__name__", str(expression.func))
    return name if len(name) <= 12 else name[:11] + "…"


def _build(expression: Any, names: Mapping[Any, str], seen: set[Any]) -> Drawn:
    name = names.get(expression)
    if name is not None and expression in seen:
        return Drawn(_label(expression), shared=name, again=True, hidden=node_count(expression) - 1)
    if name is not None:
        seen.add(expression)
    return Drawn(
        _label(expression),
        shared=name,
        children=[_build(arg, names, seen) for arg in expression.args],
    )


class ExpressionTree:
    """f and f' as SymPy trees: `.f_nodes`, `.derivative_nodes`, `.shared` (cse's names)."""

    def __init__(self, target: Any, symbol: Any, function_expr: Any, derivative: Any) -> None:
        import sympy as sp

        self.target = target
        self.symbol = symbol
        self.expr = function_expr
        self.derivative = derivative
        self.f_nodes = node_count(function_expr)
        self.derivative_nodes = node_count(derivative)
        replacements, reduced = sp.cse(
            [function_expr, derivative], symbols=sp.numbered_symbols("s")
        )
        full: dict[Any, Any] = {}
        #: [(name, subexpression)] in cse's order, each written out in full (no s0 inside).
        self.shared: list[tuple[str, Any]] = []
        for name, subexpression in replacements:
            written_out = subexpression.xreplace(full)
            full[name] = written_out
            self.shared.append((str(name), written_out))
        subtrees = {sub for e in (function_expr, derivative) for sub in sp.preorder_traversal(e)}
        #: The shared subexpressions that are whole subtrees, so the picture can colour them
        #: (cse also shares part of a product or sum, such as two of a Mul's three factors).
        self.marked: list[tuple[str, Any]] = [(n, e) for n, e in self.shared if e in subtrees]
        #: SymPy's operation count of f' as diff returns it, and with cse's sharing.
        self.derivative_operations = int(sp.count_ops(derivative))
        self.shared_operations = int(
            sp.count_ops(reduced[1]) + sum(sp.count_ops(e) for _, e in replacements)
        )

    @property
    def label(self) -> str:
        """f as the listing names it: `f(x)`."""
        return self.target.label

    @property
    def derivative_name(self) -> str:
        """f's derivative as the listing names it: `f'`."""
        return f"{self.target.name}'"

    def _names(self) -> dict[Any, str]:
        return {expression: name for name, expression in self.marked}

    # ------------------------------------------------------------------ text
    def text(self) -> str:
        """Both trees as indented listings, shared subexpressions named (`[s0]`): a str."""
        lines = [
            f"expression trees of {self.label}: f has {self.f_nodes} nodes, "
            f"{self.derivative_name} (sp.diff, not simplified) {self.derivative_nodes}",
            f"  cse shares {len(self.shared)} subexpressions: f' takes "
            f"{self.derivative_operations} operations written out, {self.shared_operations} "
            "with sharing",
        ]
        lines += [f"  {name} = {expression}" for name, expression in self.shared[:12]]
        if len(self.shared) > 12:
            lines.append(f"  ... {len(self.shared) - 12} more")
        names = self._names()
        for title, expression in (("f", self.expr), (self.derivative_name, self.derivative)):
            lines.append(f"{title} = {expression}")
            body: list[str] = []
            _indented(expression, names, 1, body)
            if len(body) > MAX_TEXT_LINES:
                left = len(body) - MAX_TEXT_LINES
                body = [*body[:MAX_TEXT_LINES], f"  ... {left} more lines"]
            lines += body
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return (
            f"<ExpressionTree of {self.label}: f {self.f_nodes} nodes, "
            f"{self.derivative_name} {self.derivative_nodes} nodes, {len(self.shared)} shared>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())

    # ------------------------------------------------------------------ picture
    def svg(self) -> str:
        """Both trees side by side as one SVG document (a str), shared subtrees coloured."""
        names = self._names()
        colours = {name: PALETTE[i % len(PALETTE)] for i, (name, _) in enumerate(self.marked)}
        panels = []
        notes = []
        for title, expression, count in (
            ("f", self.expr, self.f_nodes),
            (
                f"{self.derivative_name} (sp.diff, not simplified)",
                self.derivative,
                self.derivative_nodes,
            ),
        ):
            tree = _build(expression, names, set())
            drawn = count_boxes(tree)
            depth = fit(tree)
            heading = f"{title}: {count} nodes"
            if drawn < count:
                heading += f"; shared subtrees drawn once ({drawn} boxes)"
            if depth is not None:
                notes.append(
                    f"{title} is cut below depth {depth} to stay readable; "
                    "'…+N' counts the nodes below a cut"
                )
            panels.append((heading, tree_layout(tree)))
        header = [
            f"SymPy's expression trees of {self.label}",
            f"cse shares {len(self.shared)} subexpressions ({len(self.marked)} whole subtrees, "
            "coloured and named; a coloured leaf is a repeat): "
            f"f' takes {self.derivative_operations} operations written out, "
            f"{self.shared_operations} with sharing",
            *(f"note: {note}" for note in notes),
        ]
        return trees_svg(header, panels, colours, self.label)

    def _repr_html_(self) -> str:
        return (
            "<div class='diffmagic-tree' style='overflow:auto;max-width:100%;"
            "background:#ffffff;padding:4px;border-radius:4px'>" + self.svg() + "</div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return {"image/svg+xml": self.svg(), "text/plain": self.text()}


def _indented(expression: Any, names: Mapping[Any, str], depth: int, out: list[str]) -> None:
    if len(out) > MAX_TEXT_LINES:
        return
    name = names.get(expression)
    mark = f"   [{name}]" if name else ""
    out.append("  " * depth + _label(expression) + mark)
    for arg in expression.args:
        _indented(arg, names, depth + 1, out)


def expression_tree(
    f: Any,
    *,
    func: str | None = None,
    wrt: str | None = None,
    params: Mapping[str, Any] | None = None,
    time_limit: float = bounds.SYMBOLIC_SECONDS,
) -> ExpressionTree:
    """The trees of f and f' (as SymPy's `diff` returns it), side by side, sharing marked.

    The chain rule copies inner functions into every factor of f' (expression swell);
    `sympy.cse` finds those repeats and the picture colours and names them.

    Parameters
    ----------
    f : callable or str
        What `compare()` takes: a function, a notebook cell's text, or an expression in x.
    func, wrt, params : str, str, mapping, optional
        As `compare()` takes them: which function of a cell, which variable, the other
        arguments' values.
    time_limit : float, optional
        SymPy's trace, derivative and common subexpressions stop after `time_limit` seconds
        (the one guard: whatever f or SymPy does).

    Returns
    -------
    ExpressionTree
        `.f_nodes`, `.derivative_nodes`, `.shared` (cse's names); an SVG picture in a notebook,
        an indented listing (`.text()`) in a terminal.

    Raises
    ------
    DiffMagicError
        In one line, when SymPy cannot trace or differentiate f or runs out of time.

    Examples
    --------
    >>> import diffmagic
    >>> tree = diffmagic.expression_tree("exp(sin(x**2))")
    >>> tree.f_nodes, tree.derivative_nodes, tree.shared
    (5, 12, [('s0', x**2), ('s1', exp(sin(x**2)))])
    >>> print(tree.text())
    expression trees of f(x): f has 5 nodes, f' (sp.diff, not simplified) 12
      cse shares 2 subexpressions: f' takes 8 operations written out, 7 with sharing
    ...
    """
    seconds = bounds.check_seconds(time_limit, "time_limit")
    target = make_target(f, func=func, wrt=wrt, params=params, seconds=seconds)
    tree, _ = guarded_entry(
        lambda: _derive_trees(target),
        seconds=seconds,
        fix="raise time_limit to wait longer (expression swell?)",
        name=target.name,
        what="SymPy",
    )
    return tree


def _derive_trees(target: Any) -> ExpressionTree:
    """f traced by SymPy, f' by `diff`, and the trees with what they share."""
    import sympy as sp

    from diffmagic.methods.symbolic import trace

    try:
        symbol, function_expr = trace(target)
    except MethodFailure as failure:
        raise DiffMagicError(f"SymPy cannot trace {target.name}: {failure}") from None
    derivative = sp.diff(function_expr, symbol)
    if derivative.has(sp.Derivative):
        raise DiffMagicError(f"SymPy left {target.name}' unevaluated: it cannot differentiate it")
    derivative = derivative.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
    return ExpressionTree(target, symbol, function_expr, derivative)
