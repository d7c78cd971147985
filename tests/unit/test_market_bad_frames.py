"""The market worker's ingest: a hostile frame is counted and logged once per kind; the feed
carries on and later good frames still apply (issue 12 §2, worker side)."""

from __future__ import annotations

import logging
from decimal import Decimal

import orjson

from tuimon.clock import FrozenClock
from tuimon.feeds.market import MarketFeed
from tuimon.feeds.proxy import ProxyRules
from tuimon.feeds.rest import RestClient
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.protocol.models import DepthSnapshot
from tuimon.store import Store

ROUTE = "spot"


def diff(first, last, bids):
    return orjson.dumps({"stream": "btcusdt@depth@100ms", "data": {
        "e": "depthUpdate", "E": 1, "s": "BTCUSDT", "U": first, "u": last, "b": bids, "a": []}})


def ticker(close):
    return orjson.dumps({"stream": "btcusdt@miniTicker", "data": {
        "e": "24hrMiniTicker", "E": 1, "s": "BTCUSDT", "c": close, "o": "100", "h": "120",
        "l": "90", "v": "5", "q": "500"}})


def make_feed():
    endpoints = resolve_endpoints(Market.SPOT, env={})
    store = Store("spot", futures=False, clock=FrozenClock())
    proxies = ProxyRules.direct()
    feed = MarketFeed(store, endpoints, rest=RestClient(endpoints, proxies=proxies),
                      clock=store.clock, proxies=proxies)
    store.book("BTCUSDT")
    one = Decimal(1)
    snapshot = DepthSnapshot(10, ((Decimal(100), one),), ((Decimal(101), one),))
    store.apply_snapshot("BTCUSDT", snapshot)
    return store, feed


def test_hostile_frames_are_counted_logged_once_per_kind_and_never_stop_the_feed(caplog):
    caplog.set_level(logging.WARNING, logger="tuimon.feeds.market")
    store, feed = make_feed()
    feed.ingest(ROUTE, diff(11, 11, [["99", "2"]]))
    hostile = [
        diff(12, 12, [["1e999999", "1"]]),
        diff(12, 12, [["1_000", "1"]]),
        diff(12, 12, [["99", "１"]]),
        diff(12, 12, [["", ""]]),
        ticker("1e999999"),
        ticker(" 110"),
        b'{"result":null,"id":true}',
        b'{"result":null,"id":1e30}',
        b"not json",
        b"{]",
    ]
    for raw in hostile:
        assert feed.ingest(ROUTE, raw) is None
    assert store.health.bad_frames == len(hostile)
    assert feed.bad_frames.count == len(hostile)
    assert feed.bad_frames.kinds == {"b: bad decimal", "c: bad decimal", "control reply id",
                                     "invalid JSON"}
    logged = [r.getMessage() for r in caplog.records if "bad frame" in r.getMessage()]
    assert len(logged) == 4
    # The feed goes on: the next diff applies on top of the last good one; the ticker too.
    feed.ingest(ROUTE, diff(12, 13, [["98", "3"]]))
    feed.ingest(ROUTE, ticker("110"))
    book = store.books["BTCUSDT"]
    assert book.synced and book.last_update_id == 13
    assert book.book.bids() == [(100, 1), (99, 2), (98, 3)]
    assert store.tickers["BTCUSDT"].close == Decimal("110")
    # A thousand more of a logged kind add nothing to the log.
    for n in range(1000):
        feed.ingest(ROUTE, diff(14, 14, [[f"{n}e{n}", "1"]]))
    assert store.health.bad_frames == len(hostile) + 1000
    assert len([r for r in caplog.records if "bad frame" in r.getMessage()]) == 4
