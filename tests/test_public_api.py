"""The public surface reads like a reference: what `help()`, an IDE or a type checker shows.

Every name of `diffmagic.__all__` (and `diffmagic.testing.assert_gradient`) is the real function
or class: its signature lists its parameters, not `*args, **kwargs`; a function's docstring has
numpydoc sections (Parameters naming exactly the parameters it takes, Returns, Raises where bad
input is refused, Examples); every public method of a result says what it returns and documents
its parameters; and every Examples line runs and shows what it prints (the doctests below).
"""

from __future__ import annotations

import doctest
import inspect
import re
from typing import Any

import pytest

import diffmagic
import diffmagic.testing

PUBLIC = {name: getattr(diffmagic, name) for name in diffmagic.__all__}
PUBLIC["testing.assert_gradient"] = diffmagic.testing.assert_gradient
FUNCTIONS = sorted(name for name, value in PUBLIC.items() if inspect.isfunction(value))
CLASSES = sorted(
    name
    for name, value in PUBLIC.items()
    if inspect.isclass(value) and not issubclass(value, Exception)
)
#: Public functions whose `**options` are another public function's keyword arguments, passed on
#: as they are (and documented there).
FORWARDED = {"panel": "compare"}
#: Functions that refuse nothing: a switch, a query and the IPython hooks.
REFUSE_NOTHING = {
    "clear_cache",
    "debug",
    "last_internal_traceback",
    "load_ipython_extension",
    "unload_ipython_extension",
}


def sections(docstring: str | None) -> dict[str, list[str]]:
    """The numpydoc sections of a docstring: title -> its lines (a title underlined by dashes)."""
    lines = inspect.cleandoc(docstring or "").splitlines()
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for index, line in enumerate(lines):
        underline = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"-{3,}", underline) and len(underline) == len(line):
            current = found.setdefault(line.strip(), [])
        elif current is not None and not re.fullmatch(r"-{3,}", line.strip()):
            current.append(line)
    return found


def documented_parameters(docstring: str | None) -> set[str]:
    """The names the Parameters section describes: `a, b : type` entries, flush left."""
    names: set[str] = set()
    for line in sections(docstring).get("Parameters", []):
        if line and not line[0].isspace():
            names.update(name.strip().lstrip("*") for name in line.split(" : ")[0].split(","))
    return names


def parameters(function: Any) -> list[inspect.Parameter]:
    """The parameters a caller passes (not `self` or `cls`)."""
    return [
        p for p in inspect.signature(function).parameters.values() if p.name not in ("self", "cls")
    ]


def test_signatures_show_the_real_parameters() -> None:
    """`inspect.signature` (what help() and IDEs show) lists each parameter by name, as the
    wrapped functions of old hid them behind `(*args, **kwargs)`."""
    hidden = {
        name: str(inspect.signature(PUBLIC[name]))
        for name in FUNCTIONS
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters(PUBLIC[name]))
    }
    assert set(hidden) <= set(FORWARDED), hidden
    for name, target in FORWARDED.items():
        assert [p.name for p in parameters(PUBLIC[name]) if p.kind is p.VAR_KEYWORD] == ["options"]
        assert f"`{target}()`'s keyword arguments" in PUBLIC[name].__doc__
        assert not any(p.kind is p.VAR_KEYWORD for p in parameters(PUBLIC[target]))
    gradient = inspect.signature(diffmagic.compare_gradient).parameters
    assert list(gradient)[:3] == ["f", "at", "methods"]
    assert gradient["method_time_limit"].kind is inspect.Parameter.KEYWORD_ONLY
    assert inspect.signature(diffmagic.compare_gradient).return_annotation == "GradientComparison"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_public_function_has_numpydoc_sections(name: str) -> None:
    function = PUBLIC[name]
    found = sections(function.__doc__)
    needed = {"Returns", "Examples"}
    if parameters(function):
        needed.add("Parameters")
    if name not in REFUSE_NOTHING:
        needed.add("Raises")
    assert needed <= set(found), f"{name} lacks {sorted(needed - set(found))}"
    assert documented_parameters(function.__doc__) == {p.name for p in parameters(function)}
    assert any(line.lstrip().startswith(">>> ") for line in found["Examples"])


def public_methods(cls: type) -> dict[str, Any]:
    """The methods and properties of `cls` a user calls: not private, defined by diffmagic."""
    found = {}
    for name, member in inspect.getmembers(cls):
        static = inspect.getattr_static(cls, name)
        function = static.fget if isinstance(static, property) else member
        module = getattr(function, "__module__", "") or ""
        if not name.startswith("_") and callable(function) and module.startswith("diffmagic"):
            found[name] = (static, function)
    return found


@pytest.mark.parametrize("name", CLASSES)
def test_each_public_method_of_a_result_says_what_it_returns(name: str) -> None:
    """A method with parameters documents them (and what it returns) in numpydoc sections; a
    method or property without says in its docstring what it gives."""
    cls = PUBLIC[name]
    assert cls.__doc__, f"{name} has no docstring"
    undocumented, unsectioned = [], []
    for method, (static, function) in public_methods(cls).items():
        if not function.__doc__:
            undocumented.append(method)
            continue
        if isinstance(static, property) or not parameters(function):
            continue
        found = sections(function.__doc__)
        taken = {p.name for p in parameters(function)}
        if (
            not {"Parameters", "Returns"} <= set(found)
            or documented_parameters(function.__doc__) != taken
        ):
            unsectioned.append(method)
    assert (undocumented, unsectioned) == ([], [])


def public_doctests() -> list[doctest.DocTest]:
    """The Examples of every public function, class and method, once each."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests: dict[str, doctest.DocTest] = {}
    for value in PUBLIC.values():
        if inspect.isfunction(value) or inspect.isclass(value):
            module = inspect.getmodule(value)
            for test in finder.find(value, f"{module.__name__}.{value.__qualname__}", module):
                tests.setdefault(test.name, test)
    for cls in (PUBLIC[name] for name in CLASSES):
        for method, (_, function) in public_methods(cls).items():
            module = inspect.getmodule(function)
            for test in finder.find(function, f"{module.__name__}.{cls.__name__}.{method}"):
                tests.setdefault(test.name, test)
    return sorted((test for test in tests.values() if test.examples), key=lambda t: t.name)


DOCTESTS = public_doctests()


def running_shell() -> Any:
    """What `get_ipython()` gives in a notebook: the IPython shell of this process (the one
    another test started, of whatever class, else one started now as the magic's tests do)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.testing.globalipapp import start_ipython

    if InteractiveShell.initialized():
        return InteractiveShell.instance()
    return start_ipython() or InteractiveShell.instance()


def test_the_public_surface_has_examples_to_run() -> None:
    """The doctests below cover every public function (a lost Examples section would silently
    shrink them)."""
    covered = {test.name.rsplit(".", 1)[-1] for test in DOCTESTS}
    assert {name.rsplit(".", 1)[-1] for name in FUNCTIONS} <= covered


@pytest.mark.parametrize("test", DOCTESTS, ids=lambda test: test.name.removeprefix("diffmagic."))
def test_the_examples_run_as_written(test: doctest.DocTest) -> None:
    """Each `>>>` line runs and prints what the docstring shows (floats and long tables matched
    with `...`)."""
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    report: list[str] = []
    test.globs = {**test.globs, "get_ipython": running_shell}  # as IPython's namespace has it
    runner.run(test, out=report.append, clear_globs=True)
    assert runner.failures == 0, "".join(report)
