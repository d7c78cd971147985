"""Every recorded real frame and REST body parses into the right typed record."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import orjson
import pytest
from recorded_data import data_root, http_records, ws_records

from tuimon.protocol.book import BookSync, Verdict
from tuimon.protocol.models import (
    BadFrame,
    BookTicker,
    DepthDiff,
    DepthSnapshot,
    Ignored,
    Kline,
    Trade,
)
from tuimon.protocol.parse import (
    parse_depth_snapshot,
    parse_exchange_info,
    parse_frame,
    parse_klines,
    parse_payload,
    parse_ticker_24h,
)

WS_FILES = [
    "BINANCE.ws.1.0.txt",
    "BINANCE_US.ws.1.0.txt",
    "BINANCE_FUTURES.ws.1.0.txt",
    "BINANCE_DELIVERY.ws.1.0.txt",
]


@pytest.mark.parametrize("name", WS_FILES)
def test_every_recorded_frame_parses(name):
    kinds: Counter[str] = Counter()
    for record in ws_records(name):
        stream, frame = parse_frame(record.raw)
        assert not isinstance(frame, BadFrame), (name, record.raw[:200], frame)
        assert stream is not None  # all captures are combined streams
        kinds[type(frame).__name__] += 1
        if isinstance(frame, DepthDiff):
            assert frame.first_id <= frame.final_id
            assert stream.startswith(frame.symbol.lower())
            futures = "FUTURES" in name or "DELIVERY" in name
            assert (frame.prev_final_id is not None) == futures
        elif isinstance(frame, Kline):
            assert frame.interval == "1m"
            assert frame.low <= frame.close <= frame.high
    assert kinds["DepthDiff"] > 100
    assert kinds["BookTicker"] > 50
    assert kinds["Trade"] >= 2
    assert kinds["Kline"] >= 2


def test_prices_stay_exact_strings():
    record = ws_records("BINANCE.ws.1.0.txt")[0]
    _, frame = parse_frame(record.raw)
    assert isinstance(frame, DepthDiff)
    price, qty = frame.bids[0]
    assert (price, qty) == ("0.35130000", "6195.00000000")  # the exchange's text, checked
    # Through the book: Decimals that keep the trailing zeros (the text round-trips).
    sync = BookSync(futures=False)
    sync.on_snapshot(DepthSnapshot(frame.first_id - 1, (), ()))
    assert sync.on_diff(frame) is Verdict.APPLIED
    level = sync.book.bids(1)[0]
    assert all(isinstance(value, Decimal) for value in level)
    assert tuple(map(str, level)) == ("0.35130000", "6195.00000000")


@pytest.mark.parametrize(
    "name",
    ["BINANCE.http.0.0.txt", "BINANCE_FUTURES.http.0.0.txt", "BINANCE_DELIVERY.http.0.0.txt"],
)
def test_recorded_depth_snapshots_parse(name):
    for record in http_records(name):
        snap = parse_depth_snapshot(record.body)
        assert snap.last_update_id > 0
        assert len(snap.bids) > 10
        assert snap.bids[0][0] > snap.bids[-1][0]  # best first, as served
        assert snap.bids[0][0] < snap.asks[0][0]


def test_recorded_futures_exchange_info():
    path = data_root() / "cryptofeed-sample-data" / "BINANCE_FUTURES.0.txt"
    first_line = path.read_bytes().splitlines()[0]
    body = orjson.loads(first_line.partition(b": ")[2])
    table = parse_exchange_info(body)
    assert len(table) > 50
    btc = table["BTCUSDT"]
    assert btc.tick_size == Decimal("0.01")  # as served in 2021
    assert btc.quote_asset == "USDT"


def _nautilus(kind: str, name: str):
    return orjson.loads((data_root() / "nautilus-trader" / kind / name).read_bytes())


def _nautilus_frame(name: str):
    """A recorded frame (some are combined-stream wrapped) through the wire parser."""
    return parse_frame((data_root() / "nautilus-trader" / "ws_messages" / name).read_bytes())[1]


def test_nautilus_futures_depth_doc_example_with_new_keys():
    frame = parse_payload(_nautilus("ws_messages", "ws_futures_depth_update.json"))
    assert isinstance(frame, DepthDiff)
    assert (frame.first_id, frame.final_id, frame.prev_final_id) == (
        390497796,
        390497878,
        390497794,
    )
    assert frame.transaction_time == 1571889248276  # extra keys "ps", "st" are ignored


def test_nautilus_spot_trade_and_agg_trade():
    trade = _nautilus_frame("ws_spot_trade.json")
    agg = _nautilus_frame("ws_spot_agg_trade.json")
    assert isinstance(trade, Trade)
    assert not trade.aggregate
    assert isinstance(agg, Trade)
    assert agg.aggregate


def test_nautilus_book_tickers_spot_shape_and_futures_shape():
    futures = parse_payload(_nautilus("ws_messages", "ws_futures_book_ticker.json"))
    assert isinstance(futures, BookTicker)
    assert futures.event_time is not None
    spot = _nautilus_frame("ws_spot_ticker_book.json")
    assert isinstance(spot, BookTicker)
    assert spot.update_id == 12711621188


def test_user_data_events_are_ignored_by_the_market_parser():
    frame = _nautilus_frame("ws_spot_execution_report_new.json")
    assert isinstance(frame, Ignored)
    assert frame.kind == "executionReport"


def test_rest_klines_exchange_info_and_tickers():
    klines = parse_klines(
        _nautilus("http_responses", "http_spot_market_klines.json"), "BTCUSDT", "1m"
    )
    assert klines[0].open_time == 1634943780000
    assert str(klines[0].close) == "60719.27000000"
    assert klines[0].trades == 617
    table = parse_exchange_info(_nautilus("http_responses", "http_spot_market_exchange_info.json"))
    assert table
    for info in table.values():
        assert info.tick_size >= 0
    rows = parse_ticker_24h(_nautilus("http_responses", "http_futures_market_ticker_24hr.json"))
    assert rows[0].symbol == "BTCUSDT"
    assert str(rows[0].close) == "4.00000200"
