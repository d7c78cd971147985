"""The user-data worker against the simulator: the account equals the simulator's truth,
for spot and USDⓈ-M, before and after every private fault."""

from __future__ import annotations

import asyncio
import logging

import orjson
import pytest
from private_helpers import (
    WAIT,
    assert_converges,
    ed25519_credentials,
    fast_config,
    hmac_credentials,
    running_user,
)

from tuimon.feeds.user import AuthFailure

MARKETS = ["spot", "usdm"]


@pytest.mark.parametrize("market", MARKETS)
async def test_live_events_keep_the_account_true(market):
    async with running_user(market) as (sim, account, feed):
        await assert_converges(sim, account)
        for _ in range(4):
            sim.private.step(6)
            await assert_converges(sim, account)
        assert account.stats.reconciles == 1
        assert account.stats.bad_frames == 0
        assert account.fills, "fills were recorded"
        assert feed.sessions == 1


def reconciled(n):
    return lambda a: a.stats.reconciles >= n


@pytest.mark.parametrize("market", MARKETS)
@pytest.mark.parametrize("abrupt", [True, False])
async def test_disconnect_reconnects_and_reconciles(market, abrupt):
    async with running_user(market) as (sim, account, feed):
        await assert_converges(sim, account)
        sim.private.step(5)
        await assert_converges(sim, account)
        record = sim.private.inject("disconnect", abrupt=abrupt)
        assert record.applied == 1
        # Activity nobody hears about while the socket is down: only REST can recover it.
        sim.private.step(6)
        await assert_converges(sim, account, reconciled(2))
        assert feed.sessions == 2
        sim.private.step(5)
        await assert_converges(sim, account)


@pytest.mark.parametrize("market", MARKETS)
async def test_disconnect_during_fills_loses_nothing(market):
    async with running_user(market) as (sim, account, feed):
        sim.private.step(8)
        await assert_converges(sim, account)
        before = {o.order_id: o.executed_qty for o in account.orders.values()}
        record = sim.private.inject("disconnect_during_fills", fills=4)
        assert record.applied == 1 and len(record.notes) == 4
        await assert_converges(sim, account, reconciled(2))
        after = {o.order_id: o.executed_qty for o in account.orders.values()}
        assert before != after  # the fills really changed orders the client had
        sim.private.step(6)
        await assert_converges(sim, account)


async def test_spot_stream_terminated_resubscribes_on_the_same_socket():
    async with running_user("spot") as (sim, account, feed):
        sim.private.step(4)
        await assert_converges(sim, account)
        record = sim.private.inject("stream_terminated")
        assert record.applied == 1
        sim.private.step(4)  # between the end and the new subscription: lost, then reconciled
        await assert_converges(sim, account, reconciled(2))
        assert feed.sessions == 1  # same connection
        assert feed.subscriptions == 2
        sim.private.step(4)
        await assert_converges(sim, account)


async def test_spot_server_shutdown_rotates_the_connection():
    async with running_user("spot") as (sim, account, feed):
        sim.private.step(4)
        await assert_converges(sim, account)
        record = sim.private.inject("server_shutdown", delay=5.0)
        assert record.applied == 1
        await assert_converges(sim, account, lambda a: feed.sessions >= 2 and reconciled(2)(a))
        sim.private.step(4)
        await assert_converges(sim, account)


async def test_usdm_listen_key_expired_event_gets_a_new_key():
    async with running_user("usdm") as (sim, account, feed):
        sim.private.step(4)
        await assert_converges(sim, account)
        record = sim.private.inject("listen_key_expired")
        assert record.applied == 1
        sim.private.step(4)  # the expired key's socket delivers nothing any more
        await assert_converges(sim, account, reconciled(2))
        assert feed.listen_keys_created == 2
        assert len(sim.private.listen_keys) == 2
        sim.private.step(4)
        await assert_converges(sim, account)


