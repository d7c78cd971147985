"""The market worker notes a TCP read's frames once (``receive`` each, then ``end_read``): the
state it leaves is the state of taking them one by one, as ``ingest`` does (issue 15 §1)."""

from __future__ import annotations

from test_market_bad_frames import ROUTE, diff, make_feed, ticker

from tuimon.store import topics

READ = [
    diff(11, 11, [["99", "2"]]),
    ticker("110"),
    diff(12, 13, [["98", "3"], ["100", "0.000"]]),
    b"not json",  # a bad frame: counted as bad, not as a message
    b'{"result":null,"id":7}',  # a control reply: a message without an event time
    diff(14, 14, [["97", "1"]]),
]


def state(store):
    book = store.books["BTCUSDT"]
    return (
        store.health,
        book.state,
        book.last_update_id,
        book.stats,
        book.book.bids(),
        book.book.asks(),
        store.tickers["BTCUSDT"],
        store.pulse("BTCUSDT").last,
    )


def test_a_read_noted_once_leaves_what_frames_one_by_one_leave():
    one_by_one, feed_a = make_feed()
    by_read, feed_b = make_feed()
    for store in (one_by_one, by_read):
        store.take_dirty()
    for raw in READ:
        feed_a.ingest(ROUTE, raw)
    for raw in READ:
        feed_b.receive(ROUTE, raw)
    # Before the read ends nothing is counted yet; the books and tickers already moved.
    assert by_read.health.routes.get(ROUTE) is None or by_read.health.messages == 0
    assert by_read.books["BTCUSDT"].last_update_id == 14
    feed_b.end_read(ROUTE)
    assert state(by_read) == state(one_by_one)
    assert by_read.health.messages == len(READ) - 1  # the bad frame is not a message
    assert by_read.health.bad_frames == 1
    dirty = by_read.take_dirty()
    assert dirty == one_by_one.take_dirty()
    assert {topics.HEALTH, topics.book_topic("BTCUSDT")} <= dirty
    # The latency is the newest event time's (E=1 in every frame here), as one by one.
    assert by_read.health.routes[ROUTE].latency_ms == one_by_one.health.routes[ROUTE].latency_ms
    # An empty read (a handshake, a ping) notes nothing.
    before = by_read.health.messages
    feed_b.end_read(ROUTE)
    assert by_read.health.messages == before
