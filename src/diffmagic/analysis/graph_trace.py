"""The JAX program of f at x0, interpreted one equation at a time: values, tangents, adjoints.

`jax.make_jaxpr` traces f (as it runs under JAX, through `Target.under("jax")`) into a list of
equations, one per primitive. Each equation is evaluated by binding its primitive to the values
of its inputs, as `jax.core.eval_jaxpr` does; forward mode pushes tangents through `jax.jvp` of
that one primitive, reverse mode pulls adjoints back through its `jax.vjp`, summing them where a
value is read more than once. So every number on the picture is JAX's own, step by step.

Sub-programs of helpers compiled with `jit` (JAX's `jnp.where` is one) are inlined, their
equations tagged with the helper's name; `custom_jvp`/`custom_vjp` calls stay one node, so
their own derivative rule is the one used (inlining them would silently differentiate another
formula, e.g. at relu's corner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.target import Target
from diffmagic.limits.explain import MethodFailure, explain_jax

#: Primitives whose sub-program is inlined: plain calls of a helper, nothing else.
INLINED = frozenset({"jit", "pjit", "closed_call", "core_call"})

#: A JAX program longer than this is refused rather than interpreted (one JAX call per step).
MAX_EQUATIONS = 5_000

MODES = ("forward", "reverse")


@dataclass
class Node:
    """One value of the program: the input x, a constant, an equation's result, or f itself."""

    index: int
    kind: str  # "input", "constant", "operation", "output"
    op: str  # the JAX primitive ("sin", "mul", ...); "x", "const" or "output" otherwise
    inputs: tuple[int, ...]
    value: Any
    #: d value / dx, pushed forward from the input (mode="forward").
    tangent: Any = None
    #: d f / d value, pulled back from the output (mode="reverse").
    adjoint: Any = None
    #: d value / d input, one per entry of `inputs` (None where it is not one number).
    local_derivatives: tuple[Any, ...] = ()
    #: The equation's parameters worth showing, such as "y=3" for integer_pow.
    params: str = ""
    #: The helper the equation was inlined from ("jit(_where)"), if any.
    group: str | None = None

    @property
    def label(self) -> str:
        """What the node is, in a few characters: `sin`, `integer_pow y=3`, `x`, `2`."""
        if self.kind == "constant":
            return format_number(self.value)
        return f"{self.op} {self.params}".strip()


def format_number(value: Any, digits: int = 6) -> str:
    """A value as text that fits a box: `0.14112`, `-9.1806`, `[4 values]`, `True`."""
    if value is None:
        return "—"
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind == "V":  # float0 tangents of integers
        return "—"
    if array.shape != ():
        if array.size <= 3:
            return "[" + ", ".join(format_number(v, 4) for v in array.ravel()) + "]"
        return f"[{array.size} values]"
    item = array.item()
    if isinstance(item, bool):
        return str(item)
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float) and np.isfinite(item) and item == int(item) and abs(item) < 1e6:
        return str(int(item))
    return f"{item:.{digits}g}"


def _plain(value: Any) -> Any:
    """A JAX value as NumPy sees it: a NumPy scalar (np.float64 is a float) or an array.

    The dtype is kept; the evaluation itself runs on the raw JAX values (`Program.raw`), whose
    weak types decide promotion exactly as they do in JAX.
    """
    array = np.asarray(value)
    return array[()] if array.shape == () else array


def _short_params(eqn: Any) -> str:
    """The parameters a learner needs to read the step (the power of integer_pow, ...)."""
    params = eqn.params
    name = eqn.primitive.name
    if name == "integer_pow":
        return f"y={params['y']}"
    if name in ("reduce_sum", "reduce_max", "reduce_min") and "axes" in params:
        return f"axes={tuple(params['axes'])}"
    if name == "convert_element_type":
        return str(params.get("new_dtype", ""))
    if "name" in params and isinstance(params["name"], str):
        return params["name"]
    inner = params.get("call_jaxpr", params.get("fun_jaxpr"))
    source = getattr(
        getattr(getattr(inner, "jaxpr", None), "debug_info", None), "func_src_info", ""
    )
    if isinstance(source, str) and source:
        return source.split(" ")[0]  # custom_jvp_call of `relu`: its own derivative rule
    return ""


@dataclass
class Program:
    """f traced at x0: the nodes in evaluation order, which one is x, which one is f."""

    nodes: list[Node] = field(default_factory=list)
    equations: list[Any] = field(default_factory=list)
    #: Each node's value as JAX holds it (a literal's own Python number, a JAX array).
    raw: list[Any] = field(default_factory=list)
    input_index: int = 0
    output_index: int = 0
    #: f's name, for the reasons a step's failure gives.
    name: str = "f"


def _inlined_jaxpr(eqn: Any) -> Any:
    if eqn.primitive.name not in INLINED:
        return None
    inner = eqn.params.get("jaxpr", eqn.params.get("call_jaxpr"))
    return inner if inner is not None and hasattr(inner, "jaxpr") else None


