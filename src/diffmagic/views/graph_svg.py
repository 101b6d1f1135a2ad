"""The graph as an SVG picture: boxes with each step's value and tangent or adjoint.

Theme-safe on purpose: the picture paints its own white background and uses dark text on light
boxes with explicit colours (no `currentColor`), so it reads the same in a dark JupyterLab theme,
VS Code and an exported HTML page. Plain SVG 1.1, no scripts, no external fonts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from diffmagic.analysis.graph_trace import Node, format_number
from diffmagic.errors import DiffMagicError
from diffmagic.views.graph_layout import Layout, layered_layout
from diffmagic.views.graph_view import View

if TYPE_CHECKING:
    from diffmagic.results.graph import ComputationalGraph

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
FONT_SIZE = 11.0
CHAR_WIDTH = 6.7  # average width of a character at FONT_SIZE (DejaVu Sans is wide)
LINE_HEIGHT = 14.0
PADDING = 7.0

BACKGROUND = "#ffffff"
TEXT = "#1a1a1a"
MUTED = "#455a64"
TANGENT = "#1b5e20"
ADJOINT = "#b71c1c"
EDGE = "#78909c"
STYLES = {
    "input": ("#e3f2fd", "#1565c0", ""),
    "operation": ("#f1f4f8", "#546e7a", ""),
    "output": ("#fff3e0", "#e65100", ""),
    "constant": ("#f5f5f5", "#9e9e9e", ""),
    "folded": ("#ede7f6", "#5e35b1", "5,3"),
    "stub": ("#ffffff", "#9e9e9e", "3,3"),
}


@dataclass
class _Line:
    text: str
    colour: str = TEXT
    bold: bool = False
    small: bool = False


@dataclass
class _Box:
    kind: str
    lines: list[_Line]

    @property
    def size(self) -> tuple[float, float]:
        widest = max(
            len(line.text) * CHAR_WIDTH * (0.85 if line.small else 1.0) * (1.08 if line.bold else 1)
            for line in self.lines
        )
        return widest + 2 * PADDING, len(self.lines) * LINE_HEIGHT + 2 * PADDING - 2


def _flow_line(node: Node, mode: str, graph: ComputationalGraph) -> _Line:
    if mode == "forward":
        seed = node.kind == "input"
        text = f"tangent {format_number(node.tangent, 5)}"
        if seed:
            text += " (seed dx/dx)"
        elif node.kind == "output":
            text += f" = {graph.derivative_name}"
        return _Line(text, TANGENT, bold=node.kind == "output")
    text = f"adjoint {format_number(node.adjoint, 5)}"
    if node.kind == "output":
        text += " (seed df/df)"
    elif node.kind == "input":
        text += f" = {graph.derivative_name}"
    return _Line(text, ADJOINT, bold=node.kind == "input")


def _box(node: Node, graph: ComputationalGraph) -> _Box:
    if node.kind == "constant":
        return _Box("constant", [_Line(format_number(node.value, 5), MUTED)])
    if node.kind == "input":
        title = f"{node.op} = {format_number(node.value, 8)}"
    elif node.kind == "output":
        title = f"{graph.function_name}({graph.variable}) = {format_number(node.value, 8)}"
    else:
        title = f"#{node.index} {node.label}"
    lines = [_Line(title, bold=True)]
    if node.kind == "operation":
        lines.append(_Line(f"value {format_number(node.value, 5)}"))
    lines.append(_flow_line(node, graph.mode, graph))
    if node.group:
        lines.append(_Line(f"in {node.group}", MUTED, small=True))
    return _Box(node.kind, lines)


def _path(points: list[tuple[float, float]]) -> str:
    (x, y), rest = points[0], points[1:]
    parts = [f"M{x:.1f},{y:.1f}"]
    for nx, ny in rest:
        middle = (y + ny) / 2
        parts.append(f"C{x:.1f},{middle:.1f} {nx:.1f},{middle:.1f} {nx:.1f},{ny:.1f}")
        x, y = nx, ny
    return " ".join(parts)


def _text(x: float, y: float, line: _Line, anchor: str = "middle") -> str:
    size = FONT_SIZE * (0.85 if line.small else 1.0)
    weight = " font-weight='bold'" if line.bold else ""
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' font-size='{size:.1f}' "
        f"fill='{line.colour}'{weight}>{escape(line.text)}</text>"
    )


def render(graph: ComputationalGraph, view: View) -> str:
    """The SVG document for the nodes the view shows."""
    boxes = _boxes(graph, view)
    order = _drawing_order(view, graph.nodes)
    sizes = {key: boxes[key].size for key in order}
    edges = [(source, target) for source, target, _ in view.edges]
    layout = layered_layout(sizes, edges, pinned={graph.input_index})

    header = _header(graph, view)
    header_height = len(header) * (LINE_HEIGHT + 2) + 12
    width = max(layout.width, max(len(line.text) for line in header) * CHAR_WIDTH + 32, 320.0)
    height = layout.height + header_height
    shift_x = (width - layout.width) / 2

    out, uid = _document_start(graph, view, width, height)
    y = 18.0
    for line in header:
        out.append(_text(12, y, line, anchor="start"))
        y += LINE_HEIGHT + 2
    out.append(f"<g transform='translate({shift_x:.1f},{header_height:.1f})'>")
    paths, labels = _edges(graph, view, layout, arrow=f"url(#dm-arrow-{uid})")
    out.extend(paths)
    for key in order:
        out.extend(_drawn_box(key, boxes[key], layout.centres[key], graph))
    out.extend(labels)  # last, so that no box hides them
    out.append("</g></svg>")
    return "\n".join(out)


def _boxes(graph: ComputationalGraph, view: View) -> dict[Hashable, _Box]:
    """The box of each node shown, of each folded block and of each stub, by layout key."""
    boxes: dict[Hashable, _Box] = {}
    for index in view.shown:
        boxes[index] = _box(graph.nodes[index], graph)
    for fold in view.folded:
        boxes[fold.key] = _Box(
            "folded",
            [
                _Line(f"⋯ {fold.repeats} more repeats of", bold=True),
                _Line(" → ".join(fold.block)),
                _Line(f"({len(fold.members)} operations folded)", MUTED, small=True),
            ],
        )
    for index in view.stubs:
        boxes[("stub", index)] = _Box("stub", [_Line(f"#{index} (earlier page)", MUTED)])
    return boxes


def _document_start(
    graph: ComputationalGraph, view: View, width: float, height: float
) -> tuple[list[str], str]:
    """The <svg> element's opening, title, description, arrow marker and background, and the
    picture's own id suffix."""
    title = f"computational graph of {graph.label}, {graph.mode} mode"
    description = (
        f"{len(graph.nodes)} nodes, {graph.operations} JAX operations; "
        f"{graph.function_name}({graph.variable}={format_number(graph.x0, 8)}) = "
        f"{format_number(graph.value, 10)}, {graph.derivative_name} = "
        f"{format_number(graph.derivative, 10)}"
    )
    # Ids of its own per picture: a notebook shows several, and ids are page-wide.
    uid = hashlib.sha1(f"{title}|{description}|{view.page}".encode()).hexdigest()[:10]
    return [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' "
        f"viewBox='0 0 {width:.0f} {height:.0f}' role='img' "
        f"aria-labelledby='dm-title-{uid} dm-desc-{uid}' "
        f"font-family='{FONT}' style='max-width:100%;height:auto;background:{BACKGROUND}'>",
        f"<title id='dm-title-{uid}'>{escape(title)}</title>",
        f"<desc id='dm-desc-{uid}'>{escape(description)}</desc>",
        f"<defs><marker id='dm-arrow-{uid}' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' "
        f"markerHeight='7' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
        f"fill='{EDGE}'/></marker></defs>",
        f"<rect x='0' y='0' width='{width:.0f}' height='{height:.0f}' fill='{BACKGROUND}'/>",
    ], uid


