"""The graph as indented text, for terminals and the `text/plain` twin of the picture.

One line per node in evaluation order, written like a JAX program (`v3 = sin(v2)`), with the
value and the tangent or adjoint; steps inlined from a helper are indented under its name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from diffmagic.analysis.graph_trace import Node, format_number

if TYPE_CHECKING:
    from diffmagic.results.graph import ComputationalGraph

#: Longer listings keep their head and tail; `graph.nodes` holds every node.
MAX_LINES = 400


def _name(node: Node) -> str:
    if node.kind == "constant":
        return format_number(node.value, 8)
    if node.kind == "input":
        return node.op
    return f"v{node.index}"


def _line(node: Node, nodes: list[Node], mode: str) -> str:
    flow = node.tangent if mode == "forward" else node.adjoint
    flow_name = "tangent" if mode == "forward" else "adjoint"
    if node.kind == "input":
        left = f"{node.op} = {format_number(node.value, 12)}"
    elif node.kind == "constant":
        left = f"c{node.index} = {format_number(node.value, 12)}"
    elif node.kind == "output":
        left = f"f = v{node.inputs[0]}" if nodes[node.inputs[0]].kind == "operation" else "f"
    else:
        reads = ", ".join(_name(nodes[i]) for i in node.inputs)
        params = f"[{node.params}]" if node.params else ""
        left = f"v{node.index} = {node.op}{params}({reads})"
    right = f"value {format_number(node.value, 12):>14}   {flow_name} {format_number(flow, 12)}"
    if (
        mode == "reverse"
        and node.kind == "operation"
        and any(p is not None for p in node.local_derivatives)
    ):
        partials = ", ".join(format_number(p, 6) for p in node.local_derivatives)
        right += f"   ∂/∂inputs ({partials})"
    return f"{left:<40} {right}"


def listing(graph: ComputationalGraph) -> str:
    """The whole graph, one node a line; constants are shown where they are read."""
    lines = [
        f"computational graph of {graph.label} at {graph.variable} = "
        f"{format_number(graph.x0, 12)}, {graph.mode} mode: {graph.operations} JAX operations",
        f"  {graph.function_name}({format_number(graph.x0, 12)}) = {format_number(graph.value, 15)}"
        f", {graph.derivative_name} = {graph.derivative_text(15)}",
        f"  {graph.derivative_name}: {graph.verdict}",
    ]
    lines += [f"  caution: {note}" for note in graph.caveats]
    group: str | None = None
    body: list[str] = []
    for node in graph.nodes:
        if node.kind == "constant":
            continue
        if node.group != group:
            if node.group is not None:
                body.append(f"  {node.group}:")
            group = node.group
        indent = "      " if node.group else "  "
        body.append(indent + _line(node, graph.nodes, graph.mode))
    if len(body) > MAX_LINES:
        half = MAX_LINES // 2
        body = [
            *body[:half],
            f"  ... {len(body) - MAX_LINES} lines left out (graph.nodes has every node) ...",
            *body[-half:],
        ]
    return "\n".join(lines + body)
