"""parse_frame's typed fast path (msgspec) against the general parser (orjson + builders).

The fast path may only be faster: for any bytes, parse_frame gives the record (or the bad
frame, with its reason and kind) that parse_frame_general gives. Compared by repr, so a
Decimal written differently, a bool for an int or a changed reason all count as differences.
"""

from __future__ import annotations

import itertools
from typing import Any

import orjson
from fuzz_strategies import (
    HOSTILE_DECIMALS,
    decimalish,
    dumps,
    json_values,
    mutated,
    paths,
    raw_frames,
    recorded_market_frames,
    replaced,
)
from hypothesis import example, given
from hypothesis import strategies as st

from tuimon.protocol.models import BadFrame, DepthDiff, Kline, MiniTicker
from tuimon.protocol.parse import parse_frame, parse_frame_general

DEPTH = {
    "e": "depthUpdate", "E": 1796650883698, "s": "BTCUSDT", "U": 4150360888, "u": 4150360890,
    "b": [["95006.56000000", "0.00000000"], ["94773.36000000", "0.08603000"]],
    "a": [["95003.11000000", "0.04831000"]],
}  # fmt: skip
FUTURES_DEPTH = {**DEPTH, "pu": 4150360887, "T": 1796650883690}
MINI = {
    "e": "24hrMiniTicker", "E": 1796650883859, "s": "BTCUSDT", "c": "94965.10000000",
    "o": "96508.29000000", "h": "99883.42000000", "l": "93441.04000000",
    "v": "7482.65920000", "q": "721048051.01046370",
}  # fmt: skip
KLINE = {
    "e": "kline", "E": 1796650883859, "s": "BTCUSDT",
    "k": {"t": 1796650860000, "T": 1796650919999, "s": "BTCUSDT", "i": "1m", "f": 720144722,
          "L": 720145364, "o": "95053.75000000", "c": "94965.10000000", "h": "95063.30000000",
          "l": "94965.10000000", "v": "8.57656000", "n": 643, "x": False,
          "q": "814825.75825410", "V": "2.92346000", "Q": "277763.10792570", "B": "0"},
}  # fmt: skip
BUSY = (DEPTH, FUTURES_DEPTH, MINI, KLINE)


def envelope(event: Any, stream: Any = "btcusdt@x") -> bytes:
    return dumps({"stream": stream, "data": event})


def same(raw: bytes | bytearray | str) -> None:
    assert repr(parse_frame(raw)) == repr(parse_frame_general(raw)), raw


def test_busy_events_take_the_fast_path_whole():
    """The well-formed busy events: records, and the same as the general parser's."""
    for event, kind in ((DEPTH, DepthDiff), (FUTURES_DEPTH, DepthDiff), (MINI, MiniTicker),
                        (KLINE, Kline)):  # fmt: skip
        raw = envelope(event)
        stream, record = parse_frame(raw)
        assert stream == "btcusdt@x" and type(record) is kind
        same(raw)
        same(bytearray(raw))  # the transport hands over bytearrays
        same(raw.decode())


@given(raw_frames)
@example(b'{"stream":"x","data":{"e":"depthUpdate","E":1,"s":"A","U":1,"U":5,"u":2,'
         b'"b":[],"a":[]}}')  # a duplicate key: the last one counts in both
@example(b'{"stream":"x","stream":5,"data":{"e":"depthUpdate","E":1,"s":"A","U":1,"u":2,'
         b'"b":[],"a":[]}}')
@example(b'{"stream":"x","data":{"e":"depthUpdate","E":1,"s":"A","U":1,"u":2,'
         b'"b":[],"a":[],"z":"\xff"}}')  # invalid UTF-8 in a key nobody reads
@example(b'{"stream":"x","data":{"e":"depthUpdate","E":1,"s":"A","U":1,"u":2,"b":[],"a":[],'
         b'"z":' + b"[" * 2000 + b"]" * 2000 + b"}}")  # nested past both decoders' limits
@example(b'{"stream":"x","data":{"e":"depthUpdate","e":"kline","E":1,"s":"A","U":1,"u":2,'
         b'"b":[],"a":[]}}')
def test_any_bytes(raw):
    same(raw)


@st.composite
def busy_with_one_field_replaced(draw: st.DrawFn) -> Any:
    """A well-formed busy event, one field (anywhere in it) replaced by a hostile value."""
    event = draw(st.sampled_from(BUSY))
    path = draw(st.sampled_from(list(paths(event))))
    value = draw(st.one_of(decimalish, json_values))
    return replaced(event, path, value)


@st.composite
def depth_with_levels(draw: st.DrawFn) -> Any:
    """A depth event whose levels are made of decimal-ish strings and odd shapes."""
    level = st.one_of(
        st.lists(decimalish, min_size=2, max_size=2),
        st.lists(st.one_of(decimalish, json_values), max_size=3),
    )
    return {**DEPTH, "b": draw(st.lists(level, max_size=4)), "a": draw(st.lists(level, max_size=4))}


@given(st.one_of(busy_with_one_field_replaced(), depth_with_levels()))
@example({**DEPTH, "E": 1.0})
@example({**DEPTH, "E": True})
@example({**DEPTH, "s": ""})
@example({**DEPTH, "U": 5, "u": 4})
@example({**DEPTH, "pu": None, "T": None})
@example({**DEPTH, "b": [["1", "2", "3"]]})  # a longer level: the general parser's call
@example({**DEPTH, "b": [["1e5", "1"]]})
@example({**DEPTH, "s": "币安人生USDT"})  # not ASCII: the general parser
@example({**KLINE, "k": {**KLINE["k"], "i": ""}})
@example({**KLINE, "k": {k: v for k, v in KLINE["k"].items() if k != "n"}})
@example({**DEPTH, "E": 2**63})  # past int64: the general parser's call (it takes u64)
def test_busy_events_with_hostile_fields(event):
    same(envelope(event))
    same(dumps(event))  # unwrapped: always the general parser, still the same answer


@given(mutated(list(recorded_market_frames())))
def test_recorded_frames_with_one_field_replaced(doc):
    same(dumps(doc))


def test_every_field_of_every_recorded_busy_frame_replaced_once():
    """Exhaustive: each field of each recorded depth, mini-ticker and kline frame replaced by
    the next of a cycle of hostile values; both parsers give the same answer."""
    hostile = itertools.cycle([*HOSTILE_DECIMALS[:-1], None, True, 1.5, -1, 2**64, [], {}])
    busy = ("depthUpdate", "24hrMiniTicker", "kline")
    checked = 0
    bad = 0
    for doc in recorded_market_frames():
        data = doc.get("data") if type(doc) is dict else None
        if type(data) is not dict or data.get("e") not in busy:
            continue
        same(orjson.dumps(doc))
        for path in paths(doc):
            raw = dumps(replaced(doc, path, next(hostile)))
            same(raw)
            bad += isinstance(parse_frame(raw)[1], BadFrame)
            checked += 1
    assert checked > 5_000 and bad > 1_000
