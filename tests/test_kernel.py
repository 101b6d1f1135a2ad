"""In a real kernel: an interrupt during timing stops cleanly, keeps what it measured, and the
kernel stays usable."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

#: Starts a Jupyter kernel.
pytestmark = pytest.mark.slow

#: f is slow on big arrays only, and leaves a mark when it is: the grid (100 points) is quick,
#: the symbolic row's timing (which evaluates f', not f) too, and the first call of f on a
#: million points, in np.gradient's timing, tells the test that the interrupt will land there.
CELL = (
    "{line}\n"
    "import pathlib, time\n"
    "import numpy as np\n"
    "def f(x):\n"
    "    if np.size(x) > 5000:\n"
    "        pathlib.Path({marker!r}).touch()\n"
    "        time.sleep(1.0)\n"
    "    return np.exp(-2*x) + 3*np.sin(3*x)\n"
)


@pytest.fixture
def kernel():
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _run(client, code: str, timeout: float = 120) -> tuple[str, list[str]]:
    """(status, texts shown) for one cell."""
    texts: list[str] = []

    def collect(message) -> None:
        content = message["content"]
        if "data" in content:
            texts.append(content["data"].get("text/plain", ""))
        elif "text" in content:
            texts.append(content["text"])
        elif "ename" in content:
            texts.append(f"{content['ename']}: {content['evalue']}")

    reply = client.execute_interactive(code, timeout=timeout, output_hook=collect)
    return reply["content"]["status"], texts


def _wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, "the timed run never called f on a big array"
        time.sleep(0.05)


def test_an_interrupt_during_timing_keeps_the_results_and_the_kernel(kernel, tmp_path) -> None:
    manager, client = kernel
    marker = tmp_path / "timing-f"
    assert _run(client, "%load_ext diffmagic")[0] == "ok"
    # Prepared once, so the timed run below spends its time timing, not deriving.
    prepare = CELL.format(line="%%differentiate --no-timing -q", marker=str(marker))
    assert _run(client, prepare)[0] == "ok"
    assert not marker.exists()

    timed = CELL.format(
        line="%%differentiate --timing full --no-plot -o result", marker=str(marker)
    )
    message_id = client.execute(timed)
    _wait_for(marker, 120)
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=120)
    while reply["parent_header"].get("msg_id") != message_id:
        reply = client.get_shell_msg(timeout=120)
    assert reply["content"]["status"] == "ok", reply["content"]

    status, texts = _run(
        client,
        "print(sum(row.timing is not None for row in result), 'timed;', "
        "' '.join(result.notes), result['numerical'].notes)",
    )
    assert status == "ok"
    shown = " ".join(texts)
    assert shown.startswith("1 timed;"), shown  # the symbolic row, timed before the interrupt
    assert "timing was interrupted" in shown and "'timing interrupted'" in shown
    # The kernel is usable afterwards, magic included.
    status, texts = _run(client, '%differentiate "x**2" --no-timing --no-plot -q -o again\n1 + 1')
    assert status == "ok" and "2" in texts
