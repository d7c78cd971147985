"""End to end over the loopback simulator: real feed, real sockets, the real app headless.

Skipped when the simulator is not importable. Waits poll the app state with a deadline
(no fixed sleeps); the whole test takes a few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tuimon.clock import SystemClock
from tuimon.config import Settings
from tuimon.feeds.market import MarketFeed
from tuimon.protocol.endpoints import Market, resolve_endpoints, with_bases
from tuimon.store import Store
from tuimon.ui.factory import build_app

sim_module = pytest.importorskip("tuimon.sim")


async def until(pilot: Pilot, condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.05)


async def test_live_demo_switch_gap_disconnect_quit(tmp_path) -> None:
    sim = sim_module.SimServer(market="spot", seed=7, port=0)
    await sim.start()
    feed: MarketFeed | None = None
    try:
        endpoints = with_bases(
            resolve_endpoints(Market.SPOT, env={}),
            stream=sim.stream_url,
            rest=sim.rest_url,
            ws_api=sim.ws_api_url,
        )
        clock = SystemClock()
        store = Store("spot", clock=clock)
        feed = MarketFeed(store, endpoints, clock=clock)
        settings = Settings(
            market="spot",
            watchlist=("BTCUSDT", "ETHUSDT"),
            selected="BTCUSDT",
            config_path=tmp_path / "config.toml",
        )
        app = build_app(settings, store=store, feed=feed, clock=clock, live=True)
        async with app.run_test(size=(120, 40)) as pilot:
            main = app.main
            await until(pilot, lambda: main.ladder.freshness == "live")
            await until(pilot, lambda: store.tickers.keys() >= {"BTCUSDT", "ETHUSDT"})
            await until(pilot, lambda: bool(main.spark.window))  # klines seeded from REST
            assert main.health.state == "ok"
            await until(pilot, lambda: main.grid.get_cell("ETHUSDT", "last").plain.strip() != "—")

            # Switch: the ladder drops the old book at once, then goes live on the new one.
            await pilot.press("j")
            assert main.ladder.symbol == "ETHUSDT"
            assert main.ladder.freshness != "live" or store.books["ETHUSDT"].synced
            await until(pilot, lambda: main.ladder.freshness == "live")
            await until(pilot, lambda: bool(main.spark.window))
            assert main.spark.window[-1].symbol == "ETHUSDT"

            # A sequence gap: the book is rebuilt (counted), never shown across the gap.
            resyncs = store.resyncs
            sim.inject("gap", "ETHUSDT")
            await until(pilot, lambda: store.resyncs > resyncs)
            await until(pilot, lambda: main.ladder.freshness == "live")

            # A dropped connection: reconnect counted, everything live again.
            sim.inject("disconnect")
            await until(pilot, lambda: store.health.reconnects >= 1)
            await until(pilot, lambda: main.ladder.freshness == "live")
            await until(pilot, lambda: main.health.state == "ok")

            await pilot.press("q")
        assert app.return_code == 0
        assert not feed._connection_tasks, "q closed the feed's sockets"
    finally:
        if feed is not None:
            await feed.close()  # idempotent; matters when an assertion above failed
        await sim.stop()
