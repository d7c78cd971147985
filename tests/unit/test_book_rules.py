"""Each sync rule of reference §5, one test each, on hand-built sequences."""

from __future__ import annotations

from decimal import Decimal as D

from tuimon.protocol.book import BookSync, OrderBook, SnapshotVerdict, Verdict
from tuimon.protocol.models import DepthDiff, DepthSnapshot


def diff(first, final, bids=(), asks=(), pu=None):
    return DepthDiff(
        symbol="BTCUSDT",
        event_time=1,
        first_id=first,
        final_id=final,
        prev_final_id=pu,
        bids=tuple(bids),  # diffs carry the exchange's text
        asks=tuple(asks),
    )


def snap(last, bids=(("100", "1"),), asks=(("101", "1"),)):
    return DepthSnapshot(
        last_update_id=last,
        bids=tuple((D(p), D(q)) for p, q in bids),
        asks=tuple((D(p), D(q)) for p, q in asks),
    )


# ---------------------------------------------------------------- spot (§5.1)


def test_spot_buffers_until_snapshot_then_drops_stale_and_applies():
    sync = BookSync(futures=False)
    assert sync.on_diff(diff(95, 99, bids=[("99", "5")])) is Verdict.BUFFERED
    assert sync.on_diff(diff(100, 104, bids=[("100", "2")])) is Verdict.BUFFERED
    assert sync.on_diff(diff(105, 106, asks=[("101", "0")])) is Verdict.BUFFERED
    assert not sync.synced
    assert sync.on_snapshot(snap(102)) is SnapshotVerdict.SYNCED
    # 95..99 was dropped (u <= lastUpdateId): its bid 99 must not appear.
    assert sync.book.bids() == [(D("100"), D("2"))]
    assert sync.book.asks() == []  # zero quantity removed the level
    assert sync.last_update_id == 106
    assert sync.stats.applied == 2


def test_spot_first_event_may_start_right_after_snapshot():
    sync = BookSync(futures=False)
    sync.on_diff(diff(103, 105, bids=[("100", "3")]))
    assert sync.on_snapshot(snap(102)) is SnapshotVerdict.SYNCED  # U == lastUpdateId + 1
    assert sync.book.best_bid() == (D("100"), D("3"))


def test_spot_snapshot_older_than_buffer_is_too_old_and_keeps_buffer():
    sync = BookSync(futures=False)
    sync.on_diff(diff(110, 112))
    assert sync.on_snapshot(snap(100)) is SnapshotVerdict.TOO_OLD
    assert not sync.synced
    assert sync.buffered() == 1
    assert sync.on_snapshot(snap(111)) is SnapshotVerdict.SYNCED
    assert sync.last_update_id == 112


def test_spot_gap_only_when_first_id_exceeds_book_id_plus_one():
    sync = BookSync(futures=False)
    sync.on_snapshot(snap(10))
    assert sync.on_diff(diff(11, 12)) is Verdict.APPLIED  # U == id + 1: contiguous
    assert sync.on_diff(diff(13, 13)) is Verdict.APPLIED
    assert sync.on_diff(diff(15, 16)) is Verdict.GAP  # 14 missing
    assert not sync.synced
    assert sync.stats.gaps == 1
    assert sync.stats.resyncs == 1
    assert sync.buffered() == 1  # the revealing event starts the new buffer
    assert sync.book.bids() == []  # never show the broken book


def test_spot_overlapping_event_is_applied_not_a_gap():
    sync = BookSync(futures=False)
    sync.on_snapshot(snap(10))
    assert sync.on_diff(diff(8, 12, bids=[("100", "4")])) is Verdict.APPLIED  # U <= id+1 <= u
    assert sync.last_update_id == 12


def test_spot_stale_and_duplicate_events_are_dropped():
    sync = BookSync(futures=False)
    sync.on_snapshot(snap(10))
    first = diff(11, 12, bids=[("100", "9")])
    assert sync.on_diff(first) is Verdict.APPLIED
    assert sync.on_diff(first) is Verdict.STALE  # duplicate
    assert sync.on_diff(diff(5, 9, bids=[("100", "1")])) is Verdict.STALE  # older
    assert sync.book.best_bid() == (D("100"), D("9"))
    assert sync.stats.stale == 2


def test_gap_during_replay_of_buffer_reports_gap():
    sync = BookSync(futures=False)
    sync.on_diff(diff(11, 12))
    sync.on_diff(diff(20, 21))
    assert sync.on_snapshot(snap(11)) is SnapshotVerdict.GAP
    assert not sync.synced


