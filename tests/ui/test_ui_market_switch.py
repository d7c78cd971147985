"""Issue 13 §4: ``m`` switches spot → USDⓈ-M → COIN-M without restarting.

Three simulators (one per market) on loopback, the real app headless with a real Sessions
factory (the launcher's), demo keys for the account. After 20 switches the old markets hold
no socket (each simulator counts its open connections), the number of asyncio tasks is what
it was after the first round, and each market came back with its own watchlist and selection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tuimon.clock import SystemClock
from tuimon.config import Config, MarketPrefs, Settings
from tuimon.feeds.credentials import load_credentials
from tuimon.feeds.proxy import ProxyRules
from tuimon.feeds.session import Sessions, SwitchError, fixed_endpoints
from tuimon.protocol.endpoints import Market, resolve_endpoints, with_bases
from tuimon.store import Store
from tuimon.ui.factory import build_app

sim_module = pytest.importorskip("tuimon.sim")

WATCH = {
    "spot": (("BTCUSDT", "ETHUSDT"), "ETHUSDT"),
    "usdm": (("SOLUSDT", "BTCUSDT"), "SOLUSDT"),
    "coinm": (("ETHUSD_PERP", "BTCUSD_PERP"), "BTCUSD_PERP"),
}


async def until(pilot: Pilot, condition: Callable[[], bool], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.05)


def _config() -> Config:
    markets = {m: MarketPrefs(watchlist=w, selected=s) for m, (w, s) in WATCH.items()}
    return Config(markets=markets)


@contextlib.asynccontextmanager
async def three_sims():
    sims = {}
    try:
        for market in ("spot", "usdm", "coinm"):
            sims[market] = sim_module.SimServer(market=market, seed=7, port=0, depth_interval_ms=50)
            await sims[market].start()
        yield sims
    finally:
        for sim in sims.values():
            await sim.stop()


def _table(sims) -> dict[Market, object]:
    return {
        Market(m): with_bases(
            resolve_endpoints(Market(m), env={}),
            stream=sim.stream_url,
            rest=sim.rest_url,
            ws_api=sim.ws_api_url,
        )
        for m, sim in sims.items()
    }


def _task_name(task: asyncio.Task) -> str:
    code = getattr(task.get_coro(), "cr_code", None)
    return f"{code.co_filename}:{code.co_name}" if code is not None else repr(task.get_coro())


def _client_tasks() -> list[asyncio.Task]:
    """The app's and the workers' tasks: the three simulators share this event loop, and their
    server side (aiohttp's handler per open HTTP keep-alive connection, per-socket emitters)
    comes and goes on its own schedule (a keep-alive lasts 75 s), which is not the client's."""
    server = ("/tuimon/sim/", "/aiohttp/")
    return [t for t in asyncio.all_tasks() if not any(s in _task_name(t) for s in server)]


def _spot_app(store: Store, sessions: Sessions, session, clock: SystemClock):
    """The live app on spot with each market's watchlist from the config, as launch builds it."""
    watchlist, selected = WATCH["spot"]
    settings = Settings(market="spot", watchlist=watchlist, selected=selected, config=_config())
    return build_app(
        settings,
        store=store,
        feed=session.feed,
        user_feed=session.user,
        clock=clock,
        live=True,
        sessions=sessions,
        session=session,
    )


async def open_spot_app(sims, credentials_for=lambda account: None):
    """The live app on spot over the three simulators, its sessions opened as launch does."""
    clock = SystemClock()
    store = Store("spot", clock=clock)
    sessions = Sessions(
        fixed_endpoints(_table(sims)),
        credentials_for=credentials_for,
        clock=clock,
        proxies=ProxyRules(),
    )
    session = await sessions.open(Market.SPOT, store)
    return _spot_app(store, sessions, session, clock)


def _live(app, market: str) -> bool:
    store = app.store
    symbol = WATCH[market][1]
    return (
        store.market == market and app.symbol == symbol and store.book_freshness(symbol) == "live"
    )


async def test_switching_20_times_leaks_no_socket_or_task(tmp_path) -> None:
    from tuimon.sim.private import DEMO_ENV

    async with three_sims() as sims:
        app = await open_spot_app(sims, lambda account: load_credentials(DEMO_ENV))
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: _live(app, "spot"))
            baseline_tasks: int | None = None
            order = ["usdm", "coinm", "spot"]
            for i in range(20):
                market = order[i % 3]
                await pilot.press("m")
                await until(pilot, lambda m=market, n=i: app.store.market == m and app.switches > n)
                await until(pilot, lambda m=market: _live(app, m))
                # Each market has its own watchlist and selection (from the config).
                assert app.watchlist[: len(WATCH[market][0])] == WATCH[market][0]
                # The health bar names the market and its live routes.
                line = app.main.health.text(120)
                assert market.upper() in line.upper()
                # Only the market on screen holds sockets; the others have none.
                for other, sim in sims.items():
                    if other != market:
                        await asyncio.wait_for(sim.wait_connections(0), 10)
                # Market streams: spot 1 socket, usdm /public + /market, coinm 1; plus the
                # user-data socket on spot and usdm (demo keys).
                expected = {"spot": 2, "usdm": 3, "coinm": 1}[market]
                await until(pilot, lambda m=market, n=expected: sims[m].open_connections() == n)
                if i == 2:
                    baseline_tasks = len(_client_tasks())
                elif i % 3 == 2:
                    assert baseline_tasks is not None
                    # Back on spot: no task left behind by the switches since.
                    try:
                        await until(pilot, lambda b=baseline_tasks: len(_client_tasks()) <= b)
                    except AssertionError:
                        names = sorted(_task_name(t) for t in _client_tasks())
                        raise AssertionError(f"{baseline_tasks} tasks then, now {names}") from None
            assert app.switches == 20
            await pilot.press("q")
        for sim in sims.values():
            await asyncio.wait_for(sim.wait_connections(0), 10)


