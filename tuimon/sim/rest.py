"""REST market-data endpoints with Binance's weight accounting, 429/418 and error codes (§5, §7).

A middleware wraps every REST request (not the stream or admin routes): it applies REST faults,
charges the request weight to the current 1-minute window, answers 429/418 with ``Retry-After``
and stamps ``X-MBX-USED-WEIGHT-1M`` on every response, errors and 404s included.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from tuimon.sim import payloads
from tuimon.sim.exchange_info import rate_limits, symbol_entry
from tuimon.sim.http import UNKNOWN_ERROR, ApiError, http_error, json_response
from tuimon.sim.klines import MINUTE
from tuimon.sim.model import SymbolModel
from tuimon.sim.rest_market import MarketDataHandlers, market_weight

if TYPE_CHECKING:
    from tuimon.sim.server import SimServer

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
_BAN_CAP_S = 3 * 24 * 3600  # bans grow from minutes up to 3 days (§5.4)


_json = json_response


# --------------------------------------------------------------------------- weights (§5.3)
def spot_depth_weight(limit: int) -> int:
    if limit <= 100:
        return 5
    if limit <= 500:
        return 25
    if limit <= 1000:
        return 50
    return 250


FUTURES_DEPTH_WEIGHT = {5: 2, 10: 2, 20: 2, 50: 2, 100: 5, 500: 10, 1000: 20}


def futures_klines_weight(limit: int) -> int:
    # USDⓈ-M/COIN-M klines weight depends on limit (UM docs Kline-Candlestick-Data).
    if limit < 100:
        return 1
    if limit < 500:
        return 2
    if limit <= 1000:
        return 5
    return 10


class WeightLimiter:
    """Per-IP REQUEST_WEIGHT in fixed 1-minute windows, plus the 429 -> 418 escalation.

    A request during a 429 cool-down (i.e. one that ignored Retry-After) is a violation; after
    ``ban_after`` violations the IP is banned (418) for ``ban_seconds``, doubling per repeat.
    """

    def __init__(self, limit: int, clock: Callable[[], int], ban_after: int,
                 ban_seconds: float) -> None:
        self.limit = limit
        self.clock = clock
        self.ban_after = ban_after
        self.ban_seconds = ban_seconds
        self.window = -1
        self.used = 0
        self.cooldown_until = 0  # ms
        self.ban_until = 0  # ms
        self.violations = 0
        self.bans = 0

    def current(self) -> int:
        self._roll(self.clock())
        return self.used

    def _roll(self, now: int) -> None:
        window = now // MINUTE
        if window != self.window:
            self.window = window
            self.used = 0

    def ban(self, now: int, seconds: float) -> int:
        self.ban_until = now + int(seconds * 1000)
        self.violations = 0
        return self.ban_until

    def check(self, weight: int) -> tuple[int, int] | None:
        """Charge ``weight``; return (status, retry_after_ms) when the request is refused."""
        now = self.clock()
        self._roll(now)
        if now < self.ban_until:
            return 418, self.ban_until - now
        if now < self.cooldown_until:
            self.violations += 1
            if self.violations >= self.ban_after:
                seconds = min(_BAN_CAP_S, self.ban_seconds * 2 ** self.bans)
                self.bans += 1
                self.ban(now, seconds)
                return 418, self.ban_until - now
            return 429, self.cooldown_until - now
        if self.used + weight > self.limit:
            self.cooldown_until = (self.window + 1) * MINUTE
            return 429, self.cooldown_until - now
        self.used += weight
        return None


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: aiohttp's HTML error pages (stream and admin routes too) become JSON."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return http_error(request, exc)


def _retry_after(ms: int) -> str:
    return str(max(1, math.ceil(ms / 1000)))


# --------------------------------------------------------------------------- the API
class RestApi(MarketDataHandlers):
    """Handlers for one market; registered under the market's prefix."""

    def __init__(self, server: SimServer) -> None:
        self.server = server
        self.cfg = server.cfg
        self.limiter = WeightLimiter(server.weight_limit, server.clock, server.ban_after_429s,
                                     server.ban_seconds)
        self._symbol_info = {
            name: symbol_entry(self.cfg, sm.spec) for name, sm in server.model.symbols.items()
        }

    def routes(self) -> list[web.RouteDef]:
        p = self.cfg.rest_prefix
        return [
            web.get(f"{p}/ping", self.ping),
            web.get(f"{p}/time", self.time),
            web.get(f"{p}/exchangeInfo", self.exchange_info),
            web.get(f"{p}/depth", self.depth),
            web.get(f"{p}/klines", self.klines),
            web.get(f"{p}/ticker/24hr", self.ticker_24hr),
            *self.market_routes(),
        ]

    # ------------------------------------------------------------------ parameters
    def _symbol(self, request: web.Request, required: bool = True) -> SymbolModel | None:
        raw = request.query.get("symbol")
        if raw is None or raw == "":
            if required:
                raise ApiError(400, -1102, "Mandatory parameter 'symbol' was not sent, was "
                                           "empty/null, or malformed.")
            return None
        sm = self.server.model.symbols.get(raw)
        if sm is None:
            raise ApiError(400, -1121, "Invalid symbol.")
        return sm

    def _symbols_list(self, request: web.Request) -> list[SymbolModel] | None:
        raw = request.query.get("symbols")
        if raw is None:
            return None
        try:
            names = orjson.loads(raw)
        except orjson.JSONDecodeError:
            names = None
        if not isinstance(names, list) or not names or not all(isinstance(n, str)
                                                               for n in names):
            raise ApiError(400, -1100, "Illegal characters found in parameter 'symbols'; legal "
                                       "range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}"
                                       "\"){0,}){0,1}\\]$'.")
        out = []
        for n in names:
            sm = self.server.model.symbols.get(n)
            if sm is None:
                raise ApiError(400, -1121, "Invalid symbol.")
            out.append(sm)
        return out

    @staticmethod
    def _int(request: web.Request, name: str) -> int | None:
        raw = request.query.get(name)
        if raw is None or raw == "":
            return None
        if not raw.isdigit() or len(raw) > 20:
            raise ApiError(400, -1100, f"Illegal characters found in parameter '{name}'; legal "
                                       "range is '^[0-9]{1,20}$'.")
        return int(raw)

    def _depth_limit(self, request: web.Request) -> int:
        limit = self._int(request, "limit")
        cfg = self.cfg
        if limit is None:
            return cfg.depth_default
        if cfg.depth_allowed is not None:
            if limit not in cfg.depth_allowed:
                raise ApiError(400, -4021, "Invalid depth limit.")
            return limit
        if limit < 1:
            raise ApiError(400, -1100, "Illegal characters found in parameter 'limit'; legal "
                                       "range is '^[0-9]{1,20}$'.")
        return min(limit, cfg.depth_max)  # spot truncates limits above 5000

    def _klines_limit(self, request: web.Request) -> int:
        limit = self._int(request, "limit")
        if limit is None:
            return 500
        if limit < 1 or limit > self.cfg.klines_max:
            raise ApiError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        return limit

    def weight(self, request: web.Request) -> int:
        """Request weight per the reference tables; invalid params still cost the base weight."""
        cfg = self.cfg
        if request.path == "/fapi/v2/account":
            return 5  # UM docs Account-Information-V2
        path = request.path[len(cfg.rest_prefix):] if request.path.startswith(
            cfg.rest_prefix) else request.path if request.path.startswith("/fapi/v2/") else ""
        q = request.query
        try:
            if path == "/depth":
                limit = self._depth_limit(request)
                if cfg.futures:
                    return FUTURES_DEPTH_WEIGHT.get(limit, 10)
                return spot_depth_weight(limit)
            if path == "/klines":
                limit = self._int(request, "limit") or 500
                return futures_klines_weight(limit) if cfg.futures else 2
        except ApiError:
            return 5 if path == "/depth" else 2
        extra = market_weight(cfg, path, q)
        if extra is not None:
            return extra
        if path == "/exchangeInfo":
            return 1 if cfg.futures else 20
        if path == "/ticker/24hr":
            if cfg.futures:
                return 1 if q.get("symbol") else 40
            if q.get("symbol"):
                return 2
            raw = q.get("symbols")
            if raw:
                n = raw.count(",") + 1
                return 2 if n <= 20 else 40 if n <= 100 else 80
            return 80
        return 1

    # ------------------------------------------------------------------ middleware
    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        server = self.server
        if not server.is_rest_path(request.path):
            return await handler(request)
        stats = server.stats
        stats.rest_requests += 1
        faults = server.faults
        symbol = request.query.get("symbol")
        slow = faults.take_rest("slow_rest", symbol)
        if slow is not None:
            stats.rest_delayed += 1
            await asyncio.sleep(slow.value)
        limiter = self.limiter
        refused: tuple[int, int] | None = None
        f418 = faults.take_rest("rest_418", symbol)
        if f418 is not None:
            stats.rest_418_injected += 1
            limiter.ban(server.clock(), f418.value)
            refused = (418, int(f418.value * 1000))
        else:
            f429 = faults.take_rest("rest_429", symbol)
            if f429 is not None:
                stats.rest_429_injected += 1
                limiter.cooldown_until = max(limiter.cooldown_until,
                                             server.clock() + int(f429.value * 1000))
                refused = (429, int(f429.value * 1000))
            else:
                refused = limiter.check(self.weight(request))
        if refused is not None:
            return self._refusal(*refused)
        try:
            response = await handler(request)
        except ApiError as exc:
            stats.rest_errors += 1
            response = _json({"code": exc.code, "msg": exc.msg}, exc.status)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            stats.rest_errors += 1
            response = http_error(request, exc)
        except Exception:
            # A bug must not turn into aiohttp's HTML 500 page: log it, answer like Binance.
            log.exception("simulator REST handler failed: %s", request.path)
            stats.rest_errors += 1
            response = json_response({"code": -1000, "msg": UNKNOWN_ERROR}, 500)
        response.headers[WEIGHT_HEADER] = str(limiter.current())
        return response

    def _refusal(self, status: int, retry_ms: int) -> web.Response:
        stats = self.server.stats
        limiter = self.limiter
        if status == 418:
            stats.rest_418 += 1
            body = {"code": -1003, "msg": f"Way too much request weight used; IP banned until "
                                          f"{limiter.ban_until}. Please use WebSocket Streams "
                                          "for live updates to avoid bans."}
        else:
            stats.rest_429 += 1
            body = {"code": -1003, "msg": f"Too much request weight used; current limit is "
                                          f"{limiter.limit} request weight per 1 MINUTE. Please "
                                          "use WebSocket Streams for live updates to avoid "
                                          "polling the API."}
        response = _json(body, status)
        response.headers["Retry-After"] = _retry_after(retry_ms)
        response.headers[WEIGHT_HEADER] = str(limiter.current())
        return response

    # ------------------------------------------------------------------ handlers
    async def ping(self, request: web.Request) -> web.Response:
        return _json({})

    async def time(self, request: web.Request) -> web.Response:
        return _json({"serverTime": self.server.clock()})

    async def exchange_info(self, request: web.Request) -> web.Response:
        cfg = self.cfg
        model = self.server.model
        names: list[str] = list(model.symbols)
        if not cfg.futures:  # futures exchangeInfo takes no parameters
            one = self._symbol(request, required=False)
            many = self._symbols_list(request)
            status = request.query.get("symbolStatus")
            if sum(x is not None for x in (one, many, status)) > 1:
                raise ApiError(400, -1128, "Combination of optional parameters invalid.")
            if one is not None:
                names = [one.symbol]
            elif many is not None:
                names = [sm.symbol for sm in many]
            elif status is not None:
                names = names if status == "TRADING" else []
        body: dict[str, Any] = {"timezone": "UTC", "serverTime": self.server.clock()}
        if cfg.name == "usdm":
            body["futuresType"] = "U_MARGINED"
        body["rateLimits"] = rate_limits(cfg, self.limiter.limit)
        body["exchangeFilters"] = []
        if cfg.name == "usdm":
            body["assets"] = [{"asset": "USDT", "marginAvailable": True,
                               "autoAssetExchange": "-10000"}]
        body["symbols"] = [self._symbol_info[n] for n in names]
        return _json(body)

    async def depth(self, request: web.Request) -> web.Response:
        sm = self._symbol(request)
        assert sm is not None
        limit = self._depth_limit(request)
        status = request.query.get("symbolStatus")
        if status is not None and not self.cfg.futures and status != "TRADING":
            # Every simulated symbol is TRADING; a mismatch is -1220 (§5.3).
            raise ApiError(400, -1220, "The symbol's status does not match the requested "
                                       "symbolStatus.")
        # The book at the *current internal id*, including updates not yet sent in an event.
        last_id, bids, asks = sm.snapshot(limit)
        if not self.cfg.futures:
            return _json({"lastUpdateId": last_id, "bids": bids, "asks": asks})
        body: dict[str, Any] = {"lastUpdateId": last_id, "E": self.server.clock(),
                                "T": sm.last_update_time}
        if sm.spec.pair is not None:
            body["symbol"] = sm.symbol
            body["pair"] = sm.spec.pair
        body["bids"] = bids
        body["asks"] = asks
        return _json(body)

    async def klines(self, request: web.Request) -> web.Response:
        sm = self._symbol(request)
        assert sm is not None
        interval = request.query.get("interval")
        if not interval:
            raise ApiError(400, -1102, "Mandatory parameter 'interval' was not sent, was "
                                       "empty/null, or malformed.")
        if interval not in self.cfg.intervals:
            raise ApiError(400, -1120, "Invalid interval.")
        limit = self._klines_limit(request)
        start = self._int(request, "startTime")
        end = self._int(request, "endTime")
        if start is not None and end is not None and start > end:
            raise ApiError(400, -1023, "Start time is greater than end time.")
        rows = sm.klines(interval, limit, start, end)
        return _json([payloads.kline_row(sm, c) for c in rows])

    async def ticker_24hr(self, request: web.Request) -> web.Response:
        one = self._symbol(request, required=False)
        many = None if self.cfg.futures else self._symbols_list(request)
        if one is not None and many is not None:
            raise ApiError(400, -1128, "Combination of optional parameters invalid.")
        kind = "FULL" if self.cfg.futures else request.query.get("type", "FULL")
        if kind not in ("FULL", "MINI"):  # spot only; futures have no ``type`` parameter
            raise ApiError(400, -1139, "Invalid ticker type.")
        mini = kind == "MINI"
        now = self.server.clock()
        if one is not None:
            return _json(payloads.rest_ticker(one, now, mini))
        sms = many if many is not None else list(self.server.model.symbols.values())
        return _json([payloads.rest_ticker(sm, now, mini) for sm in sms])
