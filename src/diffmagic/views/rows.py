"""The table's cells, worked out once for both the text and the HTML table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from diffmagic.timing import format_time

if TYPE_CHECKING:
    from diffmagic.comparison import Comparison, MethodResult

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


def row(result: MethodResult) -> Row:
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
    warm = format_time(result.timing.eval_s) if result.timing else "—"
    # The lab's measurement: one call, cold for JAX at a new size (compiling included).
    first = format_time(result.timing.first_call_s) if result.timing else "—"
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
    return [row(result) for result in comparison]


def caption(comparison: Comparison) -> str:
    low, high = comparison.domain
    text = (
        f"{comparison.derivative_name} of {comparison.target.label} on [{low:g}, {high:g}], "
        f"{comparison.x.size:,} points"
    )
    if comparison.timing_points:
        points = comparison.timing_points
        text += (
            f"; warm eval is the median time of one evaluation at {points:,} points, first call "
            "the first one (as the lab timed it)"
        )
    return text


def footnotes(comparison: Comparison) -> list[str]:
    return [f"errors against {comparison.reference_label}", *comparison.notes]
