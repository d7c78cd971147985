"""Issue 13 §6: the REST endpoints client libraries call, their weights, parameter errors as
Binance codes, JSON (never HTML) for unknown paths, and trades/marks/liquidations that agree
with the simulator's own book.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sim_helpers import data, get_json, recv_until, running, ws_connect

from tuimon.sim.markets import market_config
from tuimon.sim.model import MarketModel
from tuimon.sim.payloads import mark_price_dict

W = "X-MBX-USED-WEIGHT-1M"
START = 1_768_003_200_000
AGG_KEYS_SPOT = ["a", "p", "q", "f", "l", "T", "m", "M"]
AGG_KEYS_FUT = ["a", "p", "q", "f", "l", "T", "m"]


async def _weights(http, base: str, steps) -> None:
    total = 0
    for path, params, weight in steps:
        status, body, headers = await get_json(http, base + path, **params)
        total += weight
        assert status == 200, (path, body)
        assert int(headers[W]) == total, (path, params, int(headers[W]) - total)


async def test_spot_shapes_and_weights(http):
    async with running("spot", symbols=["BTCUSDT", "ETHUSDT"], paused=True) as sim:
        await sim.advance(40)
        base = f"{sim.rest_url}/api/v3"
        await _weights(http, base, [
            ("/ticker/price", {"symbol": "BTCUSDT"}, 2),
            ("/ticker/price", {}, 4),
            ("/ticker/price", {"symbols": '["BTCUSDT","ETHUSDT"]'}, 4),
            ("/ticker/bookTicker", {"symbol": "BTCUSDT"}, 2),
            ("/ticker/bookTicker", {}, 4),
            ("/avgPrice", {"symbol": "BTCUSDT"}, 2),
            ("/trades", {"symbol": "BTCUSDT"}, 25),
            ("/aggTrades", {"symbol": "BTCUSDT"}, 4),
        ])
        _, price, _ = await get_json(http, base + "/ticker/price", symbol="BTCUSDT")
        sm = sim.model.symbols["BTCUSDT"]
        assert price == {"symbol": "BTCUSDT", "price": sm.fmt.price(sm.last_price)}
        _, prices, _ = await get_json(http, base + "/ticker/price",
                                      symbols='["ETHUSDT","BTCUSDT"]')
        assert [p["symbol"] for p in prices] == ["ETHUSDT", "BTCUSDT"]
        _, book, _ = await get_json(http, base + "/ticker/bookTicker", symbol="BTCUSDT")
        assert list(book) == ["symbol", "bidPrice", "bidQty", "askPrice", "askQty"]
        assert book["bidPrice"] == sm.fmt.price(sm.top[0])
        assert book["askPrice"] == sm.fmt.price(sm.top[2])
        _, avg, _ = await get_json(http, base + "/avgPrice", symbol="BTCUSDT")
        assert list(avg) == ["mins", "price", "closeTime"] and avg["mins"] == 5
        assert len(avg["price"].split(".")[1]) == 8  # spot prints 8 decimals
        _, trades, _ = await get_json(http, base + "/trades", symbol="BTCUSDT", limit=7)
        assert len(trades) == 7
        assert list(trades[0]) == ["id", "price", "qty", "quoteQty", "time", "isBuyerMaker",
                                   "isBestMatch"]
        ids = [t["id"] for t in trades]
        assert ids == list(range(ids[0], ids[0] + 7))
        assert ids[-1] == sm.trade_id - 1  # the most recent trades
        for t in trades:  # quoteQty = price * qty, exact at 8 decimals
            assert Decimal(t["quoteQty"]) == (Decimal(t["price"]) * Decimal(t["qty"])
                                              ).quantize(Decimal("1E-8"), rounding="ROUND_DOWN")
        _, aggs, _ = await get_json(http, base + "/aggTrades", symbol="BTCUSDT", limit=5)
        assert len(aggs) == 5 and all(list(a) == AGG_KEYS_SPOT for a in aggs)
        assert aggs[-1]["a"] == sm.agg_id - 1


@pytest.mark.parametrize("market", ["usdm", "coinm"])
async def test_futures_shapes_and_weights(http, market):
    async with running(market, paused=True) as sim:
        await sim.advance(40)
        sym = next(iter(sim.model.symbols))
        base = f"{sim.rest_url}{sim.cfg.rest_prefix}"
        one = 1 if market == "usdm" else 10
        await _weights(http, base, [
            ("/premiumIndex", {"symbol": sym}, one),
            ("/premiumIndex", {}, 10),
            ("/fundingRate", {"symbol": sym}, 1),
            ("/aggTrades", {"symbol": sym}, 20),
            ("/trades", {"symbol": sym}, 5),
            ("/ticker/price", {"symbol": sym}, 1),
            ("/ticker/bookTicker", {"symbol": sym}, 2),
        ])
        _, prem, _ = await get_json(http, base + "/premiumIndex", symbol=sym)
        keys = ["symbol", "markPrice", "indexPrice", "estimatedSettlePrice", "lastFundingRate",
                "interestRate", "nextFundingTime", "time"]
        if market == "coinm":  # always a list, with the pair
            assert isinstance(prem, list) and len(prem) == 1
            prem = prem[0]
            keys.insert(1, "pair")
        assert list(prem) == keys
        assert prem["nextFundingTime"] % (8 * 3600 * 1000) == 0
        assert prem["nextFundingTime"] > prem["time"]
        sm = sim.model.symbols[sym]
        bid, ask = sm.fmt.price_decimal(sm.top[0]), sm.fmt.price_decimal(sm.top[2])
        assert bid <= Decimal(prem["markPrice"]) <= ask  # the mark stays at the touch
        _, allp, _ = await get_json(http, base + "/premiumIndex")
        assert {p["symbol"] for p in allp} == set(sim.model.symbols)
        _, funding, _ = await get_json(http, base + "/fundingRate", symbol=sym, limit=5)
        assert len(funding) == 5
        times = [f["fundingTime"] for f in funding]
        assert times == sorted(times) and all(t % (8 * 3600 * 1000) == 0 for t in times)
        assert times[-1] <= sim.clock() < times[-1] + 8 * 3600 * 1000
        expect = (["symbol", "fundingRate", "fundingTime", "markPrice"] if market == "usdm"
                  else ["symbol", "fundingTime", "fundingRate"])
        assert list(funding[0]) == expect
        _, aggs, _ = await get_json(http, base + "/aggTrades", symbol=sym, limit=3)
        assert len(aggs) == 3 and all(list(a) == AGG_KEYS_FUT for a in aggs)
        _, trades, _ = await get_json(http, base + "/trades", symbol=sym, limit=3)
        qty_key = "quoteQty" if market == "usdm" else "baseQty"
        assert list(trades[0]) == ["id", "price", "qty", qty_key, "time", "isBuyerMaker"]


async def test_agg_trades_parameters(http):
    async with running("spot", symbols=["BTCUSDT"], paused=True) as sim:
        await sim.advance(200)
        base = f"{sim.rest_url}/api/v3/aggTrades"
        sm = sim.model.symbols["BTCUSDT"]
        kept = list(sm.trades)
        assert len(kept) > 20
        first = kept[5][0]
        _, rows, _ = await get_json(http, base, symbol="BTCUSDT", fromId=first, limit=4)
        assert [r["a"] for r in rows] == [first, first + 1, first + 2, first + 3]
        t0 = kept[10][5]
        t1 = kept[-5][5]
        _, rows, _ = await get_json(http, base, symbol="BTCUSDT", startTime=t0, endTime=t1)
        assert rows and all(t0 <= r["T"] <= t1 for r in rows)
        assert rows[0]["a"] == next(r[0] for r in kept if r[5] >= t0)
        _, rows, _ = await get_json(http, base, symbol="BTCUSDT", startTime=t0, limit=2)
        assert len(rows) == 2 and rows[0]["T"] >= t0
        _, rows, _ = await get_json(http, base, symbol="BTCUSDT", fromId=sm.agg_id + 10)
        assert rows == []
        _, rows, _ = await get_json(http, base, symbol="BTCUSDT")
        assert len(rows) == min(500, len(kept)) and rows[-1]["a"] == sm.agg_id - 1


@pytest.mark.parametrize(("market", "path", "params", "code"), [
    ("spot", "/aggTrades", {}, -1102),
    ("spot", "/aggTrades", {"symbol": "NOPE"}, -1121),
    ("spot", "/aggTrades", {"symbol": "BTCUSDT", "limit": 1001}, -1130),
    ("spot", "/aggTrades", {"symbol": "BTCUSDT", "limit": 0}, -1130),
    ("spot", "/aggTrades", {"symbol": "BTCUSDT", "fromId": "-1"}, -1100),
    ("spot", "/aggTrades", {"symbol": "BTCUSDT", "startTime": "x"}, -1100),
    ("spot", "/trades", {"symbol": "BTCUSDT", "limit": 5000}, -1130),
    ("spot", "/avgPrice", {}, -1102),
    ("spot", "/ticker/price", {"symbol": "NOPE"}, -1121),
    ("spot", "/ticker/price", {"symbols": "BTCUSDT"}, -1100),
    ("spot", "/ticker/bookTicker", {"symbol": "BTCUSDT", "symbols": '["BTCUSDT"]'}, -1128),
    ("usdm", "/aggTrades", {"symbol": "BTCUSDT", "startTime": START,
                            "endTime": START + 3600 * 1000 + 1}, -1127),
    ("usdm", "/aggTrades", {"symbol": "BTCUSDT", "startTime": START + 1,
                            "endTime": START}, -1023),
    ("usdm", "/premiumIndex", {"symbol": "NOPE"}, -1121),
    ("usdm", "/fundingRate", {"symbol": "BTCUSDT", "limit": 1001}, -1130),
    ("coinm", "/fundingRate", {}, -1102),
])
async def test_parameter_errors_are_binance_codes(http, market, path, params, code):
    async with running(market, symbols=None) as sim:
        url = f"{sim.rest_url}{sim.cfg.rest_prefix}{path}"
        status, body, headers = await get_json(http, url, **params)
        assert status == 400 and body["code"] == code and isinstance(body["msg"], str)
        assert W in headers


@pytest.mark.parametrize("market", ["spot", "usdm", "coinm"])
async def test_unknown_paths_answer_json_not_html(http, market):
    async with running(market) as sim:
        p = sim.cfg.rest_prefix
        for method, path in (("GET", f"{p}/nope"), ("GET", "/nope"), ("POST", f"{p}/depth"),
                             ("DELETE", f"{p}/ticker/price"), ("GET", "/_sim/nope")):
            async with http.request(method, sim.rest_url + path) as resp:
                assert resp.status == 404, (method, path)
                assert resp.content_type == "application/json"
                body = await resp.json()
            assert body == {"code": -5000, "msg": f"Path {path}, Method {method} is invalid"}
        async with http.get(f"{sim.rest_url}{p}/nope") as resp:
            assert W in resp.headers  # REST paths are weight-accounted even when unknown
        async with http.get(f"{sim.rest_url}/ws") as resp:  # a stream path without upgrade
            assert resp.status == 400 and resp.content_type == "application/json"
            assert (await resp.json())["code"] == -1000


@pytest.mark.parametrize("market", ["spot", "usdm", "coinm"])
def test_trades_happen_at_prices_the_book_had(market):
    m = MarketModel(market_config(market), 11, None, START, 4000)
    now = START
    checked = 0
    for _ in range(300):
        now += 50
        m.step(now)
        for sm in m.symbols.values():
            for agg in sm.step_trades:
                before = sm.book_at(agg.update_id - 1)
                side = before.bids if agg.buyer_maker else before.asks
                levels = {p: q for p, q in side}
                price = sm.fmt.price(agg.price)
                assert price in levels, (sm.symbol, price)
                assert Decimal(levels[price]) >= Decimal(sm.fmt.qty(agg.qty))
                # A taker sells into the best bids / buys the best asks: no better level skipped.
                best = Decimal(side[0][0])
                assert (Decimal(price) <= best) if agg.buyer_maker else (Decimal(price) >= best)
                checked += 1
    assert checked > 200


@pytest.mark.parametrize("market", ["usdm", "coinm"])
def test_mark_stays_at_the_touch_and_funding_moves(market):
    m = MarketModel(market_config(market), 7, None, START, 100)
    now = START
    rates: set[str] = set()
    for i in range(2000):
        now += 50
        m.step(now)
        if i % 50:
            continue
        for sm in m.symbols.values():
            d = mark_price_dict(sm, now)
            bid, ask = sm.fmt.price_decimal(sm.top[0]), sm.fmt.price_decimal(sm.top[2])
            mark, index = Decimal(d["p"]), Decimal(d["i"])
            assert bid <= mark <= ask
            assert abs(index - mark) / mark < Decimal("0.01")
            assert abs(Decimal(d["r"])) <= Decimal("0.003")
            assert d["T"] > now
            rates.add(d["r"])
    assert len(rates) > 5  # not a constant


def test_liquidations_walk_the_book():
    m = MarketModel(market_config("usdm"), 7, None, START, 4000)
    now = START
    seen = 0
    for _ in range(2400):
        now += 50
        m.step(now)
        for sm in m.symbols.values():
            marks = sm.marks
            assert marks is not None
            liq = marks.liquidation
            if liq is None or liq.time != now:
                continue
            seen += 1
            # Its fills are this step's last aggTrades: same side, total = filled.
            buyer_maker = liq.side == "SELL"
            fills = [a for a in sm.step_trades if a.buyer_maker == buyer_maker]
            assert sum(a.qty for a in fills) >= liq.filled > 0
            prices = [a.price for a in fills[-8:]]
            if liq.side == "SELL":
                assert min(prices) >= liq.price  # never below the order's limit
            else:
                assert max(prices) <= liq.price
    assert seen >= 10


async def test_force_order_streams_follow_the_market_route(http):
    async with running("usdm", symbols=["BTCUSDT", "ETHUSDT"]) as sim:
        market = f"{sim.stream_url}/market/stream?streams=btcusdt@forceOrder/!forceOrder@arr"
        public = f"{sim.stream_url}/public/ws/btcusdt@forceOrder"
        async with ws_connect(market) as ws, ws_connect(public) as silent:
            sm = sim.model.symbols["BTCUSDT"]
            sm.marks.liquidate()
            got = {}
            while len(got) < 2:
                msg = await recv_until(ws, lambda m: "stream" in m)
                got[msg["stream"]] = data(msg)
            assert got["btcusdt@forceOrder"] == got["!forceOrder@arr"]
            o = got["btcusdt@forceOrder"]["o"]
            assert list(o) == ["s", "S", "o", "f", "q", "p", "ap", "X", "l", "z", "T"]
            liq = sm.marks.liquidation
            assert o["s"] == "BTCUSDT" and o["S"] == liq.side and o["f"] == "IOC"
            assert o["z"] == sm.fmt.qty(liq.filled)
            # /public accepts the name but never delivers it (§1.2).
            with pytest.raises(TimeoutError):
                await recv_until(silent, lambda m: True, wait=0.3)



@pytest.mark.parametrize("market", ["spot", "usdm"])
async def test_rest_agg_trades_and_the_stream_continue_one_another(http, market):
    """A tape seeded from REST then fed by @aggTrade sees no gap in ``a`` (a gap means a
    reconnect); the stream may repeat the newest REST ids (futures batch every 100 ms)."""
    async with running(market, symbols=["BTCUSDT"]) as sim:
        route = "/market" if market == "usdm" else ""
        url = f"{sim.stream_url}{route}/ws/btcusdt@aggTrade"
        async with ws_connect(url) as ws:
            await recv_until(ws, lambda m: m.get("e") == "aggTrade")  # trades exist now
            _, rows, _ = await get_json(http, f"{sim.rest_url}{sim.cfg.rest_prefix}/aggTrades",
                                        symbol="BTCUSDT", limit=20)
            last = rows[-1]["a"]
            assert [r["a"] for r in rows] == list(range(rows[0]["a"], last + 1))
            frames = []
            while len(frames) < 10:
                frames.append(await recv_until(ws, lambda m: m.get("e") == "aggTrade"))
        ids = [f["a"] for f in frames if f["a"] > last]
        assert ids and ids[0] == last + 1
        assert ids == list(range(last + 1, last + 1 + len(ids)))


async def test_demo_autoplay_is_a_no_op_on_coinm():
    """COIN-M has no private side: autoplay there used to raise in its task, and stop()
    re-raised it (``tuimon --demo --market coinm`` exited 1 on q)."""
    async with running("coinm", symbols=["BTCUSD_PERP"]) as sim:
        sim.private.start_autoplay(0.01)
        assert sim.private._autoplay is None
