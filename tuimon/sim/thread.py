"""SimThread: a SimServer on its own event loop in a background thread.

For callers that are not inside asyncio (the Textual app's tests, CLI tests, plain pytest): the
server runs in a daemon thread, and the thread-safe ``inject``/``book_at`` hop onto that loop
and wait for the answer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from tuimon.sim.faults import FaultRecord
from tuimon.sim.model import BookState
from tuimon.sim.server import SimServer
from tuimon.sim.stats import SimStats

T = TypeVar("T")


class SimThread:
    """``with SimThread(market="spot", seed=7) as sim: ...`` — same API as SimServer."""

    def __init__(self, market: str = "spot", seed: int = 7, **kwargs: Any) -> None:
        self._args: dict[str, Any] = {"market": market, "seed": seed, **kwargs}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._server: SimServer | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 10.0) -> SimThread:
        if self._thread is not None:
            raise RuntimeError("already started")
        self._thread = threading.Thread(target=self._main, name="tuimon-sim", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("simulator thread did not start")
        if self._error is not None:
            raise RuntimeError("simulator failed to start") from self._error
        return self

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = SimServer(**self._args)
        await server.start()
        self._server = server
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await server.stop()

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> SimThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ thread-safe access
    @property
    def server(self) -> SimServer:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return self._server

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on the simulator's loop and return its result."""
        loop = self._loop
        if loop is None or self._server is None:
            raise RuntimeError("simulator not started")

        async def run() -> T:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(10.0)

    def inject(self, fault: str, symbol: str | None = None, **params: Any) -> FaultRecord:
        return self.call(self.server.inject, fault, symbol, **params)

    def book_at(self, symbol: str, update_id: int) -> BookState:
        return self.call(self.server.book_at, symbol, update_id)

    def current_update_id(self, symbol: str) -> int:
        return self.call(self.server.current_update_id, symbol)

    @property
    def stats(self) -> SimStats:
        return self.server.stats

    @property
    def rest_url(self) -> str:
        return self.server.rest_url

    @property
    def stream_url(self) -> str:
        return self.server.stream_url

    @property
    def ws_api_url(self) -> str:
        return self.server.ws_api_url

    @property
    def symbols(self) -> list[str]:
        return self.server.symbols

    @property
    def market(self) -> str:
        return self.server.market
