"""``tuimon sim --replay FILE``: serve a recording on the exchange's own paths.

The recorded frames go out on the recording's market paths (combined streams; USDⓈ-M routes
``/public`` and ``/market`` as the live exchange does), at the recorded pace times ``speed``,
to every connection subscribed to their stream: the stream sockets are the simulator's own
(:class:`tuimon.sim.ws.StreamConn`: SUBSCRIBE, LIST_SUBSCRIPTIONS, pings, limits). REST
answers with the recorded response to the same path and parameters: the latest one at or before
the replay position, or, before the first has come, that one once the position reaches it (so
a depth snapshot is as far ahead of the diff stream as it was live, and books sync through the
client's real sequence checks). Unrecorded requests get HTTP 400 with an exchange-style body.

The timeline starts when the first stream socket opens and plays once; afterwards the sockets
stay open and quiet. A client's REST warm-up (exchangeInfo, klines) comes before its streams
and must not eat into the recording: the recorded session's first diffs come a few ms before
its first snapshot, so a client that subscribed even 50 ms into the timeline missed the diffs
that link to that snapshot and could never sync. REST answered before the start are the first
recorded ones. One timeline serves every client: a client that joins late gets the recording
from where it is (and no snapshot newer than the start, so its books may not sync).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import orjson
from aiohttp import web

from tuimon.recording.file import RecordingReader
from tuimon.recording.format import Header, Kind, RecordingError, RestRequest
from tuimon.sim.markets import market_config
from tuimon.sim.stats import SimStats
from tuimon.sim.streams import MARKET, PUBLIC, StreamKey, parse_stream
from tuimon.sim.ws import StreamConn

_STREAM_PREFIX = b'{"stream":"'


def stream_of(frame: bytes) -> str | None:
    """The stream name of a combined-stream frame (``{"stream":"<name>",...}``), cheaply."""
    if frame.startswith(_STREAM_PREFIX):
        end = frame.find(b'"', len(_STREAM_PREFIX))
        if end > 0:
            return frame[len(_STREAM_PREFIX) : end].decode("utf-8", "replace")
    try:
        data = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return None
    stream = data.get("stream") if isinstance(data, dict) else None
    return stream if isinstance(stream, str) else None


@dataclass(slots=True)
class _Responses:
    """Recorded responses to one request, by time."""

    times: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)


class ReplaySimServer:
    """Serves one recording on one loopback port (REST and streams)."""

    def __init__(
        self,
        path: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        ping_interval: float | None = None,
        pong_timeout: float | None = None,
    ) -> None:
        self.path = path
        with RecordingReader(path) as reader:  # RecordingError: the caller says so
            self.header: Header = reader.header
        self.cfg = market_config(self.header.market)
        self.market: str = self.cfg.name
        self.host = host
        self.port = port
        self.speed = speed
        self.ping_interval = ping_interval if ping_interval is not None else self.cfg.ping_interval
        self.pong_timeout = pong_timeout if pong_timeout is not None else self.cfg.pong_timeout
        self.max_lifetime = 24 * 3600.0
        self.msg_rate = self.cfg.msg_rate
        self.max_streams = self.cfg.max_streams
        self.symbols = list(self.header.symbols)
        self.symbol_set = frozenset(self.symbols)
        self.stats = SimStats()
        self.subscribers: dict[str, set[StreamConn]] = {}
        self.conns: set[StreamConn] = set()
        self.rest_index: dict[tuple[str, tuple[tuple[str, str], ...]], _Responses] = {}
        self.damage: str | None = None
        self.frames_played = 0
        self.position = 0.0
        """Seconds into the recording."""
        self.ended = False
        self._started_at: float | None = None
        self._runner: web.AppRunner | None = None
        self._player: asyncio.Task[None] | None = None
        self._index_rest()

    def clock(self) -> int:
        """Wall time in ms (ping payloads)."""
        return time.time_ns() // 1_000_000

    # ------------------------------------------------------------------ the recording
    def _index_rest(self) -> None:
        with RecordingReader(self.path) as reader:
            for record in reader.records():
                if record.kind is not Kind.REST:
                    continue
                try:
                    request = RestRequest.parse(record.meta)
                except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
                    continue
                entry = self.rest_index.setdefault((request.path, request.params), _Responses())
                entry.times.append(record.t_us / 1_000_000)
                entry.bodies.append(record.body)
            self.damage = reader.damage if not reader.ended else None

    def _start_timeline(self) -> None:
        if self._started_at is None:
            loop = asyncio.get_running_loop()
            self._started_at = loop.time()
            self._player = loop.create_task(self._play(), name="sim-replay")

    def _now(self) -> float:
        """The replay position, from the timeline's start (not capped by the frames)."""
        if self._started_at is None:
            return 0.0
        return (asyncio.get_running_loop().time() - self._started_at) * self.speed

    async def _play(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._started_at is not None
        start = self._started_at
        burst = 0
        with RecordingReader(self.path) as reader:
            for record in reader.records():
                if record.kind is not Kind.WS:
                    continue
                t = record.t_us / 1_000_000
                delay = start + t / self.speed - loop.time()
                if delay > 0:
                    burst = 0
                    await asyncio.sleep(delay)
                else:
                    burst += 1
                    if burst >= 256:
                        burst = 0
                        await asyncio.sleep(0)
                self.position = t
                name = stream_of(record.body)
                if name is None:
                    continue  # a control reply the live session got: not a stream frame
                for conn in tuple(self.subscribers.get(name, ())):
                    conn.push(record.body)
                self.frames_played += 1
        self.ended = True

    # ------------------------------------------------------------------ StreamConn's server API
    def index(self, name: str, conn: StreamConn) -> None:
        self.subscribers.setdefault(name, set()).add(conn)

    def unindex(self, name: str, conn: StreamConn) -> None:
        conns = self.subscribers.get(name)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.subscribers[name]

    # ------------------------------------------------------------------ HTTP
    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def make_app(self) -> web.Application:
        app = web.Application()
        prefixes = ["", "/public", "/market"] if self.cfg.routed else [""]
        routes = [web.get(f"{prefix}/stream", self._ws_handler) for prefix in prefixes]
        routes.append(web.get("/_sim/info", self._info))
        routes.append(web.get("/{tail:.*}", self._rest_handler))
        app.add_routes(routes)
        return app

    async def start(self) -> None:
        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._player is not None:
            self._player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._player
        for conn in list(self.conns):
            conn.abort("server stopped")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ReplaySimServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _rest_handler(self, request: web.Request) -> web.Response:
        self.stats.rest_requests += 1
        params = tuple(sorted((k, v) for k, v in request.query.items()))
        entry = self.rest_index.get((request.path, params))
        if entry is None:
            self.stats.rest_errors += 1
            return web.json_response(
                {"code": -1100, "msg": "Not in the recording."}, status=400
            )
        now = self._now()
        at = bisect.bisect_right(entry.times, now) - 1
        if at < 0:
            at = 0  # the first answer is still ahead: give it when its time comes
            await asyncio.sleep((entry.times[0] - now) / self.speed)
        return web.Response(body=entry.bodies[at], content_type="application/json")

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        self._start_timeline()
        path = request.path
        route = None
        if self.cfg.routed:
            if path.startswith("/public/"):
                route = PUBLIC
            elif path.startswith("/market/"):
                route = MARKET
        names = [n for n in request.query.get("streams", "").split("/") if n]
        keys: list[StreamKey] = []
        for name in names:
            key = parse_stream(self.cfg, name, self.symbol_set)
            if key is None:
                self.stats.connections_rejected += 1
                body = {"error": {"code": 2, "msg": f"Invalid request: invalid stream {name}"}}
                return web.json_response(body, status=400)
            keys.append(key)
        ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = StreamConn(self, ws, request.transport, route, True)  # type: ignore[arg-type]
        self.conns.add(conn)
        self.stats.connections_opened += 1
        try:
            await conn.run(keys)
        finally:
            self.conns.discard(conn)
            self.stats.connections_closed += 1
        return ws

    async def _info(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "market": self.market,
                "symbols": self.symbols,
                "rest_url": self.rest_url,
                "stream_url": self.stream_url,
                "replay": {
                    "file": str(self.path),
                    "frames_played": self.frames_played,
                    "position": round(self.position, 3),
                    "ended": self.ended,
                },
            }
        )


async def serve_replay(
    path: Path, *, host: str, port: int, speed: float, stop: asyncio.Event, out: TextIO
) -> int:
    """``tuimon sim --replay``: one JSON line with the URLs, then serve until ``stop``.

    Exit status 2 with one line when the file cannot be served.
    """
    try:
        server = ReplaySimServer(path, host=host, port=port, speed=speed)
    except RecordingError as exc:
        sys.stderr.write(f"tuimon sim: {exc}\n")
        return 2
    except ValueError as exc:  # a market the simulator does not know
        sys.stderr.write(f"tuimon sim: {path}: {exc}\n")
        return 2
    if server.damage is not None:
        sys.stderr.write(f"tuimon sim: warning: {path}: {server.damage}\n")
    await server.start()
    try:
        line = {
            "market": server.market,
            "rest_url": server.rest_url,
            "stream_url": server.stream_url,
            "replay": str(path),
            "symbols": server.symbols,
        }
        out.write(orjson.dumps(line).decode() + "\n")
        out.flush()
        await stop.wait()
    finally:
        await server.stop()
    return 0
