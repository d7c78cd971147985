"""The trades tape and the futures header (issue 13 §1-§3): reachable by tab at 80x24, the
selection moves the trades and mark subscriptions, repaints only on change, large prints,
gaps, liquidations, own fills flashing, the funding countdown on the frozen clock."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ui_helpers import sample_app, settle, watches

from tuimon.config import Config
from tuimon.protocol.models import MarkPrice, Trade
from tuimon.protocol.user_models import OrderUpdate
from tuimon.store import topics
from tuimon.ui.sample import WATCHLIST, _order
from tuimon.ui.widgets.depth_ladder import DepthLadder
from tuimon.ui.widgets.kline_spark import KlineSpark
from tuimon.ui.widgets.orders_pane import OrdersPane
from tuimon.ui.widgets.ticker_grid import TickerGrid
from tuimon.ui.widgets.trade_tape import TradeTape

NARROW = (80, 24)


async def test_tab_reaches_the_tape_where_it_shares_the_chart_cell() -> None:
    app = sample_app()
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        tape, spark = app.main.tape, app.main.spark
        assert spark.display and not tape.display  # the chart first, as before
        order = []
        for _ in range(4):
            await pilot.press("tab")
            await pilot.pause()
            order.append(type(app.focused))
        assert order == [DepthLadder, KlineSpark, TradeTape, OrdersPane]
        assert app.current_watch().trades == {"BTCUSDT"}  # tab turned the tape on
        assert tape.display and not spark.display  # tab switched the cell to the tape
        assert app.main.tape.row_texts()[0].startswith("Trades")
        await pilot.press("shift+tab")
        await pilot.pause()
        assert isinstance(app.focused, TradeTape)
        await pilot.press("shift+tab")
        await pilot.pause()
        assert isinstance(app.focused, KlineSpark) and spark.display and not tape.display


async def tape_on(pilot) -> None:
    """The sample app settled, then the tape turned on with ``t`` and painted."""
    await settle(pilot)
    await pilot.press("t")
    await pilot.pause()


async def test_t_switches_chart_and_tape_and_wide_shows_both() -> None:
    app = sample_app()
    async with app.run_test(size=NARROW) as pilot:
        await tape_on(pilot)
        assert app.main.tape.display and not app.main.spark.display
        await pilot.press("t")
        await pilot.pause()
        assert app.main.spark.display and not app.main.tape.display
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert app.main.spark.display and not app.main.tape.display  # off until asked for
        assert isinstance(app.focused, TickerGrid)
        for expected in (DepthLadder, KlineSpark, TradeTape, OrdersPane):
            await pilot.press("tab")
            await pilot.pause()
            assert isinstance(app.focused, expected)
        assert app.main.spark.display and app.main.tape.display  # wide: side by side
        await pilot.press("shift+tab", "shift+tab")
        await pilot.pause()
        assert isinstance(app.focused, KlineSpark) and app.main.tape.display
        await pilot.press("t")
        await pilot.pause()
        assert app.main.spark.display and not app.main.tape.display


async def test_selection_moves_trades_and_marks_subscriptions() -> None:
    app = sample_app(market="usdm")
    seen: list = []
    async with app.run_test(size=NARROW, message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await pilot.pause()
        last = watches(seen)[-1]
        assert last.trades == frozenset()  # the tape is off: no trades streamed for nobody
        assert last.books == {"ETHUSDT"}
        assert last.marks == set(WATCHLIST)  # the header's and the grid's mark column
        await pilot.press("t")
        await pilot.pause()
        assert watches(seen)[-1].trades == {"ETHUSDT"}
        await pilot.press("k")
        await pilot.pause()
        assert watches(seen)[-1].trades == {"BTCUSDT"}  # the subscription follows the selection
        await pilot.press("t")
        await pilot.pause()
        assert watches(seen)[-1].trades == frozenset()
        assert app.main.tape.symbol == "BTCUSDT"
        assert app.main.futures_header.text.startswith("BTCUSDT  mark 96822.25  index")
        await pilot.press("j")
        await pilot.pause()
        assert app.main.futures_header.text.startswith("ETHUSDT  mark 3408.20  index")


async def test_spot_streams_no_marks_and_shows_no_header() -> None:
    app = sample_app()
    seen: list = []
    async with app.run_test(size=NARROW, message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("t", "j")
        await pilot.pause()
        last = watches(seen)[-1]
        assert last.trades == {"ETHUSDT"} and last.marks == frozenset()
        assert not app.main.futures_header.display


def _trade(trade_id: int, time: int, qty: str, *, sell: bool = False) -> Trade:
    return Trade("BTCUSDT", time, trade_id, Decimal("97000.00"), Decimal(qty), time, sell, True)


async def test_tape_repaints_only_on_change_and_shows_gaps() -> None:
    app = sample_app()
    async with app.run_test(size=NARROW) as pilot:
        await tape_on(pilot)
        tape = app.main.tape
        rebuilds = tape.rebuilds
        for _ in range(5):
            app.flush_frame()  # nothing changed: not even rebuilt
        assert tape.rebuilds == rebuilds
        store = app.store
        last_id = store.tapes["BTCUSDT"].last_id
        now = app.clock.wall_ms()
        store.apply_trade(_trade(last_id + 1, now, "0.001", sell=True))
        store.apply_trade(_trade(last_id + 1, now, "0.001", sell=True))  # duplicate
        app.flush_frame()
        assert tape.rebuilds == rebuilds + 1
        assert "0.00100 ▼" in tape.row_texts()[1]  # newest first; the taker sold
        store.apply_trade(_trade(last_id + 50, now + 5, "3"))  # 48 missed, then a large print
        app.flush_frame()
        assert tape.rebuilds == rebuilds + 1  # new trades wait for the pace
        app.clock.advance(200)
        app.flush_frame()
        assert tape.rebuilds == rebuilds + 1  # no ladder beat in this frame: its own pace
        app.clock.advance(150)
        app.flush_frame()
        assert tape.rebuilds == rebuilds + 2
        rows = tape.row_texts()
        assert rows[1].rstrip().endswith("▲ ★")
        assert "gap: 48 trades missed" in rows[2]
        assert tape._cells[1][1][0] == tape._cells[1][1][5]  # one style over the row


async def test_large_print_threshold_from_the_config() -> None:
    app = sample_app(config=Config(large_prints={"USDT": Decimal("0.5")}))
    async with app.run_test(size=NARROW) as pilot:
        await tape_on(pilot)
        rows = app.main.tape.row_texts()
        assert "large ≥ 0.5 USDT" in rows[0]
        assert all(r.rstrip().endswith("★") for r in rows[1:] if "gap" not in r)


async def test_own_fill_flashes_then_stays_marked() -> None:
    app = sample_app()
    async with app.run_test(size=NARROW) as pilot:
        await tape_on(pilot)
        tape = app.main.tape
        now = app.clock.wall_ms()
        order = _order("spot", "BTCUSDT", 9_000_001, "BUY", "96822.20", "0.01000",
                       executed="0.01000", created=now - 1000, updated=now)
        app.store.account.apply(
            OrderUpdate(order, now, "TRADE", Decimal("0.01000"), order.price, Decimal(0),
                        "BNB", 88_001, True)
        )
        app.flush_frame()
        row = next(i for i, r in enumerate(tape.row_texts()) if r.rstrip().endswith("YOU"))
        assert "96,822.20" in tape.row_texts()[row]
        flash = tape._cells[row][1][0]
        app.clock.advance(4_000)
        app.flush_frame()
        assert tape.row_texts()[row].rstrip().endswith("YOU")
        assert tape._cells[row][1][0] != flash  # the flash ended: the fill's plain style


async def test_futures_header_counts_down_on_the_frozen_clock() -> None:
    app = sample_app(market="usdm")
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        header = app.main.futures_header
        assert header.display
        assert header.text == (
            "BTCUSDT  mark 96822.25  index 96822.22  funding 0.0100 % in 03:12:45"
        )
        app.clock.advance(1_000)
        app.flush_frame()
        assert header.text.endswith("in 03:12:44")
        mark = app.store.marks["BTCUSDT"]
        app.store.apply_mark(
            MarkPrice("BTCUSDT", mark.event_time + 1, mark.mark_price, None,
                      Decimal("-0.00012500"), mark.next_funding_time)
        )
        assert topics.MARKS in app.store._dirty
        app.flush_frame()
        assert "index –  funding -0.0125 % in" in header.text


async def test_ladder_marks_levels_holding_your_open_orders() -> None:
    app = sample_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ladder = app.main.ladder
        before = ladder.row_texts()
        assert not any("◆" in row for row in before)  # the sample's orders are off-screen
        book = app.store.books["BTCUSDT"].book
        ask_price, _ = book.asks(3)[2]
        now = app.clock.wall_ms()
        order = _order("spot", "BTCUSDT", 9_000_002, "SELL", f"{ask_price:f}", "0.50000",
                       executed="0.12500", created=now, updated=now)
        account = app.store.account
        account.apply(OrderUpdate(order, now, "NEW", Decimal(0), Decimal(0), Decimal(0), "",
                                  -1, False))
        app.clock.advance(1_000)  # the ladder rebuilds its levels at most 5 times a second
        app.flush_frame()
        await pilot.pause()
        marked = [row for row in ladder.row_texts() if "◆" in row]
        assert len(marked) == 1
        assert f"{ask_price:,.2f}" in marked[0] and "◆S 0.37500" in marked[0]  # remaining
        canceled = replace(order, status="CANCELED", update_ms=now + 1)
        account.apply(OrderUpdate(canceled, now + 1, "CANCELED", Decimal(0), Decimal(0),
                                  Decimal(0), "", -1, False))
        app.clock.advance(1_000)
        app.flush_frame()
        await pilot.pause()
        assert not any("◆" in row for row in ladder.row_texts())


async def test_without_keys_the_ladder_is_unchanged() -> None:
    plain = sample_app(account="none")
    async with plain.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rows = plain.main.ladder.row_texts()
        assert not any("◆" in row for row in rows)
        await pilot.press("t")
        await pilot.pause()
        assert not any("YOU" in r for r in plain.main.tape.row_texts())
        assert plain.main.tape.row_texts()[0].startswith("Trades")


async def test_mark_column_only_where_it_fits_on_futures() -> None:
    app = sample_app(market="usdm")
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        grid = app.main.grid
        assert not grid.shows_marks  # 80 columns: the six columns fill it
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        app.flush_frame()
        await pilot.pause()
        assert grid.shows_marks
        assert grid.get_cell("BTCUSDT", "mark").plain == "96,822.25"
        assert grid.get_cell("ETHUSDT", "mark").plain == "3,408.20"
        assert grid.get_cell("XRPUSDT", "mark").plain != "—"
        mark = app.store.marks["BTCUSDT"]
        app.store.apply_mark(replace(mark, event_time=mark.event_time + 1,
                                     mark_price=Decimal("96900.10")))
        app.flush_frame()
        assert grid.get_cell("BTCUSDT", "mark").plain == "96,900.10"
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not grid.shows_marks
    spot = sample_app()
    async with spot.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not spot.main.grid.shows_marks
