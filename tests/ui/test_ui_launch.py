"""Start-up: symbols from the CLI, the config or the top list; fatal problems exit cleanly."""

from __future__ import annotations

import argparse

from textual.pilot import Pilot
from ui_helpers import fake_feed_app

from tuimon.feeds.rest import RestError
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.ui import launch
from tuimon.ui.app import TuimonApp
from tuimon.ui.launch import run_monitor
from tuimon.ui.sample import WATCHLIST

SIZE = (100, 30)


async def wait_ready(pilot: Pilot, app: TuimonApp) -> None:
    for _ in range(200):
        if app.return_code is not None or app.watchlist and app.main.grid.order:
            return
        await pilot.pause()


async def test_default_watchlist_is_top_symbols() -> None:
    app, feed = fake_feed_app(top=("ETHUSDT", "BTCUSDT", "SOLUSDT"))
    seen: list = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await wait_ready(pilot, app)
        assert app.watchlist == ("ETHUSDT", "BTCUSDT", "SOLUSDT")
        assert app.symbol == "ETHUSDT"
        watch = feed.watches[-1]
        assert watch.tickers == {"ETHUSDT", "BTCUSDT", "SOLUSDT"}
        assert watch.books == {"ETHUSDT"} and watch.klines == {"ETHUSDT"}
        # The grid can show the watchlist a turn before FeedReady is dispatched: wait for it.
        for _ in range(200):
            if any(isinstance(m, TuimonApp.FeedReady) for m in seen):
                break
            await pilot.pause()
        assert any(isinstance(m, TuimonApp.FeedReady) for m in seen)
        app.flush_frame()
        assert app.first_live_frame is not None


async def test_heap_is_settled_once_after_the_first_live_frame(monkeypatch) -> None:
    """``tuimon`` freezes its heap for the GC once the first tickers are on screen."""
    calls: list[str] = []
    for name in ("unfreeze", "collect", "freeze"):
        monkeypatch.setattr(launch.gc, name, lambda name=name: calls.append(name))
    app, _feed = fake_feed_app(top=("ETHUSDT", "BTCUSDT"))
    app.after_live_frame = launch.settle_heap
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        app.flush_frame()
        await pilot.pause()  # the hook runs after the refresh that shows the frame
        assert app.first_live_frame is not None
        # What an earlier market left is unfrozen, garbage collected, the rest frozen.
        assert calls == ["unfreeze", "collect", "freeze"]
        for _ in range(3):
            app.flush_frame()
            await pilot.pause()
    assert calls == ["unfreeze", "collect", "freeze"]  # once per market, not per frame


async def test_cli_symbols_are_checked_and_kept() -> None:
    app, feed = fake_feed_app(watchlist=("solusdt", "BTCUSDT"), symbols_from_cli=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.watchlist == ("SOLUSDT", "BTCUSDT")


async def test_unknown_cli_symbol_exits_2_with_one_line() -> None:
    app, feed = fake_feed_app(watchlist=("NOPECOIN",), symbols_from_cli=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await pilot.pause()
    assert app.return_code == 2
    assert app.exit_message is not None and "NOPECOIN" in app.exit_message
    assert "\n" not in app.exit_message
    assert feed.closed == 1


async def test_unreachable_exchange_exits_1() -> None:
    app, feed = fake_feed_app(fail_load=RestError("connection refused"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await pilot.pause()
    assert app.return_code == 1
    assert "exchangeInfo" in (app.exit_message or "")


async def test_unknown_config_symbols_are_dropped_not_fatal() -> None:
    app, feed = fake_feed_app(watchlist=("BTCUSDT", "GONEUSDT"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        assert app.return_code is None
        assert app.watchlist == ("BTCUSDT",)
        app.flush_frame()
        assert "GONEUSDT" in app.main.health.status_line
        assert "kept in the config" in app.main.health.status_line


async def test_cli_watchlist_not_persisted_unless_edited(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[spot]\nwatchlist = ["ETHUSDT"]\nselected = "ETHUSDT"\n')
    app, feed = fake_feed_app(watchlist=("SOLUSDT",), symbols_from_cli=True, config_path=config)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("q")
    assert "ETHUSDT" in config.read_text()
    assert "SOLUSDT" not in config.read_text()


def test_bad_interval_exits_2_before_the_ui(capsys) -> None:
    args = argparse.Namespace(
        symbols=[], interval="7m", fps=10.0, demo=False, seed=7, verbose=False
    )
    assert run_monitor(args, resolve_endpoints(Market.SPOT)) == 2
    err = capsys.readouterr().err
    assert "7m" in err and "Traceback" not in err


def test_sample_watchlist_is_twelve() -> None:
    assert len(WATCHLIST) == 12
