"""User-data parsers under fuzzing: a typed record or the protocol's own error, never anything
else (issue 12: an ORDER_TRADE_UPDATE with ap=1e999999 raised decimal.Overflow).

parse_user_frame / parse_user_event: random bytes, random JSON, event-shaped JSON in every
envelope, every recorded private message with one field replaced. REST readers (open orders,
spot account, futures balances, position risk, server time, listenKey): PayloadError only.
"""

from __future__ import annotations

import itertools
from typing import Any

import orjson
from fuzz_strategies import (
    HOSTILE_DECIMALS,
    check_decimals,
    check_one_line,
    dumps,
    event_shaped,
    json_values,
    mutated,
    paths,
    raw_frames,
    recorded_http,
    recorded_user_frames,
    replaced,
)
from hypothesis import example, given
from hypothesis import strategies as st

from tuimon.protocol.models import BadFrame, Ignored, ServerShutdown
from tuimon.protocol.parse import PayloadError
from tuimon.protocol.streams import REQUEST_ID_MAX
from tuimon.protocol.user_models import (
    AlgoUpdate,
    Balance,
    BalanceDelta,
    FuturesAccountUpdate,
    ListenKeyExpired,
    MarginBalance,
    Order,
    OrderUpdate,
    Position,
    SpotBalances,
    StreamTerminated,
    TradeLite,
    WsApiReply,
)
from tuimon.protocol.user_parse import (
    MAX_STRING_ID,
    parse_futures_balances,
    parse_listen_key,
    parse_open_orders,
    parse_position_risk,
    parse_server_time,
    parse_spot_account,
    parse_user_event,
    parse_user_frame,
)

EVENTS = (
    OrderUpdate,
    SpotBalances,
    BalanceDelta,
    FuturesAccountUpdate,
    TradeLite,
    AlgoUpdate,
    ListenKeyExpired,
    StreamTerminated,
    ServerShutdown,
)
SIGNED = frozenset(
    {"delta", "amount", "unrealized_pnl", "wallet", "cross_wallet", "commission", "realized_pnl"}
)
"""Fields Binance sends signed (balance deltas, PnL, position amounts, wallets, commissions)."""


def check_user_frame(frame: Any) -> None:
    if isinstance(frame, BadFrame):
        check_one_line(frame.reason)
        assert frame.kind and len(frame.kind) <= 120, frame
    elif isinstance(frame, Ignored):
        assert type(frame.kind) is str and len(frame.kind) <= 40
    elif isinstance(frame, WsApiReply):
        rid = frame.request_id
        assert rid is None or (type(rid) is int and 1 <= rid <= REQUEST_ID_MAX) or (
            type(rid) is str and len(rid) <= MAX_STRING_ID
        ), rid
        assert type(frame.status) is int
        assert frame.error_code is None or type(frame.error_code) is int
        assert type(frame.error_msg) is str and len(frame.error_msg) <= 200
    else:
        assert isinstance(frame, EVENTS), type(frame)
        check_decimals(frame, SIGNED)
        assert type(frame.event_time) is int
        if isinstance(frame, OrderUpdate):
            # What the account pane computes from an order must not raise either.
            frame.order.filled_fraction  # noqa: B018
            assert frame.order.version[0] == frame.order.executed_qty


@given(raw_frames)
@example(b'{"e":"ORDER_TRADE_UPDATE","E":1,"T":1,"o":{"s":"A","S":"BUY","o":"LIMIT","q":"10",'
         b'"p":"1","ap":"1e999999","x":"TRADE","X":"FILLED","i":1,"l":"10","z":"10","L":"1",'
         b'"T":1}}')
@example(b'{"id":true,"status":200,"result":{}}')
@example(b'{"e":' + b"[" * 1000 + b"]" * 1000 + b"}")
def test_parse_user_frame_on_any_bytes(raw):
    check_user_frame(parse_user_frame(raw))


@given(st.one_of(json_values, event_shaped()))
def test_parse_user_event_on_any_json(value):
    check_user_frame(parse_user_event(value))


