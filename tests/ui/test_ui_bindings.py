"""Pilot tests: one per key binding (and the mouse sort), asserting app state and messages."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Input
from ui_helpers import fake_feed_app, sample_app, settle, watches

from tuimon.config import load_config
from tuimon.ui.app import TuimonApp
from tuimon.ui.sample import WATCHLIST
from tuimon.ui.screens.help import HelpScreen
from tuimon.ui.screens.search import SearchScreen
from tuimon.ui.widgets.depth_ladder import DepthLadder
from tuimon.ui.widgets.kline_spark import KlineSpark
from tuimon.ui.widgets.ticker_grid import TickerGrid

SIZE = (120, 40)


@pytest.mark.parametrize("keys", [("j",), ("down",)])
async def test_next_symbol(keys) -> None:
    app = sample_app()
    seen: list = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        await pilot.pause()
        assert app.symbol == "ETHUSDT"
        assert app.main.grid.cursor_row == 1
        assert app.main.ladder.symbol == "ETHUSDT"
        assert app.main.spark.symbol == "ETHUSDT"
        last = watches(seen)[-1]
        assert last.books == {"ETHUSDT"} and last.klines == {"ETHUSDT"}
        assert last.tickers == set(WATCHLIST)


@pytest.mark.parametrize("keys", [("k",), ("up",)])
async def test_previous_symbol(keys) -> None:
    app = sample_app(selected="SOLUSDT")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.symbol == "SOLUSDT"
        await pilot.press(*keys)
        await pilot.pause()
        assert app.symbol == "BNBUSDT"
        await pilot.press("k", "k", "k", "k")  # clamps at the top
        assert app.symbol == "BTCUSDT"


async def test_down_when_ladder_focused_still_switches() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.ladder.focus()
        await pilot.pause()
        await pilot.press("down")
        assert app.symbol == "ETHUSDT"


@pytest.mark.parametrize(("key", "expected"), [("1", 0), ("3", 2), ("9", 8), ("0", 9)])
async def test_number_keys_select_rows(key, expected) -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await pilot.pause()
        assert app.symbol == WATCHLIST[expected]
        assert app.main.grid.cursor_row == expected


async def test_tab_cycles_panes() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, TickerGrid)
        await pilot.press("tab")
        assert isinstance(app.focused, DepthLadder)
        await pilot.press("tab")
        assert isinstance(app.focused, KlineSpark)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, DepthLadder)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [(("i",), "5m"), (("i", "i", "i"), "1h"), (("I",), "1d"), (("i",) * 6, "1m")],
)
async def test_interval_keys(keys, expected) -> None:
    app = sample_app()
    seen: list = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        await pilot.pause()
        assert app.interval == expected
        assert app.main.spark.interval == expected
        assert watches(seen)[-1].interval == expected


async def test_sort_keys() -> None:
    app = sample_app()
    seen: list = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        grid = app.main.grid
        assert grid.order == list(WATCHLIST)
        await pilot.press("s")  # symbol A→Z
        assert grid.sort_column == "symbol"
        assert grid.order == sorted(WATCHLIST)
        await pilot.press("s")  # last price, biggest first
        assert grid.sort_column == "last"
        prices = [app.store.tickers[s].close for s in grid.order]
        assert prices == sorted(prices, reverse=True)
        await pilot.press("r")
        prices = [app.store.tickers[s].close for s in grid.order]
        assert prices == sorted(prices)
        # The selection follows its symbol, not its row index.
        assert grid.order[grid.cursor_row] == app.symbol == "BTCUSDT"
        assert any(isinstance(m, TickerGrid.SortChanged) for m in seen)


async def test_click_header_sorts() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = app.main.grid
        await pilot.click(TickerGrid, offset=(2, 0))  # the "Symbol" header
        await pilot.pause()
        assert grid.sort_column == "symbol"


async def test_help_opens_and_closes() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        body = str(app.screen.query_one("#help-body").render())
        for binding in TuimonApp.BINDINGS:
            assert binding.description in body  # generated from BINDINGS
        await pilot.press("j")  # main-screen keys are off behind the modal
        assert app.symbol == "BTCUSDT"
        await pilot.press("escape")
        assert app.screen is app.main
        await pilot.press("question_mark", "question_mark")
        assert app.screen is app.main


@pytest.mark.parametrize("key", ["slash", "a"])
async def test_search_adds_and_selects(key, tmp_path) -> None:
    config = tmp_path / "config.toml"
    app = sample_app(config_path=config)
    seen: list = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press(key)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"ethfi")
        assert app.screen.results == ["ETHFIUSDT"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.main
        assert app.watchlist[-1] == "ETHFIUSDT"
        assert app.symbol == "ETHFIUSDT"
        assert app.main.grid.order[-1] == "ETHFIUSDT"
        assert watches(seen)[-1].books == {"ETHFIUSDT"}
    assert load_config(config).prefs("spot").watchlist[-1] == "ETHFIUSDT"


async def test_search_selects_watched_symbol_without_duplicating() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"sol", "enter")
        await pilot.pause()
        assert app.symbol == "SOLUSDT"
        assert app.watchlist == WATCHLIST


async def test_search_arrows_and_escape() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"eth")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        assert screen.query_one(Input).value == "eth"
        await pilot.press("down", "down", "up")
        assert screen.query_one("#search-results").highlighted == 1
        await pilot.press("escape")
        assert app.screen is app.main
        assert app.watchlist == WATCHLIST


async def test_remove_selected(tmp_path) -> None:
    config = tmp_path / "config.toml"
    # No balances: nothing keeps ETHUSDT's ticker for the account pane (see test_ui_orders).
    app = sample_app(config_path=config, selected="ETHUSDT", account="empty")
    seen: list = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert "ETHUSDT" not in app.watchlist
        assert app.symbol == "BNBUSDT"  # the next row
        assert "ETHUSDT" not in app.main.grid.order
        assert "ETHUSDT" not in watches(seen)[-1].tickers
    prefs = load_config(config).prefs("spot")
    assert "ETHUSDT" not in prefs.watchlist


async def test_remove_never_empties_the_watchlist() -> None:
    app = sample_app(watchlist=("BTCUSDT",))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        assert app.watchlist == ("BTCUSDT",)


async def test_command_palette_watches_symbol() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"ETHUSDC")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.symbol == "ETHUSDC"
        assert "ETHUSDC" in app.watchlist


@pytest.mark.parametrize("key", ["q", "ctrl+c", "ctrl+q"])
async def test_quit_closes_feed_and_exits_zero(key, tmp_path) -> None:
    config = tmp_path / "config.toml"
    app, feed = fake_feed_app(config_path=config)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):  # the feed worker starts streaming after load_symbols
            if feed.watches:
                break
            await pilot.pause()
        await pilot.press("j")
        await pilot.press(key)
        await pilot.pause()
    assert app.return_code == 0
    assert feed.closed == 1
    prefs = load_config(config).prefs("spot")
    assert prefs.watchlist == ()  # the top-volume default is not frozen into the file
    assert prefs.selected == "ETHUSDT"
