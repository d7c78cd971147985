"""Connection upkeep: pings answered, proactive rotation before the lifetime cap, subscription
changes paced under the server's message budget, backoff bounded and jittered."""

from __future__ import annotations

import random

from feed_helpers import WAIT, all_synced, assert_books_true, progressed, running_feed

from tuimon.feeds.backoff import Backoff
from tuimon.feeds.market import Watch


async def test_server_pings_are_answered_so_the_server_keeps_us(symbols):
    # Server pings every 0.3 s and drops a client that has not answered within 0.6 s.
    async with running_feed("spot", symbols, ping_interval=0.3, pong_timeout=0.6) as (
        sim,
        store,
        _feed,
    ):
        assert await store.wait_until(all_synced(symbols), WAIT)
        # Long enough for several ping rounds; wait on book progress, not on a clock.
        assert await store.wait_until(progressed(store, symbols, 30), WAIT)
        assert store.health.reconnects == 0
        assert sim.stats.pings_sent >= 3
        assert_books_true(sim, store, symbols)


async def test_proactive_rotation_before_lifetime(symbols):
    async with running_feed("spot", symbols) as (sim, store, feed):
        connection = next(iter(feed._connections.values()))
        connection._config.max_lifetime = 0.5  # rotate after half a second
        assert await store.wait_until(lambda s: s.health.reconnects >= 1, WAIT)
        connection._config.max_lifetime = 3600
        assert await store.wait_until(progressed(store, symbols, 3), WAIT)
        assert_books_true(sim, store, symbols)
        # The server never had to cut us off: we left first.
        assert sim.stats.lifetime_closes == 0


async def test_rapid_watch_changes_stay_under_the_message_budget(symbols):
    async with running_feed("spot", symbols) as (sim, store, feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        universe = sim.symbols[:12]
        for i in range(12):
            chosen = frozenset(universe[: 1 + i % 6]) | frozenset(symbols)
            feed.set_watch(Watch(chosen, frozenset(symbols), frozenset(symbols), "1m"))
        final = frozenset(universe[:6]) | frozenset(symbols)
        feed.set_watch(Watch(final, frozenset(symbols), frozenset(symbols), "1m"))
        assert await store.wait_until(lambda s: final <= set(s.tickers), WAIT)
        assert store.health.reconnects == 0  # the server never cut us for flooding it
        assert sim.stats.rate_limit_disconnects == 0


def test_backoff_grows_is_capped_and_jittered():
    backoff = Backoff(base=0.5, cap=8.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(12)]
    assert all(0.25 <= d <= 8.0 for d in delays)
    assert delays[0] < 0.5 <= max(delays[3:])
    assert max(delays) <= 8.0
    assert len({round(d, 6) for d in delays[-5:]}) == 5  # jitter: capped delays still differ
    backoff.reset()
    assert backoff.next_delay() <= 0.5


async def test_list_subscriptions_heals_a_subscription_the_server_lost(symbols):
    async with running_feed("spot", symbols) as (sim, store, feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        lost = "btcusdt@miniTicker"
        for conn in list(sim.subscribers.get(lost, ())):
            conn._remove(lost)  # noqa: SLF001 - the server silently forgets one stream
        assert not sim.subscribers.get(lost)
        # Any subscription change makes the worker ask LIST_SUBSCRIPTIONS and reconcile.
        extra = frozenset(symbols) | {"ADAUSDT"}
        feed.set_watch(Watch(extra, frozenset(symbols), frozenset(symbols), "1m"))
        assert await store.wait_until(lambda s: bool(sim.subscribers.get(lost)), WAIT)
        assert sim.stats.control_errors == 0
