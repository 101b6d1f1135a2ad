"""A layered (Sugiyama-style) layout of a small directed acyclic graph, in pure Python.

Why not graphviz: its `dot` program is a system binary a learner's machine does not have by
default (pip's `graphviz` package is only a wrapper that calls it), and a notebook's picture must
render in JupyterLab, Notebook 7, VS Code and exported HTML with nothing else installed. The
graphs drawn here have at most a few dozen boxes, so the textbook steps are enough:

1. layers by longest path from the input (constants pulled down next to their first reader);
2. edges longer than one layer get invisible waypoints, one per layer they cross;
3. the order within each layer by barycentres, swept down and up, keeping the order with the
   fewest crossings;
4. x positions pulled towards the mean of each box's neighbours, then pushed apart again.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

LAYER_GAP = 46.0  # vertical space between layers (room for edge labels)
NODE_GAP = 22.0  # horizontal space between neighbouring boxes
WAYPOINT_WIDTH = 10.0
MARGIN = 16.0
SWEEPS = 6


@dataclass
class Layout:
    """Where each box's centre is and the points each edge passes through (top to bottom)."""

    centres: dict[Hashable, tuple[float, float]] = field(default_factory=dict)
    routes: dict[tuple[Hashable, Hashable], list[tuple[float, float]]] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0
    layers: int = 0


def _layers(
    keys: Sequence[Hashable],
    edges: Sequence[tuple[Hashable, Hashable]],
    pinned: set[Hashable],
) -> dict[Hashable, int]:
    """Longest path from the sources; unpinned sources sit one layer above their first reader."""
    predecessors: dict[Hashable, list[Hashable]] = {key: [] for key in keys}
    successors: dict[Hashable, list[Hashable]] = {key: [] for key in keys}
    for source, target in edges:
        predecessors[target].append(source)
        successors[source].append(target)
    layer: dict[Hashable, int] = {}
    for key in keys:  # keys come in evaluation order, which is a topological order
        layer[key] = 1 + max((layer[p] for p in predecessors[key]), default=-1)
    # Layers of non-source nodes stay; a constant or stub moves down next to its first reader.
    for key in keys:
        if not predecessors[key] and successors[key] and key not in pinned:
            layer[key] = max(0, min(layer[s] for s in successors[key]) - 1)
    return layer


def _crossings(order: list[list[Hashable]], links: list[tuple[Hashable, Hashable]]) -> int:
    position = {key: i for row in order for i, key in enumerate(row)}
    level = {key: depth for depth, row in enumerate(order) for key in row}
    by_level: dict[int, list[tuple[int, int]]] = {}
    for source, target in links:
        by_level.setdefault(level[source], []).append((position[source], position[target]))
    total = 0
    for pairs in by_level.values():
        for i, (a1, b1) in enumerate(pairs):
            for a2, b2 in pairs[i + 1 :]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


@dataclass
class _Chained:
    """The graph once long edges have waypoints: every link spans exactly one layer."""

    layer: dict[Hashable, int]
    widths: dict[Hashable, float]
    heights: dict[Hashable, float]
    #: The one-layer links, in edge order.
    links: list[tuple[Hashable, Hashable]]
    #: Each edge's keys from source to target, waypoints between.
    chains: dict[tuple[Hashable, Hashable], list[Hashable]]
    preds: dict[Hashable, list[Hashable]] = field(default_factory=dict)
    succs: dict[Hashable, list[Hashable]] = field(default_factory=dict)


def _chained(
    sizes: dict[Hashable, tuple[float, float]],
    edges: Sequence[tuple[Hashable, Hashable]],
    layer: dict[Hashable, int],
) -> _Chained:
    """Waypoints: an edge over k layers becomes k one-layer links (`layer` gains the waypoints)."""
    graph = _Chained(
        layer=layer,
        widths={key: size[0] for key, size in sizes.items()},
        heights={key: size[1] for key, size in sizes.items()},
        links=[],
        chains={},
    )
    for source, target in edges:
        chain = [source]
        for depth in range(layer[source] + 1, layer[target]):
            waypoint = ("waypoint", source, target, depth)
            layer[waypoint] = depth
            graph.widths[waypoint], graph.heights[waypoint] = WAYPOINT_WIDTH, 0.0
            chain.append(waypoint)
        chain.append(target)
        graph.chains[(source, target)] = chain
        graph.links.extend(itertools.pairwise(chain))
    graph.preds = {key: [] for key in layer}
    graph.succs = {key: [] for key in layer}
    for source, target in graph.links:
        graph.succs[source].append(target)
        graph.preds[target].append(source)
    return graph


