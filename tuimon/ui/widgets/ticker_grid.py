"""Mini-ticker grid: one row per watched symbol, diffed cell by cell at frame rate.

Rows are keyed by symbol and never cleared, so the cursor (the selection) survives updates.
Only cells whose rendered text or state changed are written, and only their regions are
repainted: a table where one price moved costs one cell of terminal output, not the table.

The grid has no vertical scrollbar (``ticker_grid.tcss`` says why); when the watchlist is
longer than the pane, the Symbol header says how many rows fit: "Symbol 9/12".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Literal

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from tuimon.clock import Clock
from tuimon.protocol.models import MarkPrice, MiniTicker
from tuimon.store import Store, topics
from tuimon.ui.format import (
    DASH,
    decimals_of,
    fmt_change_pct,
    fmt_compact,
    fmt_decimal,
    sign_glyph,
)

Justify = Literal["left", "right"]

FLASH_SECONDS = 0.6
"""How long a changed price stays highlighted."""
CELL_CACHE = 4096
"""Rendered cells kept (20 symbols x 6 columns x cursor/hover states fit many times)."""


@dataclass(frozen=True, slots=True)
class GridColumn:
    """One column: key, label, width, how it sorts and whether it sorts big-first."""

    key: str
    label: str
    width: int
    numeric: bool = True


COLUMNS: tuple[GridColumn, ...] = (
    GridColumn("symbol", "Symbol", 13, numeric=False),  # BTCUSD_PERP, 1000PEPEUSDC
    GridColumn("last", "Last", 12),  # "100,072.49 ▲"
    GridColumn("change", "24h %", 8),  # "+100.00%"
    GridColumn("high", "High", 11),
    GridColumn("low", "Low", 11),
    GridColumn("volume", "Quote vol", 9),
)
"""Fixed widths (75 cells with padding): no width recomputation at frame rate, fits 80 columns."""
MARK_COLUMN = GridColumn("mark", "Mark", 11)
"""Futures: the mark price (``@markPrice@1s``), shown only where the grid has room for it."""
MARK_MIN_WIDTH = 75 + MARK_COLUMN.width + 2
"""Grid width from which the mark column is added (it never pushes the others off an 80-column
screen)."""
SORT_CYCLE: tuple[str | None, ...] = (None, *(c.key for c in COLUMNS))
"""``s`` walks through these; None is the watchlist's own order."""


def sort_value(column: str, symbol: str, ticker: MiniTicker | None) -> tuple[int, object]:
    """Sort key of one cell: rows without data always sort last."""
    if column == "symbol":
        return (0, symbol)
    if ticker is None:
        return (1, Decimal(0))
    if column == "last":
        return (0, ticker.close)
    if column == "change":
        if ticker.open == 0:
            return (1, Decimal(0))
        return (0, (ticker.close - ticker.open) / ticker.open)
    if column == "high":
        return (0, ticker.high)
    if column == "low":
        return (0, ticker.low)
    return (0, ticker.quote_volume)


