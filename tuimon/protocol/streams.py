"""Stream names, routes and the live-subscription control frames (reference §1-§2)."""

from __future__ import annotations

from urllib.parse import quote

import orjson

from tuimon.protocol.endpoints import Endpoints, Market, Route

KLINE_INTERVALS = (
    "1s",
    "1m",
    "3m",
    "5m",
    "15m",
    "30m",
    "1h",
    "2h",
    "4h",
    "6h",
    "8h",
    "12h",
    "1d",
    "3d",
    "1w",
    "1M",
)
FUTURES_KLINE_INTERVALS = tuple(i for i in KLINE_INTERVALS if i != "1s")

# Per market (§3): spot and USDⓈ-M document 1024; COIN-M's page still says 200 (UNCONFIRMED
# whether it was raised), so stay under the smaller figure there.
STREAM_CAP = {Market.SPOT: 1024, Market.USDM: 1024, Market.COINM: 200}
# Control frames per second we allow ourselves: under the exchange's 5/s (spot) and 10/s
# (futures) budget, which also counts our pongs.
CONTROL_RATE = {Market.SPOT: 3.0, Market.USDM: 6.0, Market.COINM: 6.0}
# Streams in one SUBSCRIBE frame; the exchange documents no cap, so stay modest.
MAX_PARAMS_PER_FRAME = 200


def stream_symbol(symbol: str) -> str:
    """Stream names use the lowercase symbol (non-ASCII symbols lowercase too)."""
    return symbol.lower()


def depth_stream(symbol: str, speed_ms: int = 100) -> str:
    """Diff depth stream: ``<s>@depth@100ms`` (or the default cadence when speed is 0)."""
    base = f"{stream_symbol(symbol)}@depth"
    return f"{base}@{speed_ms}ms" if speed_ms else base


def depth_period(stream: str, *, futures: bool) -> float:
    """Seconds between a diff depth stream's events at most: ``@100ms`` → 0.1; no speed suffix
    is the market's default cadence (§4: spot 1000 ms, futures 250 ms).

    A diff event is sent only when the book changed, so this is the shortest normal gap, not
    the expected one.
    """
    _, _, suffix = stream.rpartition("@")
    if suffix.endswith("ms") and suffix[:-2].isdigit() and int(suffix[:-2]) > 0:
        return int(suffix[:-2]) / 1000
    return 0.25 if futures else 1.0


ALL_MINI_TICKERS = "!miniTicker@arr"
"""Every symbol's mini ticker, once a second (only those that changed). ``!ticker@arr`` was
retired on spot on 2026-03-26: never use it."""


def mini_ticker_stream(symbol: str) -> str:
    """Per-symbol 24 h mini ticker."""
    return f"{stream_symbol(symbol)}@miniTicker"


def kline_stream(symbol: str, interval: str) -> str:
    """Candle stream of one interval."""
    return f"{stream_symbol(symbol)}@kline_{interval}"


_PUBLIC_KINDS = ("@depth", "@bookticker", "@rpidepth")


def route_of(market: Market, stream: str) -> Route:
    """Which USDⓈ-M route carries a stream (§1.2); other markets are unrouted."""
    if market is not Market.USDM:
        return Route.NONE
    name = stream.lower()
    if name == "!bookticker" or any(kind in name for kind in _PUBLIC_KINDS):
        return Route.PUBLIC
    return Route.MARKET


def combined_url(endpoints: Endpoints, route: Route, streams: list[str]) -> str:
    """``<base>[/route]/stream?streams=a/b`` with non-ASCII names percent-encoded."""
    base = endpoints.stream_path(route)
    if not streams:
        return f"{base}/stream"
    joined = "/".join(quote(s, safe="@_!-.") for s in streams)
    return f"{base}/stream?streams={joined}"


REQUEST_ID_MAX = 2**63 - 1
"""Control request ids are 1, 2, 3... per connection, within the signed 64-bit range spot allows
(futures docs say "unsigned INT"; positive int64 is valid on both). A reply whose id is not such
an integer answers none of our requests."""


def control_frame(method: str, request_id: int, params: list[str] | None = None) -> str:
    """A SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS frame.

    Returned as ``str`` because websockets sends ``str`` as a text frame and ``bytes`` as a
    binary frame, which the exchange answers with an "Invalid JSON" error.
    """
    body: dict[str, object] = {"method": method, "id": request_id}
    if params is not None:
        body["params"] = params
    return orjson.dumps(body).decode()
