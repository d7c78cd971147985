"""Issue 13 §5: the market worker streams ``!miniTicker@arr`` only while asked, into the Store.

Against the simulator: the subscription appears and disappears on the server's own index, the
rows land in ``store.market_tickers`` (typed MiniTickers) with the market topic marked, and the
REST seed fills every symbol at once.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from feed_helpers import WAIT, running_feed

from tuimon.protocol.models import MiniTicker
from tuimon.protocol.streams import ALL_MINI_TICKERS
from tuimon.store import topics

SYMBOLS = ["BTCUSDT", "ETHUSDT"]


@pytest.mark.parametrize("market", ["spot", "usdm"])
async def test_all_market_tickers_follow_the_watch(market):
    async with running_feed(market, SYMBOLS) as (sim, store, feed):
        assert ALL_MINI_TICKERS not in feed.streams_for(feed.watch)
        assert await feed.load_market_tickers() == len(sim.symbols)
        assert set(store.market_tickers) == set(sim.symbols)  # every row, before any frame
        assert topics.MARKET in store.take_dirty()
        seeded = dict(store.market_tickers)
        feed.set_watch(replace(feed.watch, all_tickers=True))
        assert ALL_MINI_TICKERS in feed.streams_for(feed.watch)
        assert await store.wait_until(lambda s: bool(sim.subscribers.get(ALL_MINI_TICKERS)),
                                      WAIT)
        # Live frames replace the seeded rows (a newer event time than the REST close time).
        assert await store.wait_until(
            lambda s: any(t is not seeded[n] for n, t in s.market_tickers.items()), WAIT
        )
        assert all(isinstance(t, MiniTicker) for t in store.market_tickers.values())
        if market == "usdm":  # a /market stream (reference §1.2)
            home = feed._stream_home[ALL_MINI_TICKERS]
            assert home[0].value == "market"
        feed.set_watch(replace(feed.watch, all_tickers=False))
        assert await store.wait_until(lambda s: not sim.subscribers.get(ALL_MINI_TICKERS),
                                      WAIT)
        assert sim.stats.control_errors == 0


def test_unknown_symbols_in_the_array_are_dropped():
    from decimal import Decimal

    from tuimon.protocol.models import SymbolInfo
    from tuimon.store import Store

    store = Store("usdm", futures=True)
    one = Decimal(1)
    store.set_symbols({"BTCUSDT": SymbolInfo("BTCUSDT", "TRADING", "BTC", "USDT", one, one)})
    row = MiniTicker("BTCUSDT", 5, one, one, one, one, one, one)
    # After the CM migration the USDⓈ-M array may carry COIN-M contracts (reference §1.3).
    store.apply_market_tickers([row, replace(row, symbol="BTCUSD_PERP")])
    assert list(store.market_tickers) == ["BTCUSDT"]
    store.apply_market_tickers([replace(row, event_time=4, close=Decimal(2))])
    assert store.market_tickers["BTCUSDT"] is row  # an older frame never wins
