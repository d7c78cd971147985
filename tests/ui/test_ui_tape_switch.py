"""The futures header, the grid's mark column and the tape follow a market switch (``m``):
on USDⓈ-M and COIN-M they show that market's marks and trades, back on spot they are gone."""

from __future__ import annotations

from test_ui_market_switch import WATCH, open_spot_app, three_sims, until


async def test_switch_brings_and_takes_the_futures_extras() -> None:
    async with three_sims() as sims:
        app = await open_spot_app(sims)
        store = app.store
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
