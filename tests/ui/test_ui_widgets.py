"""Widgets against a seeded store: ladder rows, stale marking, diffed grid, sparkline, health."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rich.text import Text
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widgets import DataTable
from ui_helpers import sample_app, settle

from tuimon.protocol.models import DepthDiff, Kline
from tuimon.store import topics
from tuimon.ui.driver import OutputMeter
from tuimon.ui.sample import ROUTE, WATCHLIST, make_stale
from tuimon.ui.widgets.depth_ladder import BOOK_EVERY, bar_cells, cumulative
from tuimon.ui.widgets.health_bar import RateMeter
from tuimon.ui.widgets.kline_spark import contiguous_tail
from tuimon.ui.widgets.ticker_grid import TickerGrid

SIZE = (120, 40)


def test_bar_cells() -> None:
    assert bar_cells(1.0, 4) == 4
    assert bar_cells(0.5, 4) == 2
    assert bar_cells(0.0, 3) == 0
    assert bar_cells(0.01, 20) == 1  # a level never looks empty
    assert bar_cells(0.5, 0) == 0


def test_cumulative() -> None:
    levels = [(Decimal(1), Decimal("0.5")), (Decimal(2), Decimal("1.25"))]
    assert cumulative(levels) == [Decimal("0.5"), Decimal("1.75")]


async def test_ladder_rows_fit_height_and_show_best_levels() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ladder = app.main.ladder
        rows = ladder.row_texts()
        assert len(rows) == ladder.size.height
        n = ladder.levels
        assert n >= 5
        assert "live" in rows[0]
        middle = rows[1 + n]
        assert "spread 0.01" in middle and "mid 96,822.375" in middle
        book = app.store.books["BTCUSDT"].book
        best_ask, best_bid = book.best_ask(), book.best_bid()
        assert rows[n].lstrip().startswith("96,822.38")  # best ask just above the middle
        assert rows[2 + n].lstrip().startswith("96,822.37")  # best bid just below
        assert best_ask is not None and best_bid is not None
        assert (best_ask[0], best_bid[0]) == (Decimal("96822.38"), Decimal("96822.37"))
        # Worst ask at the top, prices strictly decreasing down the ladder.
        prices = [r.split()[0] for r in rows[1 : 1 + n] + rows[2 + n :] if r.strip()]
        numbers = [Decimal(p.replace(",", "")) for p in prices]
        assert numbers == sorted(numbers, reverse=True)


async def test_ladder_repaints_only_changed_rows() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ladder = app.main.ladder
        before = ladder.row_texts()
        sync = app.store.books["BTCUSDT"]
        diff = DepthDiff(
            "BTCUSDT",
            event_time=app.clock.wall_ms(),
            first_id=sync.last_update_id + 1,
            final_id=sync.last_update_id + 1,
            prev_final_id=None,
            bids=(),
            asks=(("96822.38", "0.14579"),),  # best ask grows a little
        )
        app.store.apply_depth(diff)
        app.store.note_message(ROUTE, diff.event_time)
        dirty_regions: list[Region] = []
        original = ladder.refresh

        def spy(*regions, **kwargs):
            dirty_regions.extend(regions)
            return original(*regions, **kwargs)

        ladder.refresh = spy  # type: ignore[method-assign]
        app.clock.advance(int(BOOK_EVERY * 1000))  # the ladder's own pace (5 Hz)
        app.flush_frame()
        after = ladder.row_texts()
        changed = [y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        # The header (its age moved on) and ask rows (their cumulative sizes) only: the middle
        # row and every bid row are not repainted.
        assert changed and max(changed) <= ladder.levels
        assert {r.y for r in dirty_regions} == set(changed)
        assert all(r.height == 1 for r in dirty_regions)


def _grow_best_ask(app, qty: str) -> None:
    sync = app.store.books["BTCUSDT"]
    diff = DepthDiff(
        "BTCUSDT",
        event_time=app.clock.wall_ms(),
        first_id=sync.last_update_id + 1,
        final_id=sync.last_update_id + 1,
        prev_final_id=None,
        bids=(),
        asks=(("96822.38", qty),),
    )
    app.store.apply_depth(diff)
    app.store.note_message(ROUTE, diff.event_time)


async def test_ladder_levels_repaint_at_5_hz_but_a_state_change_at_once() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ladder = app.main.ladder
        best_ask = 1 + ladder.levels - 1  # the row just above the middle one
        _grow_best_ask(app, "6.5")
        app.clock.advance(int(BOOK_EVERY * 1000))
        app.flush_frame()  # due: rebuilt now, so the next book change waits its turn
        assert "6.50000" in ladder.row_texts()[best_ask]
        _grow_best_ask(app, "7.5")
        app.clock.advance(100)  # one frame later at 10 fps: not due yet
        app.flush_frame()
        assert "7.50000" not in ladder.row_texts()[best_ask]
        app.clock.advance(100)
        app.flush_frame()  # due: shown, and nothing was lost while held
        assert "7.50000" in ladder.row_texts()[best_ask]
        # A change of state is never held: the frame that sees it shows it.
        _grow_best_ask(app, "8.5")
        app.store.books["BTCUSDT"].invalidate()
        app.store.mark(topics.book_topic("BTCUSDT"))
        app.clock.advance(10)
        app.flush_frame()
        assert ladder.freshness == "syncing" and "RESYNCING" in ladder.row_texts()[0]


async def test_ladder_never_shows_stale_book_as_live() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ladder = app.main.ladder
        assert ladder.freshness == "live" and not ladder.has_class("-stale")
        # Silent: connected but no frame for more than 5 s.
        app.clock.advance(6_000)
        app.flush_frame()
        await pilot.pause()
        assert ladder.freshness == "silent" and ladder.has_class("-stale")
        assert "SILENT" in ladder.row_texts()[0]
        assert "not live" in ladder.row_texts()[1 + ladder.levels]
        assert app.main.health.has_class("-stale")
        # Resyncing: the book is invalid, no levels at all.
        app.store.note_message(ROUTE, app.clock.wall_ms())
        app.store.books["BTCUSDT"].invalidate()
        app.store.mark(topics.book_topic("BTCUSDT"))
        app.flush_frame()
        rows = ladder.row_texts()
        assert ladder.freshness == "syncing"
        assert "RESYNCING" in rows[0]
        assert not any(ch.isdigit() for row in rows[1 : 1 + ladder.levels] for ch in row)
        # Disconnected.
        make_stale(app.store)
        app.flush_frame()
        await pilot.pause()
        assert app.main.health.has_class("-disconnected")
        assert app.main.grid.has_class("-stale")


async def test_ladder_header_shows_the_book_age_and_silent() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ladder = app.main.ladder
        assert ladder.row_texts()[0].endswith("age 0.0s  ● live")
        # Time passes, frames keep coming for other streams, no diff for this book: the age
        # counts up, and only the header's changed cells are repainted (no row rebuilt).
        rebuilds = ladder.rebuilds
        dirty_regions: list[Region] = []
        original = ladder.refresh

        def spy(*regions, **kwargs):
            dirty_regions.extend(regions)
            return original(*regions, **kwargs)

        ladder.refresh = spy  # type: ignore[method-assign]
        app.clock.advance(300)
        app.store.note_message(ROUTE, app.clock.wall_ms())
        app.flush_frame()
        assert ladder.row_texts()[0].endswith("age 0.3s  ● live")
        assert ladder.rebuilds == rebuilds
        assert dirty_regions and {(r.y, r.height) for r in dirty_regions} == {(0, 1)}
        assert all(r.width <= 2 for r in dirty_regions)  # "0" -> "3": one digit
        dirty_regions.clear()
        app.flush_frame()  # the same text: nothing repainted
        assert not dirty_regions
        ladder.refresh = original  # type: ignore[method-assign]
        # Past the book's limit while the connection stays live: SILENT, in warning style.
        limit = app.store.pulse("BTCUSDT").limit()  # type: ignore[union-attr]
        app.clock.advance(int(limit * 1000))
        app.store.note_message(ROUTE, app.clock.wall_ms())
        app.flush_frame()
        await pilot.pause()
        header = ladder.row_texts()[0]
        assert header.endswith(f"age {limit + 0.3:.1f}s  ⚠ SILENT"), header
        assert ladder.freshness == "silent" and ladder.has_class("-stale")
        assert app.store.health.routes[ROUTE].connected
        assert "not live" in ladder.row_texts()[1 + ladder.levels]
        # The route is up, yet the health bar must not say all is well: it names the book.
        health = app.main.health
        assert health.parts["routes"].startswith("●")
        assert health.has_class("-stale")
        assert health.status_line == "STALE: BTCUSDT book silent"
        # A diff that links: live again, age back to zero.
        sync = app.store.books["BTCUSDT"]
        bid = sync.book.best_bid()
        assert bid is not None
        next_id = sync.last_update_id + 1
        diff = DepthDiff("BTCUSDT", 0, next_id, next_id, ((str(bid[0]), "2"),), ())
        app.store.apply_depth(diff)
        app.flush_frame()
        await pilot.pause()
        assert ladder.row_texts()[0].endswith("age 0.0s  ● live")
        assert not ladder.has_class("-stale")
        assert not health.has_class("-stale") and health.state == "ok"


async def test_narrow_ladder_header_drops_labels_then_the_age_never_the_state() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ladder = app.main.ladder
        ladder.freshness = "silent"
        ladder.age_text = "age 12s"

        def header(width: int) -> tuple[str, str]:
            _row, labels, state, _width = ladder._header_item(width)[0]
            return str(labels), str(state)

        assert header(60) == ("    Price       Size        Cum ", "age 12s  ⚠ SILENT")
        assert header(30) == ("    Price ", "age 12s  ⚠ SILENT")
        assert header(20) == ("    Price ", "⚠ SILENT")
        assert header(9) == ("", "⚠ SILENT")


async def test_grid_writes_only_changed_cells_and_flashes() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = app.main.grid
        updates: list[tuple[str, str]] = []
        original = grid.update_cell

        def spy(row_key, column_key, value, **kwargs):
            updates.append((str(row_key), str(column_key)))
            return original(row_key, column_key, value, **kwargs)

        grid.update_cell = spy  # type: ignore[method-assign]
        app.flush_frame()
        assert updates == []  # nothing changed: nothing written
        old = app.store.tickers["ETHUSDT"]
        app.clock.advance(100)
        app.store.apply_mini_ticker(
            replace(old, event_time=app.clock.wall_ms(), close=old.close + Decimal("1.5"))
        )
        app.flush_frame()
        assert set(updates) == {("ETHUSDT", "last"), ("ETHUSDT", "change")}
        last_cell = grid.get_cell("ETHUSDT", "last")
        assert last_cell.plain.endswith("▲")
        assert "ETHUSDT" in grid._flash_until
        updates.clear()
        app.clock.advance(1_000)  # flash over: the cell is rewritten once, without flash
        app.flush_frame()
        assert updates == [("ETHUSDT", "last")]
        assert grid._flash_until == {}


async def test_grid_formats_only_the_cells_a_ticker_change_can_move() -> None:
    """A new close formats Last and 24h % only; a flash costs nothing until it ends."""
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = app.main.grid
        formatted: list[tuple[str, str]] = []
        original = grid._cell

        def spy(symbol: str, column: str):
            formatted.append((symbol, column))
            return original(symbol, column)

        grid._cell = spy  # type: ignore[method-assign]
        old = app.store.tickers["ETHUSDT"]
        app.clock.advance(100)
        app.store.apply_mini_ticker(
            replace(old, event_time=app.clock.wall_ms(), close=old.close + Decimal("1.5"))
        )
        app.flush_frame()
        assert sorted(formatted) == [("ETHUSDT", "change"), ("ETHUSDT", "last")]
        formatted.clear()
        for _ in range(3):  # flashing, nothing new: nothing to format
            app.clock.advance(100)
            app.flush_frame()
        assert formatted == []
        app.clock.advance(1_000)
        app.flush_frame()
        assert formatted == [("ETHUSDT", "last")]  # the flash ends
        assert grid.get_cell("ETHUSDT", "last").plain.endswith("▲")


async def test_grid_renders_only_the_changed_cells_of_a_repainted_row() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = app.main.grid
        rendered: list[tuple[int, int]] = []
        original = DataTable._render_cell
        plain = TickerGrid._plain_cell

        def spy(self, row_index, column_index, *args, **kwargs):
            rendered.append((row_index, column_index))
            return original(self, row_index, column_index, *args, **kwargs)

        def plain_spy(self, cell, row_index, column_index, *args, **kwargs):
            lines = plain(self, cell, row_index, column_index, *args, **kwargs)
            if lines is not None:  # built here, not by DataTable: a render all the same
                rendered.append((row_index, column_index))
            return lines

        DataTable._render_cell = spy  # type: ignore[method-assign]
        TickerGrid._plain_cell = plain_spy  # type: ignore[method-assign]
        try:
            old = app.store.tickers["ETHUSDT"]
            app.clock.advance(100)
            app.store.apply_mini_ticker(
                replace(old, event_time=app.clock.wall_ms(), close=old.close + Decimal("1.5"))
            )
            app.flush_frame()
            await pilot.pause()
        finally:
            DataTable._render_cell = original  # type: ignore[method-assign]
            TickerGrid._plain_cell = plain  # type: ignore[method-assign]
        row = grid.get_row_index("ETHUSDT")
        body = sorted(cell for cell in rendered if cell[0] >= 0)
        last, change = (grid.get_column_index(key) for key in ("last", "change"))
        # DataTable alone re-renders every cell of the line (its cache key is table-wide).
        assert body == sorted([(row, last), (row, change)])
        assert grid.get_cell("ETHUSDT", "last").plain.endswith("▲")


async def test_grid_cells_built_directly_are_the_cells_datatable_renders() -> None:
    """The grid's direct cell segments equal DataTable's Rich rendering in every state."""
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = app.main.grid
        # Each fits the narrowest column (8 cells); trailing blanks go when right-justified.
        texts = ["BTCUSDT", "3.41  ", "0.32 ▲", "−1.37%", "—", "x" * 8, " a  b "]
        styles = ["", *(grid._style(k) for k in ("up", "down", "flash-up", "flash-down", "muted"))]
        compared = 0
        for stale in (False, True):  # the -stale class tints the grid's own style
            grid.set_class(stale, "-stale")
            await pilot.pause()
            for row in range(2):
                row_key = grid._row_locations.get_key(row)
                for column, spec in enumerate(grid.ordered_columns):
                    width = spec.get_render_width(grid)
                    for text in texts:
                        for style in styles:
                            for justify in ("left", "right"):
                                cell = Text(text, style=style, justify=justify)
                                grid._data[row_key][spec.key] = cell
                                grid._update_count += 1  # DataTable's own cache: a new cell
                                for cursor in (False, True):
                                    for hover in (False, True):
                                        args = (grid.rich_style, width, cursor, hover)
                                        direct = grid._plain_cell(cell, row, column, *args)
                                        assert direct is not None
                                        rich = DataTable._render_cell(grid, row, column, *args)
                                        assert direct == rich, (text, style, justify)
                                        compared += 1
        assert compared == 2 * 2 * len(grid.columns) * len(texts) * len(styles) * 2 * 4
        # What it does not handle is left to DataTable: too long, several lines, spans.
        for cell in (Text("x" * 14), Text("a\nb"), Text.assemble(("a", "bold"), "b"), Text("")):
            assert grid._plain_cell(cell, 0, 0, grid.rich_style, 15, False, False) is None


async def test_grid_rows_are_the_lines_datatable_renders() -> None:
    """The grid's own row lines equal DataTable's: cursor, hover, focus, stale tint."""
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = app.main.grid
        app.store.apply_mini_ticker(  # a flashing, up-coloured row among the others
            replace(old := app.store.tickers["ETHUSDT"], close=old.close + Decimal("1.5"))
        )
        app.flush_frame()
        compared = 0
        for stale, focused in ((False, False), (True, False), (False, True)):
            grid.set_class(stale, "-stale")
            if focused:
                grid.focus()
            await pilot.pause()
            grid._pseudo_class_state = grid.get_pseudo_class_state()
            for cursor_row, hover_row in ((0, -1), (1, 1), (3, 2)):
                cursor, hover = Coordinate(cursor_row, 0), Coordinate(hover_row, 0)
                for row in range(grid.row_count):
                    row_key = grid._row_locations.get_key(row)
                    ours = grid._render_line_in_row(row_key, 0, grid.rich_style, cursor, hover)
                    theirs = DataTable._render_line_in_row(
                        grid, row_key, 0, grid.rich_style, cursor, hover
                    )
                    assert ours == theirs, (row, cursor_row, hover_row, stale, focused)
                    compared += 1
        assert compared == 3 * 3 * len(WATCHLIST)


async def test_grid_lines_in_a_repaint_pass_are_datatables_lines() -> None:
    """With the pass's style worked out once, every line (header, scrolled rows) is the same."""
    app = sample_app()
    async with app.run_test(size=(80, 24)) as pilot:  # short: the grid scrolls to the cursor
        await settle(pilot)
        grid = app.main.grid
        grid.move_cursor(row=grid.row_count - 1, animate=False)
        await pilot.pause()
        assert grid.scroll_y > 0
        height = grid.size.height
        expected = [DataTable.render_line(grid, y) for y in range(height)]
        grid._in_pass = True
        try:
            assert [grid.render_line(y) for y in range(height)] == expected
        finally:
            grid._in_pass = False
            grid._pass_style = None
        assert grid.render_lines(Region(0, 0, grid.size.width, height)) == expected


