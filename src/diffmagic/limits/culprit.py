"""Who was running when a limit fired: the learner's function, or a library on its behalf.

A timeout's reason names its culprit (the learner's f, "your derivative dfdx", grad, or the
method or SymPy that was at work), read from the worker thread's frames: the learner's code is
any code outside the standard library, the installed packages and diffmagic itself.
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
from collections.abc import Mapping
from types import FrameType
from typing import Any


def codes_of(named: Mapping[str, Any] | None) -> dict[Any, str]:
    """{code object: name} of the functions `named` names (a rebound twin shares the code)."""
    codes = {}
    for name, function in (named or {}).items():
        code = getattr(function, "__code__", None)
        if code is not None:
            codes[code] = name
    return codes


#: Libraries whose own work may be what takes long even inside the learner's function.
_NUMERICAL_LIBRARIES = ("sympy", "jax", "jaxlib", "mpmath", "scipy", "numdifftools")


def is_numerical_library(frame: FrameType | None) -> bool:
    """Whether `frame` runs SymPy's, JAX's, SciPy's or mpmath's code."""
    if frame is None:
        return False
    filename = os.path.normcase(frame.f_code.co_filename)
    for name in _NUMERICAL_LIBRARIES:
        module = sys.modules.get(name)
        location = getattr(module, "__file__", None)
        if location and filename.startswith(os.path.normcase(os.path.dirname(location))):
            return True
    return False


#: Where library code lives: the standard library, site-packages, and diffmagic itself (the
#: package's root, one folder up from this module's `limits/`).
_LIBRARY_DIRS = tuple(
    {
        os.path.normcase(os.path.realpath(path)) + os.sep
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (path := sysconfig.get_paths().get(key))
    }
    | {os.path.normcase(os.path.realpath(os.path.dirname(os.path.dirname(__file__)))) + os.sep}
)
#: Code that Python or a library writes at run time (SymPy's lambdify, frozen modules).
_GENERATED = ("<frozen", "<lambdifygenerated", "<string>")


@functools.cache
def _is_library(filename: str) -> bool:
    if filename.startswith(_GENERATED):
        return True
    if filename.startswith("<"):
        return False  # a notebook cell, a cell or an expression diffmagic compiled
    return os.path.normcase(os.path.realpath(filename)).startswith(_LIBRARY_DIRS)


def outermost_learners_frame(
    frame: FrameType | None, codes: Mapping[Any, str]
) -> tuple[FrameType | None, str | None]:
    """The outermost frame of the learner's own code in `frame`'s stack (the f that diffmagic
    called, not a helper it calls) and its name, `codes` naming some by their code object;
    (None, None) when only library code runs."""
    found: tuple[FrameType | None, str | None] = (None, None)
    while frame is not None:
        code = frame.f_code
        if not _is_library(code.co_filename):
            found = (frame, codes.get(code, code.co_name))
        frame = frame.f_back
    return found
