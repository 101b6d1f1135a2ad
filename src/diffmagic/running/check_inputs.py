"""What a gradient check is given, checked before any work: the options, f's value, your gradient.

Every argument of `check_gradient` is refused in one line naming what was given and what is
wanted (`rtol="1e-3"` is text, `directions=10**7` would need 149 GiB), before f is called once.
`Point` then carries what the rest of the check needs: f at the point (NumPy's, the truth every
reference is checked against), your gradient laid out as one flat vector, the float widths.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.pytree import Flat
from diffmagic.limits.bounds import check_seconds
from diffmagic.methods.precision import narrowest, width

#: Random directions at most (each is a vector of n numbers, kept in the result).
MAX_DIRECTIONS = 1_000
#: Bytes the directions may take in all.
MAX_DIRECTION_BYTES = 256 << 20
MODES = ("full", "directions")


class UserCodeFailure(DiffMagicError):
    """The user's f or gradient raised, or ran past the check's time limit (the message says
    which); `timed_out` tells the two apart: a timeout ends the check, an error may not."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass(frozen=True)
class Options:
    """The caller's options, each checked."""

    rtol: float | None
    atol: float | None
    mode: str | None
    directions: int | None
    seed: int
    time_limit: float


def _number(value: Any, name: str, example: str) -> float:
    if isinstance(value, bool | str | bytes) or not isinstance(value, int | float | np.number):
        raise DiffMagicError(f"{name} must be a number such as {example}, not {value!r:.40}")
    number = float(value)
    if not math.isfinite(number):
        raise DiffMagicError(f"{name} must be a finite number such as {example}, not {value!r}")
    return number


def _whole(value: Any, name: str, example: str) -> int:
    if isinstance(value, bool | str | bytes):
        raise DiffMagicError(f"{name} must be a whole number such as {example}, not {value!r:.40}")
    try:
        return operator.index(value)
    except TypeError:
        raise DiffMagicError(
            f"{name} must be a whole number such as {example}, not {value!r:.40}"
        ) from None


def checked_options(
    grad: Any,
    rtol: Any,
    atol: Any,
    mode: Any,
    directions: Any,
    seed: Any,
    time_limit: Any,
) -> Options:
    """Every option of `check_gradient`, or a one-line refusal of the first bad one."""
    if not callable(grad):
        raise DiffMagicError(
            f"grad must be a function of the parameters (grad(at) -> the gradient), not "
            f"{type(grad).__name__} {grad!r:.30}"
        )
    if rtol is not None:
        rtol = _number(rtol, "rtol", "1e-6")
        if not 0 < rtol < 1:
            raise DiffMagicError(f"rtol must be between 0 and 1, such as 1e-6, not {rtol!r}")
    if atol is not None:
        atol = _number(atol, "atol", "1e-9")
        if atol < 0:
            raise DiffMagicError(f"atol must be zero or positive, not {atol!r}")
    if mode is not None and (not isinstance(mode, str) or mode not in MODES):
        raise DiffMagicError(f"mode is 'full' or 'directions', not {mode!r:.40}")
    if directions is not None:
        directions = _whole(directions, "directions", "16")
        if not 1 <= directions <= MAX_DIRECTIONS:
            raise DiffMagicError(
                f"directions must be from 1 to {MAX_DIRECTIONS:,}, not {directions:,}"
            )
    seed = _whole(seed, "seed", "0")
    if seed < 0:
        raise DiffMagicError(f"seed must be zero or positive, not {seed}")
    return Options(rtol, atol, mode, directions, seed, check_seconds(time_limit, "time_limit"))


def check_direction_memory(count: int, size: int) -> None:
    """Refuse directions that would not fit in memory, before any is drawn."""
    if count * size * 8 > MAX_DIRECTION_BYTES:
        raise DiffMagicError(
            f"{count:,} random directions of {size:,} parameters would take "
            f"{count * size * 8 / 2**30:.1f} GiB: ask for fewer directions"
        )


def scalar(value: Any, name: str) -> tuple[float, str]:
    """f's value as a float, and its float width; refused when it is not one real number."""
    array = np.asarray(value)
    if array.size != 1:
        raise DiffMagicError(
            f"{name}(at) returned shape {array.shape}: a gradient check needs f to return one "
            "number (sum a vector loss, or check each output)"
        )
    if array.dtype.kind not in "iuf" and width(array) == "float64":
        raise DiffMagicError(f"{name}(at) returned {array.dtype} values, not a real number")
    return float(array.reshape(())), width(value)


