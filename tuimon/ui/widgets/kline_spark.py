"""Kline sparkline of the selected symbol: recent closes plus last/high/low of the window.

Candles come from the Store (seeded from REST, then live; the forming candle updates in
place there). One close per column; the window is the contiguous tail of the series, so a
hole left while the symbol was not watched is never drawn as if it were continuous.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tuimon.protocol.models import Kline
from tuimon.store import Store, topics
from tuimon.ui.format import INTERVAL_MS, decimals_of, fmt_change_pct, fmt_decimal
from tuimon.ui.widgets.close_chart import CloseChart


def contiguous_tail(candles: Sequence[Kline], interval: str, limit: int) -> list[Kline]:
    """The newest run of back-to-back candles, at most ``limit`` long."""
    step = INTERVAL_MS.get(interval)
    out: list[Kline] = []
    for candle in reversed(candles):
        if len(out) >= limit:
            break
        if out and step is not None and out[-1].open_time - candle.open_time != step:
            break
        out.append(candle)
    out.reverse()
    return out


class KlineSpark(Vertical, can_focus=True):
    """Title line with last/high/low, and a sparkline of closes below it."""

    DEFAULT_CSS = """
    KlineSpark { height: 1fr; }
    KlineSpark > #spark-title { height: auto; max-height: 2; }
    KlineSpark > CloseChart { height: 1fr; }
    """

    def __init__(self, store: Store, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.symbol: str | None = None
        self.interval = "1m"
        self._title_text = ""
        self.title = Static("", id="spark-title", markup=False)
        self.chart = CloseChart(id="spark")
        self.window: list[Kline] = []
        """Candles currently drawn (tests read it)."""

    def compose(self) -> ComposeResult:
        """Title and sparkline."""
        yield self.title
        yield self.chart

    def on_resize(self) -> None:
        """The window is one candle per column."""
        self.flush(set(), force=True)

    def set_view(self, symbol: str | None, interval: str) -> None:
        """Show another symbol or interval now (not at the next frame)."""
        if (symbol, interval) != (self.symbol, self.interval):
            self.symbol = symbol
            self.interval = interval
            self.flush(set(), force=True)

    def flush(self, dirty: set[str], force: bool = False) -> None:
        """Redraw when this symbol's candles changed; called once per frame by the app."""
        symbol = self.symbol
        if symbol is None:
            self._set("", ())
            return
        topic = topics.klines_topic(symbol, self.interval)
        if not force and topic not in dirty and topics.SYMBOLS not in dirty:
            return
        series = self.store.klines.get((symbol, self.interval))
        width = max(1, self.size.width)
        window = contiguous_tail(series.candles if series else (), self.interval, width)
        self.window = window
        if not window:
            self._set(f"{symbol} {self.interval}  loading candles…", ())
            return
        info = self.store.symbols.get(symbol)
        places = decimals_of(info.tick_size if info else None)
        last = window[-1].close
        high = max(c.high for c in window)
        low = min(c.low for c in window)
        change, _sign = fmt_change_pct(last, window[0].open)
        head = f"{symbol} {self.interval}  last {fmt_decimal(last, places)}  {change}"
        stats = f"H {fmt_decimal(high, places)}  L {fmt_decimal(low, places)}  ×{len(window)}"
        joined = f"{head}   {stats}"
        title = joined if len(joined) <= self.size.width else f"{head}\n{stats}"
        self._set(title, tuple(c.close for c in window))

    def _set(self, title: str, closes: tuple[Decimal, ...]) -> None:
        if title != self._title_text:
            relayout = title.count("\n") != self._title_text.count("\n")
            self._title_text = title
            self.title.update(title, layout=relayout)
        self.chart.set_closes(closes)


def window_stats(window: Sequence[Kline]) -> tuple[Decimal, Decimal, Decimal] | None:
    """(last, high, low) of a window of candles, or None when empty."""
    if not window:
        return None
    return window[-1].close, max(c.high for c in window), min(c.low for c in window)
