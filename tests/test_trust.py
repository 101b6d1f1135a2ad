"""Never ok-and-wrong: each case here once said "ok" with tiny errors while the numbers were wrong.

Every row must be either ok and right (checked against a derivative written by hand) or not ok
with a one-line reason. The cases are the ones found by trying to break diffmagic as a learner
would: Python's `max`, NumPy's reductions, mutable state behind the cache, functions that write
into their argument, domains float64 cannot hold, float32 inside a jitted function, lists.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import pytest

import diffmagic
from diffmagic import DiffMagicError, compare
from diffmagic.inputs.target import make_target
from diffmagic.running.cache import PREPARED, PreparedCache, fingerprint

METHODS = ("symbolic", "numerical", "finite_difference", "automatic")


def _right_or_refused(cmp: diffmagic.Comparison, true_derivative, tolerance: dict[str, float]):
    """Every row: ok and within `tolerance[key]` of the hand-written derivative, or a reason."""
    x = np.asarray(cmp.x)
    truth = true_derivative(x)
    away_from_kinks = np.ones(x.shape, dtype=bool)
    for point in cmp.nondifferentiable:
        away_from_kinks &= np.abs(x - point) > 2 * (x[1] - x[0])
    for row in cmp:
        if row.ok:
            error = np.max(np.abs(row.values[away_from_kinks] - truth[away_from_kinks]))
            assert error <= tolerance[row.key], (row.key, error)
        else:
            assert row.error and "\n" not in row.error


# ----------------------------------------------------------------------------- max, min, reductions


def test_python_max_in_an_expression_is_relu_in_every_backend() -> None:
    cmp = compare("max(x, 0)", methods=METHODS)
    assert str(cmp.function_expr) == "Max(0, x)"
    assert all(row.ok for row in cmp if row.key != "numerical"), [row.error for row in cmp]
    # np.gradient's differences next to the corner mix both slopes: 0.25 where f' is 0
    assert cmp["numerical"].status == "inaccurate" and "next to x = 0" in cmp["numerical"].error
    assert cmp.nondifferentiable == [0.0]
    _right_or_refused(
        cmp,
        lambda x: (x > 0).astype(float),
        {"symbolic": 1e-12, "numerical": 1e-12, "finite_difference": 1e-8, "automatic": 1e-12},
    )


def test_python_max_in_a_cell_is_relu_too() -> None:
    cmp = compare("def f(x):\n    return max(x, 0)", methods=METHODS)
    assert all(row.ok for row in cmp if row.key != "numerical"), [row.error for row in cmp]
    assert cmp["numerical"].status == "inaccurate"
    assert cmp.nondifferentiable == [0.0]


@pytest.mark.parametrize(
    "cell",
    [
        "import numpy as np\ndef f(x):\n    return np.max(x, 0)",
        "def f(x):\n    import numpy as np\n    return np.max(x, 0)",
        "import numpy as np\ndef f(x):\n    return np.sum(x, axis=0) * 2",
        # np.amax / np.amin are the same reductions (NumPy alone would answer x here)
        "import numpy as np\ndef f(x):\n    return np.amax(x, 0)",
        "import jax.numpy as jnp\ndef f(x):\n    return jnp.amin(x, axis=0)",
    ],
)
def test_a_reduction_along_an_axis_of_one_number_is_refused_by_every_backend(cell: str) -> None:
    cmp = compare(cell, methods=METHODS)
    assert not any(row.ok for row in cmp)
    for row in cmp:  # each backend refuses it itself, in the same words
        assert row.error.startswith("np.") and "reduces an array along axis" in row.error, row.error


def test_an_expression_and_a_cell_that_read_max_differently_never_share_a_cache_entry() -> None:
    expression = make_target("max(x, 0)")
    cell = make_target("def f(x):\n    return max(x, 0)")
    assert fingerprint(expression) != fingerprint(cell)
    first = compare("def f(x):\n    return max(x, 0)", methods="symbolic")
    second = compare("max(x, 0)", methods="symbolic")
    assert str(first.derivative_expr) == str(second.derivative_expr)
    assert second.nondifferentiable == [0.0]


@pytest.mark.parametrize(
    ("expression", "derivative"),
    [
        ("relu(x)", lambda x: (x > 0).astype(float)),
        ("sigmoid(x)", lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
        ("softplus(x)", lambda x: 1 / (1 + np.exp(-x))),
        ("ln(x + 6)", lambda x: 1 / (x + 6)),
        ("heaviside(x) + x", lambda x: np.ones_like(x)),
    ],
)
def test_the_names_of_machine_learning_work_in_expressions(expression: str, derivative) -> None:
    cmp = compare(expression, methods=METHODS)
    assert cmp["symbolic"].ok and cmp["automatic"].ok, [row.error for row in cmp]
    _right_or_refused(
        cmp,
        derivative,
        {"symbolic": 1e-10, "numerical": 0.3, "finite_difference": 1e-6, "automatic": 1e-10},
    )


# ----------------------------------------------------------------------------- fidelity


def test_a_backend_that_reads_f_differently_fails_with_the_numbers() -> None:
    # NumPy sees an array or a float (x**2); SymPy sees a Symbol, which is neither (x**3).
    def f(x):
        return x**2 if isinstance(x, np.ndarray | float) else x**3

    cmp = compare(f, domain=(0.5, 2), methods=METHODS)
    symbolic = cmp["symbolic"]
    assert not symbolic.ok
    assert "SymPy reads f differently from NumPy" in symbolic.error
    assert "NumPy's 0.25" in symbolic.error
    _right_or_refused(
        cmp, lambda x: 2 * x, {"numerical": 0.02, "finite_difference": 1e-8, "automatic": 1e-12}
    )


# ----------------------------------------------------------------------------- the cache


def test_a_callable_object_whose_state_changes_is_derived_afresh() -> None:
    class Scaled:
        def __init__(self) -> None:
            self.a = 2.0

        def __call__(self, x):
            return self.a * x**2

    scaled = Scaled()
    assert np.allclose(compare(scaled, methods="automatic")["automatic"].values[-1], 2 * 2 * 5)
    scaled.a = 3.0
    assert np.allclose(compare(scaled, methods="automatic")["automatic"].values[-1], 2 * 3 * 5)


@pytest.mark.parametrize("keyword_only", [False, True])
def test_a_helper_whose_default_is_edited_and_rerun_is_derived_afresh(keyword_only: bool) -> None:
    star = "*, " if keyword_only else ""
    namespace: dict = {}
    exec(
        f"def helper(x, {star}k=2.0):\n    return k * x**2\ndef f(x):\n    return helper(x)",
        namespace,
    )
    first = compare(namespace["f"], methods=("symbolic", "automatic"))
    exec(f"def helper(x, {star}k=3.0):\n    return k * x**2", namespace)  # the helper cell, rerun
    second = compare(namespace["f"], methods=("symbolic", "automatic"))
    assert str(first.derivative_expr) == "4.0*x" and str(second.derivative_expr) == "6.0*x"
    assert np.allclose(second["automatic"].values, 6 * second.x)


def test_what_the_cache_hands_out_cannot_be_changed_into_later_results() -> None:
    cmp = compare("x**3", methods="symbolic")
    prepared = cmp["symbolic"].prepared
    with pytest.raises(dataclasses.FrozenInstanceError):
        prepared.expr = None
    with pytest.raises(AttributeError):
        prepared.notes.append("changed")
    cmp["symbolic"].notes.append("a note of the caller's")
    again = compare("x**3", methods="symbolic")
    assert again["symbolic"].cached and "a note of the caller's" not in again["symbolic"].notes


def test_cache_false_derives_afresh_and_clear_cache_empties_it() -> None:
    compare("x**5 + 1", methods="symbolic")
    before = PREPARED.preparations["symbolic"]
    assert compare("x**5 + 1", methods="symbolic")["symbolic"].cached
    assert PREPARED.preparations["symbolic"] == before
    assert not compare("x**5 + 1", methods="symbolic", cache=False)["symbolic"].cached
    diffmagic.clear_cache()
    assert len(PREPARED) == 0
    assert not compare("x**5 + 1", methods="symbolic")["symbolic"].cached
    with pytest.raises(DiffMagicError, match="cache must be True or False"):
        compare("x", cache="no")


def test_the_cache_is_bounded_by_memory_as_well_as_count() -> None:
    cache = PreparedCache(capacity=100, max_bytes=3 * (256 << 10))
    for power in range(2, 8):
        cache.get_or_prepare("symbolic", make_target(f"x**{power}"), 1, lambda: object())
    assert len(cache) == 3 and cache.bytes <= cache.max_bytes


# ------------------------------------------------------------------ inputs f cannot change


@pytest.mark.parametrize(
    "body", ["x *= 2\n    return x**2", "x[x < 0] = 0\n    return x**2", "x += 1\n    return x"]
)
def test_a_function_that_writes_into_its_argument_gets_the_fix(body: str) -> None:
    cmp = compare(f"def f(x):\n    {body}", methods=METHODS)
    assert np.array_equal(cmp.x, np.linspace(-5, 5, 100)), "the grid was changed"
    assert not any(row.ok for row in cmp)
    assert all("modifies its argument in place" in row.error for row in cmp)
    with pytest.raises(ValueError, match="read-only"):
        cmp.x[0] = 1.0


# ----------------------------------------------------------------------------- non-finite values


def test_a_domain_whose_width_overflows_is_refused_in_one_line() -> None:
    with pytest.raises(DiffMagicError, match="too wide for float64") as raised:
        compare("sin(x)", domain=(-1e308, 1e308))
    assert "\n" not in str(raised.value)


def test_np_gradient_on_a_grid_whose_step_underflows_is_not_ok() -> None:
    cmp = compare(np.sin, domain=(1e-302, 2e-302), methods=METHODS)
    numerical = cmp["numerical"]
    assert not numerical.ok and numerical.status == "inaccurate"
    assert "NaN" in numerical.error and "underflows" in numerical.error
    _right_or_refused(
        cmp, np.cos, {"symbolic": 1e-12, "finite_difference": 1e-8, "automatic": 1e-12}
    )


def test_a_function_with_no_finite_value_on_the_grid_is_said_so_in_every_row() -> None:
    cmp = compare("log(x)", domain=(-3, -1), methods=METHODS)
    assert not any(row.ok for row in cmp)
    assert all("NaN or infinite at every grid point" in row.error for row in cmp)


def test_a_list_of_one_number_is_refused_by_every_backend() -> None:
    def f(x):
        return [x**2]

    cmp = compare(f, methods=METHODS)
    assert not any(row.ok for row in cmp)
    assert all("one number" in row.error or "list" in row.error for row in cmp)


# ----------------------------------------------------------------------------- precision


def test_a_function_jitted_in_float32_is_said_so_and_judged_by_float32() -> None:
    @jax.jit
    def f(x):
        return jax.numpy.cos(x)

    with jax.enable_x64(False):  # as a user has it by default (another test may have set it)
        cmp = compare(f, methods=METHODS)
    assert cmp.precision == "float32"
    assert any("computes in float32" in note for note in cmp.notes)
    fd = cmp["finite_difference"]
    assert "float32" in fd.status
    truth = -np.sin(cmp.x)
    if fd.ok:
        assert np.max(np.abs(fd.values - truth)) < 1e-3
    automatic = cmp["automatic"]
    assert automatic.ok and automatic.status == "reference"  # JAX runs f in float64 itself
    assert np.max(np.abs(automatic.values - truth)) < 1e-12


# ------------------------------------------------------------------ rows, engines, budget


def test_np_gradient_compiled_by_jax_is_a_row_of_its_own() -> None:
    cmp = compare("x**3", methods="numerical", engines=("numpy", "jax"))
    assert "numerical@jax" in cmp and cmp["numerical@jax"].engine == "jax jit(np.gradient formula)"
    x = cmp.x
    # np.gradient of the hand-written f, as the course computes it, and within its Taylor
    # bound of the true derivative 3x^2 (h^2 max|f'''|/6 inside, h/2 max|f''| at the ends).
    assert np.allclose(cmp["numerical@jax"].values, np.gradient(x**3, x), rtol=1e-12)
    h = x[1] - x[0]
    assert np.max(np.abs(cmp["numerical@jax"].values[1:-1] - 3 * x[1:-1] ** 2)) <= 1.001 * h * h
    assert cmp["numerical@jax"].ok


@pytest.mark.slow
def test_quick_timing_of_a_point_by_point_fallback_stays_within_the_cell_budget() -> None:
    def f(x):
        if x > 0:
            return x**2 + np.sin(x)
        return -x

    cmp = compare(f, timing=True)
    for row in cmp:
        if not row.ok or not row.pointwise:
            continue
        if row.timing is None:
            assert any(note.startswith("timing skipped: point-by-point") for note in row.notes)
        else:
            assert row.timing.timed_points < 1_000_000  # measured on a share, then scaled


@pytest.mark.slow
def test_timing_again_replaces_its_notes_and_keeps_the_time_limit() -> None:
    cmp = compare("def f(x):\n    return x if x > 0 else -x", methods="finite_difference")
    cmp.time(timing_points=20_000)
    first = list(cmp["finite_difference"].notes)
    cmp.time(timing_points=20_000)
    cmp.time(timing_points=20_000)
    assert len(cmp["finite_difference"].notes) == len(first)
    assert cmp.method_time_limit == diffmagic.limits.bounds.METHOD_SECONDS


@pytest.mark.parametrize("seconds", [float("nan"), -1, 0, "soon", True])
def test_a_time_limit_that_means_nothing_is_refused_in_one_line(seconds) -> None:
    with pytest.raises(DiffMagicError, match="method_time_limit must be"):
        compare("x", method_time_limit=seconds)


def test_an_infinite_time_limit_means_no_limit() -> None:
    cmp = compare("x**2", methods="automatic", method_time_limit=float("inf"))
    assert cmp["automatic"].ok and cmp.method_time_limit == float("inf")


# ----------------------------------------------------------------------------- whatever f raises


def test_whatever_f_raises_becomes_a_reason_even_an_unprintable_exception_or_exit() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    def unprintable(x):
        raise Unprintable

    def leaves(x):
        raise SystemExit(3)

    for function, words in ((unprintable, "cannot be shown"), (leaves, "SystemExit")):
        cmp = compare(function, methods=METHODS)
        assert not any(row.ok for row in cmp)
        assert all(words in row.error for row in cmp), [row.error for row in cmp]


@pytest.mark.parametrize("params", [3, "a=1", ["a", 1]])
def test_params_that_are_not_a_dict_are_refused_in_one_line(params) -> None:
    with pytest.raises(DiffMagicError, match="params must be a dict"):
        compare("a*x", params=params)


@pytest.mark.slow
def test_on_a_grid_larger_than_the_30_digit_sample_an_error_between_samples_is_found() -> None:
    # 40,001 points: more than the reference evaluates evenly at 30 digits (every other one).
    grid = np.linspace(-5, 5, 40_001)
    spike = grid[20_001]

    def f(x):
        return x**2

    def dfdx(x):  # right everywhere but at one grid point
        return 2 * x + np.where(x == spike, 1.0, 0.0)

    cmp = compare(f, points=grid.size, methods=("symbolic",), yours=dfdx)
    assert np.array_equal(cmp.x, grid)
    yours = cmp["yours"]
    assert not yours.ok and yours.max_abs_error == pytest.approx(1.0, rel=1e-9)
    assert f"x = {spike:g}" in yours.error
    assert "each max error is over all the points" in cmp.reference_label
