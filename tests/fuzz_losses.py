"""Random losses of 1 to 200 parameters with an exact mpmath oracle, for the gradient fuzz.

A program is a function of n parameters to m numbers (m = 1: a loss, summed; m up to 4: a
Jacobian), of one shape:

    F_k(w) = sum_i C[k, i] U(A[k, i] w_i + B[k, i]) + D[k] V(X[k] . w + E[k])
             + Q[k] (sum_i w_i)^2 + OFFSET

with U and V primitives, smooth (sin, tanh, softplus, ...) or with a kink at 0 (abs, relu,
leaky relu). It is rendered two ways that share no code:

* `render(program)`: the text of a notebook cell defining `def f(w): ...` with NumPy, vectorised,
  taking an array or a pytree (dict / list / tuple of arrays, float64 or float32) and returning
  a number (sometimes as np.float32, sometimes through a call SymPy cannot follow);
* `Oracle(program)`: F and its exact Jacobian evaluated by mpmath at 30 digits, with the chain
  rule written out per primitive, and where the derivative does not exist (a kink's argument
  exactly 0) or is too close to one to judge.

This module must not import diffmagic (it is the independent side of the comparison).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
from hypothesis import strategies as st


@dataclass(frozen=True)
class Primitive:
    """One function of one number: its NumPy spelling, its value and derivative in mpmath, and
    its one-sided derivatives at 0 when it has a kink there."""

    spelling: str  # "{}" is the argument
    value: Callable[[Any], Any]
    derivative: Callable[[Any], Any]
    kink: tuple[float, float] | None = None


def _sigmoid(x: Any) -> Any:
    return 1 / (1 + mpmath.exp(-x))


PRIMITIVES: dict[str, Primitive] = {
    "sin": Primitive("np.sin({})", mpmath.sin, mpmath.cos),
    "cos": Primitive("np.cos({})", mpmath.cos, lambda x: -mpmath.sin(x)),
    "tanh": Primitive("np.tanh({})", mpmath.tanh, lambda x: 1 - mpmath.tanh(x) ** 2),
    "exp": Primitive("np.exp({})", mpmath.exp, mpmath.exp),
    "softplus": Primitive("np.log1p(np.exp({}))", lambda x: mpmath.log1p(mpmath.exp(x)), _sigmoid),
    "sigmoid": Primitive(
        "1 / (1 + np.exp(-({})))", _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))
    ),
    "square": Primitive("({}) ** 2", lambda x: x**2, lambda x: 2 * x),
    "cube": Primitive("({}) ** 3", lambda x: x**3, lambda x: 3 * x**2),
    "atan": Primitive("np.arctan({})", mpmath.atan, lambda x: 1 / (1 + x**2)),
    "logcosh": Primitive("np.log(np.cosh({}))", lambda x: mpmath.log(mpmath.cosh(x)), mpmath.tanh),
    "hypot1": Primitive(
        "np.sqrt(1 + ({}) ** 2)",
        lambda x: mpmath.sqrt(1 + x**2),
        lambda x: x / mpmath.sqrt(1 + x**2),
    ),
    "abs": Primitive("np.abs({})", abs, mpmath.sign, kink=(-1.0, 1.0)),
    "relu": Primitive(
        "np.maximum({}, 0)", lambda x: max(x, 0), lambda x: 1 if x > 0 else 0, kink=(0.0, 1.0)
    ),
    "leaky": Primitive(
        "np.where({0} > 0, {0}, 0.1 * {0})",
        lambda x: x if x > 0 else x / 10,
        lambda x: 1 if x > 0 else mpmath.mpf(1) / 10,
        kink=(0.1, 1.0),
    ),
}
KINKED = tuple(name for name, p in PRIMITIVES.items() if p.kink)
#: An argument this close to a kink (but not at it) leaves the example unjudged: at 30 digits
#: the oracle is right, but the loss's own float64 value may sit on the other side.
TOO_CLOSE = 1e-12


@dataclass(frozen=True)
class Program:
    """One random function of n parameters to m numbers, and the point to differentiate at."""

    n: int
    m: int
    jacobian: bool  # compare_jacobian (m outputs) or compare_gradient (their sum)
    inner: str  # U
    outer: str | None  # V, or None for no mixing term
    C: np.ndarray  # (m, n)
    A: np.ndarray
    B: np.ndarray
    X: np.ndarray  # (m, n)
    D: np.ndarray  # (m,)
    E: np.ndarray
    Q: np.ndarray
    offset: float
    w: np.ndarray  # (n,) float64 values of the point (float32-representable when float32)
    #: "array", "dict", "list" or "tuple": how the point is given.
    structure: str
    #: Leaf shapes of the pytree, in the order the loss concatenates them.
    shapes: tuple[tuple[int, ...], ...]
    float32_point: bool
    #: "plain", "float32" (returns np.float32), "opaque" (a call SymPy cannot follow).
    ending: str
    methods: tuple[str, ...]
    as_text: bool

    @property
    def kinks_at_point(self) -> np.ndarray:
        """(m, n): where an inner kink's argument is exactly 0 with a nonzero coefficient."""
        if self.inner not in KINKED:
            return np.zeros((self.m, self.n), bool)
        return (self.A * self.w + self.B == 0) & (self.C * self.A != 0)

    def point(self) -> Any:
        """The point as the user gives it: an array or a pytree of arrays."""
        dtype = np.float32 if self.float32_point else np.float64
        leaves, start = [], 0
        for shape in self.shapes:
            size = int(np.prod(shape))
            leaves.append(np.asarray(self.w[start : start + size], dtype=dtype).reshape(shape))
            start += size
        if self.structure == "array":
            return leaves[0]
        if self.structure == "dict":
            return {f"p{index}": leaf for index, leaf in enumerate(leaves)}
        if self.structure == "list":
            return leaves
        return tuple(leaves)

    def flat(self, tree: Any) -> np.ndarray:
        """A pytree in this program's structure as one vector, in the loss's own order."""
        if self.structure == "array":
            leaves = [tree]
        elif self.structure == "dict":
            leaves = [tree[f"p{index}"] for index in range(len(self.shapes))]
        else:
            leaves = list(tree)
        return np.concatenate([np.ravel(np.asarray(leaf, dtype=np.float64)) for leaf in leaves])


