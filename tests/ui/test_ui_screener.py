"""Issue 13 §5: the whole-market screener (pilot for behaviour, snapshots for looks).

The feed is a FakeFeed: the tests assert what the app asked it (``!miniTicker@arr`` on while
the screen is open, off once it closes) and drive the store through its own mutators.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ui_helpers import MARKET_SIZE, fake_feed_app, no_blink, sample_app, settle

from tuimon.store import topics
from tuimon.ui.screens.help import help_text
from tuimon.ui.screens.screener import ScreenerScreen

SIZE = (100, 30)


async def _ready(pilot) -> None:
    app = pilot.app
    for _ in range(100):
        if app._feed_ready and app.frame_timer is not None:
            break
        await pilot.pause()
    app.flush_frame()
    await pilot.pause()


async def _open(pilot) -> ScreenerScreen:
    await pilot.press("e")
    await pilot.pause()
    seeds = [w for w in pilot.app.workers if w.group == "screener"]
    if seeds:  # the REST seed (a FakeFeed answers at once; an empty list would wait for all)
        await pilot.app.workers.wait_for_complete(seeds)
    pilot.app.flush_frame()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ScreenerScreen)
    return screen


async def test_open_sort_filter_enter_and_close_unsubscribes():
    app, feed = fake_feed_app()
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        assert not feed.watches[-1].all_tickers
        screen = await _open(pilot)
        # Open: the feed was asked for !miniTicker@arr, and the rows were seeded once.
        assert feed.watches[-1].all_tickers
        assert feed.market_seeds == 1
        table = screen.table
        total = len(app.store.market_tickers)
        assert total >= MARKET_SIZE and len(table.order) == total
        changes = [r.change for r in table.order]
        assert changes == sorted(changes, reverse=True)  # 24 h change, highest first

        await pilot.press("s")  # quote volume
        volumes = [r.volume for r in table.order]
        assert table.sort == "volume" and volumes == sorted(volumes, reverse=True)
        await pilot.press("s")  # range
        ranges = [r.range for r in table.order]
        assert table.sort == "range" and ranges == sorted(ranges, reverse=True)
        await pilot.press("r")
        assert [r.range for r in table.order] == sorted(ranges)

        await pilot.press("u")  # the most common quote asset
        assert table.quote == "USDT"
        assert all(r.quote == "USDT" for r in table.order) and len(table.order) < total
        await pilot.press("slash", "e", "t", "h", "enter")
        assert table.text == "eth"
        assert table.order and all("ETH" in r.symbol for r in table.order)
        assert {"ETHUSDT", "ETHFIUSDT"} <= {r.symbol for r in table.order}
        assert app.screen.focused is table  # enter left the filter

        await pilot.press("down")
        chosen = table.cursor_symbol
        assert chosen is not None and chosen not in app.watchlist
        await pilot.press("enter")
        await pilot.pause()
        # Enter: watched, selected, back on the main screen, !miniTicker@arr dropped.
        assert app.screen is app.main
        assert app.watchlist[-1] == chosen and app.symbol == chosen
        assert not feed.watches[-1].all_tickers
        assert chosen in feed.watches[-1].tickers

        await _open(pilot)
        assert feed.market_seeds == 1  # reopened within a minute: no second REST seed
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main and app.screener is None
        assert not feed.watches[-1].all_tickers


async def test_only_changed_rows_are_formatted_and_only_visible_rows_built():
    app = sample_app(market_size=MARKET_SIZE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await _open(pilot)
        table = screen.table
        store = app.store
        total = len(store.market_tickers)
        assert table.formatted == total
        # Header plus one Strip per visible row: the other ~420 rows are never rendered.
        assert len(table.row_texts()) == table.size.height <= 30
        built = table.rebuilds
        app.flush_frame()  # nothing changed: nothing re-read, nothing rebuilt
        assert table.formatted == total and table.rebuilds == built
        top = table.order[0]
        ticker = store.market_tickers[top.symbol]
        store.apply_market_tickers(
            [
                replace(
                    ticker,
                    event_time=ticker.event_time + 1000,
                    close=ticker.close * Decimal("1.001"),
                )
            ]
        )
        assert topics.MARKET in store._dirty
        app.flush_frame()
        await pilot.pause()
        assert table.formatted == total + 1  # one ticker changed: one row formatted
        assert table.row_texts()[1].split()[0] == top.symbol


async def test_listed_in_help_and_palette():
    app = sample_app(market_size=10)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Screener" in help_text(app)
        from tuimon.ui.commands import SymbolCommands

        provider = SymbolCommands(app.screen)
        hits = [hit async for hit in provider.search("screener")]
        assert hits
        hits[0].command()
        await pilot.pause()
        assert isinstance(app.screen, ScreenerScreen)


def test_screener_snapshot(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        pilot.app.flush_frame()
        await no_blink(pilot)

    app = sample_app(market_size=MARKET_SIZE)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_screener_snapshot_80x24_filtered(snap_compare) -> None:
    """By quote volume, USDT only, the cursor moved down two rows (High/Low need 92 columns)."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("s", "u", "down", "down")
        pilot.app.flush_frame()
        await no_blink(pilot)

    app = sample_app(market_size=MARKET_SIZE)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
