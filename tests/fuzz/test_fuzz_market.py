"""Market parsers under fuzzing: a typed record or the protocol's own error, never anything else.

parse_frame: random bytes, random JSON, event-shaped JSON in every envelope, and every recorded
frame with one field replaced by a random JSON value (a sample by hypothesis, plus an exhaustive
sweep: every field of every recorded frame, once). REST parsers (depth snapshot, exchangeInfo,
klines, ticker 24h): random JSON and recorded bodies with one field replaced; PayloadError only.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import orjson
from fuzz_strategies import (
    HOSTILE_DECIMALS,
    check_decimals,
    check_one_line,
    decimalish,
    dumps,
    json_scalars,
    json_values,
    mutated,
    paths,
    raw_frames,
    recorded_depth_snapshots,
    recorded_http,
    recorded_market_frames,
    replaced,
)
from hypothesis import example, given
from hypothesis import strategies as st

from tuimon.protocol.decimals import is_exchange_decimal
from tuimon.protocol.models import (
    BadFrame,
    BookTicker,
    ControlReply,
    DepthDiff,
    DepthSnapshot,
    Ignored,
    Kline,
    Liquidation,
    MarkPrice,
    MiniTicker,
    ServerShutdown,
    SymbolInfo,
    Ticker24h,
    Trade,
)
from tuimon.protocol.parse import (
    PayloadError,
    parse_depth_snapshot,
    parse_exchange_info,
    parse_frame,
    parse_klines,
    parse_levels,
    parse_payload,
    parse_ticker_24h,
)
from tuimon.protocol.streams import REQUEST_ID_MAX

EVENTS = (MiniTicker, Kline, DepthDiff, Trade, BookTicker, ServerShutdown, MarkPrice, Liquidation)


def check_frame(stream: str | None, frame: Any) -> None:
    """What parse_frame may return, and what each record may hold."""
    assert stream is None or type(stream) is str
    if isinstance(frame, BadFrame):
        check_one_line(frame.reason)
        assert frame.kind and len(frame.kind) <= 120, frame
        assert frame.stream is None or frame.stream == stream
    elif isinstance(frame, Ignored):
        assert type(frame.kind) is str and len(frame.kind) <= 40
    elif isinstance(frame, ControlReply):
        rid = frame.request_id
        assert rid is None or (type(rid) is int and 1 <= rid <= REQUEST_ID_MAX), rid
        assert frame.error_code is None or type(frame.error_code) is int
        assert type(frame.error_msg) is str and len(frame.error_msg) <= 200
    elif isinstance(frame, list):
        for item in frame:
            assert type(item) in (MiniTicker, MarkPrice)  # !miniTicker@arr, !markPrice@arr
            check_event(item)
    else:
        assert isinstance(frame, EVENTS), type(frame)
        check_event(frame)


def check_event(event: Any) -> None:
    check_decimals(event, frozenset({"funding_rate"}))  # the only signed market value
    assert type(event.event_time) is int or event.event_time is None
    if isinstance(event, DepthDiff):
        assert type(event.first_id) is int and type(event.final_id) is int
        assert event.first_id <= event.final_id
        assert event.prev_final_id is None or type(event.prev_final_id) is int
        # Levels stay the exchange's text, each a decimal of the unsigned grammar.
        assert type(event.bids) is tuple and type(event.asks) is tuple
        for level in (*event.bids, *event.asks):
            assert type(level) is tuple and len(level) == 2, level
            assert all(type(t) is str and is_exchange_decimal(t) for t in level), level
    if hasattr(event, "symbol"):
        assert type(event.symbol) is str and event.symbol


@given(raw_frames)
@example(b"")
@example(b"\xff\xfe")
@example(b"[" * 1025 + b"]" * 1025)  # past orjson's depth limit
@example(b'{"e":' + b"[" * 1000 + b"]" * 1000 + b"}")  # str() of it raises RecursionError
@example(b'{"result":null,"id":true}')
@example(b'{"result":null,"id":1e30}')
@example(b'{"stream":"s","data":{"e":"depthUpdate","E":1,"s":"A","U":1,"u":1,'
         b'"b":[["",""]],"a":[]}}')
def test_parse_frame_on_any_bytes(raw):
    check_frame(*parse_frame(raw))


@given(json_values)
def test_parse_payload_on_any_json(value):
    frame = parse_payload(value, "s")
    check_frame("s", frame)


@given(mutated(list(recorded_market_frames())))
def test_recorded_frames_with_one_field_replaced(doc):
    check_frame(*parse_frame(dumps(doc)))


def test_every_field_of_every_recorded_frame_replaced_once():
    """Exhaustive companion of the sample above: each field of each recorded frame (about
    90 000 in all) replaced by the next of a cycle of hostile values, parsed."""
    hostile = itertools.cycle([*HOSTILE_DECIMALS[:-1], None, True, 1.5, -1, 2**64, [], {}])
    parsed = 0
    for doc in recorded_market_frames():
        for path in paths(doc):
            check_frame(*parse_frame(dumps(replaced(doc, path, next(hostile)))))
            parsed += 1
    assert parsed > 50_000


def test_every_recorded_frame_parses_cleanly():
    """The unmutated captures: no bad frame at all (the grammar refuses nothing real)."""
    kinds = set()
    for doc in recorded_market_frames():
        stream, frame = parse_frame(orjson.dumps(doc))
        assert not isinstance(frame, BadFrame), (doc, frame)
        check_frame(stream, frame)
        kinds.add(type(frame).__name__)
    assert {"DepthDiff", "BookTicker", "Trade", "Kline"} <= kinds


# ----------------------------------------------------------------------------- REST bodies


def rest_result(parser: Any, body: Any) -> Any:
    """The parser's result, or None when it raised PayloadError (anything else fails)."""
    try:
        return parser(body)
    except PayloadError as exc:
        check_one_line(str(exc))
        return None


