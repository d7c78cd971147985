"""The simulator's private side on its own: signed endpoints, WS API, listenKeys, faults."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import orjson
import pytest
from private_helpers import assert_converges, fast_config, running_user
from websockets.asyncio.client import connect

from tuimon.feeds.credentials import Credentials
from tuimon.protocol.models import BadFrame, Ignored
from tuimon.protocol.signing import HmacSigner, Secret, signed_query, signed_ws_params
from tuimon.protocol.user_parse import parse_open_orders, parse_spot_account, parse_user_event
from tuimon.sim import SimServer
from tuimon.sim.private import (
    ACTIONS,
    PRIVATE_FAULT_NAMES,
    TEST_ED25519_API_KEY,
    TEST_HMAC_API_KEY,
    TEST_HMAC_SECRET,
)

SIGNER = HmacSigner(Secret(TEST_HMAC_SECRET))
HEADERS = {"X-MBX-APIKEY": TEST_HMAC_API_KEY}


@contextlib.asynccontextmanager
async def sim_and_http(market="spot"):
    async with SimServer(market, seed=3) as sim, aiohttp.ClientSession() as http:
        yield sim, http


async def get(http, url, headers=HEADERS, method="GET"):
    async with http.request(method, url, headers=headers) as response:
        return response.status, orjson.loads(await response.read())


def query(sim, **params):
    params.setdefault("timestamp", sim.clock())
    return signed_query(SIGNER, params)


async def test_signed_rest_checks_in_binance_order():
    async with sim_and_http() as (sim, http):
        base = f"{sim.rest_url}/api/v3/account"
        status, body = await get(http, f"{base}?{query(sim)}")
        assert status == 200 and body["accountType"] == "SPOT"
        cases = [
            ({"X-MBX-APIKEY": "short"}, query(sim), -2014),
            ({}, query(sim), -2014),
            ({"X-MBX-APIKEY": "A" * 64}, query(sim), -2015),
            (HEADERS, query(sim, timestamp=sim.clock() - 10_000), -1021),
            (HEADERS, query(sim, timestamp=sim.clock() + 5_000), -1021),
            (HEADERS, query(sim, recvWindow=70_000), -1131),
            (HEADERS, query(sim) + "0", -1022),
            (HEADERS, query(sim, omitZeroBalances="true").replace("true", "false", 1), -1022),
            (HEADERS, "recvWindow=5000", -1102),
        ]
        for headers, q, code in cases:
            status, body = await get(http, f"{base}?{q}", headers)
            assert body["code"] == code, (q, body)
            assert status == (401 if code in (-2014, -2015) else 400)
        assert sim.private.stats.rejected[-1022] == 2


async def test_rest_views_equal_the_truth():
    async with sim_and_http() as (sim, http):
        sim.private.step(12)
        _, account = await get(http, f"{sim.rest_url}/api/v3/account?"
                                     f"{query(sim, omitZeroBalances='true')}")
        _, orders = await get(http, f"{sim.rest_url}/api/v3/openOrders?{query(sim)}")
        truth = sim.private.true_account()
        _, balances = parse_spot_account(account)
        assert {b.asset for b in balances} == set(truth["balances"])
        assert sorted(o.order_id for o in parse_open_orders(orders, "spot")) == sorted(
            o["order_id"] for o in truth["open_orders"])
        symbol = truth["open_orders"][0]["symbol"]
        _, some = await get(http, f"{sim.rest_url}/api/v3/openOrders?{query(sim, symbol=symbol)}")
        assert {o["symbol"] for o in some} == {symbol}


@pytest.mark.parametrize("market", ["spot", "usdm"])
async def test_every_simulated_event_parses_with_the_real_shapes(market):
    async with SimServer(market, seed=5) as sim:
        events = sim.private.step(60)
        for action in ACTIONS:
            events += sim.private.step(action=action)
        kinds = set()
        for event in events:
            record = parse_user_event(event)
            assert not isinstance(record, (BadFrame, Ignored)), (event, record)
            kinds.add(event["e"])
        want = {"executionReport", "outboundAccountPosition", "balanceUpdate"} \
            if market == "spot" else {"ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE"}
        assert kinds == want


async def test_listen_key_lifecycle():
    async with sim_and_http("usdm") as (sim, http):
        url = f"{sim.rest_url}/fapi/v1/listenKey"
        status, first = await get(http, url, method="POST")
        assert status == 200 and len(first["listenKey"]) == 64
        _, again = await get(http, url, method="POST")
        assert again == first  # one key per account: POST returns the active one
        status, _ = await get(http, url, method="PUT")
        assert status == 200
        status, body = await get(http, url, {"X-MBX-APIKEY": "B" * 64}, method="PUT")
        assert body["code"] == -2015
        await get(http, url, method="DELETE")
        status, body = await get(http, url, method="PUT")
        assert (status, body["code"]) == (400, -1125)
        _, fresh = await get(http, url, method="POST")
        assert fresh != first
        async with http.get(f"{sim.stream_url.replace('ws', 'http')}/private/ws/"
                            f"{first['listenKey']}") as response:
            assert response.status == 400  # an expired key opens nothing


async def test_listen_key_socket_by_query_with_an_events_filter():
    async with sim_and_http("usdm") as (sim, http):
        _, key = await get(http, f"{sim.rest_url}/fapi/v1/listenKey", method="POST")
        url = (f"{sim.stream_url}/private/ws?listenKey={key['listenKey']}"
               "&events=ACCOUNT_UPDATE")
        async with connect(url) as ws:
            sim.private.step(action="place")
            sim.private.step(action="fill")
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert frame["e"] == "ACCOUNT_UPDATE"
            sim.private.inject("listen_key_expired")
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert frame["e"] == "listenKeyExpired"


async def ws_call(ws, request_id, method, params=None):
    frame = {"id": request_id, "method": method}
    if params is not None:
        frame["params"] = params
    await ws.send(orjson.dumps(frame).decode())
    while True:
        reply = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        if reply.get("id") == request_id:
            return reply


async def test_ws_api_session_methods():
    async with SimServer("spot", seed=3) as sim, connect(f"{sim.ws_api_url}/ws-api/v3") as ws:
        def signed():
            return signed_ws_params(SIGNER, {"apiKey": TEST_HMAC_API_KEY,
                                             "timestamp": sim.clock()})

        assert (await ws_call(ws, 1, "ping"))["result"] == {}
        assert (await ws_call(ws, 2, "userDataStream.subscribe"))["error"]["code"] == -1002
        # session.logon accepts Ed25519 keys only.
        assert (await ws_call(ws, 3, "session.logon", signed()))["error"]["code"] == -1002
        reply = await ws_call(ws, 4, "userDataStream.subscribe.signature", signed())
        assert reply["status"] == 200 and reply["result"] == {"subscriptionId": 0}
        again = await ws_call(ws, 5, "userDataStream.subscribe.signature", signed())
        assert again["error"]["code"] == -2035
        status = await ws_call(ws, 6, "session.status")
        assert status["result"]["userDataStream"] is True
        bad = dict(signed(), signature="0" * 64)
        assert (await ws_call(ws, 7, "userDataStream.subscribe.signature", bad))["error"][
            "code"] == -1022
        await ws.send(orjson.dumps({"id": 8, "method": "userDataStream.unsubscribe"}).decode())
        ended = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ended["subscriptionId"] == 0
        assert ended["event"]["e"] == "eventStreamTerminated"
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))["id"] == 8
        assert (await ws_call(ws, 10, "session.subscriptions"))["result"] == []
        assert (await ws_call(ws, 9, "order.place", {}))["error"]["code"] == -1020


async def test_ed25519_and_rsa_keys_stream_end_to_end():
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    from tuimon.protocol.signing import signer_from_pem

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    api_key = "R" * 64
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    creds = Credentials(Secret(api_key), signer_from_pem(pem), "test")
    async with running_user("spot", credentials=creds, start=False) as (sim, account, feed):
        sim.private.register_key(api_key, public_pem=public)
        feed.start()
        sim.private.step(5)
        await assert_converges(sim, account)
    assert TEST_ED25519_API_KEY in sim.private.keys.keys


def test_fault_validation():
    sim = SimServer("spot")
    with pytest.raises(ValueError, match="unknown private fault"):
        sim.private.inject("nope")
    with pytest.raises(ValueError, match="does not take"):
        sim.private.inject("disconnect", count=1)
    with pytest.raises(ValueError, match="forward"):
        sim.private.inject("clock_skew", ms=-5)
    with pytest.raises(ValueError, match="USDⓈ-M only"):
        sim.private.inject("listen_key_expired")
    with pytest.raises(ValueError, match="action"):
        sim.private.step(action="withdraw_everything")
    assert set(PRIVATE_FAULT_NAMES) >= {"listen_key_expired", "stream_terminated",
                                        "disconnect_during_fills", "bad_signature",
                                        "clock_skew"}
    with pytest.raises(ValueError, match="no private side"):
        SimServer("coinm").private.step()


async def test_admin_endpoints():
    async with sim_and_http("usdm") as (sim, http):
        async with http.post(f"{sim.rest_url}/_sim/private/step?n=5") as response:
            assert len((await response.json())["events"]) >= 5
        async with http.post(f"{sim.rest_url}/_sim/private/fault",
                             json={"fault": "bad_signature", "count": 2}) as response:
            assert (await response.json())["kind"] == "bad_signature"
        async with http.post(f"{sim.rest_url}/_sim/private/fault",
                             json={"fault": "bogus"}) as response:
            assert response.status == 400
        async with http.get(f"{sim.rest_url}/_sim/private/account") as response:
            body = await response.json()
            assert body["open_orders"] == sim.private.true_account()["open_orders"]


async def test_autoplay_moves_the_account_and_the_client_follows():
    async with running_user("usdm", config=fast_config()) as (sim, account, _):
        await assert_converges(sim, account)
        sim.private.start_autoplay(0.02)
        assert await account.wait_until(lambda a: a.stats.events >= 5, 10)
        await sim.private.close()  # stops autoplay (and drops the sockets)
        await assert_converges(sim, account, lambda a: a.stats.reconciles >= 2)
