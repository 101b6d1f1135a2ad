"""The computational graph: JAX's program of f at x0, with values, tangents and adjoints.

Ground truth is the corpus's hand-written derivatives and mpmath values, JAX's own
`make_jaxpr`/`eval_jaxpr` for the steps, and derivatives written by hand here for the small
examples whose every node is checked.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from corpus import CASES_BY_ID, CORPUS, Case, sweep

import diffmagic
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.target import make_target
from diffmagic.views.graph_view import MAX_DRAWN_NODES, build_view

SVG = "{http://www.w3.org/2000/svg}"
FIRST_ORDER = [case for case in CORPUS if case.order == 1]
MODES = ("forward", "reverse")


def point(case: Case) -> float:
    """A point 37% into the domain, away from every kink."""
    low, high = case.domain
    x0 = low + 0.37 * (high - low)
    assert all(abs(x0 - kink) > 0.1 for kink in case.kinks)
    return x0


def graph_of(case: Case, mode: str) -> diffmagic.results.graph.ComputationalGraph:
    return diffmagic.graph(
        case.source, at=point(case), mode=mode, func=case.func, wrt=case.wrt, params=case.params
    )


def jaxpr_of(case: Case) -> jax.extend.core.ClosedJaxpr:
    """JAX's program of f (as it runs under JAX) at x0, in float64."""
    function = make_target(case.source, func=case.func, wrt=case.wrt, params=case.params).under(
        "jax"
    )
    with jax.enable_x64(True):
        return jax.make_jaxpr(function)(jnp.asarray(point(case), dtype=jnp.float64))


def inlined(jaxpr: jax.extend.core.Jaxpr) -> list[jax.extend.core.JaxprEqn]:
    """The equations with every `jit` helper's sub-program in its place."""
    out = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in ("jit", "pjit", "closed_call"):
            out.extend(inlined(eqn.params.get("jaxpr", eqn.params.get("call_jaxpr")).jaxpr))
        else:
            out.append(eqn)
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sweep(FIRST_ORDER))
def test_value_and_derivative_are_the_hand_written_ones(case: Case, mode: str) -> None:
    gr = graph_of(case, mode)
    x0 = point(case)
    with mpmath.workdps(30):
        exact_value = float(case.mp_function(mpmath.mpf(x0)))
    exact_derivative = float(case.derivative(np.array([x0]))[0])
    assert abs(gr.value - exact_value) <= 1e-12 * abs(exact_value) + 1e-300, (gr.value, exact_value)
    assert abs(gr.derivative - exact_derivative) <= 1e-12 * abs(exact_derivative) + 1e-300, (
        gr.derivative,
        exact_derivative,
    )
    output = gr.nodes[-1]
    assert output.kind == "output" and output.value == gr.value
    if mode == "forward":
        assert output.tangent == gr.derivative and all(n.adjoint is None for n in gr.nodes)
    else:
        assert gr.nodes[gr.input_index].adjoint == gr.derivative
        assert all(n.tangent is None for n in gr.nodes)


@pytest.mark.parametrize("case", sweep(FIRST_ORDER))
def test_operation_nodes_are_the_equations_of_make_jaxpr_in_order(case: Case) -> None:
    gr = graph_of(case, "reverse")
    equations = inlined(jaxpr_of(case).jaxpr)
    operations = [node for node in gr.nodes if node.kind == "operation"]
    assert [node.op for node in operations] == [eqn.primitive.name for eqn in equations]
    for node, eqn in zip(operations, equations, strict=True):
        assert len(node.inputs) == len(eqn.invars)
        assert all(i < node.index for i in node.inputs), "nodes come in evaluation order"
        if eqn.primitive.name == "integer_pow":
            assert node.params == f"y={eqn.params['y']}"


