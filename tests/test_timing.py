"""The timing harness: it orders and scales known costs right, and keeps compile out of warm time.

No test here asserts a speed target (those live in benchmarks/); these check that the harness
measures what it says it measures, using work whose relative cost is known.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import diffmagic
from diffmagic.api.compare import time_results
from diffmagic.api.scaling import depth_study, scaling_sweep
from diffmagic.running import timing


class SimulatedClock:
    """`time.perf_counter` for the harness: each call of the work advances it by its cost, so
    what is measured is known exactly (no wall clock, no load on the machine to blur it)."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def work(self, seconds: float):
        def call() -> None:
            self.now += seconds

        return call


@pytest.fixture
def clock(monkeypatch) -> SimulatedClock:
    simulated = SimulatedClock()
    monkeypatch.setattr(timing, "time", simulated)
    return simulated


def test_it_orders_and_scales_work_of_known_size(clock) -> None:
    _, small_loops, small = timing.measure(clock.work(2e-5))
    _, large_loops, large = timing.measure(clock.work(2e-4))
    assert min(small) == pytest.approx(2e-5) and min(large) == pytest.approx(2e-4)
    assert small_loops > large_loops  # autorange: more loops of the cheaper call


def test_a_deliberately_slow_path_is_slower(clock) -> None:
    _, _, fast = timing.measure(clock.work(1e-4))
    _, _, slow = timing.measure(clock.work(1e-4 + 0.002))
    assert min(slow) == pytest.approx(min(fast) + 0.002)


@pytest.mark.slow
def test_quick_mode_loops_tiny_calls_and_full_mode_repeats_seven_times() -> None:
    _, loops, runs = timing.measure(lambda: None, mode="quick")
    assert loops >= 1000 and 3 <= len(runs) <= timing.FULL_REPEAT
    _, loops, runs = timing.measure(lambda: time.sleep(0.03), mode="full")
    assert loops == 10 and len(runs) == timing.FULL_REPEAT  # 10 loops of 30 ms pass 0.2 s
    with pytest.raises(ValueError, match="quick"):
        timing.measure(lambda: None, mode="slow")


def test_jax_results_are_waited_for() -> None:
    class Pending:
        waited = False

        def block_until_ready(self) -> None:
            time.sleep(0.01)
            Pending.waited = True

    _, _, runs = timing.measure(Pending)
    assert Pending.waited and min(runs) >= 0.009


def _clocked(monkeypatch, first_s: float, runs_s: list[float], timed_points: int | None = None):
    """The timing harness reads this simulated clock: a first call of `first_s` and warm runs
    `runs_s` (seconds per evaluation) on the points it times; a slow row is timed on
    `timed_points`. No real time is asserted on."""
    monkeypatch.setattr(timing, "measure", lambda call, mode="quick": (first_s, 1, list(runs_s)))
    if timed_points is not None:
        monkeypatch.setattr(timing, "affordable_points", lambda make, wanted, limit: timed_points)


def _row_text(comparison, key: str) -> tuple[dict[str, str], list[str]]:
    """(the row's cells in the printed table, by column, and the notes printed under it)."""
    lines = str(comparison).splitlines()
    header = next(line for line in lines if line.startswith("method  "))
    names = ["method", "engine", "status", "setup", "warm eval", "first call", "max abs error"]
    starts = [header.index(name) for name in names]
    label = comparison[key].label
    index = next(i for i, line in enumerate(lines) if line.startswith(label + "  "))
    line = lines[index]
    cells = {
        name: line[start:end].strip()
        for name, start, end in zip(names, starts, [*starts[1:], None], strict=True)
    }
    notes = []
    for line in lines[index + 1 :]:
        if not line.startswith("    - "):
            break
        notes.append(line[6:])
    return cells, notes


