"""Stream names: validation, classification and USDⓈ-M route rules (reference §1.2, §2, §4).

A name is parsed once (on SUBSCRIBE or connect) into a ``StreamKey``; the emitter never parses
names on the hot path, it looks up precomputed names in ``SymbolNames``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuimon.sim.markets import MarketConfig

PUBLIC = "public"
MARKET = "market"

# Kinds that the USDⓈ-M /public route carries; everything else is /market (§1.2).
_PUBLIC_KINDS = frozenset({"depth", "partial", "bookTicker", "allBookTicker", "rpiDepth"})

PARTIAL_LEVELS = (5, 10, 20)


@dataclass(frozen=True, slots=True)
class StreamKey:
    """A valid stream name, classified."""

    name: str
    kind: str  # depth, partial, trade, aggTrade, bookTicker, miniTicker, ticker, kline, ...
    symbol: str | None = None  # upper-case symbol, None for all-market streams
    suffix: str = ""  # depth / markPrice speed suffix ("", "@100ms", "@500ms", "@1s")
    levels: int = 0  # partial depth levels
    interval: str = ""  # kline interval
    silent: bool = False  # accepted by the exchange, but the simulator never sends data

    @property
    def route(self) -> str:
        return PUBLIC if self.kind in _PUBLIC_KINDS else MARKET


def delivers(cfg: MarketConfig, key: StreamKey, route: str | None) -> bool:
    """Whether a subscription to ``key`` on a connection of ``route`` ever yields frames.

    On USDⓈ-M an unrouted connection behaves like /public; a stream on the wrong route is
    accepted and listed, but silent (§1.2). Spot and COIN-M have no routes.
    """
    if key.silent:
        return False
    if not cfg.routed:
        return True
    return key.route == (route or PUBLIC)


def _all_market(cfg: MarketConfig, name: str) -> StreamKey | None:
    if cfg.futures:
        table = {
            "!miniTicker@arr": StreamKey(name, "allMiniTicker"),
            "!ticker@arr": StreamKey(name, "allTicker"),
            "!bookTicker": StreamKey(name, "allBookTicker"),
            "!markPrice@arr": StreamKey(name, "allMarkPrice"),
            "!markPrice@arr@1s": StreamKey(name, "allMarkPrice", suffix="@1s"),
            "!forceOrder@arr": StreamKey(name, "allForceOrder"),
            "!contractInfo": StreamKey(name, "contractInfo", silent=True),
            "!assetIndex@arr": StreamKey(name, "assetIndex", silent=True),
        }
    else:
        table = {
            "!miniTicker@arr": StreamKey(name, "allMiniTicker"),
            # Retired 2026-03-26: still accepted, never delivers (§0, §8 "Watchdogs").
            "!ticker@arr": StreamKey(name, "allTicker", silent=True),
            "!ticker_1h@arr": StreamKey(name, "allWindowTicker", silent=True),
            "!ticker_4h@arr": StreamKey(name, "allWindowTicker", silent=True),
            "!ticker_1d@arr": StreamKey(name, "allWindowTicker", silent=True),
        }
    return table.get(name)


def parse_stream(cfg: MarketConfig, name: str, symbols: frozenset[str]) -> StreamKey | None:
    """Classify ``name`` or return None when the exchange would answer "invalid stream"."""
    if not isinstance(name, str) or not name:
        return None
    if name.startswith("!"):
        return _all_market(cfg, name)
    sym, sep, rest = name.partition("@")
    # Stream names carry the lower-case symbol; an upper-case one is not a valid stream.
    if not sep or sym != sym.lower() or sym.upper() not in symbols:
        return None
    symbol = sym.upper()
    if rest.startswith("kline_"):
        interval = rest[len("kline_"):]
        if interval in cfg.intervals:
            return StreamKey(name, "kline", symbol, interval=interval)
        return None
    speeds = ("", "@100ms", "@500ms") if cfg.futures else ("", "@100ms")
    if rest.startswith("depth"):
        body = rest[len("depth"):]
        levels_s, at, speed = body.partition("@")
        suffix = at + speed
        if suffix not in speeds:
            return None
        if levels_s == "":
            return StreamKey(name, "depth", symbol, suffix=suffix)
        if levels_s.isdigit() and int(levels_s) in PARTIAL_LEVELS:
            return StreamKey(name, "partial", symbol, suffix=suffix, levels=int(levels_s))
        return None
    simple = {"aggTrade", "bookTicker", "miniTicker", "ticker"}
    if rest in simple:
        return StreamKey(name, rest, symbol)
    if cfg.futures:
        if rest in ("markPrice", "markPrice@1s"):
            return StreamKey(name, "markPrice", symbol, suffix=rest[len("markPrice"):])
        if rest == "forceOrder":
            return StreamKey(name, "forceOrder", symbol)
        if rest == "rpiDepth@500ms":
            return StreamKey(name, "rpiDepth", symbol, silent=True)
        return None
    if rest == "trade":
        return StreamKey(name, "trade", symbol)
    if rest in ("avgPrice", "ticker_1h", "ticker_4h", "ticker_1d", "referencePrice",
                "blockTrade"):
        return StreamKey(name, rest, symbol, silent=True)
    return None


class SymbolNames:
    """Every deliverable stream name of one symbol, precomputed for the emitter."""

    __slots__ = ("depth", "partial", "trade", "agg_trade", "book_ticker", "mini_ticker",
                 "ticker", "kline", "mark_price", "force_order")

    def __init__(self, cfg: MarketConfig, symbol: str) -> None:
        s = symbol.lower()
        self.depth = {suffix: f"{s}@depth{suffix}" for suffix in cfg.depth_cadences}
        self.partial = {
            suffix: [(n, f"{s}@depth{n}{suffix}") for n in PARTIAL_LEVELS]
            for suffix in cfg.depth_cadences
        }
        self.trade = f"{s}@trade"
        self.agg_trade = f"{s}@aggTrade"
        self.book_ticker = f"{s}@bookTicker"
        self.mini_ticker = f"{s}@miniTicker"
        self.ticker = f"{s}@ticker"
        self.kline = {i: f"{s}@kline_{i}" for i in cfg.intervals}
        self.mark_price = {"": f"{s}@markPrice", "@1s": f"{s}@markPrice@1s"}
        self.force_order = f"{s}@forceOrder"