@pytest.mark.parametrize("case", sweep(FIRST_ORDER))
def test_every_node_value_is_what_jax_computes_for_it(case: Case) -> None:
    closed = jaxpr_of(case)
    gr = graph_of(case, "forward")
    operations = [node for node in gr.nodes if node.kind == "operation"]
    # JAX evaluates its own program, reporting every top-level equation's result.
    everything = closed.jaxpr.replace(outvars=[eqn.outvars[0] for eqn in closed.jaxpr.eqns])
    with jax.enable_x64(True):
        values = jax.core.eval_jaxpr(everything, closed.consts, jnp.float64(point(case)))
    position = 0
    for eqn, value in zip(closed.jaxpr.eqns, values, strict=True):
        if eqn.primitive.name in ("jit", "pjit", "closed_call"):
            position += len(inlined(eqn.params["jaxpr"].jaxpr))
            node = operations[position - 1]
        else:
            node = operations[position]
            position += 1
            assert node.op == eqn.primitive.name
        np.testing.assert_array_equal(np.asarray(node.value), np.asarray(value))
    assert position == len(operations)
    np.testing.assert_array_equal(gr.value, np.asarray(values[-1]))


def test_every_node_of_the_lab_function_by_hand() -> None:
    """exp(-2x) + 3 sin(3x) at 1: each step's value, tangent and adjoint written by hand."""
    e, s, c = math.exp(-2.0), math.sin(3.0), math.cos(3.0)
    forward = diffmagic.graph("exp(-2*x) + 3*sin(3*x)", at=1.0, mode="forward")
    ops = [n for n in forward.nodes if n.kind == "operation"]
    assert [n.op for n in ops] == ["mul", "exp", "mul", "sin", "mul", "add"]
    assert [n.value for n in ops] == pytest.approx([-2.0, e, 3.0, s, 3 * s, e + 3 * s], rel=1e-15)
    assert [n.tangent for n in ops] == pytest.approx(
        [-2.0, -2 * e, 3.0, 3 * c, 9 * c, -2 * e + 9 * c], rel=1e-15
    )
    reverse = diffmagic.graph("exp(-2*x) + 3*sin(3*x)", at=1.0, mode="reverse")
    ops = [n for n in reverse.nodes if n.kind == "operation"]
    # df/d(value): add 1; 3 sin 3x 1; sin 3; exp 1; the two products of x: e and 3 cos 3.
    assert [n.adjoint for n in ops] == pytest.approx([e, 1.0, 3 * c, 3.0, 1.0, 1.0], rel=1e-15)
    assert reverse.derivative == pytest.approx(-2 * e + 9 * c, rel=1e-15)
    exp_node = ops[1]
    assert exp_node.local_derivatives == pytest.approx((e,), rel=1e-15)


def test_reverse_mode_adds_the_adjoints_of_a_value_read_twice() -> None:
    """x sin x: x is read by sin and by the product, so its adjoint is sin x + x cos x."""
    x0 = 0.7
    gr = diffmagic.graph("x*sin(x)", at=x0, mode="reverse")
    (sine, product) = [n for n in gr.nodes if n.kind == "operation"]
    assert sine.op == "sin" and product.op == "mul"
    assert sine.adjoint == pytest.approx(x0, rel=1e-15)
    slot_of = {i: k for k, i in enumerate(product.inputs)}
    assert product.local_derivatives[slot_of[sine.index]] == pytest.approx(x0, rel=1e-15)
    assert product.local_derivatives[slot_of[gr.input_index]] == pytest.approx(math.sin(x0))
    assert gr.derivative == pytest.approx(math.sin(x0) + x0 * math.cos(x0), rel=1e-15)
    square = diffmagic.graph("def f(x):\n    return x*x\n", at=3.0, mode="reverse")
    assert square.nodes[square.input_index].adjoint == 6.0


def test_the_lab_composed_polynomial_at_depth_3_appears_as_the_loop_ran() -> None:
    case = CASES_BY_ID["lab_composed_polynomial"]
    gr = diffmagic.graph(case.source, at=0.5, mode="forward")
    block = ["integer_pow", "mul", "integer_pow", "mul", "sub", "add"]
    assert [n.op for n in gr.nodes if n.kind == "operation"] == block * 3
    # p(0.5) = 4.5, p(4.5) = 126.5, p(126.5) = 4000567.5, each by hand.
    adds = [n.value for n in gr.nodes if n.op == "add"]
    assert adds == [4.5, 126.5, 4000567.5]
    svg = gr.svg()
    assert "3 repeats of integer_pow y=3" in svg and "loop unrolled" in svg
    assert len(gr.nodes) <= MAX_DRAWN_NODES and not build_view(gr.nodes).folded