async def test_usdm_silently_expired_key_is_found_by_the_keepalive():
    config = fast_config(keepalive_interval=0.2)
    async with running_user("usdm", config=config) as (sim, account, feed):
        sim.private.step(4)
        await assert_converges(sim, account)
        sim.private.inject("listen_key_expired", notify=False)
        sim.private.step(4)
        await assert_converges(sim, account, reconciled(2))
        assert feed.listen_keys_created == 2
        assert sim.private.stats.rejected.get(-1125, 0) >= 1  # PUT answered -1125
        assert sim.private.stats.listen_key_puts >= 1
        sim.private.step(4)
        await assert_converges(sim, account)
    assert sim.private.stats.listen_key_deletes == 0  # never DELETE: one key per account


@pytest.mark.parametrize("market", MARKETS)
async def test_one_wrong_signature_is_survived(market):
    async with running_user(market) as (sim, account, feed):
        sim.private.step(4)
        await assert_converges(sim, account)
        sim.private.inject("bad_signature", count=1)
        sim.private.inject("disconnect")
        sim.private.step(4)
        await assert_converges(sim, account, reconciled(2))
        assert sim.private.stats.rejected[-1022] == 1
        assert "-1022" in feed.last_error


@pytest.mark.parametrize("market", MARKETS)
async def test_clock_skew_is_measured_and_corrected(market):
    async with running_user(market) as (sim, account, feed):
        sim.private.step(4)
        await assert_converges(sim, account)
        offset_before = feed.time.offset_ms
        sim.private.inject("clock_skew", ms=30_000)
        sim.private.inject("disconnect")
        sim.private.step(4)
        await assert_converges(sim, account, reconciled(2))
        assert sim.private.stats.rejected[-1021] >= 1
        assert feed.time.offset_ms - offset_before >= 29_000
        sim.private.step(4)
        await assert_converges(sim, account)


async def test_spot_ed25519_logs_the_session_on():
    async with running_user("spot", credentials=ed25519_credentials()) as (sim, account, feed):
        sim.private.step(6)
        await assert_converges(sim, account)
        sim.private.inject("disconnect")
        sim.private.step(3)
        await assert_converges(sim, account, reconciled(2))
        conns = [c for c in sim.private.conns if c.kind == "ws-api"]
        assert conns and conns[0].api_key is not None  # session.logon, not .signature


@pytest.mark.parametrize("market", MARKETS)
async def test_ed25519_signed_rest(market):
    async with running_user(market, credentials=ed25519_credentials()) as (sim, account, _):
        sim.private.step(6)
        await assert_converges(sim, account)


@pytest.mark.parametrize("market", MARKETS)
async def test_lifetime_rotation_reconciles(market):
    async with running_user(market, config=fast_config(max_lifetime=0.3)) as (sim, account,
                                                                             feed):
        sim.private.step(4)
        await assert_converges(sim, account)
        await assert_converges(sim, account, lambda a: feed.sessions >= 3)
        sim.private.step(4)
        await assert_converges(sim, account)


@pytest.mark.parametrize("market", MARKETS)
async def test_every_fault_in_one_run(market):
    faults = {
        "spot": [("disconnect", {}), ("disconnect_during_fills", {"fills": 3}),
                 ("stream_terminated", {}), ("server_shutdown", {"delay": 2.0}),
                 ("bad_signature", {"count": 2}), ("clock_skew", {"ms": 15_000})],
        "usdm": [("disconnect", {"abrupt": False}), ("disconnect_during_fills", {"fills": 3}),
                 ("listen_key_expired", {}), ("listen_key_expired", {"notify": False}),
                 ("bad_signature", {"count": 2}), ("clock_skew", {"ms": 15_000})],
    }[market]
    config = fast_config(keepalive_interval=0.2)
    async with running_user(market, config=config) as (sim, account, feed):
        sim.private.step(5)
        await assert_converges(sim, account)
        for n, (fault, params) in enumerate(faults, start=2):
            sim.private.inject(fault, **params)
            if fault in ("bad_signature", "clock_skew"):
                sim.private.inject("disconnect")
            sim.private.step(3)
            await assert_converges(sim, account, reconciled(n))
            sim.private.step(3)
            await assert_converges(sim, account)
        assert account.stats.bad_frames == 0


