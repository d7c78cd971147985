"""Payload shapes match real recorded Binance frames (shared/data/binance-recorded).

The recordings are 2021-era, so keys added since then (futures ``nq``) are allowed on top; spot
``@trade`` lost ``b``/``a`` in 2024 (§0), so it is compared against the reference example.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from sim_helpers import TIMEOUT, data, get_json, recv, running, ws_connect


def recorded_root() -> Path:
    env = os.environ.get("TUIMON_RECORDED_DATA")
    repo = Path(__file__).resolve().parents[2]
    for cand in ([Path(env)] if env else []) + [
            repo.parent / "shared" / "data" / "binance-recorded",
            repo / "shared" / "data" / "binance-recorded"]:
        if cand.is_dir():
            return cand
    pytest.skip("recorded Binance data not available")


def recorded_frames(name: str) -> list[dict[str, Any]]:
    out = []
    path = recorded_root() / "cryptofeed-sample-data" / name
    for line in path.read_text().splitlines():
        head, sep, body = line.partition(": ")
        if sep and body.startswith("{") and not head.startswith("configuration"):
            out.append(orjson.loads(body))
    return out


def recorded_shapes(name: str) -> dict[str, dict[str, Any]]:
    """First recorded payload per stream kind ("depth@100ms", "bookTicker", ...)."""
    shapes: dict[str, dict[str, Any]] = {}
    for frame in recorded_frames(name):
        if "stream" in frame:
            kind = frame["stream"].split("@", 1)[1]
            shapes.setdefault(kind, frame["data"])
    return shapes


def recorded_rest(name: str) -> dict[str, Any]:
    path = recorded_root() / "cryptofeed-sample-data" / name
    for line in path.read_text().splitlines():
        if " -> " in line and ": {" in line:
            return orjson.loads(line[line.index(": {") + 2:])
    raise AssertionError(f"no REST record in {name}")


async def sim_shapes(sim, route: str, symbol: str, kinds: list[str]) -> dict[str, Any]:
    names = "/".join(f"{symbol}@{k}" for k in kinds)
    got: dict[str, Any] = {}
    async with ws_connect(f"{sim.stream_url}{route}/stream?streams={names}") as ws:
        async def gather() -> None:
            while len(got) < len(kinds):
                frame = await recv(ws)
                got.setdefault(frame["stream"].split("@", 1)[1], data(frame))

        await asyncio.wait_for(gather(), TIMEOUT)
    return got


KINDS = ["depth@100ms", "bookTicker", "aggTrade", "kline_1m"]


async def test_spot_stream_shapes_match_recording():
    rec = recorded_shapes("BINANCE.ws.1.0.txt")
    async with running("spot") as sim:
        got = await sim_shapes(sim, "", "btcusdt", KINDS + ["trade"])
    for kind in KINDS:
        assert set(got[kind]) == set(rec[kind]), kind
    assert set(got["kline_1m"]["k"]) == set(rec["kline_1m"]["k"])
    assert set(got["trade"]) == {"e", "E", "s", "t", "p", "q", "T", "m", "M"}
    price = re.compile(r"^\d+\.\d{8}$")  # spot prints 8 decimals, like the recording
    assert price.match(got["bookTicker"]["b"]) and price.match(rec["bookTicker"]["b"])
    for kind in KINDS:  # same value types key by key
        for key, value in rec[kind].items():
            assert type(got[kind][key]) is type(value), (kind, key)


@pytest.mark.parametrize(("market", "route", "symbol", "file"), [
    ("usdm", "/public", "btcusdt", "BINANCE_FUTURES.ws.1.0.txt"),
    ("coinm", "", "btcusd_perp", "BINANCE_DELIVERY.ws.1.0.txt"),
])
async def test_futures_stream_shapes_match_recording(market, route, symbol, file):
    rec = recorded_shapes(file)
    async with running(market) as sim:
        got = await sim_shapes(sim, route, symbol, ["depth@100ms", "bookTicker"])
        market_route = "/market" if route else ""
        got.update(await sim_shapes(sim, market_route, symbol, ["aggTrade", "kline_1m"]))
    assert set(got["depth@100ms"]) == set(rec["depth@100ms"])
    assert set(got["bookTicker"]) == set(rec["bookTicker"])
    assert set(got["aggTrade"]) == set(rec["aggTrade"]) | {"nq"}  # nq added 2025-12-31
    assert set(got["kline_1m"]["k"]) == set(rec["kline_1m"]["k"])


@pytest.mark.parametrize(("market", "symbol", "file"), [
    ("spot", "BTCUSDT", "BINANCE.http.0.0.txt"),
    ("usdm", "BTCUSDT", "BINANCE_FUTURES.http.0.0.txt"),
    ("coinm", "BTCUSD_PERP", "BINANCE_DELIVERY.http.0.0.txt"),
])
async def test_depth_snapshot_shapes_match_recording(market, symbol, file, http):
    rec = recorded_rest(file)
    async with running(market) as sim:
        _, snap, _ = await get_json(http, f"{sim.rest_url}{sim.cfg.rest_prefix}/depth",
                                    symbol=symbol, limit=1000)
    assert set(snap) == set(rec)
    assert all(isinstance(x, str) for level in snap["bids"][:5] for x in level)


@pytest.mark.parametrize(("market", "file"), [
    ("usdm", "BINANCE_FUTURES.0.txt"),
    ("coinm", "BINANCE_DELIVERY.0.txt"),
])
async def test_futures_exchange_info_has_the_recorded_fields(market, file, http):
    rec = recorded_rest(file)
    async with running(market) as sim:
        _, info, _ = await get_json(http, f"{sim.rest_url}{sim.cfg.rest_prefix}/exchangeInfo")
    assert set(rec) <= set(info)
    assert set(rec["symbols"][0]) <= set(info["symbols"][0])
    rec_filters = {f["filterType"] for f in rec["symbols"][0]["filters"]}
    got_filters = {f["filterType"] for f in info["symbols"][0]["filters"]}
    assert rec_filters <= got_filters


async def test_spot_rest_klines_row_types(http):
    path = recorded_root() / "nautilus-trader" / "http_responses" / "http_spot_market_klines.json"
    rec = orjson.loads(path.read_bytes())[0]
    async with running("spot") as sim:
        _, rows, _ = await get_json(http, f"{sim.rest_url}/api/v3/klines", symbol="BTCUSDT",
                                    interval="1m", limit=3)
    assert [type(x) for x in rows[0]] == [type(x) for x in rec]
