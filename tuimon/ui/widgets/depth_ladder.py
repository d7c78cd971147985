"""Depth ladder of the selected symbol: a line-API widget with fixed rows from its height.

Layout, top to bottom: a header (column names, the book's age and freshness), N asks (worst at
the top, best just above the middle), one spread/mid row, N bids (best first). N follows the
widget's height. Each row is cached as a :class:`Strip` with the key it was built from; a
frame rebuilds and repaints only the rows whose key changed.

A book is shown as live only when ``store.book_freshness`` says ``live``. Otherwise the ladder
takes the ``-stale`` class (colours in ``depth_ladder.tcss``), says why in the header and the
middle row, and dims the levels (or shows none while resyncing): never a stale book as live.

The header's age (``age 0.4s``: since the book was last known exact, from the injected clock) is
recomputed every frame, but only a changed text repaints, and then only the header's changed
cells; the other rows are not even rebuilt.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from tuimon.protocol.models import Level
from tuimon.store import Store, topics
from tuimon.ui.format import decimals_of, fmt_book_age, fmt_decimal, fmt_qty, quantize
from tuimon.ui.widgets.own_orders import marker_text, own_levels
from tuimon.ui.widgets.rows import CachedRowsWidget, Spans

STATE_TEXT = {
    "live": "● live",
    "syncing": "⟳ RESYNCING",
    "silent": "⚠ SILENT",
    "disconnected": "✕ DISCONNECTED",
}
MIDDLE_TEXT = {
    "syncing": "⟳ resyncing book: waiting for a snapshot, not live",
    "silent": "⚠ SILENT: no book update lately, book frozen, not live",
    "disconnected": "✕ DISCONNECTED: book frozen, not live",
}

SHORT_MIDDLE_TEXT = {
    "syncing": "⟳ RESYNCING: not live",
    "silent": "⚠ SILENT: not live",
    "disconnected": "✕ DISCONNECTED: not live",
}
"""For narrow ladders: the state and "not live" must survive any width."""

RowKey = tuple[object, ...]

BOOK_EVERY = 0.2
"""Seconds between rebuilds of the levels (5 Hz) while the grid keeps the frame rate.

The ladder is most of the terminal's bytes: a busy book changes every 100 ms and every change
moves the cumulative column and the bars of the rows below it. Nobody reads a level faster than
5 times a second; a state change (live → silent, resyncing, disconnected) and a symbol switch
still repaint in the same frame, and the header's age keeps its own pace."""
TEXTS_KEPT = 4096
"""Formatted prices and sizes kept by the ladder (a few rebuilds' worth; then it starts over)."""
_DUE = BOOK_EVERY * 0.75
"""A frame this long after the last rebuild is due: timer jitter must not skip a whole frame."""


def bar_cells(fraction: float, width: int) -> int:
    """Cells of a depth bar filled to ``fraction`` of ``width`` (at least one when non-zero).

    Bars are reverse-video spaces: one byte per cell on the wire (a block glyph is three),
    and still visible with NO_COLOR, where reverse video survives and colour does not.
    """
    if width <= 0 or fraction <= 0:
        return 0
    return max(1, min(width, round(fraction * width)))


def cumulative(levels: list[Level]) -> list[Decimal]:
    """Running total of sizes from the best level outwards."""
    total = Decimal(0)
    out: list[Decimal] = []
    for _price, qty in levels:
        total += qty
        out.append(total)
    return out


