"""One verdict for every row: the cases where a row said "ok" and was wrong, or refused a right
answer, each with its expected outcome.

Every expected value is computed here, by mpmath at 30 digits or by hand, never by another
method of diffmagic.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import diffmagic
from diffmagic.analysis import verdicts

#: What an ok row may be off by, relative to the largest |f'| judged, by kind of method: the
#: promises of the README's "What ok means".
EXACT_RTOL = 1e-7
DIFFERENCES_RTOL = 1e-5


def _mp_derivative(function, points, order: int = 1) -> np.ndarray:
    with mpmath.workdps(30):
        return np.array([float(mpmath.diff(function, mpmath.mpf(float(x)), order)) for x in points])


def _ok_rows_are_right(comparison, exact: np.ndarray, judged: np.ndarray) -> None:
    """Every ok row within its method's promise of `exact` at the judged points."""
    scale = float(np.max(np.abs(exact[judged])))
    for row in comparison:
        if not row.ok:
            continue
        method = row.key.partition("@")[0]
        if method == "numerical":  # np.gradient: its error is the grid's, shown on purpose
            continue
        rtol = DIFFERENCES_RTOL if method == "finite_difference" else EXACT_RTOL
        error = float(np.max(np.abs(np.asarray(row.values)[judged] - exact[judged])))
        assert error <= rtol * scale, (row.key, row.status, error, scale)


# ----------------------------------------------------------------------------- the reference


def test_a_formula_that_cancels_in_float64_keeps_its_exact_reference() -> None:
    """SymPy reads f right; only its float64 evaluation loses digits near 0. The reference is
    SymPy's f' at 30 digits, and JAX, 6e-6 off it, is not ok."""
    source = "(x*np.exp(x) - np.expm1(x))/x**2"
    comparison = diffmagic.compare(source, domain=(-1e-3, 1e-3))
    assert comparison.reference_label.startswith("SymPy's exact derivative")
    symbolic = comparison["symbolic"]
    assert symbolic.values is not None, symbolic.error  # not refused as another function
    assert "reads f differently" not in (symbolic.error or "")

    def f(x):
        return (x * mpmath.exp(x) - mpmath.expm1(x)) / x**2

    judged = comparison.x != 0
    exact = np.full(comparison.x.shape, np.nan)
    exact[judged] = _mp_derivative(f, comparison.x[judged])
    reference = np.asarray(comparison.reference)
    assert np.max(np.abs(reference[judged] - exact[judged])) <= 1e-12 * np.max(np.abs(exact))
    assert comparison["automatic"].status == "inaccurate"
    _ok_rows_are_right(comparison, exact, judged)


def test_f_identically_zero_is_measured_and_its_zero_derivative_is_ok() -> None:
    def f(y):
        return np.power(0.0, y)

    comparison = diffmagic.compare(
        f, domain=(0.5, 2.0), methods=("symbolic", "numerical", "finite_difference", "automatic")
    )
    for key in ("numerical", "finite_difference", "automatic"):
        assert comparison[key].ok, (key, comparison[key].error)
    np.testing.assert_array_equal(comparison.reference, 0.0)
    assert not any("underflows" in note for note in comparison.notes)
    assert not any("not measured" in (row.error or "") for row in comparison)


def test_a_third_derivative_that_is_zero_does_not_turn_round_off_into_inaccurate() -> None:
    comparison = diffmagic.compare("np.square(x)", order=3, methods="finite_difference")
    row = comparison["finite_difference"]
    assert row.ok, row.error
    assert np.max(np.abs(row.values)) < 1e-6  # f''' of x**2 is 0


def test_a_reason_names_the_derivative_of_the_order_asked_for() -> None:
    grid = np.linspace(-1.0, 1.0, 5)
    reference = verdicts.Reference(6.0 * np.ones(5), True, "exact", "the exact derivative")
    row = verdicts.Row("finite_difference", "finite differences", verdicts.DIFFERENCES, 3)
    place = verdicts.Place(locate=lambda i: f"x = {grid[i]:g}", quantity="f'''")
    verdict = verdicts.judge(np.full(5, 7.0), reference, row, place)
    assert verdict.status == "inaccurate"
    assert "max |f'''|" in verdict.reason and "x = -1" in verdict.reason


# ----------------------------------------------------------------------------- stand-ins


