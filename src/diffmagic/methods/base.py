"""The shape every method shares: prepare once, then evaluate on any array.

Preparing is the expensive, cacheable part (SymPy's derivation, JAX's tracing and compiling, the
probe that decides whether NumPy can evaluate the function on whole arrays). The prepared
derivative is then a plain callable from a float64 array to a float64 array of the same shape.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffmagic.inputs.target import Target
from diffmagic.limits.explain import MethodFailure, in_place, user_error, writes_into_argument

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


@dataclass(frozen=True)
class Prepared:
    """A derivative ready to evaluate, and what it cost to get it.

    Frozen, with tuples for its lists: the cache hands the same object to every comparison,
    so nothing a caller does with one result may change what a later one is given.
    """

    derivative: ArrayFunction
    setup_s: float
    engine: str
    #: f as this method's backend computes it, on an array of x: the comparison checks it
    #: against NumPy's own f before it trusts the derivative (a backend that reads f
    #: differently must fail, not differentiate another function).
    function: ArrayFunction | None = None
    notes: tuple[str, ...] = ()
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
    #: The floating-point type f computes in under this method ("float64", or "float32" for a
    #: function jitted without x64 or written with np.float32).
    precision: str = "float64"


def float_array(values: Any, like: np.ndarray, function_name: str) -> np.ndarray:
    """`values` as float64 of `like`'s shape, or a failure that says what the function returned.

    One value for a whole array of x is accepted (a constant function returns one number);
    whether it is right at every point is checked against single-point calls. For one x, the
    result must be one number: `[x**2]` is a list, and NumPy, SymPy and JAX would each read it
    differently.
    """
    if isinstance(values, str | bytes):
        raise MethodFailure(f"{function_name} returns text ({values!r:.30}), not a number")
    if values is None:
        raise MethodFailure(f"{function_name} returns None: is a `return` missing?")
    if like.shape == () and isinstance(values, list | tuple):
        raise MethodFailure(
            f"{function_name} returns a {type(values).__name__} of {len(values)} values for one x: "
            "it must return one number (drop the brackets)"
        )
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
    if like.shape == ():
        raise MethodFailure(
            f"{function_name} returns an array of shape {array.shape} for one x: "
            "it must return one number per x"
        )
    if array.size == 1:
        return np.full(like.shape, float(array.reshape(())), dtype=np.float64)
    raise MethodFailure(
        f"{function_name} returns an array of shape {array.shape} for "
        f"{like.size} inputs: it must return one number per x"
    )


def read_only(x: np.ndarray) -> np.ndarray:
    """A read-only view of x: the user's f may not write into the grid (`x *= 2`)."""
    view = np.asarray(x, dtype=np.float64).view()
    view.flags.writeable = False
    return view


