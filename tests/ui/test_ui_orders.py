"""Orders pane: ordering, life cycle, not-live marking, sizes, values, repaint discipline."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from textual.geometry import Region
from ui_helpers import settle

from tuimon.feeds.credentials import NO_KEYS_HELP
from tuimon.protocol.models import MiniTicker
from tuimon.protocol.user_models import OrderUpdate
from tuimon.ui.app import TuimonApp
from tuimon.ui.sample import AUTH_STATUS, build_sample_app
from tuimon.ui.widgets.orders_pane import (
    SHORT_NO_KEYS,
    Column,
    OrdersPane,
    Section,
    allocate,
    wrap,
)

SIZE = (120, 40)


def app_for(**kwargs) -> TuimonApp:
    return build_sample_app(**kwargs)


def pane(app: TuimonApp) -> OrdersPane:
    return app.main.orders


def section_rows(rows: list[str], title: str) -> list[str]:
    """Item rows of one section (the rows after its title row, up to the next title)."""
    titles = ("Orders", "Positions", "Balances", "Fills")
    start = next(i for i, r in enumerate(rows) if r.startswith(title))
    out = []
    for row in rows[start + 1 :]:
        if row.startswith(titles):
            break
        out.append(row)
    return out


def fill_event(app: TuimonApp, order_id: int, *, executed: str, status: str) -> OrderUpdate:
    """An execution report for a known open order (newer than anything the store has)."""
    account = app.store.account
    order = account.orders[order_id]
    now = app.clock.wall_ms()
    new = replace(
        order,
        executed_qty=Decimal(executed),
        status=status,
        update_ms=now,
    )
    last = Decimal(executed) - order.executed_qty
    return OrderUpdate(new, now, "TRADE", last, order.price, Decimal(0), "BNB", 88_001, False)


# ----------------------------------------------------------------------------- pure parts


def test_allocate_everything_when_it_fits() -> None:
    assert allocate([2, 3, 1], 9) == [2, 3, 1]


def test_allocate_shares_rows_and_drops_sections_from_the_bottom() -> None:
    # 5 rows: each section keeps title + 1 while room lasts, the rest dealt out in turn.
    assert allocate([5, 7, 3], 5) == [2, 1, None]
    assert allocate([5, 7, 3], 8) == [2, 2, 1]
    assert allocate([0, 7, 3], 4) == [0, 2, None]  # an empty section needs its title only
    assert allocate([3], 1) == [None]


def test_section_drops_columns_by_priority_and_counts_what_is_hidden() -> None:
    section = Section(
        "Orders",
        [
            Column("", [("BTCUSDT", ""), ("ETHUSDT", "")], right=False),
            Column("Price", [("96,500.00", ""), ("3,350.00", "")]),
            Column("Status", [("PART", ""), ("NEW", "")], right=False, drop=2),
            Column("Age", [("3m", ""), ("12m", "")], drop=1),
        ],
        "none open",
        5,
    )
    wide = ["".join(text for text, _ in row) for row in section.rows(2, 60)]
    assert wide[0].startswith("Orders 2/5") and "Status" in wide[0] and "Age" in wide[0]
    narrow = ["".join(text for text, _ in row) for row in section.rows(2, 24)]
    assert "Status" not in narrow[0] and "Age" in narrow[0]  # the higher drop goes first
    assert all(len(row) <= 24 for row in narrow)
    empty = Section("Fills", [Column("", [], right=False)], "none yet", 0)
    assert [t for t, _ in empty.rows(0, 40)[0]] == ["Fills  none yet"]


def test_wrap_marks_what_did_not_fit() -> None:
    assert wrap("one two three", 20, 3) == ["one two three"]
    lines = wrap("alpha beta gamma delta epsilon", 11, 2)
    assert len(lines) == 2 and lines[-1].endswith("…") and all(len(s) <= 11 for s in lines)


# ----------------------------------------------------------------------------- the pane


async def test_selected_symbols_orders_come_first() -> None:
    app = app_for(selected="BTCUSDT")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        orders = section_rows(pane(app).row_texts(), "Orders")
        assert [r.split()[0] for r in orders[:2]] == ["BTCUSDT", "BTCUSDT"]
        app.symbol = "ETHUSDT"  # as the grid cursor would
        await pilot.pause()
        orders = section_rows(pane(app).row_texts(), "Orders")
        assert orders[0].split()[0] == "ETHUSDT"


async def test_a_filled_order_leaves_the_open_list_and_shows_as_a_fill() -> None:
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        rows = pane(app).row_texts()
        assert any("98,000.00" in r for r in section_rows(rows, "Orders"))
        assert rows[1].startswith("Orders 5")
        app.store.account.apply(fill_event(app, 4_100_004, executed="0.02000", status="FILLED"))
        app.flush_frame()
        await pilot.pause()
        rows = pane(app).row_texts()
        assert not any("98,000.00" in r for r in section_rows(rows, "Orders"))
        assert rows[1].startswith("Orders 4")
        fills = section_rows(rows, "Fills")
        assert "98,000.00" in fills[0] and "SELL" in fills[0]  # newest fill first


async def test_partial_fill_updates_the_fill_column() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        event = fill_event(app, 4_100_004, executed="0.01500", status="PARTIALLY_FILLED")
        app.store.account.apply(event)
        app.flush_frame()
        await pilot.pause()
        row = next(r for r in pane(app).row_texts() if "98,000.00" in r)
        assert "75%" in row and "PART" in row


async def test_not_live_is_marked_and_dimmed_never_shown_as_live() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = pane(app)
        assert "● live" in view.row_texts()[0]
        assert not view.has_class("-stale")
        live_buy = view.get_component_rich_style("orders-pane--buy")
        app.store.account.set_connection(False, "reconnecting: disconnected")
        app.flush_frame()
        await pilot.pause()
        rows = view.row_texts()
        assert "NOT LIVE" in rows[0] and "live" not in rows[0].replace("NOT LIVE", "")
        assert rows[1].strip() == "reconnecting: disconnected"
        assert view.has_class("-stale")
        # The last known orders stay, dimmed: their style is the disabled text colour.
        assert view.get_component_rich_style("orders-pane--buy").color != live_buy.color
        assert any("96,500.00" in r for r in rows)


async def test_stale_sample_marks_the_account_too() -> None:
    app = app_for(stale=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "NOT LIVE" in pane(app).row_texts()[0]


async def test_no_keys_shows_how_to_add_them() -> None:
    app = app_for(account="none")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = " ".join(r.strip() for r in pane(app).row_texts())
        assert "○ off" in text
        assert " ".join(NO_KEYS_HELP.split()) in " ".join(text.split())
    app = app_for(account="none")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = " ".join(" ".join(r.split()) for r in pane(app).row_texts()[1:])
        assert text == " ".join(SHORT_NO_KEYS.split())  # the short form fits 80x24 whole


async def test_auth_error_shows_its_one_line_message() -> None:
    app = app_for(account="auth")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = pane(app).row_texts()
        assert "NOT LIVE" in rows[0]
        assert " ".join(" ".join(r.split()) for r in rows[1:]).strip() == AUTH_STATUS


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40), (160, 48), (200, 60)])
async def test_rows_fit_the_pane_at_every_size(size) -> None:
    for market in ("spot", "usdm"):
        app = app_for(market=market)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            view = pane(app)
            rows = view.row_texts()
            width, height = view.size
            assert height >= 6, "the layout leaves the account at least six rows"
            assert 0 < len(rows) <= height
            assert all(len(r) <= width for r in rows)
            assert rows[0].rstrip().endswith("● live")
            assert rows[1].startswith("Orders")
            assert any(r.startswith("Balances") for r in rows) or market == "usdm"


async def test_balance_values_use_live_tickers() -> None:
    app = app_for()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = pane(app)
        close = app.store.tickers["BTCUSDT"].close
        assert view.value_of("BTC", Decimal("0.4323")) == Decimal("0.4323") * close
        assert view.value_of("USDT", Decimal("5")) == Decimal("5")
        assert view.value_of("BETH", Decimal("1")) is None  # no BETHUSDT ticker
        rows = section_rows(view.row_texts(), "Balances")
        usdt = next(r for r in rows if r.startswith("USDT"))
        assert usdt.split()[-1] == "13,793.17"  # free + locked, 1:1
        # Biggest value first; the unknown one (BETH, "—") would come last.
        values = [Decimal(r.split()[-1].replace(",", "")) for r in rows if r.split()[-1] != "—"]
        assert values == sorted(values, reverse=True)


async def test_positions_show_entry_mark_and_pnl_and_follow_the_ticker() -> None:
    app = app_for(market="usdm")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        rows = section_rows(pane(app).row_texts(), "Positions")
        btc = next(r for r in rows if r.startswith("BTCUSDT"))
        # BTCUSDT (selected) has a streamed mark price (issue 13 §3): it is the mark.
        assert btc.split() == ["BTCUSDT", "LONG", "0.05000", "95,100.00", "96,822.25", "+86.11"]
        eth = next(r for r in rows if r.startswith("ETHUSDT"))
        assert "SHORT" in eth and "+50.16" in eth  # at its mark, 3,408.20
        # Without a mark stream the last price stands in: a ticker update moves the PnL.
        del app.store.marks["ETHUSDT"]
        old = app.store.tickers["ETHUSDT"]
        app.clock.advance(10)
        app.store.apply_mini_ticker(
            replace(old, event_time=old.event_time + 10, close=Decimal("3500.00"))
        )
        mark = app.store.marks["BTCUSDT"]
        app.store.apply_mark(
            replace(mark, event_time=mark.event_time + 10, mark_price=Decimal("94100.00"))
        )
        app.flush_frame()
        await pilot.pause()
        rows = section_rows(pane(app).row_texts(), "Positions")
        btc = next(r for r in rows if r.startswith("BTCUSDT"))
        assert "94,100.00" in btc and "−50.00" in btc  # 0.05 × (94100 − 95100)
        eth = next(r for r in rows if r.startswith("ETHUSDT"))
        assert "3,500.00" in eth and "−60.00" in eth  # −1.2 × (3500 − 3450)


async def test_pane_repaints_only_on_account_changes_and_ages_once_a_second() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = pane(app)
        start = view.rebuilds
        # Market traffic alone (tickers, books) does not touch the pane within a second.
        ticker: MiniTicker = app.store.tickers["ETHUSDT"]
        for i in range(5):
            app.clock.advance(100)
            app.store.apply_mini_ticker(replace(ticker, event_time=ticker.event_time + i + 1))
            app.flush_frame()
        assert view.rebuilds == start
        # A new wall-clock second: ages move (one rebuild), then nothing until the next one.
        app.clock.advance(600)
        app.flush_frame()
        app.flush_frame()
        assert view.rebuilds == start + 1
        # An account change rebuilds at once.
        app.store.account.set_status("live")
        app.flush_frame()
        assert view.rebuilds == start + 2


async def test_a_new_second_repaints_only_the_changed_cells(monkeypatch) -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = pane(app)
        regions: list[Region] = []
        original = view.refresh

        def spy(*args, **kwargs):
            regions.extend(a for a in args if isinstance(a, Region))
            return original(*args, **kwargs)

        monkeypatch.setattr(view, "refresh", spy)
        app.clock.advance(1000)  # 45 s → 46 s on the newest BTC order
        app.flush_frame()
        assert regions, "the age changed"
        assert all(r.height == 1 and r.width <= 3 for r in regions)


async def test_unknown_symbols_still_format() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.store.set_symbols({})  # exchangeInfo not loaded yet
        app.flush_frame()
        await pilot.pause()
        assert any("98,000.00" in r for r in pane(app).row_texts())


async def test_empty_account_says_so() -> None:
    app = app_for(account="empty")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = [r.strip() for r in pane(app).row_texts()]
        assert rows[1:4] == ["Orders  none open", "Balances  none", "Fills  none yet"]


async def test_connecting_account_shows_no_data_as_live() -> None:
    app = app_for(account="connecting")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = [r.strip() for r in pane(app).row_texts()]
        assert "NOT LIVE" in rows[0]
        assert rows[1:] == ["connecting"]


async def test_balance_and_position_symbols_are_streamed_beyond_the_watchlist() -> None:
    """Values and marks need tickers: <ASSET>USDT of each balance, each position's symbol."""
    app = app_for(market="usdm", watchlist=("XRPUSDT",), selected="XRPUSDT")
    seen: list = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        watches = [m.watch for m in seen if isinstance(m, TuimonApp.WatchChanged)]
        # BNB balance → BNBUSDT; positions → BTCUSDT, ETHUSDT; USDT is valued 1:1.
        assert watches[-1].tickers == {"XRPUSDT", "BNBUSDT", "BTCUSDT", "ETHUSDT"}
        assert app.main.grid.order == ["XRPUSDT"]  # the grid still shows the watchlist only
        app.store.account.disable("keys gone")
        app.flush_frame()
        await pilot.pause()
        watches = [m.watch for m in seen if isinstance(m, TuimonApp.WatchChanged)]
        assert watches[-1].tickers == {"XRPUSDT"}