async def test_grid_prices_use_tick_size() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = app.main.grid
        assert grid.get_cell("DOGEUSDT", "last").plain.strip() == "0.32222"
        assert grid.get_cell("BTCUSDT", "high").plain.strip() == "98,187.58"


def _kline(open_time: int, close: str) -> Kline:
    price = Decimal(close)
    return Kline(
        "X",
        0,
        "1m",
        open_time,
        open_time + 59_999,
        price,
        price,
        price,
        price,
        Decimal(1),
        Decimal(1),
        1,
        True,
    )


def test_contiguous_tail_stops_at_a_hole() -> None:
    candles = [_kline(t * 60_000, "1") for t in (1, 2, 3, 7, 8, 9, 10)]
    tail = contiguous_tail(candles, "1m", 100)
    assert [c.open_time // 60_000 for c in tail] == [7, 8, 9, 10]
    assert len(contiguous_tail(candles, "1m", 2)) == 2


async def test_sparkline_follows_live_candle_in_place() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        spark = app.main.spark
        window = list(spark.window)
        assert len(window) == spark.size.width
        last = window[-1]
        app.store.apply_kline(
            replace(last, event_time=last.event_time + 1, close=last.close + 5, high=last.high + 5)
        )
        app.flush_frame()
        assert len(spark.window) == len(window)
        assert spark.window[-1].close == last.close + 5
        assert "last 96,827.37" in spark._title_text


def test_rate_meter() -> None:
    meter = RateMeter()
    assert meter.sample(10.0, 100) == 0.0
    assert meter.sample(10.5, 150) == 0.0
    assert meter.sample(11.0, 200) == 100.0
    assert meter.sample(13.0, 200) == 0.0


async def test_health_bar_text_fits_and_reads_without_colour() -> None:
    app = sample_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        health = app.main.health
        line1, line2 = health.text(80).split("\n")
        assert len(line1) <= 80 and len(line2) <= 80
        assert "●spot" in line1 and "lat 42ms" in line1 and "up 00:12:34" in line1
        wide = health.text(160).split("\n")[0]
        assert "reconnects 0" in wide and "resyncs 0" in wide and "bad frames 0" in wide
        make_stale(app.store)
        app.flush_frame()
        line1, line2 = health.text(80).split("\n")
        assert "✕spot" in line1 and line2.startswith(" DISCONNECTED")


async def test_health_bar_shows_the_monitors_own_output_rate_when_it_fits() -> None:
    app = sample_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        health = app.main.health
        assert "out " not in health.text(160)  # headless: nothing written, nothing shown
        health.output = OutputMeter()
        health.flush(app.clock.monotonic())
        app.clock.advance(1000)
        health.output.bytes += 12_345
        health.flush(app.clock.monotonic())
        assert health.parts["output"] == "12.3KB/s"
        assert health.text(160).split("\n")[0].endswith("│ out 12.3KB/s")
        line1 = health.text(80).split("\n")[0]
        assert len(line1) <= 80 and "up 00:12" in line1  # the feed's figures come first


async def test_health_bar_repaints_only_its_first_line_when_only_figures_move() -> None:
    app = sample_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        health = app.main.health
        regions: list[tuple[Region, ...]] = []
        original = health.refresh

        def spy(*args, **kwargs):
            regions.append(args)
            return original(*args, **kwargs)

        health.refresh = spy  # type: ignore[method-assign]
        app.clock.advance(1000)  # the clock and uptime move; the key hints do not
        health.flush(app.clock.monotonic())
        assert regions == [(Region(0, 0, 120, 1),)]
        regions.clear()
        health.note("config saved")  # the second line changes: both lines repaint
        health.flush(app.clock.monotonic())
        assert regions == [()]


async def test_modal_defers_work_and_catches_up_on_return() -> None:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        old = app.store.tickers["ETHUSDT"]
        app.clock.advance(100)
        app.store.apply_mini_ticker(
            replace(old, event_time=app.clock.wall_ms(), close=old.close + Decimal("2"))
        )
        app.flush_frame()  # behind the modal: nothing is repainted, the topics are kept
        assert app.main.grid.get_cell("ETHUSDT", "last").plain.strip().startswith("3,408.17")
        await pilot.press("escape")
        await pilot.pause()
        assert app.main.grid.get_cell("ETHUSDT", "last").plain.strip().startswith("3,410.17")


async def test_narrow_ladder_keeps_state_and_not_live_visible() -> None:
    app = sample_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ladder = app.main.ladder
        assert ladder.size.width < 45
        make_stale(app.store)
        app.flush_frame()
        rows = ladder.row_texts()
        assert "DISCONNECTED" in rows[0]
        assert "not live" in rows[1 + ladder.levels]
        app.store.books["BTCUSDT"].invalidate()
        app.store.mark(topics.book_topic("BTCUSDT"))
        app.flush_frame()
        rows = ladder.row_texts()
        assert "RESYNCING" in rows[0]
        assert "not live" in rows[1 + ladder.levels]
