"""Bad input never escapes as a stray exception.

The rule these tests pin down:

* input or options that are wrong before anything runs (syntax errors, empty
  text, no function, bad points/domain/order/method/wrt, a parameter without
  a value) make compare() raise DiffMagicError (a ValueError) with a one-line
  message naming the problem;
* a function that is fine as code but fails when it runs (returns a string,
  None or a vector, raises, branches with ``if``) gives a Comparison whose
  failing rows have ok False and a one-line reason; compare() itself does not
  raise.
"""

from __future__ import annotations

import json
import re
import tracemalloc

import numpy as np
import pytest

import diffmagic

ALL_ROWS = ("symbolic", "numerical", "finite_difference", "automatic")
SQUARE = "def f(x):\n    return x**2\n"


def assert_one_line(message: object) -> str:
    assert isinstance(message, str)
    assert message.strip(), "empty message"
    assert "\n" not in message and "\r" not in message, repr(message)
    return message


def expect_error(*args, keywords: tuple[str, ...], **kwargs) -> str:
    """compare(*args, **kwargs) raises DiffMagicError whose one-line message
    contains one of the keywords (case-insensitive)."""
    with pytest.raises(diffmagic.DiffMagicError) as info:
        diffmagic.compare(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    message = assert_one_line(str(info.value))
    assert any(k.lower() in message.lower() for k in keywords), message
    return message


def assert_failed_row(r, keywords: tuple[str, ...] | None = None, pattern: str | None = None):
    assert r.ok is False
    reason = assert_one_line(r.error)
    assert r.values is None
    assert r.derivative is None
    if keywords is not None:
        assert any(k.lower() in reason.lower() for k in keywords), reason
    if pattern is not None:
        assert re.search(pattern, reason, re.IGNORECASE), reason
    return reason


def assert_report_still_works(cmp) -> None:
    assert isinstance(str(cmp), str)
    assert isinstance(cmp._repr_html_(), str)
    json.dumps(cmp.to_dict())


def test_diffmagic_error_is_a_value_error() -> None:
    assert issubclass(diffmagic.DiffMagicError, ValueError)


# --- invalid input: DiffMagicError --------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "def f(x)\n    return x**2\n",  # missing colon
        "import numpy as np\n\ndef f(x):\n    return np.sin(x\n",  # unclosed parenthesis
        "def f(x):\nreturn x**2\n",  # bad indentation
    ],
    ids=["missing_colon", "unclosed_paren", "bad_indent"],
)
def test_syntax_error_in_the_cell(source: str) -> None:
    message = expect_error(source, keywords=("syntax", "indent", "valid python"))
    assert re.search(r"line \d", message), message  # says where


@pytest.mark.parametrize("source", ["", "   \n\n  \t\n"], ids=["empty", "blank"])
def test_empty_text(source: str) -> None:
    expect_error(source, keywords=("empty", "nothing", "blank"))


@pytest.mark.parametrize(
    "source",
    ["import numpy as np\ny = 3\n", "x = 3\n", "import math\nfor i in range(3):\n    pass\n"],
    ids=["assignment", "x_assignment", "loop"],
)
def test_cell_without_a_function(source: str) -> None:
    expect_error(source, keywords=("function", "def"))


def test_func_naming_no_function_of_the_cell() -> None:
    message = expect_error(SQUARE, func="g", keywords=("function", "def", "func"))
    assert re.search(r"\bg\b", message), message


def test_something_that_is_neither_callable_nor_text() -> None:
    expect_error(42, keywords=("callable", "function", "str", "text", "expression"))


@pytest.mark.parametrize("points", [0, -5, 1.5, "many"])
def test_bad_points(points) -> None:
    expect_error(SQUARE, points=points, keywords=("points",))


def test_huge_points_are_refused_at_once() -> None:
    """Refused before anything is allocated: 10**12 points would be 8 TB of float64."""
    tracemalloc.start()
    try:
        expect_error(SQUARE, points=10**12, keywords=("points",))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50e6, f"{peak / 1e6:.0f} MB allocated before the refusal"


