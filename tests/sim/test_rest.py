"""REST: weights and the weight header, 429/418 with Retry-After, error codes, payloads (§5, §7)."""

from __future__ import annotations

import pytest
from sim_helpers import get_json, recv_until, running, ws_connect

W = "X-MBX-USED-WEIGHT-1M"


class FakeClock:
    """Controllable epoch-ms clock: REST windows and bans follow it."""

    def __init__(self, start: int = 1_768_003_200_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now


async def used(http, url: str, **params) -> tuple[int, int, dict]:
    status, body, headers = await get_json(http, url, **params)
    return status, int(headers[W]), body


async def test_spot_weights_per_reference(http):
    async with running("spot") as sim:
        base = f"{sim.rest_url}/api/v3"
        steps = [
            ("/ping", {}, 1),
            ("/time", {}, 1),
            ("/depth", {"symbol": "BTCUSDT"}, 5),
            ("/depth", {"symbol": "BTCUSDT", "limit": 100}, 5),
            ("/depth", {"symbol": "BTCUSDT", "limit": 101}, 25),
            ("/depth", {"symbol": "BTCUSDT", "limit": 500}, 25),
            ("/depth", {"symbol": "BTCUSDT", "limit": 1000}, 50),
            ("/depth", {"symbol": "BTCUSDT", "limit": 5000}, 250),
            ("/exchangeInfo", {}, 20),
            ("/klines", {"symbol": "BTCUSDT", "interval": "1m"}, 2),
            ("/ticker/24hr", {"symbol": "BTCUSDT"}, 2),
            ("/ticker/24hr", {}, 80),
        ]
        total = 0
        for path, params, weight in steps:
            status, header, _ = await used(http, base + path, **params)
            total += weight
            assert status == 200 and header == total, (path, params)


async def test_usdm_weights_and_depth_limits(http):
    async with running("usdm") as sim:
        base = f"{sim.rest_url}/fapi/v1"
        total = 0
        for limit, weight in ((5, 2), (10, 2), (20, 2), (50, 2), (100, 5), (500, 10),
                              (1000, 20)):
            status, header, body = await used(http, base + "/depth", symbol="BTCUSDT",
                                              limit=limit)
            total += weight
            assert status == 200 and header == total
            assert len(body["bids"]) == min(limit, len(sim.model.symbols["BTCUSDT"].bids))
        status, header, body = await used(http, base + "/depth", symbol="BTCUSDT")
        total += 10  # default 500
        assert header == total and len(body["asks"]) > 100
        status, _, body = await used(http, base + "/depth", symbol="BTCUSDT", limit=7)
        assert status == 400 and body["code"] == -4021
        status, header2, _ = await used(http, base + "/exchangeInfo")
        assert status == 200 and header2 - header == 1 + 5  # the refused limit=7 cost 5


async def test_header_on_errors_and_404(spot, http):
    async with http.get(f"{spot.rest_url}/api/v3/nope") as resp:
        assert resp.status == 404 and W in resp.headers
    status, body, headers = await get_json(http, f"{spot.rest_url}/api/v3/depth",
                                           symbol="NOPEUSDT")
    assert status == 400 and body == {"code": -1121, "msg": "Invalid symbol."}
    assert W in headers


@pytest.mark.parametrize(("path", "params", "code"), [
    ("/depth", {}, -1102),
    ("/depth", {"symbol": "btcusdt"}, -1121),
    ("/depth", {"symbol": "BTCUSDT", "limit": "abc"}, -1100),
    ("/klines", {"symbol": "BTCUSDT"}, -1102),
    ("/klines", {"symbol": "BTCUSDT", "interval": "7m"}, -1120),
    ("/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": 1001}, -1130),
    ("/klines", {"symbol": "BTCUSDT", "interval": "1m", "startTime": 5, "endTime": 4}, -1023),
    ("/exchangeInfo", {"symbol": "NOPE"}, -1121),
    ("/exchangeInfo", {"symbols": "not-json"}, -1100),
    ("/ticker/24hr", {"symbol": "NOPE"}, -1121),
])
async def test_error_codes(spot, http, path, params, code):
    status, body, _ = await get_json(http, f"{spot.rest_url}/api/v3{path}", **params)
    assert status == 400
    assert body["code"] == code and isinstance(body["msg"], str)


