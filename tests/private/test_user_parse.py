"""Private payloads: every recorded user-data message parses, hostile ones never raise."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from recorded_data import data_root

from tuimon.protocol.models import BadFrame, Ignored, ServerShutdown
from tuimon.protocol.parse import PayloadError
from tuimon.protocol.user_models import (
    AlgoUpdate,
    Balance,
    BalanceDelta,
    FuturesAccountUpdate,
    ListenKeyExpired,
    OrderUpdate,
    SpotBalances,
    StreamTerminated,
    TradeLite,
    WsApiReply,
)
from tuimon.protocol.user_parse import (
    parse_futures_balances,
    parse_listen_key,
    parse_open_orders,
    parse_position_risk,
    parse_server_time,
    parse_spot_account,
    parse_user_event,
    parse_user_frame,
)
from tuimon.store.account import AccountStore


def recorded_dir():
    return data_root() / "nautilus-trader"


def recorded_private_files():
    ws = recorded_dir() / "ws_messages"
    patterns = ("ws_spot_execution_report_*.json", "ws_futures_order_update_*.json",
                "ws_futures_trade_lite.json", "ws_futures_algo_update_*.json")
    files = sorted({p for pattern in patterns for p in ws.glob(pattern)})
    assert len(files) >= 34, "recorded private messages missing"
    return files


def load(name):
    return (recorded_dir() / "ws_messages" / name).read_bytes()


@pytest.mark.parametrize("path", recorded_private_files(), ids=lambda p: p.stem)
def test_every_recorded_private_message_parses(path):
    raw = path.read_bytes()
    record = parse_user_frame(raw)
    assert not isinstance(record, (BadFrame, Ignored)), record
    if "execution_report" in path.name or "order_update" in path.name:
        assert isinstance(record, OrderUpdate)
        assert record.order.market == ("spot" if "spot" in path.name else "usdm")
        assert record.order.orig_qty >= record.order.executed_qty >= 0
    elif "trade_lite" in path.name:
        assert isinstance(record, TradeLite)
    else:
        assert isinstance(record, AlgoUpdate)
    # The store takes every one of them without complaint.
    AccountStore("spot" if "spot" in path.name else "usdm").apply(record)


def order_of(name):
    record = parse_user_frame(load(name))
    assert isinstance(record, OrderUpdate)
    return record


def test_spot_partial_fill_fields():
    ev = order_of("ws_spot_execution_report_trade.json")
    o = ev.order
    assert (o.symbol, o.order_id, o.client_order_id, o.side, o.type) == (
        "ETHUSDT", 1234567890, "O-12345-test-trade", "BUY", "LIMIT")
    assert (o.price, o.orig_qty, o.executed_qty) == (Decimal("2500"), Decimal(1), Decimal("0.5"))
    assert o.status == "PARTIALLY_FILLED" and o.is_open
    assert o.filled_fraction == Decimal("0.5")
    assert ev.is_fill and ev.last_qty == Decimal("0.5") and ev.last_price == Decimal("2499.5")
    assert (ev.commission, ev.commission_asset, ev.trade_id) == (Decimal("0.0005"), "ETH",
                                                                 98765432)
    assert o.created_ms == 1759347763100 and o.update_ms == 1759347763167


@pytest.mark.parametrize("name,status,is_open", [
    ("ws_spot_execution_report_new.json", "NEW", True),
    ("ws_spot_execution_report_canceled.json", "CANCELED", False),
    ("ws_spot_execution_report_expired.json", "EXPIRED", False),
    ("ws_spot_execution_report_rejected.json", "REJECTED", False),
    ("ws_spot_execution_report_pending_cancel.json", "PENDING_CANCEL", False),
    ("ws_spot_execution_report_trade_prevention.json", "EXPIRED_IN_MATCH", False),
    ("ws_spot_execution_report_calculated.json", "FILLED", False),
    ("ws_spot_execution_report_trade_l_zero_new.json", "NEW", True),
    ("ws_spot_execution_report_trade_l_zero_partial.json", "PARTIALLY_FILLED", True),
])
def test_spot_statuses(name, status, is_open):
    order = order_of(name).order
    assert order.status == status
    assert order.is_open is is_open


def test_spot_null_commission_asset_and_zero_fills():
    ev = order_of("ws_spot_execution_report_new.json")
    assert ev.commission_asset == "" and ev.commission == 0 and ev.trade_id == -1
    assert not ev.is_fill
    # l = 0 with a trade id: a TRADE that filled nothing is not a fill.
    assert not order_of("ws_spot_execution_report_trade_l_zero_partial.json").is_fill
    # Self-trade prevention reports l but fills nothing.
    assert not order_of("ws_spot_execution_report_trade_prevention.json").is_fill


def test_spot_stop_price_and_empty_client_id():
    assert order_of("ws_spot_execution_report_new_stop_limit_price_match.json").order.stop_price \
        == Decimal("2400")
    assert order_of("ws_spot_execution_report_empty_client_id.json").order.client_order_id == ""


def test_spot_cancel_reports_the_original_client_id():
    data = orjson.loads(load("ws_spot_execution_report_canceled.json"))["data"]
    data["c"], data["C"] = "cancel-request-7", "my-order-1"
    ev = parse_user_event(data)
    assert isinstance(ev, OrderUpdate)
    assert ev.order.client_order_id == "my-order-1"


def test_futures_liquidation_and_adl():
    liq = order_of("ws_futures_order_update_liquidation.json")
    assert liq.exec_type == "CALCULATED" and liq.is_fill and not liq.order.is_open
    assert liq.realized_pnl == Decimal("-100.00")
    assert liq.order.client_order_id.startswith("autoclose-")
    assert liq.order.cum_quote == Decimal("50000.00") * Decimal("0.100")
    zero = order_of("ws_futures_order_update_liquidation_zero_qty.json")
    assert zero.commission == 0 and zero.commission_asset == "" and not zero.is_fill
    adl = order_of("ws_futures_order_update_adl.json")
    assert adl.order.client_order_id == "adl_autoclose" and adl.order.position_side == "SHORT"


def test_futures_new_orders():
    stop = order_of("ws_futures_order_update_new_stop_limit_price_match.json").order
    assert (stop.type, stop.price, stop.stop_price) == ("STOP", Decimal("2405.75"),
                                                        Decimal("2400.00"))
    reduce = order_of("ws_futures_order_update_new_reduce_only_qty.json").order
    assert reduce.reduce_only and reduce.position_side == "BOTH" and reduce.is_open
    done = order_of("ws_futures_order_update_trade_reduce_only_qty.json")
    assert done.is_fill and done.order.status == "FILLED"


def test_trade_lite_with_a_huge_order_id():
    lite = parse_user_frame(load("ws_futures_trade_lite.json"))
    assert isinstance(lite, TradeLite)
    assert lite.order_id == 8389765739703625592 and lite.last_qty == Decimal("0.037")


def test_algo_updates():
    statuses = {parse_user_frame(load(f"ws_futures_algo_update_{n}.json")).status
                for n in ("finished", "finished_canceled", "triggered", "triggering")}
    assert statuses == {"FINISHED", "TRIGGERED", "TRIGGERING"}


def test_recorded_spot_account():
    body = orjson.loads((recorded_dir() / "http_responses" / "http_spot_wallet_account.json")
                        .read_bytes())
    update_ms, balances = parse_spot_account(body)
    assert update_ms == 123456789
    assert balances == (
        Balance("BTC", Decimal("4723846.89208129"), Decimal(0), 123456789),
        Balance("LTC", Decimal("4763368.68006011"), Decimal(0), 123456789),
    )


# ----------------------------------------------------------------------------- envelopes


def test_ws_api_envelopes():
    event = parse_user_frame(b'{"subscriptionId":0,"event":{"e":"outboundAccountPosition",'
                             b'"E":5,"u":4,"B":[{"a":"USDT","f":"1.5","l":"0"}]}}')
    assert isinstance(event, SpotBalances) and event.update_ms == 4
    assert event.balances[0].free == Decimal("1.5")
    assert isinstance(parse_user_frame(b'{"subscriptionId":3,"event":{"e":"eventStreamTerminated"'
                                       b',"E":7}}'), StreamTerminated)
    assert isinstance(parse_user_frame(b'{"event":{"e":"serverShutdown","E":7}}'), ServerShutdown)
    delta = parse_user_frame(b'{"e":"balanceUpdate","E":1,"a":"BTC","d":"-0.5","T":2}')
    assert isinstance(delta, BalanceDelta) and delta.delta == Decimal("-0.5")
    expired = parse_user_frame(b'{"e":"listenKeyExpired","E":"1768006900000","listenKey":"k"}')
    assert isinstance(expired, ListenKeyExpired) and expired.event_time == 1768006900000


def test_ws_api_replies():
    ok = parse_user_frame(b'{"id":1,"status":200,"result":{"subscriptionId":0}}')
    assert isinstance(ok, WsApiReply) and ok.ok and ok.result == {"subscriptionId": 0}
    bad = parse_user_frame(b'{"id":"x","status":400,"error":{"code":-1022,"msg":"no"}}')
    assert isinstance(bad, WsApiReply) and not bad.ok and bad.error_code == -1022
    revoked = parse_user_frame(b'{"id":null,"status":401,"error":{"code":-2015,"msg":"x"}}')
    assert isinstance(revoked, WsApiReply) and revoked.request_id is None
    odd = parse_user_frame(b'{"id":2,"status":200}')
    assert isinstance(odd, WsApiReply) and not odd.ok


def test_futures_account_update():
    raw = orjson.dumps({"e": "ACCOUNT_UPDATE", "E": 10, "T": 9, "a": {"m": "ORDER", "B": [
        {"a": "USDT", "wb": "10234.5512", "cw": "10234.5512", "bc": "0"}], "P": [
        {"s": "BTCUSDT", "pa": "-0.050", "ep": "95270.2", "bep": "95308.3", "cr": "12.4",
         "up": "-0.45", "mt": "cross", "iw": "0", "ps": "BOTH"}]}})
    update = parse_user_frame(raw)
    assert isinstance(update, FuturesAccountUpdate)
    assert update.transaction_time == 9 and update.reason == "ORDER"
    assert update.positions[0].amount == Decimal("-0.050")
    assert update.positions[0].unrealized_pnl == Decimal("-0.45")
    funding = parse_user_frame(b'{"e":"ACCOUNT_UPDATE","E":1,"T":1,"a":{"m":"FUNDING_FEE",'
                               b'"B":[{"a":"USDT","wb":"5","cw":"5"}]}}')
    assert isinstance(funding, FuturesAccountUpdate) and funding.positions == ()


# ----------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize("raw,reason", [
    (b"<html>502</html>", "invalid JSON"),
    (b"[1,2]", "not an object"),
    (b'{"subscriptionId":0,"event":[1]}', "not an object"),
    (b'{"e":"executionReport","E":1}', "missing key"),
    (b'{"e":"outboundAccountPosition","E":1,"u":1,"B":[{"a":"X","f":1.5,"l":"0"}]}',
     "decimal string"),
    (b'{"e":"outboundAccountPosition","E":1,"u":1,"B":[{"a":"X","f":"-1","l":"0"}]}',
     "negative"),
    (b'{"e":"outboundAccountPosition","E":1,"u":1,"B":[{"a":"X","f":"NaN","l":"0"}]}',
     "plain non-negative decimal, got 'NaN'"),
    (b'{"e":"outboundAccountPosition","E":true,"u":1,"B":[]}', "integer"),
    (b'{"e":"outboundAccountPosition","E":1,"u":1,"B":{"a":"X"}}', "list"),
    (b'{"e":"balanceUpdate","E":1,"a":"BTC","d":"abc","T":2}', "plain decimal, got 'abc'"),
    (b'{"e":"ACCOUNT_UPDATE","E":1,"T":1,"a":"x"}', "object"),
])
def test_hostile_frames_become_bad_frames(raw, reason):
    record = parse_user_frame(raw)
    assert isinstance(record, BadFrame)
    assert reason in record.reason
    assert "\n" not in record.reason


def test_unknown_events_are_ignored():
    assert isinstance(parse_user_frame(b'{"e":"MARGIN_CALL","E":1}'), Ignored)
    assert isinstance(parse_user_frame(b'{"e":"externalLockUpdate","E":1}'), Ignored)
    assert isinstance(parse_user_frame(b'{"x":1}'), Ignored)


def test_rest_bodies():
    assert parse_server_time({"serverTime": 5}) == 5
    assert parse_listen_key({"listenKey": "abc"}) == "abc"
    with pytest.raises(PayloadError, match="listenKey"):
        parse_listen_key({"listenKey": ""})
    with pytest.raises(PayloadError, match="^openOrders: "):
        parse_open_orders({"not": "a list"}, "spot")
    with pytest.raises(PayloadError, match="^account: missing key 'balances'"):
        parse_spot_account({})
    balances = parse_futures_balances({"assets": [{"asset": "USDT", "walletBalance": "-1.5",
                                                   "updateTime": 3}]})
    assert balances[0].wallet == Decimal("-1.5") and balances[0].cross_wallet == Decimal("-1.5")
    positions = parse_position_risk([
        {"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0", "entryPrice": "0",
         "unRealizedProfit": "0"},
        {"symbol": "ETHUSDT", "positionSide": "SHORT", "positionAmt": "-2", "entryPrice": "3000",
         "markPrice": "2990", "unRealizedProfit": "20", "isolatedWallet": "5", "updateTime": 9},
    ])
    assert len(positions) == 1 and positions[0].margin_type == "isolated"
    assert positions[0].mark_price == Decimal("2990")


# ----------------------------------------------------------------------------- issue 12 §2


def order_trade_update(**order):
    o = {"s": "BTCUSDT", "c": "x", "S": "BUY", "o": "LIMIT", "f": "GTC", "q": "1", "p": "10",
         "ap": "10", "sp": "0", "x": "TRADE", "X": "PARTIALLY_FILLED", "i": 7, "l": "0.5",
         "z": "0.5", "L": "10", "n": "0", "N": "USDT", "T": 5, "t": 9, "m": False, "R": False,
         "ps": "BOTH", "rp": "0"}
    o.update(order)
    return orjson.dumps({"e": "ORDER_TRADE_UPDATE", "E": 6, "T": 5, "o": o})


def test_the_overflow_frame_from_the_fuzzer_is_a_bad_frame():
    # "ap" x "z" raised decimal.Overflow (ap = 1e999999), which escaped parse_user_frame.
    record = parse_user_frame(order_trade_update(ap="1e999999", z="10"))
    assert isinstance(record, BadFrame)
    assert record.kind == "o.ap: bad decimal"
    assert "1e999999" in record.reason


def test_average_times_executed_is_exact_at_the_grammar_bounds():
    largest = "9" * 40
    update = parse_user_frame(order_trade_update(ap=largest, z=largest))
    assert isinstance(update, OrderUpdate)
    assert update.order.cum_quote == Decimal(int(largest) ** 2)
    tiny = "0." + "0" * 37 + "1"
    update = parse_user_frame(order_trade_update(ap=tiny, z=tiny))
    assert isinstance(update, OrderUpdate) and update.order.cum_quote == Decimal("1e-76")


@pytest.mark.parametrize("field", ["p", "q", "ap", "sp", "l", "z", "L", "n", "rp"])
@pytest.mark.parametrize("value", ["1e5", "1E-5", "1_0", " 1", "1 ", "١", "Infinity", "NaN",
                                   "9" * 41, "+1", ".5", "5.", ""])
def test_no_decimal_field_accepts_what_the_grammar_refuses(field, value):
    record = parse_user_frame(order_trade_update(**{field: value}))
    assert isinstance(record, BadFrame), (field, value)
    assert record.kind == f"o.{field}: bad decimal"


def test_signed_fields_take_a_minus_unsigned_ones_refuse_it():
    update = parse_user_frame(order_trade_update(n="-0.01", rp="-5.5"))
    assert isinstance(update, OrderUpdate)
    assert update.commission == Decimal("-0.01") and update.realized_pnl == Decimal("-5.5")
    for field in ("p", "q", "l", "z", "L", "ap"):
        for value in ("-1", "-0"):
            record = parse_user_frame(order_trade_update(**{field: value}))
            assert isinstance(record, BadFrame) and "non-negative" in record.reason


@pytest.mark.parametrize("raw", [
    b'{"id":true,"status":200,"result":{}}',  # true == 1: would answer request 1
    b'{"id":1.0,"status":200,"result":{}}',
    b'{"id":[1],"status":200,"result":{}}',
    b'{"id":{},"status":400,"error":{"code":1,"msg":"x"}}',
    b'{"id":0,"status":200,"result":{}}',
    b'{"id":9223372036854775808,"status":200,"result":{}}',
])
def test_ws_api_reply_ids_must_be_request_ids(raw):
    record = parse_user_frame(raw)
    assert isinstance(record, BadFrame) and record.kind == "response id"


def test_ws_api_reply_text_fields_never_str_a_structure():
    deep = b"[" * 1000 + b"]" * 1000
    reply = parse_user_frame(b'{"id":2,"status":400,"error":{"code":-1,"msg":' + deep + b"}}")
    assert isinstance(reply, WsApiReply) and reply.error_msg == "<list>"
    assert parse_user_frame(b'{"e":' + deep + b"}") == Ignored("<list>")
    long_id = parse_user_frame(b'{"id":"' + b"a" * 5000 + b'","status":400,"error":{}}')
    assert isinstance(long_id, WsApiReply) and long_id.request_id == "a" * 36


def test_listen_key_expired_time_strings_are_ascii_and_bounded():
    for event_time in ("١٢٣", "1" * 5000, "12a"):
        raw = orjson.dumps({"e": "listenKeyExpired", "E": event_time, "listenKey": "k"})
        assert isinstance(parse_user_frame(raw), BadFrame), event_time


def test_user_rest_readers_raise_only_payload_error():
    order = {"symbol": "A", "orderId": 1, "clientOrderId": "c", "side": "BUY", "type": "LIMIT",
             "price": "1", "origQty": "1", "executedQty": "0", "status": "NEW", "time": 1}
    assert parse_open_orders([order], "spot")[0].price == 1
    for key, bad in (("price", "1e5"), ("origQty", "-1"), ("executedQty", 0.5),
                     ("cummulativeQuoteQty", "1_0")):
        with pytest.raises(PayloadError, match=f"^openOrders: {key}"):
            parse_open_orders([{**order, key: bad}], "spot")
    with pytest.raises(PayloadError, match="^account: free"):
        parse_spot_account({"balances": [{"asset": "A", "free": "1e999999", "locked": "0"}]})
    with pytest.raises(PayloadError, match="^balance: balance"):
        parse_futures_balances([{"asset": "A", "balance": "--1"}])
    with pytest.raises(PayloadError, match="^positionRisk: positionAmt"):
        parse_position_risk([{"symbol": "A", "positionAmt": "1e3", "entryPrice": "1",
                              "unRealizedProfit": "0"}])
