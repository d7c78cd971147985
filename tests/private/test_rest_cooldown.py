"""429/418 Retry-After is an IP-wide stop (reference §5.4): no request may go out before it ends.

Found by the soak benchmark (tests/bench/soak.py): after a 429, requests that had been waiting
for a free connection slot went out anyway, and the user-data worker's REST client did not know
about the market side's 429 at all. The simulator counted both as ignoring Retry-After and
escalated to 418 bans, as the exchange does ("continuing after 429 leads to 418").
"""

from __future__ import annotations

import asyncio

import pytest
from private_helpers import hmac_credentials

from tuimon.feeds.rest import RestClient, RestError
from tuimon.feeds.user import SignedRestClient
from tuimon.headless import SnapshotRequest, market_session
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.sim import SimServer
from tuimon.sim.private import DEMO_ENV


@pytest.fixture
async def sim():
    # A short escalation ban: a client that ignores Retry-After fails fast, not by timeout.
    server = SimServer(market="spot", seed=7, port=0, ban_seconds=3)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def endpoints_of(sim: SimServer):
    return resolve_endpoints(Market.SPOT, stream_url=sim.stream_url, rest_url=sim.rest_url,
                             ws_api_url=sim.ws_api_url, env={})


def ignored_retry_after(sim: SimServer) -> int:
    """Requests the simulator saw during a cool-down or ban it had announced."""
    limiter = sim.rest.limiter
    return limiter.violations + limiter.bans + sim.stats.rest_418


async def test_requests_waiting_for_a_slot_honour_a_429_that_came_meanwhile(sim):
    sim.inject("rest_429", retry_after=1)
    # One slot: every request but the first waits for it, and the 429 comes back while they do.
    rest = RestClient(endpoints_of(sim), concurrency=1)
    bodies = await asyncio.gather(*(rest.get("ping") for _ in range(6)))
    assert bodies == [{}] * 6
    assert sim.stats.rest_429 == 1  # only the injected one: nothing went out in the cool-down
    assert ignored_retry_after(sim) == 0
    assert rest.stats.throttled >= 1


async def test_the_user_side_waits_out_the_market_sides_retry_after(sim):
    endpoints = endpoints_of(sim)
    market = RestClient(endpoints, max_attempts=1)
    user = SignedRestClient(endpoints, hmac_credentials(), cooldown=market.cooldown)
    sim.inject("rest_429", retry_after=1)
    with pytest.raises(RestError, match="429"):
        await market.get("ping")
    body = await user.signed("GET", "/api/v3/account")
    assert "balances" in body
    assert user.stats.throttled >= 1
    assert sim.stats.rest_429 == 1
    assert ignored_retry_after(sim) == 0


async def test_market_session_gives_both_workers_one_cooldown(sim):
    request = SnapshotRequest(["BTCUSDT"], endpoints_of(sim), private=True, env=DEMO_ENV)
    async with market_session(request) as (_store, feed, _symbols, user):
        assert user is not None
        assert user.rest.cooldown is feed.rest.cooldown
