"""The Store's own contract: dirty topics, ordering rules, freshness, latency, resync total."""

from __future__ import annotations

from decimal import Decimal as D

from tuimon.clock import FrozenClock
from tuimon.protocol.models import DepthDiff, DepthSnapshot, Kline, MiniTicker
from tuimon.store import Store, topics


def ticker(symbol: str, event_time: int, close: str) -> MiniTicker:
    one = D("1")
    return MiniTicker(symbol, event_time, D(close), one, one, one, one, one)


def kline(open_time: int, close: str, event_time: int, closed: bool = False) -> Kline:
    c = D(close)
    return Kline(
        "BTCUSDT", event_time, "1m", open_time, open_time + 59_999, c, c, c, c, c, c, 1, closed
    )


def test_take_dirty_returns_each_changed_topic_once():
    store = Store("spot", clock=FrozenClock())
    store.apply_mini_ticker(ticker("BTCUSDT", 10, "1"))
    store.note_message("spot", 5)
    assert store.take_dirty() == {topics.TICKERS, topics.HEALTH}
    assert store.take_dirty() == set()


def test_older_ticker_is_ignored():
    store = Store("spot", clock=FrozenClock())
    store.apply_mini_ticker(ticker("BTCUSDT", 10, "2"))
    store.take_dirty()
    store.apply_mini_ticker(ticker("BTCUSDT", 9, "1"))
    assert store.tickers["BTCUSDT"].close == D("2")
    assert store.take_dirty() == set()


def test_forming_candle_updates_in_place_and_replays_are_ignored():
    store = Store("spot", clock=FrozenClock())
    store.load_klines("BTCUSDT", "1m", [kline(0, "1", 59_999, True), kline(60_000, "2", 60_500)])
    store.apply_kline(kline(60_000, "3", 61_000))
    store.apply_kline(kline(0, "9", 62_000, True))  # a replay of an older candle
    store.apply_kline(kline(120_000, "4", 120_100))
    closes = [c.close for c in store.klines[("BTCUSDT", "1m")].candles]
    assert closes == [D("1"), D("3"), D("4")]
    assert topics.klines_topic("BTCUSDT", "1m") in store.take_dirty()


def test_book_freshness_states_and_latency_from_event_time():
    clock = FrozenClock(start_ms=1_000_000)
    store = Store("spot", clock=clock)
    assert store.book_freshness("BTCUSDT") == "syncing"
    store.book("BTCUSDT")
    store.book_routes["BTCUSDT"] = "spot"
    store.apply_snapshot("BTCUSDT", DepthSnapshot(5, ((D("1"), D("1")),), ((D("2"), D("1")),)))
    assert store.book_freshness("BTCUSDT") == "disconnected"
    store.set_connected("spot", True)
    store.note_message("spot", 1_000_000 - 250)
    assert store.book_freshness("BTCUSDT") == "live"
    assert store.health.routes["spot"].latency_ms == 250
    clock.advance(6_000)
    assert store.book_freshness("BTCUSDT") == "silent"


def test_resync_total_survives_dropping_the_book():
    store = Store("spot", clock=FrozenClock())
    store.book("BTCUSDT")
    store.apply_snapshot("BTCUSDT", DepthSnapshot(5, (), ()))
    gap = DepthDiff("BTCUSDT", 1, 9, 10, (), ())
    store.apply_depth(gap)
    assert store.resyncs == 1
    store.drop_book("BTCUSDT")
    assert store.resyncs == 1


def test_note_messages_counts_a_read_as_its_frames_one_by_one():
    """One call for a read of n frames leaves the health that n note_message calls leave at
    the same instant (count, latency from the newest event time, receive time, HEALTH dirty),
    and refreshes the wall offset when the count crosses a multiple of 4096."""
    by_one, by_read = Store("spot", clock=FrozenClock()), Store("spot", clock=FrozenClock())
    for store in (by_one, by_read):
        store.take_dirty()
    for event_time in (900, 950, None):
        by_one.note_message("spot", event_time)
    assert by_read.note_messages("spot", 3, 950) == by_one.health.routes["spot"].last_message_mono
    assert by_read.health == by_one.health
    assert by_read.health.routes["spot"].messages == 3
    assert by_read.take_dirty() == by_one.take_dirty() == {topics.HEALTH}
    # A wall-clock step is picked up when the count crosses 4096, even inside one read.
    clock = by_read.clock
    assert isinstance(clock, FrozenClock)
    latency = by_read.health.routes["spot"].latency_ms
    clock._wall_ms += 60_000  # the wall clock steps; monotonic time does not
    by_read.note_messages("spot", 4000, 950)
    assert by_read.health.routes["spot"].latency_ms == latency  # offset not refreshed yet
    by_read.note_messages("spot", 100, 950)  # 4003 -> 4103: crossed 4096, offset refreshed
    by_read.note_messages("spot", 1, 950)
    assert by_read.health.routes["spot"].latency_ms == latency + 60_000