def _wrong_custom_rule():
    import jax

    @jax.custom_jvp
    def f(x):
        return jax.numpy.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return jax.numpy.sin(x), 2.0 * jax.numpy.cos(x) * t  # the rule is off by 2

    return f


def test_where_no_two_independent_methods_agree_no_row_is_ok() -> None:
    from diffmagic.methods.jax_engine import float64

    with float64():
        comparison = diffmagic.compare(
            _wrong_custom_rule(),
            methods=("symbolic", "numerical", "finite_difference", "automatic"),
        )
    assert not any(row.ok for row in comparison), [(r.key, r.status) for r in comparison]
    assert comparison["automatic"].status == "reference (unconfirmed)"
    assert comparison["automatic"].status != "ok"


def test_a_stand_in_is_marked_reference_and_confirmed_by_a_method_not_asked_for() -> None:
    source = "def f(x):\n    if x > 0:\n        return x**2\n    return -x\n"
    comparison = diffmagic.compare(source, methods=("automatic",))
    row = comparison["automatic"]
    assert row.ok and row.status.startswith("reference")
    assert "confirmed by finite differences" in comparison.reference_label
    grid = comparison.x
    exact = np.where(grid > 0, 2 * grid, -1.0)
    judged = np.abs(grid) > 1e-9
    assert np.max(np.abs(row.values[judged] - exact[judged])) <= 1e-12


@pytest.mark.parametrize("status", ["ok", "reference"])
def test_only_ok_and_a_confirmed_reference_vouch(status: str) -> None:
    assert verdicts.Verdict(status).ok
    for other in ("inaccurate", "unconfirmed", "reference (unconfirmed)", "no derivative"):
        assert not verdicts.Verdict(other).ok


# ----------------------------------------------------------------------------- gradients

#: What an ok gradient or Jacobian row may be off by, relative to its largest entry.
GRADIENT_RTOL = {"numerical": DIFFERENCES_RTOL, "symbolic": EXACT_RTOL}


def _mp_gradient(function, at) -> np.ndarray:
    """The gradient of `function` (of a list of mpmath numbers) at `at`, at 30 digits."""
    with mpmath.workdps(30):
        point = [mpmath.mpf(float(v)) for v in at]
        gradient = []
        for index in range(len(point)):

            def along(t, index=index):
                return function([t if i == index else v for i, v in enumerate(point)])

            gradient.append(float(mpmath.diff(along, point[index])))
    return np.array(gradient)


def _ok_gradient_rows_are_right(comparison, exact: np.ndarray) -> list[str]:
    """Every ok row within its method's promise of `exact`; the keys of the ok rows."""
    scale = float(np.max(np.abs(exact)))
    ok = []
    for key in comparison:
        row = comparison[key]
        if row.ok:
            rtol = GRADIENT_RTOL.get(key, EXACT_RTOL)
            error = float(np.max(np.abs(np.asarray(row.flat_values) - exact.ravel())))
            assert error <= rtol * scale, (key, row.status, error, scale)
            ok.append(key)
    return ok


def _cancelling(w):
    return (w * mpmath.exp(w) - mpmath.expm1(w)) / w**2


CANCELLING_AT = np.array([1e-5, -2e-5, 3e-5, 1e-3])


def test_a_gradient_further_off_than_its_method_promises_is_not_ok() -> None:
    def loss(w):
        return np.sum((w * np.exp(w) - np.expm1(w)) / w**2)

    g = diffmagic.compare_gradient(loss, at=CANCELLING_AT, timing=False)
    exact = _mp_gradient(lambda ws: sum(_cancelling(w) for w in ws), CANCELLING_AT)
    assert g.exact_reference
    np.testing.assert_allclose(g.reference_values, exact, rtol=1e-12)
    assert g["symbolic"].status == "inaccurate"  # 58 % off in float64
    assert g["forward"].status == "inaccurate" and g["reverse"].status == "inaccurate"
    assert "off by" in g["reverse"].error and "w[" in g["reverse"].error
    assert _ok_gradient_rows_are_right(g, exact) == ["numerical"]


def test_a_jacobian_further_off_than_its_method_promises_is_not_ok() -> None:
    def vector(w):
        return (w * np.exp(w) - np.expm1(w)) / w**2

    j = diffmagic.compare_jacobian(vector, at=CANCELLING_AT)
    diagonal = [float(_mp_derivative(_cancelling, [w])[0]) for w in CANCELLING_AT]
    exact = np.diag(diagonal)
    assert j["forward"].status == "inaccurate" and j["reverse"].status == "inaccurate"
    assert _ok_gradient_rows_are_right(j, exact) == ["numerical"]


