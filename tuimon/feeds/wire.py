"""A WebSocket client transport that hands every message straight to a callback.

Built on aiohttp's client WebSocket (the handshake, framing, ping/pong answers and the close
handshake stay aiohttp's code), whose frame reader is compiled: on the same replayed feed it
reads a message in ~1.0 µs, against ~2.8 µs for websockets' pure-Python sans-I/O parser and
~4 µs for websockets' ``recv()`` (tests/bench/bench_ingest.py). At wire speed that was a third
of the market worker's time.

Messages are handed over one by one as they are read, and ``on_read_end`` follows the last one
that was already buffered: the reader task consumes buffered messages without yielding, so a
callback scheduled with ``call_soon`` runs once the buffer is drained, i.e. after the messages
that arrived together.

Connections go through :class:`_TunnelConnector`: straight to the host, or through the HTTP
CONNECT / SOCKS5 tunnel of :func:`tuimon.feeds.proxy.open_tunnel` (the same code and one-line
errors as before), with TLS end to end with the exchange either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp.client_proto import ResponseHandler
from websockets.exceptions import WebSocketException
from websockets.frames import Close
from yarl import URL

from tuimon.feeds.proxy import Proxy, open_tunnel

log = logging.getLogger(__name__)

OnMessage = Callable[[bytes], None]
OnReadEnd = Callable[[], object]


class WireClosed(WebSocketException):
    """The connection ended; ``str()`` says how, in one line."""


class _TunnelConnector(aiohttp.BaseConnector):
    """One TCP connection per WebSocket: direct, or through ``proxy``'s tunnel."""

    def __init__(self, proxy: Proxy | None) -> None:
        super().__init__(force_close=True)
        self._proxy = proxy
        self._tls = ssl.create_default_context()

    async def _create_connection(
        self,
        req: Any,
        traces: Any,
        timeout: Any,  # noqa: ASYNC109 (aiohttp's signature; connect() bounds the time)
    ) -> ResponseHandler:
        host, port = req.url.raw_host, req.url.port
        secure = req.url.scheme in ("wss", "https")
        tls = self._tls if secure else None
        server_hostname = host if secure else None  # the exchange's name, not the proxy's
        loop = self._loop

        def factory() -> ResponseHandler:
            return ResponseHandler(loop)

        if self._proxy is None:
            _, protocol = await loop.create_connection(
                factory, host, port, ssl=tls, server_hostname=server_hostname
            )
        else:
            sock = await open_tunnel(self._proxy, host, port)
            # From here the socket is the transport's: asyncio closes it if TLS fails.
            _, protocol = await loop.create_connection(
                factory, sock=sock, ssl=tls, server_hostname=server_hostname
            )
        return protocol


