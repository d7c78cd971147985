"""The only place tuimon reads time, so tests and replays can freeze it."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Wall time for latency and display; monotonic time for ages and timers."""

    def wall_ms(self) -> int:
        """Milliseconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...


class SystemClock:
    """The real clocks."""

    def wall_ms(self) -> int:
        """Milliseconds since the epoch, from the system clock."""
        return time.time_ns() // 1_000_000

    # The builtin itself, not a wrapper: the store reads it for every message.
    monotonic = staticmethod(time.monotonic)


class FrozenClock:
    """A clock that moves only when told, for deterministic tests and snapshots."""

    def __init__(self, start_ms: int = 1_768_003_200_000) -> None:
        self._wall_ms = start_ms
        self._mono = 1000.0

    def wall_ms(self) -> int:
        """The frozen wall time."""
        return self._wall_ms

    def monotonic(self) -> float:
        """The frozen monotonic time."""
        return self._mono

    def advance(self, ms: int) -> None:
        """Move both clocks forward by ``ms`` milliseconds."""
        self._wall_ms += ms
        self._mono += ms / 1000
