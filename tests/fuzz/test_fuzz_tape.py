"""The trades-tape and futures parsers under fuzzing (issue 13): aggTrade, markPriceUpdate,
forceOrder frames and the REST aggTrades/premiumIndex bodies, each with one field replaced by
a random JSON value. A typed record with grammar decimals (a funding rate may be negative,
nothing else), or the protocol's own error in one line; never anything else."""

from __future__ import annotations

from typing import Any

from fuzz_strategies import check_decimals, check_one_line, dumps, json_values, mutated
from hypothesis import given

from tuimon.protocol.models import BadFrame, Liquidation, MarkPrice, Trade
from tuimon.protocol.parse import (
    PayloadError,
    parse_agg_trades,
    parse_frame,
    parse_premium_index,
)

MARK = {"e": "markPriceUpdate", "E": 1768003202000, "s": "BTCUSDT", "p": "95268.41230000",
        "i": "95281.02000000", "P": "95290.11000000", "r": "-0.00010000",
        "ap": "95266.90000000", "T": 1768017600000}
FORCE = {"e": "forceOrder", "E": 1768003202100, "o": {
    "s": "BTCUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": "0.120", "p": "95010.00",
    "ap": "95120.40", "X": "FILLED", "l": "0.120", "z": "0.120", "T": 1768003202095}}
AGG = {"e": "aggTrade", "E": 1768003201700, "s": "BTCUSDT", "a": 2900111222, "p": "95270.20",
       "q": "0.250", "nq": "0.250", "f": 7700123400, "l": 7700123403, "T": 1768003201690,
       "m": False}
FRAMES = [{"stream": "btcusdt@markPrice@1s", "data": MARK},
          {"stream": "btcusdt@forceOrder", "data": FORCE},
          {"stream": "btcusdt@aggTrade", "data": AGG},
          {"stream": "!markPrice@arr@1s", "data": [MARK, MARK]}]
AGG_ROWS = [[{"a": 1, "p": "1.5", "q": "2", "f": 1, "l": 1, "T": 5, "m": True, "M": True},
             {"a": 2, "p": "1.6", "q": "3", "f": 2, "l": 3, "T": 6, "m": False, "M": True}]]
PREMIUM = {"symbol": "BTCUSDT", "markPrice": "11793.63104562", "indexPrice": "11781.80495970",
           "estimatedSettlePrice": "11781.16138815", "lastFundingRate": "-0.00038246",
           "nextFundingTime": 1597392000000, "interestRate": "0.00010000",
           "time": 1597370495002}
SIGNED = frozenset({"funding_rate"})


def check_record(record: Any) -> None:
    assert type(record) in (Trade, MarkPrice, Liquidation), type(record)
    check_decimals(record, SIGNED)
    assert type(record.symbol) is str and record.symbol
    assert type(record.event_time) is int
    if type(record) is Liquidation:
        assert record.side in ("BUY", "SELL")


@given(mutated(FRAMES))
def test_frames_with_one_field_replaced(doc):
    _, frame = parse_frame(dumps(doc))
    if isinstance(frame, BadFrame):
        check_one_line(frame.reason)
    elif isinstance(frame, list):
        for item in frame:
            check_record(item)
    elif type(frame) in (Trade, MarkPrice, Liquidation):
        check_record(frame)


@given(mutated(AGG_ROWS))
def test_rest_agg_trades_with_one_field_replaced(body):
    try:
        trades = parse_agg_trades(body, "BTCUSDT")
    except PayloadError as exc:
        check_one_line(str(exc))
        return
    ids = [t.trade_id for t in trades]
    assert ids == sorted(ids)
    for trade in trades:
        check_record(trade)


@given(mutated([PREMIUM, [PREMIUM, dict(PREMIUM, symbol="ETHUSDT")]]))
def test_rest_premium_index_with_one_field_replaced(body):
    try:
        marks = parse_premium_index(body)
    except PayloadError as exc:
        check_one_line(str(exc))
        return
    for mark in marks:
        check_record(mark)


@given(json_values)
def test_rest_bodies_on_any_json(value):
    for parse in (lambda b: parse_agg_trades(b, "X"), parse_premium_index):
        try:
            for record in parse(value):
                check_record(record)
        except PayloadError as exc:
            check_one_line(str(exc))
