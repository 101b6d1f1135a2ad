"""Whatever a learner types: each bad input has one expected outcome, and nothing escapes.

Two outcomes are allowed. Input that is no usable function or option raises `DiffMagicError`
with one line that names the problem. A function that runs but fails somewhere gives rows that
say why, and every other method still reports. Nothing else: no other exception, no hang.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import diffmagic
from diffmagic import DiffMagicError


@dataclass(frozen=True)
class Bad:
    id: str
    source: Any
    #: A word the one-line DiffMagicError must contain; None when compare() must return.
    refused_with: str | None = None
    #: Row key -> a word its failure reason must contain ("" = the row must be ok).
    rows: dict[str, str] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)


class NotAFunction:
    def __call__(self, x: float) -> float:
        return x


def generator(x):  # a learner's mistake, on purpose
    yield x


CASES = [
    Bad("syntax error", "def f(x):\n    return x +\n", refused_with="not valid Python"),
    Bad("empty text", "   ", refused_with="empty"),
    Bad("no function", "y = 3\n", refused_with="defines no function"),
    Bad("a class", NotAFunction, refused_with="class"),
    Bad("a generator", generator, refused_with="generator"),
    Bad("no arguments", "def f():\n    return 1.0\n", refused_with="no arguments"),
    Bad(
        "five arguments, no values",
        "def f(x, a, b, c, d):\n    return a*x + b + c + d\n",
        refused_with="needs a value for `a`",
    ),
    Bad(
        "wrt names no parameter",
        "def f(x):\n    return x\n",
        "no parameter `z`",
        kwargs={"wrt": "z"},
    ),
    Bad("points 0", "x**2", "at least 2", kwargs={"points": 0}),
    Bad("points negative", "x**2", "at least 2", kwargs={"points": -5}),
    Bad("points absurd", "x**2", "limit", kwargs={"points": 10**12}),
    Bad("domain reversed", "x**2", "low < high", kwargs={"domain": (2, 1)}),
    Bad("domain empty", "x**2", "low < high", kwargs={"domain": (1, 1)}),
    Bad("order 0", "x**2", "order", kwargs={"order": 0}),
    Bad("order two", "x**2", "order", kwargs={"order": "two"}),
    Bad("unknown method", "x**2", "unknown method", kwargs={"methods": ("magic",)}),
    Bad(
        "hostile expression",
        "__import__('os').system('echo owned')",
        refused_with="attribute access",
    ),
    Bad(
        "returns a string",
        "def f(x):\n    return 'x squared'\n",
        rows={"symbolic": "text", "numerical": "text", "automatic": "str"},
    ),
    Bad(
        "returns a vector",
        "import numpy as np\ndef f(x):\n    return np.array([x, 2 * x])\n",
        rows={"symbolic": "shape", "numerical": "shape", "automatic": "shape"},
    ),
    Bad(
        "raises for every x",
        "def f(x):\n    raise RuntimeError('boom')\n",
        rows={"symbolic": "RuntimeError: boom", "numerical": "boom", "automatic": "boom"},
    ),
    Bad(
        "python if on x",
        "def f(x):\n    if x > 0:\n        return x**2\n    return -x\n",
        # the corner at 0 lies between two grid points: np.gradient's differences span it
        rows={
            "symbolic": "np.where",
            "numerical": "span",
            "finite_difference": "",
            "automatic": "",
        },
    ),
    Bad(
        "complex output",
        "import numpy as np\ndef f(x):\n    return np.exp(1j * x)\n",
        rows={"numerical": "complex", "automatic": "complex"},
    ),
    Bad(
        "infinite recursion",
        "def f(x):\n    return f(x) + 1\n",
        rows={"symbolic": "recurs", "numerical": "Recursion", "automatic": "Recursion"},
    ),
    Bad(
        "huge values, exp(1000)",
        "import numpy as np\ndef f(x):\n    return np.exp(1000 * x)\n",
        rows={"symbolic": "", "automatic": ""},
    ),
    Bad(
        "log at and below 0",
        "import numpy as np\ndef f(x):\n    return np.log(x)\n",
        rows={"symbolic": "", "numerical": "", "automatic": ""},
        kwargs={"domain": (-1, 1), "points": 21},
    ),
    Bad(
        "integer-only domain",
        "def f(x):\n    return x**3\n",
        rows={"symbolic": "", "numerical": "", "automatic": ""},
        kwargs={"domain": (1, 4), "points": 4},
    ),
    Bad(
        "recursion that ends",
        "def f(x, n=3):\n    return x if n == 0 else x * f(x, n - 1)\n",
        rows={"symbolic": "", "numerical": "", "automatic": ""},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_bad_input_has_its_expected_outcome(case: Bad) -> None:
    if case.refused_with is not None:
        with pytest.raises(DiffMagicError) as raised:
            diffmagic.compare(case.source, **case.kwargs)
        message = str(raised.value)
        assert "\n" not in message
        assert case.refused_with in message, message
        return
    comparison = diffmagic.compare(case.source, **case.kwargs)
    for key, word in case.rows.items():
        row = comparison[key]
        if word == "":
            assert row.ok, f"{key}: {row.error}"
            continue
        assert not row.ok, f"{key} should fail"
        assert row.error and "\n" not in row.error
        assert word in row.error, f"{key}: {row.error}"
    # Every view still works on whatever came back.
    assert comparison.table() and comparison._repr_html_() and comparison.to_dict()
    comparison.figure()


def test_there_are_at_least_25_bad_inputs() -> None:
    assert len(CASES) >= 25


def test_a_function_that_prints_does_not_flood_the_output(capsys: pytest.CaptureFixture) -> None:
    source = "def f(x):\n    for i in range(100):\n        print('step', i)\n    return x**2\n"
    comparison = diffmagic.compare(source)
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err == ""
    note = next(n for n in comparison.notes if "printed" in n)
    assert "step 0" in note
    assert comparison["automatic"].ok


@pytest.mark.slow
def test_a_function_that_sleeps_is_stopped_and_the_others_report() -> None:
    source = (
        "import time\n"
        "def f(x, slow=1.0):\n"
        "    if slow > 0:\n"
        "        time.sleep(60)\n"
        "    return x**2\n"
    )
    comparison = diffmagic.compare(source, method_time_limit=0.5, symbolic_time_limit=0.5)
    assert any("took longer than 0.5 s" in (r.error or "") for r in comparison)
    assert "took longer than 0.5 s" in " ".join(comparison.notes)


def test_a_function_that_mutates_a_global_leaves_the_users_global_alone() -> None:
    namespace: dict[str, Any] = {"calls": 0}
    exec("def f(x):\n    global calls\n    calls += 1\n    return x**2\n", namespace)
    comparison = diffmagic.compare(namespace["f"])
    assert comparison["symbolic"].ok and comparison["automatic"].ok
    assert namespace["calls"] == 0, "diffmagic runs f on a copy of its globals"


def test_nan_and_inf_are_counted_masked_and_never_crash_the_plot() -> None:
    comparison = diffmagic.compare("1/x", domain=(-1, 1), points=21)
    assert comparison.nondifferentiable == [0.0]
    assert "NaN or infinite at 1 of 21" in " ".join(comparison.notes)
    for row in comparison:
        if row.ok and row.max_abs_error is not None:
            assert np.isfinite(row.max_abs_error)
    comparison.figure()


def test_users_settings_are_as_they_were() -> None:
    import jax
    import matplotlib

    x64_before = jax.config.jax_enable_x64
    backend_before = matplotlib.get_backend()
    rc_before = dict(matplotlib.rcParams)
    errors_before = np.geterr()
    diffmagic.compare("exp(-2*x) + 3*sin(3*x)", timing=True, timing_points=1000).figure()
    assert jax.config.jax_enable_x64 == x64_before
    assert matplotlib.get_backend() == backend_before
    assert dict(matplotlib.rcParams) == rc_before
    assert np.geterr() == errors_before


@pytest.mark.slow
def test_the_labs_composed_polynomial_at_depth_8_returns_with_every_method() -> None:
    source = (
        "def f_polynomial_simple(x):\n    return 2*x**3 - 3*x**2 + 5\n"
        "def f_polynomial(x):\n    for i in range(8):\n        x = f_polynomial_simple(x)\n"
        "    return x\n"
    )
    comparison = diffmagic.compare(source, domain=(-1, 1.5))
    # Degree 3**8 overflows float64 at every grid point: no row may vouch for anything.
    assert not any(row.ok for row in comparison)
    assert all("NaN or infinite at every grid point" in row.error for row in comparison)


@pytest.mark.slow
def test_a_product_that_underflows_is_said_to_measure_nothing() -> None:
    comparison = diffmagic.compare("p**1400 * (1 - p)**600", domain=(0.05, 0.95))
    assert comparison.target.wrt == "p"
    assert sum("underflows" in note for note in comparison.notes) == 2


def test_reductions_over_python_lists_work_under_jax_too() -> None:
    source = (
        "import numpy as np\n"
        "flips = [1, 0, 1, 1]\n"
        "def likelihood(p):\n"
        "    return np.prod([p if h else 1 - p for h in flips])\n"
    )
    comparison = diffmagic.compare(source, domain=(0.05, 0.95))
    assert comparison["automatic"].ok, comparison["automatic"].error
    assert comparison["automatic"].max_rel_error < 1e-12


def test_a_rerun_adds_nothing_to_sympys_caches_or_to_linecache(monkeypatch) -> None:
    """A rerun of the same cell derives nothing again, so it leaves nothing behind: the zeros
    that place |x - 0.25|'s corner are kept (each `solveset` made fresh symbols that filled
    SymPy's caches), and the cell's text is one linecache entry however often it runs."""
    import linecache

    import sympy
    from sympy.core.cache import CACHE

    source = "import numpy as np\ndef f(x):\n    return np.abs(x - 0.25) + np.sin(x)\n"

    def sympy_entries() -> int:
        return sum(function.cache_info().currsize for function in CACHE)

    def rerun() -> list[Any]:  # the symbolic row: SymPy's f and f' place the corner
        return diffmagic.compare(source, points=50, methods="symbolic").singularities

    first = rerun()
    assert [point.x for point in first] == [0.25]
    solved = []
    solveset = sympy.solveset
    monkeypatch.setattr(
        sympy, "solveset", lambda *args, **kw: solved.append(args) or solveset(*args, **kw)
    )
    entries, lines = sympy_entries(), len(linecache.cache)
    for _ in range(3):
        assert rerun() == first
    assert (solved, sympy_entries(), len(linecache.cache)) == ([], entries, lines)
    diffmagic.clear_cache()  # forgets the zeros too: SymPy solves again
    assert rerun() == first
    assert solved


def test_only_the_last_cells_stay_in_linecache(monkeypatch) -> None:
    import linecache

    import diffmagic.inputs.target

    monkeypatch.setattr(diffmagic.inputs.target, "CELLS_KEPT", 2)
    cells = [f"def f(x):\n    return x**2 + 7770{k}\n" for k in range(3)]
    for cell in cells:
        diffmagic.compare(cell, methods="numerical")
    kept = "".join(
        "".join(entry[2])
        for name, entry in linecache.cache.items()
        if name.startswith("<diffmagic cell") and len(entry) == 4
    )
    assert "x**2 + 77700" not in kept and "x**2 + 77701" in kept and "x**2 + 77702" in kept
    # A cell still registered is quoted in reasons.
    failing = diffmagic.compare("def f(x):\n    return x / no_such_name\n", methods="numerical")
    assert "line 2: return x / no_such_name" in failing["numerical"].error


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
def test_memory_stays_flat_over_200_runs() -> None:
    """A learner reruns a cell again and again: figures are closed, nothing piles up."""
    import gc

    import matplotlib.pyplot as plt

    from diffmagic.views.figure import figure_bytes

    source = "import numpy as np\ndef f(x):\n    return np.abs(x) + np.sin(x)\n"

    def rerun() -> None:
        comparison = diffmagic.compare(source, points=50)
        assert comparison.table() and comparison._repr_html_()
        assert figure_bytes(comparison.figure(at=1.0), "png", dpi=20)

    for _ in range(20):  # warm: imports, caches, compiled programs
        rerun()
    gc.collect()
    # Each dropped figure is a cycle of some 8,000 objects that only a full collection frees,
    # and Python runs one when the objects that survived the last have grown by a quarter.
    # After the 780,000 objects the rest of the suite leaves, that is every ~25 runs: enough
    # garbage to raise the heap by 16 to 34 MB for good, though nothing is kept (measured with
    # 600,000 such objects in a fresh process: 33.5 MB; frozen: 3.4 MB). Frozen, those objects
    # leave the count: collections come as in a fresh kernel, and what grows is what is kept.
    gc.freeze()
    try:
        baseline = _resident_bytes()
        for _ in range(180):
            rerun()
        gc.collect()
        grown = _resident_bytes() - baseline
    finally:
        gc.unfreeze()
    # Measured here: under 2 MB of resident memory over 180 runs, and no Python object kept
    # per run; a leaked figure alone would be several MB per run.
    assert grown < 20_000_000, f"{grown / 1e6:.1f} MB more resident after 180 runs"
    assert plt.get_fignums() == []
