"""The number of points and of seconds a caller asks for, checked before any work starts.

Both refuse in one line that shows an example of what is wanted: `compare`, the magic and the
command line pass on what the learner typed, and the refusal is what the learner reads.
"""

from __future__ import annotations

import math
import operator

from diffmagic.errors import DiffMagicError

#: Grid points above this are refused before anything is allocated (8 MB an array).
MAX_POINTS = 1_000_000


def _as_float(value: object) -> float | None:
    """`float(value)`, or None for anything that is not a number (the caller words why)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def check_seconds(seconds: object, name: str = "time limit") -> float:
    """A positive number of seconds (infinity meaning no limit), or a one-line refusal."""
    value = None if isinstance(seconds, bool) else _as_float(seconds)
    if value is None:
        raise DiffMagicError(f"{name} must be a number of seconds such as 5, not {seconds!r}")
    if math.isnan(value) or value <= 0:
        raise DiffMagicError(f"{name} must be more than 0 seconds, not {seconds!r}")
    return value


def check_points(points: object, name: str = "points", limit: int = MAX_POINTS) -> int:
    """A whole number of points from 2 to `limit`, or a one-line refusal.

    NumPy integers and whole floats are accepted (`np.int64(50)`, `50.0`); strings are not:
    the API takes numbers, and the front ends convert their text before calling this.
    """
    if isinstance(points, bool | str | bytes):
        raise DiffMagicError(f"{name} must be a whole number such as 100, not {points!r}")
    try:
        count = operator.index(points)  # int, np.int64, ...
    except TypeError:
        value = _as_float(points)
        if value is None or not value.is_integer():
            raise DiffMagicError(
                f"{name} must be a whole number such as 100, not {points!r}"
            ) from None
        count = int(value)
    if count < 2:
        raise DiffMagicError(f"{name} must be at least 2, not {count}")
    if count > limit:
        raise DiffMagicError(f"{name} is {count:,}; the limit is {limit:,} on this machine")
    return count