def test_one_slow_run_among_steady_ones_says_nothing(monkeypatch) -> None:
    _clocked(monkeypatch, 0.004, [0.001, 0.001, 0.00105, 0.001, 0.008, 0.001, 0.001])
    comparison = diffmagic.compare("x**2", methods=("symbolic",), timing=True)
    row, notes = _row_text(comparison, "symbolic")
    assert (row["warm eval"], row["first call"], notes) == ("1 ms", "4 ms", [])
    assert comparison["symbolic"].timing.warning is None


def test_runs_whose_median_the_load_set_say_so_and_what_to_read_instead(monkeypatch) -> None:
    _clocked(monkeypatch, 0.004, [0.001, 0.0025, 0.0026, 0.0027, 0.003])
    comparison = diffmagic.compare("x**2", methods=("symbolic",), timing=True)
    _, notes = _row_text(comparison, "symbolic")
    assert notes == [
        "the runs varied (median 2.6x the fastest, 1 ms): the machine was busy; the fastest run "
        "is nearer what it costs"
    ]


def test_a_first_call_no_slower_than_a_warm_one_reads_as_warm(monkeypatch) -> None:
    # Nothing compiled for NumPy's first call: a first call below the median is noise, and a
    # figure there would read as a first call faster than a warm one.
    _clocked(monkeypatch, 0.0009, [0.001, 0.001, 0.0011])
    comparison = diffmagic.compare("x**2", methods=("symbolic",), timing=True)
    row, _ = _row_text(comparison, "symbolic")
    assert (row["warm eval"], row["first call"]) == ("1 ms", "≈ warm")
    assert '"≈ warm" when it cost no more than a warm one' in str(comparison)


def test_a_scaled_row_says_so_in_its_cells_and_scales_no_compile(monkeypatch) -> None:
    # Timed on 10,000 points: 1 ms a warm run there, and a first call 50 ms more (a compile).
    _clocked(monkeypatch, 0.051, [0.001, 0.001, 0.001], timed_points=10_000)
    comparison = diffmagic.compare("x**2", methods=("finite_difference",), timing=True)
    measured = comparison["finite_difference"].timing
    assert measured.timed_points == 10_000 and measured.points == 1_000_000
    assert measured.eval_s == pytest.approx(0.1)  # 1 ms x 100
    assert measured.first_call_s == pytest.approx(0.1 + 0.05)  # not (1 ms + 50 ms) x 100
    row, notes = _row_text(comparison, "finite_difference")
    assert (row["warm eval"], row["first call"]) == ("≈100 ms", "≈150 ms")
    assert (
        "≈ times: timed on 10,000 points and scaled to 1,000,000 (its cost grows in proportion "
        "to the points)"
    ) in notes


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2.5, "2.5 s"), (0.0123, "12.3 ms"), (4.56e-5, "45.6 µs"), (7e-9, "7 ns"), (None, "—")],
)
def test_each_value_gets_its_unit(seconds: float | None, text: str) -> None:
    assert timing.format_time(seconds) == text


def test_compile_time_lands_in_setup_and_first_call_not_in_warm_time() -> None:
    # A constant nobody used before: neither diffmagic's cache nor JAX's has compiled this.
    constant = 1 + int(uuid.uuid4().int % 1000) / 1000
    comparison = diffmagic.compare(
        f"sin({constant}*x) * exp(-x**2)",
        methods=("automatic",),
        timing=True,
        timing_points=200_000,
    )
    measured = comparison["automatic"].timing
    assert measured.setup_s > 5 * measured.eval_s, "tracing and compiling are setup"
    assert measured.first_call_s > 2 * measured.eval_s, "a new shape compiles on first call"
    assert measured.eval_s <= measured.worst_s


def test_a_slow_method_is_timed_on_fewer_points_and_says_so() -> None:
    comparison = diffmagic.compare(
        "exp(-2*x) + 3*sin(3*x)", methods=("finite_difference",), timing=True
    )
    row = comparison["finite_difference"]
    assert row.timing.timed_points < row.timing.points == 1_000_000
    assert any("scaled to 1,000,000" in note for note in row.notes)