# ---------------------------------------------------------------- futures (§5.2)


def test_futures_first_event_must_straddle_snapshot_then_chain_on_pu():
    sync = BookSync(futures=True)
    sync.on_diff(diff(90, 95, pu=80))
    sync.on_diff(diff(96, 105, bids=[("100", "7")], pu=95))  # straddles 100
    sync.on_diff(diff(109, 120, asks=[("102", "1")], pu=105))  # ids jump: normal on futures
    assert sync.on_snapshot(snap(100)) is SnapshotVerdict.SYNCED
    assert sync.last_update_id == 120
    assert sync.book.asks() == [(D("101"), D("1")), (D("102"), D("1"))]
    assert sync.on_diff(diff(121, 130, pu=120)) is Verdict.APPLIED
    assert sync.on_diff(diff(140, 150, pu=135)) is Verdict.GAP  # pu != previous u
    assert not sync.synced


def test_futures_event_ending_at_snapshot_id_is_the_first_event():
    sync = BookSync(futures=True)
    sync.on_diff(diff(95, 100, bids=[("100", "2")], pu=90))
    assert sync.on_snapshot(snap(100)) is SnapshotVerdict.SYNCED
    assert sync.stats.applied == 1  # u == lastUpdateId is kept (only u < lastUpdateId drops)


def test_futures_snapshot_too_old_when_no_event_straddles_it():
    sync = BookSync(futures=True)
    sync.on_diff(diff(110, 120, pu=100))
    assert sync.on_snapshot(snap(105)) is SnapshotVerdict.TOO_OLD


def test_futures_live_first_event_after_empty_buffer_must_straddle():
    sync = BookSync(futures=True)
    sync.on_snapshot(snap(100))
    assert sync.on_diff(diff(101, 110, pu=99)) is Verdict.GAP


def test_futures_duplicate_is_stale_not_gap():
    sync = BookSync(futures=True)
    sync.on_snapshot(snap(100))
    event = diff(95, 105, pu=90)
    assert sync.on_diff(event) is Verdict.APPLIED
    assert sync.on_diff(event) is Verdict.STALE
    assert sync.synced


def test_reconnect_invalidation_counts_a_resync_only_for_live_books():
    sync = BookSync(futures=False)
    sync.invalidate()
    assert sync.stats.resyncs == 0
    sync.on_snapshot(snap(1))
    sync.invalidate()
    assert sync.stats.resyncs == 1
    assert not sync.synced


# ---------------------------------------------------------------- the book itself


def test_order_book_levels_sorted_best_first_and_delete_absent_is_fine():
    book = OrderBook()
    book.load([(D("99"), D("1")), (D("100"), D("2")), (D("98"), D("0"))], [(D("101"), D("1"))])
    book.apply([("99.5", "3"), ("97", "0")], [("100.5", "4"), ("101", "0.000")])
    assert book.bids() == [(D("100"), D("2")), (D("99.5"), D("3")), (D("99"), D("1"))]
    assert book.asks() == [(D("100.5"), D("4"))]
    assert book.bids(1) == [(D("100"), D("2"))]
    assert book.sizes() == (3, 1)


def test_equal_prices_written_differently_are_one_level():
    book = OrderBook()
    book.load([(D("100.10"), D("1"))], [])
    book.apply([("100.1", "0")], [])
    assert book.bids() == []


def test_a_book_waiting_for_a_snapshot_holds_a_bounded_buffer() -> None:
    from tuimon.protocol.book import MAX_BUFFER, BookSync, SnapshotVerdict
    from tuimon.protocol.models import DepthDiff, DepthSnapshot

    sync = BookSync(futures=False)
    for i in range(MAX_BUFFER + 250):  # a long REST ban at 10 diffs a second
        sync.on_diff(DepthDiff("BTCUSDT", 0, 101 + i, 101 + i, (), ()))
    assert sync.buffered() == MAX_BUFFER
    assert sync.stats.buffer_overflows == 250
    # The oldest went: a snapshot from before the buffer's start is refused, never bridged.
    assert sync.on_snapshot(DepthSnapshot(100, (), ())) is SnapshotVerdict.TOO_OLD
    # One taken after the wait (the normal case) syncs from the newest diffs.
    assert sync.on_snapshot(DepthSnapshot(100 + MAX_BUFFER, (), ())) is SnapshotVerdict.SYNCED
    assert sync.synced and sync.last_update_id == 100 + MAX_BUFFER + 250