async def test_a_market_this_run_cannot_open_leaves_everything_as_it_was() -> None:
    async with three_sims() as sims:
        clock = SystemClock()
        store = Store("spot", clock=clock)
        table = _table(sims)
        sessions = Sessions(
            fixed_endpoints({Market.SPOT: table[Market.SPOT]}),  # e.g. --rest-url given
            credentials_for=lambda account: None,
            clock=clock,
            proxies=ProxyRules(),
        )
        with pytest.raises(SwitchError, match="usdm is not available"):
            await sessions.open(Market.USDM, store)
        session = await sessions.open(Market.SPOT, store)
        app = _spot_app(store, sessions, session, clock)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: _live(app, "spot"))
            await pilot.press("m")
            await until(pilot, lambda: app.switches == 1)
            assert app.store.market == "spot"
            assert any("cannot open usdm" in n.message for n in app._notifications)
            await until(pilot, lambda: _live(app, "spot"))
            assert sims["usdm"].open_connections() == 0
            await pilot.press("q")


async def test_heap_is_settled_after_each_markets_first_live_frame() -> None:
    """The GC hook (``tuimon`` freezes its heap there) runs once per market shown, so what
    a switch leaves behind is unfrozen and collected, and the new market is frozen."""
    async with three_sims() as sims:
        app = await open_spot_app(sims)
        settled: list[str] = []
        app.after_live_frame = lambda: settled.append(app.store.market)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: _live(app, "spot") and len(settled) == 1)
            await pilot.press("m")
            await until(pilot, lambda: _live(app, "usdm") and len(settled) == 2)
            for _ in range(5):  # more frames of the same market: no more calls
                app.flush_frame()
                await pilot.pause()
            assert settled == ["spot", "usdm"]
            await pilot.press("q")


async def test_demo_serves_every_market_one_simulator_at_a_time() -> None:
    """``--demo``: each market's simulator starts with its session and stops with it."""
    import argparse

    import aiohttp

    from tuimon.feeds.session import MARKET_ORDER
    from tuimon.ui.launch import _endpoints_for

    args = argparse.Namespace(demo=True, seed=7)
    endpoints_for = _endpoints_for(args, resolve_endpoints(Market.SPOT, env={}))
    async with aiohttp.ClientSession() as http:
        for market in MARKET_ORDER:
            owned = contextlib.AsyncExitStack()
            endpoints = await endpoints_for(market, owned)
            assert endpoints.market is market
            url = f"{endpoints.rest_base}{endpoints.rest_prefix}/exchangeInfo"
            async with http.get(url) as resp:
                body = await resp.json()
            assert resp.status == 200 and body["symbols"]
            await owned.aclose()  # the session closed: its simulator is gone
            with pytest.raises(aiohttp.ClientConnectionError):
                async with http.get(url):
                    pass


async def test_palette_lists_the_other_markets() -> None:
    from tuimon.ui.commands import SymbolCommands
    from tuimon.ui.sample import build_sample_app

    app = build_sample_app()
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(50):
            if app.frame_timer is not None:
                break
            await pilot.pause()
        provider = SymbolCommands(app.screen)
        texts = [hit.text async for hit in provider.search("market")]
        assert "Market: USDⓈ-M" in texts and "Market: COIN-M" in texts
        assert "Market: spot" not in texts  # the market on screen
        # Without a Sessions factory (tests, a replay) the run has one market: it says so.
        assert await app.switch_market("usdm") is False
        assert app.store.market == "spot"
        await pilot.pause()
        assert any("one market" in n.message for n in app._notifications)


def test_demo_in_a_real_terminal_switches_all_three_markets(tmp_path) -> None:
    """``tuimon --demo`` on a pty: m goes to USDⓈ-M, then COIN-M, then back; q exits 0."""
    from pty_helpers import LIVE, PtyRun, config_env

    run = PtyRun(["--demo"], config_env(tmp_path / "config.toml"))
    try:
        run.wait_for(LIVE)
        for badge in (b"USDM", b"COINM", b"SPOT"):
            del run.output[:]  # only what the terminal gets after this press counts
            run.press("m")
            run.wait_for(badge)
            run.wait_for(LIVE)
        run.press("q")
        assert run.wait_exit() == 0
        assert b"Traceback" not in run.output
    finally:
        run.close()


def test_demo_quits_cleanly_on_coinm(tmp_path) -> None:
    """COIN-M has no private side: the demo account's autoplay must not run (and raise) there."""
    from pty_helpers import LIVE, PtyRun, config_env

    run = PtyRun(["--demo", "--market", "coinm"], config_env(tmp_path / "config.toml"))
    try:
        run.wait_for(LIVE)
        run.press("m")  # to spot: the COIN-M session (and its simulator) closes
        run.wait_for(b"SPOT")
        run.press("m")
        run.press("m")  # USDⓈ-M, then COIN-M again
        run.wait_for(b"COINM")
        run.wait_for(LIVE)
        run.press("q")
        assert run.wait_exit() == 0
        assert b"Traceback" not in run.output and b"no private side" not in run.output
    finally:
        run.close()
