"""The methods diffmagic compares, each in a module of its own with the same shape.

Every module has `KEY`, `LABEL` and `prepare(target, order, probe) -> Prepared`; `prepare`
raises `MethodFailure` with a learner's one-line reason when it cannot produce a derivative.
"""

from __future__ import annotations

from types import ModuleType

from diffmagic.errors import DiffMagicError
from diffmagic.methods import automatic, finite_difference, gradient, symbolic

#: Rows in the order they appear in tables and plots.
METHODS: dict[str, ModuleType] = {
    module.KEY: module for module in (symbolic, gradient, finite_difference, automatic)
}

#: Names a user may give for a row.
ALIASES = {
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
}

#: Names a user may give when choosing methods: "numerical" asks for both numerical rows.
GROUPS = {"numerical": ("numerical", "finite_difference"), "all": tuple(METHODS)}


def method_key(name: str) -> str:
    """The row key for any of a row's names."""
    key = ALIASES.get(str(name).strip().lower())
    if key is None:
        raise DiffMagicError(
            f"unknown method `{name}`: choose from "
            "symbolic, numerical, finite_difference, automatic"
        )
    return key


def select(names: object) -> tuple[str, ...]:
    """The row keys asked for, in table order, without repeats."""
    if isinstance(names, str):
        names = [part for part in names.replace(",", " ").split() if part]
    try:
        requested = list(names)  # type: ignore[call-overload]
    except TypeError:
        raise DiffMagicError(f"methods must be a list of names, not {names!r}") from None
    if not requested:
        raise DiffMagicError("choose at least one method: symbolic, numerical, automatic")
    chosen: set[str] = set()
    for name in requested:
        lowered = str(name).strip().lower()
        chosen.update(GROUPS.get(lowered) or (method_key(lowered),))
    return tuple(key for key in METHODS if key in chosen)