async def test_429_then_418_with_retry_after(http):
    clock = FakeClock()
    async with running("spot", weight_limit=30, ban_after_429s=2, ban_seconds=120,
                       clock=clock) as sim:
        url = f"{sim.rest_url}/api/v3/depth"
        for i in range(6):  # 6 x 5 = 30 = the limit
            status, header, _ = await used(http, url, symbol="BTCUSDT")
            assert status == 200 and header == 5 * (i + 1)
        clock.now += 10_000  # 10 s into the minute: 50 s left
        status, body, headers = await get_json(http, url, symbol="BTCUSDT")
        assert status == 429 and body["code"] == -1003
        assert body["msg"].startswith("Too much request weight used")
        assert headers["Retry-After"] == "50" and headers[W] == "30"
        # ignoring Retry-After: one more 429, then the ban
        status, _, _ = await get_json(http, url, symbol="BTCUSDT")
        assert status == 429
        status, body, headers = await get_json(http, url, symbol="BTCUSDT")
        assert status == 418 and body["code"] == -1003 and "banned" in body["msg"]
        assert headers["Retry-After"] == "120"
        clock.now += 60_000  # next window, still banned
        status, _, headers = await get_json(http, f"{sim.rest_url}/api/v3/ping")
        assert status == 418 and headers["Retry-After"] == "60"
        clock.now += 61_000  # ban over, fresh window
        status, header, _ = await used(http, f"{sim.rest_url}/api/v3/ping")
        assert status == 200 and header == 1
        assert sim.stats.rest_429 == 2 and sim.stats.rest_418 == 2


async def test_weight_window_resets_each_minute(http):
    clock = FakeClock(1_768_003_230_000)  # 30 s into a minute
    async with running("usdm", weight_limit=3, clock=clock) as sim:
        url = f"{sim.rest_url}/fapi/v1/ping"
        for _ in range(3):
            assert (await used(http, url))[0] == 200
        status, _, headers = await get_json(http, url)
        assert status == 429 and headers["Retry-After"] == "30"
        clock.now += 30_000
        status, header, _ = await used(http, url)
        assert status == 200 and header == 1


async def test_exchange_info_spot(spot, http):
    status, body, _ = await get_json(http, f"{spot.rest_url}/api/v3/exchangeInfo")
    assert status == 200
    assert {"timezone", "serverTime", "rateLimits", "exchangeFilters", "symbols"} <= set(body)
    assert body["rateLimits"][0] == {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                     "intervalNum": 1, "limit": 6000}
    assert len(body["symbols"]) >= 24
    btc = next(s for s in body["symbols"] if s["symbol"] == "BTCUSDT")
    assert btc["status"] == "TRADING" and btc["baseAsset"] == "BTC"
    assert btc["quoteAsset"] == "USDT" and btc["baseAssetPrecision"] == 8
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001000"
    status, body, _ = await get_json(http, f"{spot.rest_url}/api/v3/exchangeInfo",
                                     symbols='["ETHUSDT","BTCUSDT"]')
    assert [s["symbol"] for s in body["symbols"]] == ["ETHUSDT", "BTCUSDT"]
    status, body, _ = await get_json(http, f"{spot.rest_url}/api/v3/exchangeInfo",
                                     symbol="XRPUSDT")
    assert [s["symbol"] for s in body["symbols"]] == ["XRPUSDT"]


