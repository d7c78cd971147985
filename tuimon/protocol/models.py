"""Typed records parsed from Binance frames and REST bodies.

Prices and quantities are :class:`~decimal.Decimal` built from the exchange's decimal strings, so
they stay exact; ``str(d)`` gives back the original text. The one exception is a depth diff's
levels: checked text (:data:`TextLevel`), which the book turns into Decimals as it needs them.
Records are slotted and treated as immutable everywhere. The per-frame ones (tickers, klines,
depth, trades, book tickers) are not ``frozen`` only because a frozen dataclass's ``__init__``
sets each field through ``object.__setattr__``: about 1 µs per record at wire speed, against
0.2 µs (measured).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

import msgspec

Level = tuple[Decimal, Decimal]
"""One price level: (price, quantity). A zero quantity means "remove this level"."""

TextLevel = tuple[str, str]
"""A diff's level as sent: (price, quantity) texts that matched the decimal grammar (exact: the
text is the value; see :mod:`tuimon.protocol.level_text` for why diffs keep text)."""


@dataclass(slots=True)
class MiniTicker:
    """``24hrMiniTicker``: rolling 24 h stats of one symbol (items of ``!miniTicker@arr`` too)."""

    symbol: str
    event_time: int
    close: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    volume: Decimal
    quote_volume: Decimal


@dataclass(slots=True)
class Kline:
    """One candle update; ``closed`` is True on the final update of the candle (``x``)."""

    symbol: str
    event_time: int
    interval: str
    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int
    closed: bool


WireInt = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
"""A JSON integer in int64, for records msgspec decodes. orjson reads integers beyond u64 as
floats, which the general parser refuses where an integer belongs, so the fast path must not
take them; msgspec cannot bound at u64, so the (never sent) ints between the two go to the
general parser, which takes them."""


class DepthDiff(
    msgspec.Struct,
    tag_field="e",
    tag="depthUpdate",
    gc=False,
    rename={
        "symbol": "s",
        "event_time": "E",
        "first_id": "U",
        "final_id": "u",
        "bids": "b",
        "asks": "a",
        "prev_final_id": "pu",
        "transaction_time": "T",
    },
):
    """``depthUpdate`` diff event. ``prev_final_id`` (``pu``) exists only on futures.

    Levels are checked text (:data:`TextLevel`); the book turns prices into Decimals.

    The busiest record, so it is a msgspec Struct that the fast path decodes straight off the
    wire (the ``rename`` map is the exchange's keys; :mod:`tuimon.protocol.typed`): no second
    object, no copy of the level arrays. Decoding checks only shapes and integer types; the
    parser then applies the decimal grammar and ``U <= u`` before it hands the record out.
    gc=False: it holds only strings, ints and tuples of strings, never a cycle.
    """

    symbol: str
    event_time: WireInt
    first_id: WireInt
    final_id: WireInt
    bids: tuple[TextLevel, ...]
    asks: tuple[TextLevel, ...]
    prev_final_id: WireInt | None = None
    transaction_time: WireInt | None = None


@dataclass(frozen=True, slots=True)
class DepthSnapshot:
    """REST order-book snapshot (``/api/v3/depth``, ``/fapi/v1/depth``)."""

    last_update_id: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    event_time: int | None = None


@dataclass(slots=True)
class Trade:
    """``trade`` (spot) or ``aggTrade`` (both) event; ``trade_id`` is ``t`` or ``a``."""

    symbol: str
    event_time: int
    trade_id: int
    price: Decimal
    qty: Decimal
    trade_time: int
    buyer_is_maker: bool
    aggregate: bool


@dataclass(slots=True)
class MarkPrice:
    """Futures ``markPriceUpdate`` (``@markPrice[@1s]``, items of ``!markPrice@arr``) or a REST
    ``premiumIndex`` row.

    ``funding_rate`` is None and ``next_funding_time`` 0 for COIN-M delivery contracts, which
    have no funding (the exchange sends ``"r": ""`` and ``"T": 0``). The rate is signed.
    """

    symbol: str
    event_time: int
    mark_price: Decimal
    index_price: Decimal | None
    funding_rate: Decimal | None
    next_funding_time: int
    estimated_settle: Decimal | None = None


@dataclass(slots=True)
class Liquidation:
    """Futures ``forceOrder``: the latest liquidation order of a symbol (a snapshot, §4.2).

    ``side`` is the liquidation order's side (``SELL``: a long was liquidated); it is the
    taker. ``avg_price``/``filled`` are what traded (``ap``/``z``), ``price``/``qty`` the order.
    """

    symbol: str
    event_time: int
    side: str
    price: Decimal
    qty: Decimal
    avg_price: Decimal
    filled: Decimal
    status: str
    trade_time: int


@dataclass(slots=True)
class BookTicker:
    """Best bid/ask; ``update_id`` orders frames (drop a frame older than the last seen)."""

    symbol: str
    update_id: int
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    event_time: int | None = None


@dataclass(frozen=True, slots=True)
class ServerShutdown:
    """Spot ``serverShutdown``: the server will drop this connection; open a replacement now."""

    event_time: int


@dataclass(frozen=True, slots=True)
class ControlReply:
    """Reply to SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS; ``ok`` is False on an error reply."""

    request_id: int | str | None
    ok: bool
    result: object = None
    error_code: int | None = None
    error_msg: str = ""


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A frame that could not be understood. Counted and logged, never fatal.

    ``reason`` is one line and may quote (a shortened) part of the frame; ``kind`` is its
    category without any such value (``"b: bad decimal"``, ``"invalid JSON"``), which the
    workers log once each: hostile frames can vary without end, their kinds cannot.
    """

    reason: str
    stream: str | None = None
    kind: str = ""

    @property
    def category(self) -> str:
        """``kind``, or the reason itself for a frame built without one."""
        return self.kind or self.reason


@dataclass(frozen=True, slots=True)
class Ignored:
    """A well-formed frame of a kind tuimon does not use (unknown ``e``, newer stream types)."""

    kind: str


MarketEvent = (
    MiniTicker | Kline | DepthDiff | Trade | BookTicker | ServerShutdown | MarkPrice | Liquidation
)
Frame = MarketEvent | ControlReply | BadFrame | Ignored | list[MiniTicker] | list[MarkPrice]


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """What exchangeInfo says about one symbol that a monitor needs."""

    symbol: str
    status: str
    base_asset: str
    quote_asset: str
    tick_size: Decimal
    step_size: Decimal
    contract_size: Decimal | None = None
    """COIN-M: quote-asset value of one contract (quantities are contracts there)."""

    @property
    def trading(self) -> bool:
        """Unknown statuses count as "not trading" (new values appeared in 2026)."""
        return self.status == "TRADING"


@dataclass(frozen=True, slots=True)
class Ticker24h:
    """REST ``ticker/24hr`` row; used to seed the grid and rank default watchlists."""

    symbol: str
    close: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    volume: Decimal
    quote_volume: Decimal
    close_time: int
