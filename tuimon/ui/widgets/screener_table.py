"""The screener's table: every symbol of the market, drawn as a window of visible rows.

Line API (:class:`CachedRowsWidget`): the widget holds the full sorted, filtered list but builds
Strips only for the rows on screen, and a frame repaints only the cells that changed in them.
400+ symbols ticking every second cost what ~20 visible rows cost. A DataTable would keep a
row object and render cache per symbol and re-render every visible cell after any update
(docs/textual-patterns.md §4.5).

Rows are rebuilt (formatted) only when their ticker object changed; re-sorting compares the
keys computed then. The cursor follows its symbol through the live re-sorts (the symbol under
it never changes by itself before Enter); a new sort or filter starts at the top.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message

from tuimon.protocol.models import MiniTicker
from tuimon.store import Store, topics
from tuimon.ui.format import sign_glyph
from tuimon.ui.screener_rows import SORT_LABELS, SORTS, ScreenRow, make_row, select
from tuimon.ui.widgets.rows import CachedRowsWidget, Spans

WIDE = 92
"""From this width the table also shows the 24 h high and low."""
_ARROW = {True: "▼", False: "▲"}


class ScreenerTable(CachedRowsWidget, can_focus=True):
    """Sorted, filtered rows of ``store.market_tickers``; header on the first line."""

    COMPONENT_PREFIX: ClassVar[str] = "screener-table"
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "screener-table--header",
        "screener-table--up",
        "screener-table--down",
        "screener-table--muted",
        "screener-table--cursor",
        "screener-table--cursor-up",
        "screener-table--cursor-down",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Watch and select", show=True),
    ]

    class Chosen(Message):
        """Enter on a row: watch and select this symbol."""

        def __init__(self, symbol: str) -> None:
            super().__init__()
            self.symbol = symbol

    def __init__(self, store: Store, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.store = store
        self.sort = SORTS[0]
        self.descending = True
        self.quote: str | None = None
        self.text = ""
        self.order: list[ScreenRow] = []
        """Every row that passes the filters, in display order."""
        self.top = 0
        """Index in ``order`` of the first visible row."""
        self.cursor_symbol: str | None = None
        self._rows: dict[str, tuple[MiniTicker, ScreenRow]] = {}
        self.formatted = 0
        """Rows formatted so far (tests and the benchmark check only changes are)."""

    # ------------------------------------------------------------------ data

    def flush(self, dirty: set[str]) -> None:
        """One frame: re-read the tickers only if they changed."""
        if topics.MARKET in dirty or topics.SYMBOLS in dirty or not self._rows:
            self._reload(symbols_changed=topics.SYMBOLS in dirty)

    def _reload(self, *, symbols_changed: bool = False) -> None:
        tickers = self.store.market_tickers
        symbols = self.store.symbols
        rows = self._rows
        if symbols_changed:
            rows.clear()  # tick sizes or quote assets may have changed
        for symbol, ticker in tickers.items():
            cached = rows.get(symbol)
            if cached is None or cached[0] is not ticker:
                rows[symbol] = (ticker, make_row(ticker, symbols.get(symbol)))
                self.formatted += 1
        if len(rows) > len(tickers):
            for gone in [s for s in rows if s not in tickers]:
                del rows[gone]
        self._reorder()

    def _reorder(self) -> None:
        self.order = select(
            (row for _, row in self._rows.values()),
            quote=self.quote,
            text=self.text,
            sort=self.sort,
            descending=self.descending,
        )
        self._place_cursor(self.cursor_index())
        self._rebuild(repaint_all=False)

    def set_view(
        self,
        *,
        sort: str | None = None,
        descending: bool | None = None,
        quote: str | None | bool = False,
        text: str | None = None,
    ) -> None:
        """Change sort, direction, quote filter (``None``: all) or text filter."""
        if sort is not None:
            self.sort = sort
        if descending is not None:
            self.descending = descending
        if quote is not False:
            self.quote = quote if isinstance(quote, str) else None
        if text is not None:
            self.text = text
        # A new ordering starts at its top; only live re-sorts follow the cursor's symbol.
        self.cursor_symbol = None
        self.top = 0
        self._reorder()

    def describe(self) -> str:
        """Counts, visible rows, filters and sort in a few words (the screen's status line)."""
        arrow = _ARROW[self.descending]
        parts = [f"{len(self.order)}/{len(self._rows)}"]
        if self.order:
            visible = max(1, self.size.height - 1)
            parts.append(f"rows {self.top + 1}-{min(len(self.order), self.top + visible)}")
        parts.append(self.quote or "all quotes")
        if self.text.strip():
            parts.append(f'"{self.text.strip().upper()}"')
        parts.append(f"{SORT_LABELS[self.sort]} {arrow}")
        return " · ".join(parts)

    # ------------------------------------------------------------------ cursor

    def cursor_index(self) -> int:
        """Index of the cursor's symbol in ``order`` (0 when it is gone)."""
        symbol = self.cursor_symbol
        if symbol is not None:
            for i, row in enumerate(self.order):
                if row.symbol == symbol:
                    return i
        return 0

    def _place_cursor(self, index: int) -> None:
        order = self.order
        if not order:
            self.cursor_symbol = None
            self.top = 0
            return
        index = max(0, min(len(order) - 1, index))
        self.cursor_symbol = order[index].symbol
        visible = max(1, self.size.height - 1)
        if index < self.top:
            self.top = index
        elif index >= self.top + visible:
            self.top = index - visible + 1
        self.top = max(0, min(self.top, max(0, len(order) - visible)))

    def action_move(self, delta: int) -> None:
        """Cursor up or down one row."""
        self._place_cursor(self.cursor_index() + delta)
        self._rebuild(repaint_all=False)

    def action_page(self, delta: int) -> None:
        """Cursor up or down one screenful."""
        self._place_cursor(self.cursor_index() + delta * max(1, self.size.height - 2))
        self._rebuild(repaint_all=False)

    def action_jump(self, index: int) -> None:
        """First (0) or last (-1) row."""
        self._place_cursor(index if index >= 0 else len(self.order) - 1)
        self._rebuild(repaint_all=False)

    def action_choose(self) -> None:
        """Watch and select the cursor's symbol."""
        if self.cursor_symbol is not None:
            self.post_message(self.Chosen(self.cursor_symbol))

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        """The wheel moves the cursor three rows."""
        event.stop()
        self.action_move(3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        """The wheel moves the cursor three rows."""
        event.stop()
        self.action_move(-3)

    def on_click(self, event: events.Click) -> None:
        """A click puts the cursor on the row; a second click on it chooses it."""
        index = self.top + event.y - 1
        if event.y < 1 or index >= len(self.order):
            return
        if self.order[index].symbol == self.cursor_symbol:
            self.action_choose()
            return
        self._place_cursor(index)
        self._rebuild(repaint_all=False)

    def on_resize(self) -> None:
        """Keep the cursor visible at the new height."""
        self._place_cursor(self.cursor_index())
        super().on_resize()

    # ------------------------------------------------------------------ rows

    def row_items(self, width: int, height: int) -> Sequence[tuple[object, Spans]]:
        """Header plus the visible window of ``order``: nothing else is built."""
        wide = width >= WIDE
        arrow = _ARROW[self.descending]

        def mark(sort: str, label: str) -> str:
            return f"{label}{arrow}" if self.sort == sort else label

        if wide:
            header = (
                f"{'Symbol':<13}{'Last':>16}{mark('change', '24h %'):>10}"
                f"{'High':>16}{'Low':>16}{mark('range', 'Range'):>9}"
                f"{mark('volume', 'Quote vol'):>11}"
            )
        else:
            header = (
                f"{'Symbol':<13}{'Last':>15}{mark('change', '24h %'):>10}"
                f"{mark('range', 'Range'):>9}{mark('volume', 'Quote vol'):>11}"
            )
        items: list[tuple[object, Spans]] = [(("header", header), [(header, "header")])]
        cursor = self.cursor_symbol
        for row in self.order[self.top : self.top + max(0, height - 1)]:
            on = row.symbol == cursor
            items.append(((row, on, wide), self._spans(row, on, wide)))
        return items

    @staticmethod
    def _spans(row: ScreenRow, on: bool, wide: bool) -> Spans:
        base = "cursor" if on else ""
        move = "up" if row.sign > 0 else "down" if row.sign < 0 else ""
        moved = (f"{base}-{move}" if on else move) if move else base
        change = f"{sign_glyph(row.sign)}{row.change_text}"
        if wide:
            return [
                (f"{row.symbol:<13}{row.last:>16}", base),
                (f"{change:>10}", moved),
                (f"{row.high:>16}{row.low:>16}{row.range_text:>9}{row.volume_text:>11}", base),
            ]
        return [
            (f"{row.symbol:<13}{row.last:>15}", base),
            (f"{change:>10}", moved),
            (f"{row.range_text:>9}{row.volume_text:>11}", base),
        ]


__all__ = ["ScreenerTable"]
