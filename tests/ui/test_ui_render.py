"""What reaches the terminal: every row fits its widget and the screen, no glyph strays.

Issue 12 §6: a lone eighth-block glyph (``▅`` at 120x40, ``▁`` at 80x24 after a resize) sat in
the last column of the ticker grid. It was the grid's one-cell vertical scrollbar, whose thumb
ends in a partial block; the grid now has no scrollbar and says "Symbol 13/20" instead. These
tests check the composed screen (the lines Textual's driver writes) at the sizes a user tries,
before and after a resize, so any widget drawing there what it should not fails here.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget
from ui_helpers import sample_app, settle

from tuimon.ui.sample import SYMBOLS, WATCHLIST
from tuimon.ui.widgets.close_chart import CloseChart

BLOCKS = frozenset("▁▂▃▄▅▆▇█")
"""The sparkline's glyphs: they belong in the chart and nowhere else."""

LONG_WATCHLIST = tuple(s[0] for s in SYMBOLS[:20])
"""As many symbols as ``--demo`` watches: more rows than the grid has at 120x40 or 80x24."""


def screen_lines(app) -> list[Strip]:
    """The composed screen, one Strip per terminal row: what the driver writes (the same
    call Textual's own ``export_screenshot`` makes)."""
    return app.screen._compositor.render_strips()


def line_api_widgets(app) -> list[Widget]:
    """Mounted, visible widgets that draw themselves row by row (``render_line``)."""
    return [
        w
        for w in app.screen.query(Widget)
        if type(w).render_line is not Widget.render_line and w.display and w.size.area
    ]


def check_frame(app, size: tuple[int, int]) -> None:
    """Every line-API row is exactly its widget's width; the screen is exactly the terminal;
    block glyphs appear only inside the sparkline's chart."""
    width, height = size
    widgets = line_api_widgets(app)
    names = {type(w).__name__ for w in widgets}
    assert {"TickerGrid", "DepthLadder", "CloseChart", "OrdersPane"} <= names, names
    for widget in widgets:
        for y in range(widget.size.height):
            strip = widget.render_line(y)
            assert strip.cell_length == widget.size.width, (type(widget).__name__, y)
    lines = screen_lines(app)
    assert len(lines) == height
    chart = app.screen.query_one(CloseChart).region
    for y, line in enumerate(lines):
        assert line.cell_length == width, y
        x = 0
        for segment in line:
            for char in segment.text:
                if char in BLOCKS:
                    assert chart.contains(x, y), f"{char!r} at column {x + 1}, row {y + 1}"
                x += Segment(char).cell_length


async def test_frames_fit_and_no_stray_glyph_across_resizes() -> None:
    """The issue's sizes and the way back, with the demo's 20 symbols and the sample's 12."""
    for watchlist in (LONG_WATCHLIST, WATCHLIST):
        app = sample_app(watchlist=watchlist)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            check_frame(app, (120, 40))
            for size in ((80, 24), (160, 48), (120, 40)):
                await pilot.resize_terminal(*size)
                await pilot.pause()
                app.flush_frame()
                await pilot.pause()
                check_frame(app, size)


async def test_resized_screen_equals_a_fresh_one() -> None:
    """120x40 then 80x24 draws what a fresh 80x24 start draws: nothing left behind by the
    larger layout (stale cached rows, an old scrollbar, a longer header)."""
    fresh = sample_app(watchlist=LONG_WATCHLIST)
    async with fresh.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        expected = [list(line) for line in screen_lines(fresh)]
    resized = sample_app(watchlist=LONG_WATCHLIST)
    async with resized.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        resized.flush_frame()
        await pilot.pause()
        got = [list(line) for line in screen_lines(resized)]
    for y, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert Strip(have).text == Strip(want).text, y
        assert have == want, y  # styles too


async def test_grid_says_how_many_rows_fit_and_still_scrolls() -> None:
    app = sample_app(watchlist=LONG_WATCHLIST)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        grid = app.main.grid
        assert not grid.styles.scrollbar_size_vertical  # no scrollbar is drawn ...
        assert grid.allow_vertical_scroll  # ... yet the wheel still scrolls the grid
        assert screen_lines(app)[0].text.startswith(" Symbol 13/20 ")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen_lines(app)[0].text.startswith(" Symbol 9/20 ")
        # The cursor still brings a row below the fold into view.
        for _ in range(len(LONG_WATCHLIST) - 1):
            await pilot.press("down")
        await pilot.pause()
        assert grid.scroll_y > 0
        last = LONG_WATCHLIST[-1]
        assert any(line.text.startswith(f" {last} ") for line in screen_lines(app)[:10])
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert screen_lines(app)[0].text.split()[:2] == ["Symbol", "Last"]  # all fit: no count


async def test_grid_count_follows_the_watchlist_and_the_sort_arrow() -> None:
    app = sample_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = app.main.grid
        assert screen_lines(app)[0].text.startswith(" Symbol 9/12 ")
        grid.set_symbols(LONG_WATCHLIST[:8])
        await pilot.pause()
        assert screen_lines(app)[0].text.split()[:2] == ["Symbol", "Last"]
        grid.set_symbols(LONG_WATCHLIST)
        grid.set_sort("symbol")
        await pilot.pause()
        assert screen_lines(app)[0].text.startswith(" Symbol▲ 9/20 ")
