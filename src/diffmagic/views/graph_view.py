"""What a picture of the graph shows: every node, or repeated structure collapsed, or one page.

A loop unrolled by tracing (the sum of 20 sines, a composed polynomial at depth 10) repeats the
same few steps. Over `MAX_DRAWN_NODES` boxes a picture stops being readable, so the longest run
of three or more identical blocks of steps keeps its first and last block and the blocks between
become one box that says how many were folded. If folding is not enough (or there is nothing
repeated), the picture is paged. Either way a note on the picture says what is not shown; the
nodes themselves (`graph.nodes`) and the text listing always hold everything.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from diffmagic.analysis.graph_trace import Node

MAX_DRAWN_NODES = 60  # boxes on one picture, constants included
PAGE_OPERATIONS = 30  # operations per page when folding is not enough
MAX_PERIOD = 40  # the longest repeated block looked for
MIN_FOLDED = 6  # fewer operations than this are not worth a folded box


@dataclass
class Folded:
    """Consecutive repeats of one block of steps, drawn as one box."""

    key: Hashable
    members: list[int]
    repeats: int
    block: list[str]


@dataclass
class View:
    """The boxes (node indices, folded blocks, stubs for nodes on other pages) and edges."""

    shown: list[int] = field(default_factory=list)
    folded: list[Folded] = field(default_factory=list)
    #: Nodes of earlier pages read on this one: drawn as small references.
    stubs: list[int] = field(default_factory=list)
    #: (source key, target key, [index of the input slot in the target, ...]).
    edges: list[tuple[Hashable, Hashable, list[int]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    page: int = 1
    pages: int = 1


def _signature(node: Node) -> tuple[str, str, int]:
    return (node.op, node.params, len(node.inputs))


def longest_repeat(signatures: Sequence[Hashable]) -> tuple[int, int, int] | None:
    """(start, period, repeats) of the longest run of >= 3 equal consecutive blocks, or None.

    A run of L positions with signatures[i] == signatures[i + period] is a stretch of
    L + period steps with that period: L // period + 1 whole blocks.
    """
    best: tuple[int, int, int] | None = None
    best_cover = 0
    n = len(signatures)
    for period in range(1, min(MAX_PERIOD, n // 3) + 1):
        i, last = 0, n - period
        while i < last:
            if signatures[i] != signatures[i + period]:
                i += 1
                continue
            j = i
            while j < last and signatures[j] == signatures[j + period]:
                j += 1
            repeats = (j - i) // period + 1
            if repeats >= 3 and repeats * period > best_cover:
                best, best_cover = (i, period, repeats), repeats * period
            i = j
    return best


def build_view(nodes: list[Node], page: int | None = None) -> View:
    """Choose what to draw; `page` (from 1) forces one page of the unfolded-as-needed graph."""
    operations = [node.index for node in nodes if node.kind == "operation"]
    readers = _readers(nodes)
    view = View()
    hidden = _fold_repeats(nodes, operations, readers, view)
    if not view.folded:
        _note_a_loop_drawn_as_it_ran(nodes, operations, view)
    page_of = _paginate(nodes, operations, readers, hidden, page, view)
    view.shown = _shown(nodes, readers, hidden, page_of, view)
    _connect(nodes, hidden, page_of, view)
    return view


def _drawn_count(
    nodes: list[Node],
    operations: list[int],
    readers: dict[int, list[int]],
    hidden: dict[int, Hashable],
    folded: int,
) -> int:
    """Boxes on the picture: visible operations, the constants they read, folded boxes, x, f."""
    visible_ops = [i for i in operations if i not in hidden]
    constants = [
        node.index
        for node in nodes
        if node.kind == "constant" and any(r not in hidden for r in readers[node.index])
    ]
    return len(visible_ops) + len(constants) + folded + 2


def _fold_repeats(
    nodes: list[Node],
    operations: list[int],
    readers: dict[int, list[int]],
    view: View,
) -> dict[int, Hashable]:
    """Fold the longest repeated run, again and again, until the picture is small enough or
    nothing worth folding is left; `view` gains the folded boxes and a note for each.
    Returns each hidden operation's index -> the folded box that holds it."""
    hidden: dict[int, Hashable] = {}
    while _drawn_count(nodes, operations, readers, hidden, len(view.folded)) > MAX_DRAWN_NODES:
        visible = [i for i in operations if i not in hidden]
        signatures: list[Hashable] = []
        for position, index in enumerate(visible):
            # A folded region in between must not look like part of a repeat.
            before = visible[position - 1] if position else None
            gap = before is not None and any(
                j in hidden for j in range(before + 1, index) if nodes[j].kind == "operation"
            )
            signatures.append(("gap", position) if gap else _signature(nodes[index]))
        found = longest_repeat(signatures)
        if found is None:
            break
        start, period, repeats = found
        members = visible[start + period : start + (repeats - 1) * period]
        if len(members) < MIN_FOLDED:
            break  # folding a handful of steps would not help: page instead
        key = ("folded", len(view.folded))
        block = [nodes[i].label for i in visible[start : start + period]]
        view.folded.append(Folded(key, members, repeats - 2, block))
        for i in members:
            hidden[i] = key
        view.notes.append(
            f"{repeats} repeats of {' → '.join(block)} (a loop unrolled by tracing): "
            f"repeats 2 to {repeats - 1} folded into one box ({len(members)} operations); "
            "graph.nodes and the text listing hold every step"
        )
    return hidden


