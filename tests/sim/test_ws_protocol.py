"""Live subscription protocol, errors, limits, keepalive and USDⓈ-M routes (reference §1-§3)."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import pytest
from sim_helpers import (
    TIMEOUT,
    collect,
    data,
    drain,
    recv,
    recv_until,
    request,
    running,
    ws_connect,
)
from websockets.exceptions import ConnectionClosed, InvalidStatus

INVALID = {"code": 2, "msg": "Invalid request: invalid stream"}


async def test_subscribe_list_unsubscribe(spot):
    async with ws_connect(f"{spot.stream_url}/ws/btcusdt@bookTicker") as ws:
        assert await request(ws, "SUBSCRIBE", ["ethusdt@aggTrade", "ethusdt@depth@100ms"],
                             1) == {"result": None, "id": 1}
        listed = await request(ws, "LIST_SUBSCRIPTIONS", req_id=2)
        assert listed == {"result": ["btcusdt@bookTicker", "ethusdt@aggTrade",
                                     "ethusdt@depth@100ms"], "id": 2}
        frame = await recv_until(ws, lambda m: m.get("e") == "depthUpdate")
        assert frame["s"] == "ETHUSDT" and "stream" not in frame  # raw (/ws) frames
        assert await request(ws, "UNSUBSCRIBE", ["ethusdt@depth@100ms"], "abc-1") == {
            "result": None, "id": "abc-1"}
        listed = await request(ws, "LIST_SUBSCRIPTIONS", req_id=None)
        assert listed == {"result": ["btcusdt@bookTicker", "ethusdt@aggTrade"], "id": None}


async def test_combined_property(spot):
    async with ws_connect(f"{spot.stream_url}/ws/btcusdt@depth@100ms") as ws:
        assert await request(ws, "GET_PROPERTY", ["combined"], 1) == {"result": False, "id": 1}
        assert await request(ws, "SET_PROPERTY", ["combined", True], 2) == {"result": None,
                                                                              "id": 2}
        frame = await recv_until(ws, lambda m: "stream" in m)
        assert frame["stream"] == "btcusdt@depth@100ms" and frame["data"]["e"] == "depthUpdate"
        assert await request(ws, "GET_PROPERTY", ["combined"], 3) == {"result": True, "id": 3}
    async with ws_connect(f"{spot.stream_url}/stream?streams=btcusdt@depth@100ms") as ws:
        assert await request(ws, "GET_PROPERTY", ["combined"], 1) == {"result": True, "id": 1}
        frame = await recv_until(ws, lambda m: "stream" in m)
        assert set(frame) == {"stream", "data"}


@pytest.mark.parametrize(("message", "reply"), [
    ({"method": "SUBSCRIBE", "params": ["foousdt@depth"], "id": 5},
     {"error": INVALID, "id": 5}),
    ({"method": "SUBSCRIBE", "params": ["BTCUSDT@depth"], "id": 6},
     {"error": INVALID, "id": 6}),
    ({"method": "SUBSCRIBE", "params": ["btcusdt@depth@250ms"], "id": 7},
     {"error": INVALID, "id": 7}),
    ({"method": "SUBSCRIBE", "params": ["btcusdt@nonsense"], "id": 8},
     {"error": INVALID, "id": 8}),
    ({"method": "SUBSCRIBE", "params": ["!bookTicker"], "id": 9},  # removed from spot in 2022
     {"error": INVALID, "id": 9}),
])
async def test_invalid_streams_are_refused(spot, message, reply):
    async with ws_connect(f"{spot.stream_url}/ws") as ws:
        await ws.send(orjson.dumps(message).decode())
        assert await recv(ws) == reply
        assert await request(ws, "LIST_SUBSCRIPTIONS", req_id=99) == {"result": [], "id": 99}


async def test_request_errors(spot):
    async with ws_connect(f"{spot.stream_url}/ws") as ws:
        await ws.send("{not json")
        err = await recv(ws)
        assert err["error"]["code"] == 3 and err["id"] is None
        await ws.send(orjson.dumps({"method": "PING", "id": 1}).decode())
        err = await recv(ws)
        assert err["error"]["code"] == 2 and "unknown variant" in err["error"]["msg"]
        await ws.send(orjson.dumps({"method": "SUBSCRIBE", "params": []}).decode())
        err = await recv(ws)
        assert err["error"]["code"] == 2 and "id" in err["error"]["msg"]
    async with ws_connect(f"{spot.stream_url}/ws") as ws:
        reply = await request(ws, "SET_PROPERTY", ["bogus", True], 2)
        assert reply == {"error": {"code": 0, "msg": "Unknown property"}, "id": 2}
        reply = await request(ws, "SET_PROPERTY", ["combined", "yes"], 3)
        assert reply["error"]["code"] == 1
        reply = await request(ws, "GET_PROPERTY", [5], 4)
        assert reply["error"]["code"] == 2
    assert spot.stats.control_errors == 6


async def test_all_market_and_silent_streams(spot):
    async with ws_connect(f"{spot.stream_url}/ws") as ws:
        # retired spot !ticker@arr is accepted but never delivers (§0)
        reply = await request(ws, "SUBSCRIBE", ["!miniTicker@arr", "!ticker@arr"], 1)
        assert reply == {"result": None, "id": 1}
        arr = await recv_until(ws, lambda m: isinstance(m, list))
        assert arr and all(t["e"] == "24hrMiniTicker" for t in arr)
        assert "!ticker@arr" not in spot.subscribers


async def test_message_rate_limit_disconnects():
    async with running("spot") as sim, ws_connect(f"{sim.stream_url}/ws") as ws:
        with pytest.raises(ConnectionClosed):
            for i in range(20):  # budget is 5 incoming messages per second (§3)
                await ws.send(orjson.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}).decode())
            while True:
                await recv(ws)
        assert sim.stats.rate_limit_disconnects == 1


async def test_futures_budget_is_ten_per_second(usdm):
    async with ws_connect(f"{usdm.stream_url}/ws") as ws:
        for i in range(9):
            await ws.send(orjson.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}).decode())
        replies = await collect(ws, lambda m: "id" in m, 9)
        assert [r["id"] for r in replies] == list(range(9))
    assert usdm.stats.rate_limit_disconnects == 0


async def test_stream_cap_per_connection():
    async with running("spot", max_streams=3) as sim:
        async with ws_connect(f"{sim.stream_url}/ws/btcusdt@trade/ethusdt@trade") as ws:
            reply = await request(ws, "SUBSCRIBE", ["solusdt@trade", "bnbusdt@trade"], 1)
            assert reply["error"]["code"] == 2 and "too many streams" in reply["error"]["msg"]
            assert await request(ws, "SUBSCRIBE", ["solusdt@trade"], 2) == {"result": None,
                                                                             "id": 2}
        names = "/".join(f"{s.lower()}@trade" for s in sim.symbols[:4])
        with pytest.raises(InvalidStatus) as info:
            async with ws_connect(f"{sim.stream_url}/stream?streams={names}"):
                pass
        assert info.value.response.status_code == 400
        with pytest.raises(InvalidStatus):
            async with ws_connect(f"{sim.stream_url}/ws/nosuchcoin@trade"):
                pass
        assert sim.stats.connections_rejected == 2


async def test_pings_answered_keep_the_connection_alive():
    async with running("spot", ping_interval=0.1, pong_timeout=0.35) as sim:
        async with ws_connect(f"{sim.stream_url}/ws/btcusdt@depth@100ms") as ws:
            async def enough_pings() -> None:
                while sim.stats.pongs_received < 5:
                    await recv(ws)  # websockets answers pings while we read

            await asyncio.wait_for(enough_pings(), TIMEOUT)
        assert sim.stats.ping_timeouts == 0


@pytest.mark.parametrize("market", ["spot", "usdm"])
async def test_missing_pongs_close_the_connection(market, http):
    async with running(market, ping_interval=0.1, pong_timeout=0.4) as sim:
        async with http.ws_connect(f"{sim.stream_url}/ws", autoping=False) as ws:
            kinds = []
            while True:
                msg = await ws.receive(timeout=TIMEOUT)
                kinds.append(msg.type)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
            assert aiohttp.WSMsgType.PING in kinds
        assert sim.stats.ping_timeouts == 1


@pytest.mark.parametrize(("market", "survives"), [("spot", False), ("usdm", True)])
async def test_unsolicited_pongs_count_only_on_futures(market, survives, http):
    """Spot ignores unsolicited pongs for keepalive; futures accept them (§3)."""
    async with running(market, ping_interval=0.1, pong_timeout=0.5) as sim:
        async with http.ws_connect(f"{sim.stream_url}/ws", autoping=False) as ws:
            async def pong_forever() -> None:
                while True:
                    await ws.pong(b"unsolicited")
                    await asyncio.sleep(0.25)  # 4 msg/s: inside the spot budget

            ponger = asyncio.create_task(pong_forever())
            try:
                async def until_closed() -> None:
                    while (await ws.receive()).type not in (aiohttp.WSMsgType.CLOSE,
                                                            aiohttp.WSMsgType.CLOSED):
                        pass

                closed = True
                try:
                    await asyncio.wait_for(until_closed(), 1.2)
                except TimeoutError:
                    closed = False
            finally:
                ponger.cancel()
        assert closed is not survives
        assert sim.stats.ping_timeouts == (0 if survives else 1)


async def test_max_lifetime_closes():
    async with running("spot", max_lifetime=0.3) as sim:
        async with ws_connect(f"{sim.stream_url}/ws/btcusdt@depth@100ms") as ws:
            with pytest.raises(ConnectionClosed):
                while True:
                    await recv(ws)
            assert ws.close_code == 1000
        assert sim.stats.lifetime_closes == 1


def kinds_of(frames: list) -> set[str]:
    return {data(f).get("e", "?") for f in frames if isinstance(data(f), dict)}


async def test_usdm_routes_deliver_only_their_streams(usdm):
    streams = ["btcusdt@depth@100ms", "btcusdt@bookTicker", "btcusdt@kline_1m",
               "btcusdt@aggTrade", "btcusdt@markPrice@1s", "btcusdt@miniTicker"]
    public_kinds = {"depthUpdate", "bookTicker"}
    market_kinds = {"kline", "aggTrade", "markPriceUpdate", "24hrMiniTicker"}
    for route, expected in (("/public", public_kinds), ("/market", market_kinds),
                            ("", public_kinds)):
        async with ws_connect(f"{usdm.stream_url}{route}/ws") as ws:
            # the wrong-route streams are accepted and listed, like on the exchange
            assert await request(ws, "SUBSCRIBE", streams, 1) == {"result": None, "id": 1}
            assert (await request(ws, "LIST_SUBSCRIPTIONS", req_id=2))["result"] == streams
            seen: set[str] = set()

            async def gather(ws=ws, seen=seen, expected=expected) -> None:
                while not expected <= seen:
                    seen |= kinds_of([await recv(ws)])

            await asyncio.wait_for(gather(), TIMEOUT)
            # keep listening a while longer: the other route's streams stay silent
            seen |= kinds_of(await drain(ws, 0.4))
            assert seen == expected, route


async def test_usdm_routed_stream_path_mode(usdm):
    url = f"{usdm.stream_url}/market/stream?streams=btcusdt@aggTrade/btcusdt@depth@100ms"
    async with ws_connect(url) as ws:
        frames = await collect(ws, lambda m: True, 5)
        assert {f["stream"] for f in frames} == {"btcusdt@aggTrade"}
        assert set(frames[0]["data"]) == {"e", "E", "s", "a", "p", "q", "nq", "f", "l", "T", "m"}


async def test_coinm_has_no_routes(coinm):
    url = f"{coinm.stream_url}/stream?streams=btcusd_perp@depth@100ms/btcusd_perp@kline_1m"
    async with ws_connect(url) as ws:
        seen: set[str] = set()

        async def gather() -> None:
            while len(seen) < 2:
                seen.add((await recv(ws))["stream"])

        await asyncio.wait_for(gather(), TIMEOUT)
        depth = await recv_until(ws, lambda m: m["data"].get("e") == "depthUpdate")
        assert depth["data"]["ps"] == "BTCUSD"
