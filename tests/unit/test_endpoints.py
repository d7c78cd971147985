"""Endpoints are configuration: defaults from the reference, overrides by env and flags."""

from __future__ import annotations

import pytest

from tuimon.protocol.endpoints import (
    EndpointError,
    Market,
    Route,
    parse_market,
    resolve_endpoints,
)
from tuimon.protocol.streams import combined_url, depth_stream, kline_stream, route_of


def test_live_defaults():
    spot = resolve_endpoints(Market.SPOT, env={})
    assert spot.rest("depth") == "https://api.binance.com/api/v3/depth"
    assert combined_url(spot, Route.NONE, ["btcusdt@depth@100ms"]) == (
        "wss://stream.binance.com:9443/stream?streams=btcusdt@depth@100ms"
    )
    assert spot.ws_api() == "wss://ws-api.binance.com:443/ws-api/v3"
    usdm = resolve_endpoints(Market.USDM, env={})
    assert usdm.rest("exchangeInfo") == "https://fapi.binance.com/fapi/v1/exchangeInfo"
    coinm = resolve_endpoints(Market.COINM, env={})
    assert coinm.rest("depth") == "https://dapi.binance.com/dapi/v1/depth"


def test_usdm_routes_split_depth_from_market_streams():
    usdm = resolve_endpoints(Market.USDM, env={})
    assert route_of(Market.USDM, depth_stream("BTCUSDT")) is Route.PUBLIC
    assert route_of(Market.USDM, "btcusdt@bookTicker") is Route.PUBLIC
    assert route_of(Market.USDM, kline_stream("BTCUSDT", "1m")) is Route.MARKET
    assert route_of(Market.USDM, "btcusdt@miniTicker") is Route.MARKET
    assert route_of(Market.USDM, "btcusdt@aggTrade") is Route.MARKET
    assert route_of(Market.SPOT, depth_stream("BTCUSDT")) is Route.NONE
    assert combined_url(usdm, Route.PUBLIC, ["btcusdt@depth@100ms"]) == (
        "wss://fstream.binance.com/public/stream?streams=btcusdt@depth@100ms"
    )
    assert combined_url(usdm, Route.MARKET, ["btcusdt@kline_1m"]).startswith(
        "wss://fstream.binance.com/market/stream?"
    )


def test_testnet_hosts():
    assert resolve_endpoints(Market.SPOT, testnet=True, env={}).rest_base == (
        "https://testnet.binance.vision"
    )
    assert resolve_endpoints(Market.USDM, testnet=True, env={}).stream_base == (
        "wss://fstream.binancefuture.com"
    )


def test_env_then_flags_override_and_paths_are_appended():
    env = {"TUIMON_STREAM_URL": "ws://127.0.0.1:9000/", "TUIMON_REST_URL": "http://127.0.0.1:9000"}
    usdm = resolve_endpoints(Market.USDM, env=env)
    assert combined_url(usdm, Route.MARKET, ["btcusdt@kline_1m"]) == (
        "ws://127.0.0.1:9000/market/stream?streams=btcusdt@kline_1m"
    )
    assert usdm.rest("depth") == "http://127.0.0.1:9000/fapi/v1/depth"
    flagged = resolve_endpoints(Market.USDM, rest_url="http://localhost:1", env=env)
    assert flagged.rest_base == "http://localhost:1"


def test_non_ascii_stream_names_are_percent_encoded():
    spot = resolve_endpoints(Market.SPOT, env={})
    url = combined_url(spot, Route.NONE, ["币安人生usdt@depth@100ms"])
    assert url.isascii()
    assert url.endswith("@depth@100ms")


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("stream_url", "http://x"),
        ("stream_url", "ws://"),
        ("rest_url", "ftp://host"),
        ("rest_url", "http://host:notaport"),
        ("rest_url", "http://host/?q=1"),
        ("ws_api_url", "nonsense"),
    ],
)
def test_bad_overrides_give_one_line_errors(kind, url):
    with pytest.raises(EndpointError) as info:
        resolve_endpoints(Market.SPOT, env={}, **{kind: url})
    assert "\n" not in str(info.value)
    assert url in str(info.value)


def test_bad_market():
    assert parse_market(" USDM ") is Market.USDM
    with pytest.raises(EndpointError, match="spot, usdm, coinm"):
        parse_market("margin")
