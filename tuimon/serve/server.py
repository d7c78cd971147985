"""The web server of ``tuimon serve``: textual-serve's front end, one monitor per WebSocket.

Built on aiohttp with textual-serve's parts (its statics: xterm.js and the Textual protocol
client; its ``AppService`` process protocol) rather than its ``Server`` class, because that
class starts its command through a shell, points the page at ``http://HOST:PORT`` (wrong for
``0.0.0.0`` and for any name the browser used), answers any ``Host`` and ``Origin``, and
does not stop the app processes when it is stopped. Browser messages are checked here (the
class asserts on them); a malformed one is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import textual_serve
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.download_manager import DownloadManager

from tuimon.serve.hosts import is_loopback, request_host_allowed, same_origin, url_host
from tuimon.serve.page import font_size, render_page
from tuimon.serve.session import MonitorSession, bounded_cells

log = logging.getLogger("tuimon.serve")

STATICS = Path(textual_serve.__file__).parent / "static"

MAX_SESSIONS = 8
"""Monitors running at once (each is a process with its own sockets, and with ``--demo`` its
own simulator); one more browser tab gets HTTP 503 instead of starving the machine."""
MAX_MESSAGE = 64 * 1024
"""Largest browser message: keystrokes, a paste, a resize."""
HEARTBEAT_S = 15.0
"""WebSocket ping interval: a browser that vanished is noticed and its monitor stopped."""
DEFAULT_SIZE = (80, 24)

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # another site cannot frame the page and take its key presses
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True, slots=True)
class ServeRequest:
    """What ``tuimon serve`` was asked for."""

    host: str
    port: int
    monitor_argv: tuple[str, ...]
    """The whole command line of each session's monitor (``python -m tuimon ...``)."""
    title: str = "tuimon"


class MonitorServer:
    """Serves the page and runs a monitor per browser session, until :meth:`close`."""

    def __init__(self, request: ServeRequest) -> None:
        self.request = request
        self.loopback_only = is_loopback(request.host)
        self.sessions: set[MonitorSession] = set()
        self._sockets: set[web.WebSocketResponse] = set()
        self._downloads = DownloadManager()
        self._runner: web.AppRunner | None = None
        self._closing = False

    def make_app(self) -> web.Application:
        app = web.Application()
        app.add_routes(
            [
                web.get("/", self.handle_index),
                web.get("/ws", self.handle_websocket),
                web.static("/static", STATICS),
            ]
        )
        return app

    def _refusal(self, request: web.Request) -> web.Response | None:
        if request_host_allowed(request.host, loopback_only=self.loopback_only):
            return None
        return web.Response(
            status=403, text="tuimon serve: this server answers loopback names only\n"
        )

    async def handle_index(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        scheme = "wss" if request.secure else "ws"
        page = render_page(
            title=self.request.title,
            websocket_url=f"{scheme}://{request.host}/ws",
            size=font_size(request.query.get("fontsize")),
        )
        return web.Response(text=page, content_type="text/html", headers=_HEADERS)

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._refusal(request)) is not None:
            return refused
        if not same_origin(request.headers.get("Origin"), request.host):
            return web.Response(status=403, text="tuimon serve: WebSocket from another origin\n")
        if self._closing:
            return web.Response(status=503, text="tuimon serve: stopping\n")
        if len(self.sessions) >= MAX_SESSIONS:
            return web.Response(status=503, text="tuimon serve: too many sessions\n")
        width = bounded_cells(request.query.get("width"), DEFAULT_SIZE[0])
        height = bounded_cells(request.query.get("height"), DEFAULT_SIZE[1])
        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_MESSAGE)
        session = MonitorSession(
            self.request.monitor_argv,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self._downloads,
        )
        # Known to close() before the first await: a stop during the handshake stops it too.
        self.sessions.add(session)
        self._sockets.add(websocket)
        log.info("session started (%s); %d running", request.remote, len(self.sessions))
        try:
            await websocket.prepare(request)
            await session.start(width, height)
            await self._pump(websocket, session)
        except ConnectionAbortedError:
            pass  # the server is stopping
        except OSError as exc:  # the browser went during the handshake, or no process
            log.warning("session failed: %s", exc)
        finally:
            await session.close()
            if websocket.prepared:
                await websocket.close()
            self.sessions.discard(session)
            self._sockets.discard(websocket)
            log.info("session ended; %d running", len(self.sessions))
        return websocket

    async def _pump(self, websocket: web.WebSocketResponse, session: MonitorSession) -> None:
        """Browser messages to the monitor, as textual-serve's server does, checked."""
        async for message in websocket:
            if message.type is not WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                await session.send_bytes(data.encode("utf-8", "replace"))
            elif kind == "resize" and isinstance(data, dict):
                await session.set_terminal_size(
                    bounded_cells(data.get("width"), DEFAULT_SIZE[0]),
                    bounded_cells(data.get("height"), DEFAULT_SIZE[1]),
                )
            elif kind == "ping" and isinstance(data, str) and len(data) <= 32:
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await session.blur()
            elif kind == "focus":
                await session.focus()

    async def start(self) -> str:
        """Listen; returns the URL to open. ``OSError`` if the address cannot be bound."""
        runner = web.AppRunner(
            self.make_app(), handle_signals=False, access_log=None, shutdown_timeout=5.0
        )
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, self.request.host, self.request.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            self._runner = None
            raise
        port = self.request.port
        if port == 0:  # the one the system picked
            port = int(runner.addresses[0][1])
        return f"http://{url_host(self.request.host)}:{port}/"

    async def close(self) -> None:
        """Stop every monitor (quit, then signals; each is reaped), then the server."""
        self._closing = True
        await asyncio.gather(*(s.close() for s in list(self.sessions)))
        for websocket in list(self._sockets):
            with contextlib.suppress(Exception):
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
