"""The user-data worker: one market's private stream into an AccountStore. Read-only.

Spot (reference §6.1): the WebSocket API at ``<ws_api_base>/ws-api/v3``. HMAC and RSA keys
subscribe with ``userDataStream.subscribe.signature``; Ed25519 keys log the session on
(``session.logon``) and call ``userDataStream.subscribe``. Events arrive wrapped as
``{"subscriptionId", "event"}``; ``eventStreamTerminated`` means resubscribe (and reconcile:
events between the end and the new subscription are lost).

USDⓈ-M (§6.3): ``POST /fapi/v1/listenKey`` (API key header, no signature), the socket on the
``/private`` route (``<stream_base>/private/ws/<listenKey>``), ``PUT`` every 30 min;
``listenKeyExpired`` or a -1125 on ``PUT`` means a new key, a new socket and a reconcile. The key
is never DELETEd: there is one per account, and a DELETE would end the stream of every other
program watching the same account.

Both: jittered backoff between attempts, a client heartbeat (the server pings too; websockets
answers), rotation before the 24 h limit and on ``serverShutdown``, and after every (re)connect
the reconciliation of §6.4: subscribe first, buffer events, load open orders, balances (and
positions) over signed REST, then hand both to :meth:`AccountStore.reconcile`, which replays
the buffer on top of REST by version. Signed requests carry ``timestamp`` from the server-time
offset measured on ``/time`` and a ``recvWindow``; -1021 re-measures and retries once;
-1022/-2014/-2015 are shown as what to fix and retried only slowly (keys rarely heal).

tuimon never places, changes or cancels orders: the only writes this module makes are the
listenKey POST/PUT the exchange requires to keep a stream open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
import requests
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.uri import parse_uri

from tuimon.clock import Clock, SystemClock
from tuimon.feeds.backoff import Backoff
from tuimon.feeds.bad_frames import BadFrameLog
from tuimon.feeds.connection import GiveUp
from tuimon.feeds.credentials import NO_KEYS_HELP, Credentials
from tuimon.feeds.proxy import ProxyRules, open_tunnel
from tuimon.feeds.rest import (
    ApiError,
    Cooldown,
    RestClient,
    RestError,
    _api_error,
    _describe,
    proxy_refused,
)
from tuimon.protocol.endpoints import Endpoints, Market, Route
from tuimon.protocol.models import BadFrame, Ignored, ServerShutdown
from tuimon.protocol.parse import PayloadError
from tuimon.protocol.signing import (
    AUTH_CODES,
    CLOCK_CODE,
    DEFAULT_RECV_WINDOW,
    LISTEN_KEY_GONE,
    KeyType,
    explain_error,
    rest_payload,
    signed_query,
    signed_ws_params,
)
from tuimon.protocol.user_models import (
    AccountSnapshot,
    ListenKeyExpired,
    StreamTerminated,
    UserEvent,
    WsApiReply,
)
from tuimon.protocol.user_parse import (
    parse_futures_balances,
    parse_listen_key,
    parse_open_orders,
    parse_position_risk,
    parse_server_time,
    parse_spot_account,
    parse_user_frame,
)
from tuimon.store.account import AccountStore

log = logging.getLogger(__name__)

T = TypeVar("T")

# Signals from the reader to the session loop.
_ROTATE = "rotate"  # serverShutdown: open a fresh connection now
_TERMINATED = "terminated"  # eventStreamTerminated: resubscribe on this connection
_EXPIRED = "expired"  # listenKeyExpired: new key, new connection


class AuthFailure(Exception):
    """The exchange refused the key or the signature (-1022/-2014/-2015): one line, no secrets."""


class ClockSkew(Exception):
    """-1021 even after re-measuring the server time offset."""


class ConnectionLost(Exception):
    """The private socket closed."""


@dataclass(slots=True)
class UserFeedConfig:
    """Timings of the user-data worker (seconds unless noted)."""

    recv_window: int = DEFAULT_RECV_WINDOW
    """Milliseconds a signed request stays valid (Binance default 5000, max 60000)."""
    open_timeout: float = 10.0
    request_timeout: float = 10.0
    """Wait for a WebSocket API response."""
    heartbeat: float | None = 30.0
    """Client ping interval: notices a dead TCP path on a quiet account (None: off)."""
    heartbeat_timeout: float = 30.0
    max_lifetime: float = 23.5 * 3600
    """Reconnect before the exchange's 24 h limit."""
    keepalive_interval: float = 30 * 60
    """USDⓈ-M listenKey PUT period (keys expire 60 min after the last POST/PUT)."""
    keepalive_retry: float = 60.0
    """After a failed PUT (not -1125), try again this soon."""
    time_resync_interval: float = 15 * 60
    """Re-measure the server time offset this often."""
    auth_retry_delay: float = 60.0
    """Wait after a key/signature refusal before trying again."""
    give_up_on_auth: bool = False
    """Stop (``wait_failed`` resolves) on a key/signature refusal instead of retrying."""
    give_up_after: int | None = None
    """Consecutive failed sessions before giving up (None: retry forever)."""


