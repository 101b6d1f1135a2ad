"""The rows of a gradient comparison and of a Jacobian comparison, and the table of rows.

Both are `diffmagic.results.comparison.MethodResult`: one row type, whose status comes from the one
verdict (`verdicts.judge`) for a grid of f', a gradient and a Jacobian alike. What differs is
what a row holds (a gradient keeps its values in the structure of the point, a Jacobian is one
matrix) and the JSON it writes; how a table is indexed and costed is written once, here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

from diffmagic.methods import gradients as gradient_methods
from diffmagic.results.jsonable import finite_or_none
from diffmagic.results.method_result import MethodResult

#: The order of a row's fields in `to_dict()`, the order its JSON has always had; a kind of
#: row leaves out the fields it does not hold.
RECORD_ORDER = (
    "key",
    "label",
    "ok",
    "error",
    "status",
    "engine",
    "max_abs_error",
    "max_rel_error",
    "worst",
    "worst_text",
    "timing",
    "notes",
    "is_reference",
    "work",
    "values",
)


def _jsonable_location(location: Any) -> Any:
    if isinstance(location, tuple):
        return [str(location[0]) if not isinstance(location[0], int) else location[0], location[1]]
    return location


@dataclass(repr=False)
class PointResult(MethodResult):
    """A row of derivatives at one point: its values flat (`flat_values`) for the verdict."""

    #: The derivative as one float64 vector (None when the method failed).
    flat_values: np.ndarray | None = None
    #: Central differences' own record (numerical row only): error estimates, breaks.
    differences: Any = field(default=None, repr=False)

    def _record(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "ok": self.ok,
            "error": self.error,
            "status": self.status,
            "max_abs_error": finite_or_none(self.max_abs_error),
            "max_rel_error": finite_or_none(self.max_rel_error),
            "worst": _jsonable_location(self.worst),
            "timing": None if self.timing is None else self.timing.to_dict(),
            "notes": list(self.notes),
            "is_reference": self.is_reference,
        }

    def to_dict(self) -> dict[str, Any]:
        record = {**self._record(), **self._own_record()}
        return {name: record[name] for name in RECORD_ORDER if name in record}

    def _own_record(self) -> dict[str, Any]:
        """The fields only this kind of row holds, ready for JSON."""
        return {}


@dataclass(repr=False)
class GradientResult(PointResult):
    """One method's gradient at the point, how far it is from the reference, what it cost.

    `values` is the gradient in the structure and shapes of `at`; `worst` is where its error
    is largest (a flat index, or (leaf key, index in the leaf)), `worst_text` the same as a
    reader writes it ("w[7]", "W1[3, 2]").
    """

    worst_text: str | None = None
    #: What the method built, in its own unit ("1,234 operations written out").
    work: Any = None

    def _own_record(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "worst_text": self.worst_text,
            "work": self.work,
            "values": None
            if self.flat_values is None
            else [finite_or_none(v) for v in self.flat_values],
        }


@dataclass(repr=False)
class JacobianResult(PointResult):
    """One method's Jacobian (`values`, shape (m, n)), its error and its cost; `worst` is
    (output index, flat input index)."""


Row = TypeVar("Row", bound=PointResult)


class MethodTable(Generic[Row]):
    """Rows by method key, and the one evaluation of f that their cost is counted in.

    A subclass sets `results` and `f_seconds`, and gives `__str__` and `_repr_html_`.
    """

    results: dict[str, Row]
    f_seconds: float

    def __getitem__(self, name: str) -> Row:
        key = gradient_methods.method_key(name)
        if key not in self.results:
            raise KeyError(f"method `{name}` was not run; this comparison has {', '.join(self)}")
        return self.results[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.results)

    def rows(self) -> list[Row]:
        """The rows, one per method, in the order they were asked for."""
        return list(self.results.values())

    @property
    def failures(self) -> dict[str, str]:
        """The rows that are not ok, with their one-line reasons (the CLI exits 1 if any)."""
        return {key: row.error or row.status for key, row in self.results.items() if not row.ok}

    def cost_in_f(self, key: str) -> float | None:
        """One warm derivative by `key` as a multiple of one evaluation of f.

        Parameters
        ----------
        key : str
            A method's key, as the rows have it ("reverse", "numerical", ...).

        Returns
        -------
        float or None
            Seconds of one derivative over seconds of one f; None when `key` did not run, has
            no timing, or f's time is not measurable.
        """
        row = self.results.get(key)
        if row is None or row.timing is None or self.f_seconds <= 0:
            return None
        return row.timing.eval_s / self.f_seconds

    def __repr__(self) -> str:
        return self.__str__()
