"""python-binance pointed at the simulator: the endpoints it calls answer like Binance (§6).

Issue 13 §6 started from this library getting HTML 404s; each call below is one it makes.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance import AsyncClient
from binance.exceptions import BinanceAPIException
from sim_helpers import running

from tuimon.sim.private import TEST_HMAC_API_KEY, TEST_HMAC_SECRET


def _client(rest_url: str, keys: bool = False) -> AsyncClient:
    client = (AsyncClient(TEST_HMAC_API_KEY, TEST_HMAC_SECRET) if keys else AsyncClient())
    client.API_URL = f"{rest_url}/api"
    client.FUTURES_URL = f"{rest_url}/fapi"
    client.FUTURES_COIN_URL = f"{rest_url}/dapi"
    return client


async def test_spot_calls():
    async with running("spot", symbols=["BTCUSDT", "ETHUSDT"], paused=True) as sim:
        await sim.advance(40)
        client = _client(sim.rest_url)
        try:
            assert await client.ping() == {}
            price = await client.get_symbol_ticker(symbol="BTCUSDT")
            assert Decimal(price["price"]) > 0
            assert len(await client.get_all_tickers()) == 2
            book = await client.get_orderbook_ticker(symbol="ETHUSDT")
            assert Decimal(book["bidPrice"]) < Decimal(book["askPrice"])
            avg = await client.get_avg_price(symbol="BTCUSDT")
            assert avg["mins"] == 5
            trades = await client.get_recent_trades(symbol="BTCUSDT", limit=10)
            assert len(trades) == 10
            aggs = await client.get_aggregate_trades(symbol="BTCUSDT", limit=10)
            again = await client.get_aggregate_trades(symbol="BTCUSDT", fromId=aggs[0]["a"],
                                                      limit=10)
            assert again == aggs
            with pytest.raises(BinanceAPIException) as err:  # JSON errors, parsed as such
                await client.get_symbol_ticker(symbol="NOPE")
            assert err.value.code == -1121 and err.value.status_code == 400
        finally:
            await client.close_connection()


async def test_usdm_calls():
    async with running("usdm", symbols=["BTCUSDT", "ETHUSDT"], paused=True) as sim:
        await sim.advance(40)
        client = _client(sim.rest_url, keys=True)
        try:
            mark = await client.futures_mark_price(symbol="BTCUSDT")
            assert mark["symbol"] == "BTCUSDT" and Decimal(mark["markPrice"]) > 0
            assert len(await client.futures_mark_price()) == 2
            rates = await client.futures_funding_rate(symbol="BTCUSDT", limit=3)
            assert len(rates) == 3
            aggs = await client.futures_aggregate_trades(symbol="BTCUSDT", limit=5)
            assert len(aggs) == 5 and "M" not in aggs[0]
            assert len(await client.futures_recent_trades(symbol="BTCUSDT", limit=5)) == 5
            assert (await client.futures_symbol_ticker(symbol="BTCUSDT"))["symbol"] == "BTCUSDT"
            assert "bidPrice" in await client.futures_orderbook_ticker(symbol="BTCUSDT")
            account = await client.futures_account()  # GET /fapi/v2/account, signed
            assert account["assets"][0]["asset"] == "USDT"
            assert {p["symbol"] for p in account["positions"]} >= {"BTCUSDT"}
            with pytest.raises(BinanceAPIException) as err:
                await client._request_futures_api("get", "noSuchPath")
            assert err.value.code == -5000 and err.value.status_code == 404
        finally:
            await client.close_connection()


async def test_coinm_calls():
    async with running("coinm", symbols=["BTCUSD_PERP"], paused=True) as sim:
        await sim.advance(40)
        client = _client(sim.rest_url)
        try:
            marks = await client.futures_coin_mark_price(symbol="BTCUSD_PERP")
            assert marks[0]["pair"] == "BTCUSD"
            assert len(await client.futures_coin_funding_rate(symbol="BTCUSD_PERP",
                                                              limit=2)) == 2
            aggs = await client.futures_coin_aggregate_trades(symbol="BTCUSD_PERP", limit=4)
            assert len(aggs) == 4
        finally:
            await client.close_connection()
