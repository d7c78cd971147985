"""Helpers for the private side: simulator + AccountStore + UserFeed, truth comparison.

Tests wait on AccountStore.wait_until (event-driven) and never sleep to synchronise; WAIT is
only a ceiling.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from account_compare import normalized  # noqa: F401  (re-exported: the tests import it here)

from tuimon.feeds.backoff import Backoff
from tuimon.feeds.credentials import Credentials
from tuimon.feeds.user import UserFeed, UserFeedConfig
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.protocol.signing import HmacSigner, Secret, signer_from_pem
from tuimon.sim import SimServer
from tuimon.sim.private import (
    TEST_ED25519_API_KEY,
    TEST_ED25519_PEM,
    TEST_HMAC_API_KEY,
    TEST_HMAC_SECRET,
)
from tuimon.store.account import AccountStore, account_json

WAIT = 10.0


def hmac_credentials(api_key: str = TEST_HMAC_API_KEY, secret: str = TEST_HMAC_SECRET):
    return Credentials(Secret(api_key), HmacSigner(Secret(secret)), "test")


def ed25519_credentials(api_key: str = TEST_ED25519_API_KEY, pem: str = TEST_ED25519_PEM):
    return Credentials(Secret(api_key), signer_from_pem(pem.encode()), "test")


def fast_config(**overrides: Any) -> UserFeedConfig:
    values: dict[str, Any] = {
        "auth_retry_delay": 0.05,
        "open_timeout": 5.0,
        "request_timeout": 5.0,
        "heartbeat": None,
    }
    values.update(overrides)
    return UserFeedConfig(**values)


@contextlib.asynccontextmanager
async def running_user(
    market: str = "spot",
    *,
    credentials: Credentials | None = None,
    config: UserFeedConfig | None = None,
    before: Callable[[SimServer], object] | None = None,
    start: bool = True,
    **sim_options: Any,
) -> AsyncIterator[tuple[SimServer, AccountStore, UserFeed]]:
    sim = SimServer(market=market, seed=11, port=0, **sim_options)
    await sim.start()
    if before is not None:
        before(sim)
    endpoints = resolve_endpoints(Market(market), stream_url=sim.stream_url,
                                  rest_url=sim.rest_url, ws_api_url=sim.ws_api_url, env={})
    account = AccountStore(market)
    feed = UserFeed(account, endpoints, credentials or hmac_credentials(),
                    config=config or fast_config(), backoff=Backoff(base=0.05, cap=0.3))
    if start:
        feed.start()
    try:
        yield sim, account, feed
    finally:
        await feed.close()
        await sim.stop()


def matches_truth(sim: SimServer) -> Callable[[AccountStore], bool]:
    return lambda account: normalized(account_json(account)) == normalized(
        sim.private.true_account())


async def assert_converges(sim: SimServer, account: AccountStore,
                           extra: Callable[[AccountStore], bool] | None = None) -> None:
    """Wait until the account equals the simulator's truth (and ``extra``), else show the diff."""
    same = matches_truth(sim)

    def done(a: AccountStore) -> bool:
        return a.live and same(a) and (extra is None or extra(a))

    if not await account.wait_until(done, WAIT):
        got = normalized(account_json(account))
        want = normalized(sim.private.true_account())
        raise AssertionError(f"account != truth (live={account.live}, status={account.status!r})"
                             f"\n got: {got}\nwant: {want}")
