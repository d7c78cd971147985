"""One book's depth stream stalls while the others flow on the same socket (issue 16 §1).

Through the real market worker and the simulator: the stalled book turns ``silent`` within its
limit while the others stay ``live``, and is live and true again once the stall ends. Then the
worker's REST stall check, against a scripted REST client and a frozen clock.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D
from typing import Any

import pytest
from feed_helpers import WAIT, all_synced, assert_books_true, progressed, running_feed

from tuimon.clock import FrozenClock
from tuimon.feeds.market import STALL_GRACE, MarketFeed, Watch
from tuimon.feeds.rest import RestError
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.protocol.models import DepthDiff, DepthSnapshot
from tuimon.protocol.streams import depth_stream
from tuimon.store import Store
from tuimon.store.freshness import SILENT_FLOOR

STALLED = "BTCUSDT"
STALL_SECONDS = 4.0  # the 12 s, compressed: past the 1.5 s limit and the stall check


@pytest.mark.parametrize("market", ["spot", "usdm"])
async def test_a_stalled_book_goes_silent_alone_and_comes_back_true(market, symbols):
    others = [s for s in symbols if s != STALLED]
    async with running_feed(market, symbols) as (sim, store, _feed):
        assert await store.wait_until(all_synced(symbols), WAIT)
        # Liquid books: once the cadence estimate has settled, the limit is the 1.5 s floor.
        assert await store.wait_until(
            lambda s: all(s.pulse(x).limit() == SILENT_FLOOR for x in symbols), WAIT
        )
        route = store.book_routes[STALLED]
        assert all(store.book_routes[x] == route for x in others)  # one socket carries all
        gaps_before = store.books[STALLED].stats.gaps
        not_live: list[str] = []
        flapped: list[float] = []

        def others_live(s: Store) -> None:
            not_live.extend(x for x in others if s.book_freshness(x) != "live")

        def silent(s: Store) -> bool:
            others_live(s)
            return s.book_freshness(STALLED) == "silent"

        started = time.monotonic()
        ends = started + STALL_SECONDS
        sim.inject("silence", STALLED, seconds=STALL_SECONDS)
        assert await store.wait_until(silent, WAIT)
        took = time.monotonic() - started
        # Within the bound (its last diff came at most one period before the silence began;
        # the wait is re-checked on every frame of the other symbols), and not before it.
        assert SILENT_FLOOR - 0.2 <= took <= SILENT_FLOOR + 1.0, took
        assert store.book_stalled(STALLED)
        assert store.health.routes[route].connected

        def stall_reported(s: Store) -> bool:
            others_live(s)
            if s.book_freshness(STALLED) == "live" and time.monotonic() < ends - 0.2:
                flapped.append(time.monotonic() - started)
            return "depth stream stalled" in s.health.status

        # The worker's REST check finds the exchange's book ahead of ours: a real stall.
        assert await store.wait_until(stall_reported, WAIT)
        assert STALLED in store.health.status
        assert time.monotonic() < ends, "the check must come during the stall"

        def back(s: Store) -> bool:
            stall_reported(s)
            return s.book_freshness(STALLED) == "live"

        assert await store.wait_until(back, WAIT)
        assert time.monotonic() >= ends - 0.2  # live again only once the stall ended
        # The simulator dropped the stalled frames, so the first diff after the stall does not
        # link: the gap rule resynced the book.
        assert store.books[STALLED].stats.gaps > gaps_before
        assert await store.wait_until(progressed(store, symbols, 3), WAIT)
        assert_books_true(sim, store, symbols)
        assert not flapped, f"live during the stall at {flapped}"
        assert not not_live, f"other books not live: {set(not_live)}"
        age = store.book_age(STALLED)
        assert age is not None and age < SILENT_FLOOR


# ---------------------------------------------------------------------- the REST stall check


class ScriptedRest:
    """Answers depth requests with the given lastUpdateId (or raises); records the calls."""

    def __init__(self, last_update_id: int | None) -> None:
        self.last_update_id = last_update_id
        self.calls: list[tuple[str, dict[str, Any], int]] = []

    async def get(self, name: str, params: dict[str, Any] | None = None, weight: int = 1) -> Any:
        self.calls.append((name, dict(params or {}), weight))
        if self.last_update_id is None:
            raise RestError("depth: connection refused")
        return {"lastUpdateId": self.last_update_id, "bids": [["1", "1"]], "asks": [["2", "1"]]}


def stalled_feed(exchange_id: int | None) -> tuple[MarketFeed, Store, FrozenClock, ScriptedRest]:
    """A spot worker (no sockets) whose BTCUSDT book, at update 100, has just stalled."""
    clock = FrozenClock()
    store = Store("spot", clock=clock)
    rest = ScriptedRest(exchange_id)
    endpoints = resolve_endpoints(Market.SPOT, env={})
    feed = MarketFeed(store, endpoints, rest=rest, clock=clock)  # type: ignore[arg-type]
    feed.watch = Watch(books=frozenset({STALLED}))
    store.route_book(STALLED, "spot", depth_stream(STALLED, 100))
    store.set_connected("spot", True)
    store.apply_snapshot(STALLED, DepthSnapshot(100, ((D("1"), D("1")),), ((D("2"), D("1")),)))
    clock.advance(6_000)  # past the book's 5 s warm-up limit...
    store.note_message("spot", None)  # ...while the connection keeps delivering
    assert store.book_stalled(STALLED)
    return feed, store, clock, rest


async def test_a_quiet_book_is_confirmed_by_rest_and_learns_its_pace():
    feed, store, _clock, rest = stalled_feed(100)  # the exchange is where we are: just quiet
    limit = store.pulse(STALLED).limit()  # type: ignore[union-attr]
    await feed._check_stall(STALLED)
    assert rest.calls == [("depth", {"symbol": STALLED, "limit": 5}, 5)]  # the cheapest weight
    assert store.book_freshness(STALLED) == "live"
    assert store.book_age(STALLED) == 0.0
    assert store.pulse(STALLED).limit() > limit  # type: ignore[union-attr]
    assert store.health.status == ""


async def test_an_exchange_ahead_of_the_book_is_reported_as_a_stall():
    feed, store, _clock, rest = stalled_feed(140)
    await feed._check_stall(STALLED)
    assert store.book_freshness(STALLED) == "silent"  # never confirmed live
    assert "BTCUSDT depth stream stalled" in store.health.status
    assert "140" in store.health.status and "100" in store.health.status


async def test_diffs_in_flight_catch_up_within_the_grace():
    feed, store, _clock, _rest = stalled_feed(101)  # one update ahead: the next diff has it
    started = time.monotonic()
    check = asyncio.create_task(feed._check_stall(STALLED))
    await asyncio.sleep(0)  # one loop turn: the check has its answer and waits for the diff
    assert store.book_freshness(STALLED) == "silent"
    store.apply_depth(DepthDiff(STALLED, 0, 101, 101, (("1", "3"),), ()))
    await check
    assert time.monotonic() - started < STALL_GRACE  # woken by the diff, not the timeout
    assert store.book_freshness(STALLED) == "live"
    assert store.health.status == ""


async def test_a_failed_check_says_so_in_one_line_and_the_book_stays_silent():
    feed, store, _clock, _rest = stalled_feed(None)
    await feed._check_stall(STALLED)
    assert store.book_freshness(STALLED) == "silent"
    assert store.health.status.startswith("BTCUSDT stall check: ")
    assert "\n" not in store.health.status


async def test_one_check_per_quiet_spell_and_none_for_a_quiet_connection():
    feed, store, clock, rest = stalled_feed(140)
    feed._maybe_check_stall(STALLED)
    await feed._stall_tasks[STALLED]
    feed._maybe_check_stall(STALLED)  # the same spell: already answered
    assert STALLED in store.health.status
    assert len(rest.calls) == 1
    # A new spell (a diff, then silence again) gets a check of its own.
    store.apply_depth(DepthDiff(STALLED, 0, 101, 101, (("1", "3"),), ()))
    rest.last_update_id = 101
    clock.advance(20_000)
    store.note_message("spot", None)
    assert store.book_stalled(STALLED)
    feed._maybe_check_stall(STALLED)
    await feed._stall_tasks[STALLED]
    assert len(rest.calls) == 2
    assert store.book_freshness(STALLED) == "live"  # quiet, and now known to be
    # The whole socket quiet: the connection's watchdog handles that, no REST check.
    store.apply_depth(DepthDiff(STALLED, 0, 102, 102, (("1", "4"),), ()))
    clock.advance(60_000)
    feed._maybe_check_stall(STALLED)
    assert len(rest.calls) == 2
    await feed.close()
