"""The table's cells, worked out once for both the text and the HTML table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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


#: What the timing columns say, and the caption adds, when the comparison was not timed:
#: compare() does not time by default (the magic and the command line do).
TIMING_OFF_CELL = "off"
TIMING_OFF = "timing off: compare(..., timing=True) or Comparison.time() measures it"


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


#: How the magic and the command line turn timing on, after TIMING_OFF.
TIMING_ON_ELSEWHERE = "--timing in the magic and the command line"


def caption(comparison: Comparison, timing_hint: str = TIMING_ON_ELSEWHERE) -> str:
    """What the table compares; when it was not timed, how to time it (`timing_hint` says how
    in the front end showing it: the panel has its own button)."""
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
        text += f"; {TIMING_OFF} ({timing_hint})"
    return text


def footnotes(comparison: Comparison) -> list[str]:
    return [f"errors against {comparison.reference_label}", *comparison.notes]