def test_helpers_jax_compiles_are_inlined_and_named() -> None:
    gr = graph_of(CASES_BY_ID["np_where_kink"], "reverse")
    select = [n for n in gr.nodes if n.op == "select_n"]
    assert len(select) == 1 and select[0].group == "jit(_where)"
    assert "jit(_where):" in gr.text()


def test_custom_derivative_rules_stay_one_node_and_are_used() -> None:
    """relu has JAX's own rule (0 at the corner): the node keeps it instead of inlining."""
    source = "import jax\n\ndef f(x):\n    return jax.nn.relu(x) + x\n"
    for mode in MODES:
        gr = diffmagic.graph(source, at=0.0, mode=mode)
        assert [n.op for n in gr.nodes if n.kind == "operation"] == ["custom_jvp_call", "add"]
        assert gr.derivative == 1.0  # relu'(0) = 0 by JAX's rule, plus 1


def test_a_big_graph_is_drawn_folded_with_a_note() -> None:
    gr = graph_of(CASES_BY_ID["sum_of_20_sines"], "reverse")
    assert gr.operations == 80
    view = build_view(gr.nodes)
    (folded,) = view.folded
    assert folded.repeats == 18 and len(folded.members) == 72
    assert len(view.shown) + len(view.folded) <= MAX_DRAWN_NODES
    root = ET.fromstring(gr.svg())
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "note: 20 repeats of" in texts and "folded" in texts
    assert "18 more repeats of" in texts


def test_a_big_graph_without_repeats_is_paged_with_a_note() -> None:
    source = (
        "import numpy as np\n\n"
        "def f(x):\n"
        "    ops = [np.sin, np.cos, np.tanh, np.exp, np.arctan]\n"
        "    digits = '31415926535897932384626433832795028841971693993751'\n"
        "    for d in digits:\n"
        "        x = ops[int(d) % 5](x) * 0.5\n"
        "    return x\n"
    )
    gr = diffmagic.graph(source, at=0.3, mode="forward")
    assert gr.operations == 100
    first = gr.svg()
    assert "note: page 1 of" in first and first == gr.svg(page=1)
    shown = set()
    for page in range(1, build_view(gr.nodes).pages + 1):
        shown |= set(build_view(gr.nodes, page).shown)
    assert {n.index for n in gr.nodes if n.kind == "operation"} <= shown, "every step on a page"
    second = ET.fromstring(gr.svg(page=2))
    texts = " ".join(t.text or "" for t in second.iter(f"{SVG}text"))
    assert "page 2 of" in texts and "(earlier page)" in texts


@pytest.mark.parametrize("mode", MODES)
def test_the_svg_is_well_formed_theme_safe_and_labelled(mode: str) -> None:
    gr = diffmagic.graph("exp(-2*x) + 3*sin(3*x)", at=1.0, mode=mode)
    bundle = gr._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/html", "text/plain"}
    assert bundle["text/html"].count("<svg") == 1  # the same drawing, framed
    root = ET.fromstring(bundle["image/svg+xml"])
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text.startswith("computational graph of f(x)")
    background = root.find(f"{SVG}rect")
    assert background.get("fill") == "#ffffff" and background.get("width") == root.get("width")
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert all(t.get("fill", "").startswith("#") for t in root.iter(f"{SVG}text"))
    assert sum(t.startswith("value ") for t in texts) == 6  # one per operation
    flow = "tangent" if mode == "forward" else "adjoint"
    assert sum(t.startswith(flow) for t in texts) == 8  # operations, x and f
    edge_labels = [t for t in texts if t.startswith("∂ ")]
    assert (len(edge_labels) > 0) == (mode == "reverse")
    assert "<svg" in gr._repr_html_() and "<desc" in gr._repr_html_()
    # Its ids are its own: a notebook page shows several pictures, and ids are page-wide.
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    assert set(root.get("aria-labelledby").split()) <= ids
    other = ET.fromstring(diffmagic.graph("sin(x)", at=1.0, mode=mode).svg())
    assert not ids & {e.get("id") for e in other.iter() if e.get("id")}
    listing = bundle["text/plain"]
    assert "v3 = exp(v2)" in listing and flow in listing


