"""What a gradient comparison and a Jacobian comparison have in common: a row per method, the
table of rows indexed by method, and the choice of a stand-in reference.

The two differ in what a row holds (a gradient keeps its engine, its work and its values in the
structure of the point; a Jacobian is one matrix), not in how a row says whether it worked,
how it becomes JSON, or how a table is indexed and costed: that is written once, here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from diffmagic.jsonable import finite_or_none
from diffmagic.many import methods as gradient_methods
from diffmagic.many.methods import GradientTiming

#: Fallback references, best first, when SymPy gives no exact derivative.
STAND_INS = ("reverse", "forward", "numerical")
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


@dataclass(repr=False)
class MethodResult:
    """One method's derivative at the point: whether it worked, how far it is from the
    reference, and what it cost."""

    key: str
    label: str
    ok: bool
    error: str | None = None
    max_abs_error: float | None = None
    #: max |error| / max |reference|.
    max_rel_error: float | None = None
    #: Where the absolute error is largest: for a gradient a flat index, or (leaf key, index in
    #: the leaf); for a Jacobian (output index, flat input index).
    worst: Any = None
    timing: GradientTiming | None = None
    notes: list[str] = field(default_factory=list)
    #: This method stands in as the reference (no exact derivative was available).
    is_reference: bool = False

    @property
    def status(self) -> str:
        if not self.ok:
            return "failed"
        return "reference" if self.is_reference else "ok"

    def __repr__(self) -> str:
        kind = type(self).__name__
        if not self.ok:
            return f"<{kind} {self.key}: failed: {self.error}>"
        return f"<{kind} {self.key}: ok, max abs error {self._error_text()}>"

    def _error_text(self) -> str:
        """The max abs error as `__repr__` writes it."""
        return f"{self.max_abs_error}"

    def to_dict(self) -> dict[str, Any]:
        record = {
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
            **self._own_record(),
        }
        return {name: record[name] for name in RECORD_ORDER if name in record}

    def _own_record(self) -> dict[str, Any]:
        """The fields only this kind of row holds, ready for JSON."""
        return {}


def _jsonable_location(location: Any) -> Any:
    if isinstance(location, tuple):
        return [str(location[0]) if not isinstance(location[0], int) else location[0], location[1]]
    return location


Row = TypeVar("Row", bound=MethodResult)


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
        return list(self.results.values())

    def cost_in_f(self, key: str) -> float | None:
        """One warm derivative by `key` as a multiple of one evaluation of f."""
        row = self.results.get(key)
        if row is None or row.timing is None or self.f_seconds <= 0:
            return None
        return row.timing.eval_s / self.f_seconds

    def __repr__(self) -> str:
        return self.__str__()


def stand_in(results: Mapping[str, Row]) -> Row | None:
    """The best method that worked, marked as the reference (for when SymPy gives none)."""
    for key in STAND_INS:
        row = results.get(key)
        if row is not None and row.ok:
            row.is_reference = True
            return row
    return None
