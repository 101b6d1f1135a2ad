"""How SymPy's expression trees are drawn: boxes placed level by level, as one SVG picture.

Drawing only: `api.expression_tree` builds the trees (`Drawn`, one box per node, shared
subexpressions named by `sympy.cse`); here they are cut to fit, placed and drawn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

MAX_DRAWN_PER_TREE = 60  # boxes per tree on the picture
PALETTE = ("#ffe0b2", "#c8e6c9", "#bbdefb", "#f8bbd0", "#d1c4e9", "#b2ebf2", "#fff59d", "#d7ccc8")

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
CHAR_WIDTH = 6.7
BOX_HEIGHT = 20.0
LEVEL_GAP = 42.0
SLOT_GAP = 8.0
TEXT = "#1a1a1a"
MUTED = "#455a64"
BACKGROUND = "#ffffff"


@dataclass
class Drawn:
    """One box of a drawn tree."""

    label: str
    shared: str | None = None  # s0, s1, ... when cse shares this subexpression
    again: bool = False  # a later occurrence of a shared subexpression, drawn as a leaf
    hidden: int = 0  # nodes below a cut
    children: list[Drawn] = field(default_factory=list)


def count_boxes(tree: Drawn) -> int:
    """Boxes in the tree as it will be drawn (a repeat counts as one)."""
    return 1 + sum(count_boxes(child) for child in tree.children)


def _cut(tree: Drawn, depth: int) -> None:
    """Replace everything below `depth` by a count, in place."""
    if depth == 0 and tree.children:
        tree.hidden += sum(count_boxes(child) for child in tree.children)
        tree.children = []
        return
    for child in tree.children:
        _cut(child, depth - 1)


def _nodes_to_depth(tree: Drawn, depth: int) -> int:
    if depth == 0:
        return 1
    return 1 + sum(_nodes_to_depth(child, depth - 1) for child in tree.children)


def fit(tree: Drawn) -> int | None:
    """Cut the tree at the deepest level that keeps it within the budget; the depth, or None."""
    if count_boxes(tree) <= MAX_DRAWN_PER_TREE:
        return None
    depth = 1
    while _nodes_to_depth(tree, depth + 1) <= MAX_DRAWN_PER_TREE:
        depth += 1
    _cut(tree, depth)
    return depth


@dataclass
class _Placed:
    node: Drawn
    x: float
    y: float
    width: float
    parent: _Placed | None


def _box_text(node: Drawn) -> str:
    if node.again:
        return f"{node.shared} again ({node.hidden + 1} nodes)"
    text = f"{node.shared}: {node.label}" if node.shared else node.label
    if node.hidden:
        text += f" …+{node.hidden}"
    return text


def tree_layout(tree: Drawn) -> tuple[list[_Placed], float, float]:
    """Leaves left to right, each parent centred over its children; (boxes, width, height)."""
    placed: list[_Placed] = []
    cursor = [0.0]
    deepest = [0]

    def place(node: Drawn, depth: int, parent: _Placed | None) -> _Placed:
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


def trees_svg(
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
