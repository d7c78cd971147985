"""The trades tape: gaps in aggregate ids are shown, duplicates dropped, the REST seed merged."""

from __future__ import annotations

from decimal import Decimal

from tuimon.protocol.models import Liquidation, MarkPrice, Trade
from tuimon.store import Store, topics
from tuimon.store.tape import Gap, TradeTape


def trade(trade_id: int, time: int | None = None, *, sell: bool = False) -> Trade:
    t = 1_700_000_000_000 + trade_id if time is None else time
    return Trade("BTCUSDT", t, trade_id, Decimal("100.5"), Decimal("0.01"), t, sell, True)


def ids(tape: TradeTape) -> list[object]:
    return [
        e.trade_id if type(e) is Trade else ("gap", e.missed) if type(e) is Gap else "liq"
        for e in tape.entries
    ]


def test_consecutive_ids_make_no_gap_and_duplicates_are_dropped() -> None:
    tape = TradeTape()
    assert tape.add(trade(10)) and tape.add(trade(11))
    assert not tape.add(trade(11))  # a duplicate
    assert not tape.add(trade(9))  # older than the tape
    assert ids(tape) == [10, 11]
    assert tape.last_id == 11


def test_an_id_jump_is_a_gap_with_the_number_missed() -> None:
    tape = TradeTape()
    tape.add(trade(10))
    version = tape.version
    tape.add(trade(15))  # 11..14 never arrived (a reconnect)
    assert ids(tape) == [10, ("gap", 4), 15]
    gap = tape.entries[1]
    assert isinstance(gap, Gap) and (gap.after_id, gap.next_id) == (10, 15)
    assert tape.version > version


def test_seed_merges_by_id_and_keeps_a_real_hole_visible() -> None:
    tape = TradeTape()
    tape.add(trade(20))
    tape.add(trade(21))  # streamed before the REST history arrived
    tape.seed([trade(i) for i in range(12, 21)])  # overlaps 20
    assert ids(tape) == list(range(12, 22))
    other = TradeTape()
    other.add(trade(30))
    other.seed([trade(i) for i in range(20, 25)])  # 25..29 neither source had
    assert ids(other) == [20, 21, 22, 23, 24, ("gap", 5), 30]
    other.add(trade(31))
    assert ids(other)[-1] == 31  # live trades continue after the seed


def test_liquidations_keep_their_place_by_time_through_a_seed() -> None:
    tape = TradeTape()
    tape.add(trade(5, 1000))
    liq = Liquidation("BTCUSDT", 1501, "SELL", Decimal(1), Decimal(1), Decimal(1), Decimal(1),
                      "FILLED", 1500)
    tape.add_liquidation(liq)
    tape.seed([trade(3, 800), trade(4, 900), trade(5, 1000), trade(6, 2000)])
    assert ids(tape) == [3, 4, 5, "liq", 6]


def test_bounded_and_last_trades_newest_last() -> None:
    tape = TradeTape(maxlen=5)
    for i in range(1, 20):
        tape.add(trade(i))
    assert len(tape.entries) == 5
    assert [t.trade_id for t in tape.last_trades(3)] == [17, 18, 19]
    assert [t.trade_id for t in tape.last_trades(50)] == [15, 16, 17, 18, 19]


def test_store_marks_topics_and_ignores_unwatched_symbols() -> None:
    store = Store("usdm", futures=True)
    store.apply_trade(trade(1))  # not watched: a late frame after UNSUBSCRIBE
    assert "BTCUSDT" not in store.tapes and not store.take_dirty()
    store.tape("BTCUSDT")
    store.apply_trade(trade(1))
    assert topics.trades_topic("BTCUSDT") in store.take_dirty()
    store.apply_trade(trade(1))
    assert topics.trades_topic("BTCUSDT") not in store.take_dirty()  # duplicate: no repaint
    mark = MarkPrice("BTCUSDT", 2000, Decimal("1"), Decimal("1"), Decimal("0.0001"), 9)
    store.apply_mark(mark)
    assert topics.MARKS in store.take_dirty()
    store.apply_mark(MarkPrice("BTCUSDT", 1000, Decimal("2"), None, None, 0))
    assert store.marks["BTCUSDT"] is mark  # an older event never replaces a newer one
    store.drop_tape("BTCUSDT")
    assert "BTCUSDT" not in store.tapes
    store.take_dirty()
    store.drop_mark("BTCUSDT")
    assert "BTCUSDT" not in store.marks and topics.MARKS in store.take_dirty()