def _note_a_loop_drawn_as_it_ran(nodes: list[Node], operations: list[int], view: View) -> None:
    """Say so when most of the program is one block repeated: a loop, unrolled."""
    found = longest_repeat([_signature(nodes[i]) for i in operations])
    if found is not None and found[1] > 1 and 2 * found[1] * found[2] >= len(operations):
        start, period, repeats = found
        block = [nodes[i].label for i in operations[start : start + period]]
        view.notes.append(
            f"{repeats} repeats of {' → '.join(block)}: a loop unrolled by tracing, drawn as it ran"
        )


def _paginate(
    nodes: list[Node],
    operations: list[int],
    readers: dict[int, list[int]],
    hidden: dict[int, Hashable],
    page: int | None,
    view: View,
) -> dict[int, int]:
    """Page the visible operations when asked to or when still too many; sets the view's page,
    page count and a note. Returns each visible operation's page (empty: not paged)."""
    visible_ops = [i for i in operations if i not in hidden]
    page_of: dict[int, int] = {}
    pages = 1
    too_many = _drawn_count(nodes, operations, readers, hidden, len(view.folded))
    if page is not None or too_many > MAX_DRAWN_NODES:
        pages = max(1, -(-len(visible_ops) // PAGE_OPERATIONS))
        for position, index in enumerate(visible_ops):
            page_of[index] = position // PAGE_OPERATIONS + 1
        page = min(max(page or 1, 1), pages)
        first = (page - 1) * PAGE_OPERATIONS
        last = min(page * PAGE_OPERATIONS, len(visible_ops))
        view.notes.append(
            f"page {page} of {pages}: operations {first + 1}–{last} of {len(visible_ops)} shown; "
            f"graph.svg(page=N) draws page N, and the text listing has them all"
        )
    view.page, view.pages = page or 1, pages
    return page_of


def _shown(
    nodes: list[Node],
    readers: dict[int, list[int]],
    hidden: dict[int, Hashable],
    page_of: dict[int, int],
    view: View,
) -> list[int]:
    """The nodes drawn as their own box on the view's page, in evaluation order."""

    def on_page(index: int) -> bool:
        return not page_of or page_of.get(index) == view.page

    shown: list[int] = []
    for node in nodes:
        if node.kind == "operation":
            if node.index not in hidden and on_page(node.index):
                shown.append(node.index)
        elif node.kind == "output":
            if not page_of or view.page == view.pages:
                shown.append(node.index)
        else:  # input and constants: drawn next to a reader that is drawn
            if any(r not in hidden and on_page(r) for r in readers[node.index]) or (
                node.kind == "input" and view.page == 1
            ):
                shown.append(node.index)
    return shown


def _connect(
    nodes: list[Node], hidden: dict[int, Hashable], page_of: dict[int, int], view: View
) -> None:
    """The view's edges between the boxes drawn, with a stub for each operation of an earlier
    page read on this one; an edge between nodes keeps the input slots it feeds."""
    shown_set = set(view.shown)

    def box_of(index: int) -> Hashable | None:
        if index in shown_set:
            return index
        if index in hidden:
            return hidden[index]
        return None

    edges: dict[tuple[Hashable, Hashable], list[int]] = {}
    stubs: list[int] = []
    for node in nodes:
        target = box_of(node.index)
        if target is None:
            continue
        for slot, source_index in enumerate(node.inputs):
            source = box_of(source_index)
            if source is None and page_of and nodes[source_index].kind == "operation":
                source = ("stub", source_index)
                if source_index not in stubs:
                    stubs.append(source_index)
            if source is None or source == target:
                continue
            slots = edges.setdefault((source, target), [])
            if not isinstance(target, tuple) and not isinstance(source, tuple):
                slots.append(slot)
    view.stubs = stubs
    view.edges = [(source, target, slots) for (source, target), slots in edges.items()]


def _readers(nodes: list[Node]) -> dict[int, list[int]]:
    readers: dict[int, list[int]] = {node.index: [] for node in nodes}
    for node in nodes:
        for source in node.inputs:
            readers[source].append(node.index)
    return readers