class DepthLadder(CachedRowsWidget, can_focus=True):
    """Order book ladder for one symbol, read from the Store at frame rate."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "depth-ladder--header",
        "depth-ladder--ask",
        "depth-ladder--bid",
        "depth-ladder--ask-best",
        "depth-ladder--bid-best",
        "depth-ladder--ask-bar",
        "depth-ladder--bid-bar",
        "depth-ladder--middle",
        "depth-ladder--state",
        "depth-ladder--own",
    }

    DEFAULT_CSS = """
    DepthLadder { height: 1fr; }
    """

    COMPONENT_PREFIX = "depth-ladder"
    SIZE_WIDTH = 10
    CUM_WIDTH = 10

    def __init__(self, store: Store, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.symbol: str | None = None
        self.freshness = "syncing"
        self.age_text = ""
        """``age 0.4s`` for a vouched book, else empty (what the header shows)."""
        self.live_text = STATE_TEXT["live"]
        """How a current book is labelled (a replay says ``● replay``: nothing in it is live)."""
        self._columns = (9, self.SIZE_WIDTH, self.CUM_WIDTH)
        """Price, size and cumulative column widths of the last build (for the header)."""
        self._built_at: float | None = None
        self._book_pending = False
        """The book changed since the last rebuild (held until :data:`BOOK_EVERY` passed)."""
        self._texts: dict[tuple[Decimal, int] | tuple[Decimal, int, int], str] = {}
        """Formatted prices and sizes: most levels stay put between rebuilds, and quantizing
        and grouping a Decimal costs more than finding its text again."""
        self._own: dict[Decimal, tuple[str, Decimal]] = {}
        """Your open orders per price (issue 13 §2); empty without keys."""

    # ------------------------------------------------------------------ public API

    @property
    def built_at(self) -> float | None:
        """Monotonic time of the last rebuild (the trades tape repaints in the same frames)."""
        return self._built_at

    @property
    def levels(self) -> int:
        """Price levels shown on each side at the current height."""
        return max(0, (self.size.height - 2) // 2)

    def set_symbol(self, symbol: str | None) -> None:
        """Show another symbol's book now (not at the next frame)."""
        if symbol != self.symbol:
            self.symbol = symbol
            self.flush({topics.book_topic(symbol)} if symbol else set(), force=True)

    def flush(self, dirty: set[str], force: bool = False, now: float | None = None) -> None:
        """Rebuild changed rows; called once per frame by the app.

        ``now`` (monotonic seconds) paces book changes to :data:`BOOK_EVERY`; None rebuilds
        at once (a symbol switch).
        """
        symbol = self.symbol
        store = self.store
        freshness = store.book_freshness(symbol) if symbol else "syncing"
        age = store.book_age(symbol) if symbol and freshness != "syncing" else None
        age_text = f"age {fmt_book_age(age)}" if age is not None else ""
        state_changed = freshness != self.freshness
        if state_changed:
            self.freshness = freshness
            self.set_class(freshness != "live", "-stale")
            self.set_class(freshness == "disconnected", "-disconnected")
        age_changed = age_text != self.age_text
        self.age_text = age_text
        topic = topics.book_topic(symbol) if symbol else ""
        if topic in dirty:
            self._book_pending = True
        if topics.ACCOUNT in dirty and own_levels(store, symbol) != self._own:
            self._book_pending = True
        due = now is None or self._built_at is None or now - self._built_at >= _DUE
        if force or state_changed or (self._book_pending and due):
            self._rebuild(repaint_all=state_changed or force)
            self._book_pending = False
            self._built_at = now
        elif age_changed:
            self.update_row(0, *self._header_item(self.size.width))

    def _header_item(self, width: int) -> tuple[RowKey, Spans]:
        """Column labels on the left; the book's age and state right-aligned."""
        price_w, size_w, cum_w = self._columns
        state = self.live_text if self.freshness == "live" else STATE_TEXT[self.freshness]
        dated = f"{self.age_text}  {state}" if self.age_text else state
        labels = f"{'Price':>{price_w}} {'Size':>{size_w}} "
        if cum_w:
            labels += f"{'Cum':>{cum_w}} "
        short = f"{'Price':>{price_w}} "
        # The state must always show: the labels give way first, then the age.
        options = ((labels, dated), (short, dated), (labels, state), (short, state))
        header, text = next(((h, t) for h, t in options if len(h) + len(t) <= width), ("", state))
        spans = [(header, "header"), (text.rjust(max(0, width - len(header))), "state")]
        return ("h", header, text, width), spans

    def row_items(self, width: int, height: int) -> list[tuple[RowKey, Spans]]:
        """Every row as (cache key, [(text, style kind), ...])."""
        store = self.store
        symbol = self.symbol
        n = max(0, (height - 2) // 2)
        freshness = self.freshness
        info = store.symbols.get(symbol) if symbol else None
        places = decimals_of(info.tick_size if info else None)
        qty_places = decimals_of(info.step_size if info else None, default=4)
        sync = store.books.get(symbol) if symbol else None
        own = self._own = own_levels(store, symbol)
        show_levels = sync is not None and sync.synced and freshness != "syncing"
        asks: list[Level] = sync.book.asks(n) if show_levels and sync else []
        bids: list[Level] = sync.book.bids(n) if show_levels and sync else []
        ask_cum = cumulative(asks)
        bid_cum = cumulative(bids)
        top = max([*ask_cum[-1:], *bid_cum[-1:]], default=Decimal(0))

        texts = self._texts
        if len(texts) > TEXTS_KEPT:
            texts.clear()

        def price_text(price: Decimal) -> str:
            key = (price, places)
            text = texts.get(key)
            if text is None:
                text = texts[key] = fmt_decimal(price, places)
            return text

        def qty_text(qty: Decimal, width: int) -> str:
            key = (qty, qty_places, width)
            text = texts.get(key)
            if text is None:
                text = texts[key] = fmt_qty(qty, qty_places, width)
            return text

        price_w = max([9, *(len(price_text(p)) for p, _ in (*asks, *bids))])
        size_w = self.SIZE_WIDTH
        cum_w = self.CUM_WIDTH
        fixed = price_w + 1 + size_w + 1 + cum_w + 1
        if fixed > width:  # very narrow: drop the cumulative column first
            cum_w = 0
            fixed = price_w + 1 + size_w + 1
        bar_w = max(0, width - fixed)

        self._columns = (price_w, size_w, cum_w)
        rows: list[tuple[RowKey, Spans]] = [self._header_item(width)]

        def level_row(
            side: str, level: Level | None, cum: Decimal | None, best: bool
        ) -> tuple[RowKey, list[tuple[str, str]]]:
            if level is None or cum is None:
                return (side, None, freshness), [("", "")]
            price, qty = level
            price_cell = price_text(price).rjust(price_w)
            size_text = qty_text(qty, size_w).rjust(size_w)
            cum_text = qty_text(cum, cum_w).rjust(cum_w) if cum_w else ""
            cells = bar_cells(float(cum / top) if top else 0.0, bar_w)
            kind = f"{side}-best" if best else side
            mine = own.get(price) if own else None
            if mine is not None:
                # Your order at this level: a marker in the row's empty part, before the bar.
                room = bar_w - cells
                mark = marker_text(mine, qty_places, room) if room > 0 else ""
                spans = [
                    (price_cell, kind),
                    (" " + size_text, side),
                    ((" " + cum_text) if cum_w else "", side),
                    (" " + mark, "own"),
                    (" " * (bar_w - cells - len(mark)), side),
                    (" " * cells, f"{side}-bar"),
                ]
                key = (side, price_cell, size_text, cum_text, cells, best, freshness, mark)
                return key, spans
            # Bars grow leftwards from the right edge: text and padding share one style run
            # and the bar is the second, so a row costs two style changes on the wire.
            spans = [
                (price_cell, kind),
                (" " + size_text, side),
                ((" " + cum_text) if cum_w else "", side),
                (" " * (1 + bar_w - cells), side),
                (" " * cells, f"{side}-bar"),
            ]
            return (side, price_cell, size_text, cum_text, cells, best, freshness), spans

        # Asks: worst at the top, best just above the middle row.
        for i in range(n):
            index = n - 1 - i
            if index < len(asks):
                rows.append(level_row("ask", asks[index], ask_cum[index], index == 0))
            else:
                rows.append(level_row("ask", None, None, False))
        middle = self._middle(bids, asks, places, freshness)
        if sync is None and freshness == "syncing":
            middle = "⟳ waiting for the book: not live"
            if len(middle) > width:
                middle = "⟳ waiting: not live"
        if len(middle) > width and freshness != "live":
            middle = SHORT_MIDDLE_TEXT[freshness]
        rows.append((("m", middle, freshness), [(middle.center(width), "middle")]))
        for index in range(n):
            if index < len(bids):
                rows.append(level_row("bid", bids[index], bid_cum[index], index == 0))
            else:
                rows.append(level_row("bid", None, None, False))
        return rows[:height]

    @staticmethod
    def _middle(bids: list[Level], asks: list[Level], places: int, freshness: str) -> str:
        if freshness != "live":
            return MIDDLE_TEXT[freshness]
        if not bids or not asks:
            return "one-sided book"
        bid, ask = bids[0][0], asks[0][0]
        spread = ask - bid
        mid = quantize((bid + ask) / 2, places + 1)
        bps = quantize(spread / mid * 10_000, 2) if mid else Decimal(0)
        mid_text = fmt_decimal(mid, places + 1)
        return f"spread {fmt_decimal(spread, places)} ({bps:f} bps)  mid {mid_text}"
