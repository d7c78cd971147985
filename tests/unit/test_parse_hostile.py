"""Hostile frames: every one becomes a BadFrame or Ignored with a reason, never an exception."""

from __future__ import annotations

import orjson
import pytest

from tuimon.protocol.models import BadFrame, ControlReply, DepthDiff, Ignored, MiniTicker
from tuimon.protocol.parse import PayloadError, parse_depth_snapshot, parse_frame

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
    _, frame = parse_frame(b'{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1"}')
    assert frame == Ignored("markPriceUpdate")


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
