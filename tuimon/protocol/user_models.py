"""Typed records of the private (user data) side: orders, fills, balances, positions, events.

Amounts are :class:`~decimal.Decimal` from the exchange's strings. Unlike market data, several
are signed (position amounts, PnL, balance deltas). Every record is frozen: user events are rare
(a handful per second at most), so immutability costs nothing here.

Versions: each order, balance and position carries the exchange time of the state it
describes, which is what reconciliation after a reconnect compares (reference §6.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

TERMINAL_STATUSES = frozenset(
    {"FILLED", "CANCELED", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH", "PENDING_CANCEL"}
)
"""Order statuses that take an order off the open list. ``PENDING_CANCEL`` is documented as
unused on spot; if it ever appears the order is on its way out, and REST reconciliation would
bring it back were that wrong."""


@dataclass(frozen=True, slots=True)
class Order:
    """One order's state, from an execution event or an open-orders REST row."""

    market: str
    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    stop_price: Decimal
    orig_qty: Decimal
    executed_qty: Decimal
    cum_quote: Decimal
    status: str
    created_ms: int
    """Order creation time (spot ``O``/``time``; futures REST ``time``, else first event ``T``)."""
    update_ms: int
    """Exchange time of this state (event ``T``, REST ``updateTime``)."""
    position_side: str = ""
    reduce_only: bool = False

    @property
    def is_open(self) -> bool:
        """Still working (NEW, PARTIALLY_FILLED, PENDING_NEW or an unknown non-final status)."""
        return self.status not in TERMINAL_STATUSES

    @property
    def filled_fraction(self) -> Decimal:
        """Executed / original quantity (0 for a zero-quantity order)."""
        if not self.orig_qty:
            return Decimal(0)
        return self.executed_qty / self.orig_qty

    @property
    def version(self) -> tuple[Decimal, int, int]:
        """Order of states: cumulative fill, then time, then open-before-final.

        The cumulative quantity only grows, so it decides first; a cancel after the last fill
        has the same fill and a later (or, within one millisecond, the same) time, and the final
        status ranks above an open one.
        """
        return (self.executed_qty, self.update_ms, 0 if self.is_open else 1)


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """``executionReport`` (spot) or ``ORDER_TRADE_UPDATE`` (futures)."""

    order: Order
    event_time: int
    exec_type: str
    last_qty: Decimal
    last_price: Decimal
    commission: Decimal
    commission_asset: str
    trade_id: int
    maker: bool
    realized_pnl: Decimal | None = None

    @property
    def is_fill(self) -> bool:
        """This event reports a fill (TRADE/CALCULATED with a non-zero last quantity)."""
        return self.exec_type in ("TRADE", "CALCULATED") and self.last_qty > 0


@dataclass(frozen=True, slots=True)
class Fill:
    """One of the account's trades, as shown in "recent fills"."""

    market: str
    symbol: str
    order_id: int
    trade_id: int
    side: str
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    maker: bool


@dataclass(frozen=True, slots=True)
class Balance:
    """A spot asset: free and locked (in open orders) amounts."""

    asset: str
    free: Decimal
    locked: Decimal
    update_ms: int

    @property
    def total(self) -> Decimal:
        """Free plus locked."""
        return self.free + self.locked


@dataclass(frozen=True, slots=True)
class MarginBalance:
    """A futures margin asset: wallet balance and cross wallet balance."""

    asset: str
    wallet: Decimal
    cross_wallet: Decimal
    update_ms: int

    @property
    def total(self) -> Decimal:
        """The wallet balance."""
        return self.wallet


@dataclass(frozen=True, slots=True)
class Position:
    """A futures position; ``amount`` is signed (negative = short in one-way mode)."""

    symbol: str
    position_side: str
    amount: Decimal
    entry_price: Decimal
    break_even_price: Decimal | None
    mark_price: Decimal | None
    unrealized_pnl: Decimal
    margin_type: str
    update_ms: int


@dataclass(frozen=True, slots=True)
class SpotBalances:
    """``outboundAccountPosition``: absolute balances of the assets one account change touched."""

    event_time: int
    update_ms: int
    balances: tuple[Balance, ...]


@dataclass(frozen=True, slots=True)
class BalanceDelta:
    """``balanceUpdate``: a deposit, withdrawal or transfer (a delta, followed by an
    ``outboundAccountPosition`` with the absolute result)."""

    event_time: int
    asset: str
    delta: Decimal
    clear_ms: int


@dataclass(frozen=True, slots=True)
class FuturesAccountUpdate:
    """``ACCOUNT_UPDATE``: changed margin balances and changed positions (absolute values)."""

    event_time: int
    transaction_time: int
    reason: str
    balances: tuple[MarginBalance, ...]
    positions: tuple[Position, ...]


@dataclass(frozen=True, slots=True)
class TradeLite:
    """``TRADE_LITE``: a low-latency copy of a fill; ``ORDER_TRADE_UPDATE`` carries the same."""

    event_time: int
    symbol: str
    order_id: int
    client_order_id: str
    side: str
    price: Decimal
    qty: Decimal
    last_price: Decimal
    last_qty: Decimal
    trade_id: int
    maker: bool


@dataclass(frozen=True, slots=True)
class AlgoUpdate:
    """``ALGO_UPDATE``: a conditional (algo) order changed; shown nowhere yet, parsed safely."""

    event_time: int
    symbol: str
    algo_id: int
    client_algo_id: str
    algo_type: str
    order_type: str
    side: str
    status: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class ListenKeyExpired:
    """USDⓈ-M ``listenKeyExpired``: the stream has stopped; create a key, reconnect, reconcile."""

    event_time: int
    listen_key: str


@dataclass(frozen=True, slots=True)
class StreamTerminated:
    """Spot WS API ``eventStreamTerminated``: the subscription ended; resubscribe."""

    event_time: int


@dataclass(frozen=True, slots=True)
class WsApiReply:
    """A WebSocket API response: ``status`` 200 with ``result``, or an error code/message."""

    request_id: int | str | None
    status: int
    result: object = None
    error_code: int | None = None
    error_msg: str = ""

    @property
    def ok(self) -> bool:
        """The request succeeded."""
        return self.status == 200 and self.error_code is None


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """What REST says right now: open orders, balances and (futures) positions."""

    market: str
    orders: tuple[Order, ...]
    balances: tuple[Balance | MarginBalance, ...]
    balances_ms: int
    """Spot: the account's ``updateTime`` (all balances are at least this new). Futures: 0."""
    positions: tuple[Position, ...] | None = None
    taken_ms: int = 0
    """Server time (offset-corrected) when the REST queries were sent."""


UserEvent = (
    OrderUpdate
    | SpotBalances
    | BalanceDelta
    | FuturesAccountUpdate
    | TradeLite
    | AlgoUpdate
    | ListenKeyExpired
    | StreamTerminated
)


__all__ = [
    "TERMINAL_STATUSES",
    "AccountSnapshot",
    "AlgoUpdate",
    "Balance",
    "BalanceDelta",
    "Fill",
    "FuturesAccountUpdate",
    "ListenKeyExpired",
    "MarginBalance",
    "Order",
    "OrderUpdate",
    "Position",
    "SpotBalances",
    "StreamTerminated",
    "TradeLite",
    "UserEvent",
    "WsApiReply",
]
