"""What a learner's function prints, held back while diffmagic calls it.

A `print` in f would flood the notebook (diffmagic calls f thousands of times): the first few
lines are kept and the rest counted, and the comparison says so. The counters of a capture live
in a context variable behind one stream installed on sys.stdout/sys.stderr (with a count and a
lock): each thread has its own, so two comparisons at once never leave the streams replaced,
and guarded work that runs on a worker thread (`worker.py` copies the caller's context there)
prints into its caller's counter. A worker still printing after its caller's capture ended (it
was abandoned) prints to the stream that was there before.
"""

from __future__ import annotations

import contextvars
import io
import sys
import threading
from typing import Any, TextIO

from diffmagic.limits import bounds


class _LineCounter(io.TextIOBase):
    """A stream that keeps the first few lines written to it and counts the rest."""

    def __init__(self, keep: int = 3) -> None:
        self.lines = 0
        self.kept: list[str] = []
        self._keep = keep
        self._partial = ""
        #: Its capture ended: what is still written to it goes to the original stream.
        self.closed_capture = False

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
        for counter in reversed(_capturing.get()):
            if not counter.closed_capture:
                return counter
        return self.original

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


#: The counters of the nested `captured_output()` blocks around this code, innermost last.
_capturing: contextvars.ContextVar[tuple[_LineCounter, ...]] = contextvars.ContextVar(
    "diffmagic_capturing", default=()
)
#: How many captures are open, in every thread: the streams are replaced while any is.
_open_captures = [0]
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
        self._token: contextvars.Token[tuple[_LineCounter, ...]] | None = None

    def __enter__(self) -> _LineCounter:
        with _capture_lock:
            if not _open_captures[0]:
                _install()
            _open_captures[0] += 1
            self._token = _capturing.set((*_capturing.get(), self.counter))
        return self.counter

    def __exit__(self, *exc_info: object) -> None:
        with _capture_lock:
            self.counter.closed_capture = True
            if self._token is not None:
                try:
                    _capturing.reset(self._token)
                except ValueError:  # left in another context than it was entered in
                    _capturing.set(tuple(c for c in _capturing.get() if c is not self.counter))
                self._token = None
                _open_captures[0] -= 1
            if not _open_captures[0]:
                _uninstall()


# A limit firing while the streams are being swapped would leave them half installed.
bounds.never_fire_in(
    captured_output.__enter__.__code__,
    captured_output.__exit__.__code__,
    _install.__code__,
    _uninstall.__code__,
)
