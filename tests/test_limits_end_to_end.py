"""compare() itself keeps its limits on any thread: the learner's f that sleeps, loops or
swallows exceptions is stopped, every row says so, and sys.stdout is left as it was.

No timing is asserted (a busy machine is slow); what is asserted is that the call returns
(a generous join is only a guard against a hang), that no row claims a result, and that each
says the limit stopped it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

import diffmagic

SLEEPS = (
    "import time\n"
    "def f(x):\n"
    "    for _ in range(2000):\n"
    "        time.sleep(0.01)\n"
    "    return x * 2\n"
)
SWALLOWS = (
    "def f(x):\n"
    "    total = 0.0\n"
    "    try:\n"
    "        for k in range(10**9):\n"
    "            total += k\n"
    "    except Exception:\n"
    "        pass\n"
    "    return x + total\n"
)
LIMITS = {"method_time_limit": 1.0, "symbolic_time_limit": 1.0}
#: A limit raised where Python can only print it ("Exception ignored in ...") is a lost limit.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


def _on(where: str, work: Callable[[], Any]) -> Any:
    """Run `work` on the main thread or on a thread of its own; its result or exception."""
    if where == "main":
        return work()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as error:  # handed back to the test
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=120)  # a hang guard, not a measurement
    assert not thread.is_alive(), "compare() did not return: a limit did not hold"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.mark.slow
@pytest.mark.parametrize("where", ["main", "thread"])
@pytest.mark.parametrize("cell", [SLEEPS, SWALLOWS], ids=["sleeps", "swallows exceptions"])
def test_a_function_that_runs_on_and_on_is_stopped_in_every_row(where: str, cell: str) -> None:
    comparison = _on(where, lambda: diffmagic.compare(cell, **LIMITS))
    assert not any(row.ok for row in comparison)
    for row in comparison:
        assert "longer than 1 s" in row.error, (row.key, row.error)


def test_two_comparisons_at_once_leave_sys_stdout_as_it_was() -> None:
    stdout, stderr = sys.stdout, sys.stderr
    cell = "def f(x):\n    print('a line')\n    return x**2\n"
    results: list[diffmagic.Comparison] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(diffmagic.compare(cell, methods="numerical"))
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sys.stdout is stdout and sys.stderr is stderr
    assert len(results) == 2
    assert all(any("printed" in note for note in result.notes) for result in results)
