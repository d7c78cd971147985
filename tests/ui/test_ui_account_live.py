"""The account end to end: demo keys, the real user-data worker over the loopback simulator,
the real app headless. And the secret never appears in anything the UI writes.

Skipped when the simulator is not importable. Waits poll with a deadline (no fixed sleeps).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tuimon.clock import SystemClock
from tuimon.config import AccountPrefs, Settings
from tuimon.feeds.credentials import NO_KEYS_HELP
from tuimon.feeds.market import MarketFeed
from tuimon.feeds.user import make_user_feed
from tuimon.protocol.endpoints import Market, resolve_endpoints, with_bases
from tuimon.store import Store
from tuimon.store.account import AccountStore
from tuimon.ui.factory import build_app
from tuimon.ui.launch import account_credentials
from tuimon.ui.logbridge import captured_logging

sim_module = pytest.importorskip("tuimon.sim")
private = pytest.importorskip("tuimon.sim.private")

ROOT = Path(__file__).resolve().parents[2]
SECRET = private.TEST_HMAC_SECRET
API_KEY = private.TEST_HMAC_API_KEY


async def until(pilot: Pilot, condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.05)


def open_order_rows(rows: list[str]) -> list[str]:
    out = []
    for row in rows[2:]:
        if row.startswith(("Positions", "Balances", "Fills")):
            break
        out.append(row)
    return out


@pytest.mark.parametrize("market", ["spot", "usdm"])
async def test_demo_account_goes_live_follows_the_exchange_and_never_leaks(
    market: str, tmp_path: Path
) -> None:
    sim = sim_module.SimServer(market=market, seed=7, port=0)
    await sim.start()
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)  # capture everything a --verbose run (and more) could print
    try:
        with captured_logging() as capture:
            endpoints = with_bases(
                resolve_endpoints(Market(market), env={}),
                stream=sim.stream_url,
                rest=sim.rest_url,
                ws_api=sim.ws_api_url,
            )
            clock = SystemClock()
            store = Store(market, clock=clock, futures=market != "spot")
            feed = MarketFeed(store, endpoints, clock=clock)
            credentials = account_credentials(store.account, AccountPrefs(), demo=True)
            assert credentials is not None
            user = make_user_feed(store.account, endpoints, credentials)
            assert user is not None
            sim.private.step(4, "place")  # open orders before the first REST snapshot
            settings = Settings(
                market=market,
                watchlist=("BTCUSDT", "ETHUSDT"),
                selected="BTCUSDT",
                config_path=tmp_path / "config.toml",
            )
            app = build_app(
                settings,
                store=store,
                feed=feed,
                clock=clock,
                live=True,
                log_capture=capture,
                user_feed=user,
            )
            async with app.run_test(size=(120, 40)) as pilot:
                pane = app.main.orders
                await until(pilot, lambda: pane.state == "live" and bool(pane.row_texts()))
                await until(pilot, lambda: pane.row_texts()[1].startswith("Orders 4"))
                assert "● live" in pane.row_texts()[0]
                rows = open_order_rows(pane.row_texts())
                btc = [r for r in rows if r.startswith("BTCUSDT")]
                assert rows[: len(btc)] == btc, "the selected symbol's orders come first"

                # A fill on the exchange: the order leaves the open list, a fill shows up.
                sim.private.step(1, "fill")
                await until(pilot, lambda: pane.row_texts()[1].startswith("Orders 3"))
                await until(pilot, lambda: any(r.startswith("Fills 1") for r in pane.row_texts()))

                # The connection drops: marked NOT LIVE at once, live again after reconciling.
                sim.private.inject("disconnect")
                # (Reconnecting waits a jittered 0.25-0.5 s: ample time to see the state.)
                await until(pilot, lambda: not store.account.live, within=5)
                app.flush_frame()
                assert pane.state == "stale" and "NOT LIVE" in pane.row_texts()[0]
                await until(pilot, lambda: pane.state == "live")

                app.save_screenshot(filename="live.svg", path=str(tmp_path))
                await pilot.press("q")
            assert app.return_code == 0
            assert user._task is None, "q closed the user-data worker"
            assert store.account.status == "stopped"
        logs = "\n".join(capture.lines(logging.DEBUG))
        info_logs = "\n".join(capture.lines(logging.INFO))
    finally:
        root.setLevel(level)
        await feed.close()
        await sim.stop()

    svg = (tmp_path / "live.svg").read_text()
    assert "Account" in svg
    for text, where in ((svg, "live screenshot"), (logs, "captured log")):
        assert SECRET not in text, f"the API secret is in the {where}"
    # The API key names the account: not on screen, not at any level --verbose shows.
    assert API_KEY not in svg and API_KEY not in info_logs


def test_committed_svgs_hold_no_key_material() -> None:
    """README screenshots and snapshot SVGs: never the demo (or any) key or secret."""
    paths = [*ROOT.glob("screenshots/*.svg"), *ROOT.glob("tests/ui/__snapshots__/**/*.svg")]
    assert len(paths) >= 10
    for path in paths:
        text = path.read_text()
        assert SECRET not in text and API_KEY not in text, path


# ----------------------------------------------------------------------------- credentials


def test_demo_uses_the_published_test_key_whatever_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", "REAL" * 16)
    monkeypatch.setenv("BINANCE_API_SECRET", "REALSECRET" * 6)
    account = AccountStore("spot")
    credentials = account_credentials(account, AccountPrefs(key_file="nope.toml"), demo=True)
    assert credentials is not None and credentials.api_key.reveal() == API_KEY
    assert account.enabled


def test_unusable_keys_disable_the_account_with_one_line(monkeypatch) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", "A" * 64)  # a key without its secret
    account = AccountStore("spot")
    assert account_credentials(account, AccountPrefs()) is None
    assert not account.enabled
    assert "BINANCE_API_SECRET" in account.status and "\n" not in account.status
    assert "A" * 64 not in account.status


def test_no_keys_is_not_an_error(tmp_path) -> None:
    account = AccountStore("spot")
    assert account_credentials(account, AccountPrefs(), env={}) is None
    assert account.enabled  # make_user_feed then disables it with the how-to
    endpoints = resolve_endpoints(Market.SPOT, env={})
    assert make_user_feed(account, endpoints, None) is None
    assert not account.enabled and account.status == NO_KEYS_HELP


def test_config_key_file_is_used_and_a_readable_one_warns(tmp_path) -> None:
    keys = tmp_path / "binance.toml"
    keys.write_text(f'api_key = "{API_KEY}"\napi_secret = "{SECRET}"\n')
    keys.chmod(0o644)
    prefs = AccountPrefs(key_file="binance.toml", base_dir=tmp_path)
    credentials = account_credentials(AccountStore("spot"), prefs, env={})
    assert credentials is not None and credentials.api_key.reveal() == API_KEY
    assert any("chmod 600" in w for w in credentials.warnings)
    assert all(SECRET not in w and API_KEY not in w for w in credentials.warnings)
    keys.chmod(0o600)
    quiet = account_credentials(AccountStore("spot"), prefs, env={})
    assert quiet is not None and not quiet.warnings
