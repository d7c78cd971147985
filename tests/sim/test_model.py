"""The seeded model on its own: determinism, book invariants, update ids, book_at, klines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tuimon.sim.klines import K_C, K_CT, K_O, K_T, candle_open, next_open
from tuimon.sim.markets import SPOT, USDM, market_config
from tuimon.sim.model import MarketModel

START = 1_768_003_200_000  # 2026-01-10 00:00:00 UTC


def run(cfg_name: str = "spot", seed: int = 7, steps: int = 200, step_ms: int = 50,
        symbols: list[str] | None = None, history_steps: int = 1800) -> MarketModel:
    m = MarketModel(market_config(cfg_name), seed, symbols, START, history_steps)
    for i in range(steps):
        m.step(START + (i + 1) * step_ms)
    return m


def fingerprint(m: MarketModel) -> list[tuple[object, ...]]:
    return [(s, sm.last_id, sm.trade_id, tuple(sm.bids.items()), tuple(sm.asks.items()))
            for s, sm in m.symbols.items()]


def test_default_universe_is_large_and_realistic():
    for cfg in (SPOT, USDM):
        m = MarketModel(cfg, 7, None, START, 100)
        assert len(m.symbols) >= 24
        assert "BTCUSDT" in m.symbols and "ETHUSDT" in m.symbols
    spot = MarketModel(SPOT, 7, None, START, 100)
    assert spot.symbols["BTCUSDT"].spec.tick_size == "0.01000000"
    assert spot.symbols["XRPUSDT"].spec.tick_size == "0.00010000"


def test_same_seed_same_market_regardless_of_timing():
    a = run(step_ms=50)
    b = run(step_ms=37)  # different clock spacing: content must not depend on time
    assert fingerprint(a) == fingerprint(b)
    c = run(seed=8)
    assert fingerprint(a) != fingerprint(c)


def test_symbol_subset_does_not_change_a_symbols_stream():
    full = run(symbols=None)
    one = run(symbols=["ETHUSDT"])
    assert full.symbols["ETHUSDT"].last_id == one.symbols["ETHUSDT"].last_id
    assert full.symbols["ETHUSDT"].bids == one.symbols["ETHUSDT"].bids


def test_unknown_symbol_gets_a_deterministic_spec():
    a = run(symbols=["FOOUSDT"], steps=20)
    b = run(symbols=["FOOUSDT"], steps=20)
    assert fingerprint(a) == fingerprint(b)
    assert a.symbols["FOOUSDT"].spec.quote == "USDT"


@pytest.mark.parametrize("market", ["spot", "usdm", "coinm"])
def test_book_invariants(market):
    m = run(market, steps=600)
    for sm in m.symbols.values():
        assert sm.bids_px == sorted(sm.bids) and sm.asks_px == sorted(sm.asks)
        assert sm.bids_px[-1] < sm.asks_px[0], "book crossed"
        assert 100 <= len(sm.bids) <= 300 and 100 <= len(sm.asks) <= 300
        assert all(q > 0 for q in sm.bids.values()) and all(q > 0 for q in sm.asks.values())
        # prices stay near the seed price (mean-reverting walk)
        assert 0.5 * sm.p0 < sm.bids_px[-1] < 1.5 * sm.p0


def test_price_strings_follow_the_filters():
    spot = run("spot", steps=50)
    _, bids, asks = spot.symbols["BTCUSDT"].snapshot(5)
    assert all(len(p.split(".")[1]) == 8 and len(q.split(".")[1]) == 8 for p, q in bids + asks)
    fut = run("usdm", steps=50)
    sm = fut.symbols["BTCUSDT"]
    _, bids, asks = sm.snapshot(5)
    for p, q in bids + asks:
        assert len(p.split(".")[1]) == 2 and len(q.split(".")[1]) == 3
        assert Decimal(p) % Decimal(sm.spec.tick_size) == 0
        assert Decimal(q) % Decimal(sm.spec.step_size) == 0


def test_update_ids_contiguous_on_spot_and_jumping_on_futures():
    spot = run("spot", steps=100).symbols["BTCUSDT"]
    ids = [u[0] for u in spot.history]
    assert all(b == a + 1 for a, b in zip(ids, ids[1:], strict=False))
    fut = run("usdm", steps=100).symbols["BTCUSDT"]
    ids = [u[0] for u in fut.history]
    assert all(b - a >= 2 for a, b in zip(ids, ids[1:], strict=False))
    assert ids[0] > 2**31  # ids exceed 32 bits, like the real ones


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_book_at_equals_the_book_recorded_during_the_run(market):
    m = MarketModel(market_config(market), 7, ["BTCUSDT", "DOGEUSDT"], START, 10_000)
    seen: dict[int, tuple[dict[int, int], dict[int, int]]] = {}
    for i in range(300):
        m.step(START + i * 50)
        if i % 7 == 0:
            for sm in m.symbols.values():
                seen[sm.last_id] = (dict(sm.bids), dict(sm.asks))
    for sm in m.symbols.values():
        for uid, (bids, asks) in seen.items():
            if not (sm.base_id <= uid <= sm.last_id) or uid not in {
                    h[0] for h in sm.history} | {sm.base_id}:
                continue
            book = sm.book_at(uid)
            assert book.update_id == uid
            want_b = [(sm.fmt.price(p), sm.fmt.qty(q)) for p, q in sorted(bids.items(),
                                                                            reverse=True)]
            want_a = [(sm.fmt.price(p), sm.fmt.qty(q)) for p, q in sorted(asks.items())]
            assert list(book.bids) == want_b
            assert list(book.asks) == want_a


def test_book_at_between_futures_ids_and_out_of_range():
    sm = run("usdm", steps=50, symbols=["BTCUSDT"]).symbols["BTCUSDT"]
    a, b = sm.history[-3][0], sm.history[-2][0]
    assert b - a >= 2
    assert sm.book_at(a + 1).update_id == a  # last internal update <= the requested id
    with pytest.raises(ValueError):
        sm.book_at(sm.last_id + 1)
    short = run("spot", steps=200, symbols=["BTCUSDT"], history_steps=20).symbols["BTCUSDT"]
    assert len(short.history) < 200  # history is bounded by steps
    with pytest.raises(LookupError):
        short.book_at(short.base_id - 1)
    assert short.book_at(short.base_id).update_id == short.base_id


def test_diff_aggregation_takes_the_last_write_per_level():
    sm = run("spot", steps=40, symbols=["BTCUSDT"]).symbols["BTCUSDT"]
    after = sm.history[-30][0]
    w = sm.changes_since(after)
    assert w is not None and w.first_id == after + 1 and w.last_id == sm.last_id
    for px, qty in w.bids.items():
        assert sm.bids.get(px, 0) == qty
    for px, qty in w.asks.items():
        assert sm.asks.get(px, 0) == qty
    assert sm.changes_since(sm.last_id) is None


@pytest.mark.parametrize("interval", ["1m", "1h", "1d", "1w", "1M"])
def test_kline_history_is_continuous_and_joins_the_live_candle(interval):
    sm = run("spot", steps=10, symbols=["ETHUSDT"]).symbols["ETHUSDT"]
    rows = sm.klines(interval, 1000, None, None)
    assert len(rows) >= 500
    for prev, cur in zip(rows, rows[1:], strict=False):
        assert cur[K_T] == prev[K_CT] + 1 == next_open(interval, prev[K_T])
        # history closes where the next candle opens; live candles open at their first trade
        assert abs(cur[K_O] - prev[K_C]) <= prev[K_C] // 100
    assert rows[-1][K_T] == candle_open(interval, START + 500)


def test_klines_history_is_deterministic_whatever_the_request_order():
    a = run("spot", steps=5, symbols=["BTCUSDT"]).symbols["BTCUSDT"]
    b = run("spot", steps=5, symbols=["BTCUSDT"]).symbols["BTCUSDT"]
    a.klines("5m", 10, None, None)
    assert a.klines("5m", 900, None, None) == b.klines("5m", 900, None, None)
