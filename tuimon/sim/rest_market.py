"""REST market-data endpoints that client libraries call beyond depth/klines/24 h tickers.

Spot: ``ticker/price``, ``ticker/bookTicker``, ``avgPrice``, ``trades``, ``aggTrades``
(spot docs rest-api.md). USDⓈ-M / COIN-M: ``premiumIndex``, ``fundingRate``, ``aggTrades``,
``trades``, ``ticker/price``, ``ticker/bookTicker`` (UM/CM docs market-data/rest-api). Shapes
follow those pages and the recorded responses in /work/shared/data; weights are in
``market_weight``. Every answer is computed from the same model that drives the streams: trades
are the book's own fills, the mark comes from tuimon.sim.marks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tuimon.sim import payloads
from tuimon.sim.http import ApiError, json_response
from tuimon.sim.klines import K_O, K_Q, K_T, K_V
from tuimon.sim.marks import EIGHT_HOURS, funding_rate_at, price8
from tuimon.sim.model import T_AGG, T_TIME, SymbolModel, TradeRow

if TYPE_CHECKING:
    from tuimon.sim.markets import MarketConfig
    from tuimon.sim.server import SimServer

HOUR = 3600 * 1000
AVG_PRICE_MINS = 5  # spot avgPrice: the 5-minute average (spot docs "Current average price")


def market_weight(cfg: MarketConfig, path: str, query: Any) -> int | None:
    """Weight of the endpoints below per the reference tables, or None for other paths.

    ``path`` is relative to the market's prefix; "/fapi/v2/ticker/price" comes in whole.
    """
    one = bool(query.get("symbol"))
    if path == "/fapi/v2/ticker/price":
        return 1 if one else 2
    if cfg.futures:
        table = {
            "/premiumIndex": 1 if one and cfg.name == "usdm" else 10,
            "/fundingRate": 1,  # USDⓈ-M: a separate 500/5 min/IP budget; we charge 1
            "/aggTrades": 20,
            "/trades": 5,
            "/ticker/price": 1 if one else 2,
            "/ticker/bookTicker": 2 if one else 5,
        }
    else:
        table = {
            "/ticker/price": 2 if one else 4,
            "/ticker/bookTicker": 2 if one else 4,
            "/avgPrice": 2,
            "/trades": 25,
            "/aggTrades": 4,
        }
    return table.get(path)


class MarketDataHandlers:
    """Mixed into RestApi; relies on its parameter helpers and error type."""

    server: SimServer
    cfg: MarketConfig

    # Provided by RestApi.
    def _symbol(self, request: web.Request, required: bool = True) -> SymbolModel | None:
        raise NotImplementedError

    def _symbols_list(self, request: web.Request) -> list[SymbolModel] | None:
        raise NotImplementedError

    @staticmethod
    def _int(request: web.Request, name: str) -> int | None:
        raise NotImplementedError

    def market_routes(self) -> list[web.RouteDef]:
        p = self.cfg.rest_prefix
        routes = [
            web.get(f"{p}/ticker/price", self.ticker_price),
            web.get(f"{p}/ticker/bookTicker", self.ticker_book),
            web.get(f"{p}/trades", self.trades),
            web.get(f"{p}/aggTrades", self.agg_trades),
        ]
        if self.cfg.name == "usdm":  # V2 of the price ticker (python-binance calls it)
            routes.append(web.get("/fapi/v2/ticker/price", self.ticker_price))
        if self.cfg.futures:
            routes += [
                web.get(f"{p}/premiumIndex", self.premium_index),
                web.get(f"{p}/fundingRate", self.funding_rate),
            ]
        else:
            routes.append(web.get(f"{p}/avgPrice", self.avg_price))
        return routes

    # ------------------------------------------------------------------ parameters
    def _limit(self, request: web.Request, default: int, maximum: int) -> int:
        limit = self._int(request, "limit")
        if limit is None:
            return default
        if limit < 1 or limit > maximum:
            raise ApiError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        return limit

    def _times(self, request: web.Request, max_span: int | None) -> tuple[int | None, int | None]:
        start = self._int(request, "startTime")
        end = self._int(request, "endTime")
        if start is not None and end is not None:
            if start > end:
                raise ApiError(400, -1023, "Start time is greater than end time.")
            if max_span is not None and end - start > max_span:
                raise ApiError(400, -1127, f"More than {max_span // HOUR} hours between "
                                           "startTime and endTime.")
        return start, end

    def _selection(self, request: web.Request) -> list[SymbolModel]:
        """symbol= / symbols= / neither (spot); symbol= / neither (futures)."""
        one = self._symbol(request, required=False)
        many = None if self.cfg.futures else self._symbols_list(request)
        if one is not None and many is not None:
            raise ApiError(400, -1128, "Combination of optional parameters invalid.")
        if one is not None:
            return [one]
        return many if many is not None else list(self.server.model.symbols.values())

    # ------------------------------------------------------------------ tickers
    async def ticker_price(self, request: web.Request) -> web.Response:
        single = bool(request.query.get("symbol"))
        rows = []
        for sm in self._selection(request):
            d: dict[str, Any] = {"symbol": sm.symbol}
            if sm.spec.pair is not None:
                d["ps"] = sm.spec.pair
            d["price"] = sm.fmt.price(sm.last_price)
            if self.cfg.futures:
                d["time"] = sm.last_trade_time
            rows.append(d)
        # COIN-M answers a list even for one symbol (CM docs Symbol-Price-Ticker).
        return json_response(rows[0] if single and self.cfg.name != "coinm" else rows)

    async def ticker_book(self, request: web.Request) -> web.Response:
        now = self.server.clock()
        single = bool(request.query.get("symbol"))
        rows = []
        for sm in self._selection(request):
            f = sm.fmt
            bb, bq, ba, aq = sm.top
            d: dict[str, Any] = {"symbol": sm.symbol}
            if sm.spec.pair is not None:
                d["pair"] = sm.spec.pair
            d.update({"bidPrice": f.price(bb), "bidQty": f.qty(bq), "askPrice": f.price(ba),
                      "askQty": f.qty(aq)})
            if self.cfg.futures:
                d["time"] = now
            rows.append(d)
        return json_response(rows[0] if single and self.cfg.name != "coinm" else rows)

    async def avg_price(self, request: web.Request) -> web.Response:
        sm = self._symbol(request)
        assert sm is not None
        candles = sm.klines("1m", AVG_PRICE_MINS, None, None)
        quote = sum(c[K_Q] for c in candles)
        qty = sum(c[K_V] for c in candles)
        price = sm.fmt.vwap(quote, qty, sm.last_price)
        return json_response({"mins": AVG_PRICE_MINS, "price": price,
                              "closeTime": sm.last_trade_time})

    # ------------------------------------------------------------------ trades
    async def trades(self, request: web.Request) -> web.Response:
        sm = self._symbol(request)
        assert sm is not None
        limit = self._limit(request, 500, 1000)
        out: list[dict[str, Any]] = []
        for row in reversed(sm.trades):
            out[:0] = payloads.rest_trades(sm, row)
            if len(out) >= limit:
                break
        return json_response(out[-limit:])

    async def agg_trades(self, request: web.Request) -> web.Response:
        """fromId, startTime, endTime, limit as documented; the oldest kept trade bounds what
        fromId can reach (the exchange serves older ones from its database)."""
        sm = self._symbol(request)
        assert sm is not None
        from_id = self._int(request, "fromId")
        start, end = self._times(request, HOUR if self.cfg.futures else None)
        limit = self._limit(request, 500, 1000)
        rows: list[TradeRow] = list(sm.trades)
        if from_id is not None:
            rows = [r for r in rows if r[T_AGG] >= from_id]
        if start is not None:
            rows = [r for r in rows if r[T_TIME] >= start]
        if end is not None:
            rows = [r for r in rows if r[T_TIME] <= end]
        # From an id or a start time: the first ``limit`` after it; otherwise the most recent.
        rows = rows[:limit] if from_id is not None or start is not None else rows[-limit:]
        return json_response([payloads.rest_agg_trade(sm, r) for r in rows])

    # ------------------------------------------------------------------ futures marks
    async def premium_index(self, request: web.Request) -> web.Response:
        now = self.server.clock()
        one = self._symbol(request, required=False)
        if self.cfg.name == "coinm":
            pair = request.query.get("pair")
            sms = [one] if one is not None else list(self.server.model.symbols.values())
            if pair:
                sms = [sm for sm in sms if sm.spec.pair == pair]
            return json_response([payloads.premium_index(sm, now) for sm in sms])
        if one is not None:
            return json_response(payloads.premium_index(one, now))
        return json_response([payloads.premium_index(sm, now)
                      for sm in self.server.model.symbols.values()])

    async def funding_rate(self, request: web.Request) -> web.Response:
        """Settled rates at every 8 h boundary; the mark is the open of that 8 h candle."""
        coinm = self.cfg.name == "coinm"
        one = self._symbol(request, required=coinm)
        start, end = self._times(request, None)
        limit = self._limit(request, 100, 1000)
        sms = [one] if one is not None else list(self.server.model.symbols.values())
        out: list[dict[str, Any]] = []
        for sm in sms:
            key = f"{sm.seed}/{sm.cfg.name}/{sm.symbol}"
            for c in sm.klines("8h", limit, start, end):
                t = c[K_T]
                if t % EIGHT_HOURS:
                    continue
                d: dict[str, Any] = {"symbol": sm.symbol, "fundingTime": t,
                                     "fundingRate": funding_rate_at(key, t)}
                if not coinm:
                    d = {"symbol": sm.symbol, "fundingRate": d["fundingRate"],
                         "fundingTime": t, "markPrice": price8(c[K_O], sm.fmt.tick)}
                out.append(d)
        out.sort(key=lambda d: (d["fundingTime"], d["symbol"]))
        return json_response(out[:limit] if start is not None else out[-limit:])


__all__ = ["MarketDataHandlers", "market_weight"]
