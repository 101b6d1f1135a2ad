"""The shape every method shares: prepare once, then evaluate on any array.

Preparing is the expensive, cacheable part (SymPy's derivation, JAX's tracing and compiling, the
probe that decides whether NumPy can evaluate the function on whole arrays). The prepared
derivative is then a plain callable from a float64 array to a float64 array of the same shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.explain import MethodFailure, user_error
from diffmagic.target import Target

ArrayFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Work:
    """How big a derivative is, in its method's own unit: where expression swell shows first.

    SymPy counts operations (`count_ops`) in f and in f', JAX counts equations in the traced
    programs of f and f', finite differences count evaluations of f per point.
    """

    unit: str
    derivative: int
    f: int | None = None

    def _count(self, number: int) -> str:
        unit = self.unit
        if number == 1:
            unit = unit.replace("evaluations", "evaluation").replace("operations", "operation")
            unit = unit.replace("equations", "equation")
        return f"{number:,} {unit}"

    def derivative_text(self) -> str:
        """`4 operations`, `1 evaluation of f per point`."""
        return self._count(self.derivative)

    def __str__(self) -> str:
        if self.f is None:
            return self.derivative_text()
        return f"f: {self._count(self.f)}; derivative: {self.derivative:,}"

    def to_dict(self) -> dict[str, object]:
        return {"unit": self.unit, "f": self.f, "derivative": self.derivative}


@dataclass
class Prepared:
    """A derivative ready to evaluate, and what it cost to get it."""

    derivative: ArrayFunction
    setup_s: float
    engine: str
    notes: list[str] = field(default_factory=list)
    #: Zero-argument call that evaluates the derivative on x in the engine's own arrays, for
    #: timing without counting conversions.
    timed_call: Callable[[np.ndarray], Callable[[], Any]] | None = None
    #: SymPy's f and f' (symbolic method only).
    function_expr: Any = None
    expr: Any = None
    #: Per-point fallback taken (Python control flow on x); timing at a million points is skipped.
    pointwise: bool = False
    #: Many evaluations of f per point (adaptive finite differences): timed on fewer points.
    slow: bool = False
    #: How much work the derivative is, in the method's own unit.
    work: Work | None = None


def float_array(values: Any, like: np.ndarray, function_name: str) -> np.ndarray:
    """`values` as float64 of `like`'s shape, or a failure that says what the function returned."""
    if isinstance(values, str | bytes):
        raise MethodFailure(f"{function_name} returns text ({values!r:.30}), not a number")
    if values is None:
        raise MethodFailure(f"{function_name} returns None: is a `return` missing?")
    array = np.asarray(values)
    if array.dtype.kind == "c":
        if np.all(array.imag == 0):
            array = array.real
        else:
            raise MethodFailure(
                f"{function_name} returns complex numbers: differentiate its real part"
            )
    if array.dtype.kind not in "biuf":
        raise MethodFailure(
            f"{function_name} returns {array.dtype} values, not numbers: it must return one number"
        )
    if array.shape == like.shape:
        return array.astype(np.float64, copy=False)
    if array.size == 1:
        return np.full(like.shape, float(array.reshape(())), dtype=np.float64)
    raise MethodFailure(
        f"{function_name} returns an array of shape {array.shape} for "
        f"{like.size} inputs: it must return one number per x"
    )


class NumpyFunction:
    """The target under NumPy, called on whole arrays when it can be, point by point when not.

    A function with Python `if` on x cannot take an array ("truth value of an array is
    ambiguous"), and one that reduces over data (`np.sum((x - a)**2)`) does not act point by
    point on an array of x. Both are then evaluated point by point, which is slow but right, and
    a note says so. Whether the array call is right is checked against single-point calls.
    """

    def __init__(self, target: Target, probe: np.ndarray) -> None:
        self.name = target.name
        self._scalar = target.under("numpy")
        self.pointwise = False
        self.notes: list[str] = []
        with np.errstate(all="ignore"):
            try:
                whole = float_array(self._scalar(probe), probe, self.name)
            except MethodFailure as failure:
                if "one number per x" not in str(failure):
                    raise
                self._fall_back(probe, "does not act point by point on an array of x")
                return
            except (ValueError, TypeError) as error:
                if _is_array_truth_error(error):
                    self._fall_back(probe, "uses Python `if` on x")
                elif isinstance(error, TypeError) or "broadcast" in str(error):
                    self._fall_back(probe, "does not accept an array of x")
                else:
                    raise MethodFailure(user_error(self.name, error)) from None
                return
            except Exception as error:
                raise MethodFailure(user_error(self.name, error)) from None
            if not self._matches_single_points(probe, whole):
                self._fall_back(probe, "does not act point by point on an array of x")

    def _matches_single_points(self, probe: np.ndarray, whole: np.ndarray) -> bool:
        picks = np.unique(np.linspace(0, probe.size - 1, min(3, probe.size)).astype(int))
        for index in picks:
            try:
                single = float(np.asarray(self._scalar(probe[index]), dtype=np.float64))
            except Exception:
                return True
            expected = whole[index]
            if np.isfinite(single) and np.isfinite(expected):
                if abs(single - expected) > 1e-9 * (1.0 + abs(single)):
                    return False
            elif np.isfinite(single) != np.isfinite(expected):
                return False
        return True

    def _fall_back(self, probe: np.ndarray, why: str) -> None:
        self.pointwise = True
        self.notes.append(
            f"f {why}, so NumPy evaluates it point by point (slow); "
            "np.where, or array operations that act per point, keep it fast"
        )
        self._probe_pointwise(probe)

    def _probe_pointwise(self, probe: np.ndarray) -> None:
        failures: list[BaseException] = []
        for value in probe[: min(5, probe.size)]:
            try:
                float_array(self._scalar(float(value)), np.empty(()), self.name)
            except MethodFailure:
                raise
            except Exception as error:
                failures.append(error)
        if failures and len(failures) == min(5, probe.size):
            raise MethodFailure(user_error(self.name, failures[0]))

    def _one(self, value: float) -> float:
        try:
            return float(np.asarray(self._scalar(value), dtype=np.float64))
        except Exception:
            return float("nan")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            if not self.pointwise:
                return float_array(self._scalar(x), x, self.name)
            flat = np.fromiter((self._one(float(v)) for v in x.ravel()), np.float64, x.size)
            return flat.reshape(x.shape)


def _is_array_truth_error(error: BaseException) -> bool:
    return "truth value of an array" in str(error)


class CountingFunction:
    """Wraps f to count how many values it is asked for: evaluations of f per point."""

    def __init__(self, function: ArrayFunction) -> None:
        self.function = function
        self.values = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.values += int(np.size(x))
        return self.function(x)
