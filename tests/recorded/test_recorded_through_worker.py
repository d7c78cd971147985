"""Recorded real Binance traffic through the market worker's own ingest path into the Store."""

from __future__ import annotations

import pytest
from recorded_data import http_records, ws_records

from tuimon.feeds.market import MarketFeed, Watch
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.protocol.parse import parse_depth_snapshot
from tuimon.store import Store

CAPTURES = [
    ("BINANCE.ws.1.0.txt", "BINANCE.http.0.0.txt", Market.SPOT),
    ("BINANCE_FUTURES.ws.1.0.txt", "BINANCE_FUTURES.http.0.0.txt", Market.USDM),
    ("BINANCE_DELIVERY.ws.1.0.txt", "BINANCE_DELIVERY.http.0.0.txt", Market.COINM),
]


@pytest.mark.parametrize(("ws_file", "http_file", "market"), CAPTURES)
async def test_recorded_capture_through_ingest(ws_file, http_file, market):
    snapshots = {r.url.split("symbol=")[1].split("&")[0]: r for r in http_records(http_file)}
    store = Store(market.value, futures=market.is_futures)
    feed = MarketFeed(store, resolve_endpoints(market, env={}))
    wanted: list[str] = []
    feed._want_snapshot = wanted.append  # REST comes from the capture, at its recorded time
    symbols = frozenset(snapshots)
    feed.watch = Watch(symbols, symbols, symbols, "1m")
    for symbol in symbols:
        store.book(symbol)
    applied_snapshots: set[str] = set()
    records = ws_records(ws_file)
    for record in records:
        for symbol, snap in snapshots.items():
            if symbol not in applied_snapshots and snap.received <= record.received:
                store.apply_snapshot(symbol, parse_depth_snapshot(snap.body))
                applied_snapshots.add(symbol)
        feed.ingest(market.value, record.raw)
    assert store.health.messages == len(records)
    assert store.health.bad_frames == 0
    assert set(wanted) <= symbols  # the worker asked for a snapshot of each buffering book
    synced = [s for s in applied_snapshots if store.books[s].synced]
    assert len(synced) >= 2
    for symbol in synced:
        sync = store.books[symbol]
        assert sync.stats.gaps == 0
        best_bid, best_ask = sync.book.best_bid(), sync.book.best_ask()
        assert best_bid is not None
        assert best_ask is not None
        assert best_bid[0] < best_ask[0]
    assert store.resyncs == 0
    klines = [series for series in store.klines.values() if series.candles]
    assert klines, "recorded kline_1m frames reached the store"
    latency = [r.latency_ms for r in store.health.routes.values()]
    assert all(value is not None for value in latency)
