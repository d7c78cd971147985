"""Event-driven waits on plain state: "wake me when this predicate holds"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

S = TypeVar("S")


class Waiters(Generic[S]):
    """Futures waiting for predicates over some state, re-checked each time the owner changes.

    Owners call :meth:`wake` from their change hook; it costs one truthiness test when nobody
    waits, so it can sit on a per-message path.
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[tuple[Callable[[S], bool], asyncio.Future[None]]] = []

    def __bool__(self) -> bool:
        return bool(self._items)

    def wake(self, state: S) -> None:
        """Resolve the waits whose predicate now holds."""
        still = []
        for predicate, future in self._items:
            if future.done():
                continue
            if predicate(state):
                future.set_result(None)
            else:
                still.append((predicate, future))
        self._items = still

    async def wait_until(self, state: S, predicate: Callable[[S], bool], within: float) -> bool:
        """True once ``predicate(state)`` holds; False if ``within`` seconds pass first."""
        if predicate(state):
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._items.append((predicate, future))
        try:
            await asyncio.wait_for(future, within)
        except TimeoutError:
            return False
        return True