def _edges(
    graph: ComputationalGraph, view: View, layout: Layout, arrow: str
) -> tuple[list[str], list[str]]:
    """The edges' paths and, in reverse mode, the local partial derivative on each edge."""
    nodes = graph.nodes
    paths: list[str] = []
    labels: list[str] = []
    for source, target, slots in view.edges:
        points = layout.routes.get((source, target))
        if not points:
            continue
        paths.append(
            f"<path d='{_path(points)}' fill='none' stroke='{EDGE}' stroke-width='1.3' "
            f"marker-end='{arrow}'/>"
        )
        if (
            graph.mode == "reverse"
            and slots
            and not isinstance(target, tuple)
            and nodes[target].kind == "operation"
            and not isinstance(source, tuple)
            and nodes[source].kind != "constant"  # d f/d constant is not part of df/dx
        ):
            partials = [nodes[target].local_derivatives[slot] for slot in slots]
            if all(p is not None for p in partials):
                text = "∂ " + " + ".join(format_number(p, 4) for p in partials)
                labels.append(_edge_label(points, text))
    return paths, labels


def _drawn_box(
    key: Hashable, box: _Box, centre: tuple[float, float], graph: ComputationalGraph
) -> list[str]:
    """One box centred at `centre`: its tooltip, its rectangle and its lines of text."""
    cx, cy = centre
    w, h = box.size
    fill, stroke, dash = STYLES[box.kind]
    radius = h / 2 if box.kind == "constant" else 5
    dashes = f" stroke-dasharray='{dash}'" if dash else ""
    node_title = _node_title(key, graph.nodes, graph)
    out = [
        f"<g><title>{escape(node_title)}</title>",
        f"<rect x='{cx - w / 2:.1f}' y='{cy - h / 2:.1f}' width='{w:.1f}' height='{h:.1f}' "
        f"rx='{radius:.1f}' fill='{fill}' stroke='{stroke}' stroke-width='1.2'{dashes}/>",
    ]
    first = cy - h / 2 + PADDING + FONT_SIZE - 1
    for i, line in enumerate(box.lines):
        out.append(_text(cx, first + i * LINE_HEIGHT, line))
    out.append("</g>")
    return out


