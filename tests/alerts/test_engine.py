"""Hysteresis and cooldown, each metric read from a Store built through its own mutators
(frozen clock, no sleeps)."""

from __future__ import annotations

from decimal import Decimal

from tuimon.alerts.engine import AlertEngine
from tuimon.alerts.rules import parse_rule
from tuimon.clock import FrozenClock
from tuimon.protocol.models import DepthSnapshot, MiniTicker
from tuimon.protocol.user_models import Fill
from tuimon.store import Store

D = Decimal


def _store() -> tuple[Store, FrozenClock]:
    clock = FrozenClock()
    return Store("spot", clock=clock), clock


def _tick(store: Store, clock: FrozenClock, close: str, symbol: str = "BTCUSDT", open_="100"):
    store.apply_mini_ticker(
        MiniTicker(symbol, clock.wall_ms(), D(close), D(open_), D(close), D(close), D(1), D(1))
    )


def _book(store: Store, bids, asks, symbol: str = "BTCUSDT") -> None:
    store.book(symbol)
    store.apply_snapshot(
        symbol,
        DepthSnapshot(
            last_update_id=1,
            bids=tuple((D(p), D(q)) for p, q in bids),
            asks=tuple((D(p), D(q)) for p, q in asks),
        ),
    )
    store.book_routes[symbol] = "spot"
    store.set_connected("spot", True)
    store.note_message("spot", None)


def _engine(clock, *texts: str, cooldown: float = 60.0) -> AlertEngine:
    return AlertEngine(clock, [parse_rule(t, cooldown=cooldown) for t in texts])


def test_fires_once_while_true_and_rearms_after_false_and_cooldown() -> None:
    store, clock = _store()
    engine = _engine(clock, "BTCUSDT price > 100")
    _tick(store, clock, "101")
    (event,) = engine.evaluate(store)
    assert event.as_json() == {
        "rule": "BTCUSDT price > 100",
        "symbol": "BTCUSDT",
        "metric": "price",
        "value": "101",
        "time": clock.wall_ms(),
    }
    for _ in range(100):  # true every frame: fires only once
        clock.advance(100)
        assert engine.evaluate(store) == []
    _tick(store, clock, "99")
    assert engine.evaluate(store) == []  # false: re-arms... but the cooldown has not passed
    clock.advance(10)
    _tick(store, clock, "102")
    assert engine.evaluate(store) == []  # 10.01 s after firing: still cooling down
    clock.advance(50_000)
    assert len(engine.evaluate(store)) == 1  # cooldown over, and it was false in between


def test_no_rearm_without_a_false_sample() -> None:
    store, clock = _store()
    engine = _engine(clock, "BTCUSDT price >= 100", cooldown=0)
    _tick(store, clock, "100")
    assert len(engine.evaluate(store)) == 1
    clock.advance(120_000)
    _tick(store, clock, "150")
    assert engine.evaluate(store) == []  # still true: never fired again
    _tick(store, clock, "90")
    engine.evaluate(store)
    _tick(store, clock, "100")
    assert len(engine.evaluate(store)) == 1


def test_crosses_both_ways_first_sample_only_arms() -> None:
    store, clock = _store()
    engine = _engine(clock, "BTCUSDT price crosses 3000", cooldown=0)
    _tick(store, clock, "3100")
    assert engine.evaluate(store) == []  # first sample: no "before"
    clock.advance(1000)
    _tick(store, clock, "2999.99")
    assert [e.value for e in engine.evaluate(store)] == [D("2999.99")]
    clock.advance(1000)
    _tick(store, clock, "2990")
    assert engine.evaluate(store) == []
    clock.advance(1000)
    _tick(store, clock, "3000")
    assert [e.value for e in engine.evaluate(store)] == [D("3000")]


def test_unknown_values_neither_fire_nor_rearm() -> None:
    store, clock = _store()
    engine = _engine(clock, "BTCUSDT spread_bps >= 5", cooldown=0)
    assert engine.evaluate(store) == []  # no book at all
    _book(store, [("99.9", "1")], [("100.1", "1")])
    (event,) = engine.evaluate(store)
    assert event.value == D("20.00")  # (100.1 - 99.9) / 100 * 10000
    store.set_connected("spot", False)  # the book is no longer live: unknown, not false
    assert engine.evaluate(store) == []
    store.set_connected("spot", True)
    store.note_message("spot", None)
    assert engine.evaluate(store) == []  # never seen false: does not fire again