def precision_of(values: Any) -> str:
    """ "float32" when f's own result is single (or half) precision, else "float64"."""
    dtype = getattr(values, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind == "f" and np.dtype(dtype).itemsize < 8:
        return "float32"
    return "float64"


def _in_place_failure(name: str, error: BaseException) -> MethodFailure | None:
    """The fix for an f that writes into its argument, which diffmagic passes read-only."""
    return MethodFailure(in_place(name, error)) if writes_into_argument(error) else None


#: How many grid points the array call is checked against single-point calls.
SINGLE_POINT_CHECKS = 9


class NumpyFunction:
    """The target under NumPy, called on whole arrays when it can be, point by point when not.

    NumPy's own f is f called on one number at a time: that is what a learner means by f(x).
    Calling it on a whole array is much faster and usually the same, but not always: a
    function with Python `if` on x cannot take an array ("truth value of an array is
    ambiguous"), and one that reduces (`np.sum((x - a)**2)`, `np.max(x, 0)`) does not act point
    by point on an array of x. So the array call is used only where it matches single-point
    calls at spread-out grid points; otherwise f is evaluated point by point (slow but right),
    and a note says so. Every call gets a read-only view, so an f that writes into its
    argument fails with the fix instead of corrupting the grid.
    """

    def __init__(self, target: Target, probe: np.ndarray) -> None:
        self.name = target.name
        self._scalar = target.under("numpy")
        self.pointwise = False
        self._batched: Callable[[np.ndarray], np.ndarray] | None = None
        self.notes: list[str] = []
        self.precision = "float64"
        probe = read_only(probe)
        with np.errstate(all="ignore"):
            try:
                raw = self._scalar(probe)
                self.precision = precision_of(raw)
                whole = float_array(raw, probe, self.name)
            except MethodFailure as failure:
                if "one number per x" not in str(failure):
                    raise
                self._fall_back(probe, "does not act point by point on an array of x")
                return
            except (ValueError, TypeError) as error:
                in_place = _in_place_failure(self.name, error)
                if in_place is not None:
                    raise in_place from None
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
                return
        if self.precision == "float64" and rounds_like_float32(self, probe):
            self.precision = "float32"

    def _single(self, value: float) -> float:
        """f at one point; MethodFailure when f's result is not one number."""
        raw = self._scalar(np.float64(value))
        if precision_of(raw) == "float32":
            self.precision = "float32"
        return float(float_array(raw, np.empty(()), self.name))

    def _matches_single_points(self, probe: np.ndarray, whole: np.ndarray) -> bool:
        count = min(SINGLE_POINT_CHECKS, probe.size)
        picks = np.unique(np.linspace(0, probe.size - 1, count).astype(int))
        tolerance = 1e-5 if self.precision == "float32" else 1e-9
        # Relative to the values, with a floor far below them: a tiny f (1e-12 (x - 1)**2) must
        # not pass for the constant that a reduction over the grid gives.
        finite = whole[np.isfinite(whole)]
        floor = 1e-12 * float(np.max(np.abs(finite))) if finite.size else 0.0
        for index in picks:
            try:
                single = self._single(float(probe[index]))
            except MethodFailure:
                raise
            except Exception:
                # One number fails where the whole array did not: the array call computed
                # something else (a reduction over the array, for instance).
                return False
            expected = whole[index]
            if np.isfinite(single) and np.isfinite(expected):
                if abs(single - expected) > tolerance * max(abs(single), abs(expected)) + floor:
                    return False
            elif np.isfinite(single) != np.isfinite(expected):
                return False
        return True

    def _fall_back(self, probe: np.ndarray, why: str) -> None:
        self.pointwise = True
        self._probe_pointwise(probe)
        self._batched = self._jax_batched(probe)
        if self._batched is not None:
            self.notes.append(
                f"f {why}; it is a JAX program, so its points are evaluated together with "
                "jax.vmap, each as if alone"
            )
        else:
            self.notes.append(
                f"f {why}, so NumPy evaluates it point by point (slow); "
                "np.where, or array operations that act per point, keep it fast"
            )
        if self.precision == "float64" and rounds_like_float32(self, probe):
            self.precision = "float32"

    def _jax_batched(self, probe: np.ndarray) -> Callable[[np.ndarray], np.ndarray] | None:
        """f batched by `jax.jit(jax.vmap(f))` when f is a JAX program at one point (its
        `jax.lax.cond`, `lax.while_loop` take one number): the values of one call per point, at
        the cost of one call. A method that calls f thousands of times (finite differences
        adapt their steps point by point) would otherwise pay a JAX call, and a trace of its
        branches, for each. Used only where it gives the single-point values; None elsewhere
        (f is not JAX's to batch: a Python `if`, NumPy calls)."""
        if "jax" not in sys.modules:
            return None
        from jax import jit, vmap

        compiled = jit(vmap(self._scalar))

        def batched(x: np.ndarray) -> np.ndarray:
            flat = np.asarray(x, dtype=np.float64).ravel()
            # Padded to a power of two: a few compiled sizes serve every call.
            size = max(8, 1 << max(flat.size - 1, 0).bit_length())
            padded = np.concatenate(
                [flat, np.full(size - flat.size, flat[0] if flat.size else 0.0)]
            )
            values = np.asarray(compiled(padded))[: flat.size]
            return float_array(values, flat, self.name).reshape(np.shape(x))

        try:
            whole = batched(probe)
        except Exception:
            return None
        return batched if self._matches_single_points(probe, whole) else None

    def _probe_pointwise(self, probe: np.ndarray) -> None:
        failures: list[BaseException] = []
        for value in probe[: min(5, probe.size)]:
            try:
                self._single(float(value))
            except MethodFailure:
                raise
            except Exception as error:
                failures.append(error)
        if failures and len(failures) == min(5, probe.size):
            raise MethodFailure(user_error(self.name, failures[0]))

    def _one(self, value: float) -> float:
        """f at one point; NaN where f is undefined (math's domain errors, 1/0, overflow).

        Any other exception is no domain: it is the reason f cannot be evaluated, and calling
        those points "undefined" would hide it.
        """
        try:
            return self._single(value)
        except MethodFailure:
            raise
        except ArithmeticError:
            return float("nan")
        except ValueError as error:
            if "domain" in str(error):
                return float("nan")
            raise MethodFailure(user_error(self.name, error)) from None
        except Exception as error:
            raise MethodFailure(user_error(self.name, error)) from None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = read_only(x)
        with np.errstate(all="ignore"):
            if not self.pointwise:
                try:
                    return float_array(self._scalar(x), x, self.name)
                except (ValueError, TypeError) as error:
                    in_place = _in_place_failure(self.name, error)
                    if in_place is not None:
                        raise in_place from None
                    raise
            if self._batched is not None:
                return self._batched(x)
            flat = np.fromiter((self._one(float(v)) for v in x.ravel()), np.float64, x.size)
            return flat.reshape(x.shape)


def rounds_like_float32(function: Callable[[np.ndarray], np.ndarray], probe: np.ndarray) -> bool:
    """True when f, though it returns float64, rounds to float32 inside, anywhere on the grid.

    A relative step of 1e-9 in x is far below float32's resolution (6e-8) and far above
    float64's: a float64 f changes by a hundredth of the slope times 1e-7 that steps of 1e-7
    and 2e-7 show, while an f that rounds x to float32 first freezes some or all of that change
    (np.float32(3x) * 2x changes by half of it). A point counts only where float64 could
    resolve that hundredth; a constant f, or one whose value dwarfs its change (1e8 + x), says
    nothing. Three points astray are enough: f may round on part of the grid only (one branch
    of an `if`).
    """
    points = probe[np.linspace(0, probe.size - 1, min(15, probe.size)).astype(int)]
    scale = np.maximum(np.abs(points), 1.0)
    try:
        with np.errstate(all="ignore"):
            base = function(points)
            tiny = function(points + 1e-9 * scale) - base
            once = function(points + 1e-7 * scale) - base
            twice = function(points + 2e-7 * scale) - base
    except Exception:
        return False
    # The slope from the two larger steps, its curvature taken out (d(h) = a h + b h^2), so a
    # function that turns fast (sin(1e5 x)) is not mistaken for a rounding one.
    expected = (4 * once - twice) / 2 * 1e-2
    resolution = 1e3 * np.finfo(np.float64).eps * np.abs(base)
    resolvable = np.isfinite(expected) & np.isfinite(tiny) & (np.abs(expected) > resolution)
    astray = resolvable & (np.abs(tiny - expected) > 0.01 * np.abs(expected))
    return int(np.count_nonzero(astray)) >= 3


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