def user_gradient(flat: Flat, value: Any) -> tuple[np.ndarray, str]:
    """`grad(at)` laid out as `flat` lays out `at`, and the narrowest float width in it.

    NaN in the user's gradient is not bad input: it is a wrong gradient, and is reported so.
    """
    if value is None:
        raise DiffMagicError("grad(at) returned None: return the gradient, shaped like `at`")
    parts: list[np.ndarray] = []
    widths = ["float64"]
    for leaf in flat.leaves:
        node, where = leaf_of(value, leaf.path, "grad(at)", flat)
        try:
            array = np.asarray(node)
        except Exception:
            raise DiffMagicError(f"{where} is a {type(node).__name__}, not an array") from None
        if array.dtype.kind not in "iuf" and width(array) == "float64":
            raise DiffMagicError(f"{where} holds {array.dtype} values, not real numbers")
        if tuple(array.shape) != leaf.shape:
            expected = "at" + "".join(f"[{k!r}]" for k in leaf.path)
            raise DiffMagicError(
                f"{where} has shape {tuple(array.shape)}, but {expected} has shape {leaf.shape}:"
                " the gradient must be shaped like the parameters"
            )
        widths.append(width(array))
        parts.append(np.asarray(array, dtype=np.float64).ravel())
    extra = _extra_entries(flat, value)
    if extra:
        raise DiffMagicError(
            f"grad(at) has {extra} that `at` does not: it must return the same structure as "
            f"`at` ({flat.shape_text()})"
        )
    return np.concatenate(parts), narrowest(*widths)


def leaf_of(value: Any, path: tuple[Any, ...], where: str, flat: Flat) -> tuple[Any, str]:
    """The entry of a pytree at `path`, and how to name it; refused when it is missing."""
    node = value
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise DiffMagicError(
                f"{where} has no entry [{key!r}]: it must return the same structure as "
                f"`at` ({flat.shape_text()})"
            ) from None
        where += f"[{key!r}]"
    return node, where


def point_width(flat: Flat) -> str:
    """The narrowest float width among the leaves of `at`."""
    widths = ["float64"]
    for leaf in flat.leaves:
        node, _ = leaf_of(flat.at, leaf.path, "at", flat)
        widths.append(width(node))
    return narrowest(*widths)


def _extra_entries(flat: Flat, value: Any) -> str | None:
    """A key or position of `value` with no leaf of `at` under it, in words."""
    prefixes = {leaf.path[:depth] for leaf in flat.leaves for depth in range(len(leaf.path) + 1)}

    def walk(node: Any, path: tuple[Any, ...]) -> str | None:
        if path not in prefixes:
            return "an entry " + "".join(f"[{k!r}]" for k in path)
        if any(leaf.path == path for leaf in flat.leaves):
            return None
        if isinstance(node, Mapping):
            items = list(node.items())
        elif isinstance(node, list | tuple):
            items = list(enumerate(node))
        else:
            return None
        for key, child in items:
            found = walk(child, (*path, key))
            if found:
                return found
        return None

    return walk(value, ())


@dataclass
class Point:
    """What every part of a check shares: f, the point, f's value there, your gradient."""

    function: Callable[..., Any]
    name: str
    flat: Flat
    #: NumPy's f at the point: the value every reference's own f(at) is checked against.
    f0: float
    #: NumPy's f of a flat float64 vector, as a float; called only inside `run` (which holds
    #: the time limit for a whole sequence of calls).
    of_flat: Callable[[np.ndarray], float]
    #: Runs a piece of work that calls the user's code under the check's time limit.
    run: Callable[..., Any]
    yours: np.ndarray
    #: Float widths of `at`, of your gradient and of f's value.
    widths: dict[str, str]
    #: Seconds one call of f takes (sizes what is affordable).
    f_seconds: float
    rng: np.random.Generator
    #: Why better references were passed over, in the order they were tried.
    passed_over: list[str] = field(default_factory=list)
    #: Coordinates along which f jumps (kinks.Jump), found while references were confirmed;
    #: `more_jumps` when more were left unnamed.
    jumps: list[Any] = field(default_factory=list)
    more_jumps: bool = False
    #: Directions already differenced, with the derivative estimated along each
    #: (check_estimates.Estimate): every reference is checked against the same numbers.
    looks: list[tuple[np.ndarray, Any]] = field(default_factory=list)
