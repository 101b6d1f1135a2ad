"""The table's cells, worked out once for both the text and the HTML table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from diffmagic.inputs.reader import PYTHON, spelled
from diffmagic.running.timing import NO_ONE_OFF_COST, format_time

if TYPE_CHECKING:
    from diffmagic.api.compare import Comparison, MethodResult

HEADERS = (
    "method",
    "engine",
    "status",
    "setup",
    "warm eval",
    "first call",
    "max abs error",
    "max rel error",
    "work",
)


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    ok: bool
    notes: tuple[str, ...]


def _error(value: float | None, result: MethodResult) -> str:
    if result.is_reference:
        return "reference"
    if value is None:
        return "—"
    return f"{value:.2e}"


#: What the timing columns say when the comparison was not timed: compare() does not time by
#: default (the magic and the command line do).
TIMING_OFF_CELL = "off"
#: How to time it, after "timing off: ", for a reader in Python and of the magic or command line.
TIMING_ON_IN_PYTHON = "compare(..., timing=True) or Comparison.time() measures it"
TIMING_ON_BY_OPTIONS = "drop --no-timing (or give --timing) to measure it"


def row(result: MethodResult, timed: bool = True) -> Row:
    if not result.ok:
        # An inaccurate row keeps its measured errors: wrong, and flagged as such.
        errors = (_error(result.max_abs_error, result), _error(result.max_rel_error, result))
        cells = (
            result.label,
            result.engine or "—",
            result.status,
            *("—",) * (len(HEADERS) - 6),
            *errors,
            "—",
        )
        return Row(cells, False, (result.error or "failed",))
    setup = result.timing.setup_s if result.timing else result.setup_s
    untimed = "—" if timed else TIMING_OFF_CELL
    # The lab's measurement: one call, cold for JAX at a new size (compiling included).
    warm, first = result.timing.cells() if result.timing else (untimed, untimed)
    cells = (
        result.label,
        result.engine,
        result.status,
        format_time(setup) + (" (cached)" if result.cached else ""),
        warm,
        first,
        _error(result.max_abs_error, result),
        _error(result.max_rel_error, result),
        str(result.work) if result.work else "—",
    )
    return Row(cells, True, tuple(result.notes))


def rows(comparison: Comparison) -> list[Row]:
    timed = comparison.timing_points is not None
    return [row(result, timed) for result in comparison]


def timing_off(comparison: Comparison, timing_hint: str | None = None) -> str:
    """`timing off: ` and how to time it, spelt for who asked (`Request.reader`: the keyword
    in Python, the option in the magic and the command line); `timing_hint` names another way
    (the panel's own button)."""
    if timing_hint is not None:
        return f"timing off: {timing_hint} measures it"
    request = getattr(comparison, "request", None)
    reader = getattr(request, "reader", PYTHON)
    how = spelled(reader, python=TIMING_ON_IN_PYTHON, options=TIMING_ON_BY_OPTIONS)
    return f"timing off: {how}"


def caption(comparison: Comparison, timing_hint: str | None = None) -> str:
    """What the table compares; when it was not timed, how to time it (`timing_off`)."""
    low, high = comparison.domain
    text = (
        f"{comparison.derivative_name} of {comparison.target.label} on [{low:g}, {high:g}], "
        f"{comparison.x.size:,} points"
    )
    if comparison.timing_points:
        points = comparison.timing_points
        text += (
            f"; warm eval is the median time of one evaluation at {points:,} points, first call "
            f'the first one, on the same points (as the lab timed it; "{NO_ONE_OFF_COST}" when '
            "it cost no more than a warm one: nothing was compiled for it)"
        )
    else:
        text += f"; {timing_off(comparison, timing_hint)}"
    return text


def footnotes(comparison: Comparison) -> list[str]:
    return [f"errors against {comparison.reference_label}", *comparison.notes]
