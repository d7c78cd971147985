"""Static description of the three simulated markets: URLs, limits, cadences, symbol universes.

Everything here is data taken from the protocol reference (docs/binance-protocol.md §1-§5, §7)
so that the behavioural code elsewhere can stay market-agnostic and read its numbers from one
place. Nothing in this module has state or does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MarketName = Literal["spot", "usdm", "coinm"]
MARKETS: tuple[MarketName, ...] = ("spot", "usdm", "coinm")

# All kline intervals the spot docs list (§4.1). Futures have no "1s" (§4.2).
SPOT_INTERVALS: tuple[str, ...] = (
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w",
    "1M",
)
FUTURES_INTERVALS: tuple[str, ...] = SPOT_INTERVALS[1:]


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One tradable symbol: identity, starting price and the exchange filters.

    ``price`` is the seed mid price; ``tick_size``/``step_size`` are written the way the market
    writes them in exchangeInfo (spot pads to 8 decimals, futures do not).
    """

    symbol: str
    base: str
    quote: str
    price: str
    tick_size: str
    step_size: str
    activity: float = 1.0  # relative event rate; BTC/ETH books move more than the long tail
    pair: str | None = None  # COIN-M only: "BTCUSD" for "BTCUSD_PERP"
    contract_size: int | None = None  # COIN-M only: USD value of one contract


def _spot(sym: str, base: str, quote: str, price: str, tick: str, step: str,
          activity: float = 1.0) -> SymbolSpec:
    # Spot filters are printed with 8 decimals ("0.01000000"), like the real exchangeInfo.
    return SymbolSpec(sym, base, quote, price, _pad8(tick), _pad8(step), activity)


def _pad8(value: str) -> str:
    whole, _, frac = value.partition(".")
    return f"{whole}.{frac.ljust(8, '0')}"


# Roughly 2026 price scales; tick/step sizes follow the real filters' orders of magnitude.
SPOT_SYMBOLS: tuple[SymbolSpec, ...] = (
    _spot("BTCUSDT", "BTC", "USDT", "95000.00", "0.01", "0.00001", 2.0),
    _spot("ETHUSDT", "ETH", "USDT", "3100.00", "0.01", "0.0001", 1.8),
    _spot("BNBUSDT", "BNB", "USDT", "880.00", "0.01", "0.001", 1.2),
    _spot("SOLUSDT", "SOL", "USDT", "180.00", "0.01", "0.001", 1.4),
    _spot("XRPUSDT", "XRP", "USDT", "2.3000", "0.0001", "0.1", 1.2),
    _spot("ADAUSDT", "ADA", "USDT", "0.7500", "0.0001", "0.1"),
    _spot("DOGEUSDT", "DOGE", "USDT", "0.18000", "0.00001", "1", 1.1),
    _spot("TRXUSDT", "TRX", "USDT", "0.2900", "0.0001", "0.1"),
    _spot("AVAXUSDT", "AVAX", "USDT", "28.00", "0.01", "0.01"),
    _spot("LINKUSDT", "LINK", "USDT", "18.00", "0.01", "0.01"),
    _spot("DOTUSDT", "DOT", "USDT", "5.200", "0.001", "0.01"),
    _spot("LTCUSDT", "LTC", "USDT", "95.00", "0.01", "0.001"),
    _spot("BCHUSDT", "BCH", "USDT", "480.0", "0.1", "0.001"),
    _spot("XLMUSDT", "XLM", "USDT", "0.3200", "0.0001", "1"),
    _spot("NEARUSDT", "NEAR", "USDT", "3.100", "0.001", "0.1"),
    _spot("UNIUSDT", "UNI", "USDT", "9.500", "0.001", "0.01"),
    _spot("ATOMUSDT", "ATOM", "USDT", "5.400", "0.001", "0.01"),
    _spot("ETCUSDT", "ETC", "USDT", "22.00", "0.01", "0.01"),
    _spot("FILUSDT", "FIL", "USDT", "3.400", "0.001", "0.01"),
    _spot("APTUSDT", "APT", "USDT", "6.500", "0.001", "0.01"),
    _spot("ARBUSDT", "ARB", "USDT", "0.4500", "0.0001", "0.1"),
    _spot("OPUSDT", "OP", "USDT", "0.800", "0.001", "0.01"),
    _spot("SUIUSDT", "SUI", "USDT", "3.6000", "0.0001", "0.1"),
    _spot("PEPEUSDT", "PEPE", "USDT", "0.00001200", "0.00000001", "1"),
    _spot("SHIBUSDT", "SHIB", "USDT", "0.00001350", "0.00000001", "1"),
    _spot("ETHBTC", "ETH", "BTC", "0.03260", "0.00001", "0.0001"),
    _spot("BNBBTC", "BNB", "BTC", "0.009260", "0.000001", "0.001"),
)

