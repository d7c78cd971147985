"""SimServer: one market (spot, usdm or coinm) on one loopback port, REST + streams + admin.

Lifecycle: ``await start()`` binds the aiohttp app and starts the step loop, which advances the
model every ``depth_interval_ms / 2`` ms and hands each step to the emitter. ``inject()`` arms or
fires faults; ``book_at()`` answers from the model's bounded update history.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from tuimon.sim.emitter import BASE_STEP_MS, Emitter
from tuimon.sim.faults import FaultRecord, FaultState
from tuimon.sim.injector import FaultInjector
from tuimon.sim.markets import MarketName, market_config
from tuimon.sim.model import BookState, MarketModel
from tuimon.sim.private import PrivateSim
from tuimon.sim.rest import ApiError, RestApi, json_errors
from tuimon.sim.stats import SimStats
from tuimon.sim.streams import MARKET, PUBLIC, StreamKey, parse_stream
from tuimon.sim.ws import StreamConn

Clock = Callable[[], int]


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class SimServer:
    """A Binance-compatible market-data server for one market.

    Parameters not given take the reference values for the market (§3, §5.3): ping every
    20 s / 180 s, pong deadline 60 s / 600 s, 5 / 10 incoming msg/s, 1024 streams, weight
    6000 / 2400 per minute. ``depth_interval_ms`` is the fast diff cadence (@100ms); every other
    cadence scales with it, so tests can run the whole market faster. ``clock`` returns epoch
    milliseconds and is the only source of time in payloads and candle boundaries.
    """

    def __init__(
        self,
        market: MarketName | str = "spot",
        seed: int = 7,
        symbols: list[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ping_interval: float | None = None,
        pong_timeout: float | None = None,
        max_lifetime: float = 24 * 3600.0,
        depth_interval_ms: int = 100,
        clock: Clock | None = None,
        weight_limit: int | None = None,
        msg_rate: int | None = None,
        max_streams: int | None = None,
        history_seconds: float = 90.0,
        ban_after_429s: int = 5,
        ban_seconds: float = 120.0,
        paused: bool = False,
    ) -> None:
        cfg = self.cfg = market_config(market)
        self.market: str = cfg.name
        self.seed = seed
        self.host = host
        self.port = port
        self.ping_interval = ping_interval if ping_interval is not None else cfg.ping_interval
        self.pong_timeout = pong_timeout if pong_timeout is not None else cfg.pong_timeout
        self.max_lifetime = max_lifetime
        self.msg_rate = msg_rate if msg_rate is not None else cfg.msg_rate
        self.max_streams = max_streams if max_streams is not None else cfg.max_streams
        self.weight_limit = weight_limit if weight_limit is not None else cfg.weight_limit
        self.ban_after_429s = ban_after_429s
        self.ban_seconds = ban_seconds
        if depth_interval_ms < 2:
            raise ValueError("depth_interval_ms must be >= 2")
        self.depth_interval_ms = depth_interval_ms
        self.step_ms = depth_interval_ms / 2
        self.clock: Clock = clock or wall_clock_ms
        history_steps = math.ceil(history_seconds * 1000 / BASE_STEP_MS)
        self.history_seconds = history_seconds
        self.model = MarketModel(cfg, seed, symbols, self.clock(), history_steps)
        self.symbols: list[str] = list(self.model.symbols)
        self.symbol_set = frozenset(self.symbols)
        self.stats = SimStats()
        self.faults = FaultState()
        self.subscribers: dict[str, set[StreamConn]] = {}
        self.conns: set[StreamConn] = set()
        self.emitter = Emitter(self)
        self.rest = RestApi(self)
        self.injector = FaultInjector(self)
        self.private = PrivateSim(self)  # account, signed REST, WS API, listenKey streams
        self._paused = paused
        self._runner: web.AppRunner | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        # Pending delayed actions of faults (e.g. the close after serverShutdown): each handle
        # leaves the set when it fires, so the set holds only what stop() must still cancel.
        self.timers: set[asyncio.TimerHandle] = set()
        self._conns_changed = asyncio.Event()  # set whenever a socket (market or private) ends

    # ------------------------------------------------------------------ URLs
    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def ws_api_url(self) -> str:
        return f"ws://{self.host}:{self.port}"  # spot: /ws-api/v3 (private side)

    # ------------------------------------------------------------------ lifecycle
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[json_errors, self.rest.middleware])
        routes = self.rest.routes()
        prefixes = [""] if not self.cfg.routed else ["", "/public", "/market"]
        for prefix in prefixes:
            routes += [
                web.get(f"{prefix}/ws", self._ws_handler),
                web.get(f"{prefix}/ws/{{tail:.+}}", self._ws_handler),
                web.get(f"{prefix}/stream", self._ws_handler),
            ]
        routes += self.private.routes()
        routes += [
            web.post("/_sim/fault", self._admin_fault),
            web.get("/_sim/stats", self._admin_stats),
            web.get("/_sim/book", self._admin_book),
            web.get("/_sim/info", self._admin_info),
        ]
        app.add_routes(routes)
        return app

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("already started")
        self.loop = asyncio.get_running_loop()
        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        self._loop_task = asyncio.create_task(self._step_loop(), name=f"sim-{self.market}")

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        for handle in self.timers:
            handle.cancel()
        self.timers.clear()
        await self.private.close()
        for conn in list(self.conns):
            conn.abort("server stopped")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SimServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ stepping
    async def _step_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = self.step_ms / 1000
        nxt = loop.time()
        while True:
            nxt += period
            delay = nxt - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -5 * period:
                nxt = loop.time()  # fell far behind (debugger, suspended VM): do not burst
            if not self._paused:
                self._step()

    def _step(self) -> None:
        now = self.clock()
        self.model.step(now)
        self.emitter.emit(now)

    def pause(self) -> None:
        """Stop automatic stepping (the book freezes); use advance() to step by hand."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    async def advance(self, steps: int = 1) -> None:
        """Run ``steps`` model steps now (handy with paused=True for step-exact tests)."""
        for _ in range(steps):
            self._step()
            await asyncio.sleep(0)

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> None:
        """Run ``callback(*args)`` after ``delay`` s on the server's loop; stop() cancels it."""
        loop = self.loop or asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def fire() -> None:
            self.timers.discard(handle)
            callback(*args)

        handle = loop.call_later(delay, fire)
        self.timers.add(handle)

    # ------------------------------------------------------------------ queries
    def book_at(self, symbol: str, update_id: int) -> BookState:
        """Full book after internal update ``update_id`` (the last one <= it, on futures)."""
        return self.model.symbols[symbol.upper()].book_at(update_id)

    def current_update_id(self, symbol: str) -> int:
        return self.model.symbols[symbol.upper()].last_id

    @property
    def fault_log(self) -> deque[FaultRecord]:
        """The most recent FaultRecords, oldest first (at most faults.FAULT_LOG_KEPT)."""
        return self.faults.log

    # ------------------------------------------------------------------ subscriptions
    def index(self, name: str, conn: StreamConn) -> None:
        self.subscribers.setdefault(name, set()).add(conn)

    def unindex(self, name: str, conn: StreamConn) -> None:
        conns = self.subscribers.get(name)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.subscribers[name]

    def is_rest_path(self, path: str) -> bool:
        """Everything but the stream and admin routes is REST-accounted (404s included)."""
        if path.startswith("/_sim/") or self.private.is_private_socket_path(path):
            return False
        if self.cfg.routed and path.startswith(("/public/", "/market/")):
            path = path[len("/public"):]
        return not (path in ("/ws", "/stream") or path.startswith("/ws/"))

    # ------------------------------------------------------------------ WebSocket
    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        route: str | None = None
        if self.cfg.routed:
            if path.startswith("/public/"):
                route = PUBLIC
            elif path.startswith("/market/"):
                route = MARKET
        combined = path.endswith("/stream")
        # /stream?streams=a/b (combined) or /ws/a/b (raw, path mode)
        raw = request.query.get("streams", "") if combined else request.match_info.get("tail", "")
        names = [n for n in raw.split("/") if n]
        keys: list[StreamKey] = []
        for name in names:
            key = parse_stream(self.cfg, name, self.symbol_set)
            if key is None:
                self.stats.connections_rejected += 1
                return web.Response(status=400, body=orjson.dumps(
                    {"error": {"code": 2, "msg": f"Invalid request: invalid stream {name}"}}),
                    content_type="application/json")
            keys.append(key)
        if len({k.name for k in keys}) > self.max_streams:
            self.stats.connections_rejected += 1
            return web.Response(status=400, body=orjson.dumps(
                {"error": {"code": 2, "msg": "Invalid request: too many streams"}}),
                content_type="application/json")
        ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 20)
        transport = request.transport
        await ws.prepare(request)
        conn = StreamConn(self, ws, transport, route, combined)
        self.conns.add(conn)
        self.stats.connections_opened += 1
        try:
            await conn.run(keys)
        finally:
            self.conns.discard(conn)
            self.stats.connections_closed += 1
            self.note_connection_closed()
        return ws

    def note_connection_closed(self) -> None:
        self._conns_changed.set()

    def open_connections(self) -> int:
        """Market-stream plus private sockets whose handler is still running."""
        return len(self.conns) + len(self.private.conns)

    async def wait_connections(self, at_most: int = 0) -> None:
        """Return once at most ``at_most`` sockets are open (event-driven: no polling)."""
        while self.open_connections() > at_most:
            self._conns_changed.clear()
            await self._conns_changed.wait()

    # ------------------------------------------------------------------ faults
    def inject(self, fault: str, symbol: str | None = None, **params: Any) -> FaultRecord:
        """Trigger or arm a fault (see tuimon.sim.faults for names and parameters).

        Must be called on the server's event loop thread (SimThread.inject marshals for you).
        Returns the record; ``record.applied`` counts how often the fault actually took effect.
        """
        return self.injector.inject(fault, symbol, **params)

    # ------------------------------------------------------------------ admin HTTP
    async def _admin_fault(self, request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            fault = body.pop("fault", None) or body.pop("name", None)
            symbol = body.pop("symbol", None)
            params = body.pop("params", None) or {}
            params.update(body)  # flat form: {"fault": "gap", "symbol": "BTCUSDT", "count": 2}
            record = self.inject(str(fault), symbol, **params)
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(record.as_dict())

    async def _admin_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats.as_dict())

    async def _admin_info(self, request: web.Request) -> web.Response:
        return web.json_response({
            "market": self.market, "seed": self.seed, "symbols": self.symbols,
            "rest_url": self.rest_url, "stream_url": self.stream_url,
            "ws_api_url": self.ws_api_url, "depth_interval_ms": self.depth_interval_ms,
        })

    async def _admin_book(self, request: web.Request) -> web.Response:
        try:
            symbol = request.query["symbol"]
            uid_raw = request.query.get("update_id")
            uid = int(uid_raw) if uid_raw else self.current_update_id(symbol)
            book = self.book_at(symbol, uid)
        except (KeyError, ValueError, LookupError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.Response(body=orjson.dumps({
            "symbol": book.symbol, "update_id": book.update_id, "bids": book.bids,
            "asks": book.asks}), content_type="application/json")


__all__ = ["ApiError", "SimServer", "wall_clock_ms"]
