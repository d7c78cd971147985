"""aggTrade, markPriceUpdate, forceOrder and the REST aggTrades / premiumIndex bodies: real
recorded payloads where the captures have them, the documented shapes otherwise, and hostile
input (always a BadFrame or a PayloadError with one line, never an exception)."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from recorded_data import data_root, ws_records

from tuimon.protocol.models import BadFrame, Liquidation, MarkPrice, Trade
from tuimon.protocol.parse import (
    PayloadError,
    parse_agg_trades,
    parse_frame,
    parse_premium_index,
)

# The documented examples (reference §4.2), as the exchange sends them.
MARK = {
    "e": "markPriceUpdate",
    "E": 1768003202000,
    "s": "BTCUSDT",
    "p": "95268.41230000",
    "i": "95281.02000000",
    "P": "95290.11000000",
    "r": "0.00010000",
    "ap": "95266.90000000",
    "T": 1768017600000,
}
FORCE = {
    "e": "forceOrder",
    "E": 1768003202100,
    "o": {
        "s": "BTCUSDT",
        "S": "SELL",
        "o": "LIMIT",
        "f": "IOC",
        "q": "0.120",
        "p": "95010.00",
        "ap": "95120.40",
        "X": "FILLED",
        "l": "0.120",
        "z": "0.120",
        "T": 1768003202095,
    },
}


def http_json(name: str) -> object:
    path = data_root() / "nautilus-trader" / "http_responses" / name
    return orjson.loads(path.read_bytes())


@pytest.mark.parametrize(
    "capture", ["BINANCE.ws.1.0.txt", "BINANCE_US.ws.1.0.txt", "BINANCE_FUTURES.ws.1.0.txt",
                "BINANCE_DELIVERY.ws.1.0.txt"]
)
def test_recorded_agg_trades_parse_exactly(capture: str) -> None:
    trades = []
    for record in ws_records(capture):
        if b'"aggTrade"' not in record.raw:
            continue
        stream, frame = parse_frame(record.raw)
        assert type(frame) is Trade, frame
        assert stream is not None and stream.endswith("@aggTrade")
        raw = orjson.loads(record.raw)["data"]
        assert str(frame.price) == raw["p"] and str(frame.qty) == raw["q"]  # exact text
        assert frame.trade_id == raw["a"] and frame.buyer_is_maker is raw["m"]
        trades.append(frame)
    assert trades
    # Per symbol the aggregate ids only go up in a capture without reconnects.
    by_symbol: dict[str, list[int]] = {}
    for trade in trades:
        by_symbol.setdefault(trade.symbol, []).append(trade.trade_id)
    for ids in by_symbol.values():
        assert ids == sorted(ids)


def test_recorded_rest_agg_trades() -> None:
    spot = parse_agg_trades(http_json("http_spot_market_agg_trades.json"), "BTCUSDT")
    assert [t.trade_id for t in spot][:2] == [966492862, 966492863]
    assert spot[0].price == Decimal("60759.60000000") and spot[0].buyer_is_maker is False
    assert spot[0].event_time == spot[0].trade_time == 1634944096633
    assert all(t.symbol == "BTCUSDT" and t.aggregate for t in spot)
    futures = parse_agg_trades(http_json("http_futures_market_agg_trades.json"), "BTCUSDT")
    assert futures[0].trade_id == 26129 and futures[0].buyer_is_maker is True  # no "M" there


def test_recorded_premium_index_single_and_list() -> None:
    body = http_json("http_futures_market_premium_index.json")
    (mark,) = parse_premium_index(body)
    assert mark == MarkPrice(
        "BTCUSDT",
        1597370495002,
        Decimal("11793.63104562"),
        Decimal("11781.80495970"),
        Decimal("0.00038246"),
        1597392000000,
        Decimal("11781.16138815"),
    )
    # COIN-M always answers a list; a delivery contract has no funding ("" and 0).
    delivery = dict(body, symbol="BTCUSD_250926", lastFundingRate="", nextFundingTime=0)
    negative = dict(body, symbol="BTCUSD_PERP", lastFundingRate="-0.00012000")
    marks = parse_premium_index([delivery, {"symbol": 5}, negative])
    assert [m.symbol for m in marks] == ["BTCUSD_250926", "BTCUSD_PERP"]  # bad row skipped
    assert marks[0].funding_rate is None and marks[0].next_funding_time == 0
    assert marks[1].funding_rate == Decimal("-0.00012000")


def test_mark_price_frame() -> None:
    stream, frame = parse_frame(orjson.dumps({"stream": "btcusdt@markPrice@1s", "data": MARK}))
    assert stream == "btcusdt@markPrice@1s"
    assert frame == MarkPrice(
        "BTCUSDT",
        1768003202000,
        Decimal("95268.41230000"),
        Decimal("95281.02000000"),
        Decimal("0.00010000"),
        1768017600000,
        Decimal("95290.11000000"),
    )
    coinm = dict(MARK, s="BTCUSD_250926", r="", T=0)
    assert parse_frame(orjson.dumps(coinm))[1].funding_rate is None  # type: ignore[union-attr]
    # !markPrice@arr is an array of the same events.
    _, many = parse_frame(orjson.dumps({"stream": "!markPrice@arr@1s", "data": [MARK, coinm]}))
    assert [m.symbol for m in many] == ["BTCUSDT", "BTCUSD_250926"]  # type: ignore[union-attr]


def test_force_order_frame() -> None:
    _, frame = parse_frame(orjson.dumps({"stream": "btcusdt@forceOrder", "data": FORCE}))
    assert frame == Liquidation(
        "BTCUSDT",
        1768003202100,
        "SELL",
        Decimal("95010.00"),
        Decimal("0.120"),
        Decimal("95120.40"),
        Decimal("0.120"),
        "FILLED",
        1768003202095,
    )


def _with(base: dict, **changes: object) -> bytes:
    body = dict(base)
    body.update(changes)
    return orjson.dumps(body)


def _with_order(**changes: object) -> bytes:
    return _with(FORCE, o={**FORCE["o"], **changes})


@pytest.mark.parametrize(
    "raw",
    [
        _with(MARK, p="1e999999"),
        _with(MARK, p="-1"),  # a mark price is never negative
        _with(MARK, r="0.0001 "),
        _with(MARK, r=0.0001),  # a float would lose exactness
        _with(MARK, r="--1"),
        _with(MARK, T="soon"),
        _with(MARK, T=True),
        _with(MARK, s=""),
        _with(MARK, i=["1"]),
        orjson.dumps({k: v for k, v in MARK.items() if k != "r"}),
        _with(FORCE, o="nope"),
        _with(FORCE, o=[1]),
        _with_order(S="SIDEWAYS"),
        _with_order(S=None),
        _with_order(ap="NaN"),
        _with_order(z=1),
        _with_order(T=1.5),
        orjson.dumps({"e": "forceOrder", "E": 1}),
        orjson.dumps([MARK, {"e": "markPriceUpdate"}]),
        orjson.dumps({"e": "aggTrade", "E": 1, "s": "X", "a": 1, "p": "1", "q": "1", "T": 1,
                      "m": "false"}),
    ],
)
def test_hostile_frames_are_bad_frames(raw: bytes) -> None:
    _, frame = parse_frame(raw)
    assert type(frame) is BadFrame
    assert "\n" not in frame.reason and frame.reason


@pytest.mark.parametrize(
    "body",
    [
        {"a": 1},
        "[]",
        [{"a": 1, "p": "1", "q": "1", "T": 1, "m": 1}],
        [{"a": "1", "p": "1", "q": "1", "T": 1, "m": True}],
        [{"a": 1, "p": "1e5", "q": "1", "T": 1, "m": True}],
        [["a", 1]],
        [{"a": 1, "p": "1", "q": "1", "m": True}],
    ],
)
def test_hostile_agg_trades_bodies(body: object) -> None:
    with pytest.raises(PayloadError) as info:
        parse_agg_trades(body, "BTCUSDT")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        "x",
        42,
        {"symbol": "BTCUSDT"},
        {"symbol": "BTCUSDT", "markPrice": "1", "time": 1, "lastFundingRate": "abc"},
        {"symbol": "BTCUSDT", "markPrice": 1.5, "time": 1},
    ],
)
def test_hostile_premium_index(body: object) -> None:
    with pytest.raises(PayloadError) as info:
        parse_premium_index(body)
    assert "\n" not in str(info.value)
