"""One market-stream WebSocket connection: control protocol, limits, keepalive (§2, §3).

Outgoing frames (data, replies, pings) all go through one queue drained by a writer task, so a
reply is interleaved with data in the order it was produced and a slow client never blocks the
emitter. Data frames arrive as pre-serialized bytes shared by every subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import WSMsgType, web

from tuimon.sim.streams import StreamKey, delivers, parse_stream

if TYPE_CHECKING:
    from tuimon.sim.server import SimServer

METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_ID_STR = re.compile(r"^[A-Za-z0-9-]{1,36}$")  # "alphanumeric, at most 36 chars" (+ UUID dashes)
_INT64 = (-(2**63), 2**63 - 1)
MAX_QUEUE = 200_000  # frames; beyond that the client is too slow and gets dropped
# Bytes queued on one socket before it is dropped as a slow consumer. The frame cap alone let a
# stalled reader of big frames (full depth diffs, 1-5 KB each) pin up to a GB; 32 MiB is about a
# minute of 20 books' @100ms diffs, a backlog no client recovers from (it must resync anyway).
MAX_QUEUE_BYTES = 32 * 2**20

# Special queue items (everything else in the queue is a text frame as bytes).
_PING = "ping"
_PONG = "pong"
_BINARY = "binary"
_RAW_TEXT = "raw_text"  # bytes that are not valid UTF-8, sent with the text opcode anyway
_CLOSE = "close"


def _err(code: int, msg: str, req_id: Any) -> bytes:
    return orjson.dumps({"error": {"code": code, "msg": msg}, "id": req_id})


class StreamConn:
    """State and tasks of one stream socket."""

    def __init__(self, server: SimServer, ws: web.WebSocketResponse,
                 transport: asyncio.Transport | None, route: str | None,
                 combined: bool) -> None:
        self.server = server
        self.cfg = server.cfg
        self.ws = ws
        self.transport = transport
        self.route = route
        self.combined = combined
        self.subs: dict[str, StreamKey] = {}  # ordered like LIST_SUBSCRIPTIONS
        self.out: deque[bytes | tuple[str, Any]] = deque()
        self.queued_bytes = 0  # text frames in ``out`` (the specials are few and small)
        self.wake = asyncio.Event()
        self.closed = False
        loop = asyncio.get_running_loop()
        self.loop = loop
        self.opened = loop.time()
        self.last_alive = self.opened
        self.msg_times: deque[float] = deque()
        self.outstanding_pings: deque[bytes] = deque(maxlen=16)
        self.close_reason = ""

    # ------------------------------------------------------------------ outgoing
    def push(self, frame: bytes) -> None:
        """Queue a text frame (hot path: called by the emitter for every data frame)."""
        if self.closed:
            return
        out = self.out
        out.append(frame)
        self.queued_bytes += len(frame)
        if len(out) == 1:
            self.wake.set()
        elif len(out) > MAX_QUEUE or self.queued_bytes > MAX_QUEUE_BYTES:
            self.server.stats.slow_consumer_closes += 1
            self.abort("slow consumer")
            out.clear()  # nothing more will be sent; free the backlog now, not at handler exit
            self.queued_bytes = 0

    def push_special(self, kind: str, data: Any = b"") -> None:
        if self.closed:
            return
        self.out.append((kind, data))
        self.wake.set()

    async def _writer(self) -> None:
        ws = self.ws
        stats = self.server.stats
        out = self.out
        try:
            while not self.closed:
                await self.wake.wait()
                self.wake.clear()
                while out:
                    item = out.popleft()
                    if isinstance(item, bytes):
                        self.queued_bytes -= len(item)
                        await ws.send_frame(item, WSMsgType.TEXT)
                        stats.frames_sent += 1
                        stats.bytes_sent += len(item)
                        continue
                    kind, data = item
                    if kind == _PING:
                        await ws.ping(data)
                        stats.pings_sent += 1
                    elif kind == _PONG:
                        await ws.pong(data)
                    elif kind == _BINARY:
                        await ws.send_frame(data, WSMsgType.BINARY)
                        stats.frames_sent += 1
                    elif kind == _RAW_TEXT:
                        await ws.send_frame(data, WSMsgType.TEXT)
                        stats.frames_sent += 1
                    elif kind == _CLOSE:
                        code, reason = data
                        await ws.close(code=code, message=reason.encode())
                        return
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            self.closed = True
            raise
        except Exception:  # noqa: BLE001 - a dead socket must never take the server down
            self.closed = True

    def close_soon(self, code: int, reason: str) -> None:
        """Clean close after the frames already queued (e.g. after serverShutdown)."""
        self.close_reason = self.close_reason or reason
        self.push_special(_CLOSE, (code, reason))

    def abort(self, reason: str) -> None:
        """Drop the TCP connection without a close frame (like a network cut)."""
        if self.closed:
            return
        self.close_reason = self.close_reason or reason
        self.closed = True
        self.wake.set()
        if self.transport is not None:
            self.transport.abort()

    # ------------------------------------------------------------------ keepalive
    async def _keepalive(self) -> None:
        """Server pings; close on missing pong or at max lifetime (§3)."""
        server = self.server
        interval = server.ping_interval
        deadline = server.pong_timeout
        lifetime_end = self.opened + server.max_lifetime
        next_ping = self.opened + interval
        loop = self.loop
        while not self.closed:
            now = loop.time()
            if now >= lifetime_end:
                server.stats.lifetime_closes += 1
                self.close_soon(1000, "max lifetime reached")
                return
            if now - self.last_alive >= deadline:
                server.stats.ping_timeouts += 1
                self.close_soon(1008, "pong timeout")
                return
            if now >= next_ping:
                payload = str(server.clock()).encode()
                self.outstanding_pings.append(payload)
                self.push_special(_PING, payload)
                next_ping = max(next_ping + interval, now + interval / 2)
            wake_at = min(next_ping, self.last_alive + deadline, lifetime_end)
            await asyncio.sleep(max(0.001, wake_at - loop.time()))

    def _on_pong(self, data: bytes) -> None:
        self.server.stats.pongs_received += 1
        if self.cfg.futures:
            # Futures: any pong, even unsolicited, counts as keepalive (§3).
            self.last_alive = self.loop.time()
        elif data in self.outstanding_pings:
            # Spot: only a pong answering our ping resets the timer (§3).
            self.outstanding_pings.clear()
            self.last_alive = self.loop.time()

    # ------------------------------------------------------------------ incoming
    def _over_budget(self) -> bool:
        now = self.loop.time()
        times = self.msg_times
        times.append(now)
        while times and times[0] <= now - 1.0:
            times.popleft()
        return len(times) > self.server.msg_rate

    async def run(self, initial: list[StreamKey]) -> None:
        server = self.server
        for key in initial:
            self._add(key)
        writer = asyncio.create_task(self._writer())
        keepalive = asyncio.create_task(self._keepalive())
        try:
            async for msg in self.ws:
                if self.closed:
                    break
                if self._over_budget():
                    # Exceeding the incoming message rate disconnects the socket (§3).
                    server.stats.rate_limit_disconnects += 1
                    self.closed = True
                    await self.ws.close(code=1008, message=b"Too many messages")
                    break
                if msg.type == WSMsgType.TEXT:
                    self._handle_text(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._error(3, "Invalid JSON: expected value at line 1 column 1", None)
                elif msg.type == WSMsgType.PING:
                    self.push_special(_PONG, msg.data)
                elif msg.type == WSMsgType.PONG:
                    self._on_pong(msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.closed = True
            self.wake.set()
            keepalive.cancel()
            for key in list(self.subs.values()):
                server.unindex(key.name, self)
            self.subs.clear()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(writer, 1.0)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await keepalive

    def _reply(self, frame: bytes) -> None:
        self.server.stats.control_replies += 1
        self.push(frame)

    def _error(self, code: int, msg: str, req_id: Any) -> None:
        """Error replies carry ``error`` and ``id`` but no ``result`` key (§2)."""
        self.server.stats.control_errors += 1
        self._reply(_err(code, msg, req_id))

    def _add(self, key: StreamKey) -> None:
        if key.name in self.subs:
            return
        self.subs[key.name] = key
        if delivers(self.cfg, key, self.route):
            self.server.index(key.name, self)

    def _remove(self, name: str) -> None:
        if self.subs.pop(name, None) is not None:
            self.server.unindex(name, self)

    def _handle_text(self, text: str) -> None:
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            self._error(3, f"Invalid JSON: {exc}", None)
            return
        if not isinstance(req, dict):
            self._error(3, "Invalid JSON: expected a JSON object", None)
            return
        if "id" not in req:
            self._error(2, "Invalid request: missing field `id`", None)
            return
        req_id = req["id"]
        if not self._valid_id(req_id):
            self._error(2, "Invalid request: request ID must be an unsigned integer or "
                                "an alphanumeric string of at most 36 characters", None)
            return
        method = req.get("method")
        if method is None:
            self._error(2, "Invalid request: missing field `method`", req_id)
            return
        if method not in METHODS:
            self._error(2, f"Invalid request: unknown variant `{method}`, expected one of "
                                "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, "
                                "`SET_PROPERTY`, `GET_PROPERTY`", req_id)
            return
        params = req.get("params", [])
        if not isinstance(params, list):
            self._error(2, "Invalid request: params must be an array", req_id)
            return
        getattr(self, f"_m_{method.lower()}")(params, req_id)

    @staticmethod
    def _valid_id(req_id: Any) -> bool:
        if req_id is None:
            return True
        if isinstance(req_id, bool):
            return False
        if isinstance(req_id, int):
            return _INT64[0] <= req_id <= _INT64[1]
        return isinstance(req_id, str) and bool(_ID_STR.match(req_id))

    def _parse_all(self, params: list[Any], req_id: Any) -> list[StreamKey] | None:
        keys: list[StreamKey] = []
        for name in params:
            key = parse_stream(self.cfg, name, self.server.symbol_set)
            if key is None:
                self._error(2, "Invalid request: invalid stream", req_id)
                return None
            keys.append(key)
        return keys

    def _m_subscribe(self, params: list[Any], req_id: Any) -> None:
        keys = self._parse_all(params, req_id)
        if keys is None:
            return
        new = {k.name for k in keys} - self.subs.keys()
        if len(self.subs) + len(new) > self.server.max_streams:
            self._error(2, f"Invalid request: too many streams; the limit is "
                                f"{self.server.max_streams} per connection", req_id)
            return
        for key in keys:
            self._add(key)
        self._reply(orjson.dumps({"result": None, "id": req_id}))

    def _m_unsubscribe(self, params: list[Any], req_id: Any) -> None:
        keys = self._parse_all(params, req_id)
        if keys is None:
            return
        for key in keys:
            self._remove(key.name)
        self._reply(orjson.dumps({"result": None, "id": req_id}))

    def _m_list_subscriptions(self, params: list[Any], req_id: Any) -> None:
        if params:
            self._error(2, "Invalid request: too many parameters", req_id)
            return
        self._reply(orjson.dumps({"result": list(self.subs), "id": req_id}))

    def _m_set_property(self, params: list[Any], req_id: Any) -> None:
        if len(params) != 2:
            self._error(2, "Invalid request: too many parameters" if len(params) > 2
                             else "Invalid request: missing parameters", req_id)
            return
        prop, value = params
        if not isinstance(prop, str):
            self._error(2, "Invalid request: property name must be a string", req_id)
        elif prop != "combined":
            self._error(0, "Unknown property", req_id)
        elif not isinstance(value, bool):
            self._error(1, "Invalid value type: expected Boolean", req_id)
        else:
            self.combined = value
            self._reply(orjson.dumps({"result": None, "id": req_id}))

    def _m_get_property(self, params: list[Any], req_id: Any) -> None:
        if len(params) != 1:
            self._error(2, "Invalid request: too many parameters" if len(params) > 1
                             else "Invalid request: missing parameters", req_id)
            return
        prop = params[0]
        if not isinstance(prop, str):
            self._error(2, "Invalid request: property name must be a string", req_id)
        elif prop != "combined":
            self._error(0, "Unknown property", req_id)
        else:
            self._reply(orjson.dumps({"result": self.combined, "id": req_id}))

    # ------------------------------------------------------------------ fault helpers
    def send_binary(self, data: bytes) -> None:
        self.push_special(_BINARY, data)

    def send_raw_text(self, data: bytes) -> None:
        self.push_special(_RAW_TEXT, data)
