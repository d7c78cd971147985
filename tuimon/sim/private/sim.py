"""PrivateSim: the private side of one simulated market (spot or USDⓈ-M) on the SimServer's app.

Routes (registered by ``SimServer.make_app``):

- spot: WebSocket API ``/ws-api/v3`` (``session.logon``, ``session.status``,
  ``session.subscriptions``, ``session.logout``, ``userDataStream.subscribe``,
  ``userDataStream.subscribe.signature``, ``userDataStream.unsubscribe``, ``ping``, ``time``);
  signed REST ``GET /api/v3/account``, ``GET /api/v3/openOrders``.
- usdm: ``POST/PUT/DELETE /fapi/v1/listenKey`` (``X-MBX-APIKEY``, no signature); the
  ``/private/ws/<listenKey>`` and ``/private/ws?listenKey=<key>[&events=A/B]`` sockets; signed
  REST ``GET /fapi/v1/openOrders``, ``/fapi/v3/balance``, ``/fapi/v3/account``,
  ``/fapi/v3/positionRisk``.
- admin: ``POST /_sim/private/fault``, ``POST /_sim/private/step``,
  ``GET /_sim/private/account``.

``/api/v3/time`` and ``/fapi/v1/time`` are the market side's; they read the same clock that
signed requests are checked against, so a ``clock_skew`` shows in both.

Signed requests are checked like Binance does (reference §6.1): API key format (-2014), known
key (-2015), ``timestamp`` within ``recvWindow`` and not more than 1 s ahead (-1021), then the
signature (-1022) over the raw query string (REST) or the sorted params (WS API).

The account moves only when told: ``step()`` (tests, for determinism), ``start_autoplay()``
(demo), or a fault that includes fills. Faults are listed in ``PRIVATE_FAULT_PARAMS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
import string
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import orjson
from aiohttp import web

from tuimon.sim.faults import FAULT_LOG_KEPT, FaultRecord
from tuimon.sim.private.account import ACTIONS, Event, FuturesAccount, SpotAccount
from tuimon.sim.private.conn import PrivateConn
from tuimon.sim.private.keys import BAD_SIGNATURE, KeyRing, ws_payload
from tuimon.sim.rest import ApiError

if TYPE_CHECKING:
    from tuimon.sim.server import SimServer

LISTEN_KEY_TTL_S = 3600.0  # a listenKey lives 60 min after the last POST/PUT (§6.3)
# Expired listenKeys kept (oldest forgotten first) so tests and the admin view can tell "this
# key expired" from "never existed"; the exchange answers both with -1125, and so do we. One key
# expires per hour of a client that stops its keepalive, so 16 covers any test; without a cap
# every expiry (and every listen_key_expired fault) added one for good.
DEAD_LISTEN_KEYS_KEPT = 16
EXPIRED = -1125

PRIVATE_FAULT_PARAMS: dict[str, frozenset[str]] = {
    # Expire the active listenKey now: its sockets get listenKeyExpired (notify=True) and stop
    # delivering; PUT answers -1125 until a POST creates a new key.
    "listen_key_expired": frozenset({"notify"}),
    # Spot: end every user-data subscription with eventStreamTerminated (socket stays open).
    "stream_terminated": frozenset(),
    # Drop every private socket (abrupt: no close frame).
    "disconnect": frozenset({"abrupt"}),
    # Drop every private socket, then run ``fills`` fill actions nobody hears about.
    "disconnect_during_fills": frozenset({"fills", "abrupt"}),
    # The next ``count`` signed requests (REST or WS API) fail -1022 (0 = until clear).
    "bad_signature": frozenset({"count"}),
    # The server clock jumps forward by ``ms`` (> 0; for this server's lifetime): requests
    # timed by an old offset fail -1021 until the client re-measures /time.
    "clock_skew": frozenset({"ms"}),
    # Spot WS API: {"event":{"e":"serverShutdown"}} on every session, closed after ``delay`` s.
    "server_shutdown": frozenset({"delay"}),
    "clear": frozenset(),
}
PRIVATE_FAULT_NAMES: tuple[str, ...] = tuple(PRIVATE_FAULT_PARAMS)

_UNAUTHORIZED = (-1002, -2014, -2015)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status,
                        content_type="application/json", charset="UTF-8")


def _status_for(code: int) -> int:
    return 401 if code in _UNAUTHORIZED else 400


_MESSAGES = {
    -1002: "You are not authorized to execute this request.",
    -1021: "Timestamp for this request is outside of the recvWindow.",
    -1022: "Signature for this request is not valid.",
    -1125: "This listenKey does not exist.",
    -2014: "API-key format invalid.",
    -2015: "Invalid API-key, IP, or permissions for action.",
}


class AuthError(Exception):
    """A signed request refused with a Binance error code."""

    def __init__(self, code: int, msg: str | None = None) -> None:
        super().__init__(msg or _MESSAGES.get(code, "error"))
        self.code = code
        self.msg = msg or _MESSAGES.get(code, "error")

    def api_error(self) -> ApiError:
        return ApiError(_status_for(self.code), self.code, self.msg)


@dataclass(slots=True)
class ListenKey:
    key: str
    api_key: str
    active: bool = True
    timer: asyncio.TimerHandle | None = None


@dataclass(slots=True)
class PrivateStats:
    signed_ok: int = 0
    rejected: dict[int, int] = field(default_factory=dict)
    ws_api_connections: int = 0
    listen_connections: int = 0
    events_sent: int = 0
    subscriptions: int = 0
    listen_key_posts: int = 0
    listen_key_puts: int = 0
    listen_key_deletes: int = 0
    actions: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


class PrivateSim:
    """The private side of one SimServer (inactive on COIN-M)."""

    def __init__(self, server: SimServer) -> None:
        self.server = server
        self.market = server.market
        self.enabled = self.market in ("spot", "usdm")
        self.keys = KeyRing.with_test_keys() if self.enabled else KeyRing()
        # Its own seeded stream, so private activity never perturbs the market model's.
        self.rng = random.Random(f"private:{self.market}:{server.seed}")
        self.account: SpotAccount | FuturesAccount = (
            FuturesAccount(self.rng, self._now) if self.market == "usdm"
            else SpotAccount(self.rng, self._now)
        )
        self.conns: set[PrivateConn] = set()
        self.listen_keys: dict[str, ListenKey] = {}
        self.listen_key_ttl = LISTEN_KEY_TTL_S
        self.bad_signatures = 0  # pending -1022s; -1 = until clear
        self.skew_ms = 0
        self._skewed = False
        self.stats = PrivateStats()
        self.fault_log: deque[FaultRecord] = deque(maxlen=FAULT_LOG_KEPT)
        self._autoplay: asyncio.Task[None] | None = None
        self.rest_hook: Callable[[str, str], object] | None = None
        """Test hook: called ("before", path) when a signed REST request has been verified and
        ("after", path) once its body is computed but not yet sent (an awaitable result is
        awaited first). Stepping the account there puts events exactly before or after the
        REST state the client will get."""

    def _now(self) -> int:
        return self.server.clock()

    # ------------------------------------------------------------------ routes
    def routes(self) -> list[web.RouteDef]:
        admin = [
            web.post("/_sim/private/fault", self._admin_fault),
            web.post("/_sim/private/step", self._admin_step),
            web.get("/_sim/private/account", self._admin_account),
        ]
        if self.market == "spot":
            return admin + [
                web.get("/ws-api/v3", self._ws_api_handler),
                web.get("/api/v3/account", self._spot_account),
                web.get("/api/v3/openOrders", self._open_orders),
            ]
        if self.market == "usdm":
            return admin + [
                web.post("/fapi/v1/listenKey", self._listen_key_post),
                web.put("/fapi/v1/listenKey", self._listen_key_put),
                web.delete("/fapi/v1/listenKey", self._listen_key_delete),
                web.get("/private/ws", self._listen_handler),
                web.get("/private/ws/{key}", self._listen_handler),
                web.get("/fapi/v1/openOrders", self._open_orders),
                web.get("/fapi/v3/balance", self._futures_balance),
                web.get("/fapi/v3/account", self._futures_account),
                # Binance still serves v2 (python-binance's futures_account calls it).
                web.get("/fapi/v2/account", self._futures_account_v2),
                web.get("/fapi/v3/positionRisk", self._position_risk),
            ]
        return []

    @staticmethod
    def is_private_socket_path(path: str) -> bool:
        """WebSocket paths of the private side (not REST-accounted)."""
        return path.startswith(("/ws-api/", "/private/"))

    # ------------------------------------------------------------------ the account script
    def step(self, n: int = 1, action: str | None = None) -> list[Event]:
        """Run ``n`` account actions (seeded choice, or ``action`` from ACTIONS); emit events.

        Synchronous and on the server's loop: the events are queued on every subscribed socket
        before this returns.
        """
        if not self.enabled:
            raise ValueError(f"no private side on {self.market}")
        events: list[Event] = []
        for _ in range(n):
            batch = self.account.step(action)
            self.stats.actions += 1
            self.emit(batch)
            events.extend(batch)
        return events

    def emit(self, events: list[Event]) -> None:
        for event in events:
            bare = orjson.dumps(event)
            for conn in list(self.conns):
                if conn.closed:
                    continue
                if conn.kind == "ws-api":
                    for sid in conn.subscriptions:
                        conn.push(b'{"subscriptionId":%d,"event":%s}' % (sid, bare))
                        self.stats.events_sent += 1
                elif conn.delivering and self._delivers(conn, event):
                    conn.push(bare)
                    self.stats.events_sent += 1

    def _delivers(self, conn: PrivateConn, event: Event) -> bool:
        key = self.listen_keys.get(conn.listen_key or "")
        if key is None or not key.active:
            return False
        return conn.events is None or event.get("e") in conn.events

    def true_account(self) -> dict[str, Any]:
        """The account as the exchange knows it, in the shape of the client's JSON view."""
        return self.account.truth()

    def start_autoplay(self, interval: float = 1.0) -> None:
        """Step the account every ``interval`` seconds (demo mode); nothing on COIN-M, which
        has no private side (stepping it raises, and stop() would re-raise that)."""
        if self.enabled and self._autoplay is None:
            self._autoplay = asyncio.get_running_loop().create_task(self._play(interval))

    async def _play(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.step()

    def register_key(self, api_key: str, *, secret: str | None = None,
                     public_pem: bytes | None = None) -> None:
        """Accept another key (HMAC secret, or an Ed25519/RSA public key PEM)."""
        if secret is not None:
            self.keys.add_hmac(api_key, secret)
        elif public_pem is not None:
            self.keys.add_public_pem(api_key, public_pem)
        else:
            raise ValueError("give secret= or public_pem=")

    async def close(self) -> None:
        if self._autoplay is not None:
            self._autoplay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._autoplay
            self._autoplay = None
        for key in self.listen_keys.values():
            if key.timer is not None:
                key.timer.cancel()
        for conn in list(self.conns):
            conn.abort("server stopped")

    # ------------------------------------------------------------------ auth
    def _reject(self, code: int, msg: str | None = None) -> AuthError:
        self.stats.rejected[code] = self.stats.rejected.get(code, 0) + 1
        return AuthError(code, msg)

    def _check_time(self, timestamp: Any, recv_window: Any) -> None:
        try:
            ts = int(timestamp)
        except (TypeError, ValueError):
            raise self._reject(-1102, "Mandatory parameter 'timestamp' was not sent, was "
                                      "empty/null, or malformed.") from None
        try:
            window = float(recv_window) if recv_window not in (None, "") else 5000.0
        except (TypeError, ValueError):
            raise self._reject(-1100, "Illegal characters found in parameter "
                                      "'recvWindow'.") from None
        if window > 60000:
            raise self._reject(-1131, "recvWindow must be less than 60000")
        now = self._now()
        if ts >= now + 1000:
            raise self._reject(-1021, "Timestamp for this request was 1000ms ahead of the "
                                      "server's time.")
        if now - ts > window:
            raise self._reject(-1021)

    def _verify(self, api_key: Any, payload: str, signature: Any, timestamp: Any,
                recv_window: Any) -> str:
        problem = self.keys.check_key(api_key)
        if problem is not None:
            raise self._reject(problem)
        self._check_time(timestamp, recv_window)
        if not isinstance(signature, str) or not signature:
            raise self._reject(-1102, "Mandatory parameter 'signature' was not sent, was "
                                      "empty/null, or malformed.")
        if self.bad_signatures:
            self.bad_signatures -= 1 if self.bad_signatures > 0 else 0
            self._fault_applied("bad_signature")
            raise self._reject(BAD_SIGNATURE)
        problem = self.keys.verify(api_key, payload.encode("utf-8"), signature)
        if problem is not None:
            raise self._reject(problem)
        self.stats.signed_ok += 1
        return str(api_key)

    async def _respond(self, request: web.Request, body: Any) -> web.Response:
        response = _json(body)
        if self.rest_hook is not None:
            result = self.rest_hook("after", request.path)
            if inspect.isawaitable(result):
                await result  # a test holding the response back until it has seen something
        return response

    def _signed_rest(self, request: web.Request) -> dict[str, str]:
        """Check a signed REST request; returns its (decoded) params."""
        raw = request.rel_url.raw_query_string
        parts = raw.split("&") if raw else []
        signature = None
        kept = []
        for part in parts:
            if part.startswith("signature="):
                signature = unquote(part[len("signature="):])
            else:
                kept.append(part)
        params = dict(request.query)
        try:
            self._verify(request.headers.get("X-MBX-APIKEY"), "&".join(kept), signature,
                         params.get("timestamp"), params.get("recvWindow"))
        except AuthError as exc:
            raise exc.api_error() from None
        return params

    async def _checked(self, request: web.Request) -> dict[str, str]:
        """``_signed_rest`` plus the test hook's "before" call (awaited if awaitable)."""
        params = self._signed_rest(request)
        if self.rest_hook is not None:
            result = self.rest_hook("before", request.path)
            if inspect.isawaitable(result):
                await result
        return params

    def _keyed_rest(self, request: web.Request) -> str:
        """Check the X-MBX-APIKEY of an unsigned USER_STREAM request."""
        api_key = request.headers.get("X-MBX-APIKEY")
        problem = self.keys.check_key(api_key)
        if problem is not None:
            raise self._reject(problem).api_error()
        return str(api_key)

    # ------------------------------------------------------------------ signed REST
    async def _spot_account(self, request: web.Request) -> web.Response:
        params = await self._checked(request)
        omit = params.get("omitZeroBalances", "false").lower() == "true"
        assert isinstance(self.account, SpotAccount)
        return await self._respond(request, self.account.rest_account(omit))

    async def _open_orders(self, request: web.Request) -> web.Response:
        params = await self._checked(request)
        symbol = params.get("symbol") or None
        return await self._respond(request, self.account.rest_open_orders(symbol))

    async def _futures_balance(self, request: web.Request) -> web.Response:
        await self._checked(request)
        assert isinstance(self.account, FuturesAccount)
        return await self._respond(request, self.account.rest_balance())

    async def _futures_account(self, request: web.Request) -> web.Response:
        await self._checked(request)
        assert isinstance(self.account, FuturesAccount)
        return await self._respond(request, self.account.rest_account())

    async def _futures_account_v2(self, request: web.Request) -> web.Response:
        await self._checked(request)
        assert isinstance(self.account, FuturesAccount)
        return await self._respond(request, self.account.rest_account_v2())

    async def _position_risk(self, request: web.Request) -> web.Response:
        params = await self._checked(request)
        assert isinstance(self.account, FuturesAccount)
        body = self.account.rest_position_risk(params.get("symbol") or None)
        return await self._respond(request, body)

    # ------------------------------------------------------------------ listenKey REST
    def _active_key(self, api_key: str) -> ListenKey | None:
        for key in self.listen_keys.values():
            if key.api_key == api_key and key.active:
                return key
        return None

    def _arm_expiry(self, key: ListenKey) -> None:
        if key.timer is not None:
            key.timer.cancel()
        loop = self.server.loop or asyncio.get_running_loop()
        key.timer = loop.call_later(self.listen_key_ttl, self._expire, key, True)

    def _expire(self, key: ListenKey, notify: bool) -> None:
        if not key.active:
            return
        key.active = False
        if key.timer is not None:
            key.timer.cancel()
            key.timer = None
        self._forget_dead_keys()
        event = orjson.dumps({"e": "listenKeyExpired", "E": self._now(), "listenKey": key.key})
        for conn in list(self.conns):
            if conn.listen_key == key.key:
                if notify:
                    conn.push(event)
                    self.stats.events_sent += 1
                conn.delivering = False

    def _forget_dead_keys(self) -> None:
        dead = [k for k, v in self.listen_keys.items() if not v.active]  # oldest first
        for text in dead[: max(0, len(dead) - DEAD_LISTEN_KEYS_KEPT)]:
            del self.listen_keys[text]

    async def _listen_key_post(self, request: web.Request) -> web.Response:
        api_key = self._keyed_rest(request)
        self.stats.listen_key_posts += 1
        key = self._active_key(api_key)
        if key is None:
            text = "".join(self.rng.choice(string.ascii_letters + string.digits)
                           for _ in range(64))
            key = self.listen_keys[text] = ListenKey(text, api_key)
        self._arm_expiry(key)
        return _json({"listenKey": key.key})

    async def _listen_key_put(self, request: web.Request) -> web.Response:
        api_key = self._keyed_rest(request)
        self.stats.listen_key_puts += 1
        key = self._active_key(api_key)
        if key is None:
            raise self._reject(EXPIRED).api_error()
        self._arm_expiry(key)
        return _json({"listenKey": key.key})

    async def _listen_key_delete(self, request: web.Request) -> web.Response:
        api_key = self._keyed_rest(request)
        self.stats.listen_key_deletes += 1
        key = self._active_key(api_key)
        if key is not None:
            self._expire(key, notify=False)
            for conn in list(self.conns):
                if conn.listen_key == key.key:
                    conn.close_soon(1000, "listenKey closed")
        return _json({})

    # ------------------------------------------------------------------ /private sockets
    async def _listen_handler(self, request: web.Request) -> web.StreamResponse:
        key_text = request.match_info.get("key") or request.query.get("listenKey", "")
        key = self.listen_keys.get(key_text)
        if key is None or not key.active:
            return _json({"code": EXPIRED, "msg": _MESSAGES[EXPIRED]}, 400)
        ws = web.WebSocketResponse(heartbeat=self.server.ping_interval, max_msg_size=1 << 16)
        conn = PrivateConn(ws, request.transport, "listen", self._now())
        conn.listen_key = key.key
        events = request.query.get("events")
        if events:
            # Which events an events= filter admits is UNCONFIRMED (§1.2); listenKeyExpired is
            # always delivered here so a filtered client can still recover.
            conn.events = frozenset(events.split("/")) | {"listenKeyExpired"}
        self.stats.listen_connections += 1
        return await self._serve(request, conn, ws, lambda c, t: None)

    async def _serve(self, request: web.Request, conn: PrivateConn, ws: web.WebSocketResponse,
                     on_text: Any) -> web.WebSocketResponse:
        # Registered before the handshake completes: once the client has its socket, events
        # emitted from then on are queued for it (frames wait until the writer starts).
        self.conns.add(conn)
        try:
            await ws.prepare(request)
            await conn.run(on_text, self.server.max_lifetime)
        finally:
            self.conns.discard(conn)
            self.server.note_connection_closed()
        return ws

    # ------------------------------------------------------------------ WebSocket API
    async def _ws_api_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=self.server.ping_interval, max_msg_size=1 << 20)
        conn = PrivateConn(ws, request.transport, "ws-api", self._now())
        self.stats.ws_api_connections += 1
        return await self._serve(request, conn, ws, self._ws_api_text)

    def _reply(self, conn: PrivateConn, req_id: Any, result: Any) -> None:
        conn.push(orjson.dumps({
            "id": req_id, "status": 200, "result": result,
            "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                            "intervalNum": 1, "limit": 6000, "count": 2}],
        }))

    def _error(self, conn: PrivateConn, req_id: Any, code: int, msg: str | None = None) -> None:
        conn.push(orjson.dumps({
            "id": req_id, "status": _status_for(code),
            "error": {"code": code, "msg": msg or _MESSAGES.get(code, "error")},
        }))

    def _ws_api_text(self, conn: PrivateConn, text: str) -> None:
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._error(conn, None, -1102, "Invalid JSON.")
            return
        if not isinstance(req, dict) or not isinstance(req.get("method"), str):
            self._error(conn, None, -1102, "Invalid request: missing method.")
            return
        req_id = req.get("id")
        params = req.get("params") or {}
        if not isinstance(params, dict):
            self._error(conn, req_id, -1102, "Invalid request: params must be an object.")
            return
        method = req["method"]
        try:
            result = self._ws_method(conn, method, params)
        except AuthError as exc:
            self._error(conn, req_id, exc.code, exc.msg)
            return
        self._reply(conn, req_id, result)

    def _ws_signed(self, params: dict[str, Any]) -> str:
        return self._verify(params.get("apiKey"), ws_payload(params), params.get("signature"),
                            params.get("timestamp"), params.get("recvWindow"))

    def _ws_method(self, conn: PrivateConn, method: str, params: dict[str, Any]) -> Any:
        now = self._now()
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": now}
        if method == "session.logon":
            api_key = self._ws_signed(params)
            if self.keys.kind(api_key) != "ed25519":
                raise self._reject(-1002, "Only Ed25519 API keys can log on a session.")
            conn.api_key = api_key
            return self._session_status(conn, now)
        if method == "session.status":
            return self._session_status(conn, now)
        if method == "session.logout":
            self._terminate(conn, [s for s, k in conn.subscriptions.items()
                                   if k == conn.api_key])
            conn.api_key = None
            return self._session_status(conn, now)
        if method == "session.subscriptions":
            return [{"subscriptionId": sid} for sid in sorted(conn.subscriptions)]
        if method == "userDataStream.subscribe":
            if conn.api_key is None:
                raise self._reject(-1002)
            return self._subscribe(conn, conn.api_key)
        if method == "userDataStream.subscribe.signature":
            return self._subscribe(conn, self._ws_signed(params))
        if method == "userDataStream.unsubscribe":
            sid = params.get("subscriptionId")
            targets = list(conn.subscriptions) if sid is None else [sid]
            if sid is not None and sid not in conn.subscriptions:
                raise self._reject(-2036, "User Data Stream subscription not active.")
            self._terminate(conn, targets)
            return {}
        raise self._reject(-1020, "This operation is not supported.")

    def _session_status(self, conn: PrivateConn, now: int) -> dict[str, Any]:
        return {"apiKey": conn.api_key, "authorizedSince": now if conn.api_key else None,
                "connectedSince": conn.opened_ms, "returnRateLimits": True, "serverTime": now,
                "userDataStream": bool(conn.subscriptions)}

    def _subscribe(self, conn: PrivateConn, api_key: str) -> dict[str, int]:
        if api_key in conn.subscriptions.values():
            raise self._reject(-2035, "User Data Stream subscription already active.")
        sid = conn.next_subscription
        conn.next_subscription += 1
        conn.subscriptions[sid] = api_key
        self.stats.subscriptions += 1
        return {"subscriptionId": sid}

    def _terminate(self, conn: PrivateConn, sids: list[int]) -> int:
        done = 0
        for sid in sids:
            if conn.subscriptions.pop(sid, None) is None:
                continue
            event = orjson.dumps({"e": "eventStreamTerminated", "E": self._now()})
            conn.push(b'{"subscriptionId":%d,"event":%s}' % (sid, event))
            done += 1
        return done

    # ------------------------------------------------------------------ faults
    def inject(self, fault: str, **params: Any) -> FaultRecord:
        """Trigger or arm a private fault (names and parameters: PRIVATE_FAULT_PARAMS).

        Call on the server's loop (``SimThread.call(sim.private.inject, ...)`` from a thread).
        """
        if fault not in PRIVATE_FAULT_PARAMS:
            raise ValueError(f"unknown private fault {fault!r}; expected one of "
                             f"{PRIVATE_FAULT_NAMES}")
        unknown = set(params) - PRIVATE_FAULT_PARAMS[fault]
        if unknown:
            raise ValueError(f"private fault {fault!r} does not take {sorted(unknown)}; "
                             f"allowed: {sorted(PRIVATE_FAULT_PARAMS[fault])}")
        if not self.enabled:
            raise ValueError(f"no private side on {self.market}")
        record = FaultRecord(fault, None, dict(params), self._now())
        self.fault_log.append(record)
        getattr(self, f"_fault_{fault}")(record, params)
        return record

    def _fault_applied(self, kind: str) -> None:
        for record in reversed(self.fault_log):
            if record.kind == kind:
                record.applied += 1
                return

    def _fault_listen_key_expired(self, record: FaultRecord, params: dict[str, Any]) -> None:
        if self.market != "usdm":
            raise ValueError("listenKeys exist on USDⓈ-M only (spot uses the WebSocket API)")
        notify = bool(params.get("notify", True))
        for key in list(self.listen_keys.values()):
            if key.active:
                self._expire(key, notify)
                record.applied += 1
                record.targets.append(key.key[:8])

    def _fault_stream_terminated(self, record: FaultRecord, params: dict[str, Any]) -> None:
        if self.market != "spot":
            raise ValueError("eventStreamTerminated is a spot WebSocket API event")
        for conn in list(self.conns):
            record.applied += self._terminate(conn, list(conn.subscriptions))

    def _drop_all(self, record: FaultRecord, abrupt: bool) -> None:
        for conn in list(self.conns):
            # Nothing more reaches a dropped socket, even frames queued before the cut.
            conn.subscriptions.clear()
            conn.delivering = False
            if abrupt:
                conn.abort("disconnect fault")
            else:
                conn.out.clear()
                conn.close_soon(1001, "disconnect fault")
            record.applied += 1

    def _fault_disconnect(self, record: FaultRecord, params: dict[str, Any]) -> None:
        self._drop_all(record, bool(params.get("abrupt", True)))

    def _fault_disconnect_during_fills(self, record: FaultRecord,
                                       params: dict[str, Any]) -> None:
        fills = int(params.get("fills", 3))
        if fills < 1:
            raise ValueError("fills must be >= 1")
        self._drop_all(record, bool(params.get("abrupt", True)))
        for i in range(fills):
            events = self.step(action="partial_fill" if i % 2 == 0 else "fill")
            record.notes.append(f"lost {len(events)} events")

    def _fault_bad_signature(self, record: FaultRecord, params: dict[str, Any]) -> None:
        count = int(params.get("count", 1))
        if count < 0:
            raise ValueError("count must be >= 0 (0 = until clear)")
        self.bad_signatures = count if count else -1

    def _fault_clock_skew(self, record: FaultRecord, params: dict[str, Any]) -> None:
        ms = int(params.get("ms", 10_000))
        if ms <= 0:
            raise ValueError("ms must be > 0 (the clock only jumps forward; a backward jump "
                             "would break the market model's time)")
        if not self._skewed:
            base = self.server.clock
            self.server.clock = lambda: base() + self.skew_ms
            self._skewed = True
        self.skew_ms += ms
        record.applied = 1

    def _fault_server_shutdown(self, record: FaultRecord, params: dict[str, Any]) -> None:
        if self.market != "spot":
            raise ValueError("serverShutdown exists on spot only (reference §3)")
        delay = float(params.get("delay", 0.2))
        event = orjson.dumps({"event": {"e": "serverShutdown", "E": self._now()}})
        for conn in list(self.conns):
            conn.push(event)
            record.applied += 1
            self.server.call_later(delay, conn.close_soon, 1001, "server shutdown")

    def _fault_clear(self, record: FaultRecord, params: dict[str, Any]) -> None:
        self.bad_signatures = 0
        record.applied = 1

    # ------------------------------------------------------------------ admin HTTP
    async def _admin_fault(self, request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            fault = body.pop("fault", None) or body.pop("name", None)
            params = body.pop("params", None) or {}
            params.update(body)
            record = self.inject(str(fault), **params)
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(record.as_dict())

    async def _admin_step(self, request: web.Request) -> web.Response:
        try:
            n = int(request.query.get("n", "1"))
            action = request.query.get("action") or None
            if action is not None and action not in ACTIONS:
                raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
            events = self.step(n, action)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.Response(body=orjson.dumps({"events": events}),
                            content_type="application/json")

    async def _admin_account(self, request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps({**self.true_account(),
                                               "stats": self.stats.as_dict()}),
                            content_type="application/json")
