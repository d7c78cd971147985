"""AccountStore: live events, and every reconciliation path of §6.4, with exact events."""

from __future__ import annotations

from decimal import Decimal as D

import orjson

from tuimon.protocol.user_models import (
    AccountSnapshot,
    Balance,
    BalanceDelta,
    FuturesAccountUpdate,
    MarginBalance,
    Order,
    OrderUpdate,
    Position,
    SpotBalances,
)
from tuimon.store import topics
from tuimon.store.account import AccountStore, account_json


def order(oid=1, z="0", status="NEW", t=100, qty="1", price="10", market="spot", created=None,
          symbol="ETHUSDT"):
    return Order(market, symbol, oid, f"c{oid}", "BUY", "LIMIT", "GTC", D(price), D(0), D(qty),
                 D(z), D(z) * D(price), status, created if created is not None else t, t)


def update(oid=1, z="0", status="NEW", t=100, last="0", trade=-1, **kw):
    exec_type = "TRADE" if D(last) else ("CANCELED" if status == "CANCELED" else "NEW")
    return OrderUpdate(order(oid, z, status, t, **kw), t + 1, exec_type, D(last), D("10"),
                       D("0.001"), "ETH", trade, False)


def spot_balances(u, **assets):
    return SpotBalances(u + 1, u, tuple(Balance(a, D(f), D(lk), u) for a, (f, lk) in
                                        assets.items()))


def snapshot(orders=(), balances=(), balances_ms=0, positions=None, market="spot"):
    return AccountSnapshot(market, tuple(orders), tuple(balances), balances_ms, positions, 0)


# ----------------------------------------------------------------------------- live


def test_order_lifecycle_and_fills():
    marks = []
    acc = AccountStore("spot", mark=marks.append)
    acc.apply(update(1, t=100))
    assert acc.orders[1].status == "NEW"
    acc.apply(update(1, z="0.4", status="PARTIALLY_FILLED", t=110, last="0.4", trade=7))
    assert acc.orders[1].executed_qty == D("0.4") and acc.orders[1].created_ms == 100
    acc.apply(update(1, z="1", status="FILLED", t=120, last="0.6", trade=8))
    assert 1 not in acc.orders
    assert [f.trade_id for f in acc.fills] == [8, 7]  # newest first
    assert marks and set(marks) == {topics.ACCOUNT}
    acc.apply(update(2, t=130))
    acc.apply(update(2, status="CANCELED", t=140))
    assert acc.orders == {}


def test_stale_and_duplicate_events_change_nothing():
    acc = AccountStore("spot")
    acc.apply(update(1, z="0.5", status="PARTIALLY_FILLED", t=110, last="0.5", trade=7))
    assert not acc.apply(update(1, z="0.2", status="PARTIALLY_FILLED", t=105, last="0.2",
                                trade=6))
    assert acc.orders[1].executed_qty == D("0.5")
    acc.apply(update(1, z="0.5", status="PARTIALLY_FILLED", t=110, last="0.5", trade=7))
    assert len([f for f in acc.fills if f.trade_id == 7]) == 1  # deduplicated
    assert acc.stats.stale_skipped == 1


def test_a_closed_order_is_not_resurrected_by_a_late_event():
    acc = AccountStore("spot")
    acc.apply(update(1, z="1", status="FILLED", t=120, last="1", trade=9))
    assert not acc.apply(update(1, t=100))  # the NEW, replayed late
    assert acc.orders == {}


def test_cancel_in_the_same_millisecond_as_the_last_fill():
    acc = AccountStore("spot")
    acc.apply(update(1, z="0.5", status="PARTIALLY_FILLED", t=110, last="0.5", trade=7))
    acc.apply(update(1, z="0.5", status="CANCELED", t=110))
    assert acc.orders == {}


# ----------------------------------------------------------------------------- reconcile


def test_reconcile_keeps_rest_over_older_events_and_applies_newer_ones():
    acc = AccountStore("spot")
    rest = [order(1, z="0.5", status="PARTIALLY_FILLED", t=100)]
    buffered = [
        update(1, z="0.3", status="PARTIALLY_FILLED", t=90, last="0.3", trade=5),  # older
        update(1, z="0.5", status="PARTIALLY_FILLED", t=100, last="0.2", trade=6),  # same
        update(1, z="0.7", status="PARTIALLY_FILLED", t=110, last="0.2", trade=7),  # newer
    ]
    acc.reconcile(snapshot(rest), buffered)
    assert acc.orders[1].executed_qty == D("0.7")
    assert acc.stats.replay_skipped == 1 and acc.stats.replayed == 2
    assert {f.trade_id for f in acc.fills} == {5, 6, 7}  # fills are history, all kept


def test_reconcile_orders_rest_does_not_list():
    acc = AccountStore("spot")
    acc.apply(update(9, t=50))  # open before the disconnect, filled while away
    buffered = [
        update(2, t=120),  # placed after the REST snapshot
        update(3, t=80), update(3, z="1", status="FILLED", t=90, last="1", trade=4),  # in & out
        update(4, status="CANCELED", t=95),  # closed before REST, never seen open here
    ]
    acc.reconcile(snapshot([order(1, t=60)]), buffered)
    assert set(acc.orders) == {1, 2}


