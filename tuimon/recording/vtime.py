"""An asyncio loop whose clock jumps to the next timer when nothing else can run.

``tuimon snapshot --replay`` runs the whole market worker (sync retries, stall checks,
timeouts) over a recording as fast as the CPU allows, and must give the same answer every
time. On this loop ``loop.time()`` is virtual: when no callback is ready and no I/O is pending,
the selector advances it by exactly the wait the loop asked for, so every ``asyncio.sleep`` and
timeout fires in recorded order, after zero real time, and the same way on every run.

It is the standard ``SelectorEventLoop`` with its selector's blocking wait replaced; nothing of
the loop's private state is touched. (The ``looptime`` package does the same for tests, but it
registers pytest plugins and idles 42 loop cycles per step: test tooling, not a runtime piece.)
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any


class _SkipAheadSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """Polls instead of blocking; a wait with a timeout moves the virtual clock instead."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        ready: list[tuple[Any, int]] = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            # Nothing scheduled at all: only another thread or a signal can wake us.
            return super().select(None)  # type: ignore[no-any-return]
        self.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop on virtual time (see the module docstring)."""

    def __init__(self) -> None:
        self._skip = _SkipAheadSelector()
        super().__init__(self._skip)

    def time(self) -> float:
        """Virtual seconds since the loop was made."""
        return self._skip.now
