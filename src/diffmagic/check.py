"""Check a hand-written gradient against a reference, coordinate by coordinate.

`jax.test_util.check_grads` and `torch.autograd.gradcheck` answer pass/fail and fail spuriously
at kinks (relu at 0) and in float32. `check_gradient` says where the user's gradient is off (the
coordinate, named as the user names it: `W1[2, 3]`), by how much, against which reference, and
treats a kink as a kink: a coordinate where f has two one-sided slopes passes when the user's
value lies between them.

The reference, in order of trust: the exact gradient (SymPy, evaluated by mpmath with 30 digits)
when SymPy finishes; JAX reverse mode in float64; central differences, said so in the output.
JAX is not used as the reference when f itself uses a `custom_vjp` / `custom_jvp` rule: the
rule would be checked against itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from diffmagic.bounds import METHOD_SECONDS, check_seconds
from diffmagic.check_reference import (
    CENTRAL,
    JAX_FORWARD,
    choose_reference,
    float32_floor,
    in_float64,
    locate_with_jax,
)
from diffmagic.check_result import GradientCheck
from diffmagic.errors import DiffMagicError
from diffmagic.explain import user_error
from diffmagic.guard import guarded_entry
from diffmagic.kinks import Kink, kink_candidates, probe_budget, probe_kink, seconds_per_call, unit
from diffmagic.many.pytree import Flat, flatten
from diffmagic.target import resolve_function

#: Above this many parameters the check uses random directions unless `mode="full"`.
FULL_MODE_LIMIT = 1_000
#: Random directions in directions mode, unless `directions=` says otherwise.
DEFAULT_DIRECTIONS = 16
#: Seconds SymPy gets for the exact gradient before JAX stands in.
EXACT_SECONDS = 5.0
#: Default limit on a whole check: every call of f and grad, the reference, the kink probes.
CHECK_SECONDS = 2 * METHOD_SECONDS

#: Default relative tolerances, by what limits the precision.
RTOL_FLOAT64 = 1e-7
RTOL_NUMERICAL_REFERENCE = 1e-5
RTOL_FLOAT32 = 1e-4
RTOL_F_IN_FLOAT32 = 1e-3


def _user_gradient(flat: Flat, value: Any) -> tuple[np.ndarray, bool]:
    """`grad(at)` laid out as `flat` lays out `at`, and whether it was float32.

    NaN in the user's gradient is not bad input: it is a wrong gradient, and is reported so.
    """
    if value is None:
        raise DiffMagicError("grad(at) returned None: return the gradient, shaped like `at`")
    parts: list[np.ndarray] = []
    narrow = False
    for leaf in flat.leaves:
        node = value
        where = "grad(at)"
        for key in leaf.path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                raise DiffMagicError(
                    f"grad(at) has no {where}[{key!r}]: it must return the same structure as "
                    f"`at` ({flat.shape_text()})"
                ) from None
            where += f"[{key!r}]"
        try:
            array = np.asarray(node)
        except Exception:
            raise DiffMagicError(f"{where} is a {type(node).__name__}, not an array") from None
        if array.dtype.kind not in "iuf":
            raise DiffMagicError(f"{where} holds {array.dtype} values, not real numbers")
        if tuple(array.shape) != leaf.shape:
            expected = "at" + "".join(f"[{k!r}]" for k in leaf.path)
            raise DiffMagicError(
                f"{where} has shape {tuple(array.shape)}, but {expected} has shape {leaf.shape}:"
                " the gradient must be shaped like the parameters"
            )
        narrow = narrow or (array.dtype.kind == "f" and array.dtype.itemsize < 8)
        parts.append(np.asarray(array, dtype=np.float64).ravel())
    extra = _extra_entries(flat, value)
    if extra:
        raise DiffMagicError(
            f"grad(at) has {extra} that `at` does not: it must return the same structure as "
            f"`at` ({flat.shape_text()})"
        )
    return np.concatenate(parts), narrow


def _extra_entries(flat: Flat, value: Any) -> str | None:
    """A key or position of `value` with no leaf of `at` under it, in words."""
    prefixes = {leaf.path[:depth] for leaf in flat.leaves for depth in range(len(leaf.path) + 1)}

    def walk(node: Any, path: tuple[Any, ...]) -> str | None:
        if path not in prefixes:
            return "an entry " + "".join(f"[{k!r}]" for k in path)
        if any(leaf.path == path for leaf in flat.leaves):
            return None
        if isinstance(node, Mapping):
            items = list(node.items())
        elif isinstance(node, list | tuple):
            items = list(enumerate(node))
        else:
            return None
        for key, child in items:
            found = walk(child, (*path, key))
            if found:
                return found
        return None

    return walk(value, ())


def _scalar(value: Any, name: str) -> float:
    array = np.asarray(value)
    if array.size != 1:
        raise DiffMagicError(
            f"{name}(at) returned shape {array.shape}: a gradient check needs f to return one "
            "number (sum a vector loss, or check each output)"
        )
    if array.dtype.kind not in "iuf":
        raise DiffMagicError(f"{name}(at) returned {array.dtype} values, not a real number")
    return float(array.reshape(()))


def check_gradient(
    f: Any,
    grad: Callable[[Any], Any],
    at: Any,
    rtol: float | None = None,
    atol: float | None = None,
    mode: str | None = None,
    directions: int | None = None,
    seed: int = 0,
    *,
    time_limit: float = CHECK_SECONDS,
) -> GradientCheck:
    """Check `grad(at)` (the user's gradient of f, shaped like `at`) against a reference.

    f takes the parameters `at` (an array, or a dict / list / tuple of arrays) and returns one
    number; it is a function or the text of a cell that defines one. `mode` is "full" (every
    coordinate; the default up to 1,000 parameters) or "directions" (`directions` random
    directions, `seed` fixing them; the default above). `rtol`/`atol` default to what the
    precision allows: float64 1e-7, float32 1e-4, and they are stated in the result.
    The whole check, every call of f and grad in it, stops after `time_limit` seconds whatever
    they do (a one-line DiffMagicError names which one was running); what they print is held
    back and counted in the notes.
    """
    check, notes = guarded_entry(
        lambda: _check_gradient(f, grad, at, rtol, atol, mode, directions, seed),
        seconds=check_seconds(time_limit, "time_limit"),
        fix="raise time_limit to wait longer",
        what="the check",
        named={"grad": grad},
    )
    check.notes.extend(notes)
    return check


def _check_gradient(
    f: Any,
    grad: Callable[[Any], Any],
    at: Any,
    rtol: float | None,
    atol: float | None,
    mode: str | None,
    directions: int | None,
    seed: int,
) -> GradientCheck:
    """`check_gradient`'s work, under its guard."""
    function, _ = resolve_function(f)
    name = getattr(function, "__name__", "f")
    name = "f" if name == "<lambda>" else name
    if not callable(grad):
        raise DiffMagicError(
            f"grad must be a function of the parameters (grad(at) -> the gradient), not "
            f"{type(grad).__name__} {grad!r:.30}"
        )
    if mode not in (None, "full", "directions"):
        raise DiffMagicError(f"mode is 'full' or 'directions', not {mode!r}")
    if directions is not None and (int(directions) != directions or directions < 1):
        raise DiffMagicError(f"directions is a positive whole number, not {directions!r}")
    if rtol is not None and not (rtol > 0):
        raise DiffMagicError(f"rtol must be a positive number, not {rtol!r}")
    if atol is not None and not (atol >= 0):
        raise DiffMagicError(f"atol must be zero or positive, not {atol!r}")
    flat = flatten(at)
    chosen_mode = mode or ("full" if flat.size <= FULL_MODE_LIMIT else "directions")

    try:
        # At the float64 copy of `at`, in JAX's float64 if the user's code uses JAX, as every
        # evaluation of f here is: float32 in the result then means f itself computes in it.
        with in_float64():
            f0_raw = function(flat.unflatten(flat.values))
    except Exception as error:
        raise DiffMagicError(f"calling f at `at`: {user_error(name, error)}") from None
    f0 = _scalar(f0_raw, name)
    with in_float64():
        f_seconds = seconds_per_call(function, flat.unflatten(flat.values))
        again = _scalar(function(flat.unflatten(flat.values)), name)
    if again != f0 and not (np.isnan(again) and np.isnan(f0)):
        raise DiffMagicError(
            f"{name} gave two values at the same point ({f0!r}, then {again!r}): a check needs "
            "a deterministic f; fix its random seed or turn dropout off"
        )
    f_in_float32 = np.asarray(f0_raw).dtype == np.float32 or "float32" in str(
        getattr(f0_raw, "dtype", "")
    )
    try:
        given = grad(at)
    except Exception as error:
        raise DiffMagicError(f"calling grad at `at`: {user_error('grad', error)}") from None
    yours, grad_in_float32 = _user_gradient(flat, given)

    def of_flat(vector: np.ndarray) -> float:
        return float(np.asarray(function(flat.unflatten(vector))).reshape(()))

    vectors = None
    if chosen_mode == "directions":
        count = int(directions or DEFAULT_DIRECTIONS)
        rng = np.random.default_rng(seed)
        vectors = rng.standard_normal((count, flat.size))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    reference = choose_reference(function, flat, of_flat, vectors, EXACT_SECONDS)

    float32 = flat.dtype_was_float32 or grad_in_float32 or f_in_float32
    default_rtol, tolerance_note = _default_rtol(
        float32, f_in_float32, reference.numerical, flat, grad_in_float32
    )
    rtol_used = default_rtol if rtol is None else float(rtol)
    if rtol is not None:
        tolerance_note = f"rtol {rtol_used:.0e} as given"
    if chosen_mode == "full":
        reference_values = reference.values
        yours_values = yours
    else:
        reference_values = reference.directional
        yours_values = vectors @ yours
    scale = float(np.max(np.abs(reference_values))) if reference_values.size else 0.0
    if chosen_mode == "directions":
        scale = float(np.sqrt(np.mean(reference_values**2)))
    atol_used = rtol_used * max(scale, 1e-8 * max(1.0, abs(f0))) if atol is None else float(atol)
    floor = None
    if float32 and atol is None and chosen_mode == "full":
        floor = float32_floor(function, flat, reference_values, reference)
    if atol is not None:
        atol_note = " as given"
    elif floor is not None and 10 * floor > atol_used:
        atol_used = 10 * floor
        atol_note = f" (10 × the {floor:.2g} by which JAX's own float32 gradient is off here)"
    elif chosen_mode == "full":
        atol_note = " (rtol × the largest |reference|)"
    else:
        atol_note = " (rtol × rms |g·v|)"
    tolerance_note += f", atol {atol_used:.2g}{atol_note}"
    with np.errstate(invalid="ignore"):
        error = np.abs(yours_values - reference_values)
    error = np.where(np.isnan(error), np.inf, error)
    tolerance = atol_used + rtol_used * np.abs(np.nan_to_num(reference_values))
    failing = np.flatnonzero(~(error <= tolerance))

    kinks: list[Kink] = []
    notes: list[str] = []
    settled: set[int] = set()
    eps = float(np.finfo(np.float32 if f_in_float32 else np.float64).eps)
    ranked_failing = failing[np.argsort(-error[failing], kind="stable")]
    if chosen_mode == "full":
        with in_float64():
            screened, screen_note = kink_candidates(of_flat, flat, f0, f_seconds, eps)
    else:
        screened, screen_note = [], None
    probes = probe_budget(f_seconds)
    probe = list(dict.fromkeys([*ranked_failing[:probes], *screened]))
    with in_float64():
        for index in probe:
            index = int(index)
            if chosen_mode == "full":
                along, label = unit(flat.size, index), flat.describe(index)
            else:
                along, label = vectors[index], f"direction {index}"
            outcome = probe_kink(
                of_flat,
                flat.values,
                along,
                index,
                label,
                f0,
                eps,
                float(yours_values[index]),
                float(reference_values[index]),
                float(tolerance[index]),
                atol_used,
            )
            if outcome is None:
                continue
            kind, payload = outcome
            if kind == "settled":
                settled.add(index)
                notes.append(payload)
            elif kind == "kink" and chosen_mode == "directions":
                # Along a direction through many kinks the two slopes are far apart, and a
                # wrong gradient lies between them as easily as a right one: not evidence.
                side = "lies" if payload.passed else "does not lie"
                notes.append(
                    f"{payload.label}: f has a kink along it (one-sided slopes {payload.left:.6g}"
                    f" and {payload.right:.6g}); yours {payload.yours:.6g} {side} between them, "
                    "which along a direction proves nothing — mode='full' checks each coordinate"
                )
            elif kind == "kink":
                kinks.append(payload)
                if payload.passed:
                    settled.add(index)
            else:
                notes.append(payload)
    if screen_note:
        notes.append(screen_note)
    if failing.size > probes:
        notes.append(
            f"{failing.size - probes:,} more are off; only the worst {probes:,} were probed "
            "for kinks"
        )
    kinks.sort(key=lambda kink: kink.index)
    wrong = np.array([i for i in failing if int(i) not in settled], dtype=int)
    wrong = wrong[np.argsort(-error[wrong], kind="stable")] if wrong.size else wrong
    keep = np.ones(error.size, dtype=bool)
    keep[list(settled)] = False
    difference = yours_values[keep] - reference_values[keep]
    denominator = np.linalg.norm(yours_values[keep]) + np.linalg.norm(reference_values[keep])
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = float(np.linalg.norm(difference) / denominator) if denominator > 0 else 0.0
    if not np.isfinite(relative):
        relative = float("inf")
    if chosen_mode == "directions" and wrong.size and reference.name == JAX_FORWARD:
        located = locate_with_jax(function, flat, yours, rtol_used)
        if located:
            notes.append(located)
    if reference.numerical:
        notes.append(
            f"judged against {CENTRAL} alone (accurate to about 1e-8, not exact): "
            "an error near the tolerance may be theirs"
        )
    return GradientCheck(
        mode=chosen_mode,
        flat=flat,
        yours=yours_values,
        reference=reference_values,
        error=error,
        tolerance=tolerance,
        reference_name=reference.name,
        reference_note=reference.note,
        rtol=rtol_used,
        atol=atol_used,
        tolerance_note=tolerance_note,
        float32=float32,
        relative_difference=relative,
        passed=wrong.size == 0,
        wrong=wrong,
        kinks=kinks,
        notes=notes,
        directions=vectors,
    )


def _default_rtol(
    float32: bool, f_in_float32: bool, numerical: bool, flat: Flat, grad_in_float32: bool
) -> tuple[float, str]:
    """The tolerance the precision allows, and a sentence that says why."""
    if f_in_float32:
        return RTOL_F_IN_FLOAT32, (
            f"f computes in float32: rtol {RTOL_F_IN_FLOAT32:.0e} (float64 would be "
            f"{RTOL_FLOAT64:.0e})"
        )
    if float32:
        which = "your gradient is float32" if grad_in_float32 else "`at` is float32"
        return RTOL_FLOAT32, (
            f"float32 ({which}): rtol {RTOL_FLOAT32:.0e} (float64 would be {RTOL_FLOAT64:.0e})"
        )
    if numerical:
        return RTOL_NUMERICAL_REFERENCE, (
            f"float64, against central differences: rtol {RTOL_NUMERICAL_REFERENCE:.0e}"
        )
    return RTOL_FLOAT64, f"float64: rtol {RTOL_FLOAT64:.0e}"
