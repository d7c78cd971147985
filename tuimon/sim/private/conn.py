"""One private WebSocket (a WS API session or a USDⓈ-M ``/private`` listenKey socket).

Outgoing frames go through one queue drained by a writer task (like the market streams), so a
response and the events around it leave in the order they were produced. aiohttp's heartbeat
sends the server pings and drops a client that stops answering them (§3); the connection is
closed at the server's max lifetime too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

_CLOSE = "close"
# Frames queued for one private socket before it counts as a dead reader and is dropped (like a
# market stream's slow consumer). The demo account sends about 2 events a second, so this is over
# an hour of events nobody read; a socket whose peer vanished without a FIN must not keep them.
MAX_QUEUE = 10_000


class PrivateConn:
    """State and writer of one private socket."""

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None,
                 kind: str, opened_ms: int) -> None:
        self.ws = ws
        self.transport = transport
        self.kind = kind  # "ws-api" or "listen"
        self.opened_ms = opened_ms
        self.out: deque[bytes | tuple[str, Any]] = deque()
        self.wake = asyncio.Event()
        self.closed = False
        self.close_reason = ""
        # WS API session state
        self.api_key: str | None = None  # session.logon
        self.subscriptions: dict[int, str] = {}  # subscriptionId -> apiKey
        self.next_subscription = 0
        # listenKey socket state
        self.listen_key: str | None = None
        self.delivering = True
        self.events: frozenset[str] | None = None  # events= filter of a /private socket

    def push(self, frame: bytes) -> None:
        if self.closed:
            return
        self.out.append(frame)
        self.wake.set()
        if len(self.out) > MAX_QUEUE:
            self.out.clear()
            self.abort("slow consumer")

    def close_soon(self, code: int, reason: str) -> None:
        """Clean close after the frames already queued."""
        self.close_reason = self.close_reason or reason
        if not self.closed:
            self.out.append((_CLOSE, (code, reason)))
            self.wake.set()

    def abort(self, reason: str) -> None:
        """Drop the TCP connection without a close frame (a network cut)."""
        if self.closed:
            return
        self.close_reason = self.close_reason or reason
        self.closed = True
        self.wake.set()
        if self.transport is not None:
            self.transport.abort()

    async def writer(self) -> None:
        ws = self.ws
        try:
            while not self.closed:
                await self.wake.wait()
                self.wake.clear()
                while self.out:
                    item = self.out.popleft()
                    if isinstance(item, bytes):
                        await ws.send_frame(item, WSMsgType.TEXT)
                        continue
                    code, reason = item[1]
                    await ws.close(code=code, message=reason.encode())
                    self.closed = True
                    return
        except (ConnectionError, RuntimeError):
            self.closed = True
        except Exception:  # noqa: BLE001 - a dead socket must never take the server down
            self.closed = True

    async def run(self, on_text: Any, lifetime: float) -> None:
        """Read until the client goes away; ``on_text(conn, text)`` handles each text frame."""
        writer = asyncio.create_task(self.writer())
        loop = asyncio.get_running_loop()
        expiry = loop.call_later(lifetime, self.close_soon, 1000, "max lifetime reached")
        try:
            async for msg in self.ws:
                if self.closed:
                    break
                if msg.type == WSMsgType.TEXT:
                    on_text(self, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            expiry.cancel()
            self.closed = True
            self.wake.set()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(writer, 1.0)
            writer.cancel()
