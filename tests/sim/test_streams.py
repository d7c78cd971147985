"""Payloads of the other streams: partial depth, tickers, klines, trades, mark price (§4)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sim_helpers import TIMEOUT, collect, data, recv, recv_until, ws_connect

SPOT_TICKER_KEYS = {"e", "E", "s", "p", "P", "w", "x", "c", "Q", "b", "B", "a", "A", "o", "h",
                    "l", "v", "q", "O", "C", "F", "L", "n"}
MINI_KEYS = {"e", "E", "s", "c", "o", "h", "l", "v", "q"}


async def test_spot_partial_depth(spot):
    async with ws_connect(f"{spot.stream_url}/ws/btcusdt@depth5@100ms") as ws:
        snap = await recv(ws)
    assert set(snap) == {"lastUpdateId", "bids", "asks"}
    assert len(snap["bids"]) == 5 and len(snap["asks"]) == 5
    truth = spot.book_at("BTCUSDT", snap["lastUpdateId"])
    assert [tuple(x) for x in snap["bids"]] == list(truth.bids[:5])
    assert [tuple(x) for x in snap["asks"]] == list(truth.asks[:5])


async def test_futures_partial_depth_chains_like_diffs(usdm):
    async with ws_connect(f"{usdm.stream_url}/public/ws/ethusdt@depth10@100ms") as ws:
        frames = await collect(ws, lambda m: m.get("e") == "depthUpdate", 4)
    for prev, cur in zip(frames, frames[1:], strict=False):
        assert cur["pu"] == prev["u"]
    last = frames[-1]
    assert len(last["b"]) == 10 and len(last["a"]) == 10
    truth = usdm.book_at("ETHUSDT", last["u"])
    assert [tuple(x) for x in last["b"]] == list(truth.bids[:10])


async def test_spot_tickers(spot):
    url = f"{spot.stream_url}/ws/btcusdt@ticker/btcusdt@miniTicker"
    async with ws_connect(url) as ws:
        ticker = await recv_until(ws, lambda m: m.get("e") == "24hrTicker")
        mini = await recv_until(ws, lambda m: m.get("e") == "24hrMiniTicker")
    assert set(ticker) == SPOT_TICKER_KEYS and set(mini) == MINI_KEYS
    assert Decimal(ticker["l"]) <= Decimal(ticker["c"]) <= Decimal(ticker["h"])
    assert Decimal(ticker["b"]) < Decimal(ticker["a"])
    assert ticker["C"] - ticker["O"] == 86_400_000 and ticker["F"] <= ticker["L"]
    assert Decimal(ticker["p"]) == Decimal(ticker["c"]) - Decimal(ticker["o"])


async def test_futures_ticker_mark_price_and_all_market(usdm):
    url = (f"{usdm.stream_url}/market/stream?streams=btcusdt@ticker/btcusdt@markPrice@1s/"
           "!markPrice@arr@1s/!ticker@arr")
    got: dict[str, object] = {}
    async with ws_connect(url) as ws:
        async def gather() -> None:
            while len(got) < 4:
                frame = await recv(ws)
                got.setdefault(frame["stream"], frame["data"])

        await asyncio.wait_for(gather(), TIMEOUT)
    ticker = got["btcusdt@ticker"]
    assert set(ticker) == SPOT_TICKER_KEYS - {"x", "b", "B", "a", "A"}
    mark = got["btcusdt@markPrice@1s"]
    assert set(mark) == {"e", "E", "s", "p", "i", "P", "r", "ap", "T"}
    assert mark["e"] == "markPriceUpdate" and mark["T"] > mark["E"]
    assert len(mark["p"].split(".")[1]) == 8
    arr = got["!markPrice@arr@1s"]
    assert isinstance(arr, list) and len(arr) == len(usdm.symbols)
    assert all(t["e"] == "24hrTicker" for t in got["!ticker@arr"])


async def test_futures_all_book_ticker_on_public(usdm):
    async with ws_connect(f"{usdm.stream_url}/public/ws/!bookTicker") as ws:
        frames = await collect(ws, lambda m: m.get("e") == "bookTicker", len(usdm.symbols))
    assert {f["s"] for f in frames} == set(usdm.symbols)
    assert set(frames[0]) == {"e", "u", "E", "T", "s", "b", "B", "a", "A"}


async def test_kline_repeats_then_closes(spot):
    async with ws_connect(f"{spot.stream_url}/ws/solusdt@kline_1s") as ws:
        first = await recv(ws)
        frames = [first]

        async def until_next_candle() -> None:
            while frames[-1]["k"]["t"] == first["k"]["t"] or len(frames) < 2:
                frames.append(await recv(ws))

        await asyncio.wait_for(until_next_candle(), TIMEOUT)
    same = [f["k"] for f in frames if f["k"]["t"] == first["k"]["t"]]
    assert [k["x"] for k in same][-1] is True and not any(k["x"] for k in same[:-1])
    new = frames[-1]["k"]
    assert new["t"] == same[-1]["T"] + 1 and new["x"] is False
    assert same[-1]["i"] == "1s" and same[-1]["T"] - same[-1]["t"] == 999


async def test_trades_and_agg_trades_agree(spot):
    url = f"{spot.stream_url}/stream?streams=btcusdt@trade/btcusdt@aggTrade"
    async with ws_connect(url) as ws:
        frames = await collect(ws, lambda m: True, 60)
    trades = [data(f) for f in frames if f["stream"].endswith("@trade")]
    aggs = [data(f) for f in frames if f["stream"].endswith("@aggTrade")]
    assert trades and aggs
    by_id = {t["t"]: t for t in trades}
    for agg in aggs:
        parts = [by_id[i] for i in range(agg["f"], agg["l"] + 1) if i in by_id]
        if len(parts) == agg["l"] - agg["f"] + 1:
            assert all(p["p"] == agg["p"] and p["m"] == agg["m"] for p in parts)
            assert sum(Decimal(p["q"]) for p in parts) == Decimal(agg["q"])
    ids = [t["t"] for t in trades]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
