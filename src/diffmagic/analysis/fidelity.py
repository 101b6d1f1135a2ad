"""Does a backend compute your f? The check before any derivative is believed.

A derivative is only as right as the function it differentiates. SymPy, JAX and NumPy each
run the learner's code with their own meaning for its names (`np.max(x, 0)`, `max`, `[x**2]`,
float32 inside a jitted function), so each backend's f is compared with NumPy's own f before
any error is measured. Two evaluations of one formula also differ by round-off, and by far
more than 1e-8 where the formula cancels (`x*exp(x) - expm1(x)` near 0): the allowance grows
by NumPy's own round-off near each point (`float64_noise`), and SymPy's f is read at 30 digits
before it is called another function.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.inputs.rebind import names_read
from diffmagic.methods.precision import FIDELITY_RTOL

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
BACKEND_LABELS = {
    "symbolic": "SymPy",
    "automatic": "JAX",
    "autograd": "Autograd",
    "torch": "PyTorch",
    "mygrad": "MyGrad",
}
#: NumPy's round-off is estimated from this many neighbours of a point, each side.
NOISE_NEIGHBOURS = 2
#: The allowance for NumPy's own round-off, in multiples of the estimate.
NOISE_FACTOR = 8.0


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


def float64_noise(function: Callable[[np.ndarray], Any], points: np.ndarray) -> np.ndarray:
    """How far NumPy's f moves between a point and its nearest float neighbours: its own
    round-off there (and the conditioning of f itself), 0 where it cannot be evaluated."""
    points = np.asarray(points, dtype=np.float64)
    with np.errstate(all="ignore"):
        at = np.asarray(function(points), dtype=np.float64).reshape(points.shape)
        noise = np.zeros(points.shape)
        for direction in (np.inf, -np.inf):
            moved = points
            for _ in range(NOISE_NEIGHBOURS):
                moved = np.nextafter(moved, direction)
                near = np.asarray(function(moved), dtype=np.float64).reshape(points.shape)
                step = np.abs(near - at)
                noise = np.fmax(noise, np.where(np.isfinite(step), step, 0.0))
    return noise


def unfaithful(
    backend_values: np.ndarray,
    numpy_values: np.ndarray,
    *,
    precision: str = "float64",
    noise: np.ndarray | None = None,
) -> np.ndarray:
    """Where the backend's f differs from NumPy's finite f by more than round-off allows.

    Where NumPy's f is NaN or infinite f' does not exist, so the backend may extend f there
    (SymPy reads x**2/x as x); an infinity both agree on is agreement.
    """
    backend_values = np.asarray(backend_values, dtype=np.float64)
    finite = np.isfinite(numpy_values)
    if not np.any(finite):
        return np.zeros(numpy_values.shape, bool)
    scale = float(np.max(np.abs(numpy_values[finite])))
    rtol = FIDELITY_RTOL.get(precision, FIDELITY_RTOL["float64"])
    allowed = rtol * np.abs(numpy_values) + rtol * 0.1 * scale + 1e-12
    if noise is not None:
        allowed = allowed + NOISE_FACTOR * noise
    with np.errstate(all="ignore"):
        difference = np.abs(backend_values - numpy_values)
    wrong = finite & ~(difference <= allowed)
    return wrong & ~(np.isinf(numpy_values) & (backend_values == numpy_values))


def _distinct(first: float, second: float) -> tuple[str, str]:
    """The two numbers with just enough digits to tell them apart (6 at least)."""
    for digits in range(6, 18):
        shown = f"{first:.{digits}g}", f"{second:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return f"{first!r}", f"{second!r}"


def fidelity_failure(
    backend: str,
    backend_values: np.ndarray,
    numpy_values: np.ndarray,
    grid: np.ndarray,
    *,
    precision: str = "float64",
    suspects: list[str] | None = None,
    wrt: str = "x",
    noise: np.ndarray | None = None,
) -> str | None:
    """Why `backend`'s f is not NumPy's f on the grid, or None when they agree."""
    backend_values = np.asarray(backend_values, dtype=np.float64)
    if backend_values.shape != numpy_values.shape:
        return f"{backend} computes f with shape {backend_values.shape}, NumPy with one per x"
    wrong = unfaithful(backend_values, numpy_values, precision=precision, noise=noise)
    if not np.any(wrong):
        return None
    index = int(np.flatnonzero(wrong)[0])
    count = int(np.count_nonzero(wrong))
    construct = ""
    if suspects:
        listed = ", ".join(f"`{name}`" for name in suspects)
        construct = f"; f uses {listed}, which backends can read differently"
    theirs, numpys = _distinct(float(backend_values[index]), float(numpy_values[index]))
    return (
        f"{backend} reads f differently from NumPy: at {wrt} = {grid[index]:.6g} {backend}'s f "
        f"is {theirs}, NumPy's {numpys} ({count} of {grid.size} points differ){construct}"
    )