@pytest.mark.parametrize("domain", [(1, 1), (2, 1), (2.0, 1.0), (0.0, float("nan"))])
def test_bad_domain(domain) -> None:
    expect_error(SQUARE, domain=domain, keywords=("domain",))


@pytest.mark.parametrize("order", [0, -1, "two", 1.5])
def test_bad_order(order) -> None:
    expect_error(SQUARE, order=order, keywords=("order",))


@pytest.mark.parametrize("methods", [("magic",), ("symbolic", "magic")])
def test_unknown_method(methods) -> None:
    message = expect_error(SQUARE, methods=methods, keywords=("method",))
    assert "magic" in message


def test_wrt_naming_no_parameter() -> None:
    message = expect_error(
        "def f(x, y):\n    return x*y\n",
        wrt="z",
        params={"y": 1.0},
        keywords=("wrt", "parameter", "argument"),
    )
    assert re.search(r"\bz\b", message), message


def test_parameter_without_a_value() -> None:
    # Decided: a parameter with neither a default nor a value in params is
    # detectable before running anything, so it is invalid input.
    message = expect_error(
        "def f(x, a):\n    return a*x**2\n", keywords=("param", "value", "missing")
    )
    assert re.search(r"\ba\b", message), message


# --- functions that fail when they run: failed rows -------------------------


@pytest.mark.slow
def test_function_returning_a_string() -> None:
    cmp = diffmagic.compare("def f(x):\n    return 'hello'\n")
    for method in ALL_ROWS:
        assert_failed_row(
            cmp[method], keywords=("str", "string", "number", "numeric", "scalar", "float")
        )
    assert_report_still_works(cmp)


def test_function_returning_none() -> None:
    # the learner forgot `return`
    cmp = diffmagic.compare("def f(x):\n    x**2\n")
    for method in ALL_ROWS:
        assert_failed_row(cmp[method], keywords=("none", "return", "number", "numeric"))
    assert_report_still_works(cmp)


def test_function_returning_a_vector() -> None:
    cmp = diffmagic.compare("import numpy as np\n\ndef f(x):\n    return np.array([x, x])\n")
    for method in ALL_ROWS:
        assert_failed_row(cmp[method], keywords=("scalar", "shape", "vector", "array", "dimension"))
    assert_report_still_works(cmp)


def test_function_that_always_raises() -> None:
    cmp = diffmagic.compare("def f(x):\n    raise RuntimeError('boom')\n")
    for method in ALL_ROWS:
        assert_failed_row(cmp[method], keywords=("boom", "RuntimeError"))
    assert_report_still_works(cmp)
    assert "boom" in str(cmp) or "RuntimeError" in str(cmp)


@pytest.mark.slow
def test_if_on_x_fails_symbolically_but_not_otherwise() -> None:
    source = "def f(x):\n    if x > 0:\n        return x**2\n    return -x\n"
    cmp = diffmagic.compare(source)
    x = cmp.x
    exact = np.where(x > 0, 2 * x, -1.0)
    # SymPy cannot decide `x > 0` for a symbol: the row says why
    assert_failed_row(cmp["symbolic"], pattern=r"\bif\b|branch")
    # JAX differentiates point by point, through the Python branch
    auto = cmp["automatic"]
    assert auto.ok, auto.error
    np.testing.assert_allclose(auto.values, exact, rtol=0, atol=1e-12)
    np.testing.assert_allclose(auto.derivative(np.array([-2.0, 3.0])), [-1.0, 6.0], atol=1e-12)
    # np.gradient of the values, computed point by point: exact for x**2 and
    # -x except at the two grid points whose stencil crosses 0, where it is no slope of f:
    # the row says so (inaccurate there), never ok
    num = cmp["numerical"]
    assert num.status == "inaccurate" and "next to x = 0" in num.error
    away = np.abs(x) > 0.2
    away[[0, -1]] = False  # one-sided ends
    np.testing.assert_allclose(np.asarray(num.values)[away], exact[away], rtol=0, atol=1e-9)
    fd = cmp["finite_difference"]
    assert fd.ok, fd.error
    np.testing.assert_allclose(np.asarray(fd.values)[away], exact[away], rtol=0, atol=1e-7)
    assert_report_still_works(cmp)