ORDERS_PATH = {"spot": "/api/v3/openOrders", "usdm": "/fapi/v1/openOrders"}


@pytest.mark.parametrize("market", MARKETS)
async def test_events_newer_than_the_rest_snapshot_are_replayed(market):
    """Events produced after REST computed its answer but before the client got it: they sit
    in the buffer and must be applied on top of the (older) snapshot."""
    async with running_user(market) as (sim, account, feed):
        sim.private.step(8)
        await assert_converges(sim, account)
        armed = {"on": False}

        async def hook(phase, path):
            if armed["on"] and phase == "after" and path == ORDERS_PATH[market]:
                armed["on"] = False
                events = sim.private.step(6)
                # Hold the REST answer until the client has buffered every one of them.
                assert await account.wait_until(lambda a: a.buffered >= len(events), 5)

        sim.private.rest_hook = hook
        armed["on"] = True
        sim.private.inject("disconnect")
        await assert_converges(sim, account, reconciled(2))
        assert not armed["on"]
        assert account.stats.replayed >= 6


@pytest.mark.parametrize("market", MARKETS)
async def test_events_older_than_the_rest_snapshot_are_not_applied_twice(market):
    """Events produced before REST computed its answer, buffered by the client: the snapshot
    already holds their effect, and replaying them must not double anything."""
    async with running_user(market) as (sim, account, feed):
        sim.private.step(8)
        await assert_converges(sim, account)
        armed = {"on": False}

        async def hook(phase, path):
            if armed["on"] and phase == "before" and path == ORDERS_PATH[market]:
                armed["on"] = False
                events = sim.private.step(10)
                assert await account.wait_until(lambda a: a.buffered >= len(events), 5)

        sim.private.rest_hook = hook
        armed["on"] = True
        sim.private.inject("disconnect")
        await assert_converges(sim, account, reconciled(2))
        assert not armed["on"]
        sim.private.step(4)
        await assert_converges(sim, account)


def test_without_keys_the_account_says_how_to_add_them():
    from tuimon.feeds.user import make_user_feed
    from tuimon.protocol.endpoints import Market, resolve_endpoints
    from tuimon.store.account import AccountStore, account_json

    marks = []
    account = AccountStore("spot", mark=marks.append)
    endpoints = resolve_endpoints(Market.SPOT, env={})
    assert make_user_feed(account, endpoints, None) is None
    view = account_json(account)
    assert view["enabled"] is False and "BINANCE_API_KEY" in view["status"]
    assert marks == ["account"]
    coinm = AccountStore("coinm")
    assert make_user_feed(coinm, resolve_endpoints(Market.COINM, env={}),
                          hmac_credentials()) is None
    assert "spot and usdm" in coinm.status


def test_the_worker_is_read_only():
    """Every REST call the worker makes is a GET, except the listenKey POST/PUT that keep the
    USDⓈ-M stream open; it never DELETEs; the WS API methods it uses only subscribe."""
    import re
    from pathlib import Path

    import tuimon.feeds.user as user

    source = Path(user.__file__).read_text()
    signed = re.findall(r'\.signed\(\s*"(\w+)",\s*"([^"]+)"', source)
    keyed = re.findall(r'\.keyed\(\s*"(\w+)",\s*"([^"]+)"', source)
    assert signed and {method for method, _ in signed} == {"GET"}
    assert set(keyed) == {("POST", "/fapi/v1/listenKey"), ("PUT", "/fapi/v1/listenKey")}
    assert '"DELETE"' not in source
    methods = set(re.findall(r'_request\(\s*ws,\s*"([\w.]+)"', source))
    assert methods == {"session.logon", "userDataStream.subscribe",
                       "userDataStream.subscribe.signature"}