class TimeSync:
    """Offset between this machine's clock and the exchange's (reference §8)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.offset_ms = 0
        self.rtt_ms = 0
        self.measured_mono: float | None = None

    def now_ms(self) -> int:
        """Exchange time now, as best known."""
        return self.clock.wall_ms() + self.offset_ms

    def stale(self, max_age: float) -> bool:
        """Never measured, invalidated, or older than ``max_age`` seconds."""
        return self.measured_mono is None or self.clock.monotonic() - self.measured_mono > max_age

    def invalidate(self) -> None:
        """Measure again before the next signed request (after a -1021)."""
        self.measured_mono = None

    async def measure(self, rest: RestClient) -> int:
        """``offset = serverTime − (t_send + t_recv) / 2`` from one ``GET time`` (weight 1)."""
        sent = self.clock.wall_ms()
        server = parse_server_time(await rest.get("time", weight=1))
        received = self.clock.wall_ms()
        self.rtt_ms = received - sent
        self.offset_ms = server - (sent + received) // 2
        self.measured_mono = self.clock.monotonic()
        return self.offset_ms


class SignedRestClient(RestClient):
    """:class:`RestClient` plus signed (``USER_DATA``) and API-key-only (``USER_STREAM``) calls.

    The same weight pacing, Retry-After handling and bounded retries; the query string is built
    by :func:`~tuimon.protocol.signing.signed_query` and sent byte for byte, because the
    signature covers exactly those bytes. A -1021 re-measures the time offset and retries once.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        credentials: Credentials,
        *,
        time: TimeSync | None = None,
        recv_window: int = DEFAULT_RECV_WINDOW,
        clock: Clock | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(endpoints, clock=clock, **kwargs)
        self.credentials = credentials
        self.time = time or TimeSync(self.clock)
        self.recv_window = recv_window

    def _request_blocking(self, method: str, url: str) -> requests.Response:
        headers = {"X-MBX-APIKEY": self.credentials.api_key.reveal()}
        return self._session().request(method, url, headers=headers, timeout=self.timeout)

    async def signed(
        self, method: str, path: str, params: dict[str, Any] | None = None, weight: int = 1
    ) -> Any:
        """A SIGNED request (``timestamp`` + ``recvWindow`` + ``signature``)."""
        for attempt in (1, 2):
            try:
                return await self._send(method, path, params or {}, weight, signed=True)
            except ApiError as exc:
                if exc.code != CLOCK_CODE or attempt == 2:
                    raise
                log.warning("%s: -1021, re-measuring the server time offset", path)
                await self.time.measure(self)
        raise AssertionError("unreachable")  # pragma: no cover

    async def keyed(
        self, method: str, path: str, params: dict[str, Any] | None = None, weight: int = 1
    ) -> Any:
        """A request that needs only the API key header (listenKey management)."""
        return await self._send(method, path, params or {}, weight, signed=False)

    async def _send(
        self, method: str, path: str, params: dict[str, Any], weight: int, *, signed: bool
    ) -> Any:
        base = f"{self.endpoints.rest_base}{path}"
        delay = 0.5
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self._slots:
                    # Paced in the slot (a 429 may have come back while we waited for it), and
                    # stamped after pacing, so a Retry-After wait cannot age the timestamp.
                    await self._pace(weight)
                    url = self._url(base, params, signed=signed)
                    self.stats.requests += 1
                    response = await asyncio.to_thread(self._request_blocking, method, url)
            except requests.RequestException as exc:
                problem = f"{path}: {_describe(exc, base, self.proxy)}"
            else:
                self._account(response, weight)
                status = response.status_code
                if status == 200:
                    try:
                        return orjson.loads(response.content)
                    except orjson.JSONDecodeError:
                        problem = f"{path}: response is not JSON"
                elif status in (429, 418):
                    self._back_off(response)
                    problem = f"{path}: HTTP {status} (rate limited)"
                elif status == 407 and self.proxy is not None:
                    problem = f"{path}: {proxy_refused(self.proxy, base)}"
                elif 400 <= status < 500:
                    raise _api_error(response, path)
                else:
                    problem = f"{path}: HTTP {status}"
            if attempt == self.max_attempts:
                break
            self.stats.retries += 1
            log.warning("REST retry %d: %s", attempt, problem)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 8.0)
        raise RestError(f"{problem} (gave up after {self.max_attempts} attempts)")


    def _url(self, base: str, params: dict[str, Any], *, signed: bool) -> str:
        if signed:
            # A fresh timestamp (and so a fresh signature) for every attempt.
            stamped = {**params, "recvWindow": self.recv_window, "timestamp": self.time.now_ms()}
            query = signed_query(self.credentials.signer, stamped)
        else:
            query = rest_payload(params)
        return f"{base}?{query}" if query else base