def _primitive_function(eqn: Any) -> Callable[..., Any]:
    """The equation as a function of its inputs: `primitive.bind` with the equation's params."""
    bound = eqn.primitive.get_bind_params(eqn.params)
    # JAX 0.4 returns (subfuns, params); newer JAX returns the params alone.
    subfuns, bind_params = bound if isinstance(bound, tuple) else ((), bound)
    primitive = eqn.primitive

    def apply(*args: Any) -> Any:
        out = primitive.bind(*subfuns, *args, **bind_params)
        return out[0] if primitive.multiple_results else out

    return apply


def trace_program(target: Target, x0: float) -> tuple[Any, Program]:
    """make_jaxpr of f at x0 (float64), made into nodes with their values; no derivatives yet."""
    from diffmagic.methods.automatic import scalar_function
    from diffmagic.methods.jax_engine import float64, jax_module

    jax = jax_module()
    from jax.extend.core import Literal

    function = scalar_function(target)
    with float64():
        point = jax.numpy.asarray(x0, dtype=jax.numpy.float64)
        try:
            closed = jax.make_jaxpr(function)(point)
        except MethodFailure as failure:
            raise DiffMagicError(str(failure)) from None
        except Exception as error:
            raise DiffMagicError(
                f"cannot draw the graph: {explain_jax(target.name, error)}"
            ) from None
        program = Program(name=target.name)
        env: dict[Any, int] = {}

        def add(node_kind: str, op: str, inputs: tuple[int, ...], raw: Any, **extra: Any) -> int:
            index = len(program.nodes)
            program.nodes.append(Node(index, node_kind, op, inputs, _plain(raw), **extra))
            program.raw.append(raw)
            return index

        def read(atom: Any) -> int:
            if isinstance(atom, Literal):
                return add("constant", "const", (), atom.val)
            return env[atom]

        (invar,) = closed.jaxpr.invars
        program.input_index = env[invar] = add("input", target.wrt, (), point)
        for var, const in zip(closed.jaxpr.constvars, closed.consts, strict=True):
            env[var] = add("constant", "const", (), const)
        _interpret(closed.jaxpr, env, read, add, program, None)
        (outvar,) = closed.jaxpr.outvars
        result = read(outvar)
        program.output_index = add("output", "output", (result,), program.raw[result])
    return closed, program


def _interpret(
    jaxpr: Any,
    env: dict[Any, int],
    read: Callable[[Any], int],
    add: Callable[..., int],
    program: Program,
    group: str | None,
) -> None:
    """Walk the equations, inlining helpers, adding one node per equation with its value."""
    for eqn in jaxpr.eqns:
        inner = _inlined_jaxpr(eqn)
        if inner is not None:
            name = eqn.params.get("name", eqn.primitive.name)
            label = f"{eqn.primitive.name}({name})" if group is None else group
            inner_env: dict[Any, int] = {}
            for var, atom in zip(inner.jaxpr.invars, eqn.invars, strict=True):
                inner_env[var] = read(atom)
            for var, const in zip(inner.jaxpr.constvars, inner.consts, strict=True):
                inner_env[var] = add("constant", "const", (), const)

            _interpret(inner.jaxpr, inner_env, _literal_or(read, inner_env), add, program, label)
            for outer, atom in zip(eqn.outvars, inner.jaxpr.outvars, strict=True):
                env[outer] = _literal_or(read, inner_env)(atom)
            continue
        if len(eqn.outvars) != 1:
            raise DiffMagicError(
                f"the step `{eqn.primitive.name}` returns {len(eqn.outvars)} values: "
                "the graph draws steps with one result only"
            )
        if len(program.equations) >= MAX_EQUATIONS:
            raise DiffMagicError(
                f"f's JAX program has more than {MAX_EQUATIONS:,} steps: too many to draw; "
                "try a smaller loop"
            )
        inputs = tuple(read(atom) for atom in eqn.invars)
        apply = _primitive_function(eqn)
        try:
            value = apply(*(program.raw[i] for i in inputs))
        except Exception as error:
            reason = explain_jax(program.name, error)
            raise DiffMagicError(
                f"JAX's `{eqn.primitive.name}` failed at this x0: {reason}"
            ) from None
        env[eqn.outvars[0]] = add(
            "operation",
            eqn.primitive.name,
            inputs,
            value,
            params=_short_params(eqn),
            group=group,
        )
        program.equations.append(eqn)


def _literal_or(read: Callable[[Any], int], env: dict[Any, int]) -> Callable[[Any], int]:
    """Read a variable from `env`, or a literal through `read` (which adds a constant)."""
    from jax.extend.core import Literal

    def reader(atom: Any) -> int:
        if isinstance(atom, Literal):
            return read(atom)
        return env[atom]

    return reader


def _is_float(value: Any) -> bool:
    return np.asarray(value).dtype.kind in "fc"


