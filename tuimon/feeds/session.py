"""One market's workers as a unit, so the monitor can switch market without restarting.

A :class:`MarketSession` is the market worker, the user-data worker (when keys allow) and
whatever the session owns (the ``--demo`` simulator of that market). :class:`Sessions` makes
them: :meth:`Sessions.open` builds the workers of a market over the app's one Store (which
the caller has switched to that market first), :meth:`MarketSession.close` stops every task
and socket of the old one. Nothing here imports Textual.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tuimon.clock import Clock
from tuimon.feeds.credentials import Credentials
from tuimon.feeds.market import MarketFeed
from tuimon.feeds.proxy import ProxyRules
from tuimon.feeds.rest import RestClient
from tuimon.feeds.user import UserFeed, make_user_feed
from tuimon.protocol.endpoints import Endpoints, Market
from tuimon.store import Store
from tuimon.store.account import AccountStore

log = logging.getLogger(__name__)

MARKET_ORDER: tuple[Market, ...] = (Market.SPOT, Market.USDM, Market.COINM)
"""What ``m`` cycles through."""


class SwitchError(Exception):
    """This run cannot open that market (one line for the user)."""


def next_market(market: Market) -> Market:
    """spot → USDⓈ-M → COIN-M → spot."""
    return MARKET_ORDER[(MARKET_ORDER.index(market) + 1) % len(MARKET_ORDER)]


@dataclass(slots=True)
class MarketSession:
    """The running workers of one market."""

    market: Market
    endpoints: Endpoints
    feed: MarketFeed
    user: UserFeed | None = None
    credentials: Credentials | None = None
    """The keys the user feed runs with (their file warnings are shown once)."""
    owned: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    """What the session started besides its workers (a demo simulator); closed last."""

    async def close(self) -> None:
        """Stop the workers (every task and socket), then what the session owns."""
        try:
            await self.feed.close()
        finally:
            try:
                if self.user is not None:
                    await self.user.close()
            finally:
                await self.owned.aclose()


EndpointsFor = Callable[[Market, contextlib.AsyncExitStack], Awaitable[Endpoints]]
"""The endpoints of a market; may start something (the demo simulator) on the stack."""
CredentialsFor = Callable[[AccountStore], Credentials | None]
"""The API keys for a market's account (None: no keys, or unusable: the account says why)."""


class Sessions:
    """Makes the sessions of one run: the same proxies, keys and clock for every market."""

    def __init__(
        self,
        endpoints_for: EndpointsFor,
        *,
        credentials_for: CredentialsFor,
        clock: Clock,
        proxies: ProxyRules,
    ) -> None:
        self._endpoints_for = endpoints_for
        self._credentials_for = credentials_for
        self.clock = clock
        self.proxies = proxies
        self.opened = 0
        """Sessions opened so far (tests)."""

    async def open(self, market: Market, store: Store) -> MarketSession:
        """The workers of ``market`` over ``store`` (not started: the app starts them)."""
        owned = contextlib.AsyncExitStack()
        try:
            endpoints = await self._endpoints_for(market, owned)
            rest = RestClient(endpoints, clock=self.clock, proxies=self.proxies)
            feed = MarketFeed(store, endpoints, rest=rest, clock=self.clock, proxies=self.proxies)
            credentials = self._credentials_for(store.account)
            user = None
            if store.account.enabled:  # not disabled by unusable keys: None means "no keys"
                # One IP, one Retry-After: a 429 on the market side stops the account's REST.
                user = make_user_feed(
                    store.account,
                    endpoints,
                    credentials,
                    proxies=self.proxies,
                    cooldown=rest.cooldown,
                )
        except BaseException:
            await owned.aclose()
            raise
        self.opened += 1
        return MarketSession(market, endpoints, feed, user, credentials, owned)


def fixed_endpoints(table: dict[Market, Endpoints]) -> EndpointsFor:
    """Endpoints from a table; a market missing from it cannot be opened (SwitchError)."""

    async def endpoints_for(market: Market, _owned: contextlib.AsyncExitStack) -> Endpoints:
        try:
            return table[market]
        except KeyError:
            raise SwitchError(
                f"{market.value} is not available in this run (endpoints were given for "
                f"{', '.join(m.value for m in table)} only)"
            ) from None

    return endpoints_for


def demo_endpoints_for(
    base: Callable[[Market], Endpoints], seed: int, account_autoplay: float | None
) -> EndpointsFor:
    """Each market's own in-process simulator, started when the market is opened and stopped
    with its session: a demo only ever runs the simulator of the market on screen."""

    async def endpoints_for(market: Market, owned: contextlib.AsyncExitStack) -> Endpoints:
        from tuimon.headless import demo_endpoints

        context: contextlib.AbstractAsyncContextManager[Endpoints] = demo_endpoints(
            base(market), seed, account_autoplay=account_autoplay
        )
        return await owned.enter_async_context(context)

    return endpoints_for


__all__ = [
    "MARKET_ORDER",
    "MarketSession",
    "Sessions",
    "SwitchError",
    "demo_endpoints_for",
    "fixed_endpoints",
    "next_market",
]
