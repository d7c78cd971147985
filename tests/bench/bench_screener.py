"""Screener cost: the line-API table against a DataTable, same data, same updates, one run.

Not collected by pytest. Run::

    .venv/bin/python tests/bench/bench_screener.py [--symbols 445] [--seconds 30]

Both variants run the real app headless (``App.run_test``) at 100x30 over the sample market
plus made-up symbols, with the screener open. Each simulated second, 60 % of the symbols get
a new mini ticker (``!miniTicker@arr`` carries only the symbols that changed), the frame is
flushed, and Textual renders. Printed: CPU ms per simulated second (process time around the
flush and the render) for:

* ``line-api``: tuimon's ScreenerTable (visible rows only, changed cells only);
* ``datatable``: a DataTable holding every row, ``update_cell`` for changed cells and a
  ``sort`` when the order changed (the docs' recommended DataTable discipline).

The machine is shared: read the ratio, not the absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import replace
from decimal import Decimal

from textual.widgets import DataTable

from tuimon.store import topics
from tuimon.ui.sample import build_sample_app
from tuimon.ui.screener_rows import make_row, select
from tuimon.ui.screens.screener import ScreenerScreen


def _tick(app, rng: random.Random, share: float, second: int) -> None:
    store = app.store
    batch = []
    for ticker in store.market_tickers.values():
        if rng.random() < share:
            move = Decimal(rng.randint(-30, 30)) / 10_000
            batch.append(
                replace(
                    ticker,
                    event_time=ticker.event_time + 1000 * second,
                    close=ticker.close * (1 + move),
                )
            )
    store.apply_market_tickers(batch)


async def _line_api(symbols: int, seconds: int) -> float:
    app = build_sample_app(market_size=symbols - 25)
    rng = random.Random(3)
    async with app.run_test(size=(100, 30)) as pilot:
        while app.frame_timer is None:
            await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ScreenerScreen)
        app.flush_frame()
        await pilot.pause()
        cpu = 0.0
        for second in range(1, seconds + 1):
            _tick(app, rng, 0.6, second)
            t0 = time.process_time()
            app.flush_frame()
            await pilot.pause()
            cpu += time.process_time() - t0
    return cpu / seconds * 1000


async def _datatable(symbols: int, seconds: int) -> float:
    """Same data into a DataTable on the same screen slot (the screener's table hidden)."""
    app = build_sample_app(market_size=symbols - 25)
    rng = random.Random(3)
    async with app.run_test(size=(100, 30)) as pilot:
        while app.frame_timer is None:
            await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScreenerScreen)
        screen.table.display = False
        table: DataTable[str] = DataTable(cursor_type="row")
        await screen.mount(table, before=screen.query_one("Footer"))
        widths = (13, 16, 10, 16, 16, 9, 11)
        names = ("Symbol", "Last", "24h %", "High", "Low", "Range", "Quote vol")
        for name, width in zip(names, widths, strict=True):
            table.add_column(name, key=name, width=width)
        store = app.store
        seen: dict[str, object] = {}
        formatted: dict[str, tuple[object, object]] = {}  # like the line-API table: per ticker
        order: list[str] = []

        def sync() -> None:
            nonlocal order
            rows = {}
            for symbol, ticker in store.market_tickers.items():
                cached = formatted.get(symbol)
                if cached is None or cached[0] is not ticker:
                    cached = formatted[symbol] = (
                        ticker,
                        make_row(ticker, store.symbols.get(symbol)),
                    )
                row = cached[1]
                rows[symbol] = row
                cells = (
                    row.symbol,
                    row.last,
                    row.change_text,
                    row.high,
                    row.low,
                    row.range_text,
                    row.volume_text,
                )
                old = seen.get(symbol)
                if old is None:
                    table.add_row(*cells, key=symbol)
                elif old != cells:
                    for name, new, before in zip(names, cells, old, strict=True):
                        if new != before:
                            table.update_cell(symbol, name, new)
                seen[symbol] = cells
            new_order = [
                r.symbol
                for r in select(rows.values(), quote=None, text="", sort="change", descending=True)
            ]
            if new_order != order:
                order = new_order
                rank = {s: i for i, s in enumerate(order)}
                table.sort("Symbol", key=lambda symbol: rank[symbol])

        sync()
        store.take_dirty()
        await pilot.pause()
        cpu = 0.0
        for second in range(1, seconds + 1):
            _tick(app, rng, 0.6, second)
            t0 = time.process_time()
            if topics.MARKET in store.take_dirty():
                with app.batch_update():
                    sync()
            await pilot.pause()
            cpu += time.process_time() - t0
    return cpu / seconds * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=445)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    line = asyncio.run(_line_api(args.symbols, args.seconds))
    grid = asyncio.run(_datatable(args.symbols, args.seconds))
    print(f"{args.symbols} symbols, 60 % updated per second, 100x30, {args.seconds} s:")  # noqa: T201
    print(f"  line-api   {line:7.1f} ms CPU per second ({line / 10:.1f} % of a core)")  # noqa: T201
    print(f"  datatable  {grid:7.1f} ms CPU per second ({grid / 10:.1f} % of a core)")  # noqa: T201
    print(f"  ratio      {grid / line:7.1f}x")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
