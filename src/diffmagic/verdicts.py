"""When a row may say "ok": the checks between a derivative and the word that vouches for it.

A derivative is only as right as the function it differentiates. SymPy, JAX and NumPy each
run the learner's code with their own meaning for its names (`np.max(x, 0)`, `max`, `[x**2]`,
float32 inside a jitted function), so before any error is measured, each backend's f is
compared with NumPy's own f on the grid (`fidelity_failure`). Then a row is ok only when it
is finite wherever the reference derivative is, and within the accuracy its method promises
(`accuracy_failure`). Numbers only: the views draw what these decide.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Any

import numpy as np

from diffmagic.rebind import names_read

#: Relative tolerance of agreement with NumPy's f, by the precision f computes in.
FIDELITY_RTOL = {"float64": 1e-8, "float32": 1e-5}
#: Names whose meaning differs between NumPy, SymPy and JAX often enough to name in a message.
AMBIGUOUS_NAMES = (
    "max",
    "min",
    "amax",
    "amin",
    "sum",
    "mean",
    "prod",
    "round",
    "floor",
    "ceil",
    "mod",
    "remainder",
    "fmod",
    "int",
    "float",
)

#: Who computes f for each method: the backend named in messages.
BACKEND_LABELS = {"symbolic": "SymPy", "automatic": "JAX"}


def backend_label(method: str, engine: str) -> str:
    if method in BACKEND_LABELS:
        return BACKEND_LABELS[method]
    return "JAX" if engine == "jax" else "NumPy"


def ambiguous_names(function: Any) -> list[str]:
    """The names f reads (helpers included, one level) that backends may read differently."""
    code = getattr(function, "__code__", None)
    if code is None:
        return []
    read = set(names_read(code))
    globals_ = getattr(function, "__globals__", {})
    for name in list(read):
        helper = globals_.get(name)
        if isinstance(helper, types.FunctionType) and helper is not function:
            read |= set(names_read(helper.__code__))
    return [name for name in AMBIGUOUS_NAMES if name in read]


def fidelity_failure(
    backend: str,
    backend_values: np.ndarray,
    numpy_values: np.ndarray,
    grid: np.ndarray,
    *,
    precision: str = "float64",
    suspects: list[str] | None = None,
    wrt: str = "x",
) -> str | None:
    """Why `backend`'s f is not NumPy's f on the grid, or None when they agree.

    Where NumPy's f is finite the backend must give the same number (to the tolerance of the
    precision f computes in); where NumPy's f is NaN or infinite f' does not exist, those
    points are left out of every error, so the backend may extend f there (SymPy reads
    x**2/x as x).
    """
    backend_values = np.asarray(backend_values, dtype=np.float64)
    if backend_values.shape != numpy_values.shape:
        return f"{backend} computes f with shape {backend_values.shape}, NumPy with one per x"
    finite = np.isfinite(numpy_values)
    if not np.any(finite):
        return None
    scale = float(np.max(np.abs(numpy_values[finite])))
    rtol = FIDELITY_RTOL.get(precision, FIDELITY_RTOL["float64"])
    allowed = rtol * np.abs(numpy_values) + rtol * 0.1 * scale + 1e-12
    with np.errstate(all="ignore"):
        difference = np.abs(backend_values - numpy_values)
    wrong = finite & ~(difference <= allowed)
    infinite_alike = np.isinf(numpy_values) & (backend_values == numpy_values)
    wrong &= ~infinite_alike
    if not np.any(wrong):
        return None
    index = int(np.flatnonzero(wrong)[0])
    count = int(np.count_nonzero(wrong))
    construct = ""
    if suspects:
        listed = ", ".join(f"`{name}`" for name in suspects)
        construct = f"; f uses {listed}, which backends can read differently"
    return (
        f"{backend} reads f differently from NumPy: at {wrt} = {grid[index]:.6g} {backend}'s f "
        f"is {backend_values[index]:.6g}, NumPy's {numpy_values[index]:.6g} "
        f"({count} of {grid.size} points differ){construct}"
    )


def tolerance(method: str, order: int, precision: str) -> float | None:
    """Largest error, relative to max |f^(order)| on the grid, that the method may have.

    Exact methods (SymPy, JAX) are exact up to float64 round-off; finite differences lose
    digits with each order and far more when f itself is only float32. np.gradient has no
    tolerance: its error is the grid's truncation error, which the course shows on purpose
    (its values are NumPy's f differenced, and that f is checked).
    """
    if method == "numerical":
        return None
    if method in ("symbolic", "automatic"):
        return 1e-7
    # finite differences
    if precision == "float32":
        return 3e-3 * 10 ** (order - 1)
    return min(1e-5 * 10 ** (order - 1), 1e-2)


def accuracy_failure(
    label: str,
    values: np.ndarray,
    reference: np.ndarray,
    usable: np.ndarray,
    grid: np.ndarray,
    *,
    method: str,
    order: int,
    precision: str,
    reference_is_exact: bool,
    wrt: str = "x",
) -> str | None:
    """Why a derivative cannot be called ok against the reference, or None.

    Non-finite values where the reference is finite are never ok; neither is an error beyond
    the method's tolerance (`tolerance`), nor a row with no point to measure at all.
    """
    if not np.any(usable):
        return None
    nonfinite = usable & ~np.isfinite(values)
    if np.any(nonfinite):
        index = int(np.flatnonzero(nonfinite)[0])
        count = int(np.count_nonzero(nonfinite))
        return (
            f"gives NaN or inf at {count} of {int(np.count_nonzero(usable))} points where f' "
            f"exists (first at {wrt} = {grid[index]:.6g})"
        )
    limit = tolerance(method, order, precision)
    if limit is None:
        return None
    scale = float(np.max(np.abs(reference[usable])))
    errors = np.abs(values[usable] - reference[usable])
    worst = int(np.argmax(errors))
    allowed = limit * scale + 1e-12
    if errors[worst] <= allowed:
        return None
    where = float(grid[usable][worst])
    against = "the exact derivative" if reference_is_exact else "the reference method"
    precision_words = " (f computes in float32)" if precision == "float32" else ""
    return (
        f"off by {errors[worst]:.3g} at {wrt} = {where:.6g} against {against}, more than "
        f"{label} should be ({limit:g} of max |f'|){precision_words}"
    )


def measurable(
    f_values: np.ndarray, grid: np.ndarray, singular_points: Iterable[float]
) -> np.ndarray:
    """Grid points where f' exists: f finite there, and away from every singular point."""
    width = float(grid[-1] - grid[0])
    mask = np.isfinite(f_values)
    for point in singular_points:
        mask &= np.abs(grid - point) > 1e-9 * width
    return mask


def errors(
    values: np.ndarray, reference: np.ndarray, usable: np.ndarray
) -> tuple[float | None, float | None, int]:
    """(max abs error, max error relative to max|f'|, points non-finite where f' is finite)."""
    nonfinite = int(np.count_nonzero(usable & ~np.isfinite(values)))
    both = usable & np.isfinite(values)
    if not np.any(both):
        return None, None, nonfinite
    max_abs = float(np.max(np.abs(values[both] - reference[both])))
    scale = float(np.max(np.abs(reference[usable])))
    return max_abs, (max_abs / scale if scale > 0 else max_abs), nonfinite


def _cause(method: str, failure: str, grid: np.ndarray) -> str:
    """What in the grid explains a failure, when something does."""
    step = float(grid[1] - grid[0])
    if method == "numerical" and "NaN" in failure and step * step < 2.3e-308:
        return (
            f": the grid step {step:.3g} is so small that its square underflows float64, "
            "and np.gradient's weights become 0/0; widen the domain"
        )
    return ""


def judge(
    results: Any,
    reference: np.ndarray | None,
    f_values: np.ndarray,
    grid: np.ndarray,
    singularities: Iterable[Any],
    *,
    order: int,
    exact: bool,
    wrt: str = "x",
) -> None:
    """Each row's errors against the reference, and its verdict: ok only when it is finite
    where f' exists and within its method's accuracy; a row with nothing to measure is not ok.

    `results` maps row keys ("numerical@jax") to `MethodResult`s, updated in place.
    """
    if reference is None:
        return
    usable_points = measurable(f_values, grid, [point.x for point in singularities])
    usable_points &= np.isfinite(reference)
    # np.gradient differences neighbours: next to a point where f has no value it has none.
    beside = usable_points.copy()
    beside[1:] &= np.isfinite(f_values[:-1])
    beside[:-1] &= np.isfinite(f_values[1:])
    for key, result in results.items():
        if not result.ok or result.values is None or key.startswith("yours"):
            continue
        method = key.partition("@")[0]
        usable = beside if method == "numerical" else usable_points
        if not np.any(usable):
            result.ok = False
            result.error = (
                "not measured: the reference has no finite value where f is defined, "
                "so nothing vouches for this row"
            )
            continue
        if result.is_reference:
            result.max_abs_error, result.max_rel_error = 0.0, 0.0
            continue
        result.max_abs_error, result.max_rel_error, result.nonfinite = errors(
            result.values, reference, usable
        )
        failure = accuracy_failure(
            result.label,
            result.values,
            reference,
            usable,
            grid,
            method=method,
            order=order,
            precision=result.precision,
            reference_is_exact=exact,
            wrt=wrt,
        )
        if failure is not None:
            result.ok = False
            result.error = failure + _cause(method, failure, grid)
