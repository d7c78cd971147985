"""UI test helpers: seeded store, frozen clock, no feed, no network, no sleeps.

A module of its own (not ``conftest``): several test folders have a ``conftest.py``, and
``from conftest import ...`` finds whichever was loaded last (``pytest tests/ui tests/private``
loaded the private one and broke every UI test module).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.widgets import Input

from tuimon.clock import FrozenClock
from tuimon.config import Config, Settings
from tuimon.feeds.market import FeedError, Watch
from tuimon.protocol.models import SymbolInfo
from tuimon.store import Store
from tuimon.ui.app import TuimonApp
from tuimon.ui.factory import build_app
from tuimon.ui.sample import WATCHLIST, build_sample_app, fill_market, fill_store, symbol_table

MARKET_SIZE = 420
"""Made-up symbols the screener tests add to the sample market (445 rows in all)."""


def sample_app(
    *,
    watchlist: tuple[str, ...] = WATCHLIST,
    selected: str = "BTCUSDT",
    stale: bool = False,
    config_path: Path | None = None,
    market: str = "spot",
    account: str = "demo",
    config: Config | None = None,
    market_size: int = 0,
) -> TuimonApp:
    """The real app over a seeded store (the same mutators the feed uses), frozen clock.

    ``account``: one of :data:`tuimon.ui.sample.ACCOUNT_KINDS` (the sample account is built
    through the AccountStore's own mutators).
    """
    return build_sample_app(
        watchlist=watchlist,
        selected=selected,
        stale=stale,
        config_path=config_path,
        market=market,
        account=account,
        config=config,
        market_size=market_size,
    )


async def settle(pilot) -> None:
    """Flush one frame by hand (the frame timer is paused) and let Textual repaint."""
    for _ in range(50):  # the app pushes its state once the main screen is styled
        if pilot.app.frame_timer is not None:
            break
        await pilot.pause()
    pilot.app.flush_frame()
    await pilot.pause()


async def no_blink(pilot) -> None:
    """Stop every Input cursor blinking (stable snapshots)."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


class FakeFeed:
    """Stands in for MarketFeed: same calls, fills the store with sample data, no sockets."""

    def __init__(
        self,
        store: Store,
        clock: FrozenClock,
        *,
        top: Iterable[str] = WATCHLIST,
        fail_load: Exception | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.top = list(top)
        self.fail_load = fail_load
        self.watches: list[Watch] = []
        self.market_seeds = 0
        self.closed = 0
        self.loaded = 0
        import asyncio

        self._failed = asyncio.Event()

    async def load_symbols(self) -> dict[str, SymbolInfo]:
        self.loaded += 1
        if self.fail_load is not None:
            raise self.fail_load
        fill_store(self.store, self.clock)
        return symbol_table()

    async def top_symbols(self, count: int = 20, quote: str = "USDT") -> list[str]:
        return self.top[:count]

    def check_symbols(self, symbols: Iterable[str]) -> list[str]:
        wanted = [s.strip().upper() for s in symbols]
        unknown = [s for s in wanted if s not in self.store.symbols]
        if unknown:
            raise FeedError(f"unknown symbol(s) on spot: {', '.join(map(repr, unknown))}")
        return wanted

    def set_watch(self, watch: Watch) -> None:
        self.watches.append(watch)

    async def load_market_tickers(self) -> int:
        """The screener's REST seed: a made-up whole market (tuimon.ui.sample.fill_market)."""
        self.market_seeds += 1
        fill_market(self.store, self.clock, count=MARKET_SIZE)
        return len(self.store.market_tickers)

    async def wait_failed(self) -> BaseException:
        await self._failed.wait()
        return RuntimeError("gave up")

    async def close(self) -> None:
        self.closed += 1


def fake_feed_app(
    *,
    watchlist: tuple[str, ...] = (),
    symbols_from_cli: bool = False,
    config_path: Path | None = None,
    fail_load: Exception | None = None,
    top: Iterable[str] = WATCHLIST,
) -> tuple[TuimonApp, FakeFeed]:
    """A live app (feed worker running) over a FakeFeed."""
    clock = FrozenClock()
    store = Store("spot", clock=clock)
    feed = FakeFeed(store, clock, top=top, fail_load=fail_load)
    settings = Settings(
        market="spot",
        watchlist=watchlist,
        selected=watchlist[0] if watchlist else None,
        config_path=config_path,
        symbols_from_cli=symbols_from_cli,
    )
    app = build_app(settings, store=store, clock=clock, live=True, feed=feed)
    return app, feed


def watches(seen: list) -> list[Watch]:
    """The Watch of every WatchChanged message a ``message_hook`` list caught, in order."""
    return [m.watch for m in seen if isinstance(m, TuimonApp.WatchChanged)]
