"""Each misuse of issue 12 ends in the one line the README promises, never a traceback.

The API raises `DiffMagicError`; the magic raises IPython's `UsageError`; the command exits 2
with one line. The command is called in-process (`cli.main`) so these tests stay fast; the
subprocess tests of tests/test_cli.py run it for real.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.getipython import get_ipython
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

import diffmagic
from diffmagic.errors import DiffMagicError
from diffmagic.frontends import cli


@pytest.fixture(scope="module")
def ip() -> Any:
    # The test shell starts once per process; another module may have started it already.
    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "diffmagic")
    return shell


def usage_error(ip: Any, line: str, cell: str | None = None) -> str:
    """The one-line message of the UsageError the magic raises (and that nothing was shown)."""
    with capture_output() as captured, pytest.raises(UsageError) as raised:
        if cell is None:
            ip.run_line_magic("differentiate", line)
        else:
            ip.run_cell_magic("differentiate", line, cell)
    message = str(raised.value)
    assert "\n" not in message.strip(), message
    assert captured.outputs == []
    return message


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    """(exit status, the lines on stderr, stdout) of `diffmagic ARGS`, in this process."""
    try:
        status = cli.main(list(args))
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.err.splitlines(), captured.out


def assert_one_line_exit_2(outcome: tuple[int, list[str], str], *fragments: str) -> None:
    status, error_lines, stdout = outcome
    assert status == 2, outcome
    assert stdout == "", outcome
    assert len(error_lines) == 1, outcome
    assert error_lines[0].startswith("diffmagic: error: "), outcome
    assert "Traceback" not in error_lines[0]
    for fragment in fragments:
        assert fragment in error_lines[0], outcome


# --- the magic ------------------------------------------------------------------------------


def test_an_unbalanced_quote_is_one_line(ip: Any) -> None:
    message = usage_error(ip, '"x**2')
    assert "quote" in message


@pytest.mark.parametrize("name", ["1abc", "class", "my-result", "a b"])
def test_an_output_name_no_one_can_reach_is_refused(ip: Any, name: str) -> None:
    before = dict(ip.user_ns)
    message = usage_error(ip, f'"x**2" --no-timing --no-plot -q -o "{name}"')
    assert "-o" in message and "name" in message
    assert name not in ip.user_ns
    assert set(ip.user_ns) == set(before)


def test_a_valid_output_name_still_works(ip: Any) -> None:
    ip.run_line_magic("differentiate", '"x**2" --no-timing --no-plot -q -o squared_result')
    assert isinstance(ip.user_ns.pop("squared_result"), diffmagic.Comparison)


@pytest.mark.parametrize(
    "cell",
    [
        "import sys\nsys.exit(3)\ndef f(x):\n    return x**2\n",
        "raise SystemExit('bye')\n",
        "import math\nraise SystemExit(0)\n",
    ],
)
def test_system_exit_in_the_cell_is_one_usage_error(ip: Any, cell: str) -> None:
    message = usage_error(ip, "--no-timing --no-plot", cell)
    assert "SystemExit" in message


def test_points_as_text_are_read_by_the_magic(ip: Any) -> None:
    ip.run_line_magic("differentiate", '"x**2" --no-timing --no-plot -q -n 50.0 -o fifty')
    assert ip.user_ns.pop("fifty").x.size == 50
    assert "--points" in usage_error(ip, '"x**2" --no-timing -n 50.5')


# --- the command ----------------------------------------------------------------------------


def test_an_unknown_flag_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_exit_2(run_cli(capsys, "x**2", "--bogus"), "--bogus", "--help")


def test_a_bad_number_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_exit_2(run_cli(capsys, "x**2", "--order", "two"), "--order", "two")
    assert_one_line_exit_2(run_cli(capsys, "x**2", "--points", "many"), "--points", "many")


def test_a_binary_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    binary = tmp_path / "blob.py"
    binary.write_bytes(bytes(range(256)) * 4)
    assert_one_line_exit_2(run_cli(capsys, str(binary)), "blob.py", "text")


@pytest.mark.parametrize(
    "source",
    [
        "import sys\nsys.exit(0)\ndef f(x):\n    return x**2\n",
        "import sys\nsys.exit(4)\ndef f(x):\n    return x**2\n",
        "raise SystemExit\n",
    ],
)
def test_system_exit_in_a_file_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, source: str
) -> None:
    path = tmp_path / "exits.py"
    path.write_text(source, encoding="utf-8")
    assert_one_line_exit_2(run_cli(capsys, str(path), "--no-timing", "--no-plot"), "SystemExit")


def test_points_as_text_are_read_by_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    status, errors, stdout = run_cli(capsys, "x**2", "--no-timing", "--no-plot", "-n", "1e2")
    assert (status, errors) == (0, [])
    assert "100 points" in stdout


# --- the API --------------------------------------------------------------------------------


def test_numpy_integers_are_points() -> None:
    comparison = diffmagic.compare("x**2", points=np.int64(50), timing=False)
    assert comparison.x.size == 50
    np.testing.assert_allclose(comparison["symbolic"].values, 2 * comparison.x, rtol=1e-12)


def test_points_as_text_are_refused_by_the_api() -> None:
    with pytest.raises(DiffMagicError, match="whole number"):
        diffmagic.compare("x**2", points="50", timing=False)  # type: ignore[arg-type]


def test_an_infinite_time_limit_means_no_limit() -> None:
    comparison = diffmagic.compare(
        "x**2", method_time_limit=float("inf"), symbolic_time_limit=float("inf"), timing=False
    )
    assert comparison.ok
    np.testing.assert_allclose(comparison["symbolic"].values, 2 * comparison.x, rtol=1e-12)


@pytest.mark.parametrize("params", [3, "a=1", [1, 2]])
def test_params_of_the_wrong_type_are_one_line(params: Any) -> None:
    with pytest.raises(DiffMagicError, match="params"):
        diffmagic.compare("x**2", params=params, timing=False)


@pytest.mark.slow  # times point by point three times
def test_timing_twice_does_not_repeat_its_notes() -> None:
    """A point-by-point f is timed on fewer points, which adds a note each time it is timed."""
    source = "def f(x):\n    if x > 0:\n        return x**2\n    return -x\n"
    comparison = diffmagic.compare(source, methods="numerical", timing=False)
    comparison.time(timing_points=100_000)
    once = {key: list(result.notes) for key, result in comparison.results.items()}
    comparison.time(timing_points=100_000)
    comparison.time(timing_points=100_000)
    thrice = {key: list(result.notes) for key, result in comparison.results.items()}
    assert any("scaled to" in note for notes in once.values() for note in notes)
    for notes in thrice.values():
        assert len(notes) == len(set(notes)), notes