class WireConnection:
    """One open WebSocket: ``send_text``, ``close``, and ``wait_closed`` (raises why it ended)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        ws: aiohttp.ClientWebSocketResponse,
        on_message: OnMessage,
        on_read_end: OnReadEnd | None,
    ) -> None:
        self._session = session
        self._ws = ws
        self.on_message = on_message
        self.on_read_end = on_read_end
        self.frames = 0
        """Messages delivered so far."""
        loop = asyncio.get_running_loop()
        self._closed: asyncio.Future[None] = loop.create_future()
        self._end_due = False
        self._reader = loop.create_task(self._read(), name="wire-reader")

    def set_handlers(self, on_message: OnMessage, on_read_end: OnReadEnd | None) -> None:
        """Deliver to these from the next message on."""
        self.on_message = on_message
        self.on_read_end = on_read_end

    async def _read(self) -> None:
        ws = self._ws
        loop = asyncio.get_running_loop()
        try:
            while True:
                msg = await ws.receive()
                kind = msg.type
                if kind is aiohttp.WSMsgType.TEXT or kind is aiohttp.WSMsgType.BINARY:
                    data = msg.data
                    self.frames += 1
                    try:
                        self.on_message(data.encode() if type(data) is str else data)
                    except Exception as exc:  # a bug downstream: end this socket loudly
                        log.exception("message handler failed")
                        self._finish(exc)
                        break
                    if not self._end_due and self.on_read_end is not None:
                        self._end_due = True
                        loop.call_soon(self._read_end)
                else:
                    # ERROR, or CLOSE/CLOSING/CLOSED (the server closed, or the TCP end came):
                    # the messages read so far are noted before the end is reported.
                    if self._end_due:
                        self._read_end()
                    if kind is aiohttp.WSMsgType.ERROR:  # its data is the protocol error
                        reason = _one_line(msg.data or ws.exception() or "connection error")
                    else:
                        reason = self._close_reason()
                    self._finish(WireClosed(reason))
                    break
        except asyncio.CancelledError:
            self._finish(WireClosed("connection closed"))
            raise
        await self._session.close()  # the socket is gone: release the session now

    def _read_end(self) -> None:
        self._end_due = False
        if self.on_read_end is not None and not self._closed.done():
            try:
                self.on_read_end()
            except Exception as exc:
                log.exception("message handler failed")
                self._finish(exc)

    def _close_reason(self) -> str:
        code = self._ws.close_code
        if code is None:
            return "connection lost"
        # websockets' own wording of close codes ("1001 (going away)"), as before the switch.
        return f"received {Close(code, '')}"

    def _finish(self, exc: BaseException) -> None:
        if not self._closed.done():
            self._closed.set_exception(exc)
            self._closed.exception()  # retrieved: no "never retrieved" warning

    async def wait_closed(self) -> None:
        """Return or raise when the connection ends (raises the reason)."""
        await asyncio.shield(self._closed)

    def send_text(self, text: str) -> None:
        """Send one text frame (control messages are text: binary ones are refused)."""
        if self._ws.closed or self._closed.done():
            raise WireClosed("connection is not open")
        # aiohttp's send is a coroutine that writes at once: the task only waits out back
        # pressure, and tasks run in the order they were made, so frames keep their order.
        task = asyncio.get_running_loop().create_task(self._ws.send_str(text))
        task.add_done_callback(_ignore_result)

    async def close(self, grace: float = 2.0) -> None:
        """Close handshake, then drop the socket whatever the server does."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(grace):
                await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader
        await self._session.close()
        self._finish(WireClosed("connection closed"))


def _ignore_result(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # a failed send shows as the connection ending, not here


def _os_error_in(exc: BaseException) -> OSError | None:
    """The first plain OSError (not aiohttp's own) behind ``exc``, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and not isinstance(current, aiohttp.ClientError):
            return current
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, OSError) and not isinstance(os_error, aiohttp.ClientError):
            return os_error
        current = current.__cause__ or current.__context__
    return None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:200] or type(value).__name__


async def connect(
    url: str,
    on_message: OnMessage,
    *,
    on_read_end: OnReadEnd | None = None,
    open_timeout: float = 10.0,
    max_size: int = 2**24,
    proxy: Proxy | None = None,
) -> WireConnection:
    """Open ``url`` (ws:// or wss://) and deliver each message's bytes to ``on_message``.

    ``on_read_end`` is called once after the messages that arrived together have all been
    delivered (not after a wait that delivered none), so their owner can note them together.
    With ``proxy`` the TCP path is a tunnel through it (HTTP CONNECT or SOCKS5); TLS and the
    WebSocket handshake then run end to end with the exchange, over that tunnel.
    """
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as exc:
        raise WireClosed(f"bad URL: {_one_line(exc)}") from None
    if parsed.scheme not in ("ws", "wss") or not parsed.host:
        raise WireClosed(f"bad URL: {url[:100]} is not a ws:// or wss:// URL")
    session = aiohttp.ClientSession(connector=_TunnelConnector(proxy))
    try:
        async with asyncio.timeout(open_timeout):
            ws = await session.ws_connect(
                parsed,
                autoping=True,  # the server's pings are answered with its payload
                heartbeat=None,  # we send no pings of our own (the 5 msg/s budget)
                max_msg_size=max_size,
                compress=0,
            )
    except aiohttp.WSServerHandshakeError as exc:
        await session.close()
        raise WireClosed(
            f"server rejected WebSocket connection: HTTP {exc.status}"
        ) from None
    except aiohttp.ClientError as exc:
        await session.close()
        # aiohttp wraps the socket's own error (refused, unreachable, a proxy's one-line
        # ProxyFailure): hand that on, as a direct connection raises it.
        cause = _os_error_in(exc)
        if cause is not None:
            raise cause from None
        raise WireClosed(_one_line(exc)) from None
    except BaseException:
        # A handshake that timed out (or was cancelled) must not leave the socket open.
        await session.close()
        raise
    return WireConnection(session, ws, on_message, on_read_end)