USDM_SYMBOLS: tuple[SymbolSpec, ...] = (
    SymbolSpec("BTCUSDT", "BTC", "USDT", "95000.00", "0.10", "0.001", 2.0),
    SymbolSpec("ETHUSDT", "ETH", "USDT", "3100.00", "0.01", "0.001", 1.8),
    SymbolSpec("BNBUSDT", "BNB", "USDT", "880.000", "0.010", "0.01", 1.2),
    SymbolSpec("SOLUSDT", "SOL", "USDT", "180.0000", "0.0100", "1", 1.4),
    SymbolSpec("XRPUSDT", "XRP", "USDT", "2.3000", "0.0001", "0.1", 1.2),
    SymbolSpec("ADAUSDT", "ADA", "USDT", "0.75000", "0.00010", "1"),
    SymbolSpec("DOGEUSDT", "DOGE", "USDT", "0.180000", "0.000010", "1", 1.1),
    SymbolSpec("TRXUSDT", "TRX", "USDT", "0.29000", "0.00001", "1"),
    SymbolSpec("AVAXUSDT", "AVAX", "USDT", "28.0000", "0.0010", "1"),
    SymbolSpec("LINKUSDT", "LINK", "USDT", "18.000", "0.001", "0.01"),
    SymbolSpec("DOTUSDT", "DOT", "USDT", "5.200", "0.001", "0.1"),
    SymbolSpec("LTCUSDT", "LTC", "USDT", "95.00", "0.01", "0.001"),
    SymbolSpec("BCHUSDT", "BCH", "USDT", "480.00", "0.01", "0.001"),
    SymbolSpec("XLMUSDT", "XLM", "USDT", "0.32000", "0.00001", "1"),
    SymbolSpec("NEARUSDT", "NEAR", "USDT", "3.1000", "0.0010", "1"),
    SymbolSpec("UNIUSDT", "UNI", "USDT", "9.5000", "0.0010", "1"),
    SymbolSpec("ATOMUSDT", "ATOM", "USDT", "5.400", "0.001", "0.01"),
    SymbolSpec("ETCUSDT", "ETC", "USDT", "22.000", "0.001", "0.01"),
    SymbolSpec("FILUSDT", "FIL", "USDT", "3.400", "0.001", "0.1"),
    SymbolSpec("APTUSDT", "APT", "USDT", "6.5000", "0.0001", "0.1"),
    SymbolSpec("ARBUSDT", "ARB", "USDT", "0.4500", "0.0001", "0.1"),
    SymbolSpec("OPUSDT", "OP", "USDT", "0.8000", "0.0001", "0.1"),
    SymbolSpec("SUIUSDT", "SUI", "USDT", "3.60000", "0.00010", "0.1"),
    SymbolSpec("1000PEPEUSDT", "1000PEPE", "USDT", "0.0120000", "0.0000001", "1"),
    SymbolSpec("1000SHIBUSDT", "1000SHIB", "USDT", "0.013500", "0.000001", "1"),
)


def _cm(sym: str, price: str, tick: str, csize: int, activity: float = 1.0) -> SymbolSpec:
    base = sym.removesuffix("USD_PERP")
    return SymbolSpec(sym, base, "USD", price, tick, "1", activity, base + "USD", csize)


