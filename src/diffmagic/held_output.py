"""What a learner's function prints, held back per thread while diffmagic calls it.

A `print` in f would flood the notebook (diffmagic calls f thousands of times): the first few
lines are kept and the rest counted, and the comparison says so. Each thread that captures gets
its own counter behind one stream installed on sys.stdout/sys.stderr (with a count and a lock),
so two comparisons at once never leave the streams replaced.
"""

from __future__ import annotations

import io
import sys
import threading
from typing import Any, TextIO

from diffmagic import bounds


class _LineCounter(io.TextIOBase):
    """A stream that keeps the first few lines written to it and counts the rest."""

    def __init__(self, keep: int = 3) -> None:
        self.lines = 0
        self.kept: list[str] = []
        self._keep = keep
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        if len(self.kept) < self._keep:
            *complete, self._partial = (self._partial + text).split("\n")
            self.kept.extend(complete[: self._keep - len(self.kept)])
        return len(text)


class _ThreadRoutedStream:
    """Stands in for sys.stdout or sys.stderr while any thread holds output back.

    Writes of a thread that is capturing go to its innermost counter; every other thread's
    go to the stream that was there before. Installed once for all threads (with a count), so
    two threads capturing at once cannot restore each other's stream in the wrong order.
    """

    def __init__(self, original: TextIO) -> None:
        self.original = original

    def _target(self) -> Any:
        counters = _capturing.get(threading.get_ident())
        return counters[-1] if counters else self.original

    def write(self, text: str) -> int:
        return self._target().write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        target = self._target()
        if target is self.original:
            self.original.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._target() is self.original and self.original.isatty()

    @property
    def encoding(self) -> str:
        return getattr(self.original, "encoding", None) or "utf-8"

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, buffer...: the original's
        return getattr(self.original, name)


#: Per thread: the counters of its nested `captured_output()` blocks, innermost last.
_capturing: dict[int, list[_LineCounter]] = {}
_capture_lock = threading.Lock()
_installed: dict[str, _ThreadRoutedStream] = {}


def _install() -> None:
    for name in ("stdout", "stderr"):
        current = getattr(sys, name)
        if not isinstance(current, _ThreadRoutedStream):
            router = _ThreadRoutedStream(current)
            _installed[name] = router
            setattr(sys, name, router)


def _uninstall() -> None:
    for name, router in list(_installed.items()):
        if getattr(sys, name) is router:  # someone replaced it since: leave theirs alone
            setattr(sys, name, router.original)
        del _installed[name]


class captured_output:  # lower case: used as `with captured_output() as printed:`
    """Hold back what a function prints while diffmagic calls it thousands of times.

    A `print` in the learner's function would otherwise flood the notebook; the count of lines
    it printed is reported instead. Only this thread's output is held back; sys.stdout and
    sys.stderr are what they were once the last thread stops capturing. A class, not a
    generator: no time limit fires in its exit (see `deadline.never_fire_in`), so an expiring limit
    cannot leave the streams replaced.
    """

    def __init__(self) -> None:
        self.counter = _LineCounter()
        self._ident = threading.get_ident()

    def __enter__(self) -> _LineCounter:
        self._ident = threading.get_ident()
        with _capture_lock:
            if not _capturing:
                _install()
            _capturing.setdefault(self._ident, []).append(self.counter)
        return self.counter

    def __exit__(self, *exc_info: object) -> None:
        with _capture_lock:
            counters = _capturing.get(self._ident, [])
            if self.counter in counters:
                counters.remove(self.counter)
            if not counters:
                _capturing.pop(self._ident, None)
            if not _capturing:
                _uninstall()


# A limit firing while the streams are being swapped would leave them half installed.
bounds.never_fire_in(
    captured_output.__enter__.__code__,
    captured_output.__exit__.__code__,
    _install.__code__,
    _uninstall.__code__,
)
