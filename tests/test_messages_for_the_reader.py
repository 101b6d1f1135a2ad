"""A message names the fix in the reader's own words: a keyword in Python, an option in the
magic and the command line.

On main, `--no-timing` in the magic answered "timing off: compare(..., timing=True) or
Comparison.time() measures it", and `def f(x, y)` without `--wrt` answered "pass
params={'y': 1.0}" and never mentioned `--gradient`. Each front end says who reads its messages
(`Request.reader`); each reader gets only their own spelling.
"""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.getipython import get_ipython
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

import diffmagic

TWO_VARIABLES = "def f(x, y):\n    return x**2 * y\n"
PYTHON_SPELLINGS = ("compare(", "timing=True", "params=", "Comparison.time")


@pytest.fixture(scope="module")
def shell():
    ip = start_ipython() or get_ipython()
    ip.run_line_magic("load_ext", "diffmagic")
    return ip


def caption_of(text: str) -> str:
    return next(line for line in text.splitlines() if "timing off" in line)


def test_the_magic_says_how_its_options_time(shell) -> None:
    with capture_output() as captured:
        shell.run_cell_magic(
            "differentiate", "--no-timing --no-plot", "def f(x):\n    return x**2\n"
        )
    plain = next(o.data["text/plain"] for o in captured.outputs if "timing off" in str(o.data))
    caption = caption_of(plain)
    assert "--no-timing" in caption and "--timing" in caption, caption
    assert not [word for word in PYTHON_SPELLINGS if word in caption], caption


def test_python_says_how_its_keywords_time() -> None:
    caption = caption_of(diffmagic.compare("x**2").table())
    assert "compare(..., timing=True)" in caption and "Comparison.time()" in caption, caption
    assert "--" not in caption, caption


def test_the_magic_offers_wrt_and_gradient_for_two_variables(shell) -> None:
    with pytest.raises(UsageError) as refused:
        shell.run_cell_magic("differentiate", "--no-plot", TWO_VARIABLES)
    message = str(refused.value)
    assert "needs a value for `y`" in message, message
    assert "--wrt x --param y=1.0" in message and "--gradient --at x=1,y=1" in message, message
    assert not [word for word in PYTHON_SPELLINGS if word in message], message
    # With the variable named, fixing the other is the one fix.
    with pytest.raises(UsageError) as refused:
        shell.run_cell_magic("differentiate", "--no-plot --wrt y", TWO_VARIABLES)
    assert str(refused.value).endswith("needs a value for `x`: add --param x=1.0")


def test_python_offers_params_and_partial_derivatives_for_two_variables() -> None:
    with pytest.raises(diffmagic.DiffMagicError) as refused:
        diffmagic.compare(TWO_VARIABLES)
    message = str(refused.value)
    assert "params={'y': 1.0}" in message and "partial_derivatives(f" in message, message
    assert "--" not in message, message


def test_the_command_line_speaks_in_options(capsys) -> None:
    import diffmagic.frontends.cli

    with pytest.raises(SystemExit) as stopped:
        diffmagic.frontends.cli.main(["x**2*y", "--no-plot"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "--wrt x --param y=1.0" in error and "--gradient" in error, error
    assert "params=" not in error, error
    diffmagic.frontends.cli.main(["x**2", "--no-timing", "--no-plot"])
    caption = caption_of(capsys.readouterr().out)
    assert "--no-timing" in caption and "compare(" not in caption, caption


def test_the_reader_is_the_front_ends_and_no_option_of_compare() -> None:
    request = diffmagic.Request.checked(reader="options")
    assert "reader" not in request.options()  # compare(f, **request.options()) still runs
    assert request.changed(points=20).reader == "options"
    with pytest.raises(diffmagic.DiffMagicError, match="reader must be one of python, options"):
        diffmagic.Request.checked(reader="everyone")