def _array(values: np.ndarray) -> str:
    flat = ", ".join(repr(float(v)) for v in np.ravel(values))
    return f"np.array([{flat}]).reshape({values.shape})"


def render(program: Program) -> str:
    """The program as a learner's cell: `def f(w)`, vectorised NumPy."""
    p = program
    lines = ["import numpy as np", ""]
    for name in ("C", "A", "B", "X", "D", "E", "Q"):
        lines.append(f"{name} = {_array(getattr(p, name))}")
    lines += ["", "", "def f(p):"]
    if p.structure == "array":
        lines.append("    w = p")
    else:
        keys = (
            [f'p["p{i}"]' for i in range(len(p.shapes))]
            if p.structure == "dict"
            else [f"p[{i}]" for i in range(len(p.shapes))]
        )
        lines.append(f"    w = np.concatenate([{', '.join(f'np.ravel({k})' for k in keys)}])")
    lines.append("    u = A * w + B")
    terms = [f"np.sum(C * {PRIMITIVES[p.inner].spelling.format('u')}, axis=1)"]
    if p.outer is not None:
        lines.append("    z = X @ w + E")
        terms.append(f"D * {PRIMITIVES[p.outer].spelling.format('z')}")
    terms.append("Q * np.sum(w) ** 2")
    lines.append(f"    out = {' + '.join(terms)} + {p.offset!r}")
    result = "out" if p.jacobian else "np.sum(out)"
    if p.ending == "float32":
        result = f"np.float32({result})"
    elif p.ending == "opaque":
        result = f"{result} + 0.0 * np.linalg.norm(w + 10.0)"
    lines.append(f"    return {result}")
    return "\n".join(lines) + "\n"


