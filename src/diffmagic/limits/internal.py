"""diffmagic's own bugs named as diffmagic's, with their traceback kept.

The guard turns an exception of the learner's code into the learner's reason ("f raised
ZeroDivisionError ..."). An exception that diffmagic's own code raised, with no frame of the
learner's code on its way, is a bug of diffmagic: blaming f for it would send a learner hunting
for a mistake they did not make. Such an error becomes "internal error in diffmagic: ... please
report it", and its traceback is kept (`last_internal_traceback()`); with `debug()` on (or the
environment variable DIFFMAGIC_DEBUG=1, or `--debug` in the magic and the command line) it is
raised as it is, traceback and all.
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

#: Exception types that mean a mistake in code, not in the input: raised by diffmagic's own
#: frames they are its bugs. (A SymPy or NumPy refusal raised inside their own code is a
#: method's reason, worded by `explain`.)
PROGRAMMING_ERRORS = (
    AttributeError,
    NameError,
    TypeError,
    KeyError,
    IndexError,
    AssertionError,
    UnboundLocalError,
)

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_LIBRARY_DIRS = tuple(
    {
        os.path.abspath(path) + os.sep
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (path := sysconfig.get_paths().get(key))
    }
)
_GENERATED = ("<frozen ", "<lambdifygenerated", "<string>")

_state = {"debug": os.environ.get("DIFFMAGIC_DEBUG", "") not in ("", "0")}
_last: list[str] = []


def debug(enabled: bool = True) -> bool:
    """Raise diffmagic's internal errors with their traceback instead of a one-line reason.

    Parameters
    ----------
    enabled
        True to raise internal errors as they are (for a bug report), False for the one line.

    Returns
    -------
    bool
        The setting before this call, to restore it.

    Examples
    --------
    >>> import diffmagic
    >>> before = diffmagic.debug()  # from now on an internal error raises, traceback and all
    >>> diffmagic.debug(before)  # as it was; returns the setting it replaces
    True
    """
    before = _state["debug"]
    _state["debug"] = bool(enabled)
    return before


def debugging() -> bool:
    """Whether internal errors are raised as they are."""
    return _state["debug"]


@contextmanager
def debug_while(enabled: bool) -> Iterator[None]:
    """`debug(enabled)` for one call of a front end (`--debug`), restored after it."""
    before = debug(enabled or debugging())
    try:
        yield
    finally:
        debug(before)


def _owner(filename: str) -> str:
    """'diffmagic', 'library' (Python, installed packages, generated code) or 'learner'."""
    path = os.path.abspath(filename) if filename and not filename.startswith("<") else filename
    if path.startswith(_PACKAGE_DIR):
        return "diffmagic"
    if path.startswith(_GENERATED) or path.startswith(_LIBRARY_DIRS):
        return "library"
    return "learner"


def is_internal(error: BaseException) -> bool:
    """True when diffmagic's own code raised `error` (a programming error) with no frame of the
    learner's code between: its innermost frame is diffmagic's."""
    if not isinstance(error, PROGRAMMING_ERRORS):
        return False
    owners = [_owner(frame.filename) for frame in traceback.extract_tb(error.__traceback__)]
    return bool(owners) and owners[-1] == "diffmagic" and "learner" not in owners


def internal_reason(error: BaseException) -> str:
    """The one line for an internal error; its traceback is kept for `--debug` and reports."""
    _last[:] = traceback.format_exception(type(error), error, error.__traceback__)
    message = str(error).splitlines()[0][:120] if str(error) else ""
    return (
        f"internal error in diffmagic: {type(error).__name__}"
        f"{': ' + message if message else ''} (not your code; please report it, with the "
        "traceback that diffmagic.debug() or --debug shows)"
    )


def last_internal_traceback() -> str:
    """The traceback of the last internal error turned into a reason ('' if none).

    An internal error shows as one line ("internal error in diffmagic: ... please report
    it"); this is the traceback to put in the report, without running the call again.

    Returns
    -------
    str
        The formatted traceback, or '' when diffmagic has met no bug of its own.

    Examples
    --------
    >>> import diffmagic
    >>> text = diffmagic.last_internal_traceback()
    >>> text == "" or text.startswith("Traceback (most recent call last):")
    True
    """
    return "".join(_last)
