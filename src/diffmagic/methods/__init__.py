"""The methods diffmagic compares, each in a module of its own with the same shape.

Every module has `KEY`, `LABEL` and `prepare(target, order, probe, ...) -> Prepared`; `prepare`
raises `MethodFailure` with a learner's one-line reason when it cannot produce a derivative.

A *row* of the comparison is a method on an engine. SymPy's derivative, `np.gradient` and finite
differences run on NumPy by default (as in the lab) and can also run compiled by JAX
(np.gradient's formula under `jit` for np.gradient), so a table can tell what a method costs
from what its engine costs; JAX's own method runs on JAX only.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.target import Target
from diffmagic.methods import (
    autograd_engine,
    automatic,
    finite_difference,
    gradient,
    jax_eager,
    mygrad_engine,
    symbolic,
    torch_engine,
)
from diffmagic.methods.base import Prepared
from diffmagic.methods.tape import ENGINES as TAPE_ENGINES
from diffmagic.methods.tape import missing

ENGINES = ("numpy", "jax")


#: The kinds of row: the derivative of a function of one variable on a grid, and the gradient
#: (or Jacobian, or cost study) of a function of many parameters at a point.
KINDS = ("derivative", "gradient")


@dataclass(frozen=True)
class Row:
    """One method on one engine: a row of a table, of either kind."""

    key: str
    method: str
    engine: str
    label: str
    #: The module whose `prepare` makes a one-variable derivative (None for gradient rows,
    #: which the gradient front doors run through `methods.gradients`).
    module: ModuleType | None = None
    kind: str = "derivative"

    @property
    def missing(self) -> str | None:
        """The install line when this row's engine is an optional package not installed here."""
        return missing(self.engine)

    def load(self) -> None:
        """Import this row's optional engine now, before any time limit is armed (PyTorch's
        import takes seconds, and a limit firing inside an import leaves it half done)."""
        if self.engine in TAPE_ENGINES and self.missing is None:
            importlib.import_module(TAPE_ENGINES[self.engine][0])

    def prepare(self, target: Target, order: int, probe: object) -> Prepared:
        if self.module is None:
            raise DiffMagicError(f"`{self.key}` is a {self.kind} method, not a derivative's")
        return self.module.prepare(target, order, probe, engine=self.engine)


#: Every row diffmagic offers, of both kinds, in the order tables show them.
REGISTRY: tuple[Row, ...] = (
    Row("symbolic", "symbolic", "numpy", symbolic.LABEL, symbolic),
    Row("symbolic@jax", "symbolic", "jax", symbolic.LABEL + " on JAX", symbolic),
    Row("numerical", "numerical", "numpy", gradient.LABEL, gradient),
    Row("numerical@jax", "numerical", "jax", gradient.LABEL + " on JAX", gradient),
    Row(
        "finite_difference",
        "finite_difference",
        "numpy",
        finite_difference.LABEL,
        finite_difference,
    ),
    Row(
        "finite_difference@jax",
        "finite_difference",
        "jax",
        finite_difference.LABEL + " on JAX",
        finite_difference,
    ),
    Row("automatic", "automatic", "jax", automatic.LABEL, automatic),
    Row("automatic@eager", "automatic", "eager", jax_eager.LABEL, jax_eager),
    Row("autograd", "autograd", "autograd", autograd_engine.LABEL, autograd_engine),
    Row("torch", "torch", "torch", torch_engine.LABEL, torch_engine),
    Row("mygrad", "mygrad", "mygrad", mygrad_engine.LABEL, mygrad_engine),
    Row("symbolic", "symbolic", "numpy", "symbolic (SymPy)", kind="gradient"),
    Row("numerical", "numerical", "numpy", "numerical (central differences)", kind="gradient"),
    Row("forward", "forward", "jax", "forward mode (JAX jacfwd)", kind="gradient"),
    Row("reverse", "reverse", "jax", "reverse mode (JAX grad)", kind="gradient"),
)


def rows(kind: str = "derivative") -> dict[str, Row]:
    """The rows of one kind, by key, in table order."""
    return {row.key: row for row in REGISTRY if row.kind == kind}


#: The one-variable rows, by key, in the order they appear in tables and plots.
ROWS: dict[str, Row] = rows("derivative")

#: The one-variable methods, by key, in table order.
METHODS: dict[str, ModuleType] = {
    module.KEY: module for module in (symbolic, gradient, finite_difference, automatic)
}

