"""SymPy's expression trees of f and f', with the subexpressions cse shares: the swell, drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import sympy as sp

import diffmagic
from diffmagic.errors import DiffMagicError

SVG = "{http://www.w3.org/2000/svg}"


def composed(depth: int) -> str:
    """The lab's composed polynomial, p applied `depth` times in a loop."""
    return (
        "def f_polynomial_simple(x):\n    return 2*x**3 - 3*x**2 + 5\n\n"
        f"def f_polynomial(x):\n    for i in range({depth}):\n"
        "        x = f_polynomial_simple(x)\n    return x\n"
    )


def test_the_lab_function_s_trees_counted_by_hand() -> None:
    tree = diffmagic.expression_tree("exp(-2*x) + 3*sin(3*x)")
    # f  = Add(Mul(3, sin(Mul(3, x))), exp(Mul(-2, x))): 11 nodes
    # f' = Add(Mul(9, cos(Mul(3, x))), Mul(-2, exp(Mul(-2, x)))): 13 nodes
    assert (tree.f_nodes, tree.derivative_nodes) == (11, 13)
    x = sp.Symbol("x", real=True)
    assert sp.simplify(tree.derivative - (9 * sp.cos(3 * x) - 2 * sp.exp(-2 * x))) == 0
    shared = dict(tree.shared).values()
    assert sp.exp(-2 * x) in shared and 3 * x in shared


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_the_composed_polynomial_swells_with_depth(depth: int) -> None:
    tree = diffmagic.expression_tree(composed(depth))
    # p(u) = Add(5, Mul(-3, Pow(u, 2)), Mul(2, Pow(u, 3))): 10 nodes and two copies of u's tree.
    nodes = 1
    for _ in range(depth):
        nodes = 10 + 2 * nodes
    assert tree.f_nodes == nodes
    # Every shared subexpression the picture colours really occurs at least twice in f and f'.
    occurrences: dict[sp.Expr, int] = {}
    for expression in (tree.expr, tree.derivative):
        for sub in sp.preorder_traversal(expression):
            occurrences[sub] = occurrences.get(sub, 0) + 1
    assert tree.marked and all(occurrences[e] >= 2 for _, e in tree.marked)
    assert {name for name, _ in tree.marked} <= {name for name, _ in tree.shared}
    assert tree.shared_operations <= tree.derivative_operations or depth == 1


def test_the_derivative_outgrows_f() -> None:
    ratios = []
    for depth in (2, 3, 4):
        tree = diffmagic.expression_tree(composed(depth))
        ratios.append(tree.derivative_nodes / tree.f_nodes)
    assert ratios[0] > 1 and ratios == sorted(ratios)


def test_the_picture_is_well_formed_and_marks_the_shared_subexpressions() -> None:
    tree = diffmagic.expression_tree(composed(3))
    bundle = tree._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    root = ET.fromstring(bundle["image/svg+xml"])
    assert root.get("role") == "img" and root.find(f"{SVG}rect").get("fill") == "#ffffff"
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any(t.startswith(f"f: {tree.f_nodes} nodes") for t in texts)
    assert any(f"{tree.derivative_nodes} nodes" in t for t in texts)
    assert any(t.startswith("s0") for t in texts) and any(" again (" in t for t in texts)
    assert "[s0]" in bundle["text/plain"]
    assert "<svg" in tree._repr_html_()


def test_a_big_tree_is_cut_with_a_note() -> None:
    root = ET.fromstring(diffmagic.expression_tree(composed(4)).svg())
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any(t.startswith("note:") and "cut below depth" in t for t in texts)
    assert any("…+" in t for t in texts)


def test_a_function_sympy_cannot_trace_is_one_line() -> None:
    with pytest.raises(DiffMagicError) as caught:
        diffmagic.expression_tree("def f(x):\n    if x > 0:\n        return x\n    return -x\n")
    assert "np.where" in str(caught.value) and "\n" not in str(caught.value)
