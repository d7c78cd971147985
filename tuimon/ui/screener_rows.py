"""The screener's rows: one per symbol of the market, filtered and sorted (no Textual here).

A row is built once per ticker update (formatting is the costly part: Decimal quantizing), and
kept while its ticker object is the same; sorting and filtering then only compare the keys
computed with it. Everything is exact Decimal arithmetic; nothing is a float.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tuimon.protocol.models import MiniTicker, SymbolInfo
from tuimon.ui.format import DASH, decimals_of, fmt_change_pct, fmt_compact, quantize

SORTS: tuple[str, ...] = ("change", "volume", "range")
"""Sort keys in the order ``s`` cycles through them."""
SORT_LABELS = {"change": "24h change", "volume": "quote volume", "range": "range"}
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ScreenRow:
    """One symbol as the screener shows it; ``cells`` are the formatted columns."""

    symbol: str
    base: str
    quote: str
    change: Decimal | None
    """24 h change in percent (None without an open price)."""
    volume: Decimal
    """24 h quote volume."""
    range: Decimal | None
    """(high - low) / low in percent (None without a low)."""
    sign: int
    last: str
    change_text: str
    high: str
    low: str
    range_text: str
    volume_text: str


def make_row(ticker: MiniTicker, info: SymbolInfo | None) -> ScreenRow:
    """Format one ticker with its symbol's tick size (2 decimals if unknown)."""
    decimals = decimals_of(info.tick_size if info is not None else None)
    change_text, sign = fmt_change_pct(ticker.close, ticker.open)
    change = None
    if ticker.open != _ZERO:
        change = (ticker.close - ticker.open) * _HUNDRED / ticker.open
    spread: Decimal | None = None
    range_text = DASH
    if ticker.low > _ZERO:
        spread = (ticker.high - ticker.low) * _HUNDRED / ticker.low
        range_text = f"{quantize(spread, 2):f}%"

    def price(value: Decimal) -> str:
        return f"{quantize(value, decimals):,f}"

    return ScreenRow(
        symbol=ticker.symbol,
        base=info.base_asset if info is not None else "",
        quote=info.quote_asset if info is not None else "",
        change=change,
        volume=ticker.quote_volume,
        range=spread,
        sign=sign,
        last=price(ticker.close),
        change_text=change_text,
        high=price(ticker.high),
        low=price(ticker.low),
        range_text=range_text,
        volume_text=fmt_compact(ticker.quote_volume),
    )


def _key(row: ScreenRow, sort: str) -> Decimal:
    if sort == "volume":
        return row.volume
    value = row.change if sort == "change" else row.range
    return value if value is not None else Decimal("-Infinity")


def select(
    rows: Iterable[ScreenRow], *, quote: str | None, text: str, sort: str, descending: bool
) -> list[ScreenRow]:
    """Rows of ``quote`` (None: all) whose symbol or base asset contains ``text``, sorted by
    ``sort`` (ties by symbol, so the order is stable frame to frame)."""
    needle = text.strip().upper()
    kept = [
        r
        for r in rows
        if (quote is None or r.quote == quote) and (not needle or needle in r.symbol)
    ]
    kept.sort(key=lambda r: r.symbol)
    kept.sort(key=lambda r: _key(r, sort), reverse=descending)
    return kept


def quote_assets(symbols: dict[str, SymbolInfo], limit: int = 8) -> list[str]:
    """The market's most common quote assets, most symbols first (what ``u`` cycles)."""
    counts = Counter(info.quote_asset for info in symbols.values() if info.quote_asset)
    return [q for q, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


__all__ = ["SORTS", "SORT_LABELS", "ScreenRow", "make_row", "quote_assets", "select"]
