"""Helpers for the simulator tests: fast servers, a websockets client, frame waits.

Tests never sleep to synchronise; they await frames/replies with timeouts. Servers run at
depth_interval_ms=20 (5x the reference speed: diff events every 20 ms, steps every 10 ms).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import orjson
from websockets.asyncio.client import ClientConnection, connect

from tuimon.sim import SimServer

FAST = 20  # depth_interval_ms used by the tests
TIMEOUT = 5.0  # ceiling for waits; tests return as soon as the awaited frame arrives


@contextlib.asynccontextmanager
async def running(market: str = "spot", **kwargs: Any) -> AsyncIterator[SimServer]:
    kwargs.setdefault("seed", 7)
    kwargs.setdefault("depth_interval_ms", FAST)
    sim = SimServer(market, **kwargs)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def ws_connect(url: str, **kwargs: Any) -> Any:
    kwargs.setdefault("max_size", 2**21)
    kwargs.setdefault("open_timeout", TIMEOUT)
    return connect(url, **kwargs)


async def recv(ws: ClientConnection, wait: float = TIMEOUT) -> Any:
    return orjson.loads(await asyncio.wait_for(ws.recv(), wait))


async def recv_until(ws: ClientConnection, pred: Callable[[Any], bool],
                     wait: float = TIMEOUT) -> Any:
    """Next decoded frame matching ``pred`` (other frames are skipped)."""

    async def loop() -> Any:
        while True:
            msg = orjson.loads(await ws.recv())
            if pred(msg):
                return msg

    return await asyncio.wait_for(loop(), wait)


async def collect(ws: ClientConnection, pred: Callable[[Any], bool], n: int,
                  wait: float = TIMEOUT) -> list[Any]:
    """The next ``n`` decoded frames matching ``pred``."""
    out: list[Any] = []

    async def loop() -> None:
        while len(out) < n:
            msg = orjson.loads(await ws.recv())
            if pred(msg):
                out.append(msg)

    await asyncio.wait_for(loop(), wait)
    return out


async def request(ws: ClientConnection, method: str, params: Any = None,
                  req_id: Any = 1) -> Any:
    """Send a control request and return its reply (data frames in between are skipped)."""
    body: dict[str, Any] = {"method": method, "id": req_id}
    if params is not None:
        body["params"] = params
    await ws.send(orjson.dumps(body).decode())
    return await recv_until(ws, lambda m: isinstance(m, dict) and "id" in m and (
        "result" in m or "error" in m))


def is_depth(msg: Any) -> bool:
    return isinstance(msg, dict) and msg.get("e") == "depthUpdate"


def data(msg: Any) -> Any:
    """Payload of a combined-stream frame, or the frame itself."""
    if isinstance(msg, dict) and "stream" in msg and "data" in msg:
        return msg["data"]
    return msg


async def get_json(http: aiohttp.ClientSession, url: str,
                   **params: Any) -> tuple[int, Any, Any]:
    async with http.get(url, params=params) as resp:
        return resp.status, await resp.json(content_type=None), resp.headers


class RefBook:
    """Tiny independent order book: absolute quantities, "0" deletes (reference §5)."""

    def __init__(self, bids: list[list[str]], asks: list[list[str]]) -> None:
        from decimal import Decimal

        self.D = Decimal
        self.bids = {Decimal(p): Decimal(q) for p, q in bids}
        self.asks = {Decimal(p): Decimal(q) for p, q in asks}

    def apply(self, event: dict[str, Any]) -> None:
        for side, levels in ((self.bids, event["b"]), (self.asks, event["a"])):
            for p, q in levels:
                price, qty = self.D(p), self.D(q)
                if qty == 0:
                    side.pop(price, None)
                else:
                    side[price] = qty

    def as_tuples(self) -> tuple[list[tuple[Any, Any]], list[tuple[Any, Any]]]:
        return (sorted(self.bids.items(), reverse=True), sorted(self.asks.items()))


def truth_tuples(book: Any) -> tuple[list[tuple[Any, Any]], list[tuple[Any, Any]]]:
    from decimal import Decimal

    return ([(Decimal(p), Decimal(q)) for p, q in book.bids],
            [(Decimal(p), Decimal(q)) for p, q in book.asks])


async def drain(ws: ClientConnection, seconds: float) -> list[Any]:
    """Every decoded frame that arrives within ``seconds`` (for asserting silence)."""
    out: list[Any] = []
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while (left := end - loop.time()) > 0:
        try:
            out.append(orjson.loads(await asyncio.wait_for(ws.recv(), left)))
        except TimeoutError:
            break
    return out