def run_cell(source: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<fuzz loss>", "exec"), namespace)
    return namespace["f"]


class Oracle:
    """F and its Jacobian at the point, by mpmath at 30 digits, the chain rule by hand."""

    def __init__(self, program: Program) -> None:
        p = program
        inner = PRIMITIVES[p.inner]
        outer = PRIMITIVES[p.outer] if p.outer else None
        self.exists = ~p.kinks_at_point
        self.unsure = False
        with mpmath.workdps(30):
            w = [mpmath.mpf(float(v)) for v in p.w]
            total = sum(w)
            values, jacobian, largest = [], [], []
            for k in range(p.m):
                value = mpmath.mpf(p.offset) + mpmath.mpf(float(p.Q[k])) * total**2
                row, sizes = [], []
                z = mpmath.mpf(float(p.E[k])) + sum(
                    mpmath.mpf(float(p.X[k, i])) * w[i] for i in range(p.n)
                )
                if outer is not None:
                    value += mpmath.mpf(float(p.D[k])) * outer.value(z)
                    if outer.kink and abs(z) < 1e-9:
                        self.unsure = True  # too near a kink of the mixing term to judge
                for i in range(p.n):
                    c, a = mpmath.mpf(float(p.C[k, i])), mpmath.mpf(float(p.A[k, i]))
                    u = a * w[i] + mpmath.mpf(float(p.B[k, i]))
                    value += c * inner.value(u)
                    if inner.kink and u != 0 and abs(u) < TOO_CLOSE:
                        self.unsure = True
                    inner_term = c * a * inner.derivative(u) if u != 0 or not inner.kink else 0
                    terms = [inner_term, 2 * mpmath.mpf(float(p.Q[k])) * total]
                    if outer is not None:
                        terms.append(
                            mpmath.mpf(float(p.D[k])) * outer.derivative(z) * float(p.X[k, i])
                        )
                    row.append(float(sum(terms)))
                    sizes.append(float(sum(abs(t) for t in terms)))
                values.append(float(value))
                jacobian.append(row)
                largest.append(sizes)
        self.values = np.array(values)
        self.jacobian = np.array(jacobian)
        #: (m, n): the largest term of each entry's chain rule (a computed derivative carries
        #: round-off of that size, even where the entry is 0).
        self.largest = np.array(largest)

    def expected(self, program: Program) -> tuple[np.ndarray, np.ndarray, float]:
        """(exact values flat, where they exist flat, f's size) for what is compared: the
        Jacobian, or the gradient of the summed loss."""
        if program.jacobian:
            return (
                self.jacobian.reshape(-1),
                self.exists.reshape(-1),
                float(np.max(np.abs(self.values))),
            )
        exists = np.all(self.exists, axis=0)
        return self.jacobian.sum(axis=0), exists, abs(float(self.values.sum()))

    def largest_term(self, program: Program) -> float:
        sizes = self.largest if program.jacobian else self.largest.sum(axis=0, keepdims=True)
        return float(np.max(sizes))


# --------------------------------------------------------------------------- strategies

METHOD_CHOICES = {
    False: (
        ("symbolic", "numerical", "forward", "reverse"),
        ("numerical", "forward", "reverse"),
        ("numerical", "reverse"),
        ("symbolic", "reverse"),
        ("reverse",),
        ("numerical",),
        ("forward", "reverse"),
    ),
    True: (
        ("numerical", "forward", "reverse"),
        ("numerical", "reverse"),
        ("forward", "reverse"),
        ("numerical",),
    ),
}


def _floats(draw: Any, shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def _leaf_shapes(draw: Any, n: int, structure: str) -> tuple[tuple[int, ...], ...]:
    if structure == "array" or n == 1:
        return ((n,),)
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), min_size=1, max_size=min(3, n - 1))))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    shapes: list[tuple[int, ...]] = []
    for size in sizes:
        if size % 2 == 0 and size > 2 and draw(st.booleans()):
            shapes.append((2, size // 2))
        elif size == 1 and draw(st.booleans()):
            shapes.append(())
        else:
            shapes.append((size,))
    return tuple(shapes)


@st.composite
def programs(draw: Any, max_n: int = 200) -> Program:
    """A random program (see the module's shape) and its point."""
    jacobian = draw(st.integers(0, 3)) == 0
    n = draw(st.one_of(st.integers(1, 8), st.integers(1, min(40, max_n)), st.integers(1, max_n)))
    m = draw(st.integers(1, 4)) if jacobian else 1
    inner = draw(st.sampled_from(sorted(PRIMITIVES)))
    outer = draw(st.one_of(st.none(), st.sampled_from(sorted(PRIMITIVES))))
    frequency = draw(st.sampled_from([1.0, 1.0, 1.0, 5.0, 30.0]))
    structure = (
        "array" if jacobian else draw(st.sampled_from(["array", "array", "dict", "list", "tuple"]))
    )
    float32_point = draw(st.integers(0, 4)) == 0
    w = _floats(draw, (n,), -2.0, 2.0)
    A = _floats(draw, (m, n), -2.0, 2.0) * frequency
    B = _floats(draw, (m, n), -1.0, 1.0)
    if inner in KINKED and draw(st.booleans()):
        at_kink = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
        w[at_kink] = 0.0
        B[:, at_kink] = 0.0
    if float32_point:
        w = w.astype(np.float32).astype(np.float64)
    return Program(
        n=n,
        m=m,
        jacobian=jacobian,
        inner=inner,
        outer=outer,
        C=_floats(draw, (m, n), -3.0, 3.0),
        A=A,
        B=B,
        X=_floats(draw, (m, n), -1.0, 1.0) / math.sqrt(n),
        D=_floats(draw, (m,), -3.0, 3.0),
        E=_floats(draw, (m,), -1.0, 1.0),
        Q=_floats(draw, (m,), -0.5, 0.5) * draw(st.sampled_from([0.0, 1.0])),
        offset=draw(st.sampled_from([0.0, 0.0, 0.0, 1.0e6, 1.0e10])),
        w=w,
        structure=structure,
        shapes=_leaf_shapes(draw, n, structure),
        float32_point=float32_point,
        ending=draw(st.sampled_from(["plain"] * 6 + ["float32", "opaque"]))
        if not jacobian
        else "plain",
        methods=draw(st.sampled_from(METHOD_CHOICES[jacobian])),
        as_text=draw(st.integers(0, 4)) == 0,
    )
