"""The market worker against the simulator: books equal the simulator's truth, every fault.

Each test waits on store events (Store.wait_until), never on sleeps; WAIT is only a ceiling.
"""

from __future__ import annotations

import pytest
from feed_helpers import WAIT, all_synced, assert_books_true, progressed, running_feed

from tuimon.feeds.market import FeedError, Watch
from tuimon.protocol.endpoints import Route
from tuimon.sim import SimServer

MARKETS = ["spot", "usdm"]


@pytest.mark.parametrize("market", MARKETS)
async def test_books_equal_truth_and_tickers_and_klines_flow(market, symbols):
    async with running_feed(market, symbols) as (sim, store, feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        assert await store.wait_until(progressed(store, symbols, 5), WAIT)
        assert_books_true(sim, store, symbols)
        assert await store.wait_until(lambda s: set(symbols) <= set(s.tickers), WAIT)
        for symbol in symbols:
            series = store.klines[(symbol, "1m")]
            assert len(series.candles) >= 100  # seeded from REST, then live
        assert store.resyncs == 0
        assert store.health.bad_frames == 0
        if market == "usdm":
            # Depth rides /public, tickers and klines /market: both must be delivering.
            names = {c.route for c in feed._connections.values()}
            assert names == {Route.PUBLIC, Route.MARKET}
            assert all(r.messages > 0 for r in store.health.routes.values())


@pytest.mark.parametrize("market", MARKETS)
async def test_gap_forces_resync_then_book_is_true(market, symbols):
    async with running_feed(market, symbols) as (sim, store, _feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        record = sim.inject("gap", "BTCUSDT")
        assert await store.wait_until(lambda s: s.books["BTCUSDT"].stats.gaps >= 1, WAIT)
        assert record.applied >= 1
        assert await store.wait_until(progressed(store, symbols, 3), WAIT)
        assert store.resyncs >= 1
        assert_books_true(sim, store, symbols)


@pytest.mark.parametrize("market", MARKETS)
@pytest.mark.parametrize("fault", ["stale", "duplicate"])
async def test_stale_and_duplicate_events_are_dropped(market, fault, symbols):
    async with running_feed(market, symbols) as (sim, store, _feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        record = sim.inject(fault, "ETHUSDT", count=3)
        assert await store.wait_until(lambda s: s.books["ETHUSDT"].stats.stale >= 3, WAIT)
        assert record.applied >= 3
        assert await store.wait_until(progressed(store, symbols, 3), WAIT)
        assert store.books["ETHUSDT"].stats.gaps == 0  # dropped, not mistaken for a gap
        assert_books_true(sim, store, symbols)


@pytest.mark.parametrize("market", MARKETS)
async def test_disconnect_reconnects_and_resyncs(market, symbols):
    async with running_feed(market, symbols) as (sim, store, _feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        sim.inject("disconnect")
        assert await store.wait_until(lambda s: s.health.reconnects >= 1, WAIT)
        assert await store.wait_until(progressed(store, symbols, 3), WAIT)
        assert store.resyncs >= len(symbols)  # every book rebuilt after the reconnect
        assert store.health.connected
        assert_books_true(sim, store, symbols)


async def test_silent_stream_trips_the_watchdog(symbols):
    async with running_feed("spot", symbols, silence_timeout=1.0) as (sim, store, _feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        sim.inject("silence", seconds=3)
        assert await store.wait_until(lambda s: not s.health.connected, WAIT)
        assert "silent" in store.health.status
        assert await store.wait_until(lambda s: s.health.reconnects >= 1, WAIT)
        assert await store.wait_until(progressed(store, symbols, 3), WAIT)
        assert_books_true(sim, store, symbols)


@pytest.mark.parametrize(
    ("fault", "params"),
    [
        ("slow_rest", {"seconds": 1.0, "count": 3}),
        ("rest_429", {"retry_after": 1, "count": 1}),
        ("rest_418", {"retry_after": 1, "count": 1}),
    ],
)
async def test_rest_faults_delay_but_do_not_break_sync(fault, params, symbols):
    def arm(sim: SimServer) -> None:
        sim.inject(fault, **params)

    async with running_feed("spot", symbols, before=arm) as (sim, store, feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        assert sim.fault_log[0].applied >= 1
        if fault != "slow_rest":
            assert feed.rest.stats.throttled >= 1  # Retry-After honoured by every request
        assert await store.wait_until(progressed(store, symbols, 2), WAIT)
        assert_books_true(sim, store, symbols)


async def test_server_shutdown_replaces_the_connection(symbols):
    async with running_feed("spot", symbols) as (sim, store, feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        opens = next(iter(feed._connections.values())).opens
        record = sim.inject("server_shutdown", delay=2.0)
        assert record.applied == 1
        assert await store.wait_until(lambda s: s.health.reconnects >= 1, WAIT)
        assert next(iter(feed._connections.values())).opens == opens + 1
        assert await store.wait_until(progressed(store, symbols, 3), WAIT)
        assert_books_true(sim, store, symbols)


@pytest.mark.parametrize("market", MARKETS)
async def test_malformed_frames_are_counted_never_fatal(market, symbols):
    async with running_feed(market, symbols) as (sim, store, _feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        kinds = ["not_json", "truncated", "wrong_types", "unknown_event", "huge", "binary"]
        sim.inject("malformed", kinds=kinds)
        assert await store.wait_until(lambda s: s.health.bad_frames >= 4, WAIT)
        assert await store.wait_until(progressed(store, symbols, 3), WAIT)
        assert_books_true(sim, store, symbols)


async def test_non_utf8_text_frame_costs_one_reconnect_at_most(symbols):
    async with running_feed("spot", symbols) as (sim, store, _feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        sim.inject("malformed", kinds=["non_utf8"])
        assert await store.wait_until(
            lambda s: s.health.bad_frames >= 1 or s.health.reconnects >= 1, WAIT
        )
        assert await store.wait_until(progressed(store, symbols, 3), WAIT)
        assert_books_true(sim, store, symbols)


async def test_sharding_and_live_unsubscribe(symbols):
    # 3 symbols x 3 streams with a cap of 4 streams per connection -> 3 shards.
    async with running_feed("spot", symbols, max_streams=4) as (sim, store, feed):
        assert len(feed._connections) == 3
        assert all(len(c.desired) <= 4 for c in feed._connections.values())
        assert await store.wait_until(all_synced(symbols), WAIT)
        kept = frozenset(symbols[:2])
        feed.set_watch(type(feed.watch)(kept, kept, kept, "1m"))
        assert "SOLUSDT" not in store.books
        assert not any("solusdt" in x for c in feed._connections.values() for x in c.desired)
        # The server itself must stop sending SOLUSDT: ask its subscription index.
        assert await store.wait_until(
            lambda s: (
                not any(
                    name.startswith("solusdt@") and conns for name, conns in sim.subscribers.items()
                )
            ),
            WAIT,
        )
        assert sim.stats.control_errors == 0
        assert await store.wait_until(progressed(store, list(kept), 3), WAIT)
        assert_books_true(sim, store, list(kept))


async def test_unknown_symbols_are_refused_with_one_line(symbols):
    async with running_feed("spot", symbols) as (_sim, _store, feed):
        with pytest.raises(FeedError) as info:
            feed.check_symbols(["BTCUSDT", "NOPE", "币安人生XYZ"])
        assert "NOPE" in str(info.value)
        assert "\n" not in str(info.value)
        assert feed.check_symbols([" btcusdt ", "ETHUSDT", "BTCUSDT"]) == ["BTCUSDT", "ETHUSDT"]


async def test_rewatching_reloads_klines_and_resync_total_never_drops(symbols):
    async with running_feed("spot", symbols) as (sim, store, feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        sim.inject("gap", "SOLUSDT")
        assert await store.wait_until(lambda s: s.resyncs >= 1, WAIT)
        before = store.resyncs
        kept = frozenset(symbols[:2])
        feed.set_watch(Watch(frozenset(symbols), kept, kept, "1m"))
        assert ("SOLUSDT", "1m") not in store.klines  # dropped, not left to go stale
        assert store.resyncs == before  # the dropped book's resyncs stay counted
        every = frozenset(symbols)
        feed.set_watch(Watch(every, every, every, "1m"))
        key = ("SOLUSDT", "1m")
        assert await store.wait_until(
            lambda s: (series := s.klines.get(key)) is not None and len(series.candles) >= 100,
            WAIT,
        )
        times = [c.open_time for c in store.klines[key].candles]
        steps = {b - a for a, b in zip(times, times[1:], strict=False)}
        assert steps == {60_000}  # no hole in the history


async def test_a_route_left_without_streams_is_closed(symbols):
    async with running_feed("usdm", symbols) as (sim, store, feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        every = frozenset(symbols)
        feed.set_watch(Watch(every, frozenset(), frozenset(), "1m"))  # tickers only
        assert {c.route for c in feed._connections.values()} == {Route.MARKET}
        assert "public" not in store.health.routes
        assert await store.wait_until(lambda s: sim.stats.connections_closed >= 1, WAIT)
        assert store.health.connected
        feed.set_watch(Watch(every, every, every, "1m"))  # and it comes back on demand
        assert await store.wait_until(all_synced(symbols), WAIT)
        assert_books_true(sim, store, symbols)