COINM_SYMBOLS: tuple[SymbolSpec, ...] = (
    _cm("BTCUSD_PERP", "95000.0", "0.1", 100, 2.0),
    _cm("ETHUSD_PERP", "3100.00", "0.01", 10, 1.8),
    _cm("BNBUSD_PERP", "880.000", "0.010", 10),
    _cm("SOLUSD_PERP", "180.000", "0.010", 10),
    _cm("XRPUSD_PERP", "2.3000", "0.0001", 10),
    _cm("ADAUSD_PERP", "0.75000", "0.00010", 10),
    _cm("DOGEUSD_PERP", "0.180000", "0.000010", 10),
    _cm("LINKUSD_PERP", "18.000", "0.001", 10),
    _cm("DOTUSD_PERP", "5.200", "0.001", 10),
    _cm("LTCUSD_PERP", "95.00", "0.01", 10),
    _cm("BCHUSD_PERP", "480.00", "0.01", 10),
    _cm("ETCUSD_PERP", "22.000", "0.001", 10),
)


@dataclass(frozen=True, slots=True)
class MarketConfig:
    """Per-market protocol constants (reference §1-§5)."""

    name: MarketName
    rest_prefix: str
    futures: bool
    routed: bool  # USDⓈ-M only: /public vs /market split (§1.2)
    ping_interval: float  # seconds between server pings (§3)
    pong_timeout: float  # close if no pong for this long (§3)
    msg_rate: int  # incoming messages per second per connection (§3)
    max_streams: int  # streams per connection (§3)
    weight_limit: int  # REQUEST_WEIGHT per minute (§5.3)
    depth_default: int
    depth_max: int
    depth_allowed: tuple[int, ...] | None  # futures accept only these limits (§5.3)
    klines_max: int
    intervals: tuple[str, ...]
    price_decimals_pad: int | None  # spot prints every price/qty with 8 decimals
    universe: tuple[SymbolSpec, ...]
    # Base cadences in ms, at the reference's speed (depth_interval_ms=100). Keyed by the stream
    # suffix; "" means the default (no @speed suffix).
    depth_cadences: dict[str, int] = field(default_factory=dict)
    kline_ms: int = 2000
    kline_1s_ms: int = 1000
    mini_ticker_ms: int = 1000
    ticker_ms: int = 1000
    arr_ms: int = 1000
    agg_trade_ms: int = 0  # 0 = real time (every model step)
    all_book_ticker_ms: int = 5000
    mark_price_ms: int = 3000


SPOT = MarketConfig(
    name="spot", rest_prefix="/api/v3", futures=False, routed=False,
    ping_interval=20.0, pong_timeout=60.0, msg_rate=5, max_streams=1024, weight_limit=6000,
    depth_default=100, depth_max=5000, depth_allowed=None, klines_max=1000,
    intervals=SPOT_INTERVALS, price_decimals_pad=8, universe=SPOT_SYMBOLS,
    depth_cadences={"": 1000, "@100ms": 100},
    kline_ms=2000, kline_1s_ms=1000, mini_ticker_ms=1000, ticker_ms=1000, arr_ms=1000,
)

USDM = MarketConfig(
    name="usdm", rest_prefix="/fapi/v1", futures=True, routed=True,
    ping_interval=180.0, pong_timeout=600.0, msg_rate=10, max_streams=1024, weight_limit=2400,
    depth_default=500, depth_max=1000, depth_allowed=(5, 10, 20, 50, 100, 500, 1000),
    klines_max=1500, intervals=FUTURES_INTERVALS, price_decimals_pad=None, universe=USDM_SYMBOLS,
    depth_cadences={"": 250, "@500ms": 500, "@100ms": 100},
    kline_ms=250, mini_ticker_ms=2000, ticker_ms=2000, arr_ms=1000, agg_trade_ms=100,
)

COINM = MarketConfig(
    name="coinm", rest_prefix="/dapi/v1", futures=True, routed=False,
    ping_interval=180.0, pong_timeout=600.0, msg_rate=10, max_streams=200, weight_limit=2400,
    depth_default=500, depth_max=1000, depth_allowed=(5, 10, 20, 50, 100, 500, 1000),
    klines_max=1500, intervals=FUTURES_INTERVALS, price_decimals_pad=None,
    universe=COINM_SYMBOLS,
    depth_cadences={"": 250, "@500ms": 500, "@100ms": 100},
    kline_ms=250, mini_ticker_ms=2000, ticker_ms=2000, arr_ms=1000, agg_trade_ms=100,
)

CONFIGS: dict[str, MarketConfig] = {"spot": SPOT, "usdm": USDM, "coinm": COINM}


def market_config(name: str) -> MarketConfig:
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(f"unknown market {name!r}; expected one of {MARKETS}") from None
