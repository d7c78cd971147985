"""One combined-stream WebSocket connection that stays up.

It owns reconnects (jittered backoff with a cap), the silence watchdog, the proactive rotation
before the 24 h limit, ``serverShutdown`` replacement, and the live SUBSCRIBE/UNSUBSCRIBE
traffic, paced under the exchange's per-connection message budget. What the frames *mean* is
the owner's business: every message is handed to ``on_frame(name, raw_bytes)`` as it arrives,
and ``on_read_end(name)`` follows the last message of each TCP read.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from websockets.exceptions import WebSocketException

from tuimon.clock import Clock
from tuimon.feeds import wire
from tuimon.feeds.backoff import Backoff
from tuimon.feeds.proxy import ProxyRules
from tuimon.protocol.endpoints import Endpoints, Route
from tuimon.protocol.models import ControlReply
from tuimon.protocol.streams import (
    CONTROL_RATE,
    MAX_PARAMS_PER_FRAME,
    combined_url,
    control_frame,
)

log = logging.getLogger(__name__)

# Opening URLs longer than this are avoided: streams beyond it are sent by SUBSCRIBE instead.
_MAX_URL = 2000
_CONNECT_ERRORS = (OSError, TimeoutError, WebSocketException)


class GiveUp(Exception):
    """The endpoint stayed unreachable past the retry cap."""


@dataclass(slots=True)
class ConnectionConfig:
    """Timings of one connection (seconds)."""

    silence_timeout: float = 15.0
    max_lifetime: float = 23.5 * 3600
    control_rate: float | None = None
    """Control messages per second we send; None: the market's budget (streams.CONTROL_RATE)."""
    open_timeout: float = 10.0
    max_frame: int = 16 * 2**20
    give_up_after: int | None = None
    """Consecutive failed connection attempts before raising GiveUp (None: retry forever)."""


class _Rotate(Exception):
    """Internal: replace this socket with a fresh one (lifetime, serverShutdown)."""