#: Names a user may give for a method, by kind.
ALIASES: dict[str, dict[str, str]] = {
    "derivative": {
        "symbolic": "symbolic",
        "sympy": "symbolic",
        "numerical": "numerical",
        "numpy": "numerical",
        "gradient": "numerical",
        "np.gradient": "numerical",
        "finite_difference": "finite_difference",
        "finite-difference": "finite_difference",
        "fd": "finite_difference",
        "scipy": "finite_difference",
        "automatic": "automatic",
        "jax": "automatic",
        "autodiff": "automatic",
        "autograd": "autograd",
        "torch": "torch",
        "pytorch": "torch",
        "mygrad": "mygrad",
    },
    "gradient": {
        "symbolic": "symbolic",
        "sympy": "symbolic",
        "numerical": "numerical",
        "numeric": "numerical",
        "numpy": "numerical",
        "finite_difference": "numerical",
        "fd": "numerical",
        "central": "numerical",
        "forward": "forward",
        "jacfwd": "forward",
        "fwd": "forward",
        "reverse": "reverse",
        "jax": "reverse",
        "automatic": "reverse",
        "autodiff": "reverse",
        "grad": "reverse",
        "backprop": "reverse",
    },
}

#: Names a user may give when choosing one-variable methods: "numerical" asks for both
#: numerical rows.
GROUPS = {"numerical": ("numerical", "finite_difference"), "all": tuple(METHODS)}


def method_key(name: str, kind: str = "derivative") -> str:
    """The row key for any of a row's names (`"jax"`, `"symbolic@jax"`, `"fd@jax"`...); for
    gradients, "jax" and "automatic" mean reverse mode."""
    text = str(name).strip().lower()
    method, _, engine = text.partition("@")
    key = ALIASES[kind].get(method if kind == "derivative" else text)
    if key is None:
        offered = ", ".join(
            dict.fromkeys(row.method for row in rows(kind).values() if row.missing is None)
        )
        raise DiffMagicError(f"unknown method `{name}`: choose from {offered}")
    row_key = f"{key}@{engine}" if engine and f"{key}@{engine}" in ROWS else key
    if kind == "derivative" and engine and ROWS[row_key].engine != engine:
        raise DiffMagicError(f"`{key}` does not run on the {engine} engine")
    return row_key


def _names(names: object, offered: str) -> list[object]:
    """The names asked for as a list: a comma- or space-separated string, or a sequence."""
    if isinstance(names, str):
        names = [part for part in names.replace(",", " ").split() if part]
    try:
        requested = list(names)  # type: ignore[call-overload]
    except TypeError:
        raise DiffMagicError(f"methods must be a list of names, not {names!r}") from None
    if not requested:
        raise DiffMagicError(f"choose at least one method: {offered}")
    return requested


def select_gradient(names: object, allowed: Iterable[str] | None = None) -> tuple[str, ...]:
    """The gradient rows asked for (of `allowed`, default all), in table order, no repeats."""
    allowed = tuple(rows("gradient") if allowed is None else allowed)
    keys = {method_key(str(name), "gradient") for name in _names(names, ", ".join(allowed))}
    refused = sorted(keys - set(allowed))
    if refused:
        raise DiffMagicError(
            f"`{refused[0]}` is not offered here: choose from {', '.join(allowed)}"
        )
    return tuple(key for key in allowed if key in keys)


def _engines(engines: object) -> tuple[str, ...]:
    if isinstance(engines, str):
        engines = [part for part in engines.replace(",", " ").split() if part]
    try:
        chosen = tuple(str(e).strip().lower() for e in engines)  # type: ignore[union-attr]
    except TypeError:
        raise DiffMagicError(
            f"engines must be a list of names such as ('numpy', 'jax'), not {engines!r:.40}"
        ) from None
    unknown = [e for e in chosen if e not in ENGINES]
    if unknown or not chosen:
        raise DiffMagicError(
            f"unknown engine `{unknown[0] if unknown else ''}`: choose numpy, jax or both"
        )
    return chosen


def select(names: object, engines: Iterable[str] | str = ("numpy",)) -> tuple[str, ...]:
    """The one-variable rows asked for, in table order, without repeats.

    Each method runs on every engine asked for that it has; a method with none of them (JAX's
    own method on NumPy, np.gradient on JAX) runs on the engine it has.
    """
    requested = _names(names, "symbolic, numerical, automatic")
    wanted_engines = _engines(engines)
    chosen: set[str] = set()
    for name in requested:
        lowered = str(name).strip().lower()
        if lowered in GROUPS:
            methods = GROUPS[lowered]
        else:
            key = method_key(lowered)
            if "@" in key:
                chosen.add(key)
                continue
            methods = (key,)
        for method in methods:
            keys = [r.key for r in ROWS.values() if r.method == method]
            on_engine = [k for k in keys if ROWS[k].engine in wanted_engines]
            chosen.update(on_engine or keys[:1])
    for key in ROWS:
        if key in chosen and ROWS[key].missing is not None:
            raise DiffMagicError(ROWS[key].missing)
    return tuple(key for key in ROWS if key in chosen)