def _zero_tangent(value: Any) -> Any:
    """The tangent of a constant: zeros for floats, JAX's float0 for integers and booleans."""
    import jax

    array = np.asarray(value)
    if array.dtype.kind in "fc":
        return np.zeros_like(array)
    return np.zeros(array.shape, dtype=jax.dtypes.float0)


def _step_failure(node: Node, error: Exception, mode: str, name: str) -> DiffMagicError:
    """Why JAX's `mode` cannot pass through this step, in words (never JAX's own text)."""
    if mode == "reverse" and node.op == "while":
        return DiffMagicError(
            f"JAX's reverse mode cannot pull adjoints back through step #{node.index} `while` "
            "(jax.lax.while_loop decides its number of steps as it runs): use "
            "mode='forward' (--graph-mode forward), or jax.lax.scan or a fori_loop of fixed bounds"
        )
    return DiffMagicError(
        f"JAX's {mode} mode fails at step #{node.index} `{node.op}`: {explain_jax(name, error)}"
    )


def forward(program: Program, name: str = "f") -> float:
    """Push dx/dx = 1 through every equation with `jax.jvp`; f'(x0) is the output's tangent.

    A step whose local derivatives JAX cannot pull back (a while loop) still pushes its
    tangent: its ∂/∂inputs are left unknown.
    """
    from diffmagic.methods.jax_engine import float64, jax_module

    jax = jax_module()
    nodes, raw = program.nodes, program.raw
    tangents: list[Any] = []
    with float64():
        operations = iter(program.equations)
        for node in nodes:
            if node.kind == "input":
                tangent = jax.numpy.ones_like(raw[node.index])
            elif node.kind == "constant":
                tangent = _zero_tangent(raw[node.index])
            elif node.kind == "operation":
                apply = _primitive_function(next(operations))
                primals = tuple(raw[i] for i in node.inputs)
                try:
                    _, tangent = jax.jvp(apply, primals, tuple(tangents[i] for i in node.inputs))
                except Exception as error:
                    raise _step_failure(node, error, "forward", name) from None
                node.local_derivatives = tuple(None for _ in primals)
                if _is_float(node.value):
                    try:
                        out, pullback = jax.vjp(apply, *primals)
                        node.local_derivatives = _local_derivatives(pullback, out)
                    except Exception:  # no pullback for this step: its partials stay unknown
                        pass
            else:
                tangent = tangents[node.inputs[0]]
            tangents.append(tangent)
            node.tangent = _plain(tangent) if _is_float(node.value) else None
    return _as_float(nodes[program.output_index].tangent)


def reverse(program: Program, name: str = "f") -> float:
    """Pull df/df = 1 back through every equation with `jax.vjp`, summing over fan-out."""
    from diffmagic.methods.jax_engine import float64, jax_module

    jax = jax_module()
    nodes, raw = program.nodes, program.raw
    adjoints: dict[int, Any] = {}
    output = nodes[program.output_index]
    with float64():
        seed = jax.numpy.ones_like(raw[output.index])
        adjoints[output.index] = seed
        adjoints[output.inputs[0]] = seed
        operations = [node for node in nodes if node.kind == "operation"]
        for node, eqn in reversed(list(zip(operations, program.equations, strict=True))):
            primals = tuple(raw[i] for i in node.inputs)
            if not _is_float(node.value):  # a comparison: no derivative flows through it
                node.local_derivatives = tuple(None for _ in primals)
                continue
            try:
                out, pullback = jax.vjp(_primitive_function(eqn), *primals)
                node.local_derivatives = _local_derivatives(pullback, out)
                pulled = pullback(adjoints[node.index]) if node.index in adjoints else ()
            except Exception as error:
                raise _step_failure(node, error, "reverse", name) from None
            for i, contribution in zip(node.inputs, pulled, strict=False):
                if _is_float(contribution) and _is_float(nodes[i].value):
                    adjoints[i] = adjoints[i] + contribution if i in adjoints else contribution
    for node in nodes:
        if _is_float(node.value):
            adjoint = adjoints.get(node.index)
            node.adjoint = (
                _plain(adjoint) if adjoint is not None else _plain(_zero_tangent(node.value))
            )
    return _as_float(nodes[program.input_index].adjoint)


def _as_float(value: Any) -> float:
    if value is None:
        return 0.0
    return float(np.asarray(value).reshape(()))


def _local_derivatives(pullback: Callable[[Any], Any], out: Any) -> tuple[Any, ...]:
    """d value / d input for each input of a step with one float result (None where not)."""
    import jax

    if np.asarray(out).shape != () or not _is_float(out):
        return tuple(None for _ in pullback(jax.numpy.zeros_like(out)))
    partials = pullback(jax.numpy.ones_like(out))
    return tuple(
        _plain(p) if _is_float(p) and np.asarray(p).shape == () else None for p in partials
    )