async def test_give_up_counts_consecutive_failures_only():
    config = fast_config(give_up_after=2)
    async with running_user("spot", config=config) as (sim, account, feed):
        sim.private.step(3)
        await assert_converges(sim, account)
        for n in range(2, 5):  # more drops than the limit, each after the feed was live again
            sim.private.inject("disconnect")
            await assert_converges(sim, account, reconciled(n))
        assert not feed._failed.is_set()
        await sim.stop()  # now nothing answers: two failures in a row and it gives up
        failure = await asyncio.wait_for(feed.wait_failed(), 10)
        assert "user data (spot)" in str(failure)
        assert not account.live and account.status.startswith("reconnecting: ")


async def test_wait_live_and_demo_credentials():
    from tuimon.feeds.credentials import load_credentials
    from tuimon.sim.private import DEMO_ENV

    creds = load_credentials(DEMO_ENV)
    async with running_user("usdm", credentials=creds) as (sim, account, feed):
        assert await feed.wait_live(WAIT)
        sim.private.start_autoplay(0.01)
        assert await account.wait_until(lambda a: a.stats.events >= 3, WAIT)
    bad = hmac_credentials(secret="Q" * 64)
    config = fast_config(give_up_on_auth=True)
    async with running_user("spot", credentials=bad, config=config) as (_, _, feed):
        with pytest.raises(AuthFailure):
            await feed.wait_live(WAIT)


HOSTILE = {
    # Issue 12: ap x z raised decimal.Overflow, which tore the session down (a reconnect per
    # hostile frame) and was not counted as a bad frame.
    "usdm": {"e": "ORDER_TRADE_UPDATE", "E": 1, "T": 1, "o": {
        "s": "BTCUSDT", "c": "x", "S": "BUY", "o": "LIMIT", "f": "GTC", "q": "10", "p": "1",
        "ap": "1e999999", "sp": "0", "x": "TRADE", "X": "FILLED", "i": 1, "l": "10", "z": "10",
        "L": "1", "n": "0", "N": "USDT", "T": 1, "t": 1, "m": False, "R": False, "ps": "BOTH",
        "rp": "0"}},
    "spot": {"e": "executionReport", "E": 1, "s": "BTCUSDT", "c": "x", "S": "BUY", "o": "LIMIT",
             "f": "GTC", "q": "10", "p": "1", "P": "0", "x": "TRADE", "X": "FILLED", "i": 1,
             "l": "10", "z": "1e999999", "L": "1", "n": "0", "N": "USDT", "T": 1, "t": 1,
             "m": False, "O": 1, "Z": "10"},
}
HOSTILE_KIND = {"usdm": "o.ap: bad decimal", "spot": "z: bad decimal"}


@pytest.mark.parametrize("market", MARKETS)
async def test_a_hostile_frame_is_counted_not_a_reconnect(market, caplog):
    caplog.set_level(logging.WARNING, logger="tuimon.feeds.user")
    async with running_user(market) as (sim, account, feed):
        await assert_converges(sim, account)
        events = account.stats.events
        # Three frames of one kind (different garbage in the same field), through the socket.
        variants = ["1e999999", "1E-999999", "١٢٣"]
        field = "ap" if market == "usdm" else "z"
        for value in variants:
            event = orjson.loads(orjson.dumps(HOSTILE[market]))
            (event["o"] if market == "usdm" else event)[field] = value
            sim.private.emit([event])
        sim.private.step(6)  # the good events after them
        await assert_converges(
            sim, account, lambda a: a.stats.bad_frames == 3 and a.stats.events > events
        )
        assert feed.sessions == 1 and account.stats.reconnects == 0
        assert account.stats.reconciles == 1
        assert feed.bad_frames.kinds == {HOSTILE_KIND[market]}
        logged = [r.getMessage() for r in caplog.records if "bad frame" in r.getMessage()]
        assert len(logged) == 1 and HOSTILE_KIND[market] in logged[0]
