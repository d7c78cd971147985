"""tuimon sim --replay: a recording served on the exchange's paths, to the real client.

The converted real USDⓈ-M capture (routed /public and /market) and a tuimon recording of the
simulator both sync books through the client's own sequence checks, over real sockets.
"""

from __future__ import annotations

import asyncio

import pytest
from recorded_data import data_root

from tuimon.cli import main
from tuimon.feeds.market import FeedConfig, MarketFeed, Watch
from tuimon.feeds.proxy import ProxyRules
from tuimon.feeds.rest import RestClient
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.recording.convert import CAPTURES, convert_capture
from tuimon.sim.replay import ReplaySimServer, stream_of
from tuimon.store import Store


async def sync_against(server: ReplaySimServer, market: Market, symbols: list[str]) -> Store:
    endpoints = resolve_endpoints(
        market, stream_url=server.stream_url, rest_url=server.rest_url, env={}
    )
    store = Store(market.value, futures=market.is_futures)
    rest = RestClient(endpoints, proxies=ProxyRules.direct(), max_attempts=1)
    feed = MarketFeed(
        store, endpoints, rest=rest, config=FeedConfig(), proxies=ProxyRules.direct()
    )
    try:
        await feed.load_symbols()
        every = frozenset(symbols)
        feed.set_watch(Watch(every, every, every, "1m"))
        synced = await store.wait_until(
            lambda s: all(s.books[x].synced and s.books[x].stats.applied > 3 for x in symbols),
            30,
        )
        assert synced, {s: store.books[s].stats for s in symbols}
    finally:
        await feed.close()
    return store


async def test_a_converted_real_usdm_capture_served_to_the_real_client(tmp_path):
    ws_file, rest_files, market = CAPTURES["usdm"]
    root = data_root() / "cryptofeed-sample-data"
    path = tmp_path / "usdm.tmrec"
    converted = convert_capture(root / ws_file, [root / r for r in rest_files], path, market)
    async with ReplaySimServer(path, speed=4.0) as server:
        store = await sync_against(server, market, list(converted.symbols))
        assert server.frames_played > 0
    assert store.resyncs == 0
    assert store.health.bad_frames == 0
    assert set(store.health.routes) == {"public", "market"}  # depth and klines on their routes
    for symbol in converted.symbols:
        assert store.books[symbol].stats.gaps == 0


async def test_a_tuimon_recording_served_through_the_simulator(spot_recording):
    from recording_helpers import SYMBOLS

    async with ReplaySimServer(spot_recording.path, speed=2.0) as server:
        store = await sync_against(server, Market.SPOT, SYMBOLS)
        assert server.stats.rest_errors == 0
    assert store.resyncs == 0
    assert all(len(store.klines[(s, "1m")].candles) >= 100 for s in SYMBOLS)  # recorded REST


async def test_unrecorded_requests_get_an_exchange_style_error(spot_recording):
    import requests

    async with ReplaySimServer(spot_recording.path) as server:
        response = await asyncio.to_thread(
            requests.get, f"{server.rest_url}/api/v3/depth?symbol=DOGEUSDT&limit=5", timeout=5
        )
    assert response.status_code == 400
    assert response.json()["code"] == -1100


def test_stream_names_come_from_the_frame_prefix():
    assert stream_of(b'{"stream":"btcusdt@depth@100ms","data":{}}') == "btcusdt@depth@100ms"
    assert stream_of(b'{ "stream" : "x@trade", "data": {}}') == "x@trade"
    assert stream_of(b'{"result":null,"id":1}') is None
    assert stream_of(b"garbage") is None


def test_the_command_refuses_a_file_that_is_not_a_recording(tmp_path, capsys):
    path = tmp_path / "x.tmrec"
    path.write_bytes(b"not zstd")
    assert main(["sim", "--replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tuimon sim: ") and err.count("\n") == 1


@pytest.fixture(scope="module")
def spot_recording(tmp_path_factory):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "recording"))
    from recording_helpers import make_recording

    return make_recording(tmp_path_factory.mktemp("rec") / "spot.tmrec", Market.SPOT)
