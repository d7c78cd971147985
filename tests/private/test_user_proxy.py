"""The user-data worker through a proxy: its socket (spot WebSocket API, USDⓈ-M /private route)
and its signed REST calls follow the same rule as the market side (tuimon/feeds/proxy.py).

The simulator is named ``tuimon-sim.test``, which only the test proxy resolves: an account that
converges proves every connection went through the proxy.
"""

from __future__ import annotations

import base64
import logging

import pytest
from private_helpers import assert_converges, fast_config, hmac_credentials
from proxy_helpers import HttpProxy, Socks5Proxy

from tuimon.feeds.backoff import Backoff
from tuimon.feeds.connection import GiveUp
from tuimon.feeds.proxy import ProxyFailure
from tuimon.feeds.user import UserFeed
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.sim import SimServer
from tuimon.sim.private import TEST_HMAC_API_KEY, TEST_HMAC_SECRET
from tuimon.store.account import AccountStore

USER, PASSWORD, AUTH = "acc@unt", "s3cret:pw", "acc%40unt:s3cret%3Apw"
SIM_NAME = "tuimon-sim.test"


def user_feed(sim: SimServer, host: str, **config) -> tuple[AccountStore, UserFeed]:
    base = f"{host}:{sim.port}"
    endpoints = resolve_endpoints(Market(sim.market), stream_url=f"ws://{base}",
                                  rest_url=f"http://{base}", ws_api_url=f"ws://{base}", env={})
    account = AccountStore(sim.market)
    feed = UserFeed(account, endpoints, hmac_credentials(), config=fast_config(**config),
                    backoff=Backoff(base=0.01, cap=0.05))
    return account, feed


@pytest.mark.parametrize("market", ["spot", "usdm"])
async def test_user_data_through_http_connect(monkeypatch, caplog, market):
    caplog.set_level(logging.DEBUG)
    async with SimServer(market=market, seed=11, port=0) as sim, \
            HttpProxy(USER, PASSWORD, resolve={SIM_NAME: "127.0.0.1"}) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://{AUTH}@{proxy.address}")
        account, feed = user_feed(sim, SIM_NAME)
        feed.start()
        try:
            await assert_converges(sim, account)
        finally:
            await feed.close()
    sockets = {t.path.split("?")[0] for t in proxy.tunnels if t.kind == "CONNECT"}
    rest = {(t.kind, t.path.split("?")[0]) for t in proxy.tunnels if t.kind != "CONNECT"}
    assert {t.target for t in proxy.tunnels} == {f"{SIM_NAME}:{sim.port}"}
    if market == "spot":
        assert sockets == {"/ws-api/v3"}
        assert {("GET", "/api/v3/time"), ("GET", "/api/v3/account"),
                ("GET", "/api/v3/openOrders")} <= rest
    else:
        assert len(sockets) == 1 and sockets.pop().startswith("/private/ws/")
        assert {("POST", "/fapi/v1/listenKey"), ("GET", "/fapi/v3/balance"),
                ("GET", "/fapi/v3/positionRisk")} <= rest
    # Neither the proxy's credentials nor the API key and secret reach the logs.
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    for secret in (USER, PASSWORD, AUTH, basic, TEST_HMAC_SECRET, TEST_HMAC_API_KEY):
        assert secret not in caplog.text


async def test_user_data_through_socks5h(monkeypatch):
    async with SimServer(market="spot", seed=11, port=0) as sim, \
            Socks5Proxy(USER, PASSWORD, resolve={SIM_NAME: "127.0.0.1"}) as proxy:
        monkeypatch.setenv("ALL_PROXY", f"socks5h://{AUTH}@{proxy.address}")
        account, feed = user_feed(sim, SIM_NAME)
        feed.start()
        try:
            await assert_converges(sim, account)
        finally:
            await feed.close()
    target = f"{SIM_NAME}:{sim.port}"
    assert {(t.kind, t.target) for t in proxy.tunnels} == {("socks-domain", target)}
    firsts = {t.path.split("?")[0] for t in proxy.tunnels}
    assert {"/ws-api/v3", "/api/v3/time"} <= firsts


async def test_no_proxy_bypasses_it_for_user_data(monkeypatch):
    async with SimServer(market="usdm", seed=11, port=0) as sim, HttpProxy() as proxy:
        monkeypatch.setenv("ALL_PROXY", f"http://{proxy.address}")
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        account, feed = user_feed(sim, "127.0.0.1")
        feed.start()
        try:
            await assert_converges(sim, account)
        finally:
            await feed.close()
    assert proxy.tunnels == [] and proxy.refused == []


async def test_a_refused_socket_tunnel_is_one_line_retried_then_given_up(monkeypatch):
    """REST goes direct (NO_PROXY covers its host:port); the socket's CONNECT is refused: one
    line, the normal backoff, and GiveUp after the configured attempts."""
    async with SimServer(market="spot", seed=11, port=0) as sim, \
            HttpProxy(USER, "the right one") as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://{AUTH}@{proxy.address}")
        monkeypatch.setenv("NO_PROXY", f"127.0.0.1:{sim.port}")
        # The WebSocket API under another name for the same address: the only proxied URL.
        endpoints = resolve_endpoints(
            Market.SPOT, rest_url=sim.rest_url, stream_url=sim.stream_url,
            ws_api_url=f"ws://localhost:{sim.port}", env={})
        account = AccountStore("spot")
        feed = UserFeed(account, endpoints, hmac_credentials(),
                        config=fast_config(give_up_after=2), backoff=Backoff(base=0.01, cap=0.02))
        with pytest.raises(ProxyFailure) as refused:
            async with feed._connect(endpoints.ws_api()):
                pass
        feed.start()
        try:
            failure = await feed.wait_failed()
        finally:
            await feed.close()
    expected = (f"proxy http://***@{proxy.address} refused the tunnel to localhost:{sim.port}: "
                "407 Proxy Authentication Required")
    assert str(refused.value) == expected
    assert isinstance(failure, GiveUp)
    assert str(failure) == f"user data (spot): {expected}"
    assert len(proxy.refused) == 3  # the direct call above, then two attempts of the worker
    assert PASSWORD not in account.status and USER not in account.status
