"""Per-book freshness: the cadence estimate (BookPulse) and the Store's per-book ``silent``."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tuimon.clock import FrozenClock
from tuimon.protocol.book import Verdict
from tuimon.protocol.models import DepthDiff, DepthSnapshot
from tuimon.protocol.streams import depth_period, depth_stream
from tuimon.store import Store
from tuimon.store.freshness import (
    MAX_GAP,
    SILENT_FLOOR,
    SILENT_GAPS,
    WARMUP_GAP,
    BookPulse,
)


def beats(pulse: BookPulse, start: float, gaps: list[float]) -> float:
    """Diffs at ``start`` and then after each gap; returns the last time."""
    now = start
    pulse.beat(now)
    for gap in gaps:
        now += gap
        pulse.beat(now)
    return now


# ---------------------------------------------------------------------- the update period


@pytest.mark.parametrize(
    ("stream", "futures", "period"),
    [
        ("btcusdt@depth@100ms", False, 0.1),
        ("btcusdt@depth@100ms", True, 0.1),
        ("btcusdt@depth@500ms", True, 0.5),
        ("btcusdt@depth", False, 1.0),  # spot default cadence (§4.1)
        ("btcusdt@depth", True, 0.25),  # futures default cadence (§4.2)
        ("btcusdt@depth@0ms", False, 1.0),  # nonsense speed: the market default
    ],
)
def test_update_period_from_the_stream_name(stream, futures, period):
    assert depth_period(stream, futures=futures) == period


# ---------------------------------------------------------------------- the cadence estimate


def test_a_liquid_book_settles_to_its_period_and_the_floor():
    pulse = BookPulse()
    pulse.set_period(0.1)
    assert pulse.limit() == SILENT_GAPS * WARMUP_GAP  # unknown yet: a generous warm-up
    beats(pulse, 100.0, [0.1] * 60)  # six seconds of a diff every 100 ms
    assert 0.1 <= pulse.gap < 0.12
    assert pulse.limit() == SILENT_FLOOR


def test_the_estimate_never_goes_below_the_stream_period():
    pulse = BookPulse()
    pulse.set_period(0.5)
    beats(pulse, 0.0, [0.01] * 200)  # a burst faster than the stream can deliver
    assert pulse.gap == 0.5
    assert pulse.limit() == 5.0


def test_a_stall_counts_only_as_long_as_the_limit():
    pulse = BookPulse()
    pulse.set_period(0.1)
    now = beats(pulse, 0.0, [0.1] * 80)
    assert pulse.limit() == SILENT_FLOOR
    assert not pulse.overdue(now + SILENT_FLOOR)
    assert pulse.overdue(now + SILENT_FLOOR + 0.01)
    before = pulse.gap
    now += 12.0  # the 12 s stall ends
    pulse.beat(now)
    # Clipped: the 12 s gap counted as the 1.5 s limit, not as 12 s.
    assert pulse.gap == pytest.approx(before + 0.25 * (SILENT_FLOOR - before))
    assert pulse.limit() < 5.0
    # ...and a few seconds of normal flow bring the book back to the floor.
    beats(pulse, now, [0.1] * 60)
    assert pulse.limit() == SILENT_FLOOR


def test_a_quiet_book_learns_long_gaps_and_a_burst_barely_moves_them():
    pulse = BookPulse()
    pulse.set_period(0.1)
    beats(pulse, 0.0, [3.0] * 20)  # an illiquid book: a diff every 3 s
    assert pulse.gap == pytest.approx(3.0, rel=0.01)
    assert pulse.limit() == pytest.approx(30.0, rel=0.01)
    gap = pulse.gap
    beats(pulse, 100.0, [0.1] * 5)  # a burst of five diffs
    assert pulse.gap > 0.75 * gap  # still judged as a quiet book


def test_long_gaps_are_learnt_fast_and_capped():
    pulse = BookPulse()
    pulse.set_period(0.1)
    now = beats(pulse, 0.0, [4.0])  # under the 5 s warm-up limit
    assert pulse.limit() > 10.0
    limits = []
    for _ in range(10):  # each gap as long as the book is allowed to be quiet
        now += pulse.limit()
        pulse.beat(now)
        limits.append(pulse.limit())
    assert limits[1] > 3 * limits[0]  # learnt within a few gaps
    assert pulse.gap == MAX_GAP
    assert limits[-1] == SILENT_GAPS * MAX_GAP


def test_a_confirmed_quiet_spell_counts_in_full_and_restart_not_at_all():
    pulse = BookPulse()
    pulse.set_period(0.1)
    now = beats(pulse, 0.0, [0.1] * 80)
    confirmed = BookPulse(period=pulse.period, gap=pulse.gap, last=pulse.last)
    clipped = BookPulse(period=pulse.period, gap=pulse.gap, last=pulse.last)
    confirmed.confirm(now + 20.0)
    clipped.beat(now + 20.0)
    assert confirmed.last == clipped.last == now + 20.0
    assert confirmed.gap > clipped.gap  # REST proved the pause genuine: learnt in full
    gap = pulse.gap
    pulse.restart(now + 30.0)  # a snapshot: the pause was ours, not the book's
    assert (pulse.gap, pulse.last) == (gap, now + 30.0)


# ---------------------------------------------------------------------- the Store


def routed_store(symbol: str = "BTCUSDT") -> tuple[Store, FrozenClock]:
    """A spot store with one synced book on a connected route, carried by @depth@100ms."""
    clock = FrozenClock()
    store = Store("spot", clock=clock)
    store.route_book(symbol, "spot", depth_stream(symbol, 100))
    store.set_connected("spot", True)
    store.apply_snapshot(symbol, DepthSnapshot(100, ((D("1"), D("1")),), ((D("2"), D("1")),)))
    store.note_message("spot", None)
    return store, clock


def next_diff(store: Store, symbol: str = "BTCUSDT") -> DepthDiff:
    last = store.books[symbol].last_update_id
    return DepthDiff(symbol, 0, last + 1, last + 1, (("1", "2"),), ())


def step(store: Store, clock: FrozenClock, ms: int = 100) -> None:
    """Time passes; other streams on the same socket keep it live."""
    clock.advance(ms)
    store.note_message("spot", None)


def test_a_liquid_book_that_stops_is_silent_although_its_connection_is_live():
    store, clock = routed_store()
    for _ in range(60):  # 6 s of a diff every 100 ms
        step(store, clock)
        assert store.apply_depth(next_diff(store)) is Verdict.APPLIED
        assert store.book_freshness("BTCUSDT") == "live"
    for _ in range(14):  # 1.4 s without a diff for this book, frames for the others
        step(store, clock)
        assert store.book_freshness("BTCUSDT") == "live"
    step(store, clock, 200)  # 1.6 s: past the 1.5 s floor
    assert store.book_freshness("BTCUSDT") == "silent"
    assert store.book_stalled("BTCUSDT")  # the connection is fine: the book's stream is not
    assert store.health.routes["spot"].connected
    assert store.book_age("BTCUSDT") == pytest.approx(1.6)
    # The stall ends with a diff that links: the sequence check proves the book exact.
    step(store, clock)
    assert store.apply_depth(next_diff(store)) is Verdict.APPLIED
    assert store.book_freshness("BTCUSDT") == "live"
    assert store.book_age("BTCUSDT") == 0.0


def test_an_illiquid_book_with_sparse_diffs_never_goes_silent_on_a_live_connection():
    store, clock = routed_store()
    # Gaps in seconds, irregular and bursty, as a thin book gets them (all under its limit as
    # learnt so far, the first under the 5 s warm-up); no diff at all for up to 24 s.
    gaps = [2.0, 0.1, 0.1, 3.5, 4.0, 0.2, 6.0, 3.0, 0.1, 0.1, 0.1, 8.0, 1.0, 12.0, 0.3, 24.0]
    checks = 0
    for gap in gaps:
        for _ in range(round(gap * 10)):
            step(store, clock)
            assert store.book_freshness("BTCUSDT") == "live", store.pulse("BTCUSDT")
            checks += 1
        assert store.apply_depth(next_diff(store)) is Verdict.APPLIED
    assert checks == round(sum(gaps) * 10)
    assert store.pulse("BTCUSDT").limit() > 24.0  # type: ignore[union-attr]
    # The connection's own liveness still rules: a silent socket makes every book silent.
    clock.advance(5_100)
    assert store.book_freshness("BTCUSDT") == "silent"
    assert not store.book_stalled("BTCUSDT")  # ...but that is the connection's watchdog's case


def test_apply_depth_takes_the_receive_time_it_is_given():
    store, clock = routed_store()
    received = clock.monotonic() - 0.25  # read by note_message for this frame, earlier
    store.apply_depth(next_diff(store), received)
    assert store.pulse("BTCUSDT").last == received  # type: ignore[union-attr]
    assert store.book_age("BTCUSDT") == pytest.approx(0.25)


def test_a_confirmed_book_is_live_again_and_unsynced_books_have_no_age():
    store, clock = routed_store()
    step(store, clock, 6_000)
    store.note_message("spot", None)
    assert store.book_freshness("BTCUSDT") == "silent"
    store.confirm_book("BTCUSDT")
    assert store.book_freshness("BTCUSDT") == "live"
    assert store.book_age("BTCUSDT") == 0.0
    store.books["BTCUSDT"].invalidate()
    assert store.book_age("BTCUSDT") is None
    assert store.book_freshness("BTCUSDT") == "syncing"
    store.drop_book("BTCUSDT")
    assert store.pulse("BTCUSDT") is None
