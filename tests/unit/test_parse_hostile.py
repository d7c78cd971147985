"""Hostile frames: every one becomes a BadFrame or Ignored with a reason, never an exception."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest

from tuimon.protocol.models import BadFrame, ControlReply, DepthDiff, Ignored, MiniTicker
from tuimon.protocol.parse import (
    PayloadError,
    parse_depth_snapshot,
    parse_exchange_info,
    parse_frame,
    parse_klines,
    parse_levels,
    parse_ticker_24h,
)

GOOD_DEPTH = {
    "e": "depthUpdate",
    "E": 1,
    "s": "BTCUSDT",
    "U": 1,
    "u": 2,
    "b": [["100.0", "1.5"]],
    "a": [["101.0", "0"]],
}


def with_(**changes):
    body = dict(GOOD_DEPTH)
    body.update(changes)
    return orjson.dumps(body)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b'{"e":"depthUpdate",',
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b"42",
        b'"just a string"',
        with_(U="abc"),
        with_(u=True),
        with_(U=5, u=4),
        with_(b=[["100.0"]]),
        with_(b=["12"]),  # a string would unpack into characters
        with_(b=[{"p": "1", "q": "2"}]),
        with_(b=[[100.0, 1.0]]),  # numbers, not decimal strings: would lose exactness
        with_(b=[["NaN", "1"]]),
        with_(b=[["-1", "1"]]),
        with_(a=[["1", "Infinity"]]),
        with_(a="nope"),
        with_(s=""),
        with_(s=7),
        orjson.dumps({"stream": 5, "data": GOOD_DEPTH}),
        orjson.dumps({"stream": "x@depth", "data": "oops"}),
        orjson.dumps({"e": "24hrMiniTicker", "E": 1, "s": "BTCUSDT"}),
        orjson.dumps({"e": "kline", "E": 1, "s": "BTCUSDT", "k": []}),
        b"1" * 100 + b"e" * 1_000_000,
        b'{"u": 18446744073709551616999}',
    ],
)
def test_hostile_frames_never_raise(raw):
    _, frame = parse_frame(raw)
    assert isinstance(frame, BadFrame | Ignored), frame
    if isinstance(frame, BadFrame):
        assert frame.reason
        assert "\n" not in frame.reason


def test_good_frame_through_the_same_path():
    _, frame = parse_frame(with_())
    assert isinstance(frame, DepthDiff)
    assert str(frame.bids[0][1]) == "1.5"


def test_unknown_keys_and_unknown_events_are_tolerated():
    _, frame = parse_frame(with_(nq="1", st=1, ps="BTCUSDT", zz={"deep": [1]}))
    assert isinstance(frame, DepthDiff)
    # markPriceUpdate is parsed since issue 13 §3; compositeIndex is still one tuimon ignores.
    _, frame = parse_frame(b'{"e":"compositeIndex","E":1,"s":"DEFIUSDT","p":"1"}')
    assert frame == Ignored("compositeIndex")


def test_non_ascii_symbols_parse():
    body = {
        "e": "24hrMiniTicker",
        "E": 1,
        "s": "币安人生USDT",
        "c": "1",
        "o": "1",
        "h": "1",
        "l": "1",
        "v": "1",
        "q": "1",
    }
    stream, frame = parse_frame(orjson.dumps({"stream": "币安人生usdt@miniTicker", "data": body}))
    assert isinstance(frame, MiniTicker)
    assert frame.symbol == "币安人生USDT"
    assert stream == "币安人生usdt@miniTicker"


def test_control_replies_success_list_and_errors():
    assert parse_frame(b'{"result":null,"id":1}')[1] == ControlReply(1, True, None)
    listed = parse_frame(b'{"result":["btcusdt@depth"],"id":3}')[1]
    assert listed == ControlReply(3, True, ["btcusdt@depth"])
    nested = parse_frame(b'{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":4}')[1]
    assert isinstance(nested, ControlReply)
    assert not nested.ok
    assert nested.error_code == 2
    flat = parse_frame(b'{"code":3,"msg":"Invalid JSON","id":5}')[1]
    assert isinstance(flat, ControlReply)
    assert not flat.ok
    assert flat.error_code == 3


def test_mini_ticker_array():
    item = {
        "e": "24hrMiniTicker",
        "E": 1,
        "s": "A",
        "c": "1",
        "o": "1",
        "h": "1",
        "l": "1",
        "v": "1",
        "q": "1",
    }
    _, frame = parse_frame(orjson.dumps({"stream": "!miniTicker@arr", "data": [item, item]}))
    assert isinstance(frame, list)
    assert len(frame) == 2


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"bids": [], "asks": []},
        {"lastUpdateId": "1", "bids": [], "asks": []},
        {"lastUpdateId": 1, "bids": [["x", "1"]], "asks": []},
    ],
)
def test_bad_snapshots_raise_payload_error_with_one_line(body):
    with pytest.raises(PayloadError) as info:
        parse_depth_snapshot(body)
    assert "\n" not in str(info.value)


# ----------------------------------------------------------------------------- issue 12 §2


@pytest.mark.parametrize(
    "levels",
    [
        [["", ""]],
        [["x", "1"]],
        [["1", "x"]],
        [["1e999999", "1"]],
        [["1", "1E-999999"]],
        [["1_000", "1"]],
        [[" 1 ", "1"]],
        [["1", "١٢٣"]],
        [["1", "1" * 10_000_000]],
        [["-0", "1"]],
        [["1", "-0"]],
        [["1", ".5"]],
        [["1", 1]],
        [["1", True]],
        [["1", None]],
        [[["1"], "1"]],
        [["1", ["1"]]],
        [[{"p": 1}, "1"]],
        [["1"]],
        [[]],
        ["11"],
        [None],
        "11",
        None,
    ],
    ids=repr,
)
def test_bad_levels_raise_the_protocols_own_error(levels):
    with pytest.raises(PayloadError) as info:
        parse_levels(levels, "b")
    message = str(info.value)
    assert message.startswith("b ") and "\n" not in message and len(message) < 200
    # And the same levels inside a frame are a bad frame with a reason, never an exception.
    _, frame = parse_frame(with_(b=levels))
    assert isinstance(frame, BadFrame) and frame.kind.startswith("b")


def test_a_refused_value_is_never_cached():
    # The cache holds only validated strings: a refused one is refused again, not remembered.
    for _ in range(2):
        with pytest.raises(PayloadError):
            parse_levels([["1e5", "1"]], "b")
        with pytest.raises(PayloadError):
            parse_levels([["1", "1e5"]], "a")
    assert parse_levels([["1", "2"], ["1", "2"]], "b") == ((1, 2), (1, 2))


def test_bad_decimals_in_every_market_event_are_bad_frames():
    events = [
        {"e": "24hrMiniTicker", "E": 1, "s": "A", "c": "1e999999", "o": "1", "h": "1",
         "l": "1", "v": "1", "q": "1"},
        {"e": "aggTrade", "E": 1, "s": "A", "a": 1, "p": " 1", "q": "1", "T": 1, "m": True},
        {"e": "trade", "E": 1, "s": "A", "t": 1, "p": "1", "q": "1_0", "T": 1, "m": False},
        {"u": 1, "s": "A", "b": "1", "B": "1", "a": "NaN", "A": "1"},
        {"e": "kline", "E": 1, "s": "A", "k": {"t": 1, "T": 2, "i": "1m", "o": "1", "c": "1",
                                              "h": "1", "l": "1", "v": "١", "q": "1",
                                              "x": False}},
    ]
    for event in events:
        _, frame = parse_frame(orjson.dumps(event))
        assert isinstance(frame, BadFrame), event
        assert frame.kind.endswith("bad decimal"), frame


def test_the_same_garbage_field_is_one_kind():
    kinds = {
        parse_frame(with_(a=[["1", f"{n}e{n}"]]))[1].kind for n in range(50)
    } | {parse_frame(with_(U=n + 1, u=n))[1].kind for n in range(50)}
    assert kinds == {"a: bad decimal", "U > u"}
    assert parse_frame(b"{nope")[1].kind == parse_frame(b"[1,")[1].kind == "invalid JSON"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"result":null,"id":true}',  # true == 1: would answer request 1
        b'{"result":null,"id":false}',
        b'{"result":null,"id":1.0}',
        b'{"result":null,"id":1e30}',  # a huge integer that went through a float
        b'{"result":null,"id":[1]}',
        b'{"result":null,"id":{"a":1}}',
        b'{"result":null,"id":"1"}',
        b'{"result":null,"id":0}',
        b'{"result":null,"id":-1}',
        b'{"result":null,"id":9223372036854775808}',
        b'{"error":{"code":2,"msg":"x"},"id":true}',
        b'{"code":2,"msg":"x","id":1.5}',
    ],
)
def test_control_reply_ids_must_be_our_request_ids(raw):
    _, frame = parse_frame(raw)
    assert isinstance(frame, BadFrame) and frame.kind == "control reply id"


def test_control_reply_id_range_and_null():
    assert parse_frame(b'{"result":null,"id":9223372036854775807}')[1] == ControlReply(
        2**63 - 1, True, None
    )
    unread = parse_frame(b'{"error":{"code":2,"msg":"bad id"},"id":null}')[1]
    assert unread == ControlReply(None, False, None, 2, "bad id")


def test_control_reply_fields_of_the_wrong_type_are_dropped():
    deep = b"[" * 1000 + b"]" * 1000  # str() of this raises RecursionError
    frame = parse_frame(b'{"error":{"code":"2","msg":' + deep + b'},"id":3}')[1]
    assert frame == ControlReply(3, False, None, None, "<list>")
    flat = parse_frame(b'{"code":1.5,"msg":{"a":1},"id":4}')[1]
    assert flat == ControlReply(4, False, None, None, "<dict>")


def test_deeply_nested_event_types_are_ignored_not_fatal():
    deep = b"[" * 1000 + b"]" * 1000
    assert parse_frame(b'{"e":' + deep + b"}")[1] == Ignored("<list>")


def test_rest_parsers_raise_only_payload_error():
    good_row = [1, "1", "2", "0.5", "1.5", "10", 2, "15", 3]
    assert parse_klines([good_row], "A", "1m")[0].close == Decimal("1.5")
    for bad in ("1e5", " 1", "1_0", "-1", 1.5, None):
        row = list(good_row)
        row[4] = bad
        with pytest.raises(PayloadError, match="^bad kline row|^close"):
            parse_klines([row], "A", "1m")
    for body in (None, {"symbols": "x"}, [], 1):
        with pytest.raises(PayloadError):
            parse_exchange_info(body)
    tick = {"filterType": "PRICE_FILTER", "tickSize": "1e-2"}
    deep_status = orjson.loads(b"[" * 1000 + b"]" * 1000)
    info = parse_exchange_info(
        {
            "symbols": [
                {"symbol": "BAD", "status": "TRADING", "filters": [tick]},
                {"symbol": "DEEP", "status": deep_status},
                {"symbol": "ODD", "status": "TRADING", "baseAsset": 5},
                {"symbol": "OK", "status": "TRADING", "filters": [
                    {"filterType": "PRICE_FILTER", "tickSize": "0.01000000"}]},
            ]
        }
    )
    assert list(info) == ["OK"] and info["OK"].tick_size == Decimal("0.01")
    rows = parse_ticker_24h(
        [
            {"symbol": "A", "lastPrice": "1e999999", "openPrice": "1", "highPrice": "1",
             "lowPrice": "1", "volume": "1", "quoteVolume": "1", "closeTime": 1},
            {"symbol": "B", "lastPrice": "2", "openPrice": "1", "highPrice": "2",
             "lowPrice": "1", "volume": "1", "quoteVolume": "1", "closeTime": 1},
        ]
    )
    assert [r.symbol for r in rows] == ["B"]