def _auth_or_clock(exc: ApiError) -> Exception:
    """Turn key/signature/clock refusals into the worker's own errors; others stay."""
    text = explain_error(exc.code)
    if exc.code in AUTH_CODES and text:
        return AuthFailure(text)
    if exc.code == CLOCK_CODE and text:
        return ClockSkew(text)
    return exc


_SESSION_ERRORS = (
    websockets.WebSocketException,
    OSError,
    TimeoutError,
    RestError,
    PayloadError,
    ConnectionLost,
    ClockSkew,
)


class UserFeed:
    """The private stream of one market (``spot`` or ``usdm``), kept up and reconciled.

    ``run()`` loops until cancelled (``start()`` runs it as a task, ``close()`` stops it). Only
    the AccountStore is written. ``wait_failed()`` resolves if the worker gives up (see
    :class:`UserFeedConfig`).
    """

    def __init__(
        self,
        account: AccountStore,
        endpoints: Endpoints,
        credentials: Credentials,
        *,
        rest: SignedRestClient | None = None,
        config: UserFeedConfig | None = None,
        clock: Clock | None = None,
        backoff: Backoff | None = None,
        proxies: ProxyRules | None = None,
        cooldown: Cooldown | None = None,
    ) -> None:
        """``cooldown``: the market worker's RestClient's (one IP: a 429 stops both)."""
        if endpoints.market not in (Market.SPOT, Market.USDM):
            raise ValueError(f"no user-data worker for {endpoints.market.value}")
        self.account = account
        self.endpoints = endpoints
        self.market = endpoints.market
        self.credentials = credentials
        self.config = config or UserFeedConfig()
        self.clock: Clock = clock or SystemClock()
        # None: the environment's settings; the same rule as the market side and REST.
        self.proxies = proxies if proxies is not None else ProxyRules.from_environ()
        self.proxies.check([self._socket_base()])  # a bad proxy URL fails here, not later
        self.rest = rest or SignedRestClient(
            endpoints,
            credentials,
            recv_window=self.config.recv_window,
            clock=self.clock,
            proxies=self.proxies,
            cooldown=cooldown,
        )
        self.time = self.rest.time
        self.backoff = backoff or Backoff()
        self.sessions = 0
        """Connections opened (the first one included)."""
        self.subscriptions = 0
        self.listen_keys_created = 0
        self.keepalives = 0
        self.last_error = ""
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self._failed = asyncio.Event()
        self._buffer: list[UserEvent] | None = None
        self._signals: asyncio.Queue[str] = asyncio.Queue()
        self._pending: dict[int, asyncio.Future[WsApiReply]] = {}
        self._next_id = 0
        self.bad_frames = BadFrameLog(log)
        """Bad frames seen, each kind logged once (the AccountStore counts them too)."""
        self._went_live = False

    # ------------------------------------------------------------------ lifetime

    def start(self) -> asyncio.Task[None]:
        """Run the worker as a task on the current loop."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=f"user-{self.market.value}")
        return self._task

    async def close(self) -> None:
        """Stop the worker and close its socket. The listenKey is left alone (never DELETE)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self.account.set_connection(False, "stopped")

    async def wait_failed(self) -> BaseException:
        """Resolve when the worker has given up; returns why."""
        await self._failed.wait()
        assert self._failure is not None
        return self._failure

    async def wait_live(self, within: float) -> bool:
        """True once the account is reconciled and streaming, False after ``within`` seconds.

        Raises the worker's failure (AuthFailure, GiveUp) if it gives up first: what
        ``tuimon snapshot --private`` needs before printing the account.
        """
        live = asyncio.ensure_future(self.account.wait_until(lambda a: a.live, within))
        failed = asyncio.ensure_future(self._failed.wait())
        try:
            await asyncio.wait({live, failed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await _cancel(failed)
            await _cancel(live)
        if self._failure is not None:
            raise self._failure
        return self.account.live

    def _fail(self, exc: BaseException) -> None:
        self._failure = exc
        self._failed.set()

    async def run(self) -> None:
        """Connect, subscribe, reconcile, follow; reconnect on any failure, until cancelled."""
        failures = 0
        while True:
            self._went_live = False
            try:
                await self._session()
                failures = 0
                delay = 0.0  # a planned rotation: reconnect at once
            except AuthFailure as exc:
                delay = self.config.auth_retry_delay
                if self.config.give_up_on_auth:
                    self._down(str(exc), str(exc))
                    self._fail(exc)
                    return
                self._down(str(exc), f"{exc} (retrying in {delay:g} s)")
            except _SESSION_ERRORS as exc:
                # A connection that worked and then dropped is a first failure, not the n-th.
                failures = 1 if self._went_live else failures + 1
                reason = _one_line(exc)
                self._down(reason)
                limit = self.config.give_up_after
                if limit is not None and failures >= limit:
                    self._fail(GiveUp(f"user data ({self.market.value}): {reason}"))
                    return
                delay = self.backoff.next_delay()
            except Exception as exc:  # a bug must surface, never kill the worker silently
                log.exception("user-data worker error")
                self._down(f"internal error: {type(exc).__name__}")
                delay = self.backoff.next_delay()
            if delay > 0:
                await asyncio.sleep(delay)

    def _down(self, reason: str, status: str | None = None) -> None:
        self.last_error = reason
        log.warning("user data (%s): %s", self.market.value, reason)
        self.account.set_connection(False, status or f"reconnecting: {reason}")

    # ------------------------------------------------------------------ one session

    async def _session(self) -> None:
        self._buffer = []  # every event from now on waits for the REST snapshot
        self._signals = asyncio.Queue()
        if self.time.stale(self.config.time_resync_interval):
            await self.time.measure(self.rest)
        if self.market is Market.SPOT:
            await self._spot_session()
        else:
            await self._futures_session()

    def _socket_base(self) -> str:
        """Where this market's private socket lives (the spot WS API, the usdm /private route)."""
        if self.market is Market.SPOT:
            return self.endpoints.ws_api()
        return self.endpoints.stream_path(Route.PRIVATE)

    @contextlib.asynccontextmanager
    async def _connect(self, url: str) -> AsyncIterator[ClientConnection]:
        """The private socket, through the proxy our rule picks (proxy.py), or direct.

        The tunnel is the one the market streams use (python-socks), handed to websockets as
        ``sock``. ``proxy=None`` otherwise: websockets' default would read the environment by
        its own, different rule.
        """
        proxy = self.proxies.for_url(url)
        sock = None
        if proxy is not None:
            uri = parse_uri(url)
            async with asyncio.timeout(self.config.open_timeout):
                sock = await open_tunnel(proxy, uri.host, uri.port)
        # Once passed on, the socket is the connection's: asyncio closes it if TLS or the
        # handshake fails.
        ws = await websockets.connect(
            url,
            proxy=None,
            sock=sock,
            open_timeout=self.config.open_timeout,
            ping_interval=self.config.heartbeat,
            ping_timeout=self.config.heartbeat_timeout,
            close_timeout=2,
            max_size=2**22,
            compression=None,
        )
        try:
            yield ws
        finally:
            await ws.close()

    async def _spot_session(self) -> None:
        self.account.set_status("connecting")
        async with self._connect(self.endpoints.ws_api()) as ws:
            self._opened()
            reader = asyncio.create_task(self._read(ws), name="user-read")
            try:
                await self._guard(reader, self._spot_subscribe(ws))
                await self._guard(reader, self._reconcile())
                await self._follow(reader, ws)
            finally:
                await _cancel(reader)

    async def _futures_session(self) -> None:
        self.account.set_status("creating listenKey")
        key = await self._rest(self.rest.keyed("POST", "/fapi/v1/listenKey"))
        listen_key = parse_listen_key(key)
        self.listen_keys_created += 1
        url = f"{self.endpoints.stream_path(Route.PRIVATE)}/ws/{listen_key}"
        self.account.set_status("connecting")
        async with self._connect(url) as ws:
            self._opened()
            reader = asyncio.create_task(self._read(ws), name="user-read")
            try:
                # The socket is the subscription: buffering started before it opened.
                await self._guard(reader, self._reconcile())
                await self._follow(reader, ws)
            finally:
                await _cancel(reader)

    def _opened(self) -> None:
        self.sessions += 1
        self._pending.clear()
        self.account.set_connection(True, "subscribing")

    async def _follow(self, reader: asyncio.Task[None], ws: ClientConnection) -> None:
        """Live: wait for signals from the reader, keepalive and time-resync deadlines."""
        config = self.config
        now = self.clock.monotonic
        end_of_life = now() + config.max_lifetime
        next_resync = now() + config.time_resync_interval
        next_keepalive = now() + config.keepalive_interval
        futures = self.market is Market.USDM
        while True:
            due = min(end_of_life, next_resync, next_keepalive if futures else end_of_life)
            signal = await self._next_signal(reader, max(0.0, due - now()))
            if signal in (_ROTATE, _EXPIRED):
                log.info("user data (%s): %s, reconnecting", self.market.value, signal)
                self._rotating("serverShutdown" if signal == _ROTATE else "listenKey expired")
                return
            if signal == _TERMINATED:
                self._buffer = []
                # Events between the end and the new subscription reach us only through the
                # reconcile: not live until then, though the socket stays up.
                self.account.set_resyncing("resubscribing: the exchange ended the event stream")
                await self._guard(reader, self._spot_subscribe(ws))
                await self._guard(reader, self._reconcile())
                continue
            if now() >= end_of_life:
                self._rotating("connection lifetime")
                return
            if now() >= next_resync:
                next_resync = now() + config.time_resync_interval
                with contextlib.suppress(RestError, PayloadError):
                    await self._guard(reader, self.time.measure(self.rest))
            if futures and now() >= next_keepalive:
                outcome = await self._guard(reader, self._keepalive())
                if outcome == "gone":
                    self._rotating("listenKey gone (-1125)")
                    return
                retry = config.keepalive_interval if outcome == "ok" else config.keepalive_retry
                next_keepalive = now() + retry

    def _rotating(self, why: str) -> None:
        """A planned reconnect: this socket closes now, and events until the next session's
        reconcile are lost to the stream, so the account is not live meanwhile."""
        self.account.set_connection(False, f"reconnecting: {why}")

    async def _keepalive(self) -> str:
        """PUT the listenKey: ``ok``, ``gone`` (-1125: reconnect with a new key) or ``failed``."""
        try:
            await self.rest.keyed("PUT", "/fapi/v1/listenKey")
        except ApiError as exc:
            if exc.code == LISTEN_KEY_GONE:
                log.info("user data (usdm): listenKey gone (-1125), creating a new one")
                return "gone"
            log.warning("user data (usdm): listenKey keepalive failed: %s", exc)
            return "failed"
        except RestError as exc:
            log.warning("user data (usdm): listenKey keepalive failed: %s", exc)
            return "failed"
        self.keepalives += 1
        return "ok"

    async def _next_signal(self, reader: asyncio.Task[None], wait: float) -> str | None:
        getter = asyncio.ensure_future(self._signals.get())
        try:
            done, _ = await asyncio.wait(
                {getter, reader}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
            )
        except asyncio.CancelledError:
            getter.cancel()  # the worker is stopping: leave no pending get() behind
            raise
        if getter in done:
            return getter.result()
        await _cancel(getter)
        if reader in done:
            raise _why_ended(reader)
        return None

    async def _guard(self, reader: asyncio.Task[None], work: Awaitable[T]) -> T:
        """Await ``work`` unless the socket dies first (then raise why it died)."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task, reader}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            return task.result()
        await _cancel(task)
        raise _why_ended(reader)

    # ------------------------------------------------------------------ WebSocket API

    async def _request(
        self, ws: ClientConnection, method: str, params: dict[str, Any] | None
    ) -> WsApiReply:
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[WsApiReply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        frame: dict[str, Any] = {"id": request_id, "method": method}
        if params is not None:
            frame["params"] = params
        try:
            # A text frame: the WS API answers a binary frame with "Invalid JSON".
            await ws.send(orjson.dumps(frame).decode())
            return await asyncio.wait_for(future, self.config.request_timeout)
        finally:
            self._pending.pop(request_id, None)

    def _signed_params(self) -> dict[str, Any]:
        return signed_ws_params(
            self.credentials.signer,
            {
                "apiKey": self.credentials.api_key.reveal(),
                "recvWindow": self.config.recv_window,
                "timestamp": self.time.now_ms(),
            },
        )

    async def _spot_subscribe(self, ws: ClientConnection) -> None:
        self.account.set_status("subscribing")
        for attempt in (1, 2):
            if self.credentials.key_type is KeyType.ED25519:
                # Ed25519 may authenticate the session once; the subscription then needs no
                # signature of its own.
                reply = await self._request(ws, "session.logon", self._signed_params())
                if reply.ok:
                    reply = await self._request(ws, "userDataStream.subscribe", None)
            else:
                reply = await self._request(
                    ws, "userDataStream.subscribe.signature", self._signed_params()
                )
            if reply.ok or reply.error_code == -2035:  # -2035: already subscribed here
                self.subscriptions += 1
                return
            if reply.error_code == CLOCK_CODE and attempt == 1:
                await self.time.measure(self.rest)
                continue
            raise _auth_or_clock(
                ApiError(reply.status, reply.error_code, reply.error_msg, "userDataStream")
            )

    # ------------------------------------------------------------------ reading

    async def _read(self, ws: ClientConnection) -> None:
        while True:
            raw = await ws.recv(decode=False)
            self._ingest(raw)

    def _ingest(self, raw: bytes) -> None:
        frame = parse_user_frame(raw)
        if isinstance(frame, WsApiReply):
            future = (
                self._pending.get(frame.request_id) if isinstance(frame.request_id, int) else None
            )
            if future is not None and not future.done():
                future.set_result(frame)
            elif not frame.ok:
                # An error nobody waits for, such as a revoked key on an authenticated session.
                text = explain_error(frame.error_code) or f"error {frame.error_code}"
                log.warning("user data (%s): %s", self.market.value, text)
                self.account.set_status(text)
            return
        if isinstance(frame, BadFrame):
            # Counted and logged once per kind; the session carries on. The frame's content
            # is lost, but later events carry absolute state (cumulative fills, balances).
            self.account.note_bad_frame(frame.reason)
            self.bad_frames.note(f"user data ({self.market.value})", frame)
            return
        if isinstance(frame, Ignored):
            return
        if isinstance(frame, ServerShutdown):
            self._signals.put_nowait(_ROTATE)
            return
        if isinstance(frame, StreamTerminated):
            self._signals.put_nowait(_TERMINATED)
            return
        if isinstance(frame, ListenKeyExpired):
            self._signals.put_nowait(_EXPIRED)
            return
        if self._buffer is not None:
            self._buffer.append(frame)
            self.account.note_buffered(len(self._buffer))
        else:
            self.account.apply(frame)

    # ------------------------------------------------------------------ reconciliation

    async def _rest(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except ApiError as exc:
            raise _auth_or_clock(exc) from None

    async def _reconcile(self) -> None:
        self.account.set_status("reconciling")
        snapshot = await self._snapshot()
        buffered, self._buffer = self._buffer or [], None
        # No await between taking the buffer and applying it: nothing slips in between.
        self.account.reconcile(snapshot, buffered)
        self.account.set_live("live")
        self._went_live = True
        self.backoff.reset()
        log.info(
            "user data (%s): reconciled (%d open orders, %d balances, %d buffered events)",
            self.market.value,
            len(self.account.orders),
            len(self.account.balances),
            len(buffered),
        )

    async def _snapshot(self) -> AccountSnapshot:
        taken = self.time.now_ms()
        rest = self.rest
        if self.market is Market.SPOT:
            orders_body, account_body = await asyncio.gather(
                self._rest(rest.signed("GET", "/api/v3/openOrders", weight=80)),
                self._rest(rest.signed("GET", "/api/v3/account", {"omitZeroBalances": "true"}, 20)),
            )
            update_ms, balances = parse_spot_account(account_body)
            return AccountSnapshot(
                "spot", parse_open_orders(orders_body, "spot"), balances, update_ms, None, taken
            )
        orders_body, balance_body, positions_body = await asyncio.gather(
            self._rest(rest.signed("GET", "/fapi/v1/openOrders", weight=40)),
            self._rest(rest.signed("GET", "/fapi/v3/balance", weight=5)),
            self._rest(rest.signed("GET", "/fapi/v3/positionRisk", weight=5)),
        )
        return AccountSnapshot(
            "usdm",
            parse_open_orders(orders_body, "usdm"),
            parse_futures_balances(balance_body),
            0,
            parse_position_risk(positions_body),
            taken,
        )


def make_user_feed(
    account: AccountStore,
    endpoints: Endpoints,
    credentials: Credentials | None,
    **kwargs: Any,
) -> UserFeed | None:
    """A worker for the account, or None (and the account disabled with the reason)."""
    if credentials is None:
        account.disable(NO_KEYS_HELP)
        return None
    if endpoints.market not in (Market.SPOT, Market.USDM):
        account.disable(f"the account view supports spot and usdm, not {endpoints.market.value}")
        return None
    return UserFeed(account, endpoints, credentials, **kwargs)


def _why_ended(reader: asyncio.Task[None]) -> BaseException:
    if reader.cancelled():
        return ConnectionLost("reader cancelled")
    exc = reader.exception()
    return exc if exc is not None else ConnectionLost("connection closed")


async def _cancel(task: asyncio.Future[Any]) -> None:
    if not task.done():
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, websockets.ConnectionClosed):
        return "disconnected"
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


__all__ = [
    "AuthFailure",
    "ClockSkew",
    "SignedRestClient",
    "TimeSync",
    "UserFeed",
    "UserFeedConfig",
    "make_user_feed",
]
