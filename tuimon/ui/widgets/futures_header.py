"""Futures header line of the selected symbol: mark, index, funding and its countdown.

``BTCUSDT  mark 27001.2  index 27000.9  funding 0.0100 % in 03:12:45``. The countdown runs on
the injected clock; the line is recomputed each frame and repainted only when its text changed
(once a second while the countdown runs). Hidden on spot, where none of it exists.
"""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Static

from tuimon.clock import Clock
from tuimon.protocol.models import MarkPrice
from tuimon.store import Store, topics
from tuimon.ui.format import decimals_of, fmt_decimal, quantize

_HUNDRED = Decimal(100)


def fmt_countdown(ms: int) -> str:
    """``03:12:45`` until a time; ``due`` once it has passed (the next event will move it)."""
    if ms <= 0:
        return "due"
    total = ms // 1000
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def funding_text(mark: MarkPrice, now_ms: int) -> str:
    """``funding 0.0100 % in 03:12:45``; delivery contracts have none."""
    if mark.funding_rate is None or not mark.next_funding_time:
        return "no funding (delivery)"
    rate = quantize(mark.funding_rate * _HUNDRED, 4)
    return f"funding {rate:f} % in {fmt_countdown(mark.next_funding_time - now_ms)}"


def header_text(symbol: str, mark: MarkPrice | None, places: int, now_ms: int) -> str:
    """The whole line for a symbol (its mark may not have arrived yet)."""
    if mark is None:
        return f"{symbol}  mark –  waiting for the mark price…"
    index = (
        "–" if mark.index_price is None else fmt_decimal(mark.index_price, places, grouping=False)
    )
    return (
        f"{symbol}  mark {fmt_decimal(mark.mark_price, places, grouping=False)}  "
        f"index {index}  {funding_text(mark, now_ms)}"
    )


class FuturesHeader(Static):
    """One line above the panes on USDⓈ-M and COIN-M."""

    DEFAULT_CSS = """
    FuturesHeader { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, store: Store, clock: Clock, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id, markup=False)
        self.store = store
        self.clock = clock
        self.symbol: str | None = None
        self.text = ""
        """What the line shows now (tests read it)."""
        self.display = store.futures

    def set_symbol(self, symbol: str | None) -> None:
        """Show another symbol's line now."""
        if symbol != self.symbol:
            self.symbol = symbol
            self.flush({topics.MARKS})

    def flush(self, dirty: set[str]) -> None:
        """Recompute the line; repaint only when it changed (the countdown: once a second)."""
        store = self.store
        if self.display != store.futures:
            self.display = store.futures  # the market was switched (m)
            self.text = ""
        if not store.futures or self.symbol is None:
            return
        info = store.symbols.get(self.symbol)
        places = decimals_of(info.tick_size if info else None)
        text = header_text(self.symbol, store.marks.get(self.symbol), places, self.clock.wall_ms())
        if text != self.text:
            self.text = text
            self.update(text, layout=False)