def test_reconcile_rest_order_that_a_buffered_cancel_ends():
    acc = AccountStore("spot")
    acc.reconcile(snapshot([order(1, z="0.5", status="PARTIALLY_FILLED", t=100)]),
                  [update(1, z="0.5", status="CANCELED", t=130)])
    assert acc.orders == {}


def test_spot_balances_against_the_account_update_time():
    acc = AccountStore("spot")
    rest = [Balance("USDT", D(100), D(5), 100), Balance("BTC", D(1), D(0), 100)]
    buffered = [
        spot_balances(90, USDT=("90", "15"), ETH=("3", "0")),  # older than the snapshot
        spot_balances(100, USDT=("100", "5")),  # as new: idempotent
        spot_balances(120, BTC=("0", "0"), BNB=("2", "0")),  # newer: BTC emptied, BNB arrives
        BalanceDelta(121, "BNB", D(2), 120),  # a delta: never applied
    ]
    acc.reconcile(snapshot(balances=rest, balances_ms=100), buffered)
    view = account_json(acc)["balances"]
    assert view == {"USDT": {"free": "100", "locked": "5"}, "BNB": {"free": "2", "locked": "0"}}
    assert acc.stats.balance_deltas == 1
    acc.apply(spot_balances(110, USDT=("1", "1")))  # versions are per asset
    assert account_json(acc)["balances"]["USDT"] == {"free": "1", "locked": "1"}


def test_futures_balances_and_positions():
    acc = AccountStore("usdm")
    rest_positions = (Position("BTCUSDT", "BOTH", D("0.5"), D(95000), None, D(95100), D(50),
                               "cross", 100),)
    acc.reconcile(
        snapshot(balances=[MarginBalance("USDT", D(1000), D(1000), 100)],
                 positions=rest_positions, market="usdm"),
        [
            FuturesAccountUpdate(91, 90, "ORDER", (MarginBalance("USDT", D(900), D(900), 90),),
                                 (Position("BTCUSDT", "BOTH", D("0.2"), D(94000), None, None,
                                           D(1), "cross", 90),)),
            FuturesAccountUpdate(111, 110, "ORDER",
                                 (MarginBalance("USDT", D(1010), D(1010), 110),),
                                 (Position("ETHUSDT", "BOTH", D(-2), D(3000), None, None,
                                           D(-4), "cross", 110),)),
        ],
    )
    view = account_json(acc)
    assert view["balances"] == {"USDT": {"wallet": "1010", "cross_wallet": "1010"}}
    assert [(p["symbol"], p["amount"]) for p in view["positions"]] == [
        ("BTCUSDT", "0.5"), ("ETHUSDT", "-2")]
    # An update without a mark price keeps the last one known.
    acc.apply(FuturesAccountUpdate(121, 120, "ORDER", (), (
        Position("BTCUSDT", "BOTH", D("0.6"), D(95100), None, None, D(3), "cross", 120),)))
    assert acc.positions[("BTCUSDT", "BOTH")].mark_price == D(95100)
    acc.set_mark_price("BTCUSDT", D(95200))
    assert acc.positions[("BTCUSDT", "BOTH")].unrealized_pnl == D("0.6") * D(100)
    acc.apply(FuturesAccountUpdate(131, 130, "ORDER", (), (
        Position("ETHUSDT", "BOTH", D(0), D(0), None, None, D(0), "cross", 130),)))
    assert ("ETHUSDT", "BOTH") not in acc.positions


# ----------------------------------------------------------------------------- views


def test_account_json_contract():
    acc = AccountStore("spot")
    acc.reconcile(snapshot([order(7, z="0.25", status="PARTIALLY_FILLED", qty="1.00000000",
                                  price="3100.00000000", t=5)],
                           [Balance("USDT", D("0E-8"), D("1E+1"), 1)], 1))
    view = account_json(acc)
    assert view["balances"] == {"USDT": {"free": "0.00000000", "locked": "10"}}  # not "1E+1"
    assert view["open_orders"] == [{
        "symbol": "ETHUSDT", "order_id": 7, "client_order_id": "c7", "side": "BUY",
        "type": "LIMIT", "price": "3100.00000000", "orig_qty": "1.00000000",
        "executed_qty": "0.25", "status": "PARTIALLY_FILLED"}]
    assert view["positions"] == []
    orjson.dumps(view)  # plain JSON types only
    acc.disable("no keys")
    assert account_json(acc)["enabled"] is False and account_json(acc)["status"] == "no keys"


def test_views_and_bounded_fills():
    acc = AccountStore("spot", max_fills=3)
    for i in range(5):
        acc.apply(update(1, z=str(D("0.1") * (i + 1)), status="PARTIALLY_FILLED", t=100 + i,
                         last="0.1", trade=i))
    assert [f.trade_id for f in acc.fills] == [4, 3, 2]
    acc.apply(update(2, t=50, created=40))
    assert [o.order_id for o in acc.open_orders()] == [2, 1]
    assert acc.order_age_s(acc.orders[2]) > 0
    assert acc.orders[1].filled_fraction == D("0.5")