@given(st.one_of(json_values, mutated(list(recorded_depth_snapshots()))))
@example({"lastUpdateId": 1, "bids": [["", ""]], "asks": []})
@example({"lastUpdateId": 1, "bids": [["x", "1"]], "asks": []})
@example({"lastUpdateId": 1, "bids": [["1e999999", "1"]], "asks": []})
def test_depth_snapshot(body):
    snapshot = rest_result(parse_depth_snapshot, body)
    if snapshot is not None:
        assert type(snapshot) is DepthSnapshot and type(snapshot.last_update_id) is int
        check_decimals(snapshot)


@given(st.lists(st.lists(st.one_of(decimalish, json_scalars), max_size=3), max_size=4))
@example([["", ""]])
@example([["x", "1"]])
@example([["1", "1"], ["1", "1"]])  # the second pair comes from the caches
def test_levels(levels):
    result = rest_result(lambda raw: parse_levels(raw, "bids"), levels)
    if result is not None:
        check_decimals(result)
        assert all(type(p) is Decimal and type(q) is Decimal for p, q in result)


EXCHANGE_INFO = [recorded_http("http_spot_market_exchange_info.json"),
                 recorded_http("http_futures_market_exchange_info.json")]


@given(st.one_of(json_values, mutated(EXCHANGE_INFO)))
def test_exchange_info(body):
    table = rest_result(parse_exchange_info, body)
    if table is not None:
        for symbol, info in table.items():
            assert type(info) is SymbolInfo and info.symbol == symbol
            assert type(info.status) is str and type(info.base_asset) is str
            check_decimals(info)


KLINES = [recorded_http("http_spot_market_klines.json"),
          recorded_http("http_futures_market_klines.json")]


@given(st.one_of(json_values, mutated(KLINES)))
def test_klines(body):
    rows = rest_result(lambda b: parse_klines(b, "BTCUSDT", "1m"), body)
    if rows is not None:
        for row in rows:
            assert type(row) is Kline
            check_event(row)


TICKERS = [recorded_http("http_futures_market_ticker_24hr.json")]


@given(st.one_of(json_values, mutated(TICKERS)))
def test_ticker_24h(body):
    rows = rest_result(parse_ticker_24h, body)
    if rows is not None:
        for row in rows:
            assert type(row) is Ticker24h
            check_decimals(row)