def _drawing_order(view: View, nodes: list[Node]) -> list[Hashable]:
    """Boxes in evaluation order, each folded box where its first member was, stubs first."""
    keys: list[Hashable] = [("stub", index) for index in view.stubs]
    first_member = {fold.members[0]: fold.key for fold in view.folded if fold.members}
    shown = set(view.shown)
    for node in nodes:
        if node.index in first_member:
            keys.append(first_member[node.index])
        if node.index in shown:
            keys.append(node.index)
    return keys


def _edge_label(points: list[tuple[float, float]], text: str) -> str:
    (x1, y1), (x2, y2) = points[-2], points[-1]
    x, y = x1 + 0.5 * (x2 - x1), y1 + 0.5 * (y2 - y1)
    width = len(text) * CHAR_WIDTH * 0.85 + 6
    return (
        f"<rect x='{x - width / 2:.1f}' y='{y - 8:.1f}' width='{width:.1f}' height='12' rx='3' "
        f"fill='{BACKGROUND}' fill-opacity='0.9'/>"
        + _text(x, y + 1.5, _Line(text, ADJOINT, small=True))
    )


def _node_title(key: Hashable, nodes: list[Node], graph: ComputationalGraph) -> str:
    """The tooltip: the full numbers the box rounds."""
    if isinstance(key, tuple):
        return "folded repeats" if key[0] == "folded" else f"node #{key[1]}, drawn on its page"
    node = nodes[key]
    flow = node.tangent if graph.mode == "forward" else node.adjoint
    name = "tangent" if graph.mode == "forward" else "adjoint"
    reads = ", ".join(f"#{i}" for i in node.inputs)
    return (
        f"#{node.index} {node.kind} {node.label}"
        + (f" reads {reads}" if reads else "")
        + f": value {format_number(node.value, 17)}, {name} {format_number(flow, 17)}"
    )


def _header(graph: ComputationalGraph, view: View) -> list[_Line]:
    if graph.mode == "forward":
        how = (
            "forward mode: each box's tangent is d(value)/dx, pushed down from the seed 1 at "
            f"{graph.variable}; one pass per input"
        )
    else:
        how = (
            "reverse mode: each box's adjoint is df/d(value), pulled back up from the seed 1 at "
            "f; adjoint(reader's input) += adjoint(reader) × ∂ on the edge; one pass for all inputs"
        )
    lines = [
        _Line(
            f"{graph.label} at {graph.variable} = {format_number(graph.x0, 8)}: "
            f"{graph.operations} JAX operations, {graph.derivative_name} = "
            f"{graph.derivative_text(10)}",
            bold=True,
        ),
        _Line(f"{graph.derivative_name}: {graph.verdict}", MUTED),
        _Line(how, MUTED),
    ]
    lines.extend(_Line("caution: " + note, "#b00020", bold=True) for note in graph.caveats)
    lines.extend(_Line("note: " + note, "#6d4c00") for note in view.notes)
    return lines


def svg_text(graph: Any, page: int | None = None) -> str:
    from diffmagic.views.graph_view import build_view

    view = build_view(graph.nodes, page)
    if page is not None and page > view.pages:
        pages = "1 page" if view.pages == 1 else f"{view.pages} pages"
        raise DiffMagicError(f"the graph has {pages}: page={page} is past its end")
    return render(graph, view)
