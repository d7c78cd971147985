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
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from tuimon.sim.emitter import BASE_STEP_MS, Emitter
from tuimon.sim.faults import (
    FAULT_NAMES,
    FAULT_PARAMS,
    MALFORMED_KINDS,
    FaultRecord,
    FaultState,
    RestFault,
)
from tuimon.sim.markets import MarketName, market_config
from tuimon.sim.model import BookState, MarketModel
from tuimon.sim.rest import ApiError, RestApi
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
        self._paused = paused
        self._runner: web.AppRunner | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timers: list[asyncio.TimerHandle] = []

    # ------------------------------------------------------------------ URLs
    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def ws_api_url(self) -> str:
        return f"ws://{self.host}:{self.port}"  # reserved: no WS API routes yet (404)

    # ------------------------------------------------------------------ lifecycle
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.rest.middleware])
        routes = self.rest.routes()
        prefixes = [""] if not self.cfg.routed else ["", "/public", "/market"]
        for prefix in prefixes:
            routes += [
                web.get(f"{prefix}/ws", self._ws_handler),
                web.get(f"{prefix}/ws/{{tail:.+}}", self._ws_handler),
                web.get(f"{prefix}/stream", self._ws_handler),
            ]
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
        self._loop = asyncio.get_running_loop()
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
        for handle in self._timers:
            handle.cancel()
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

    # ------------------------------------------------------------------ queries
    def book_at(self, symbol: str, update_id: int) -> BookState:
        """Full book after internal update ``update_id`` (the last one <= it, on futures)."""
        return self.model.symbols[symbol.upper()].book_at(update_id)

    def current_update_id(self, symbol: str) -> int:
        return self.model.symbols[symbol.upper()].last_id

    @property
    def fault_log(self) -> list[FaultRecord]:
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
        if path.startswith("/_sim/"):
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
        return ws

    # ------------------------------------------------------------------ faults
    def inject(self, fault: str, symbol: str | None = None, **params: Any) -> FaultRecord:
        """Trigger or arm a fault; see faults.FAULT_PARAMS for each fault's parameters.

        Must be called on the server's event loop thread (SimThread.inject marshals for you).
        Returns the record; ``record.applied`` counts how often the fault actually took effect.
        """
        if fault not in FAULT_NAMES:
            raise ValueError(f"unknown fault {fault!r}; expected one of {FAULT_NAMES}")
        unknown = set(params) - FAULT_PARAMS[fault]
        if unknown:
            raise ValueError(f"fault {fault!r} does not take {sorted(unknown)}; "
                             f"allowed: {sorted(FAULT_PARAMS[fault])}")
        sym = symbol.upper() if symbol else None
        if sym is not None and sym not in self.symbol_set:
            raise ValueError(f"unknown symbol {symbol!r}")
        record = FaultRecord(fault, sym, dict(params), self.clock())
        self.faults.log.append(record)
        per_kind = self.stats.faults_injected
        per_kind[fault] = per_kind.get(fault, 0) + 1
        getattr(self, f"_fault_{fault}")(record, sym, params)
        return record

    def _targets(self, sym: str | None) -> list[StreamConn]:
        if sym is None:
            return list(self.conns)
        return [c for c in self.conns if any(k.symbol == sym for k in c.subs.values())]

    def _arm_depth(self, kind: str, record: FaultRecord, sym: str | None,
                   params: dict[str, Any]) -> None:
        count = int(params.get("count", 1))
        ttl = float(params.get("ttl", 10.0))
        if count < 1:
            raise ValueError("count must be >= 1")
        expires = self.model.step_no + math.ceil(ttl * 1000 / self.step_ms)
        symbols = [sym] if sym is not None else self.symbols
        self.faults.arm_depth(kind, symbols, list(self.cfg.depth_cadences), count, expires,
                              record, age=int(params.get("age", 3)))

    def _fault_gap(self, record: FaultRecord, sym: str | None, params: dict[str, Any]) -> None:
        self._arm_depth("gap", record, sym, params)

    def _fault_stale(self, record: FaultRecord, sym: str | None, params: dict[str, Any]) -> None:
        if int(params.get("age", 3)) < 1:
            raise ValueError("age must be >= 1")
        self._arm_depth("stale", record, sym, params)

    def _fault_duplicate(self, record: FaultRecord, sym: str | None,
                         params: dict[str, Any]) -> None:
        self._arm_depth("duplicate", record, sym, params)

    def _fault_disconnect(self, record: FaultRecord, sym: str | None,
                          params: dict[str, Any]) -> None:
        abrupt = bool(params.get("abrupt", True))
        code = int(params.get("code", 1001))
        for conn in self._targets(sym):
            if abrupt:
                conn.abort("disconnect fault")
            else:
                conn.close_soon(code, "disconnect fault")
            record.applied += 1
            self.stats.disconnects_injected += 1

    def _fault_silence(self, record: FaultRecord, sym: str | None,
                       params: dict[str, Any]) -> None:
        seconds = float(params.get("seconds", 5.0))
        until = time.monotonic() + seconds
        silence = self.faults.silence_until
        silence[sym] = max(silence.get(sym, 0.0), until)
        record.applied = 1
        self.stats.silences_injected += 1

    def _arm_rest(self, kind: str, record: FaultRecord, sym: str | None, value: float,
                  count: int) -> None:
        if count < 0:
            raise ValueError("count must be >= 0 (0 = until cleared)")
        self.faults.rest.append(RestFault(kind, count, value, sym, record))

    def _fault_slow_rest(self, record: FaultRecord, sym: str | None,
                         params: dict[str, Any]) -> None:
        self._arm_rest("slow_rest", record, sym, float(params.get("seconds", 2.0)),
                       int(params.get("count", 1)))

    def _fault_rest_429(self, record: FaultRecord, sym: str | None,
                        params: dict[str, Any]) -> None:
        self._arm_rest("rest_429", record, sym, float(params.get("retry_after", 1.0)),
                       int(params.get("count", 1)))

    def _fault_rest_418(self, record: FaultRecord, sym: str | None,
                        params: dict[str, Any]) -> None:
        self._arm_rest("rest_418", record, sym, float(params.get("retry_after", 2.0)),
                       int(params.get("count", 1)))

    def _fault_server_shutdown(self, record: FaultRecord, sym: str | None,
                               params: dict[str, Any]) -> None:
        if self.cfg.futures:
            raise ValueError("serverShutdown exists on spot only (reference §3)")
        delay = float(params.get("delay", 0.5))
        event = orjson.dumps({"e": "serverShutdown", "E": self.clock()})
        wrapped = b'{"stream":"!serverShutdown","data":' + event + b"}"
        loop = self._loop or asyncio.get_running_loop()
        for conn in self._targets(sym):
            conn.push(wrapped if conn.combined else event)
            record.applied += 1
            self.stats.shutdowns_sent += 1
            if delay <= 0:
                conn.close_soon(1001, "server shutdown")
            else:
                self._timers.append(loop.call_later(delay, conn.close_soon, 1001,
                                                    "server shutdown"))

    def _fault_malformed(self, record: FaultRecord, sym: str | None,
                         params: dict[str, Any]) -> None:
        kinds = params.get("kinds") or list(MALFORMED_KINDS)
        if isinstance(kinds, str):
            kinds = [kinds]
        bad = [k for k in kinds if k not in MALFORMED_KINDS]
        if bad:
            raise ValueError(f"unknown malformed kinds {bad}; expected {MALFORMED_KINDS}")
        huge = int(params.get("huge_bytes", 1_000_000))
        now = self.clock()
        for conn in self._targets(sym):
            target = sym or next((k.symbol for k in conn.subs.values() if k.symbol),
                                 self.symbols[0])
            stream = next((n for n, k in conn.subs.items() if k.symbol == target),
                          f"{target.lower()}@depth")
            for kind in kinds:
                self._send_garbage(conn, kind, target, stream, now, huge)
                record.applied += 1
                self.stats.malformed_sent += 1
        record.targets.extend(kinds)

    def _send_garbage(self, conn: StreamConn, kind: str, sym: str, stream: str, now: int,
                      huge: int) -> None:
        def wrap(obj: dict[str, Any]) -> bytes:
            data = orjson.dumps(obj)
            if conn.combined:
                return b'{"stream":"' + stream.encode() + b'","data":' + data + b"}"
            return data

        if kind == "not_json":
            conn.push(b"<html><body><h1>502 Bad Gateway</h1></body></html>")
        elif kind == "truncated":
            full = wrap({"e": "depthUpdate", "E": now, "s": sym, "U": 1, "u": 2,
                         "b": [["1.00", "2.00"]], "a": []})
            conn.push(full[: len(full) // 2])
        elif kind == "wrong_types":
            body: dict[str, Any] = {"e": "depthUpdate", "E": str(now), "s": sym, "U": "abc",
                                    "u": "abc", "b": [[95000.1, 1.5]], "a": [["1.0", None]]}
            if self.cfg.futures:
                body["pu"] = "abc"
                body["T"] = "x"
            conn.push(wrap(body))
        elif kind == "unknown_event":
            conn.push(wrap({"e": "simMysteryEvent", "E": now, "s": sym, "z": [1, 2, 3]}))
        elif kind == "huge":
            pad = max(0, huge - 100)
            conn.push(wrap({"e": "simHugeEvent", "E": now, "s": sym, "pad": "x" * pad}))
        elif kind == "binary":
            conn.send_binary(b"\x00\x01\x02\x03binary frame\xff")
        elif kind == "non_utf8":
            conn.send_raw_text(b'{"e":"depthUpdate","s":"\xff\xfe\xfd"}')

    def _fault_clear(self, record: FaultRecord, sym: str | None, params: dict[str, Any]) -> None:
        """Disarm every pending fault and lift REST cool-downs/bans: a clean slate."""
        self.faults.clear()
        limiter = self.rest.limiter
        limiter.cooldown_until = limiter.ban_until = limiter.violations = 0
        record.applied = 1

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
