"""Numbers as JSON can hold them: NaN and infinities become None (`to_dict()` everywhere), and
a whole comparison as JSON (`Comparison.to_dict()`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from diffmagic.results.comparison import Comparison


def finite_or_none(value: Any) -> float | None:
    """`value` as a float, or None when it is None, NaN or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def comparison_dict(comparison: Comparison) -> dict[str, Any]:
    """`Comparison.to_dict()`: the function, the grid, the reference, the notes, each row."""
    return {
        "function": comparison.target.label,
        "source": comparison.target.source,
        "wrt": comparison.target.wrt,
        "params": {name: _parameter(value) for name, value in comparison.target.fixed.items()},
        "order": comparison.order,
        "domain": list(comparison.domain),
        "points": int(comparison.x.size),
        "x": [float(v) for v in comparison.x],
        "f": [finite_or_none(v) for v in comparison.f_values],
        "function_expr": _text_or_none(comparison.function_expr),
        "derivative_expr": _text_or_none(comparison.derivative_expr),
        "reference": comparison.reference_label,
        "nondifferentiable": [
            {"x": point.x, "kind": point.kind} for point in comparison.singularities
        ],
        "notes": list(comparison.notes),
        "extrema": None
        if comparison.extrema is None
        else [
            {"x": p.x, "f": finite_or_none(p.f), "kind": p.kind, "found_by": p.found_by}
            for p in comparison.extrema
        ],
        "methods": {key: result.to_dict() for key, result in comparison.results.items()},
    }


def _text_or_none(expression: Any) -> str | None:
    """A SymPy expression as text, or None when there is none."""
    return None if expression is None else str(expression)


def _parameter(value: Any) -> Any:
    """A fixed parameter's value: a number as it is, an array as a list, else its repr."""
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    try:
        return np.asarray(value, dtype=float).tolist()
    except (TypeError, ValueError):
        return repr(value)