async def test_exchange_info_futures(usdm, coinm, http):
    status, body, _ = await get_json(http, f"{usdm.rest_url}/fapi/v1/exchangeInfo")
    assert body["rateLimits"][0]["limit"] == 2400 and body["futuresType"] == "U_MARGINED"
    btc = next(s for s in body["symbols"] if s["symbol"] == "BTCUSDT")
    assert btc["contractType"] == "PERPETUAL" and btc["pricePrecision"] == 2
    assert btc["quantityPrecision"] == 3 and btc["status"] == "TRADING"
    assert {f["filterType"]: f for f in btc["filters"]}["PRICE_FILTER"]["tickSize"] == "0.10"
    status, body, _ = await get_json(http, f"{coinm.rest_url}/dapi/v1/exchangeInfo")
    perp = next(s for s in body["symbols"] if s["symbol"] == "BTCUSD_PERP")
    assert perp["contractStatus"] == "TRADING" and perp["contractSize"] == 100
    status, snap, _ = await get_json(http, f"{coinm.rest_url}/dapi/v1/depth",
                                     symbol="BTCUSD_PERP", limit=5)
    assert snap["symbol"] == "BTCUSD_PERP" and snap["pair"] == "BTCUSD"


async def test_klines_join_the_stream(spot, http):
    async with ws_connect(f"{spot.stream_url}/ws/ethusdt@kline_1s") as ws:
        final = await recv_until(ws, lambda m: m["k"]["x"])
    k = final["k"]
    status, rows, _ = await get_json(http, f"{spot.rest_url}/api/v3/klines", symbol="ETHUSDT",
                                     interval="1s", startTime=k["t"], limit=2)
    assert status == 200
    row = rows[0]
    assert row == [k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["T"], k["q"], k["n"],
                   k["V"], k["Q"], "0"]
    assert rows[1][0] == k["T"] + 1


async def test_klines_history_and_time_filters(usdm, http):
    url = f"{usdm.rest_url}/fapi/v1/klines"
    status, rows, headers = await get_json(http, url, symbol="BTCUSDT", interval="1h",
                                           limit=1500)
    assert status == 200 and len(rows) == 1500 and int(headers[W]) == 10
    opens = [r[0] for r in rows]
    assert opens == sorted(opens) and all(b - a == 3_600_000 for a, b in zip(opens, opens[1:],
                                                                             strict=False))
    mid = opens[700]
    _, after, _ = await get_json(http, url, symbol="BTCUSDT", interval="1h", startTime=mid,
                                 limit=3)
    assert [r[0] for r in after] == opens[700:703]
    _, before, _ = await get_json(http, url, symbol="BTCUSDT", interval="1h", endTime=mid,
                                  limit=3)
    assert [r[0] for r in before] == opens[698:701]
    status, body, _ = await get_json(http, url, symbol="BTCUSDT", interval="1s")
    assert status == 400 and body["code"] == -1120  # futures have no 1s candles


async def test_ticker_24hr_shapes(spot, usdm, http):
    _, t, _ = await get_json(http, f"{spot.rest_url}/api/v3/ticker/24hr", symbol="BTCUSDT")
    assert {"symbol", "priceChange", "priceChangePercent", "weightedAvgPrice",
            "prevClosePrice", "lastPrice", "lastQty", "bidPrice", "bidQty", "askPrice",
            "askQty", "openPrice", "highPrice", "lowPrice", "volume", "quoteVolume",
            "openTime", "closeTime", "firstId", "lastId", "count"} == set(t)
    assert float(t["lowPrice"]) <= float(t["lastPrice"]) <= float(t["highPrice"])
    _, many, _ = await get_json(http, f"{spot.rest_url}/api/v3/ticker/24hr",
                                symbols='["BTCUSDT","ETHUSDT"]')
    assert [x["symbol"] for x in many] == ["BTCUSDT", "ETHUSDT"]
    _, ft, _ = await get_json(http, f"{usdm.rest_url}/fapi/v1/ticker/24hr", symbol="BTCUSDT")
    assert "bidPrice" not in ft and "prevClosePrice" not in ft
    _, all_ft, _ = await get_json(http, f"{usdm.rest_url}/fapi/v1/ticker/24hr")
    assert len(all_ft) == len(usdm.symbols)


async def test_time_and_ping(spot, http):
    _, body, _ = await get_json(http, f"{spot.rest_url}/api/v3/time")
    assert abs(body["serverTime"] - spot.clock()) < 5_000
    _, body, _ = await get_json(http, f"{spot.rest_url}/api/v3/ping")
    assert body == {}
