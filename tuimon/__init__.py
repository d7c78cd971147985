"""tuimon: a terminal monitor for Binance live market data."""

__version__ = "0.1.0"