def _ordered_rows(graph: _Chained) -> list[list[Hashable]]:
    """The keys of each layer, ordered by barycentre sweeps; the order with fewest crossings."""
    depth_count = 1 + max(graph.layer.values(), default=0)
    order: list[list[Hashable]] = [[] for _ in range(depth_count)]
    for key in graph.layer:  # evaluation order first, waypoints after
        order[graph.layer[key]].append(key)
    best, best_crossings = [row[:] for row in order], _crossings(order, graph.links)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        rows = range(1, depth_count) if downward else range(depth_count - 2, -1, -1)
        for depth in rows:
            neighbour_row = order[depth - 1] if downward else order[depth + 1]
            neighbours = graph.preds if downward else graph.succs
            _sort_by_barycentre(order[depth], neighbour_row, neighbours)
        crossings = _crossings(order, graph.links)
        if crossings < best_crossings:
            best, best_crossings = [row[:] for row in order], crossings
    return best


def _sort_by_barycentre(
    row: list[Hashable],
    neighbour_row: list[Hashable],
    neighbours: dict[Hashable, list[Hashable]],
) -> None:
    """Sort `row` in place by the mean place of each key's neighbours in the row next to it;
    a key with none there keeps its place."""
    position = {key: i for i, key in enumerate(neighbour_row)}
    current = {key: i for i, key in enumerate(row)}

    def barycentre(key: Hashable) -> float:
        places = [position[k] for k in neighbours[key] if k in position]
        return sum(places) / len(places) if places else float(current[key])

    row.sort(key=barycentre)


def _x_positions(order: list[list[Hashable]], graph: _Chained) -> dict[Hashable, float]:
    """x: packed left to right, then pulled towards neighbours and pushed apart again."""
    x: dict[Hashable, float] = {}
    for row in order:
        cursor = 0.0
        for key in row:
            x[key] = cursor + graph.widths[key] / 2
            cursor += graph.widths[key] + NODE_GAP
    for _ in range(8):
        for row in order:
            for key in row:
                linked = graph.preds[key] + graph.succs[key]
                if linked:
                    x[key] = sum(x[k] for k in linked) / len(linked)
            _separate(row, x, graph.widths)
    return x


def _y_positions(
    order: list[list[Hashable]], graph: _Chained
) -> tuple[dict[Hashable, float], float]:
    """y of each key (rows stacked from the top margin) and the bottom of the last row's gap."""
    top = MARGIN
    y: dict[Hashable, float] = {}
    for row in order:
        row_height = max((graph.heights[key] for key in row), default=0.0)
        for key in row:
            y[key] = top + row_height / 2
        top += row_height + LAYER_GAP
    return y, top


def layered_layout(
    sizes: dict[Hashable, tuple[float, float]],
    edges: Sequence[tuple[Hashable, Hashable]],
    pinned: set[Hashable] | None = None,
) -> Layout:
    """Lay out boxes of the given (width, height), keys in topological order, edges down."""
    keys = list(sizes)
    edges = [edge for edge in dict.fromkeys(edges) if edge[0] in sizes and edge[1] in sizes]
    graph = _chained(sizes, edges, _layers(keys, edges, pinned or set()))
    order = _ordered_rows(graph)
    x = _x_positions(order, graph)
    y, bottom = _y_positions(order, graph)
    left = min(x[key] - graph.widths[key] / 2 for key in x) if x else 0.0
    right = max(x[key] + graph.widths[key] / 2 for key in x) if x else 0.0
    layout = Layout(
        layers=len(order),
        width=right - left + 2 * MARGIN,
        height=bottom - LAYER_GAP + MARGIN,
    )
    for key in keys:
        layout.centres[key] = (x[key] - left + MARGIN, y[key])
    for edge, chain in graph.chains.items():
        points = []
        for i, key in enumerate(chain):
            cx, cy = x[key] - left + MARGIN, y[key]
            if i == 0:
                cy += graph.heights[key] / 2  # leaves the bottom of its source
            elif i == len(chain) - 1:
                cy -= graph.heights[key] / 2  # arrives at the top of its target
            points.append((cx, cy))
        layout.routes[edge] = points
    return layout


def _separate(row: list[Hashable], x: dict[Hashable, float], widths: dict[Hashable, float]) -> None:
    """Keep the row's order and at least NODE_GAP between boxes, moving as little as it can."""
    if not row:
        return
    wanted = [x[key] for key in row]
    # Left to right: push right; right to left: push left; average the two.
    forward = wanted[:]
    for i in range(1, len(row)):
        least = forward[i - 1] + (widths[row[i - 1]] + widths[row[i]]) / 2 + NODE_GAP
        forward[i] = max(forward[i], least)
    backward = wanted[:]
    for i in range(len(row) - 2, -1, -1):
        most = backward[i + 1] - (widths[row[i + 1]] + widths[row[i]]) / 2 - NODE_GAP
        backward[i] = min(backward[i], most)
    merged = [(a + b) / 2 for a, b in zip(forward, backward, strict=True)]
    for i in range(1, len(row)):
        least = merged[i - 1] + (widths[row[i - 1]] + widths[row[i]]) / 2 + NODE_GAP
        merged[i] = max(merged[i], least)
    for key, value in zip(row, merged, strict=True):
        x[key] = value