def envelopes(event: Any) -> list[bytes]:
    """A recorded event as spot's WS API and as the futures stream deliver it."""
    inner = event.get("event", event) if isinstance(event, dict) else event
    return [dumps(inner), dumps({"subscriptionId": 0, "event": inner})]


@given(mutated(list(recorded_user_frames())))
def test_recorded_private_messages_with_one_field_replaced(doc):
    for raw in envelopes(doc):
        check_user_frame(parse_user_frame(raw))


def test_every_field_of_every_recorded_private_message_replaced_once():
    hostile = itertools.cycle([*HOSTILE_DECIMALS[:-1], None, False, 2.5, -7, 2**64, [], {}])
    parsed = 0
    for doc in recorded_user_frames():
        for path in paths(doc):
            check_user_frame(parse_user_frame(dumps(replaced(doc, path, next(hostile)))))
            parsed += 1
    assert parsed > 1000


def test_every_recorded_private_message_parses_cleanly():
    for doc in recorded_user_frames():
        for raw in envelopes(doc):
            frame = parse_user_frame(raw)
            assert not isinstance(frame, BadFrame), (doc, frame)
            check_user_frame(frame)


# ----------------------------------------------------------------------------- REST readers


def rest_result(parser: Any, body: Any) -> Any:
    try:
        return parser(body)
    except PayloadError as exc:
        check_one_line(str(exc))
        return None


ORDER = {"symbol": "BTCUSDT", "orderId": 1, "clientOrderId": "c", "price": "1.5",
         "origQty": "2", "executedQty": "0.5", "cummulativeQuoteQty": "0.75", "cumQuote": "0.75",
         "status": "NEW", "timeInForce": "GTC", "type": "LIMIT", "side": "BUY", "stopPrice": "0",
         "time": 1, "updateTime": 2, "positionSide": "BOTH", "reduceOnly": False}
POSITION = {"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "-0.5",
            "entryPrice": "95000", "breakEvenPrice": "95010", "markPrice": "95100",
            "unRealizedProfit": "-50", "isolatedWallet": "0", "updateTime": 3}
BALANCE = {"asset": "USDT", "balance": "-1.5", "crossWalletBalance": "1", "updateTime": 1}


@given(
    st.one_of(json_values, mutated([[ORDER], [ORDER, ORDER]])), st.sampled_from(["spot", "usdm"])
)
def test_open_orders(body, market):
    orders = rest_result(lambda b: parse_open_orders(b, market), body)
    if orders is not None:
        assert all(type(o) is Order for o in orders)
        check_decimals(orders)


@given(st.one_of(json_values, mutated([recorded_http("http_spot_wallet_account.json")])))
def test_spot_account(body):
    result = rest_result(parse_spot_account, body)
    if result is not None:
        update_ms, balances = result
        assert type(update_ms) is int and all(type(b) is Balance for b in balances)
        check_decimals(balances)


@given(st.one_of(json_values, mutated([[BALANCE], {"assets": [BALANCE]}])))
def test_futures_balances(body):
    balances = rest_result(parse_futures_balances, body)
    if balances is not None:
        assert all(type(b) is MarginBalance for b in balances)
        check_decimals(balances, SIGNED)


@given(st.one_of(json_values, mutated([[POSITION]])))
def test_position_risk(body):
    positions = rest_result(parse_position_risk, body)
    if positions is not None:
        assert all(type(p) is Position for p in positions)
        check_decimals(positions, SIGNED)


@given(st.one_of(json_values, mutated([{"serverTime": 1}, {"listenKey": "k"}])))
def test_server_time_and_listen_key(body):
    time = rest_result(parse_server_time, body)
    assert time is None or type(time) is int
    key = rest_result(parse_listen_key, body)
    assert key is None or (type(key) is str and key)


def test_recorded_account_body_is_valid_json_for_the_mutator():
    assert orjson.loads(orjson.dumps(recorded_http("http_spot_wallet_account.json")))