@pytest.mark.parametrize(
    "loss, at, words",
    [
        (lambda w: np.linalg.norm(w), np.zeros(3), "corner along w[0]"),
        (lambda w: np.sum(np.floor(w)), np.array([1.0, 2.0]), "jumps along w[0]"),
        (lambda w: np.sum(np.abs(w)) + w[1] ** 2, np.array([0.0, 1.5]), "corner along w[0]"),
    ],
    ids=["norm at 0", "floor at integers", "abs at 0"],
)
def test_where_the_gradient_does_not_exist_no_row_says_ok(loss, at, words: str) -> None:
    g = diffmagic.compare_gradient(loss, at=at, timing=False)
    assert not any(g[key].ok for key in g), [(key, g[key].status) for key in g]
    computed = [key for key in g if g[key].flat_values is not None]
    assert computed
    for key in computed:
        assert g[key].status == "no derivative", (key, g[key].status)
        assert words in g[key].error
        assert "\n" not in g[key].error


def test_floor_between_integers_has_a_zero_gradient_and_nan_is_not_ok() -> None:
    g = diffmagic.compare_gradient(
        lambda w: np.sum(np.floor(w)), at=np.array([0.3, 1.7]), timing=False
    )
    assert not g["symbolic"].ok  # SymPy's float64 gradient of floor is NaN
    assert "NaN" in g["symbolic"].error
    assert set(_ok_gradient_rows_are_right(g, np.zeros(2))) >= {"forward", "reverse"}


@pytest.mark.parametrize(
    "loss, at, exact",
    [
        (lambda w: 1e12 + np.sum(w**2), np.array([0.5, 1.5]), np.array([1.0, 3.0])),
        (
            lambda w: np.sum(np.sin(1e6 * w)),
            np.array([0.5, 1.5]),
            np.array([1e6 * float(mpmath.cos(mpmath.mpf(1e6) * w)) for w in (0.5, 1.5)]),
        ),
    ],
    ids=["f of 1e12", "sin(1e6 w)"],
)
def test_central_differences_are_ok_only_when_right(loss, at, exact) -> None:
    g = diffmagic.compare_gradient(loss, at=at, timing=False)
    ok = _ok_gradient_rows_are_right(g, exact)
    assert "reverse" in ok
    assert "numerical" in ok  # its step adapts to f's scale and to how fast f turns


def _counter_loss():
    calls = [0]

    def loss(w):
        calls[0] += 1
        return np.sum(w**2) + calls[0]

    return loss


@pytest.mark.parametrize(
    "loss, words",
    [
        (_counter_loss(), "another value each time"),
        (lambda w: np.sum(w**2) + np.random.rand(), "another value each time"),
        (lambda w: np.sum(w**2 * (1 + 1j)), "complex"),
    ],
    ids=["global counter", "np.random", "complex"],
)
def test_a_loss_no_gradient_describes_is_refused_in_one_line(loss, words: str) -> None:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(diffmagic.DiffMagicError) as refused:
            diffmagic.compare_gradient(loss, at=np.array([0.5, 1.5]), timing=False)
    message = str(refused.value)
    assert words in message and "\n" not in message
    assert not [w for w in caught if "Complex" in type(w.message).__name__]


def test_a_jacobian_that_fills_an_array_of_its_own_is_measured() -> None:
    def vector(w):
        out = np.zeros(2)
        out[0] = w[0] * w[1]
        out[1] = np.sin(w[0])
        return out

    j = diffmagic.compare_jacobian(vector, at=np.array([1.0, 2.0]))
    exact = np.array([[2.0, 1.0], [np.cos(1.0), 0.0]])
    assert "exact" in j.reference
    assert "numerical" in _ok_gradient_rows_are_right(j, exact)
    for key in ("forward", "reverse"):
        assert "argument" not in (j[key].error or ""), j[key].error
        assert "array it made" in j[key].error


# ----------------------------------------------------------------------------- arguments


def _forgets_return(w):
    np.sum(w**2)


def _make_at_ignoring_n(n):
    return np.ones(3)