class TickerGrid(DataTable[Text]):
    """The watchlist as a table; the cursor row is the selected symbol."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "ticker-grid--up",
        "ticker-grid--down",
        "ticker-grid--flash-up",
        "ticker-grid--flash-down",
        "ticker-grid--muted",
    }

    DEFAULT_CSS = """
    TickerGrid { height: 1fr; }
    """

    _quiet = False
    """True while a frame writes cells: their repaint is asked for cell by cell."""

    class SortChanged(Message):
        """The sort column or direction changed (the app persists nothing; tests observe it)."""

        def __init__(self, column: str | None, reverse: bool) -> None:
            super().__init__()
            self.column = column
            self.reverse = reverse

    def __init__(self, store: Store, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(
            id=id,
            cursor_type="row",
            zebra_stripes=False,
            show_row_labels=False,
            cursor_foreground_priority="renderable",
        )
        self.store = store
        self.clock = clock
        self.sort_column: str | None = None
        """Column key the rows are sorted by; None keeps the watchlist order."""
        self.sort_reverse = False
        self._symbols: tuple[str, ...] = ()
        self._cells: dict[tuple[str, str], tuple[str, str]] = {}
        """Last written (text, style) per (symbol, column): the diff baseline."""
        self._last_close: dict[str, Decimal] = {}
        self._tick_dir: dict[str, int] = {}
        self._flash_until: dict[str, float] = {}
        self._order: list[str] = []
        self._selected: str | None = None
        self._styles: dict[str, Style] = {}
        self._restyle = False
        self._fit = (0, 0)
        """(rows that fit, rows) as the Symbol header last showed them."""
        self._columns: tuple[GridColumn, ...] = COLUMNS
        """The columns shown: :data:`COLUMNS`, plus the mark price on futures when it fits."""
        self._seen: dict[str, MiniTicker] = {}
        """The ticker each row's cells were last computed from (unchanged: skipped)."""
        self._seen_marks: dict[str, MarkPrice | None] = {}
        """Likewise the mark price, while the mark column is shown."""
        self._rendered: dict[tuple[object, ...], tuple[Text, list[list[Segment]]]] = {}
        """Rendered cells by their content (see :meth:`_render_cell`)."""
        self._meta_styles: dict[tuple[int, int], Style] = {}
        self._extend_styles: dict[tuple[object, ...], Style] = {}
        self._in_pass = False
        self._pass_style: Style | None = None
        """The grid's style during a repaint pass (see :meth:`render_lines`)."""
        """Style of the blank right of the columns, per row and cursor state."""
        """Each cell position's mouse meta style (``Style.from_meta`` pickles: made once)."""

    # ------------------------------------------------------------------ setup

    def on_mount(self) -> None:
        """Fixed column widths: no width recomputation at frame rate."""
        for column in self._columns:
            self.add_column(self._label(column), width=column.width, key=column.key)

    def on_resize(self) -> None:
        """Fewer or more rows fit: the Symbol header's count follows; on futures the mark
        column comes and goes with the room for it."""
        self._relabel()
        self._fit_mark_column()

    @property
    def shows_marks(self) -> bool:
        """The mark price column is on screen."""
        return MARK_COLUMN in self._columns

    def _fit_mark_column(self) -> None:
        wanted = self.store.futures and self.size.width >= MARK_MIN_WIDTH
        if wanted == self.shows_marks or not self.columns:
            return
        if wanted:
            self._columns = (*COLUMNS, MARK_COLUMN)
            self.add_column(self._label(MARK_COLUMN), width=MARK_COLUMN.width, key="mark")
            for symbol in self._symbols:
                text, kind, justify = self._cell(symbol, "mark")
                self._cells[(symbol, "mark")] = (text, kind)
                self.update_cell(
                    symbol, "mark", Text(text, style=self._style(kind), justify=justify)
                )
        else:
            self._columns = COLUMNS
            self.remove_column("mark")
            for symbol in self._symbols:
                self._cells.pop((symbol, "mark"), None)
            if self.sort_column == "mark":
                self.set_sort(None)

    def notify_style_update(self) -> None:
        """Colours changed (theme, classes): rewrite every cell at the next frame."""
        super().notify_style_update()
        self._styles = {}
        self._rendered = {}
        self._extend_styles = {}
        self._restyle = True

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A body cell rendered once per content, not once per table update.

        DataTable keys its cell cache on a table-wide update counter, so one changed price
        re-renders (through Rich's padding and wrapping) every other cell of the lines the
        frame repaints: most of the monitor's CPU. Here a cell is re-rendered only when its
        own Text object (a new one per :meth:`update_cell`), position, width or cursor state
        changed. Styles changing clear the cache (:meth:`notify_style_update`).
        """
        if row_index < 0 or column_index < 0:  # the header: DataTable's own cache
            return super()._render_cell(
                row_index, column_index, base_style, width, cursor, hover
            )
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cell = self._data[row_key][column_key]
        key = (
            row_key,
            column_key,
            row_index,
            id(cell),
            base_style,
            width,
            cursor,
            hover,
            self._show_hover_cursor,
            self._pseudo_class_state,
        )
        cached = self._rendered.get(key)
        if cached is not None and cached[0] is cell:
            return cached[1]
        lines = self._plain_cell(cell, row_index, column_index, base_style, width, cursor, hover)
        if lines is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        if len(self._rendered) >= CELL_CACHE:
            self._rendered.clear()
        self._rendered[key] = (cell, lines)  # type: ignore[assignment]
        return lines

    def render_lines(self, crop: Region) -> list[Strip]:
        """One repaint pass: the grid's own style is worked out once for all its lines (and
        not at all when none of them changed: the grid is often in a pass for others)."""
        self._in_pass = True
        try:
            return super().render_lines(crop)
        finally:
            self._in_pass = False
            self._pass_style = None

    def render_line(self, y: int) -> Strip:
        """DataTable's, with the style of the pass (``rich_style`` walks up the DOM and
        blends every ancestor's colours: DataTable asks for it again for every line)."""
        if not self._in_pass or self.fixed_rows:
            return super().render_line(y)
        base_style = self._pass_style
        if base_style is None:
            base_style = self._pass_style = self.rich_style
        scroll_x, scroll_y = self.scroll_offset
        header = self.get_row_height(self._header_row_key) if self.show_header else 0
        if y >= header:
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + self.size.width, base_style)

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list[list[Segment]], list[list[Segment]]]:
        """A body row's line: DataTable's segments, without its per-line lookups.

        DataTable recomputes per line what this grid never uses (the header style and the
        background colours, two walks up the DOM) and keys its row cache on a table-wide
        update counter, so every repainted row pays for them. Same output (checked against
        DataTable in ``test_ui_widgets``); the header and layouts this grid never has (row
        labels, fixed columns or rows, zebra stripes, cell cursor) are left to DataTable.
        """
        row_index = self._row_locations.get(row_key) if row_key in self._row_locations else -1
        if (
            row_index < 0
            or self.cursor_type != "row"
            or self.zebra_stripes
            or self.fixed_rows
            or self.fixed_columns
            or (self._labelled_row_exists and self.show_row_labels)
        ):
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        cursor = cursor_location.row == row_index
        hover = hover_location.row == row_index
        render_cell = self._render_cell
        cells: list[list[Segment]] = []
        table_width = 0
        for column_index, column in enumerate(self.ordered_columns):
            width = column.get_render_width(self)
            table_width += width
            cells.append(
                render_cell(row_index, column_index, base_style, width, cursor, hover)[line_no]
            )
        key = (
            row_index,
            cursor,
            hover,
            base_style,
            self.show_cursor,
            self._show_hover_cursor,
            self._pseudo_class_state,
        )
        extend_style = self._extend_styles.get(key)
        if extend_style is None:
            component, _post = self._get_styles_to_render_cell(
                False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
                False, False,
            )
            extend_style = base_style + component + Style.from_meta(
                {"row": row_index, "column": 0, "out_of_bounds": True}
            )
            if len(self._extend_styles) >= CELL_CACHE:
                self._extend_styles.clear()
            self._extend_styles[key] = extend_style
        cells.append([Segment(" " * max(0, self.size.width - table_width), extend_style)])
        return [], cells

    def _plain_cell(
        self,
        cell: object,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool,
        hover: bool,
    ) -> list[list[Segment]] | None:
        """The segments DataTable would render for a one-line, one-style cell, built directly.

        DataTable renders every cell through Rich (Styled, Padding, Text wrapping and
        justification): most of the grid's cost, though our cells are a single-style Text on
        one line. This builds the very same segments (padding, justification, styles with the
        row/column meta that mouse clicks read), which ``test_ui_widgets`` checks against
        DataTable's own rendering in every state. Anything else (spans, a named style, text
        too long for the cell, taller rows) returns None: DataTable renders it.
        """
        if not isinstance(cell, Text) or cell.spans:
            return None
        text_style = cell.style
        if isinstance(text_style, str) and text_style:
            return None
        row_key = self._row_locations.get_key(row_index)
        row = self.rows.get(row_key) if row_key is not None else None
        if row is None or row.height != 1 or self.fixed_rows or self.fixed_columns:
            return None
        plain = cell.plain
        justify = cell.justify
        if justify == "right":
            plain = plain.rstrip()  # as Rich justifies: trailing blanks go
        elif justify != "left":
            return None
        pad = self.cell_padding
        inner = width - 2 * pad
        length = cell_len(plain)
        if not length or length > inner or "\n" in plain or "\t" in plain:
            return None
        fill = " " * (inner - length)
        body = plain + fill if justify == "left" else fill + plain
        meta = self._meta_styles.get((row_index, column_index))
        if meta is None:
            meta = self._meta_styles[(row_index, column_index)] = Style.from_meta(
                {"row": row_index, "column": column_index}
            )
        component, post = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre = base_style + meta + component
        body_style = pre + text_style if text_style else pre
        edge = " " * pad
        text = Segment(body, body_style + post)
        if not pad:
            return [[text]]
        return [[Segment(edge, pre + post), text, Segment(edge, pre + post)]]

    # ------------------------------------------------------------------ partial repaint

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> TickerGrid:
        """Swallow the whole-table repaint ``update_cell`` asks for while diffing.

        ``DataTable.update_cell`` always calls ``refresh()`` for the whole table; during a
        frame flush we repaint just the changed cells with ``refresh_coordinate`` instead.
        """
        if self._quiet and not regions and not layout and not recompose:
            return self
        super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        return self

    # ------------------------------------------------------------------ public API

    @property
    def rows_shown(self) -> int:
        """Rows that fit below the header (the grid scrolls to the cursor for the rest)."""
        header = self.header_height if self.show_header else 0
        return max(0, min(self.row_count, self.size.height - header))

    @property
    def order(self) -> list[str]:
        """Symbols in display order (top row first)."""
        return [row.key.value or "" for row in self.ordered_rows]

    def set_symbols(self, symbols: Sequence[str]) -> None:
        """Follow the watchlist: add new rows, remove dropped ones, keep the rest as they are."""
        wanted = tuple(symbols)
        if wanted == self._symbols:
            return
        keep = set(wanted)
        for symbol in self._symbols:
            if symbol not in keep:
                self.remove_row(symbol)
                for column in self._columns:
                    self._cells.pop((symbol, column.key), None)
                self._last_close.pop(symbol, None)
                self._tick_dir.pop(symbol, None)
                self._flash_until.pop(symbol, None)
                self._seen.pop(symbol, None)
                self._seen_marks.pop(symbol, None)
        present = set(self._symbols)
        for symbol in wanted:
            if symbol not in present:
                cells = [self._cell(symbol, column.key) for column in self._columns]
                ticker = self.store.tickers.get(symbol)
                if ticker is not None:
                    self._last_close[symbol] = ticker.close  # the baseline for up/down
                row = [Text(text, style=self._style(kind), justify=j) for text, kind, j in cells]
                self.add_row(*row, key=symbol)
                for column, (text, kind, _j) in zip(self._columns, cells, strict=True):
                    self._cells[(symbol, column.key)] = (text, kind)
        self._symbols = wanted
        self._relabel()
        self._order = []
        self._resort()
        if self._selected is not None:
            self.select(self._selected)

    def select(self, symbol: str | None) -> None:
        """Move the cursor to a symbol's row (no event when it is already there)."""
        self._selected = symbol
        if symbol is None or symbol not in self._symbols:
            return
        row = self.get_row_index(symbol)
        if row != self.cursor_row:
            self.move_cursor(row=row, animate=False)

    def set_sort(self, column: str | None, reverse: bool | None = None) -> None:
        """Sort by a column (None = watchlist order); numbers sort big-first by default."""
        spec = next((c for c in self._columns if c.key == column), None)
        self.sort_column = column
        self.sort_reverse = (spec.numeric if spec else False) if reverse is None else reverse
        for col in self._columns:
            self.columns[ColumnKey(col.key)].label = self._label(col)
        self._order = []
        self._resort()
        self.refresh()
        self.post_message(self.SortChanged(self.sort_column, self.sort_reverse))

    def cycle_sort(self) -> None:
        """Next sort column."""
        index = SORT_CYCLE.index(self.sort_column)
        self.set_sort(SORT_CYCLE[(index + 1) % len(SORT_CYCLE)])

    def reverse_sort(self) -> None:
        """Flip the sort direction (watchlist order reverses too)."""
        self.set_sort(self.sort_column, not self.sort_reverse)

    def flush(self, dirty: set[str], now: float) -> None:
        """Write changed cells; called once per frame by the app."""
        symbols_changed = topics.SYMBOLS in dirty or self._restyle
        marks = topics.MARKS in dirty and self.shows_marks
        if topics.TICKERS not in dirty and not symbols_changed and not self._flash_until and (
            not marks
        ):
            return
        if topics.SYMBOLS in dirty:
            self._fit_mark_column()  # a market switch (m) may bring futures and their marks
        if symbols_changed:
            self._restyle = False
            self._cells.clear()  # tick sizes or colours changed: re-render every cell
            self._seen.clear()
            self._seen_marks.clear()
        self._write_cells(now)
        if self.sort_column is not None and (topics.TICKERS in dirty or marks):
            self._resort()

    # ------------------------------------------------------------------ internals

    def _write_cells(self, now: float) -> None:
        expired = {s for s, until in self._flash_until.items() if until <= now}
        for symbol in expired:
            del self._flash_until[symbol]
        tickers = self.store.tickers
        changed: list[Coordinate] = []
        seen = self._seen
        marks = self.store.marks if self.shows_marks else None
        seen_marks = self._seen_marks
        self._quiet = True
        try:
            for symbol in self._symbols:
                ticker = tickers.get(symbol)
                mark = marks.get(symbol) if marks is not None else None
                prev = seen.get(symbol)
                mark_moved = marks is not None and seen_marks.get(symbol) is not mark
                if (
                    ticker is not None
                    and prev is ticker
                    and not mark_moved
                    and symbol not in expired
                ):
                    # Nothing in this row can have changed (a flash only ends: ``expired``).
                    continue
                if marks is not None:
                    seen_marks[symbol] = mark
                if ticker is not None:
                    seen[symbol] = ticker
                    previous = self._last_close.get(symbol)
                    if previous is not None and ticker.close != previous:
                        self._tick_dir[symbol] = 1 if ticker.close > previous else -1
                        self._flash_until[symbol] = now + FLASH_SECONDS
                    self._last_close[symbol] = ticker.close
                for column in self._columns_to_write(symbol, prev, ticker, mark_moved, expired):
                    text, kind, justify = self._cell(symbol, column.key)
                    key = (symbol, column.key)
                    if self._cells.get(key) == (text, kind):
                        continue
                    self._cells[key] = (text, kind)
                    self.update_cell(
                        symbol, column.key, Text(text, style=self._style(kind), justify=justify)
                    )
                    changed.append(self.get_cell_coordinate(symbol, column.key))
        finally:
            self._quiet = False
        for coordinate in changed:
            self.refresh_coordinate(coordinate)

    def _columns_to_write(
        self,
        symbol: str,
        prev: MiniTicker | None,
        ticker: MiniTicker | None,
        mark_moved: bool,
        expired: set[str],
    ) -> Sequence[GridColumn]:
        """The columns a row update can change: formatting the others again (six decimals
        per ticker) would only find the text they already show."""
        if prev is None or ticker is None:
            return self._columns  # a new row, a restyle, or no data: every cell
        keys: set[str] = set()
        if ticker is not prev:
            if ticker.close != prev.close:
                keys.update(("last", "change"))
            if ticker.open != prev.open:
                keys.add("change")
            if ticker.high != prev.high:
                keys.add("high")
            if ticker.low != prev.low:
                keys.add("low")
            if ticker.quote_volume != prev.quote_volume:
                keys.add("volume")
        if symbol in expired:
            keys.add("last")  # the flash ends
        if mark_moved:
            keys.add("mark")
        return [column for column in self._columns if column.key in keys]

    def _cell(self, symbol: str, column: str) -> tuple[str, str, Justify]:
        """(text, style kind, justify) of one cell from the store."""
        if column == "symbol":
            return symbol, "", "left"
        if column == "mark":
            mark = self.store.marks.get(symbol)
            if mark is None:
                return DASH, "muted", "right"
            info = self.store.symbols.get(symbol)
            places = decimals_of(info.tick_size if info else None)
            return fmt_decimal(mark.mark_price, places), "", "right"
        ticker = self.store.tickers.get(symbol)
        if ticker is None:
            return DASH, "muted", "right"
        info = self.store.symbols.get(symbol)
        places = decimals_of(info.tick_size if info else None)
        if column == "last":
            direction = self._tick_dir.get(symbol, 0)
            text = f"{fmt_decimal(ticker.close, places)} {sign_glyph(direction)}"
            if symbol in self._flash_until:
                return text, "flash-up" if direction > 0 else "flash-down", "right"
            return text, "up" if direction > 0 else "down" if direction < 0 else "", "right"
        if column == "change":
            text, sign = fmt_change_pct(ticker.close, ticker.open)
            return text, "up" if sign > 0 else "down" if sign < 0 else "", "right"
        if column == "high":
            return fmt_decimal(ticker.high, places), "", "right"
        if column == "low":
            return fmt_decimal(ticker.low, places), "", "right"
        return fmt_compact(ticker.quote_volume), "", "right"

    def _style(self, kind: str) -> Style | str:
        if not kind:
            return ""
        style = self._styles.get(kind)
        if style is None:
            style = self._styles[kind] = self._resolve_style(kind)
        return style

    def _resolve_style(self, kind: str) -> Style:
        # Full component style, so translucent theme colours are blended over the background;
        # only a flash keeps its background (the cursor row's background shows otherwise).
        full = self.get_component_rich_style(f"ticker-grid--{kind}")
        if kind.startswith("flash"):
            return full
        return Style(color=full.color, bold=full.bold, dim=full.dim, italic=full.italic)

    def _label(self, column: GridColumn) -> Text:
        arrow = ""
        if column.key == self.sort_column:
            arrow = "▼" if self.sort_reverse else "▲"
        word, count = column.label, ""
        shown, total = self._fit
        if column.key == "symbol" and shown < total:
            count = f" {shown}/{total}"
            # The count matters more than the whole word in a 13-cell header.
            word = word[: max(0, column.width - len(arrow) - len(count))]
        return Text(f"{word}{arrow}{count}", justify="left" if not column.numeric else "right")

    def _relabel(self) -> None:
        """Put the (rows that fit)/(rows) count in the Symbol header when it changed."""
        fit = (self.rows_shown, self.row_count)
        if fit == self._fit or not self.columns:
            return
        self._fit = fit
        self.columns[ColumnKey("symbol")].label = self._label(COLUMNS[0])
        self.refresh()

    def _resort(self) -> None:
        """Re-sort rows, but only when the order actually changed."""
        symbols = self._symbols
        if self.sort_column is None:
            wanted = list(reversed(symbols)) if self.sort_reverse else list(symbols)
        else:
            column = self.sort_column
            tickers = self.store.tickers

            marks = self.store.marks

            def key(symbol: str) -> tuple[int, object]:
                if column == "mark":
                    mark = marks.get(symbol)
                    missing, value = (1, Decimal(0)) if mark is None else (0, mark.mark_price)
                else:
                    missing, value = sort_value(column, symbol, tickers.get(symbol))
                return (missing, value) if not self.sort_reverse else (-missing, value)

            wanted = sorted(symbols, key=key, reverse=self.sort_reverse)
        if wanted == self._order or not wanted:
            self._order = wanted
            return
        rank = {symbol: i for i, symbol in enumerate(wanted)}
        self.sort("symbol", key=_rank_of(rank))
        self._order = wanted
        if self._selected is not None:
            self.select(self._selected)


def _rank_of(rank: dict[str, int]) -> Callable[[Text], int]:
    def key(cell: Text) -> int:
        return rank.get(cell.plain, len(rank))

    return key
