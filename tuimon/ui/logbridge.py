"""Keep log records off the terminal while the full-screen UI owns it.

A stream handler writing to stderr would scribble over the screen. While the app runs, the
root logger's handlers are swapped for :class:`CapturedLog`, which keeps recent records (a
thread-safe deque: REST runs in worker threads). The health bar shows the latest warning; after
exit the launcher prints what the user should still see.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class CapturedLog(logging.Handler):
    """Recent log records, newest last."""

    def __init__(self, maxlen: int = 500) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: deque[logging.LogRecord] = deque(maxlen=maxlen)
        self.warnings = 0
        """WARNING-or-worse records seen (a cheap "anything new?" version number)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record (never raises, never blocks)."""
        self.records.append(record)
        if record.levelno >= logging.WARNING:
            self.warnings += 1

    def latest_warning(self) -> str:
        """The newest WARNING-or-worse message, one line."""
        for record in reversed(self.records):
            if record.levelno >= logging.WARNING:
                return self.format_line(record)
        return ""

    @staticmethod
    def format_line(record: logging.LogRecord) -> str:
        """``name: message`` on one line."""
        return f"{record.name}: {record.getMessage()}".splitlines()[0]

    def lines(self, level: int) -> list[str]:
        """Kept records at or above ``level``, one line each."""
        return [f"tuimon: {self.format_line(r)}" for r in self.records if r.levelno >= level]


@contextmanager
def captured_logging() -> Iterator[CapturedLog]:
    """Swap the root handlers for a :class:`CapturedLog` until the block ends."""
    root = logging.getLogger()
    saved = root.handlers[:]
    capture = CapturedLog()
    root.handlers = [capture]
    try:
        yield capture
    finally:
        root.handlers = saved