@pytest.mark.parametrize(
    "call, words",
    [
        (
            lambda: diffmagic.compare_gradient(lambda w: np.sum(w), np.ones(2), params=[1.0]),
            "params must be a dict",
        ),
        (
            lambda: diffmagic.compare_gradient(lambda w: np.sum(w), np.ones(2), timing="no"),
            "timing must be True or False",
        ),
        (
            lambda: diffmagic.compare_gradient(
                lambda w: np.sum(w), np.ones(2), symbolic_seconds="soon"
            ),
            "symbolic_seconds must be a number",
        ),
        (lambda: diffmagic.compare_gradient(_forgets_return, np.ones(2)), "returns None"),
        (
            lambda: diffmagic.compare_gradient(lambda w: np.sum(w, keepdims=True), np.ones(2)),
            "shape (1,), not one number",
        ),
        (lambda: diffmagic.compare_jacobian(lambda w: w[:0], np.ones(2)), "at least one"),
        (
            lambda: diffmagic.compare_jacobian(lambda w: 2 * w, np.ones(200_000)),
            "200,000 x 200,000",
        ),
    ],
    ids=["params list", "timing text", "seconds text", "no return", "shape (1,)", "empty", "huge"],
)
def test_a_bad_argument_or_loss_is_refused_in_one_line(call, words: str) -> None:
    with pytest.raises(diffmagic.DiffMagicError) as refused:
        call()
    message = str(refused.value)
    assert words in message and "\n" not in message
    assert "MemoryError" not in message and "Traceback" not in message


def test_make_at_is_checked_for_the_parameter_study() -> None:
    from diffmagic.running.loss import check_make_at

    with pytest.raises(diffmagic.DiffMagicError, match="make_at must be a function"):
        check_make_at(5, 10)
    with pytest.raises(diffmagic.DiffMagicError, match=r"make_at\(10\) returns a point of 3"):
        check_make_at(_make_at_ignoring_n, 10)
    assert np.shape(check_make_at(np.ones, 10)) == (10,)


def test_a_float32_loss_with_a_corner_at_the_point_is_not_ok() -> None:
    """Found by the gradient fuzz: large steps see the loss's curvature, not its corner."""

    def loss(w):
        corner = 0.82 * np.maximum(0.55 * w[0], 0) - 1.38 * np.maximum(-0.92 * w[1] - 0.46, 0)
        return np.float32(corner + 0.137 * (w[0] + w[1]) ** 2)

    at = np.array([0.0, -0.92], dtype=np.float32)
    g = diffmagic.compare_gradient(loss, at=at, timing=False)
    assert not any(g[key].ok for key in g), [(key, g[key].status) for key in g]
    assert "corner along w[0]" in g["numerical"].error


def test_a_corner_under_a_large_offset_is_found() -> None:
    """Found by the gradient fuzz: at the first step, 1e10's round-off hides |w|'s corner."""
    j = diffmagic.compare_jacobian(lambda w: 1e10 + 0.45 * np.abs(w), at=np.zeros(1))
    assert not any(j[key].ok for key in j), [(key, j[key].status) for key in j]
    assert "corner along w[0]" in j["numerical"].error


def test_a_corner_is_found_when_differences_are_not_asked_for() -> None:
    """Found by the gradient fuzz: without the numerical row nothing looked for the corner."""

    def vector(w):
        return 0.82 * np.maximum(0.55 * w, 0)

    j = diffmagic.compare_jacobian(vector, at=np.zeros(1), methods=("forward", "reverse"))
    assert not any(j[key].ok for key in j), [(key, j[key].status) for key in j]
    g = diffmagic.compare_gradient(
        lambda w: np.sum(vector(w)), at=np.zeros(2), methods=("reverse",), timing=False
    )
    assert g["reverse"].status == "no derivative"


def test_np_gradient_across_a_pole_is_not_ok() -> None:
    """On 100 points of [-5, 5], the neighbours of x = 0 straddle the pole of 1/x: np.gradient
    gives 131 at x = +-0.0505 where f' = -1/x^2 is about -392. Never ok there."""
    cmp = diffmagic.compare("1/x", points=100)
    row = cmp["numerical"]
    beside = np.argmin(np.abs(cmp.x - 0.0505))
    assert abs(row.values[beside] - (-1 / cmp.x[beside] ** 2)) > 500  # the hand derivative
    assert row.status == "inaccurate" and not row.ok
    assert "next to x = 0" in row.error and "span" in row.error