def test_imbalance_counts_notional_within_ten_bps() -> None:
    store, clock = _store()
    engine = _engine(clock, "BTCUSDT imbalance > 0.4")
    # mid 100: 10 bps = 99.9 .. 100.1; the 99.0 bid is outside and does not count.
    _book(store, [("99.95", "3"), ("99.0", "100")], [("100.05", "1")])
    (event,) = engine.evaluate(store)
    # bids 299.85, asks 100.05: (299.85 - 100.05) / 399.9
    assert event.value == ((D("299.85") - D("100.05")) / D("399.9")).quantize(D("0.0001"))


def test_change_and_move_windows() -> None:
    store, clock = _store()
    engine = _engine(clock, "BTCUSDT change_pct > 2", "BTCUSDT move_pct_1m < -1")
    start = clock.wall_ms()
    engine.seed("BTCUSDT", [(start - 60_000, D("100")), (start - 120_000, D("90"))])
    _tick(store, clock, "98.5", open_="96")
    events = {e.rule.metric_name: e.value for e in engine.evaluate(store)}
    assert events == {"change_pct": D("2.60"), "move_pct_1m": D("-1.50")}


def test_move_window_without_history_is_unknown() -> None:
    store, clock = _store()
    engine = _engine(clock, "BTCUSDT move_pct_5m > -100")
    _tick(store, clock, "100")
    assert engine.evaluate(store) == []
    clock.advance(300_000)
    _tick(store, clock, "101")
    (event,) = engine.evaluate(store)
    assert event.value == D("1.00")


def test_stale_seconds_from_the_ticker() -> None:
    store, clock = _store()
    engine = _engine(clock, "BTCUSDT stale_s > 10")
    _tick(store, clock, "100")
    assert engine.evaluate(store) == []
    clock.advance(10_500)
    (event,) = engine.evaluate(store)
    assert event.value == D("10.5")


def test_stale_seconds_when_nothing_ever_came() -> None:
    store, clock = _store()
    engine = _engine(clock, "NEVERUSDT stale_s > 5")
    clock.advance(6_000)
    assert [e.value for e in engine.evaluate(store)] == [D("6.0")]


def _fill(symbol: str, trade: int, qty: str, time_ms: int) -> Fill:
    return Fill("spot", symbol, 7, trade, "BUY", D("100"), D(qty), D(0), "BNB", time_ms, False)


def test_fills_fire_per_new_fill_and_history_does_not() -> None:
    store, clock = _store()
    store.account.fills.append(_fill("BTCUSDT", 1, "1", 1))
    engine = _engine(clock, "* fill > 0", "ETHUSDT fill >= 2", cooldown=0)
    assert engine.evaluate(store) == []  # the fill from before the engine started
    store.account.fills.insert(0, _fill("ETHUSDT", 2, "0.5", 2))
    store.account.fills.insert(0, _fill("ETHUSDT", 3, "2", 3))
    events = [(e.rule.text, e.symbol, e.value, e.time_ms) for e in engine.evaluate(store)]
    assert events == [
        ("* fill > 0", "ETHUSDT", D("0.5"), 2),
        ("* fill > 0", "ETHUSDT", D("2"), 3),
        ("ETHUSDT fill >= 2", "ETHUSDT", D("2"), 3),
    ]
    assert engine.evaluate(store) == []


def test_disabled_rules_and_rule_edits_keep_state() -> None:
    store, clock = _store()
    rule = parse_rule("BTCUSDT price > 100")
    engine = AlertEngine(clock, [rule, parse_rule("BTCUSDT price > 1", enabled=False)])
    _tick(store, clock, "101")
    assert [e.rule.text for e in engine.evaluate(store)] == ["BTCUSDT price > 100"]
    engine.set_rules([rule, parse_rule("ETHUSDT price > 1")])
    assert engine.evaluate(store) == []  # the kept rule does not re-fire after an edit
    assert engine.ticker_symbols == {"BTCUSDT", "ETHUSDT"}
