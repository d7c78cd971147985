"""The Store's own contract: dirty topics, ordering rules, freshness, latency, resync total."""

from __future__ import annotations

from decimal import Decimal as D

from tuimon.clock import FrozenClock
from tuimon.protocol.book import Verdict
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
    gap = DepthDiff("BTCUSDT", 1, 9, 10, None, (), ())
    store.apply_depth(gap)
    assert store.resyncs == 1
    store.drop_book("BTCUSDT")
    assert store.resyncs == 1


def test_receive_depth_is_note_message_then_apply_depth():
    """The worker's one-call depth path leaves the state the two calls leave: health, book,
    pulse, dirty topics and verdicts, through buffering, applying, stale, gap, unwatched."""
    clock_a, clock_b = FrozenClock(), FrozenClock()
    two, one = Store("spot", clock=clock_a), Store("spot", clock=clock_b)
    for store in (two, one):
        store.book("BTCUSDT")
        store.take_dirty()
    one_level = (("1.5", "2"),)
    diffs = [
        DepthDiff("BTCUSDT", 1_000, 5, 6, None, one_level, ()),  # buffered
        DepthDiff("ETHUSDT", 1_001, 1, 1, None, one_level, ()),  # not watched
    ]
    verdicts = []
    for store, clock in ((two, clock_a), (one, clock_b)):
        got = []
        for diff in diffs:
            clock.advance(7)
            if store is two:
                got.append(store.apply_depth(diff, store.note_message("spot", diff.event_time)))
            else:
                got.append(store.receive_depth("spot", diff))
        store.apply_snapshot("BTCUSDT", DepthSnapshot(4, ((D("1"), D("1")),), ((D("3"), D("1")),)))
        for diff in [
            DepthDiff("BTCUSDT", 1_010, 7, 9, None, (("1", "0"),), (("2.5", "4"),)),
            DepthDiff("BTCUSDT", 1_011, 8, 8, None, one_level, ()),  # stale
            DepthDiff("BTCUSDT", 1_012, 12, 13, None, one_level, ()),  # gap
        ]:
            clock.advance(100)
            dirty_before = store.take_dirty()
            if store is two:
                got.append(store.apply_depth(diff, store.note_message("spot", diff.event_time)))
            else:
                got.append(store.receive_depth("spot", diff))
            got.append((dirty_before, store.take_dirty()))
        verdicts.append(got)
    assert verdicts[0] == verdicts[1]
    assert [v for v in verdicts[1] if not isinstance(v, tuple)][-3:] == [
        Verdict.APPLIED, Verdict.STALE, Verdict.GAP,
    ]  # fmt: skip
    assert two.health == one.health
    assert one.health.routes["spot"].messages == 5
    a, b = two.books["BTCUSDT"], one.books["BTCUSDT"]
    assert (a.state, a.last_update_id, a.stats, a.buffered()) == (
        b.state, b.last_update_id, b.stats, b.buffered(),
    )  # fmt: skip
    assert two.pulse("BTCUSDT") == one.pulse("BTCUSDT")
