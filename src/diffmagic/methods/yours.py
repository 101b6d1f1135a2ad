"""Your own derivative as a row: the learner's `dfdx`, judged against the reference, in words.

The lab writes `def dfdx(x): return 2*x` by hand. `compare(f, yours=dfdx)` evaluates it on the
grid as NumPy's f is evaluated (read-only input, point by point where it must be), measures it
against the 30-digit reference like every method, and says how it is wrong when it is
(`analysis.your_derivative`: a constant factor, a wrong sign, a missing chain-rule factor,
wrong on one side of a point...). Here: which functions are yours, and their values.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.target import Target, make_target
from diffmagic.methods.base import NumpyFunction


def names(yours: Any) -> frozenset[str]:
    """The names `yours` goes by, which a cell's text never offers as the function to
    differentiate: a function's own name, a dict's keys, the names given as text."""
    if yours is None:
        return frozenset()
    if isinstance(yours, str):
        return frozenset({yours.strip()})
    if isinstance(yours, Mapping):
        items = [*yours.keys(), *yours.values()]
    elif isinstance(yours, list | tuple):
        items = list(yours)
    else:
        items = [yours]
    found = set()
    for item in items:
        name = item.strip() if isinstance(item, str) else getattr(item, "__name__", None)
        if isinstance(name, str) and name.isidentifier():
            found.add(name)
    return frozenset(found)


def candidates(yours: Any, f: Any = None) -> dict[str, tuple[str, Callable[..., Any]]]:
    """Row key -> (label, function): "yours" for one function, "yours:NAME" for several.

    Text names a function of f's namespace (a cell's `dfdx`) or is an expression in x, as
    `--yours` is read.
    """
    if yours is None:
        return {}
    if isinstance(yours, str) or (
        isinstance(yours, list | tuple) and yours and all(isinstance(y, str) for y in yours)
    ):
        yours = resolve([yours] if isinstance(yours, str) else list(yours), f, "yours={!r}")
    if callable(yours):
        return {"yours": (label_of("yours", yours), yours)}
    if isinstance(yours, Mapping):
        items = list(yours.items())
    elif isinstance(yours, list | tuple):
        items = [
            (getattr(function, "__name__", f"{index + 1}"), function)
            for index, function in enumerate(yours)
        ]
    else:
        raise DiffMagicError(
            f"yours must be your derivative, a function such as dfdx, not {type(yours).__name__}"
        )
    chosen: dict[str, tuple[str, Callable[..., Any]]] = {}
    for name, function in items:
        if not callable(function):
            raise DiffMagicError(f"yours[{name!r}] is not a function")
        chosen[f"yours:{name}" if len(items) > 1 else "yours"] = (f"yours ({name})", function)
    return chosen


def resolve(
    names: list[str], f: Any, said: str = "--yours {}"
) -> dict[str, Callable[..., Any]] | None:
    """The functions `--yours NAME` names: from the namespace f was defined in (the notebook's
    or the file's), or an expression in x (`--yours "2*x"`) on the command line."""
    from diffmagic.inputs.expression import expression_to_function, looks_like_expression

    if not names:
        return None
    namespace = getattr(f, "__globals__", None) or {}
    chosen: dict[str, Callable[..., Any]] = {}
    for name in names:
        text = str(name).strip()
        if text.isidentifier() and text in namespace:
            if not callable(namespace[text]):
                raise DiffMagicError(f"{said.format(text)}: `{text}` is not a function")
            chosen[text] = namespace[text]
        elif looks_like_expression(text) and not (text.isidentifier() and text != "x"):
            chosen[text] = expression_to_function(text)
        else:
            raise DiffMagicError(
                f"{said.format(text)}: no function `{text}` is defined; define it in the cell "
                "(def dfdx(x): ...) or give an expression such as '2*x'"
            )
    return chosen


def _target_of(function: Callable[..., Any], target: Target) -> Target:
    """Your derivative as a function of the same variable, with the same fixed values, named
    as yours in every message ("your derivative returns None", never "f returns None")."""
    try:
        accepted = set(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        accepted = set()
    params = {name: value for name, value in target.fixed.items() if name in accepted}
    wrt = target.wrt if target.wrt in accepted else None
    yours = make_target(function, wrt=wrt, params=params, unnamed="yours")
    return dataclasses.replace(yours, name=culprit(function))


def culprit(function: Callable[..., Any]) -> str:
    """Your derivative as reasons name it: `your derivative`, or `your derivative dfdx`."""
    name = getattr(function, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        return "your derivative"
    return f"your derivative {name}"


def label_of(key: str, function: Callable[..., Any]) -> str:
    """`yours (dfdx)`: the name it was given, else its own (a lambda has none worth showing)."""
    name = key.partition(":")[2] or getattr(function, "__name__", "")
    return f"yours ({name})" if name and name != "<lambda>" else "yours"


def evaluate(function: Callable[..., Any], target: Target, grid: np.ndarray) -> np.ndarray:
    """Your derivative on the grid, evaluated as NumPy's f is (MethodFailure when it cannot)."""
    values = NumpyFunction(_target_of(function, target), grid)
    return values(grid)
