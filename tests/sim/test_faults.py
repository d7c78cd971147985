"""Every fault really happens on the wire, and is counted."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest
from sim_helpers import (
    TIMEOUT,
    collect,
    drain,
    get_json,
    is_depth,
    recv,
    recv_until,
    request,
    running,
    ws_connect,
)
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

from tuimon.sim import FAULT_NAMES


async def test_gap_spot(spot):
    async with ws_connect(f"{spot.stream_url}/ws/btcusdt@depth@100ms") as ws:
        events = await collect(ws, is_depth, 3)
        record = spot.inject("gap", "BTCUSDT")
        events += await collect(ws, is_depth, 4)
    jumps = [(a["u"], b["U"]) for a, b in zip(events, events[1:], strict=False)
             if b["U"] != a["u"] + 1]
    assert len(jumps) == 1 and jumps[0][1] > jumps[0][0] + 1
    assert spot.stats.gaps_injected == 1 and record.applied == 1
    assert record.targets  # which streams were armed


async def test_gap_futures_breaks_the_pu_chain(usdm):
    async with ws_connect(f"{usdm.stream_url}/public/ws/btcusdt@depth@100ms") as ws:
        events = await collect(ws, is_depth, 2)
        usdm.inject("gap", count=2)  # every symbol; two events in a row
        events += await collect(ws, is_depth, 4)
    breaks = [b for a, b in zip(events, events[1:], strict=False) if b["pu"] != a["u"]]
    assert len(breaks) == 1
    assert usdm.stats.gaps_injected == 2


async def test_gap_on_unsubscribed_stream_expires_unapplied(spot):
    record = spot.inject("gap", "ETHUSDT", ttl=0.1)
    async with ws_connect(f"{spot.stream_url}/ws/btcusdt@depth@100ms") as ws:
        await collect(ws, is_depth, 15)
    spot.faults.expire(spot.model.step_no + 1)
    assert record.applied == 0 and spot.stats.gaps_injected == 0
    assert any("expired" in n for n in record.notes)


async def test_stale_resends_an_older_event(spot):
    async with ws_connect(f"{spot.stream_url}/ws/ethusdt@depth@100ms") as ws:
        events = await collect(ws, is_depth, 5)
        spot.inject("stale", "ETHUSDT", age=3)
        events += await collect(ws, is_depth, 4)
    olds = [(a, b) for a, b in zip(events, events[1:], strict=False) if b["u"] < a["u"]]
    assert len(olds) == 1
    older = olds[0][1]
    assert older in events[:-1]  # byte-identical copy of an event sent before
    assert spot.stats.stale_sent == 1


async def test_duplicate_sends_the_same_event_twice(usdm):
    async with ws_connect(f"{usdm.stream_url}/ws/ethusdt@depth@100ms") as ws:
        await collect(ws, is_depth, 2)
        usdm.inject("duplicate", "ETHUSDT")
        events = await collect(ws, is_depth, 4)
    dups = [a for a, b in zip(events, events[1:], strict=False) if a == b]
    assert len(dups) == 1
    assert usdm.stats.duplicates_sent == 1


async def test_disconnect_is_abrupt(spot):
    async with ws_connect(f"{spot.stream_url}/ws/btcusdt@depth@100ms") as ws:
        await recv(ws)
        record = spot.inject("disconnect")
        with pytest.raises(ConnectionClosedError) as info:
            while True:
                await recv(ws)
        assert info.value.rcvd is None  # no close frame: the TCP connection just dropped
    assert record.applied == 1 and spot.stats.disconnects_injected == 1


async def test_disconnect_targets_symbol_and_clean_close(spot):
    async with ws_connect(f"{spot.stream_url}/ws/btcusdt@depth@100ms") as btc, \
            ws_connect(f"{spot.stream_url}/ws/ethusdt@depth@100ms") as eth:
        await recv(btc)
        record = spot.inject("disconnect", "ETHUSDT", abrupt=False, code=1001)
        with pytest.raises(ConnectionClosed):
            while True:
                await recv(eth)
        assert eth.close_code == 1001
        assert is_depth(await recv(btc))  # the BTC socket is untouched
    assert record.applied == 1


async def test_silence_keeps_socket_and_control_replies(spot):
    async with ws_connect(f"{spot.stream_url}/ws/btcusdt@depth@100ms/ethusdt@trade") as ws:
        await recv_until(ws, is_depth)
        spot.inject("silence", seconds=0.6)
        frames = await drain(ws, 0.05)  # frames already queued before the fault
        assert await request(ws, "LIST_SUBSCRIPTIONS", req_id=7) == {
            "result": ["btcusdt@depth@100ms", "ethusdt@trade"], "id": 7}
        started = time.monotonic()
        first = await recv(ws, wait=TIMEOUT)  # the first data frame after the silence
        assert time.monotonic() - started >= 0.4
        assert "e" in first
    assert spot.stats.frames_silenced > 0 and len(frames) < 20


async def test_silence_one_symbol(spot):
    url = f"{spot.stream_url}/stream?streams=btcusdt@depth@100ms/ethusdt@depth@100ms"
    async with ws_connect(url) as ws:
        await recv(ws)
        spot.inject("silence", "BTCUSDT", seconds=5)
        await drain(ws, 0.05)
        frames = await drain(ws, 0.3)
    assert frames and {f["data"]["s"] for f in frames} == {"ETHUSDT"}


async def test_slow_rest(spot, http):
    spot.inject("slow_rest", seconds=0.3, count=1)
    started = time.monotonic()
    status, _, _ = await get_json(http, f"{spot.rest_url}/api/v3/ping")
    assert status == 200 and time.monotonic() - started >= 0.3
    started = time.monotonic()
    await get_json(http, f"{spot.rest_url}/api/v3/ping")
    assert time.monotonic() - started < 0.3
    assert spot.stats.rest_delayed == 1


async def test_rest_429_and_418(spot, http):
    rec = spot.inject("rest_429", count=2, retry_after=3)
    for _ in range(2):
        status, body, headers = await get_json(http, f"{spot.rest_url}/api/v3/depth",
                                               symbol="BTCUSDT")
        assert status == 429 and headers["Retry-After"] == "3" and body["code"] == -1003
    assert rec.applied == 2 and spot.stats.rest_429_injected == 2
    spot.inject("clear")  # forget the cool-down for the next part
    spot.inject("rest_418", retry_after=7)
    status, body, headers = await get_json(http, f"{spot.rest_url}/api/v3/ping")
    assert status == 418 and headers["Retry-After"] == "7"
    status, _, _ = await get_json(http, f"{spot.rest_url}/api/v3/ping")
    assert status == 418  # the ban lasts, not just one request
    assert spot.stats.rest_418_injected == 1 and spot.stats.rest_418 == 2


async def test_rest_fault_for_one_symbol(spot, http):
    spot.inject("rest_429", "ETHUSDT")
    status, _, _ = await get_json(http, f"{spot.rest_url}/api/v3/depth", symbol="BTCUSDT")
    assert status == 200
    status, _, _ = await get_json(http, f"{spot.rest_url}/api/v3/depth", symbol="ETHUSDT")
    assert status == 429


async def test_server_shutdown_raw_and_combined(spot):
    async with ws_connect(f"{spot.stream_url}/ws/btcusdt@trade") as raw, \
            ws_connect(f"{spot.stream_url}/stream?streams=btcusdt@trade") as comb:
        await request(raw, "LIST_SUBSCRIPTIONS")  # both connections are registered
        await request(comb, "LIST_SUBSCRIPTIONS")
        record = spot.inject("server_shutdown", delay=0.2)
        ev = await recv_until(raw, lambda m: m.get("e") == "serverShutdown")
        assert set(ev) == {"e", "E"}
        wrapped = await recv_until(comb, lambda m: m.get("stream") == "!serverShutdown")
        assert wrapped["data"]["e"] == "serverShutdown"
        for ws in (raw, comb):
            with pytest.raises(ConnectionClosed):
                while True:
                    await recv(ws)
            assert ws.close_code == 1001
    assert record.applied == 2 and spot.stats.shutdowns_sent == 2


async def test_server_shutdown_is_spot_only(usdm):
    with pytest.raises(ValueError):
        usdm.inject("server_shutdown")


async def test_malformed_frames(spot):
    kinds = ["not_json", "truncated", "wrong_types", "unknown_event", "huge", "binary"]
    async with ws_connect(f"{spot.stream_url}/ws/btcusdt@depth@100ms") as ws:
        await recv(ws)
        record = spot.inject("malformed", kinds=kinds)
        got: dict[str, object] = {}

        async def gather() -> None:
            while len(got) < len(kinds):
                frame = await ws.recv()
                if isinstance(frame, bytes):
                    got["binary"] = frame
                    continue
                if frame.startswith("<html>"):
                    got["not_json"] = frame
                    continue
                try:
                    msg = orjson.loads(frame)
                except orjson.JSONDecodeError:
                    got["truncated"] = frame
                    continue
                if msg.get("U") == "abc":
                    got["wrong_types"] = msg
                elif msg.get("e") == "simMysteryEvent":
                    got["unknown_event"] = msg
                elif msg.get("e") == "simHugeEvent":
                    got["huge"] = len(frame)

        await asyncio.wait_for(gather(), TIMEOUT)
        assert got["huge"] >= 900_000
        assert isinstance(got["wrong_types"]["b"][0][0], float)  # a price as a number
        assert is_depth(await recv(ws))  # the stream carries on normally
    assert record.applied == len(kinds) and spot.stats.malformed_sent == len(kinds)


async def test_malformed_non_utf8_kills_a_compliant_client(usdm):
    async with ws_connect(f"{usdm.stream_url}/ws/btcusdt@depth@100ms") as ws:
        await recv(ws)
        usdm.inject("malformed", kinds=["non_utf8"])
        with pytest.raises(ConnectionClosedError) as info:
            while True:
                await recv(ws)
        assert info.value.sent is not None and info.value.sent.code == 1007


async def test_admin_endpoint_and_stats(http):
    async with running("usdm") as sim, ws_connect(
            f"{sim.stream_url}/ws/btcusdt@depth@100ms") as ws:
        await recv(ws)
        async with http.post(f"{sim.rest_url}/_sim/fault",
                             json={"fault": "gap", "symbol": "BTCUSDT", "count": 1}) as resp:
            assert resp.status == 200
            record = await resp.json()
        assert record["kind"] == "gap" and record["symbol"] == "BTCUSDT"
        await collect(ws, is_depth, 3)
        async with http.get(f"{sim.rest_url}/_sim/stats") as resp:
            stats = await resp.json()
        assert stats["gaps_injected"] == 1 and stats["faults_injected"] == {"gap": 1}
        async with http.post(f"{sim.rest_url}/_sim/fault", json={"fault": "nope"}) as resp:
            assert resp.status == 400
        async with http.post(f"{sim.rest_url}/_sim/fault",
                             json={"fault": "gap", "params": {"bogus": 1}}) as resp:
            assert resp.status == 400
        uid = sim.current_update_id("BTCUSDT")
        async with http.get(f"{sim.rest_url}/_sim/book",
                            params={"symbol": "BTCUSDT", "update_id": uid}) as resp:
            book = await resp.json()
        assert book["update_id"] == uid and len(book["bids"]) > 100
        assert stats["rest_requests"] == 0  # admin calls are not REST traffic


async def test_clear_disarms_pending_faults(spot, http):
    spot.inject("rest_429", count=0)  # until cleared
    assert (await get_json(http, f"{spot.rest_url}/api/v3/ping"))[0] == 429
    spot.inject("clear")  # also lifts the cool-down the 429 started
    assert (await get_json(http, f"{spot.rest_url}/api/v3/ping"))[0] == 200


def test_fault_names_and_validation():
    assert set(FAULT_NAMES) >= {"gap", "stale", "duplicate", "disconnect", "silence",
                                "slow_rest", "rest_429", "rest_418", "server_shutdown",
                                "malformed"}
