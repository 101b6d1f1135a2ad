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


def layered_layout(
    sizes: dict[Hashable, tuple[float, float]],
    edges: Sequence[tuple[Hashable, Hashable]],
    pinned: set[Hashable] | None = None,
) -> Layout:
    """Lay out boxes of the given (width, height), keys in topological order, edges down."""
    keys = list(sizes)
    edges = [edge for edge in dict.fromkeys(edges) if edge[0] in sizes and edge[1] in sizes]
    layer = _layers(keys, edges, pinned or set())

    # Waypoints: an edge over k layers becomes k one-layer links.
    widths = {key: sizes[key][0] for key in keys}
    heights = {key: sizes[key][1] for key in keys}
    links: list[tuple[Hashable, Hashable]] = []
    chains: dict[tuple[Hashable, Hashable], list[Hashable]] = {}
    for source, target in edges:
        chain = [source]
        for depth in range(layer[source] + 1, layer[target]):
            waypoint = ("waypoint", source, target, depth)
            layer[waypoint] = depth
            widths[waypoint], heights[waypoint] = WAYPOINT_WIDTH, 0.0
            chain.append(waypoint)
        chain.append(target)
        chains[(source, target)] = chain
        links.extend(itertools.pairwise(chain))

    depth_count = 1 + max(layer.values(), default=0)
    order: list[list[Hashable]] = [[] for _ in range(depth_count)]
    for key in layer:  # evaluation order first, waypoints after
        order[layer[key]].append(key)
    preds: dict[Hashable, list[Hashable]] = {key: [] for key in layer}
    succs: dict[Hashable, list[Hashable]] = {key: [] for key in layer}
    for source, target in links:
        succs[source].append(target)
        preds[target].append(source)

    best, best_crossings = [row[:] for row in order], _crossings(order, links)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        rows = range(1, depth_count) if downward else range(depth_count - 2, -1, -1)
        for depth in rows:
            neighbour_row = order[depth - 1] if downward else order[depth + 1]
            position = {key: i for i, key in enumerate(neighbour_row)}
            current = {key: i for i, key in enumerate(order[depth])}

            neighbours = preds if downward else succs

            def barycentre(
                key: Hashable, position=position, current=current, neighbours=neighbours
            ) -> float:
                linked = neighbours[key]
                places = [position[k] for k in linked if k in position]
                return sum(places) / len(places) if places else float(current[key])

            order[depth].sort(key=barycentre)
        crossings = _crossings(order, links)
        if crossings < best_crossings:
            best, best_crossings = [row[:] for row in order], crossings
    order = best

    # x: packed left to right, then pulled towards neighbours and pushed apart again.
    x: dict[Hashable, float] = {}
    for row in order:
        cursor = 0.0
        for key in row:
            x[key] = cursor + widths[key] / 2
            cursor += widths[key] + NODE_GAP
    for _ in range(8):
        for row in order:
            for key in row:
                linked = preds[key] + succs[key]
                if linked:
                    x[key] = sum(x[k] for k in linked) / len(linked)
            _separate(row, x, widths)
    left = min(x[key] - widths[key] / 2 for key in x) if x else 0.0
    right = max(x[key] + widths[key] / 2 for key in x) if x else 0.0

    layout = Layout(layers=depth_count)
    top = MARGIN
    y: dict[Hashable, float] = {}
    for row in order:
        row_height = max((heights[key] for key in row), default=0.0)
        for key in row:
            y[key] = top + row_height / 2
        top += row_height + LAYER_GAP
    for key in keys:
        layout.centres[key] = (x[key] - left + MARGIN, y[key])
    for edge, chain in chains.items():
        points = []
        for i, key in enumerate(chain):
            cx, cy = x[key] - left + MARGIN, y[key]
            if i == 0:
                cy += heights[key] / 2
            elif i == len(chain) - 1:
                cy -= heights[key] / 2
            points.append((cx, cy))
        layout.routes[edge] = points
    layout.width = right - left + 2 * MARGIN
    layout.height = top - LAYER_GAP + MARGIN
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
