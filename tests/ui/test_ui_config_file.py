"""The person's config through the running monitor: what is saved, and what never is."""

from __future__ import annotations

import tomllib

import pytest
from pty_helpers import LIVE, PtyRun, config_env
from textual.pilot import Pilot
from ui_helpers import FakeFeed

from tuimon.clock import FrozenClock
from tuimon.config import NOT_SAVED, load_config, load_settings
from tuimon.store import Store
from tuimon.ui.factory import build_app

SIZE = (120, 40)

ISSUE_FILE = """\
[account]
key_file = "keys.toml"

[spot]
watchlist = ["ETHUSDT", "BTCUSDT", "SOLUSDT"]
colour_theme = "nord"
"""


async def wait_ready(pilot: Pilot, feed: FakeFeed) -> None:
    """Until the feed worker chose the watchlist and streams (it then sends a watch)."""
    for _ in range(200):
        if feed.watches:
            return
        await pilot.pause()
    raise AssertionError("the feed never started")


def _app_from_file(path, top=("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT")):
    clock = FrozenClock()
    store = Store("spot", clock=clock)
    feed = FakeFeed(store, clock, top=top)
    settings = load_settings(market="spot", path=path)
    return build_app(settings, store=store, clock=clock, live=True, feed=feed), feed


@pytest.mark.parametrize(
    "text",
    [
        "[spot\nwatchlist = ['BTCUSDT']\n",  # a TOML typo
        '[spot]\nwatchlist = "ETHUSDT"\n# my comment\n',  # a wrong type
        '[account]\napi_secret = "x"\n[spot]\nwatchlist = ["ETHUSDT", "BTCUSDT"]\n',
    ],
)
async def test_a_broken_file_is_byte_identical_after_a_session(tmp_path, text) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    before = path.read_bytes()
    app, feed = _app_from_file(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, feed)
        await pilot.pause()
        first = app.symbol
        await pilot.press("j")
        await pilot.pause()
        assert app.symbol != first  # the selection changed...
        app.flush_frame()
        assert NOT_SAVED in app.main.health.status_line  # ...and the person was told
        await pilot.press("d")  # and the watchlist too
        await pilot.press("q")
    assert app.return_code == 0
    assert path.read_bytes() == before  # ...yet nothing was written


async def test_the_issue_file_keeps_account_and_unknown_key(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ISSUE_FILE)
    app, feed = _app_from_file(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, feed)
        assert app.watchlist == ("ETHUSDT", "BTCUSDT", "SOLUSDT")
        notes = [n.message for n in app._notifications]
        assert any(f"{path}:6:" in n and "colour_theme" in n for n in notes)
        await pilot.press("j")
        await pilot.press("q")
    text = path.read_text()
    data = tomllib.loads(text)
    assert data["account"] == {"key_file": "keys.toml"}
    assert data["spot"] == {
        "watchlist": ["ETHUSDT", "BTCUSDT", "SOLUSDT"],
        "colour_theme": "nord",
        "selected": "BTCUSDT",
    }
    assert text.startswith(ISSUE_FILE)  # only a line was added


async def test_symbols_the_exchange_lacks_stay_in_the_file(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[spot]\nwatchlist = ["BTCUSDT", "GONEUSDT", "ETHUSDT", "SOLUSDT"]\n')
    app, feed = _app_from_file(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, feed)
        assert app.watchlist == ("BTCUSDT", "ETHUSDT", "SOLUSDT")
        await pilot.press("j", "d")  # remove ETHUSDT
        await pilot.press("q")
    prefs = load_config(path).prefs("spot")
    assert prefs.watchlist == ("BTCUSDT", "SOLUSDT", "GONEUSDT")


async def test_an_untouched_session_does_not_touch_the_file(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[spot] # mine\nwatchlist = ["BTCUSDT", "ETHUSDT"]\nselected = "BTCUSDT"\n')
    before = path.stat().st_mtime_ns, path.read_bytes()
    app, feed = _app_from_file(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, feed)
        await pilot.press("q")
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


async def test_a_read_only_file_is_reported_not_replaced(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[spot]\nwatchlist = ["BTCUSDT", "ETHUSDT"]\n')
    path.chmod(0o444)
    app, feed = _app_from_file(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, feed)
        await pilot.press("j")
        app.save_prefs()
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert any("read-only; not saved" in n for n in notes)
        await pilot.press("q")
    assert path.read_text() == '[spot]\nwatchlist = ["BTCUSDT", "ETHUSDT"]\n'


def test_demo_never_writes_the_persons_config(tmp_path) -> None:
    """Issue: `tuimon --demo` then `q` dropped WIFUSDT (the simulator does not list it) and
    saved. A demo reads the file and keeps every change in memory."""
    path = tmp_path / "config.toml"
    path.write_text('# mine\n[spot]\nwatchlist = ["BTCUSDT", "WIFUSDT", "ETHUSDT"]\n')
    before = path.read_bytes()
    run = PtyRun(["--demo"], config_env(path))
    try:
        run.wait_for(LIVE)
        run.press("j")
        run.press("d")
        run.press("q")
        assert run.wait_exit() == 0
    finally:
        run.close()
    assert path.read_bytes() == before