def test_a_comparison_draws_its_own_function() -> None:
    case = CASES_BY_ID["default_parameter_overridden"]
    cmp = diffmagic.compare(case.source, params=case.params, methods="automatic", timing=False)
    gr = cmp.graph(1.2, mode="forward")  # Comparison.graph, the same as graph_of_comparison
    assert gr.derivative == pytest.approx(float(case.derivative(np.array([1.2]))[0]), rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (
            {"f": "def f(x):\n    if x > 0:\n        return x\n    return -x\n", "at": 1.0},
            "Python `if`",
        ),
        ({"f": "x**2", "at": 1.0, "mode": "backward"}, "mode must be 'forward' or 'reverse'"),
        ({"f": "x**2", "at": "one"}, "at must be one number"),
        ({"f": "x**2", "at": float("inf")}, "finite"),
        ({"f": "def f(x):\n    return [x, x]\n", "at": 1.0}, "one number"),
    ],
)
def test_bad_input_is_one_line(kwargs: dict, words: str) -> None:
    with pytest.raises(DiffMagicError) as caught:
        diffmagic.graph(**kwargs)
    message = str(caught.value)
    assert words in message and "\n" not in message and len(message) < 250


def test_jax_config_is_left_as_the_user_had_it() -> None:
    before = jax.config.read("jax_enable_x64")
    diffmagic.graph("sin(x)", at=1.0)
    assert jax.config.read("jax_enable_x64") == before


@pytest.mark.slow
def test_values_keep_jax_s_dtypes_and_weak_types() -> None:
    """A float32 step stays float32, and a literal-only step promotes as it does in JAX."""
    source = (
        "import jax.numpy as jnp\n\n"
        "def f(x):\n"
        "    y = x.astype(jnp.float32)\n"
        "    return jnp.sin(y) * jnp.sqrt(2.0) + 1\n"
    )
    gr = diffmagic.graph(source, at=0.3, mode="reverse")
    function = make_target(source).under("jax")
    with jax.enable_x64(True):
        closed = jax.make_jaxpr(function)(jnp.float64(0.3))
        everything = closed.jaxpr.replace(outvars=[e.outvars[0] for e in closed.jaxpr.eqns])
        values = jax.core.eval_jaxpr(everything, closed.consts, jnp.float64(0.3))
    operations = [n for n in gr.nodes if n.kind == "operation"]
    assert [n.op for n in operations] == [e.primitive.name for e in closed.jaxpr.eqns]
    for node, value in zip(operations, values, strict=True):
        assert np.asarray(node.value).dtype == np.asarray(value).dtype, node.op
        np.testing.assert_array_equal(np.asarray(node.value), np.asarray(value))
    assert np.asarray(gr.nodes[-1].value).dtype == np.float32
    # d/dx of sin(x) sqrt(2) + 1, with the sine taken in float32.
    assert gr.derivative == pytest.approx(math.cos(0.3) * math.sqrt(2.0), rel=1e-6)


def test_a_corner_at_x0_is_said_not_passed_off_as_a_slope() -> None:
    at_corner = diffmagic.graph("abs(x - 1) + x", at=1.0, mode="reverse")
    (caution,) = at_corner.caveats
    assert "abs has a corner at 0" in caution and "does not exist" in caution
    assert "caution: f' does not exist" in at_corner.svg() and "caution:" in at_corner.text()
    tie = diffmagic.graph("def f(x):\n    return min(x, 1.0)\n", at=1.0, mode="forward")
    assert "branch point" in tie.caveats[0]
    assert diffmagic.graph("abs(x - 1) + x", at=1.5).caveats == []
    assert diffmagic.graph("sqrt(x)", at=0.0).caveats == [
        "the derivative at this x0 is inf: f' is not finite"
    ]


def test_a_graph_in_a_notebook_is_drawn_once(monkeypatch) -> None:
    """IPython asks `_repr_html_` only for a type the mime bundle lacks: one drawing a display."""
    from IPython.core.formatters import DisplayFormatter

    from diffmagic.results import graph as graph_module

    drawings = []
    real = graph_module.ComputationalGraph.svg
    monkeypatch.setattr(
        graph_module.ComputationalGraph,
        "svg",
        lambda self, page=None: drawings.append(page) or real(self, page),
    )
    gr = diffmagic.graph(lambda x: x * x + 1.0, 2.0)
    data, _ = DisplayFormatter().format(gr)  # what a shell's display does, without one
    assert {"image/svg+xml", "text/html"} <= set(data) and len(drawings) == 1
