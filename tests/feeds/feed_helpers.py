"""Run the real market worker against the in-process simulator (helpers for tests/feeds).

A plain module, not conftest.py: several test folders have a conftest, and ``from conftest
import`` resolves to whichever was imported first.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

from tuimon.feeds.connection import ConnectionConfig
from tuimon.feeds.market import FeedConfig, MarketFeed, Watch
from tuimon.feeds.rest import RestClient
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.sim import SimServer
from tuimon.store import Store

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
WAIT = 20.0  # generous ceiling for event waits; tests finish as soon as the event happens


@contextlib.asynccontextmanager
async def running_feed(
    market: str,
    symbols: list[str] = SYMBOLS,
    *,
    silence_timeout: float = 15.0,
    seed: int = 7,
    max_streams: int = 1024,
    before: Callable[[SimServer], object] | None = None,
    **sim_options: object,
) -> AsyncIterator[tuple[SimServer, Store, MarketFeed]]:
    """Simulator + store + market worker watching ``symbols`` (tickers, books, 1m klines).

    ``before`` runs against the started simulator before the worker connects (to arm faults
    that must hit the very first requests).
    """
    sim = SimServer(market=market, seed=seed, port=0, **sim_options)
    await sim.start()
    if before is not None:
        before(sim)
    endpoints = resolve_endpoints(
        Market(market),
        stream_url=sim.stream_url,
        rest_url=sim.rest_url,
        ws_api_url=sim.ws_api_url,
        env={},
    )
    store = Store(market, futures=market != "spot")
    config = FeedConfig(
        connection=ConnectionConfig(silence_timeout=silence_timeout, give_up_after=None),
        max_streams_per_connection=max_streams,
    )
    feed = MarketFeed(store, endpoints, rest=RestClient(endpoints), config=config)
    try:
        await feed.load_symbols()
        every = frozenset(symbols)
        feed.set_watch(Watch(every, every, every, "1m"))
        yield sim, store, feed
    finally:
        await feed.close()
        await sim.stop()


def all_synced(symbols: list[str]):
    return lambda store: all(
        (sync := store.books.get(s)) is not None and sync.synced for s in symbols
    )


def progressed(store: Store, symbols: list[str], diffs: int = 5):
    """Predicate: every book is synced and has applied ``diffs`` more events than now."""
    start = {s: store.books[s].stats.applied if s in store.books else 0 for s in symbols}
    return lambda st: all(
        (sync := st.books.get(s)) is not None
        and sync.synced
        and sync.stats.applied >= start[s] + diffs
        for s in symbols
    )


def assert_books_true(sim: SimServer, store: Store, symbols: list[str], depth: int = 50) -> None:
    """The client's book equals the simulator's true book at the client's last_update_id."""
    for symbol in symbols:
        sync = store.books[symbol]
        assert sync.synced, symbol
        truth = sim.book_at(symbol, sync.last_update_id)
        want_bids = [(Decimal(p), Decimal(q)) for p, q in truth.bids[:depth]]
        want_asks = [(Decimal(p), Decimal(q)) for p, q in truth.asks[:depth]]
        assert sync.book.bids(depth) == want_bids, f"{symbol} bids @ {sync.last_update_id}"
        assert sync.book.asks(depth) == want_asks, f"{symbol} asks @ {sync.last_update_id}"
