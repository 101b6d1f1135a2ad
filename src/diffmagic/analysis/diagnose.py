"""How a hand-written derivative is wrong, in words: numbers in, one sentence out.

A learner who writes `def dfdx(x): return 3*x` for f = x**2 learns little from "max error 5.2".
The usual mistakes have simple shapes — a constant factor, a wrong sign, a constant offset, a
chain-rule factor left out, a formula that is right on one side of a point only — and each shape
is tested for here, on the values alone (`yours` and `true` on a grid `x`), so the same words
serve the Python API, the magic and the CLI. Nothing is drawn here.

Points where the true derivative is not finite (a kink, a pole) are left out: the caller knows
why and says so itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

#: A pointwise difference counts as wrong above `atol + rtol * |true|`.
DEFAULT_RTOL = 1e-6
#: `atol` is this times the largest |true| (at least 1), unless given.
DEFAULT_ATOL_SCALE = 1e-9
#: At most this many wrong points are listed by value ("right except at x = ...").
MAX_LISTED_POINTS = 5
#: Largest denominator of a "nice" number (1/3, 3/2, -2/5 ...).
NICE_DENOMINATOR = 12
#: Highest degree of a polynomial factor or offset recognised (`2*x`, `6*x**2 - 6*x`).
MAX_POLYNOMIAL_DEGREE = 2


@dataclass
class Diagnosis:
    """Where and how `yours` differs from the true derivative.

    `kind` is one of "ok", "sign", "factor", "chain_rule", "offset", "points", "one_side",
    "interval", "ratio", "difference", "other", "nothing_to_compare"; `words` is None when
    `ok_everywhere`.
    """

    ok_everywhere: bool
    wrong_at: np.ndarray
    words: str | None
    kind: str
    compared: int = 0
    max_abs_error: float = 0.0
    worst_x: float | None = None
    factor: float | None = None
    offset: float | None = None
    details: dict[str, float] = field(default_factory=dict)
    #: What is compared, in words: "derivative", "second derivative".
    quantity: str = "derivative"

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON: the words, the kind and where it is wrong."""
        return {
            "ok_everywhere": self.ok_everywhere,
            "kind": self.kind,
            "words": self.words,
            "wrong_at": [float(x) for x in self.wrong_at],
            "compared": self.compared,
            "max_abs_error": self.max_abs_error,
            "worst_x": self.worst_x,
            "factor": self.factor,
            "offset": self.offset,
        }

    def __str__(self) -> str:
        if self.words is not None:
            return self.words
        return f"matches the true {self.quantity} at all {self.compared} points compared"


def nice_number(value: float, tolerance: float = 1e-9) -> Fraction | None:
    """`value` as a fraction with a small denominator, if it is one (0.333... -> 1/3)."""
    if not np.isfinite(value) or abs(value) > 1e6:
        return None
    fraction = Fraction(value).limit_denominator(NICE_DENOMINATOR)
    if abs(float(fraction) - value) <= tolerance * max(1.0, abs(value)):
        return fraction
    return None


def format_number(value: float) -> str:
    """1/3, -2, 1.5 or 0.1234: a fraction when the number is one, else 4 significant digits."""
    fraction = nice_number(value)
    if fraction is None:
        return f"{value:.4g}"
    if fraction.denominator == 1:
        return str(fraction.numerator)
    if fraction.denominator in (2, 4, 5, 8, 10):
        return f"{float(fraction):g}"
    return f"{fraction.numerator}/{fraction.denominator}"


def format_polynomial(coefficients: np.ndarray, variable: str) -> str | None:
    """`6*x**2 - 6*x` from coefficients lowest degree first; None unless all are nice numbers."""
    terms: list[str] = []
    for degree in range(len(coefficients) - 1, -1, -1):
        fraction = nice_number(float(coefficients[degree]), 1e-6)
        if fraction is None:
            return None
        if fraction == 0:
            continue
        size = abs(fraction)
        number = format_number(float(size))
        power = "" if degree == 0 else variable if degree == 1 else f"{variable}**{degree}"
        if degree == 0:
            term = number
        elif size == 1:
            term = power
        else:
            term = f"{number}*{power}"
        sign = "-" if fraction < 0 else "+"
        terms.append(f"- {term}" if sign == "-" else f"+ {term}")
    if not terms:
        return "0"
    text = " ".join(terms)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


def _describe_places(xs: np.ndarray) -> str:
    shown = ", ".join(f"{value:.4g}" for value in xs[:MAX_LISTED_POINTS])
    return shown + (
        f" and {xs.size - MAX_LISTED_POINTS} more" if xs.size > MAX_LISTED_POINTS else ""
    )


def _boundary(below: float, above: float) -> float:
    """The simplest number in (below, above]: 0 if it lies there, else a short decimal."""
    if below < 0 <= above:
        return 0.0
    for digits in range(0, 8):
        candidate = round((below + above) / 2, digits)
        if below < candidate <= above:
            return candidate
    return above


