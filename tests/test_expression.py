"""Tests for diffmagic.inputs.expression: plain math becomes a function, anything else is refused.

The returned functions have empty globals, so each test binds a NumPy namespace
itself, the way a backend would.
"""

import ast
import inspect
import math
import os
import re
import types

import numpy as np
import pytest

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.expression import expression_to_function, looks_like_expression

NUMPY_NAMESPACE = {
    "__builtins__": {},
    "np": np,
    "numpy": np,
    "math": math,
    "sin": np.sin,
    "cos": np.cos,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "where": np.where,
    "maximum": np.maximum,
    "clip": np.clip,
    "pi": np.pi,
    "e": np.e,
}


def bind_numpy(function: types.FunctionType) -> types.FunctionType:
    """Rebind the function's globals to NumPy names, as a backend does."""
    return types.FunctionType(function.__code__, dict(NUMPY_NAMESPACE), function.__name__)


def parameter_names(function: types.FunctionType) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)


@pytest.mark.parametrize(
    ("text", "arguments", "expected"),
    [
        ("exp(-2*x) + 3*sin(3*x)", (0.7,), math.exp(-1.4) + 3 * math.sin(2.1)),
        ("a*x**2 + np.sin(x)", (2.0, 3.0), 3.0 * 4.0 + math.sin(2.0)),
        ("np.pi*x + e", (2.0,), 2 * math.pi + math.e),
        ("numpy.cos(x) * math.pi", (0.5,), math.cos(0.5) * math.pi),
        ("x // 2 + x % 3 - +x + -1.5e1", (7.0,), 3.0 + 1.0 - 7.0 - 15.0),
        ("clip(x, 0, 1) + maximum(x, 2)", (0.25,), 0.25 + 2.0),
        ("sqrt(abs(x)) / log(e)", (-9.0,), 3.0),
    ],
)
def test_valid_expression_evaluates_under_a_backend_namespace(text, arguments, expected):
    function = bind_numpy(expression_to_function(text))
    assert function(*arguments) == pytest.approx(expected)


def test_comparison_works_inside_where_on_arrays():
    function = bind_numpy(expression_to_function("where(x > 0, x, 0)"))
    np.testing.assert_array_equal(function(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])


@pytest.mark.parametrize(
    ("text", "variable", "expected_parameters"),
    [
        ("a*x**2+b", "x", ("x", "a", "b")),
        ("b*t + a", "t", ("t", "a", "b")),
        ("c*y", "x", ("x", "c", "y")),
        ("sin(x) + pi", "x", ("x",)),
    ],
)
def test_parameters_are_variable_first_then_sorted(text, variable, expected_parameters):
    assert parameter_names(expression_to_function(text, variable)) == expected_parameters


def test_expression_without_the_variable_still_takes_it():
    function = bind_numpy(expression_to_function("3*k*m", variable="x"))
    assert parameter_names(function) == ("x", "k", "m")
    assert function(100.0, 2.0, 1.0) == 6.0


def test_an_expression_in_one_other_letter_is_a_function_of_that_letter():
    function = bind_numpy(expression_to_function("p**3 * (1 - p)"))
    assert parameter_names(function) == ("p",)
    assert function(0.5) == 0.0625


def test_function_is_named_f_and_keeps_the_original_text():
    text = "  x**2 + 1 "
    function = expression_to_function(text)
    assert function.__name__ == "f"
    assert function.__diffmagic_source__ == text


def test_globals_are_fresh_and_empty():
    first = expression_to_function("x + 1")
    second = expression_to_function("x + 1")
    assert first.__globals__ == {"__builtins__": {}}
    assert first.__globals__ is not second.__globals__


def test_math_names_are_unbound_until_a_backend_supplies_them():
    function = expression_to_function("sin(x)")
    with pytest.raises(NameError, match="sin"):
        function(1.0)


