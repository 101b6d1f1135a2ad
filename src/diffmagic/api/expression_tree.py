"""SymPy's side: the expression trees of f and of f', with the subexpressions `cse` shares.

The symbolic method traces f into one expression tree and `diff` builds f' as another. For a
composed function the derivative's tree repeats whole subtrees (the chain rule copies the inner
function into every factor): the lab's *expression swell*. `sympy.cse` finds those repeats; here
each shared subexpression gets a colour and a name (s0, s1, ...), its subtree is drawn once and
every later occurrence is a coloured leaf, so the repeats are visible. Trees too big to draw are
cut at a depth, with the number of nodes below each cut, and a note says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.target import make_target
from diffmagic.limits import bounds
from diffmagic.limits.explain import MethodFailure
from diffmagic.limits.guard import guarded_entry

MAX_DRAWN_PER_TREE = 60  # boxes per tree on the picture
MAX_TEXT_LINES = 200  # lines per tree in the text listing
PALETTE = ("#ffe0b2", "#c8e6c9", "#bbdefb", "#f8bbd0", "#d1c4e9", "#b2ebf2", "#fff59d", "#d7ccc8")

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
CHAR_WIDTH = 6.7
BOX_HEIGHT = 20.0
LEVEL_GAP = 42.0
SLOT_GAP = 8.0
TEXT = "#1a1a1a"
MUTED = "#455a64"
BACKGROUND = "#ffffff"


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


@dataclass
class _Drawn:
    """One box of a drawn tree."""

    label: str
    shared: str | None = None  # s0, s1, ... when cse shares this subexpression
    again: bool = False  # a later occurrence of a shared subexpression, drawn as a leaf
    hidden: int = 0  # nodes below a cut
    children: list[_Drawn] = field(default_factory=list)


def _build(expression: Any, names: Mapping[Any, str], seen: set[Any]) -> _Drawn:
    name = names.get(expression)
    if name is not None and expression in seen:
        return _Drawn(
            _label(expression), shared=name, again=True, hidden=node_count(expression) - 1
        )
    if name is not None:
        seen.add(expression)
    return _Drawn(
        _label(expression),
        shared=name,
        children=[_build(arg, names, seen) for arg in expression.args],
    )


def _count(tree: _Drawn) -> int:
    return 1 + sum(_count(child) for child in tree.children)


def _cut(tree: _Drawn, depth: int) -> None:
    """Replace everything below `depth` by a count, in place."""
    if depth == 0 and tree.children:
        tree.hidden += sum(_count(child) for child in tree.children)
        tree.children = []
        return
    for child in tree.children:
        _cut(child, depth - 1)


def _nodes_to_depth(tree: _Drawn, depth: int) -> int:
    if depth == 0:
        return 1
    return 1 + sum(_nodes_to_depth(child, depth - 1) for child in tree.children)


def _fit(tree: _Drawn) -> int | None:
    """Cut the tree at the deepest level that keeps it within the budget; the depth, or None."""
    if _count(tree) <= MAX_DRAWN_PER_TREE:
        return None
    depth = 1
    while _nodes_to_depth(tree, depth + 1) <= MAX_DRAWN_PER_TREE:
        depth += 1
    _cut(tree, depth)
    return depth


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
        return self.target.label

    @property
    def derivative_name(self) -> str:
        return f"{self.target.name}'"

    def _names(self) -> dict[Any, str]:
        return {expression: name for name, expression in self.marked}

    # ------------------------------------------------------------------ text
    def text(self) -> str:
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
            drawn = _count(tree)
            depth = _fit(tree)
            heading = f"{title}: {count} nodes"
            if drawn < count:
                heading += f"; shared subtrees drawn once ({drawn} boxes)"
            if depth is not None:
                notes.append(
                    f"{title} is cut below depth {depth} to stay readable; "
                    "'…+N' counts the nodes below a cut"
                )
            panels.append((heading, _tree_layout(tree)))
        header = [
            f"SymPy's expression trees of {self.label}",
            f"cse shares {len(self.shared)} subexpressions ({len(self.marked)} whole subtrees, "
            "coloured and named; a coloured leaf is a repeat): "
            f"f' takes {self.derivative_operations} operations written out, "
            f"{self.shared_operations} with sharing",
            *(f"note: {note}" for note in notes),
        ]
        return _svg(header, panels, colours, self.label)

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


@dataclass
class _Placed:
    node: _Drawn
    x: float
    y: float
    width: float
    parent: _Placed | None


def _box_text(node: _Drawn) -> str:
    if node.again:
        return f"{node.shared} again ({node.hidden + 1} nodes)"
    text = f"{node.shared}: {node.label}" if node.shared else node.label
    if node.hidden:
        text += f" …+{node.hidden}"
    return text


def _tree_layout(tree: _Drawn) -> tuple[list[_Placed], float, float]:
    """Leaves left to right, each parent centred over its children; (boxes, width, height)."""
    placed: list[_Placed] = []
    cursor = [0.0]
    deepest = [0]

    def place(node: _Drawn, depth: int, parent: _Placed | None) -> _Placed:
        width = len(_box_text(node)) * CHAR_WIDTH + 12
        box = _Placed(node, 0.0, depth * (BOX_HEIGHT + LEVEL_GAP), width, parent)
        placed.append(box)
        deepest[0] = max(deepest[0], depth)
        if not node.children:
            box.x = cursor[0] + width / 2
            cursor[0] += width + SLOT_GAP
            return box
        children = [place(child, depth + 1, box) for child in node.children]
        box.x = (children[0].x + children[-1].x) / 2
        # A wide parent over narrow children must not overlap the next subtree.
        cursor[0] = max(cursor[0], box.x + width / 2 + SLOT_GAP)
        return box

    place(tree, 0, None)
    return placed, cursor[0], (deepest[0] + 1) * (BOX_HEIGHT + LEVEL_GAP) - LEVEL_GAP


def _svg(
    header: list[str],
    panels: list[tuple[str, tuple[list[_Placed], float, float]]],
    colours: Mapping[str, str],
    label: str,
) -> str:
    line = 16.0
    top = 14 + line * len(header) + 10
    gap = 40.0
    width = 16.0 + sum(max(w, len(h) * CHAR_WIDTH) + gap for h, (_, w, _) in panels)
    width = max(width, max(len(h) for h in header) * CHAR_WIDTH + 24)
    height = top + 24 + max(h for _, (_, _, h) in panels) + 16
    title = f"expression trees of {label} and its derivative"
    uid = hashlib.sha1("|".join([title, *header]).encode()).hexdigest()[:10]
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' "
        f"viewBox='0 0 {width:.0f} {height:.0f}' role='img' aria-labelledby='dm-tree-{uid}' "
        f"font-family='{FONT}' style='max-width:100%;height:auto;background:{BACKGROUND}'>",
        f"<title id='dm-tree-{uid}'>{escape(title)}</title>",
        f"<rect x='0' y='0' width='{width:.0f}' height='{height:.0f}' fill='{BACKGROUND}'/>",
    ]
    for i, text in enumerate(header):
        weight = " font-weight='bold'" if i == 0 else ""
        colour = "#6d4c00" if text.startswith("note:") else (TEXT if i == 0 else MUTED)
        out.append(
            f"<text x='12' y='{20 + i * line:.1f}' font-size='11' fill='{colour}'{weight}>"
            f"{escape(text)}</text>"
        )
    left = 16.0
    for heading, (boxes, tree_width, _) in panels:
        out.append(
            f"<text x='{left:.1f}' y='{top:.1f}' font-size='12' font-weight='bold' "
            f"fill='{TEXT}'>{escape(heading)}</text>"
        )
        offset_y = top + 18
        for box in boxes:
            if box.parent is not None:
                parent_bottom = offset_y + box.parent.y + BOX_HEIGHT
                out.append(
                    f"<line x1='{left + box.parent.x:.1f}' y1='{parent_bottom:.1f}' "
                    f"x2='{left + box.x:.1f}' y2='{offset_y + box.y:.1f}' stroke='#90a4ae' "
                    "stroke-width='1'/>"
                )
        for box in boxes:
            node = box.node
            fill = colours.get(node.shared or "", "#f1f4f8")
            stroke = "#5d4037" if node.shared else "#78909c"
            dash = " stroke-dasharray='4,2'" if node.again or node.hidden else ""
            x, y = left + box.x - box.width / 2, offset_y + box.y
            out.append(
                f"<rect x='{x:.1f}' y='{y:.1f}' width='{box.width:.1f}' height='{BOX_HEIGHT}' "
                f"rx='9' fill='{fill}' stroke='{stroke}' stroke-width='1'{dash}/>"
                f"<text x='{left + box.x:.1f}' y='{y + 14:.1f}' font-size='11' "
                f"text-anchor='middle' fill='{TEXT}'>{escape(_box_text(node))}</text>"
            )
        left += max(tree_width, len(heading) * CHAR_WIDTH) + gap
    out.append("</svg>")
    return "\n".join(out)


def expression_tree(
    f: Any,
    *,
    func: str | None = None,
    wrt: str | None = None,
    params: Mapping[str, Any] | None = None,
    time_limit: float = bounds.SYMBOLIC_SECONDS,
) -> ExpressionTree:
    """The trees of f and f' (as SymPy's `diff` returns it), side by side, sharing marked.

    SymPy's trace, derivative and common subexpressions stop after `time_limit` seconds (the
    one guard: whatever f or SymPy does), with a one-line DiffMagicError.
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