class _Fit:
    """The points compared, with the tolerance every model of the error is held to."""

    def __init__(self, yours: np.ndarray, true: np.ndarray, x: np.ndarray, tolerance: np.ndarray):
        self.yours, self.true, self.x, self.tolerance = yours, true, x, tolerance
        self.scale = max(float(np.max(np.abs(true))), 1e-300)

    def matches(self, model: np.ndarray) -> bool:
        """Does `model` reproduce yours at every point, within the tolerance?"""
        return bool(np.all(np.abs(self.yours - model) <= self.tolerance + 1e-12 * self.scale))

    def constant_ratio(self) -> float | None:
        big = np.abs(self.true) > 1e-3 * self.scale
        if not np.any(big) or not np.all(np.isfinite(self.yours)):
            return None
        ratio = float(np.median(self.yours[big] / self.true[big]))
        nice = nice_number(ratio, 1e-7)
        ratio = float(nice) if nice is not None else ratio
        return ratio if self.matches(ratio * self.true) else None

    def constant_offset(self) -> float | None:
        if not np.all(np.isfinite(self.yours)):
            return None
        offset = float(np.median(self.yours - self.true))
        nice = nice_number(offset, 1e-7)
        offset = float(nice) if nice is not None else offset
        return offset if self.matches(self.true + offset) else None

    def polynomial(self, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray | None:
        """Coefficients c (lowest first, nice numbers) with numerator ≈ c(x) * denominator."""
        usable = np.isfinite(numerator) & np.isfinite(denominator)
        if np.count_nonzero(usable) < 2 * (MAX_POLYNOMIAL_DEGREE + 2):
            return None
        x, num, den = self.x[usable], numerator[usable], denominator[usable]
        for degree in range(1, MAX_POLYNOMIAL_DEGREE + 1):
            # Least squares for num = sum_k c_k x**k * den, all points weighted alike.
            design = np.stack([den * x**k for k in range(degree + 1)], axis=1)
            try:
                coefficients = np.linalg.lstsq(design, num, rcond=None)[0]
            except np.linalg.LinAlgError:
                return None
            rounded = np.array([nice_number(float(c), 1e-5) for c in coefficients], dtype=object)
            if any(c is None for c in rounded) or rounded[-1] == 0:
                continue
            nice = np.array([float(c) for c in rounded])
            yield_model = design @ nice
            tolerance = self.tolerance[usable] + 1e-9 * max(float(np.max(np.abs(num))), 1e-300)
            if np.all(np.abs(num - yield_model) <= tolerance * 10):
                return nice
        return None


def _shape_words(fit: _Fit, name: str, variable: str) -> tuple[str, str, dict[str, float]] | None:
    """The simple shape of the whole error, if it has one: (kind, words, numbers)."""
    if fit.matches(np.zeros_like(fit.true)):
        return "factor", f"{name} is 0 everywhere", {"factor": 0.0}
    ratio = fit.constant_ratio()
    if ratio is not None and ratio != 1:
        if ratio == -1:
            return "sign", f"{name} has the wrong sign everywhere", {"factor": -1.0}
        inverse = nice_number(1 / ratio, 1e-7)
        if inverse is not None and inverse.denominator == 1 and abs(inverse) >= 2:
            missing = format_number(float(inverse))
            words = (
                f"{name} / true = {'-' if inverse < 0 else ''}1/{abs(inverse)} everywhere: "
                f"a chain-rule factor {missing} missing?"
            )
            return "chain_rule", words, {"factor": ratio}
        words = f"{name} is {format_number(ratio)} times the true derivative everywhere"
        return "factor", words, {"factor": ratio}
    offset = fit.constant_offset()
    if offset is not None and offset != 0:
        sign = "+" if offset > 0 else "-"
        words = f"{name} is the true derivative {sign} {format_number(abs(offset))} everywhere"
        return "offset", words, {"offset": offset}
    return None


def _ratio_words(fit: _Fit, name: str, variable: str) -> tuple[str, str] | None:
    """A factor or a difference that is a small polynomial in x (a chain-rule factor 2*x)."""
    missing = fit.polynomial(fit.true, fit.yours)
    if missing is not None:
        text = format_polynomial(missing, variable)
        if text is not None:
            return "ratio", (
                f"true / {name} = {text} everywhere: a chain-rule factor {text} missing?"
            )
    extra = fit.polynomial(fit.yours, fit.true)
    if extra is not None:
        text = format_polynomial(extra, variable)
        if text is not None:
            return "ratio", f"{name} / true = {text} everywhere"
    difference = fit.yours - fit.true
    ones = np.ones_like(fit.true)
    polynomial = fit.polynomial(difference, ones)
    if polynomial is not None:
        text = format_polynomial(polynomial, variable)
        if text is not None:
            return "difference", f"{name} is the true derivative + ({text}) everywhere"
    return None


def describe_mismatch(
    yours: np.ndarray,
    true: np.ndarray,
    x: np.ndarray,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float | None = None,
    name: str = "yours",
    variable: str = "x",
    quantity: str = "derivative",
) -> Diagnosis:
    """Compare a hand-written derivative with the true one on the grid `x`, and say how it differs.

    `yours` is wrong at a point where |yours - true| > atol + rtol*|true| (or where yours is not
    finite and true is); points where `true` is NaN or infinite are not compared. `quantity`
    names what is compared in the words ("second derivative" for order=2).
    """
    diagnosis = _describe(yours, true, x, rtol, atol, name, variable)
    diagnosis.quantity = quantity
    if diagnosis.words is not None and quantity != "derivative":
        diagnosis.words = diagnosis.words.replace("true derivative", f"true {quantity}")
    return diagnosis


def _describe(
    yours: np.ndarray,
    true: np.ndarray,
    x: np.ndarray,
    rtol: float,
    atol: float | None,
    name: str,
    variable: str,
) -> Diagnosis:
    yours = np.asarray(yours, dtype=np.float64).ravel()
    true = np.asarray(true, dtype=np.float64).ravel()
    x = np.asarray(x, dtype=np.float64).ravel()
    if not (yours.shape == true.shape == x.shape):
        raise ValueError(
            f"yours, true and x need one value per point: {yours.size}, {true.size}, {x.size}"
        )
    compared = np.isfinite(true) & np.isfinite(x)
    if not np.any(compared):
        return Diagnosis(
            ok_everywhere=False,
            wrong_at=np.empty(0),
            words="no point where the true derivative is finite: nothing to compare",
            kind="nothing_to_compare",
        )
    order = np.argsort(x[compared], kind="stable")
    xs, ys, ts = x[compared][order], yours[compared][order], true[compared][order]
    scale = max(float(np.max(np.abs(ts))), 1.0)
    atol = DEFAULT_ATOL_SCALE * scale if atol is None else atol
    tolerance = atol + rtol * np.abs(ts)
    error = np.where(np.isfinite(ys), np.abs(ys - ts), np.inf)
    wrong = error > tolerance
    count = int(np.count_nonzero(wrong))
    worst = int(np.argmax(error))
    finite_errors = error[np.isfinite(error)]
    base = dict(
        compared=int(xs.size),
        max_abs_error=float(np.max(finite_errors)) if np.all(np.isfinite(error)) else np.inf,
        worst_x=float(xs[worst]),
    )
    if count == 0:
        return Diagnosis(True, np.empty(0), None, "ok", **base)
    wrong_at = xs[wrong]
    fit = _Fit(ys, ts, xs, tolerance)

    shape = _shape_words(fit, name, variable)
    if shape is not None:
        kind, words, numbers = shape
        return Diagnosis(
            False,
            wrong_at,
            words,
            kind,
            factor=numbers.get("factor"),
            offset=numbers.get("offset"),
            **base,
        )
    local = _local_words(wrong, xs, ys, ts, tolerance, name, variable)
    if local is not None:
        return Diagnosis(False, wrong_at, local[1], local[0], **base)
    ratio = _ratio_words(fit, name, variable)
    if ratio is not None:
        return Diagnosis(False, wrong_at, ratio[1], ratio[0], **base)
    words = (
        f"{name} is wrong at {count} of {xs.size} points; furthest off at {variable} = "
        f"{xs[worst]:.4g}: {name} {ys[worst]:.6g}, true {ts[worst]:.6g} "
        f"(error {error[worst]:.3g})"
    )
    return Diagnosis(False, wrong_at, words, "other", **base)


def _local_words(
    wrong: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    ts: np.ndarray,
    tolerance: np.ndarray,
    name: str,
    variable: str,
) -> tuple[str, str] | None:
    """Wrong at a few points, on one side of a point, or on one interval only (xs sorted)."""
    count = int(np.count_nonzero(wrong))
    wrong_at = xs[wrong]
    if count <= MAX_LISTED_POINTS and count < xs.size / 4:
        return "points", f"{name} is right except at {variable} = {_describe_places(wrong_at)}"
    indices = np.flatnonzero(wrong)
    first, last = int(indices[0]), int(indices[-1])
    # Points where both are (nearly) 0 fit any shape: they do not break a run of wrong points.
    scale = max(float(np.max(np.abs(ts))), 1e-300)
    neutral = ~wrong & (np.abs(ts) <= 1e-6 * scale)
    if not np.all(wrong[first : last + 1] | neutral[first : last + 1]) or count == xs.size:
        return None

    def how(part: np.ndarray) -> str:
        sub = _Fit(ys[part], ts[part], xs[part], tolerance[part])
        shape = _shape_words(sub, name, variable)
        if shape is None:
            return ""
        return ", where " + shape[1].replace(" everywhere", "").replace(f"{name} ", "it ", 1)

    part = np.zeros_like(wrong)
    part[first : last + 1] = True
    if first == 0:
        edge = _boundary(float(xs[last]), float(xs[last + 1]))
        place = f"{variable} < {edge:g}"
    elif last == xs.size - 1:
        edge = _boundary(float(xs[first - 1]), float(xs[first]))
        place = f"{variable} >= {edge:g}" if edge == xs[first] else f"{variable} > {edge:g}"
    else:
        low = _boundary(float(xs[first - 1]), float(xs[first]))
        high = _boundary(float(xs[last]), float(xs[last + 1]))
        return "interval", f"{name} is wrong only for {low:g} < {variable} < {high:g}{how(part)}"
    return "one_side", f"{name} is wrong only for {place}{how(part)}"