HOSTILE_INPUTS = [
    ("__import__('os').system('id')", "cannot use attribute access `__import__('os').system`"),
    ("().__class__", "cannot use attribute access `().__class__`"),
    ("x.__class__", "cannot use attribute access `x.__class__`"),
    ("lambda: 0", "cannot use a lambda"),
    ("open('x')", "unknown function `open`"),
    ("open", "`open` is a Python built-in name"),
    ("[x for x in ()]", "cannot use a comprehension"),
    ("'abc'", "cannot use text `'abc'`"),
    ("x if x else 1", "use where(condition"),
    ("foo(x)", "unknown function `foo`: use one of sin, cos"),
    ("a(x)", "unknown function `a`"),
    ("np.linalg.inv(x)", "unknown function `np.linalg.inv`"),
    ("sin(x, out=y)", "keyword argument `out=` is not allowed"),
    ("x[0]", "cannot use indexing"),
    ("_secret * x", "starts with an underscore"),
    ("True", "cannot use the constant `True`"),
    ("1j * x", "cannot use the complex number `1j`"),
    ("x ^ 2", "write x**2 for powers"),
    ("0 < x < 1", "chained comparison"),
    ("sin + x", "`sin` is a function: call it"),
    ("np * x", "`np` on its own is not a number"),
    ("pi(x)", "`pi` is a constant, not a function"),
    ("(y := 2)", "cannot use an assignment"),
    ("x and 1", "cannot use the logical operator"),
    ("sin(x)(2)", "cannot call `sin(x)`"),
    ("ω * x", "use ASCII letters"),
    ("a" * 33 + " * x", "the limit is 32"),
    ("", "the expression is empty: write something like `x**2`"),
    ("x +* 2", "expression is not valid Python: invalid syntax at column 4"),
]


@pytest.mark.parametrize(("text", "message_part"), HOSTILE_INPUTS)
def test_hostile_input_is_refused_with_a_one_line_message(text, message_part):
    with pytest.raises(DiffMagicError, match=re.escape(message_part)) as caught:
        expression_to_function(text)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_refused_input_runs_nothing(monkeypatch):
    system_calls: list[str] = []
    monkeypatch.setattr(os, "system", system_calls.append)
    with pytest.raises(DiffMagicError):
        expression_to_function("__import__('os').system('id')")
    assert system_calls == []


def test_huge_expression_is_refused_before_parsing(monkeypatch):
    parsed: list[str] = []
    real_parse = ast.parse

    def recording_parse(text, *args, **kwargs):
        parsed.append(text)
        return real_parse(text, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", recording_parse)
    huge_text = "x+" * 50_000
    with pytest.raises(DiffMagicError, match="100000 characters long; the limit is 2000"):
        expression_to_function(huge_text)
    assert parsed == [], "the text was parsed before its length was checked"


def test_deep_nesting_is_refused_but_moderate_nesting_works():
    with pytest.raises(DiffMagicError, match="nested more than 50 levels"):
        expression_to_function("sin(" * 60 + "x" + ")" * 60)
    function = bind_numpy(expression_to_function("sin(" * 40 + "x" + ")" * 40))
    assert 0 < function(1.0) < math.sin(1.0)


@pytest.mark.parametrize("variable", ["pi", "sin", "np", "_t", "lambda", "open"])
def test_reserved_or_odd_variable_argument_is_refused(variable):
    with pytest.raises(DiffMagicError):
        expression_to_function("x", variable=variable)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("exp(-2*x) + 3*sin(3*x)", True),
        ("(x +\n 1)", True),
        ("def f(x):\n    return x", False),
        ("x = 1", False),
        ("x\ny", False),
        ("   ", False),
    ],
)
def test_looks_like_expression(text, expected):
    assert looks_like_expression(text) is expected


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [("sigmoind(x)", "sigmoid"), ("sine(x)", "sin"), ("np.expp(x)", "np.exp"), ("reLU(x)", None)],
)
def test_a_misspelt_function_gets_the_spelling_that_works(text: str, suggestion) -> None:
    with pytest.raises(DiffMagicError) as raised:
        expression_to_function(text)
    message = str(raised.value)
    if suggestion is None:
        assert "unknown function" in message
    else:
        assert message.endswith(f"did you mean {suggestion}?"), message
