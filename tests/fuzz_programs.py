"""Random learner-style programs with an exact mpmath oracle, for the differential fuzz test.

A program is a mathematical expression tree (`Node`) rendered two ways that never share code:

* `render(program)`: the text of a notebook cell defining `def f(x): ...` the way a learner
  writes it -- `np.*`, `jnp.*`, `math.*`, bare names (`from numpy import sin`), Python
  `max`/`min`/`abs`, `np.where`, `for` loops (repeated composition, Horner), helper functions,
  Python `if`, in-place operations on a local copy and on the argument (`x *= 2`,
  `x[x < c] = c`), closures, defaults and globals for a parameter, the course's square loss over
  a global `DATA` array, `np.float32(...)` inside, `@jax.jit`, and `np.max(x, 0)` (a reduction
  that must be refused);
* `Oracle(program, grid)`: the same mathematical function evaluated by the tree itself in mpmath
  at 30 digits as a *jet* (value, f', f'', f''') with the chain rule written out per primitive
  (Faa di Bruno to third order), so the derivatives are exact, not differenced. While it
  evaluates, every place where the function switches branch (max/min/abs/where/if, the in-place
  mask) or leaves its domain (log, sqrt, 1/u) is recorded as a *site*; sign changes of a site on
  a fine sub-grid locate the kinks, jumps and domain edges the tests mask around.

This module must not import diffmagic (it is the independent side of the comparison).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Union

import mpmath
import numpy as np
from hypothesis import strategies as st

# ---------------------------------------------------------------------------
# The mathematical tree
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class X:
    """The variable of the enclosing function (f's x, a helper's u, a loop's y)."""


@dataclass(frozen=True)
class Const:
    value: float


@dataclass(frozen=True)
class Param:
    """The program's parameter `a`: a global, a default argument or a closure's variable."""


@dataclass(frozen=True)
class Unary:
    op: str  # a key of PRIMITIVES
    spelling: str  # a key of PRIMITIVES[op]
    child: Node


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "safe/" (left / (1 + right**2))
    left: Node
    right: Node


@dataclass(frozen=True)
class Extremum:
    """max(left, right) or min(left, right), pointwise: Python's builtin or np/jnp.maximum."""

    kind: str  # "max" | "min"
    spelling: str  # "py" | "np" | "jnp"
    left: Node
    right: Node


@dataclass(frozen=True)
class Abs:
    spelling: str  # a key of ABS
    child: Node


@dataclass(frozen=True)
class Where:
    """np.where(test > threshold, then, otherwise); spelled "if", a Python `if` statement."""

    spelling: str  # "np" | "jnp" | "if"
    test: Node
    threshold: float
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Repeat:
    """y = start; for _ in range(times): y = body(y)."""

    times: int
    body: Node
    start: Node


@dataclass(frozen=True)
class Horner:
    """p = c0; for c in (c1, ...): p = p * u + c, with the coefficients in a tuple or a global."""

    coefficients: tuple[float, ...]
    in_global: bool
    child: Node


@dataclass(frozen=True)
class Helper:
    """body(argument), with body a function `def h(u)` defined in the same cell."""

    body: Node
    argument: Node


@dataclass(frozen=True)
class InPlace:
    """t = copy(child); t op= value (op is +=, -= or *=) on a local copy."""

    op: str
    value: float
    copy: str  # a key of COPIES
    child: Node


@dataclass(frozen=True)
class MaskAssign:
    """t = child * 1.0; t[t < value] = value -- an array-only spelling of max(child, value)."""

    value: float
    child: Node


@dataclass(frozen=True)
class Reduction:
    """np.max(child, 0) and friends: a reduction over axis 0, which diffmagic must refuse."""

    spelling: str  # a key of REDUCTIONS
    child: Node


@dataclass(frozen=True)
class DataSum:
    """The course's square loss at one point: sum((child - d)**2 for d in DATA), DATA a global.

    `np.sum((u - DATA)**2)` reduces over the data, not over x: NumPy can only run it point by
    point. Python's `sum(... for d in DATA)` and `np.mean` are other spellings.
    """

    spelling: str  # a key of DATA_SUMS
    data: tuple[float, ...]
    child: Node


@dataclass(frozen=True)
class Float32:
    """np.float32(child): f computes part of its value in single precision."""

    spelling: str  # a key of FLOAT32
    child: Node


Node = Union[  # noqa: UP007 (dataclass annotations are evaluated lazily; keep it readable)
    X,
    Const,
    Param,
    Unary,
    Binary,
    Extremum,
    Abs,
    Where,
    Repeat,
    Horner,
    Helper,
    InPlace,
    MaskAssign,
    Reduction,
    DataSum,
    Float32,
]


@dataclass(frozen=True)
class Program:
    """One learner's cell and the way it is handed to `diffmagic.compare`."""

    body: Node
    param_style: str  # "none" | "global" | "default" | "closure"
    param_value: float
    argument_op: tuple[str, float] | None  # ("*=", 2.0), ("+=", 0.5), ("mask", 0.0) on x itself
    domain: tuple[float, float]
    points: int
    pass_as: str  # "text" | "text+func" | "callable"
    methods: tuple[str, ...] | str
    engines: tuple[str, ...]
    jit: bool = False  # f decorated with @jax.jit (JAX's float32 unless x64 is on)

    @property
    def source(self) -> str:
        return render(self)

    @property
    def must_refuse(self) -> bool:
        """A reduction over axis 0 has no pointwise meaning: no row may be ok."""
        return any(isinstance(node, Reduction) for node in walk(self.body))

    @property
    def single_precision(self) -> bool:
        """Part of f is computed in float32: the cell agrees with the oracle to 1e-5 only."""
        return any(isinstance(node, Float32) for node in walk(self.body))

    @property
    def needs_func(self) -> bool:
        """The closure style ends with `f = make(...)`: the last `def` is `make`, not f."""
        return self.param_style == "closure"


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents first."""
    found = [node]
    for value in vars(node).values():
        if hasattr(value, "__dataclass_fields__"):
            found.extend(walk(value))
    return found


# ---------------------------------------------------------------------------
# Spellings: how a learner writes each primitive
# ---------------------------------------------------------------------------

_FOUR = ("np", "jnp", "math", "bare")


def _spelled(name: str, math_name: str | None = None) -> dict[str, str]:
    return {
        "np": f"np.{name}({{}})",
        "jnp": f"jnp.{name}({{}})",
        "math": f"math.{math_name or name}({{}})",
        "bare": f"{name}({{}})",
    }


#: op -> spelling -> template with one `{}` for the argument.
PRIMITIVES: dict[str, dict[str, str]] = {
    "sin": _spelled("sin"),
    "cos": _spelled("cos"),
    "tanh": _spelled("tanh"),
    "arctan": _spelled("arctan", "atan"),
    "exp": _spelled("exp"),
    "log": _spelled("log"),
    "sqrt": _spelled("sqrt"),
    "square": {
        "pow": "({})**2",
        "np": "np.square({})",
        "mul": "({0}) * ({0})",
        "math": "math.pow({}, 2)",
    },
    "cube": {"pow": "({})**3", "np": "np.power({}, 3)", "jnp": "jnp.power({}, 3)"},
    "recip": {"div": "1 / ({})", "np": "np.reciprocal({})", "pow": "({}) ** -1"},
}
#: Primitives defined only for a positive argument (the oracle records the argument as a site).
PARTIAL = ("log", "sqrt", "recip")
BOUNDED = ("sin", "cos", "tanh", "arctan")

EXTREMA = {
    "max": {"py": "max({}, {})", "np": "np.maximum({}, {})", "jnp": "jnp.maximum({}, {})"},
    "min": {"py": "min({}, {})", "np": "np.minimum({}, {})", "jnp": "jnp.minimum({}, {})"},
}
ABS = {
    "py": "abs({})",
    "np": "np.abs({})",
    "jnp": "jnp.abs({})",
    "absolute": "np.absolute({})",
    "math": "math.fabs({})",
}
WHERE = {"np": "np.where(({}) > {}, {}, {})", "jnp": "jnp.where(({}) > {}, {}, {})"}
COPIES = {
    "mul": "({}) * 1.0",
    "add": "({}) + 0.0",
    "array": "np.array({}, dtype=float)",
    "copy": "np.copy({})",
}
REDUCTIONS = {"max": "np.max({}, 0)", "min": "np.min({}, 0)", "sum": "np.sum({}, axis=0)"}
DATA_SUMS = {
    "np.sum": "np.sum((({}) - {})**2)",
    "py.sum": "sum((({}) - d)**2 for d in {})",
    "np.mean": "np.mean((({}) - {})**2)",
}
FLOAT32 = {"np": "np.float32({})", "jnp": "jnp.float32({})"}


# ---------------------------------------------------------------------------
# Rendering the tree as a learner's cell
# ---------------------------------------------------------------------------


class _Writer:
    """Lines of one function body, with fresh names for temporaries."""

    def __init__(self, cell: _Cell, indent: int) -> None:
        self.cell = cell
        self.indent = indent
        self.lines: list[str] = []

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)

    def fresh(self, stem: str) -> str:
        return self.cell.fresh(stem)


class _Cell:
    """What the whole cell needs: imports, globals, helper functions."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.counter = 0
        self.uses: set[str] = set()
        self.bare: set[str] = set()
        self.globals: list[str] = []
        self.helpers: list[list[str]] = []

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def note(self, text: str) -> None:
        for module in ("jnp", "np", "math"):
            if f"{module}." in text:
                self.uses.add(module)


def _number(value: float) -> str:
    text = repr(float(value))
    return f"({text})" if value < 0 else text


def _param_name(program: Program) -> str:
    return "A" if program.param_style == "global" else "a"


def _expr(node: Node, var: str, out: _Writer) -> str:
    """The expression for `node` with the variable named `var`; statements go to `out`."""
    cell = out.cell
    if isinstance(node, X):
        return var
    if isinstance(node, Const):
        return _number(node.value)
    if isinstance(node, Param):
        return _param_name(cell.program)
    if isinstance(node, Unary):
        template = PRIMITIVES[node.op][node.spelling]
        if node.spelling == "bare":
            cell.bare.add(node.op)
        cell.note(template)
        return template.format(_expr(node.child, var, out))
    if isinstance(node, Binary):
        left, right = _expr(node.left, var, out), _expr(node.right, var, out)
        if node.op == "safe/":
            return f"({left}) / (1 + ({right})**2)"
        return f"({left} {node.op} {right})"
    if isinstance(node, Extremum):
        template = EXTREMA[node.kind][node.spelling]
        cell.note(template)
        return template.format(_expr(node.left, var, out), _expr(node.right, var, out))
    if isinstance(node, Abs):
        cell.note(ABS[node.spelling])
        return ABS[node.spelling].format(_expr(node.child, var, out))
    if isinstance(node, Where):
        test = _expr(node.test, var, out)
        if node.spelling != "if":
            then, otherwise = _expr(node.then, var, out), _expr(node.otherwise, var, out)
            cell.note(WHERE[node.spelling])
            return WHERE[node.spelling].format(test, _number(node.threshold), then, otherwise)
        result = out.fresh("r")
        out.emit(f"if {test} > {_number(node.threshold)}:")
        out.indent += 1
        out.emit(f"{result} = {_expr(node.then, var, out)}")
        out.indent -= 1
        out.emit("else:")
        out.indent += 1
        out.emit(f"{result} = {_expr(node.otherwise, var, out)}")
        out.indent -= 1
        return result
    if isinstance(node, Repeat):
        value = out.fresh("y")
        out.emit(f"{value} = {_expr(node.start, var, out)}")
        out.emit(f"for _ in range({node.times}):")
        out.indent += 1
        out.emit(f"{value} = {_expr(node.body, value, out)}")
        out.indent -= 1
        return value
    if isinstance(node, Horner):
        u, p, c = out.fresh("u"), out.fresh("p"), out.fresh("c")
        out.emit(f"{u} = {_expr(node.child, var, out)}")
        first, *rest = node.coefficients
        if node.in_global:
            name = cell.fresh("COEFFS")
            cell.globals.append(f"{name} = {[float(v) for v in rest]!r}")
            sequence = name
        else:
            sequence = "(" + ", ".join(repr(float(v)) for v in rest) + ",)"
        out.emit(f"{p} = {_number(first)}")
        out.emit(f"for {c} in {sequence}:")
        out.indent += 1
        out.emit(f"{p} = {p} * {u} + {c}")
        out.indent -= 1
        return p
    if isinstance(node, Helper):
        argument = _expr(node.argument, var, out)
        name = cell.fresh("h")
        inner = _Writer(cell, 1)
        result = _expr(node.body, "u", inner)
        cell.helpers.append([f"def {name}(u):", *inner.lines, f"    return {result}"])
        return f"{name}({argument})"
    if isinstance(node, InPlace):
        local = out.fresh("t")
        copy = COPIES[node.copy]
        cell.note(copy)
        out.emit(f"{local} = {copy.format(_expr(node.child, var, out))}")
        out.emit(f"{local} {node.op} {_number(node.value)}")
        return local
    if isinstance(node, MaskAssign):
        local = out.fresh("t")
        out.emit(f"{local} = ({_expr(node.child, var, out)}) * 1.0")
        out.emit(f"{local}[{local} < {_number(node.value)}] = {_number(node.value)}")
        return local
    if isinstance(node, Reduction):
        cell.note(REDUCTIONS[node.spelling])
        return REDUCTIONS[node.spelling].format(_expr(node.child, var, out))
    if isinstance(node, DataSum):
        name = cell.fresh("DATA")
        cell.uses.add("np")
        cell.globals.append(f"{name} = np.array({[float(v) for v in node.data]!r})")
        return DATA_SUMS[node.spelling].format(_expr(node.child, var, out), name)
    if isinstance(node, Float32):
        cell.note(FLOAT32[node.spelling])
        return FLOAT32[node.spelling].format(_expr(node.child, var, out))
    raise TypeError(f"not a node: {node!r}")


def render(program: Program) -> str:
    """The cell's text: imports, globals, helpers and `def f(x)` (inside `make` for closures)."""
    cell = _Cell(program)
    closure = program.param_style == "closure"
    body = _Writer(cell, 2 if closure else 1)
    if program.argument_op is not None:
        op, value = program.argument_op
        if op == "mask":
            body.emit(f"x[x < {_number(value)}] = {_number(value)}")
        else:
            body.emit(f"x {op} {_number(value)}")
    result = _expr(program.body, "x", body)
    body.emit(f"return {result}")

    lines = ["import numpy as np"]
    if program.jit:
        lines.append("import jax")
    if "jnp" in cell.uses:
        lines.append("import jax.numpy as jnp")
    if "math" in cell.uses:
        lines.append("import math")
    if cell.bare:
        lines.append(f"from numpy import {', '.join(sorted(cell.bare))}")
    lines.append("")
    if program.param_style == "global":
        lines.append(f"A = {float(program.param_value)!r}")
    lines.extend(cell.globals)
    lines.append("")
    signature = "def f(x):"
    if program.param_style == "default":
        signature = f"def f(x, a={float(program.param_value)!r}):"
    if closure:
        lines.append("def make(a):")
        for helper in cell.helpers:
            lines.extend("    " + line for line in helper)
        lines.append("    " + signature)
        lines.extend(body.lines)
        lines.append("    return f")
        lines.append("")
        made = f"make({float(program.param_value)!r})"
        lines.append(f"f = jax.jit({made})" if program.jit else f"f = {made}")
    else:
        for helper in cell.helpers:
            lines.extend(helper)
            lines.append("")
        if program.jit:
            lines.append("@jax.jit")
        lines.append(signature)
        lines.extend(body.lines)
    return "\n".join(lines) + "\n"


def run_cell(source: str) -> Callable[[Any], Any]:
    """Execute the cell in a fresh namespace (as a notebook would) and return its `f`."""
    namespace: dict[str, Any] = {"__name__": "fuzz_cell"}
    exec(compile(source, "<fuzz cell>", "exec"), namespace)
    return namespace["f"]


# ---------------------------------------------------------------------------
# The oracle: jets (value and three derivatives) evaluated from the tree
# ---------------------------------------------------------------------------


class _Kit:
    """The scalar arithmetic of one precision: mpmath at 30 digits, or Python floats."""

    def __init__(self, exact: bool) -> None:
        self.exact = exact
        self.nan = mpmath.mpf("nan") if exact else math.nan

    def number(self, value: float) -> Any:
        return mpmath.mpf(value) if self.exact else float(value)

    def call(self, name: str, value: Any) -> Any:
        if self.exact:
            return getattr(mpmath, {"arctan": "atan"}.get(name, name))(value)
        try:
            return getattr(math, {"arctan": "atan"}.get(name, name))(value)
        except OverflowError:
            return math.inf
        except ValueError:
            return math.nan

    def is_nan(self, value: Any) -> bool:
        return bool(mpmath.isnan(value)) if self.exact else math.isnan(value)


def _outer_derivatives(op: str, v: Any, kit: _Kit) -> list[Any]:
    """[g(v), g'(v), g''(v), g'''(v)] of the primitive g, written by hand."""
    nan = kit.nan
    if kit.is_nan(v):
        return [nan] * 4
    if op == "sin":
        s, c = kit.call("sin", v), kit.call("cos", v)
        return [s, c, -s, -c]
    if op == "cos":
        s, c = kit.call("sin", v), kit.call("cos", v)
        return [c, -s, -c, s]
    if op == "exp":
        e = kit.call("exp", v)
        return [e, e, e, e]
    if op == "tanh":
        t = kit.call("tanh", v)
        d = 1 - t * t
        return [t, d, -2 * t * d, d * (6 * t * t - 2)]
    if op == "arctan":
        w = 1 + v * v
        return [kit.call("arctan", v), 1 / w, -2 * v / w**2, (6 * v * v - 2) / w**3]
    if op == "square":
        return [v * v, 2 * v, kit.number(2), kit.number(0)]
    if op == "cube":
        return [v**3, 3 * v * v, 6 * v, kit.number(6)]
    if op == "log":
        if not v > 0:
            return [nan] * 4
        return [kit.call("log", v), 1 / v, -1 / v**2, 2 / v**3]
    if op == "sqrt":
        if not v > 0:
            return [nan] * 4
        r = kit.call("sqrt", v)
        return [r, 1 / (2 * r), -1 / (4 * r**3), 3 / (8 * r**5)]
    if op == "recip":
        if v == 0:
            return [nan] * 4
        return [1 / v, -1 / v**2, 2 / v**3, -6 / v**4]
    raise KeyError(op)


class Jet:
    """f and its first `len(d) - 1` derivatives at one point, with the rules of calculus."""

    __slots__ = ("d",)

    def __init__(self, d: Sequence[Any]) -> None:
        self.d = tuple(d)

    @property
    def value(self) -> Any:
        return self.d[0]

    def constant(self, value: Any) -> Jet:
        return Jet([value] + [0 * value] * (len(self.d) - 1))

    def __add__(self, other: Jet) -> Jet:
        return Jet([a + b for a, b in zip(self.d, other.d, strict=True)])

    def __sub__(self, other: Jet) -> Jet:
        return Jet([a - b for a, b in zip(self.d, other.d, strict=True)])

    def __neg__(self) -> Jet:
        return Jet([-a for a in self.d])

    def __mul__(self, other: Jet) -> Jet:
        a, b = self.d, other.d
        return Jet(
            [sum(math.comb(k, i) * a[i] * b[k - i] for i in range(k + 1)) for k in range(len(a))]
        )

    def compose(self, g: list[Any]) -> Jet:
        """g(self) by Faa di Bruno's formula, given g and its derivatives at self's value."""
        u = self.d
        out = [g[0]]
        if len(u) > 1:
            out.append(g[1] * u[1])
        if len(u) > 2:
            out.append(g[2] * u[1] ** 2 + g[1] * u[2])
        if len(u) > 3:
            out.append(g[3] * u[1] ** 3 + 3 * g[2] * u[1] * u[2] + g[1] * u[3])
        return Jet(out)


class _Evaluation:
    """One evaluation of the tree at one point, recording the sites where it may switch."""

    def __init__(self, kit: _Kit, param: float) -> None:
        self.kit = kit
        self.param = param
        self.sites: list[tuple[Any, bool]] = []  # (switching value, on the path f takes)
        self.on_path = True
        self.undefined = False  # a partial primitive left its domain on the path f takes
        self.largest = 0.0  # the largest |value| of any step on the path: f's round-off scale

    def site(self, value: Any) -> None:
        self.sites.append((value, self.on_path))

    def both(self, condition: bool, then: Node, otherwise: Node, var: Jet) -> Jet:
        """Evaluate both branches (so the sites line up at every point), return the one taken."""
        outer = self.on_path
        self.on_path = outer and condition
        first = self.eval(then, var)
        self.on_path = outer and not condition
        second = self.eval(otherwise, var)
        self.on_path = outer
        return first if condition else second

    def eval(self, node: Node, var: Jet) -> Jet:
        result = self._eval(node, var)
        if self.on_path:
            size = abs(_to_float(result.value))
            if math.isfinite(size):
                self.largest = max(self.largest, size)
        return result

    def _eval(self, node: Node, var: Jet) -> Jet:
        kit = self.kit
        if isinstance(node, X):
            return var
        if isinstance(node, Const):
            return var.constant(kit.number(node.value))
        if isinstance(node, Param):
            return var.constant(kit.number(self.param))
        if isinstance(node, Unary):
            inner = self.eval(node.child, var)
            if node.op in PARTIAL:
                self.site(inner.value)
            g = _outer_derivatives(node.op, inner.value, kit)
            if kit.is_nan(g[0]) and not kit.is_nan(inner.value) and self.on_path:
                self.undefined = True
            return inner.compose(g)
        if isinstance(node, Binary):
            left, right = self.eval(node.left, var), self.eval(node.right, var)
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op == "*":
                return left * right
            one = var.constant(kit.number(1))
            denominator = one + right * right
            return left * denominator.compose(_outer_derivatives("recip", denominator.value, kit))
        if isinstance(node, Extremum):
            left, right = self.eval(node.left, var), self.eval(node.right, var)
            self.site(left.value - right.value)
            if node.kind == "max":
                return right if right.value > left.value else left
            return right if right.value < left.value else left
        if isinstance(node, Abs):
            inner = self.eval(node.child, var)
            self.site(inner.value)
            return inner if inner.value >= 0 else -inner
        if isinstance(node, Where):
            test = self.eval(node.test, var)
            self.site(test.value - node.threshold)
            return self.both(bool(test.value > node.threshold), node.then, node.otherwise, var)
        if isinstance(node, Repeat):
            value = self.eval(node.start, var)
            for _ in range(node.times):
                value = self.eval(node.body, value)
            return value
        if isinstance(node, Horner):
            u = self.eval(node.child, var)
            first, *rest = node.coefficients
            p = var.constant(kit.number(first))
            for coefficient in rest:
                p = p * u + var.constant(kit.number(coefficient))
            return p
        if isinstance(node, Helper):
            return self.eval(node.body, self.eval(node.argument, var))
        if isinstance(node, InPlace):
            inner = self.eval(node.child, var)
            value = var.constant(kit.number(node.value))
            return {"+=": inner + value, "-=": inner - value, "*=": inner * value}[node.op]
        if isinstance(node, MaskAssign):
            inner = self.eval(node.child, var)
            self.site(inner.value - node.value)
            return var.constant(kit.number(node.value)) if inner.value < node.value else inner
        if isinstance(node, Reduction | Float32):
            return self.eval(node.child, var)
        if isinstance(node, DataSum):
            inner = self.eval(node.child, var)
            total = var.constant(kit.number(0))
            for value in node.data:
                gap = inner - var.constant(kit.number(value))
                total = total + gap * gap
            if node.spelling == "np.mean":
                total = total * var.constant(1 / kit.number(len(node.data)))
            return total
        raise TypeError(f"not a node: {node!r}")


class Point(NamedTuple):
    """The tree evaluated at one x."""

    jet: Jet  # f and its derivatives
    sites: list[tuple[Any, bool]]  # (switching value, on the path f takes), in tree order
    undefined: bool  # a log/sqrt/1/u left its domain on the path f takes
    largest: float  # the largest |intermediate value|: the scale of f's round-off


def evaluate(program: Program, x: float, *, exact: bool = True, derivatives: int = 3) -> Point:
    """f's jet at x, the switching sites, and more, from the tree."""
    kit = _Kit(exact)
    run = _Evaluation(kit, program.param_value)
    start = Jet([kit.number(x), kit.number(1)] + [kit.number(0)] * (derivatives - 1))
    start = Jet(start.d[: derivatives + 1])
    if program.argument_op is not None:
        op, value = program.argument_op
        constant = start.constant(kit.number(value))
        if op == "*=":
            start = start * constant
        elif op == "+=":
            start = start + constant
        elif op == "-=":
            start = start - constant
        else:  # x[x < value] = value
            run.site(start.value - kit.number(value))
            start = constant if start.value < value else start
    jet = run.eval(program.body, start)
    return Point(jet, run.sites, run.undefined, run.largest)


def mp_function(program: Program) -> Callable[[Any], Any]:
    """f as a plain mpmath function of one number (for `mpmath.diff`, the oracle's own check)."""
    return lambda x: evaluate(program, x, derivatives=0).jet.value


# ---------------------------------------------------------------------------
# The oracle on a grid, with the masks each method needs
# ---------------------------------------------------------------------------

#: Sub-intervals per grid interval in which sign changes of the switching sites are looked for.
SUBDIVISIONS = 8
#: Finite differences evaluate f away from x: SciPy's last adaptive steps reach about 4e-3 (its
#: first steps reach 0.5 but are then discarded), the JAX stencil 2 * eps**(1/5) * max(1, |x|).
#: Points this close (times max(1, |x|)) to a kink, jump or domain edge are not judged for them.
FD_RADIUS = 0.01


class Oracle:
    """Exact f, f', f'', f''' on the grid, and which points each method is judged at."""

    def __init__(self, program: Program, grid: np.ndarray) -> None:
        self.program = program
        self.grid = grid
        with mpmath.workdps(30):
            points = [evaluate(program, float(x)) for x in grid]
        self.derivatives = np.array(
            [[_to_float(v) for v in point.jet.d] for point in points], dtype=float
        )  # shape (points, 4)
        self.undefined = np.array([point.undefined for point in points])
        self.largest = np.array([point.largest for point in points])
        self.f, self.d1 = self.derivatives[:, 0], self.derivatives[:, 1]
        finite = np.all(np.isfinite(self.derivatives) & (np.abs(self.derivatives) < 1e100), 1)
        self.defined = finite & ~self.undefined
        self._crossings = self._find_crossings()

    def _find_crossings(self) -> np.ndarray:
        """[a, b] intervals of x in which some site switches sign (on the path f takes)."""
        low, high = float(self.grid[0]), float(self.grid[-1])
        margin = 2 * FD_RADIUS * max(1.0, abs(low), abs(high))
        count = (self.grid.size - 1) * SUBDIVISIONS + 1
        step = (high - low) / (count - 1)
        extra = math.ceil(margin / step) if step > 0 else 0
        fine = low + step * np.arange(-extra, count + extra)
        sites = [evaluate(self.program, float(x), exact=False, derivatives=0).sites for x in fine]
        lengths = {len(s) for s in sites}
        assert len(lengths) == 1, "generator bug: the sites do not line up between points"
        if not sites[0]:
            return np.zeros((0, 2))
        values = np.array([[float(v) for v, _ in s] for s in sites])
        taken = np.array([[t for _, t in s] for s in sites])
        sign = np.sign(values)  # NaN where the site itself is undefined
        changes = (sign[:-1] != sign[1:]) | (sign[:-1] == 0) | np.isnan(values[:-1])
        changes |= np.isnan(values[1:])
        # A site that touches zero between two samples without changing sign (sqrt(1 + sin u)
        # has a corner where 1 + sin u = 0): a local minimum of |value| closer to zero than
        # to its neighbours may hide a zero, so both intervals beside it count too.
        size = np.abs(values)
        middle, left, right = size[1:-1], size[:-2], size[2:]
        with np.errstate(invalid="ignore"):
            touch = (middle <= left) & (middle <= right)
            touch &= middle <= np.maximum(left, right) - middle
        changes[:-1] |= touch
        changes[1:] |= touch
        relevant = changes & (taken[:-1] | taken[1:])
        rows = np.flatnonzero(np.any(relevant, axis=1))
        return np.column_stack([fine[rows], fine[rows + 1]])

    def near_switch(self, radius: np.ndarray | float) -> np.ndarray:
        """Grid points within `radius` of an interval in which f switches or leaves its domain."""
        if self._crossings.size == 0:
            return np.zeros(self.grid.shape, dtype=bool)
        r = np.broadcast_to(np.asarray(radius, dtype=float), self.grid.shape)[:, None]
        slack = 1e-12 * max(1.0, float(np.max(np.abs(self.grid))))
        low, high = self._crossings[:, 0][None, :], self._crossings[:, 1][None, :]
        x = self.grid[:, None]
        return np.any((x >= low - r - slack) & (x <= high + r + slack), axis=1)

    def judged(self, method: str, f_float: np.ndarray) -> np.ndarray:
        """Where a method's f' is compared with the oracle: f defined, smooth enough nearby."""
        usable = self.defined & np.isfinite(f_float)
        if method == "exact":
            return usable & ~self.near_switch(0.0)
        if method == "finite_difference":
            radius = FD_RADIUS * np.maximum(1.0, np.abs(self.grid))
            return usable & ~self.near_switch(radius)
        # np.gradient at x_j reads x_{j-1} and x_{j+1} (x_0 and x_1 at the ends).
        h = float(self.grid[1] - self.grid[0])
        smooth = usable & ~self.near_switch(h * 1.000001)
        neighbours = np.ones_like(smooth)
        neighbours[1:] &= usable[:-1]
        neighbours[:-1] &= usable[1:]
        return smooth & neighbours

    def gradient_bound(self, f_float: np.ndarray, scale: float, roundoff: float) -> np.ndarray:
        """np.gradient's Taylor bound per point: h**2/6 max|f'''| inside, h/2 max|f''| at ends.

        Times a safety factor 4, plus 1e-9 of the scale of f' and the round-off of differencing
        f's values over a step h: each is off by `roundoff` of the largest value f computes on
        the way (float32(x) - x is tiny but carries the round-off of x).
        """
        h = float(self.grid[1] - self.grid[0])
        smooth = self.defined & ~self.near_switch(0.0)
        if not np.any(smooth):
            smooth = self.defined
        second = float(np.max(np.abs(self.derivatives[smooth, 2]), initial=0.0))
        third = float(np.max(np.abs(self.derivatives[smooth, 3]), initial=0.0))
        finite_f = np.abs(f_float[np.isfinite(f_float)])
        largest = max(
            float(np.max(finite_f, initial=0.0)),
            float(np.max(self.largest[self.defined], initial=0.0)),
        )
        differenced = roundoff * largest / h
        bound = np.full(self.grid.shape, 4 * h**2 / 6 * third)
        bound[[0, -1]] = 4 * h / 2 * second
        # The Taylor bound reads f'' and f''' at grid points only; a function that turns
        # between them (arctan(3 arctan(...)) near 0) can be off by more. np.gradient of the
        # exact f values is np.gradient's own answer: its distance from f' is its error.
        with np.errstate(all="ignore"):
            discrete = np.abs(np.gradient(self.f, self.grid) - self.d1)
        bound = np.fmax(bound, 1.01 * np.nan_to_num(discrete, nan=0.0))
        return bound + 1e-9 * scale + differenced


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def cell_values(function: Callable[[Any], Any], grid: np.ndarray) -> np.ndarray:
    """The cell's own f in float64 at each point, called on one number at a time.

    A float64 scalar first; a one-element array for the array-only spellings (`t[t < c] = c`).
    NaN where neither works or the value is not one finite real number.
    """
    values = np.full(grid.shape, np.nan)
    with np.errstate(all="ignore"):
        for index, point in enumerate(grid):
            for argument in (np.float64(point), np.array([point])):
                try:
                    result = np.asarray(function(argument), dtype=float).reshape(-1)
                except Exception:  # the next spelling of the argument
                    continue
                if result.size == 1:
                    values[index] = result[0]
                break
    return values


# ---------------------------------------------------------------------------
# Hypothesis strategies
# ---------------------------------------------------------------------------

CONSTANTS = (0.5, 1.5, 2.0, -1.0, 3.0, -0.5, 0.25)
THRESHOLDS = (0.0, 0.5, -0.5, 1.0, 0.3)
METHOD_KEYS = ("symbolic", "numerical", "finite_difference", "automatic")
#: Node kinds by how often they are drawn (sampled uniformly: repeats weigh a kind up).
KINDS = (
    "unary",
    "binary",
    "unary",
    "binary",
    "extremum",
    "abs",
    "where",
    "if",
    "repeat",
    "horner",
    "helper",
    "inplace",
    "mask",
    "datasum",
    "float32",
)
LIMIT = 1e4  # a subtree that may exceed this is squashed by tanh, so nothing overflows


@st.composite
def trees(
    draw: st.DrawFn,
    depth: int,
    bound: float,
    dialect: tuple[str, ...],
    param: bool,
    root: bool = False,
) -> tuple[Node, float]:
    """(tree, a bound on |its value|) for a variable bounded by `bound`; a root is no leaf."""
    # Hypothesis favours small integers: the rare outcome is the largest one, not 0.
    if depth <= 0 or (not root and draw(st.integers(0, 4)) == 4):
        return draw(_leaves(bound, param))
    kind = draw(st.sampled_from(KINDS))
    sub = depth - 1
    if kind == "unary":
        return draw(_unary(sub, bound, dialect, param))
    if kind == "binary":
        op = draw(st.sampled_from(("+", "-", "*", "safe/")))
        left, lb = draw(trees(sub, bound, dialect, param))
        right, rb = draw(trees(sub, bound, dialect, param))
        out = {"+": lb + rb, "-": lb + rb, "*": lb * rb, "safe/": lb}[op]
        return _squash(Binary(op, left, right), out, dialect)
    if kind in ("extremum", "mask"):
        left, lb = draw(trees(sub, bound, dialect, param))
        if kind == "mask":
            value = draw(st.sampled_from(THRESHOLDS))
            return MaskAssign(value, left), max(lb, abs(value))
        right, rb = draw(trees(sub, bound, dialect, param))
        spelling = draw(st.sampled_from(("py", "np", "jnp")))
        return Extremum(draw(st.sampled_from(("max", "min"))), spelling, left, right), max(lb, rb)
    if kind == "abs":
        child, cb = draw(trees(sub, bound, dialect, param))
        return Abs(draw(st.sampled_from(tuple(ABS))), child), cb
    if kind in ("where", "if"):
        test, _ = draw(trees(sub, bound, dialect, param))
        then, tb = draw(trees(sub, bound, dialect, param))
        otherwise, ob = draw(trees(sub, bound, dialect, param))
        spelling = "if" if kind == "if" else draw(st.sampled_from(("np", "jnp")))
        threshold = draw(st.sampled_from(THRESHOLDS))
        return Where(spelling, test, threshold, then, otherwise), max(tb, ob)
    if kind == "repeat":
        start, sb = draw(trees(sub, bound, dialect, param))
        outer = draw(st.sampled_from(BOUNDED))
        inner, _ = draw(trees(max(sub - 1, 0), max(sb, 1.6), dialect, param))
        body = Unary(outer, _spelling(draw, outer, dialect), inner)
        return Repeat(draw(st.integers(2, 4)), body, start), 1.6
    if kind == "horner":
        child, cb = draw(trees(sub, bound, dialect, param))
        if cb > 3:
            child, cb = Unary("tanh", _spelling(draw, "tanh", dialect), child), 1.0
        choices = st.sampled_from((1.0, -1.0, 0.5, 2.0, -2.0, 1.5))
        coefficients = tuple(draw(st.lists(choices, min_size=2, max_size=4)))
        out = sum(abs(c) * cb**k for k, c in enumerate(reversed(coefficients)))
        return _squash(Horner(coefficients, draw(st.booleans()), child), out, dialect)
    if kind == "datasum":
        child, cb = draw(trees(sub, bound, dialect, param))
        if cb > 10:
            child, cb = Unary("tanh", _spelling(draw, "tanh", dialect), child), 1.0
        data = tuple(
            draw(st.lists(st.sampled_from((1.0, 2.5, -0.5, 4.0, 0.0)), min_size=1, max_size=4))
        )
        spelling = draw(st.sampled_from(tuple(DATA_SUMS)))
        return DataSum(spelling, data, child), len(data) * (cb + 4.0) ** 2
    if kind == "float32":
        child, cb = draw(trees(sub, bound, dialect, param))
        return Float32(draw(st.sampled_from(tuple(FLOAT32))), child), cb
    if kind == "helper":
        argument, ab = draw(trees(sub, bound, dialect, param))
        body, bb = draw(trees(sub, ab, dialect, False))
        return Helper(body, argument), bb
    # in place on a local copy
    child, cb = draw(trees(sub, bound, dialect, param))
    op = draw(st.sampled_from(("+=", "-=", "*=")))
    value = draw(st.sampled_from(CONSTANTS))
    copy = draw(st.sampled_from(tuple(COPIES)))
    out = cb * abs(value) if op == "*=" else cb + abs(value)
    return InPlace(op, value, copy, child), out


def _leaves(bound: float, param: bool) -> st.SearchStrategy[tuple[Node, float]]:
    options: list[st.SearchStrategy[tuple[Node, float]]] = [
        st.just((X(), bound)),
        st.sampled_from(CONSTANTS).map(lambda c: (Binary("*", Const(c), X()), abs(c) * bound)),
        st.sampled_from(CONSTANTS).map(lambda c: (Const(c), abs(c))),
    ]
    if param:
        options.append(st.just((Binary("*", Param(), X()), 3.0 * bound)))
    return st.one_of(options)


def _spelling(draw: st.DrawFn, op: str, dialect: tuple[str, ...]) -> str:
    available = [s for s in PRIMITIVES[op] if s in dialect] or list(PRIMITIVES[op])
    return draw(st.sampled_from(available))


@st.composite
def _unary(
    draw: st.DrawFn, depth: int, bound: float, dialect: tuple[str, ...], param: bool
) -> tuple[Node, float]:
    child, cb = draw(trees(depth, bound, dialect, param))
    allowed = [*BOUNDED]
    if cb <= 3:
        allowed.append("exp")
    if cb <= 50:
        allowed.append("square")
    if cb <= 10:
        allowed.append("cube")
    allowed += ["log", "sqrt", "recip"]
    op = draw(st.sampled_from(allowed))
    if op in PARTIAL:
        shift = draw(st.sampled_from((3.0, 2.0, 1.0, 0.5)))
        child = Binary("+", Const(shift), child)
        out = {"log": max(abs(math.log(shift + cb)), 8.0), "sqrt": math.sqrt(shift + cb)}
        node = Unary(op, _spelling(draw, op, dialect), child)
        return _squash(node, out.get(op, LIMIT * 10), dialect)
    # Only ops that keep the bound moderate are allowed above, so these cannot overflow.
    out = {"exp": lambda: math.exp(cb), "square": lambda: cb * cb, "cube": lambda: cb**3}.get(
        op, lambda: 1.6
    )()
    return _squash(Unary(op, _spelling(draw, op, dialect), child), out, dialect)


def _squash(node: Node, bound: float, dialect: tuple[str, ...]) -> tuple[Node, float]:
    if bound <= LIMIT:
        return node, bound
    spelling = next((s for s in ("np", "jnp", "bare", "math") if s in dialect), "np")
    return Unary("tanh", spelling, node), 1.0


def _contains_x(node: Node) -> bool:
    return any(isinstance(n, X) for n in walk(node))


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """A learner's cell, its domain and grid, and how it is handed to diffmagic."""
    dialect = tuple(draw(st.lists(st.sampled_from(_FOUR), min_size=1, max_size=4, unique=True)))
    param_style = draw(st.sampled_from(("none", "global", "default", "closure")))
    low = draw(st.sampled_from((-2.0, -1.0, -3.0, -0.5, 0.0, 0.25)))
    width = draw(st.sampled_from((2.0, 3.0, 1.0, 4.0)))
    bound = max(abs(low), abs(low + width))
    argument_op = None
    if draw(st.integers(0, 7)) == 7:  # x *= 2 and friends on the argument itself: rare
        op = draw(st.sampled_from(("*=", "+=", "-=", "mask")))
        values = (2.0, 0.5, -1.5) if op == "*=" else THRESHOLDS
        argument_op = (op, draw(st.sampled_from(values)))
    depth = draw(st.integers(2, 4))
    body, _ = draw(trees(depth, bound + 1.0, dialect, param_style != "none", root=True))
    if not _contains_x(body):
        body = Binary("+", body, X())
    if draw(st.integers(0, 24)) == 24:
        body = Reduction(draw(st.sampled_from(tuple(REDUCTIONS))), body)
    chosen = draw(
        st.one_of(
            st.just("all"),
            st.lists(st.sampled_from(METHOD_KEYS), min_size=1, max_size=4, unique=True).map(tuple),
        )
    )
    engines = draw(st.sampled_from((("numpy",), ("numpy", "jax"))))
    return Program(
        body=body,
        param_style=param_style,
        param_value=draw(st.sampled_from((1.5, 2.0, 0.5, -1.0))),
        argument_op=argument_op,
        domain=(low, low + width),
        points=draw(st.sampled_from((30, 40, 50, 60))),
        pass_as=draw(st.sampled_from(("text", "callable", "text+func"))),
        methods=chosen,
        engines=engines,
        jit=draw(st.integers(0, 11)) == 11,
    )
