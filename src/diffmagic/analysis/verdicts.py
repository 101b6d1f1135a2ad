"""When a row may say "ok": one verdict for every row diffmagic shows.

A row is a derivative some method computed: values on a grid (`compare`), a gradient or a
Jacobian at a point (`compare_gradient`, `compare_jacobian`), your own derivative, the graph's
derivative at x0. Whatever its shape, its values are flattened and `judge` gives its verdict
against the reference (`Reference`, chosen in `reference_choice`) with the same tolerances and
the same words everywhere:

* ok: finite wherever the derivative exists, and within its method's tolerance (`tolerance`)
  of an exact reference, or of a stand-in that an independent method confirms;
* inaccurate: values, but further off than the method promises (or its own error estimate is);
* failed: no values (the reason is the method's own);
* reference: the row that stands in when no exact derivative exists (never "ok");
  "reference (unconfirmed)" when no independent method agrees with it;
* unconfirmed: within tolerance of a stand-in nothing confirms, or nothing to measure against;
* wrong: your own derivative, off by more than round-off;
* no derivative: at a point where the derivative does not exist (a corner, a jump), the row
  says so instead of "ok", whatever it computed there.

The checks that a backend computes NumPy's f come first (`fidelity.py`). Numbers only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

OK = "ok"
INACCURATE = "inaccurate"
FAILED = "failed"
REFERENCE = "reference"
UNCONFIRMED_REFERENCE = "reference (unconfirmed)"
UNCONFIRMED = "unconfirmed"
WRONG = "wrong"
NO_DERIVATIVE = "no derivative"
#: The statuses a row's `.ok` is True for: only these vouch for its values.
VOUCHED = (OK, REFERENCE)

#: Kinds of method, by what they promise. Exact kinds (SymPy, JAX in any mode, a formula
#: evaluated in floating point) are exact up to round-off; differences lose digits to their
#: step; np.gradient's error is its grid's, shown on purpose; yours is a formula written by hand.
EXACT = "exact"
DIFFERENCES = "differences"
GRID = "np.gradient"
YOURS = "yours"

#: Largest error of an exact-kind row, relative to the scale of the derivative, by precision.
EXACT_TOLERANCE = {"float64": 1e-7, "float32": 1e-5, "float16": 1e-2, "bfloat16": 5e-2}
#: A hand-written derivative may differ from the reference by round-off only.
YOURS_TOLERANCE = 1e-6


def tolerance(kind: str, order: int = 1, precision: str = "float64") -> float | None:
    """Largest error, relative to the derivative's scale (`scale`), a method of `kind` may have.

    Finite differences lose digits with each order, and far more when f itself is only float32
    or float16; np.gradient has none (its truncation error is what the course shows).
    """
    if kind == GRID:
        return None
    if kind == YOURS:
        return YOURS_TOLERANCE
    if kind == EXACT:
        return EXACT_TOLERANCE.get(precision, EXACT_TOLERANCE["float64"])
    if precision in ("float16", "bfloat16"):
        return 0.3
    if precision == "float32":
        return 3e-3 * 10 ** (order - 1)
    return min(1e-5 * 10 ** (order - 1), 1e-2)


@dataclass(frozen=True)
class Reference:
    """What every row is measured against: exact, or a stand-in (a row's own values).

    `values` are flat float64 (NaN where there is none); `label` says what they are in the
    table's words; `against` names them inside a reason ("the exact derivative").
    """

    values: np.ndarray
    exact: bool
    label: str
    against: str
    #: The key of the row that stands in (None for an exact reference).
    stand_in: str | None = None
    #: The key of an independent method that agrees with the stand-in (None: nothing does).
    confirmed_by: str | None = None
    #: How closely that agreement vouches for the stand-in (the looser of the two methods'
    #: tolerances): a row of the stand-in's own family promising more is not vouched for.
    confirmed_to: float = 0.0
    #: The family of the stand-in (`reference_choice`: "jax", "differences", ...).
    family: str = ""

    @property
    def confirmed(self) -> bool:
        """Exact, or a stand-in that an independent method agrees with."""
        return self.exact or self.confirmed_by is not None


@dataclass(frozen=True)
class Verdict:
    """A row's status, the reason when it is not ok, and its errors against the reference."""

    status: str
    reason: str | None = None
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    #: Flat index of the largest error (None when nothing was measured).
    worst: int | None = None
    #: Values that are NaN or inf where the derivative exists and the reference is finite.
    nonfinite: int = 0
    #: Words shown after the status: "float32".
    qualifiers: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.status in VOUCHED

    @property
    def word(self) -> str:
        """The status as the table shows it: `ok (float32)`."""
        if self.status == OK and self.qualifiers:
            return f"ok ({', '.join(self.qualifiers)})"
        return self.status


NOT_MEASURED = (
    "not measured: the reference has no finite value where f is defined, so nothing vouches "
    "for this row"
)
NO_REFERENCE = "not measured: no method produced a derivative to judge it by"


def _flat(values: object) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(values, dtype=np.float64).reshape(-1)


def errors(
    values: np.ndarray, reference: np.ndarray, usable: np.ndarray
) -> tuple[float | None, float | None, int | None, int]:
    """(max abs error, that relative to max |reference|, its flat index, non-finite values)
    over the usable points where the row is finite."""
    nonfinite = int(np.count_nonzero(usable & ~np.isfinite(values)))
    both = usable & np.isfinite(values)
    if not np.any(both):
        return None, None, None, nonfinite
    with np.errstate(all="ignore"):
        difference = np.where(both, np.abs(values - reference), -1.0)
    worst = int(np.argmax(difference))
    max_abs = float(difference[worst])
    peak = float(np.max(np.abs(reference[usable])))
    return max_abs, (max_abs / peak if peak > 0 else max_abs), worst, nonfinite


@dataclass(frozen=True)
class Row:
    """What `judge` needs to know of a row besides its values: who computed it and how."""

    key: str
    label: str
    kind: str
    order: int = 1
    precision: str = "float64"
    #: Who computed it (`reference_choice` families): a row of another family than the
    #: stand-in that agrees with it is itself an independent confirmation.
    family: str = ""


@dataclass(frozen=True)
class Place:
    """Where the values live: how to name a flat index, and where the derivative exists.

    `locate(i)` writes index i as a reader would ("x = 0.5", "w[3]", "W1[1, 2]"); `unit`
    counts indices in a reason ("points", "coordinates", "entries"); `quantity` names the
    derivative ("f'", "∇f", "J"). `exists` is False where the derivative does not exist
    (a corner, a jump, outside f's domain); at one point (`at_point`) that voids "ok" and
    `missing` says why in words, on a grid those points are only left out.
    """

    locate: Callable[[int], str]
    unit: str = "points"
    quantity: str = "f'"
    exists: np.ndarray | None = None
    at_point: bool = False
    missing: str | None = None
    #: The derivative's smallest meaningful size (`resolvable`): errors are measured against
    #: at least this.
    floor: float = 0.0


def judge(
    values: object,
    reference: Reference | None,
    row: Row,
    place: Place,
    mismatch: Callable[[np.ndarray, np.ndarray, np.ndarray], str | None] | None = None,
    no_reference: str = NO_REFERENCE,
) -> Verdict:
    """The verdict on one row's values against the reference (see the module's statuses).

    `mismatch(values, reference, usable)` words a hand-written derivative's error (yours rows
    only), returning None when it is right; `no_reference` says why there is no reference
    when `reference` is None.
    """
    values = _flat(values)
    qualifiers = (row.precision,) if row.precision != "float64" else ()
    exists = np.ones(values.shape, bool) if place.exists is None else place.exists.reshape(-1)
    if place.at_point and exists.size and not np.any(exists):
        return Verdict(NO_DERIVATIVE, place.missing)
    if reference is None:
        return Verdict(UNCONFIRMED, no_reference, qualifiers=qualifiers)
    target = _flat(reference.values)
    usable = exists & np.isfinite(target)
    if not np.any(usable):
        return Verdict(UNCONFIRMED, NOT_MEASURED, qualifiers=qualifiers)
    if row.key == reference.stand_in:
        if place.at_point and not np.all(exists):
            return Verdict(NO_DERIVATIVE, place.missing, 0.0, 0.0)
        if reference.confirmed:
            return Verdict(REFERENCE, None, 0.0, 0.0, qualifiers=qualifiers)
        return Verdict(UNCONFIRMED_REFERENCE, _unconfirmed_reference(reference), 0.0, 0.0)
    max_abs, max_rel, worst, nonfinite = errors(values, target, usable)
    measured = dict(max_abs_error=max_abs, max_rel_error=max_rel, worst=worst, nonfinite=nonfinite)
    failure = _failure(values, target, usable, row, place, reference, mismatch)
    if failure is not None:
        status = WRONG if row.kind == YOURS else INACCURATE
        return Verdict(status, failure, qualifiers=qualifiers, **measured)
    if not reference.confirmed:
        return Verdict(UNCONFIRMED, _unconfirmed(reference), qualifiers=qualifiers, **measured)
    limit = tolerance(row.kind, row.order, row.precision)
    loose = limit is not None and limit < reference.confirmed_to
    if not reference.exact and loose and row.family == reference.family:
        reason = (
            f"agrees with {reference.against}, which an independent method confirms only to "
            f"{reference.confirmed_to:g}: not vouched for to {limit:g}"
        )
        return Verdict(UNCONFIRMED, reason, qualifiers=qualifiers, **measured)
    if place.at_point and not np.all(exists):
        return Verdict(NO_DERIVATIVE, place.missing, qualifiers=qualifiers, **measured)
    return Verdict(OK, None, qualifiers=qualifiers, **measured)


def _failure(
    values: np.ndarray,
    target: np.ndarray,
    usable: np.ndarray,
    row: Row,
    place: Place,
    reference: Reference,
    mismatch: Callable[[np.ndarray, np.ndarray, np.ndarray], str | None] | None,
) -> str | None:
    """Why the row cannot be ok against the reference, or None."""
    nonfinite = usable & ~np.isfinite(values)
    if np.any(nonfinite):
        first = int(np.flatnonzero(nonfinite)[0])
        return (
            f"gives NaN or inf at {int(np.count_nonzero(nonfinite))} of "
            f"{int(np.count_nonzero(usable))} {place.unit} where {place.quantity} exists "
            f"(first at {place.locate(first)})"
        )
    if row.kind == YOURS and mismatch is not None:
        return mismatch(values, target, usable)
    limit = tolerance(row.kind, row.order, row.precision)
    if limit is None:
        return None
    scale = max(float(np.max(np.abs(target[usable]))), place.floor)
    allowed = limit * scale + 1e-300
    with np.errstate(all="ignore"):
        difference = np.where(usable, np.abs(values - target), 0.0)
    worst = int(np.argmax(difference))
    precision_words = f" (f computes in {row.precision})" if row.precision != "float64" else ""
    share = f"({limit:g} of max |{place.quantity}|){precision_words}"
    if difference[worst] > allowed:
        return (
            f"off by {difference[worst]:.3g} at {place.locate(worst)} against "
            f"{reference.against}, more than {row.label} should be {share}"
        )
    return None


def _unconfirmed_reference(reference: Reference) -> str:
    return (
        "stands in as the reference, but no independent method agrees with it: nothing "
        "vouches for it"
    )


def _unconfirmed(reference: Reference) -> str:
    return (
        f"measured against {reference.against}, which no independent method confirms: "
        "nothing vouches for this row"
    )