def test_an_interrupt_stops_timing_and_keeps_what_was_measured() -> None:
    comparison = diffmagic.compare("x**2", methods=("symbolic", "automatic"))
    symbolic = comparison["symbolic"].prepared

    def interrupted(x: np.ndarray) -> None:
        raise KeyboardInterrupt

    # A copy: the prepared derivative itself is shared through diffmagic's cache.
    row = comparison["automatic"]
    row.prepared = dataclasses.replace(row.prepared, timed_call=interrupted)
    finished = time_results(comparison.results, comparison.domain, 10_000)
    assert not finished
    assert comparison["symbolic"].timing is not None and symbolic is not None
    assert comparison["automatic"].timing is None
    assert "timing interrupted" in comparison["automatic"].notes


def test_a_sweep_reports_progress_and_scales_with_points() -> None:
    seen: list[tuple[float, str]] = []
    sweep = scaling_sweep(
        "exp(-2*x) + 3*sin(3*x)",
        points=(1_000, 100_000),
        methods=("symbolic",),
        engines=("numpy",),
        progress=lambda fraction, label: seen.append((fraction, label)),
    )
    [seconds] = sweep.seconds.values()
    assert seconds[1] > 10 * seconds[0]
    assert seen[0][0] == 0.0 and seen[-1] == (1.0, "done")
    assert sweep.figure().axes[0].get_xscale() == "log"


def test_a_sweep_keeps_its_results_when_interrupted() -> None:
    calls = []

    def progress(fraction: float, label: str) -> None:
        calls.append(label)
        if len(calls) == 3:
            raise KeyboardInterrupt

    sweep = scaling_sweep(
        "x**2", points=(100, 1_000, 10_000), methods=("symbolic",), progress=progress
    )
    assert sweep.interrupted
    measured = [s for seconds in sweep.seconds.values() for s in seconds if s is not None]
    assert len(measured) == 2


@pytest.mark.slow
def test_the_depth_study_shows_swell_in_the_work_column() -> None:
    study = depth_study(depths=(1, 3), timing_points=1_000, progress=lambda f, label: None)
    operations = [work.derivative for work in study.work["symbolic (SymPy)"]]
    assert operations[1] > 5 * operations[0]
    assert all(s is not None for s in study.setup_s["automatic (JAX)"])
    bundle = study._repr_mimebundle_()
    assert bundle["text/html"].startswith("<img alt='setup and warm time")
    assert "src='data:image/png;base64," in bundle["text/html"]
    assert "operations" in bundle["text/plain"] and "jaxpr equations" in bundle["text/plain"]


def test_a_slow_method_is_probed_small_and_a_cheap_one_until_its_probe_tells(monkeypatch):
    """Which points a slow row is timed on, with each call's cost simulated (no clock read)."""
    probes: list[int] = []

    def calls_costing(seconds_for: Callable[[int], float]) -> Callable[[int], Any]:
        def make_call(points: int) -> Any:
            probes.append(points)
            call = lambda: None  # noqa: E731 - a call that carries its simulated cost
            call.seconds = seconds_for(points)
            return call

        return make_call

    monkeypatch.setattr(timing, "_run", lambda call, loops: call.seconds * loops)
    # numdifftools' f'': about 60 µs a point, so 1,000 points already pass a quick call's 0.05 s:
    # it is timed there, and never probed on 10,000 (0.6 s a call).
    slow = calls_costing(lambda points: 6e-5 * points)
    assert timing.affordable_points(slow, 1_000_000, 0.05) == 1_000
    assert probes == [1_000]
    # Mostly overhead (2 ms a call, 10 ns a point): 1,000 points would undercount what fits.
    probes.clear()
    cheap = calls_costing(lambda points: 2e-3 + 1e-8 * points)
    assert timing.affordable_points(cheap, 1_000_000, 0.05) == 1_000_000
    assert probes == [1_000, 10_000, 100_000]
