"""Orders and balances pane: open orders, positions, balances and recent fills of the account.

Fed by ``topics.ACCOUNT`` in the app's one frame flush, like every other pane: the user-data
worker writes the :class:`~tuimon.store.account.AccountStore`, the frame takes the dirty topics
and this pane rebuilds its rows only when the account changed, the selection moved, symbols
(tick sizes) arrived, or, at most once per wall-clock second, for what moves with time alone:
order ages and balance values from the live tickers. Rows are cached strips diffed cell by
cell (:mod:`tuimon.ui.widgets.rows`), so a rebuild that changes one age repaints one cell.

Layout, top to bottom: a header (``Account <market>`` and the state), then the state's status
lines when not live, then sections that share the remaining height: open orders (the selected
symbol's first, newest first), positions (USDⓈ-M), balances (by value in USDT) and recent
fills. Each section's title row doubles as its column header (``Orders 2/5`` when only two of
five fit). Narrow panes drop the least useful columns first; short panes drop whole sections
from the bottom (fills, then balances) before a section loses its last row.

States, never private data shown as live when it is not:

* off (``not account.enabled``): why, and how to add keys (``account.status``).
* not live (connecting, reconnecting, keys refused): ``⚠ NOT LIVE`` with the status line
  (an auth error is its one-line explanation); whatever is known stays, dimmed (``-stale``).
* live: ``● live``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from tuimon.clock import Clock
from tuimon.feeds.credentials import NO_KEYS_HELP
from tuimon.protocol.user_models import Balance, MarginBalance, Order, Position
from tuimon.store import Store, topics
from tuimon.ui.format import (
    DASH,
    decimals_of,
    fmt_age,
    fmt_amount,
    fmt_clock,
    fmt_decimal,
    fmt_qty,
    fmt_signed,
    significant_places,
)
from tuimon.ui.widgets.rows import CachedRowsWidget

QUOTE = "USDT"
"""Balances are valued in this asset: ``total × <ASSET>USDT`` last price, USDT itself 1:1."""

SHORT_NO_KEYS = (
    "No API keys: account view off. Set BINANCE_API_KEY and BINANCE_API_SECRET "
    "(or BINANCE_PRIVATE_KEY_PATH, or a key file in the config). Read-only."
)
""":data:`NO_KEYS_HELP` for panes too small to hold it whole."""

STATE_TEXT = {"live": "● live", "stale": "⚠ NOT LIVE", "off": "○ off"}

TYPE_TEXT = {
    "LIMIT": "LIMIT",
    "MARKET": "MARKET",
    "LIMIT_MAKER": "LMAKER",
    "STOP_LOSS": "STOP",
    "STOP_LOSS_LIMIT": "STOPL",
    "TAKE_PROFIT": "TP",
    "TAKE_PROFIT_LIMIT": "TPL",
    "STOP": "STOPL",  # USDⓈ-M "STOP" is a stop-limit
    "STOP_MARKET": "STOPM",
    "TAKE_PROFIT_MARKET": "TPM",
    "TRAILING_STOP_MARKET": "TRAIL",
}
STATUS_TEXT = {"NEW": "NEW", "PARTIALLY_FILLED": "PART", "PENDING_NEW": "PEND"}
AMOUNT_WIDTH = 10
"""Balance amounts are fitted to this many cells (decimals first, then compact)."""

Cell = tuple[str, str]
"""(text, style kind)."""
Row = tuple[Cell, ...]


@dataclass(slots=True)
class Column:
    """A table column: header, one cell per item, alignment, when it goes on narrow panes."""

    header: str
    cells: list[Cell]
    right: bool = True
    drop: int = 0
    """0: always shown; otherwise the higher, the sooner it is dropped when too narrow."""

    def width(self, rows: int) -> int:
        """Widest of the header and the first ``rows`` cells."""
        return max([len(self.header), *(len(text) for text, _ in self.cells[:rows])])


@dataclass(slots=True)
class Section:
    """One table of the pane. The first column holds the item names and the title."""

    title: str
    columns: list[Column]
    empty: str
    """Shown after the title when there is nothing to list."""
    count: int
    """Items in total; cells are built only for the first few (no more than fit)."""

    def rows(self, shown: int, width: int) -> list[Row]:
        """Title/header row plus ``shown`` item rows, fitted to ``width`` cells."""
        if not self.count:
            return [((f"{self.title}  {self.empty}", "title"),)]
        label = f"{self.title} {self.count}"
        shown = min(shown, len(self.columns[0].cells))
        if shown < self.count:
            label = f"{self.title} {shown}/{self.count}"
        first = self.columns[0]
        columns = [Column(label, first.cells, right=False), *self.columns[1:]]
        widths = [column.width(shown) for column in columns]
        while sum(widths) + len(widths) - 1 > width:
            droppable = [(c.drop, i) for i, c in enumerate(columns) if c.drop]
            if not droppable:
                break  # the row is cropped at the pane's edge
            _, index = max(droppable)
            del columns[index], widths[index]
        # Two spaces between columns when the pane has room for them: easier to read.
        gap = "  " if sum(widths) + 2 * (len(widths) - 1) <= width else " "
        out: list[Row] = [_join([(c.header, "title") for c in columns], columns, widths, gap)]
        for i in range(shown):
            out.append(_join([c.cells[i] for c in columns], columns, widths, gap))
        return out


def _join(cells: list[Cell], columns: list[Column], widths: list[int], gap: str) -> Row:
    spans: list[Cell] = []
    for j, ((text, kind), column, width) in enumerate(zip(cells, columns, widths, strict=True)):
        if j:
            spans.append((gap, ""))
        spans.append((text.rjust(width) if column.right else text.ljust(width), kind))
    return tuple(spans)


def allocate(counts: list[int], height: int) -> list[int | None]:
    """Item rows per section for ``height`` rows (None: the section is left out).

    Everything when it fits. Otherwise sections in priority order keep their title row and
    one item (a section without items needs only its title row) while room lasts; the rest is
    dealt out one row at a time, in priority order, so every shown section grows together.
    """
    if sum(1 + n for n in counts) <= height:
        return list(counts)
    shown: list[int | None] = []
    budget = height
    for n in counts:
        need = 1 + min(1, n)
        if need <= budget:
            shown.append(min(1, n))
            budget -= need
        else:
            shown.append(None)
    while budget > 0:
        grew = False
        for i, n in enumerate(counts):
            rows = shown[i]
            if budget and rows is not None and rows < n:
                shown[i] = rows + 1
                budget -= 1
                grew = True
        if not grew:
            break
    return shown


def wrap(text: str, width: int, max_lines: int) -> list[str]:
    """``text`` wrapped to ``width``; the last kept line ends in ``…`` if some did not fit."""
    if width <= 0 or max_lines <= 0:
        return []
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        lines[-1] = (last[: width - 1] if len(last) >= width else last) + "…"
    return lines


class OrdersPane(CachedRowsWidget, can_focus=True):
    """The account of the current market, read from ``store.account`` at frame rate."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "orders-pane--head",
        "orders-pane--state",
        "orders-pane--status",
        "orders-pane--title",
        "orders-pane--selected",
        "orders-pane--buy",
        "orders-pane--sell",
        "orders-pane--up",
        "orders-pane--down",
        "orders-pane--muted",
    }

    DEFAULT_CSS = """
    OrdersPane { height: 1fr; }
    """

    COMPONENT_PREFIX = "orders-pane"

    def __init__(self, store: Store, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.clock = clock
        self.symbol: str | None = None
        self.state = ""
        """``live``, ``stale`` (enabled, not live) or ``off``: also the CSS class."""
        self._second = -1

    # ------------------------------------------------------------------ public API

    def set_symbol(self, symbol: str | None) -> None:
        """The selected symbol's orders and position come first (re-sorted now)."""
        if symbol != self.symbol:
            self.symbol = symbol
            self.flush(set(), force=True)

    def flush(self, dirty: set[str], force: bool = False) -> None:
        """Rebuild when the account changed; otherwise at most once a second (ages, values)."""
        account = self.store.account
        state = "off" if not account.enabled else "live" if account.live else "stale"
        state_changed = state != self.state
        if state_changed:
            self.state = state
            self.set_class(state == "stale", "-stale")
            self.set_class(state == "off", "-off")
        second = self.clock.wall_ms() // 1000
        ticking = second != self._second and bool(account.orders or account.balances)
        if not (
            force or state_changed or ticking or topics.ACCOUNT in dirty or topics.SYMBOLS in dirty
        ):
            return
        self._second = second
        self._rebuild(repaint_all=state_changed or force)

    def can_build(self) -> bool:
        """Nothing to draw before the first flush has decided the state."""
        return bool(self.state)

    def row_items(self, width: int, height: int) -> list[tuple[object, Row]]:
        """Rows keyed by their own spans (cheap to compare: a few dozen short strings)."""
        return [(row, row) for row in self.rows(width, height)]

    # ------------------------------------------------------------------ content

    def rows(self, width: int, height: int) -> list[Row]:
        """Every row for a size, as spans of (text, style kind)."""
        account = self.store.account
        state = self.state
        label = STATE_TEXT[state]
        head = f"Account {self.store.market}"
        if len(head) + 1 + len(label) > width:
            head = "Account"
        rows: list[Row] = [((head, "head"), (label.rjust(max(0, width - len(head))), "state"))]
        if state == "off":
            text = account.status or NO_KEYS_HELP
            lines = wrap(text, width, height - 1)
            if text == NO_KEYS_HELP and lines and lines[-1].endswith("…"):
                lines = wrap(SHORT_NO_KEYS, width, height - 1)
            rows.extend(((line, "status"),) for line in lines)
            return rows[:height]
        has_data = bool(
            account.stats.reconciles or account.orders or account.balances or account.positions
        )
        if state == "stale":
            # The reason comes first; dimmed data (if any) gets what is left.
            room = max(1, (height - 1) // 2) if has_data else height - 1
            rows.extend(((line, "status"),) for line in wrap(account.status, width, room))
        if not has_data:
            return rows[:height]
        sections = self._sections(limit=height)
        shown = allocate([s.count for s in sections], height - len(rows))
        for section, count in zip(sections, shown, strict=True):
            if count is not None:
                rows.extend(section.rows(count, width))
        return rows[:height]

    def _sections(self, limit: int) -> list[Section]:
        """The tables, with cells for at most ``limit`` items each (no more can be shown)."""
        account = self.store.account
        sections = [self._orders_section(account.open_orders(), limit)]
        if account.futures:
            sections.append(self._positions_section(account.position_list(), limit))
        sections.append(self._balances_section(account.non_zero_balances(), limit))
        sections.append(self._fills_section(limit))
        return sections

    def _places(self, symbol: str) -> tuple[int, int]:
        """Price and quantity decimals of a symbol (from its tick and step sizes)."""
        info = self.store.symbols.get(symbol)
        if info is None:
            return 2, 4
        return decimals_of(info.tick_size), decimals_of(info.step_size, default=4)

    def _symbol_cell(self, symbol: str) -> Cell:
        return (symbol, "selected" if symbol == self.symbol else "")

    def _orders_section(self, orders: list[Order], limit: int) -> Section:
        account = self.store.account
        selected = self.symbol
        count = len(orders)
        # The selected symbol's orders first, newest first within each group.
        orders.sort(key=lambda o: (o.symbol != selected, -o.created_ms, -o.order_id))
        del orders[limit:]
        side, kind, price, qty, fill, status, age = ([] for _ in range(7))
        for order in orders:
            places, qty_places = self._places(order.symbol)
            side.append((order.side, "buy" if order.side == "BUY" else "sell"))
            kind.append((TYPE_TEXT.get(order.type, order.type[:6]), ""))
            price.append((fmt_decimal(order.price, places) if order.price else DASH, ""))
            qty.append((fmt_qty(order.orig_qty, qty_places, 10), ""))
            percent = int(order.filled_fraction * 100)  # floor: 99.9 % is not "100%"
            fill.append((f"{percent}%", ""))
            status.append((STATUS_TEXT.get(order.status, order.status[:6]), ""))
            age.append((fmt_age(account.order_age_s(order)), "muted"))
        return Section(
            "Orders",
            [
                Column("", [self._symbol_cell(o.symbol) for o in orders], right=False),
                Column("Side", side, right=False),
                Column("Type", kind, right=False, drop=5),
                Column("Price", price),
                Column("Qty", qty, drop=2),
                Column("Fill", fill, drop=3),
                Column("Stat", status, right=False, drop=6),
                Column("Age", age, drop=4),
            ],
            "none open",
            count,
        )

    def _positions_section(self, positions: list[Position], limit: int) -> Section:
        selected = self.symbol
        count = len(positions)
        positions.sort(key=lambda p: (p.symbol != selected, p.symbol, p.position_side))
        del positions[limit:]
        side, size, entry, mark, pnl = ([] for _ in range(5))
        for position in positions:
            places, qty_places = self._places(position.symbol)
            if position.position_side in ("LONG", "SHORT"):
                text = position.position_side
            else:
                text = "LONG" if position.amount > 0 else "SHORT"
            side.append((text, "buy" if text == "LONG" else "sell"))
            size.append((fmt_qty(abs(position.amount), qty_places, 10), ""))
            entry.append((fmt_decimal(position.entry_price, places), ""))
            mark.append((fmt_decimal(position.mark_price, places), ""))
            value = position.unrealized_pnl
            pnl.append((fmt_signed(value, 2), "up" if value > 0 else "down" if value < 0 else ""))
        return Section(
            "Positions",
            [
                Column("", [self._symbol_cell(p.symbol) for p in positions], right=False),
                Column("Side", side, right=False),
                Column("Size", size, drop=2),
                Column("Entry", entry, drop=3),
                Column("Mark", mark, drop=4),
                Column("uPnL", pnl),
            ],
            "none",
            count,
        )

    def value_of(self, asset: str, total: Decimal) -> Decimal | None:
        """``total`` of ``asset`` in USDT from the live ticker, or None when unknown."""
        if asset == QUOTE:
            return total
        ticker = self.store.tickers.get(f"{asset}{QUOTE}")
        return None if ticker is None else total * ticker.close

    def _balances_section(self, balances: list[Balance | MarginBalance], limit: int) -> Section:
        valued = [(b, self.value_of(b.asset, b.total)) for b in balances]
        # Biggest first (unknown values last): the few rows that fit are the ones that matter.
        valued.sort(key=lambda bv: (bv[1] is None, -(bv[1] or 0), bv[0].asset))
        del valued[limit:]
        first, second, value = ([] for _ in range(3))
        for balance, worth in valued:
            if isinstance(balance, Balance):
                a, b = balance.free, balance.locked
            else:
                a, b = balance.wallet, balance.cross_wallet
            # One number of decimals per asset, so free and locked line up: as many as either
            # needs, fewer while either would not fit.
            places = max(significant_places(a), significant_places(b))
            while places and max(len(fmt_decimal(v, places)) for v in (a, b)) > AMOUNT_WIDTH:
                places -= 1
            first.append((fmt_amount(a, AMOUNT_WIDTH, places), ""))
            second.append((fmt_amount(b, AMOUNT_WIDTH, places) if b else "0", "" if b else "muted"))
            value.append((DASH if worth is None else fmt_decimal(worth, 2), ""))
        margin = self.store.account.futures
        return Section(
            "Balances",
            [
                Column("", [(b.asset, "") for b, _ in valued], right=False),
                Column("Wallet" if margin else "Free", first, drop=1),
                Column("Cross" if margin else "Locked", second, drop=3),
                Column(f"≈{QUOTE}", value, drop=2),
            ],
            "none",
            len(balances),
        )

    def _fills_section(self, limit: int) -> Section:
        everything = self.store.account.fills
        fills = everything[:limit]
        side, price, qty, when = ([] for _ in range(4))
        for fill in fills:
            places, qty_places = self._places(fill.symbol)
            side.append((fill.side, "buy" if fill.side == "BUY" else "sell"))
            price.append((fmt_decimal(fill.price, places), ""))
            qty.append((fmt_qty(fill.qty, qty_places, 10), ""))
            when.append((fmt_clock(fill.time_ms)[:8], "muted"))
        return Section(
            "Fills",
            [
                Column("", [self._symbol_cell(f.symbol) for f in fills], right=False),
                Column("Side", side, right=False),
                Column("Price", price),
                Column("Qty", qty, drop=3),
                Column("UTC", when, drop=4),  # exchange times, like the health bar clock
            ],
            "none yet",
            len(everything),
        )