class StreamConnection:
    """A self-healing combined-stream connection for one route (or shard of a route).

    Args:
        name: label in health records (``spot``, ``public``, ``market#2``).
        on_frame: called with (name, raw message) for every message, synchronously.
        on_read_end: called with (name) after the messages of one read were all delivered.
        on_open: called after each successful (re)connect, before any message is delivered.
        on_state: called with (name, connected, problem) when the connection state changes.
        proxies: which proxy the socket goes through (None: the environment's settings).
    """

    def __init__(
        self,
        name: str,
        endpoints: Endpoints,
        route: Route,
        *,
        on_frame: Callable[[str, bytes], object],
        on_open: Callable[[StreamConnection, bool], None],
        on_state: Callable[[str, bool, str], None],
        clock: Clock,
        config: ConnectionConfig,
        backoff: Backoff | None = None,
        proxies: ProxyRules | None = None,
        on_read_end: Callable[[str], object] | None = None,
    ) -> None:
        self.name = name
        self.endpoints = endpoints
        self.route = route
        self.desired: set[str] = set()
        self.subscribed: set[str] = set()
        self.rejected: dict[str, str] = {}
        self.opens = 0
        self._deliver = functools.partial(on_frame, name)  # C-level call per message
        self._end_read = None if on_read_end is None else functools.partial(on_read_end, name)
        self._on_open = on_open
        self._on_state = on_state
        self._clock = clock
        self._config = config
        self._backoff = backoff or Backoff()
        self._proxies = proxies if proxies is not None else ProxyRules.from_environ()
        self._wake = asyncio.Event()
        self._rotate = asyncio.Event()
        self._ws: wire.WireConnection | None = None
        self._next_id = 1
        self._pending: dict[int, tuple[str, list[str]]] = {}
        self._next_send = 0.0
        self._opened_mono = 0.0
        self._control_interval = 1.0 / (config.control_rate or CONTROL_RATE[endpoints.market])

    # ----------------------------------------------------------------- owner API

    def set_streams(self, streams: set[str]) -> None:
        """Streams this connection should carry; changes go out as SUBSCRIBE/UNSUBSCRIBE."""
        self.desired = set(streams)
        for stream in list(self.rejected):
            if stream not in self.desired:
                del self.rejected[stream]
        self._wake.set()

    def request_rotation(self) -> None:
        """Open a replacement socket now (serverShutdown, lifetime), then drop this one."""
        self._rotate.set()

    def on_reply(self, reply: ControlReply) -> None:
        """A control reply arrived: forget the request, or record what the server refused."""
        request_id = reply.request_id
        sent = self._pending.pop(request_id, None) if isinstance(request_id, int) else None
        if reply.ok:
            if sent is not None and sent[0] == "LIST_SUBSCRIPTIONS":
                self._reconcile(reply.result)
            return
        if sent is None:
            # An error we cannot tie to a request (the server could not read its id): say so.
            reason = f"server refused a request (code {reply.error_code}): {reply.error_msg}"
            log.warning("%s: %s", self.name, reason)
            self._on_state(self.name, self._ws is not None, reason)
            return
        method, params = sent
        reason = f"{method} refused (code {reply.error_code}): {reply.error_msg}"
        log.warning("%s: %s %s", self.name, reason, params[:5])
        if method == "SUBSCRIBE":
            for stream in params:
                self.subscribed.discard(stream)
                self.rejected[stream] = reason
        self._on_state(self.name, self._ws is not None, reason)

    def _reconcile(self, listed: object) -> None:
        """Trust the server's LIST_SUBSCRIPTIONS over our bookkeeping; fix any difference.

        A SUBSCRIBE can be acknowledged and still not hold (the reference: verify with
        LIST_SUBSCRIPTIONS); a difference is sent again on the next control round.
        """
        if not isinstance(listed, list):
            return
        on_server = {name for name in listed if isinstance(name, str)}
        if on_server != self.subscribed:
            log.info(
                "%s: server lists %d streams, we expected %d: reconciling",
                self.name,
                len(on_server),
                len(self.subscribed),
            )
            self.subscribed = on_server
            self._wake.set()

    # ----------------------------------------------------------------- the loop

    async def run(self) -> None:
        """Connect, read, reconnect, until cancelled (or GiveUp past the retry cap)."""
        failures_in_a_row = 0
        ws: wire.WireConnection | None = None
        try:
            while True:
                if ws is None:
                    try:
                        ws = await self._open()
                    except _CONNECT_ERRORS as exc:
                        failures_in_a_row += 1
                        reason = f"connect failed: {_one_line(exc)}"
                        self._on_state(self.name, False, reason)
                        limit = self._config.give_up_after
                        if limit is not None and failures_in_a_row >= limit:
                            raise GiveUp(f"{self._url_for_log()}: {reason}") from None
                        await asyncio.sleep(self._backoff.next_delay())
                        continue
                    failures_in_a_row = 0
                try:
                    await self._serve(ws)
                except _Rotate:
                    ws = await self._replace(ws)
                    continue
                except _CONNECT_ERRORS as exc:
                    self._on_state(self.name, False, f"disconnected: {_one_line(exc)}")
                await ws.close()
                ws = None
                self._ws = None
                await asyncio.sleep(self._backoff.next_delay())
        finally:
            if ws is not None:
                await ws.close()
            self._ws = None

    async def _open(self) -> wire.WireConnection:
        # As many streams as fit a modest URL go in the URL (never none: a combined-stream URL
        # without streams is not a documented form); the rest follow by SUBSCRIBE.
        wanted = sorted(self.desired - set(self.rejected))
        initial = wanted[:1]
        for stream in wanted[1:]:
            if len(combined_url(self.endpoints, self.route, [*initial, stream])) > _MAX_URL:
                break
            initial.append(stream)
        url = combined_url(self.endpoints, self.route, initial)
        # Messages must not reach the owner before on_open has reset its state for this socket:
        # hold them until then (the handshake completes before any data frame can arrive, but
        # one TCP read may carry both).
        held: list[bytes] = []
        deliver, end_read = self._deliver, self._end_read
        ready = False

        def on_message(raw: bytes) -> None:
            if ready:
                deliver(raw)
            else:
                held.append(raw)

        def on_read_end() -> None:
            if ready and end_read is not None:
                end_read()

        # The server pings (spot every 20 s, futures 3 min) and the transport answers (autoping).
        # We send no pings of our own: they would only eat into the 5 msg/s budget.
        ws = await wire.connect(
            url,
            on_message,
            on_read_end=on_read_end,
            open_timeout=self._config.open_timeout,
            max_size=self._config.max_frame,
            proxy=self._proxies.for_url(url),
        )
        self._ws = ws
        self.subscribed = set(initial)
        self._pending.clear()
        self.opens += 1
        self._opened_mono = self._clock.monotonic()
        self._rotate.clear()
        # The owner resets what this socket carries (books to resync) before the route shows
        # connected: store readers must never see the new socket with the old socket's books.
        self._on_open(self, self.opens > 1)
        self._on_state(self.name, True, "")
        ready = True
        for raw in held:
            deliver(raw)
        if held and end_read is not None:
            end_read()
        # Drop the gate: straight to the owner from now on.
        ws.set_handlers(deliver, end_read)
        self._wake.set()
        return ws

    async def _replace(self, old: wire.WireConnection) -> wire.WireConnection | None:
        """Open the replacement before closing the old socket, so tickers never go dark."""
        try:
            new = await self._open()
        except _CONNECT_ERRORS as exc:
            self._on_state(self.name, False, f"replacement failed: {_one_line(exc)}")
            await old.close()
            return None
        await old.close()
        return new

    async def _serve(self, ws: wire.WireConnection) -> None:
        """Wait until the socket ends, the watchdog finds it silent, or it must be rotated."""
        closed = asyncio.create_task(ws.wait_closed(), name=f"{self.name}-closed")
        watchdog = asyncio.create_task(self._watch(ws), name=f"{self.name}-watchdog")
        rotate = asyncio.create_task(self._rotate.wait(), name=f"{self.name}-rotate")
        sender = asyncio.create_task(self._send_control(ws), name=f"{self.name}-control")
        tasks = (closed, watchdog, rotate, sender)
        try:
            done, _ = await asyncio.wait(
                {closed, watchdog, rotate, sender}, return_when=asyncio.FIRST_COMPLETED
            )
            if rotate in done:
                raise _Rotate
            for task in (watchdog, sender, closed):
                if task in done:
                    task.result()  # raises why this socket ended
            raise wire.WireClosed("connection closed")
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _watch(self, ws: wire.WireConnection) -> None:
        """Raise TimeoutError on silence and _Rotate when the socket is due for replacement."""
        silence = self._config.silence_timeout
        period = max(0.05, min(1.0, silence / 4))
        seen = -1
        quiet_since = self._clock.monotonic()
        while True:
            await asyncio.sleep(period)
            now = self._clock.monotonic()
            if now - self._opened_mono > self._config.max_lifetime:
                raise _Rotate
            frames = ws.frames
            if frames != seen:
                if seen <= 0 < frames:
                    self._backoff.reset()  # data flows: the next failure starts from the base
                seen = frames
                quiet_since = now
            elif now - quiet_since >= silence:
                raise TimeoutError(f"silent for {silence:g} s")

    async def _send_control(self, ws: wire.WireConnection) -> None:
        """Bring the server's subscriptions in line with ``desired``, within the message budget."""
        interval = self._control_interval
        while True:
            await self._wake.wait()
            self._wake.clear()
            wanted = self.desired - set(self.rejected)
            if wanted == self.subscribed:
                continue
            for method, streams in (
                ("UNSUBSCRIBE", sorted(self.subscribed - wanted)),
                ("SUBSCRIBE", sorted(wanted - self.subscribed)),
            ):
                for start in range(0, len(streams), MAX_PARAMS_PER_FRAME):
                    batch = streams[start : start + MAX_PARAMS_PER_FRAME]
                    await self._paced(ws, method, batch, interval)
                    if method == "SUBSCRIBE":
                        self.subscribed.update(batch)
                    else:
                        self.subscribed.difference_update(batch)
            # Then ask the server what it really holds (one more message in the budget).
            await self._paced(ws, "LIST_SUBSCRIPTIONS", None, interval)

    async def _paced(
        self, ws: wire.WireConnection, method: str, params: list[str] | None, interval: float
    ) -> None:
        now = self._clock.monotonic()
        if now < self._next_send:
            await asyncio.sleep(self._next_send - now)
        request_id = self._next_id
        self._next_id += 1
        self._pending[request_id] = (method, params or [])
        ws.send_text(control_frame(method, request_id, params))
        self._next_send = self._clock.monotonic() + interval

    def _url_for_log(self) -> str:
        return combined_url(self.endpoints, self.route, [])


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
