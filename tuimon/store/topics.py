"""Topic keys: what a writer marks dirty and what a widget listens to.

Plain strings keep ``take_dirty()`` cheap and readable in logs.
"""

from __future__ import annotations

TICKERS = "tickers"
HEALTH = "health"
SYMBOLS = "symbols"
ACCOUNT = "account"
MARKET = "market"
"""Every symbol's 24 h mini ticker (``!miniTicker@arr``), read by the screener."""


def book_topic(symbol: str) -> str:
    """Topic of one symbol's order book."""
    return f"book:{symbol}"


def klines_topic(symbol: str, interval: str) -> str:
    """Topic of one symbol's candles at one interval."""
    return f"klines:{symbol}:{interval}"
