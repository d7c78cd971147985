"""Event-driven waits on plain state: "wake me when this predicate holds"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

S = TypeVar("S")

Wait = tuple[Callable[[S], bool], "asyncio.Future[None]"]


class Waiters(list[Wait[S]], Generic[S]):
    """Futures waiting for predicates over some state, re-checked each time the owner changes.

    Owners call :meth:`wake` from their change hook, after ``if waiters:``. A list subclass so
    that test is the list's own C-level truthiness (~10 ns): a Python ``__bool__`` cost ~180 ns,
    twice per market frame.
    """

    __slots__ = ()

    def wake(self, state: S) -> None:
        """Resolve the waits whose predicate now holds."""
        still = []
        for predicate, future in self:
            if future.done():
                continue
            if predicate(state):
                future.set_result(None)
            else:
                still.append((predicate, future))
        self[:] = still

    async def wait_until(self, state: S, predicate: Callable[[S], bool], within: float) -> bool:
        """True once ``predicate(state)`` holds; False if ``within`` seconds pass first."""
        if predicate(state):
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.append((predicate, future))
        try:
            await asyncio.wait_for(future, within)
        except TimeoutError:
            return False
        return True
