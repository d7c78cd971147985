"""The futures header, the grid's mark column and the tape follow a market switch (``m``):
on USDⓈ-M and COIN-M they show that market's marks and trades, back on spot they are gone."""

from __future__ import annotations

from test_ui_market_switch import WATCH, _config, _table, three_sims, until

from tuimon.clock import SystemClock
from tuimon.config import Settings
from tuimon.feeds.proxy import ProxyRules
from tuimon.feeds.session import Sessions, fixed_endpoints
from tuimon.protocol.endpoints import Market
from tuimon.store import Store
from tuimon.ui.factory import build_app


async def test_switch_brings_and_takes_the_futures_extras() -> None:
    async with three_sims() as sims:
        clock = SystemClock()
        store = Store("spot", clock=clock)
        sessions = Sessions(
            fixed_endpoints(_table(sims)),
            credentials_for=lambda account: None,
            clock=clock,
            proxies=ProxyRules(),
        )
        session = await sessions.open(Market.SPOT, store)
        watchlist, selected = WATCH["spot"]
        settings = Settings(market="spot", watchlist=watchlist, selected=selected, config=_config())
        app = build_app(settings, store=store, feed=session.feed, user_feed=session.user,
                        clock=clock, live=True, sessions=sessions, session=session)
        async with app.run_test(size=(120, 40)) as pilot:
            main = app.main
            await until(pilot, lambda: bool(store.tickers))
            await pilot.press("t")  # the tape on: ETHUSDT's trades stream
            await until(pilot, lambda: bool(store.tapes.get("ETHUSDT")) and bool(
                store.tapes["ETHUSDT"].entries))
            assert not main.futures_header.display and not main.grid.shows_marks
            await pilot.press("m")
            await until(pilot, lambda: store.market == "usdm" and app.switches == 1)
            symbol = WATCH["usdm"][1]
            await until(pilot, lambda: main.futures_header.text.startswith(f"{symbol}  mark "))
            assert main.futures_header.display and "funding" in main.futures_header.text
            await until(pilot, lambda: main.grid.shows_marks)
            await until(pilot, lambda: bool(store.tapes.get(symbol)) and bool(
                store.tapes[symbol].entries))
            assert "ETHUSDT" not in store.tapes  # the spot tape went with the spot market
            await pilot.press("m")
            await until(pilot, lambda: store.market == "coinm" and app.switches == 2)
            coin = WATCH["coinm"][1]
            await until(pilot, lambda: main.futures_header.text.startswith(f"{coin}  mark "))
            await pilot.press("m")
            await until(pilot, lambda: store.market == "spot" and app.switches == 3)
            await until(pilot, lambda: not main.futures_header.display)
            await until(pilot, lambda: not main.grid.shows_marks)
            assert not store.marks
            await pilot.press("q")
