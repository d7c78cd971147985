"""The account: open orders, recent fills, balances and futures positions of one market.

Same style as :class:`~tuimon.store.store.Store`: the user-data worker calls the mutators, every
change marks ``topics.ACCOUNT`` (through the ``mark`` callback, so the main Store's readers see
it), readers read plain state. No mutator awaits, so readers always see whole updates.

Reconciliation (reference §6.4) rests on two facts. Every event the account store uses carries
*absolute* state (an order's cumulative fill and status, an asset's balance, a position's
amount); and each carries the exchange time of that state. So after a (re)connect the worker
subscribes first, buffers events, loads REST, and :meth:`AccountStore.reconcile` replaces the
state with the REST view and then replays the buffer through the same version check as live
events: anything not newer than what REST said is skipped, anything newer wins. Events are
per-key ordered on one connection, so the result equals the exchange's state whichever side of
the REST query an event fell on, and a replayed or duplicated event changes nothing.
``balanceUpdate`` is the one delta; it is never applied (the ``outboundAccountPosition`` that
follows it carries the absolute balance), so it can never be counted twice.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from tuimon.clock import Clock, SystemClock
from tuimon.protocol.user_models import (
    AccountSnapshot,
    Balance,
    BalanceDelta,
    Fill,
    FuturesAccountUpdate,
    MarginBalance,
    Order,
    OrderUpdate,
    Position,
    SpotBalances,
    UserEvent,
)
from tuimon.store import topics
from tuimon.store.waiters import Waiters

OrderVersion = tuple[Decimal, int, int]


@dataclass(slots=True)
class AccountStats:
    """Counters for the health line and tests."""

    events: int = 0
    stale_skipped: int = 0
    reconciles: int = 0
    bad_frames: int = 0
    reconnects: int = 0
    balance_deltas: int = 0
    replayed: int = 0
    """Buffered events applied on top of a REST snapshot (as new as it or newer)."""
    replay_skipped: int = 0
    """Buffered events older than the REST snapshot (or carrying nothing to apply)."""


class AccountStore:
    """Private state of one market (``spot`` or ``usdm``).

    Args:
        market: ``spot`` or ``usdm``.
        mark: called with ``topics.ACCOUNT`` on every change (plug in ``Store.mark``).
        clock: for order ages.
        max_fills: recent fills kept, newest first.
    """

    def __init__(
        self,
        market: str,
        *,
        mark: Callable[[str], None] | None = None,
        clock: Clock | None = None,
        max_fills: int = 100,
        max_closed: int = 5000,
    ) -> None:
        self.market = market
        self.futures = market != "spot"
        self.clock: Clock = clock or SystemClock()
        self.enabled = True
        """False when no keys are configured; ``status`` then says how to add them."""
        self.status = "connecting"
        self.connected = False
        self.live = False
        """Connected and reconciled: the pane may present the state as current."""
        self.orders: dict[int, Order] = {}
        self.balances: dict[str, Balance | MarginBalance] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.fills: list[Fill] = []
        """Newest first."""
        self.stats = AccountStats()
        self.reconciled_ms = 0
        self.buffered = 0
        """Events waiting for the REST snapshot of a reconciliation in progress."""
        self._mark = mark
        self._max_fills = max_fills
        self._max_closed = max_closed
        self._fill_keys: set[tuple[str, int, int]] = set()
        self._closed: OrderedDict[int, OrderVersion] = OrderedDict()
        self._balance_versions: dict[str, int] = {}
        self._balance_floor = 0
        self._position_versions: dict[tuple[str, str], int] = {}
        self._waiters: Waiters[AccountStore] = Waiters()

    # ------------------------------------------------------------------ change tracking

    def _changed(self) -> None:
        if self._mark is not None:
            self._mark(topics.ACCOUNT)
        if self._waiters:
            self._waiters.wake(self)

    async def wait_until(self, predicate: Callable[[AccountStore], bool], within: float) -> bool:
        """Wait (re-checked on every change) until ``predicate(self)``; False after ``within`` s."""
        return await self._waiters.wait_until(self, predicate, within)

    # ------------------------------------------------------------------ status

    def disable(self, reason: str) -> None:
        """No (usable) keys: the account view is off and ``status`` says why / what to do."""
        self.enabled = False
        self.connected = False
        self.live = False
        self.status = reason
        self._changed()

    def set_connection(self, connected: bool, status: str = "") -> None:
        """The user-data connection came up or went down (with a one-line reason)."""
        if connected and not self.connected and self.stats.reconciles:
            self.stats.reconnects += 1
        self.connected = connected
        if not connected:
            self.live = False
        if status:
            self.status = status
        self._changed()

    def set_status(self, text: str) -> None:
        """Latest one-line account problem or state, for the pane."""
        self.status = text
        self._changed()

    def note_buffered(self, count: int) -> None:
        """Events held back while a reconciliation's REST queries run (0 once applied)."""
        self.buffered = count
        self._changed()

    def note_bad_frame(self, reason: str) -> None:
        """A private frame that did not parse (counted; the reason is in the log)."""
        self.stats.bad_frames += 1
        self._changed()

    # ------------------------------------------------------------------ events

    def apply(self, event: UserEvent) -> bool:
        """Apply one live (or replayed) event; returns True when the state changed."""
        self.stats.events += 1
        if isinstance(event, OrderUpdate):
            changed = self._apply_order(event)
        elif isinstance(event, SpotBalances):
            changed = self._apply_spot_balances(event.balances)
        elif isinstance(event, FuturesAccountUpdate):
            changed = self._apply_futures(event)
        elif isinstance(event, BalanceDelta):
            # A delta; the outboundAccountPosition that follows carries the absolute balance.
            self.stats.balance_deltas += 1
            changed = False
        else:
            changed = False  # TRADE_LITE duplicates ORDER_TRADE_UPDATE; the rest is control
        if changed:
            self._changed()
        return changed

    def _apply_order(self, event: OrderUpdate) -> bool:
        order = event.order
        known = self.orders.get(order.order_id)
        if event.is_fill:
            self._add_fill(event)
        if known is not None:
            if order.version < known.version:
                self.stats.stale_skipped += 1
                return False
            # Futures events carry no creation time; the first sighting (or REST) does.
            order = replace(order, created_ms=min(known.created_ms, order.created_ms))
        else:
            closed = self._closed.get(order.order_id)
            if closed is not None and order.version <= closed:
                self.stats.stale_skipped += 1
                return False
        if order.is_open:
            self.orders[order.order_id] = order
        else:
            self.orders.pop(order.order_id, None)
            self._remember_closed(order.order_id, order.version)
        return True

    def _remember_closed(self, order_id: int, version: OrderVersion) -> None:
        self._closed[order_id] = version
        self._closed.move_to_end(order_id)
        while len(self._closed) > self._max_closed:
            self._closed.popitem(last=False)

    def _add_fill(self, event: OrderUpdate) -> None:
        order = event.order
        key = (order.symbol, order.order_id, event.trade_id)
        if key in self._fill_keys:
            return
        fill = Fill(
            market=order.market,
            symbol=order.symbol,
            order_id=order.order_id,
            trade_id=event.trade_id,
            side=order.side,
            price=event.last_price,
            qty=event.last_qty,
            commission=event.commission,
            commission_asset=event.commission_asset,
            time_ms=order.update_ms,
            maker=event.maker,
        )
        # Newest first; a replayed older fill goes where its time puts it.
        keys = [-f.time_ms for f in self.fills]
        self.fills.insert(bisect.bisect_right(keys, -fill.time_ms), fill)
        self._fill_keys.add(key)
        while len(self.fills) > self._max_fills:
            old = self.fills.pop()
            self._fill_keys.discard((old.symbol, old.order_id, old.trade_id))

    def _balance_version(self, asset: str) -> int:
        return self._balance_versions.get(asset, self._balance_floor)

    def _apply_spot_balances(self, balances: Iterable[Balance]) -> bool:
        changed = False
        for balance in balances:
            if balance.update_ms < self._balance_version(balance.asset):
                self.stats.stale_skipped += 1
                continue
            self._balance_versions[balance.asset] = balance.update_ms
            self._set_balance(balance)
            changed = True
        return changed

    def _set_balance(self, balance: Balance | MarginBalance) -> None:
        if isinstance(balance, Balance):
            zero = not balance.free and not balance.locked
        else:
            zero = not balance.wallet and not balance.cross_wallet
        if zero:
            self.balances.pop(balance.asset, None)
        else:
            self.balances[balance.asset] = balance

    def _apply_futures(self, event: FuturesAccountUpdate) -> bool:
        changed = False
        for balance in event.balances:
            if balance.update_ms < self._balance_version(balance.asset):
                self.stats.stale_skipped += 1
                continue
            self._balance_versions[balance.asset] = balance.update_ms
            self._set_balance(balance)
            changed = True
        for position in event.positions:
            key = (position.symbol, position.position_side)
            if position.update_ms < self._position_versions.get(key, 0):
                self.stats.stale_skipped += 1
                continue
            self._position_versions[key] = position.update_ms
            self._set_position(key, position)
            changed = True
        return changed

    def _set_position(self, key: tuple[str, str], position: Position) -> None:
        if not position.amount:
            self.positions.pop(key, None)
            return
        known = self.positions.get(key)
        if position.mark_price is None and known is not None and known.mark_price is not None:
            # ACCOUNT_UPDATE has no mark price: keep the last one known.
            position = replace(position, mark_price=known.mark_price)
        self.positions[key] = position

    # ------------------------------------------------------------------ reconciliation

    def reconcile(self, snapshot: AccountSnapshot, buffered: Iterable[UserEvent] = ()) -> None:
        """Replace the state with REST's, then replay the events buffered since subscribing.

        Orders REST does not list are gone (filled or cancelled while we were away), unless a
        buffered event newer than the snapshot says otherwise.
        """
        self.orders = {o.order_id: o for o in snapshot.orders if o.is_open}
        for order_id in self.orders:
            self._closed.pop(order_id, None)
        self.balances = {}
        self._balance_versions = {}
        self._balance_floor = snapshot.balances_ms
        for balance in snapshot.balances:
            self._balance_versions[balance.asset] = max(balance.update_ms, snapshot.balances_ms)
            self._set_balance(balance)
        if snapshot.positions is not None:
            self.positions = {}
            self._position_versions = {}
            for position in snapshot.positions:
                key = (position.symbol, position.position_side)
                self._position_versions[key] = position.update_ms
                self._set_position(key, position)
        for event in buffered:
            if self.apply(event):
                self.stats.replayed += 1
            else:
                self.stats.replay_skipped += 1
        self.stats.reconciles += 1
        self.buffered = 0
        self.reconciled_ms = snapshot.taken_ms
        self.live = self.connected
        self._changed()

    def set_resyncing(self, status: str) -> None:
        """The stream lost events while its socket stays up (the subscription ended): not live
        until the next reconcile."""
        self.live = False
        self.status = status
        self._changed()

    def set_live(self, text: str = "live") -> None:
        """Reconciled and streaming."""
        self.live = self.connected
        self.status = text
        self._changed()

    # ------------------------------------------------------------------ market data hook

    def set_mark_price(self, symbol: str, price: Decimal) -> None:
        """A mark price from the market feed: refresh that symbol's positions' unrealized PnL.

        PnL = amount × (mark − entry), which is Binance's formula for linear (USDⓈ-M) contracts.
        """
        changed = False
        for key, position in self.positions.items():
            if position.symbol != symbol or position.mark_price == price:
                continue
            pnl = position.amount * (price - position.entry_price)
            self.positions[key] = replace(position, mark_price=price, unrealized_pnl=pnl)
            changed = True
        if changed:
            self._changed()

    # ------------------------------------------------------------------ views

    def open_orders(self) -> list[Order]:
        """Open orders, oldest first."""
        return sorted(self.orders.values(), key=lambda o: (o.created_ms, o.order_id))

    def order_age_s(self, order: Order) -> float:
        """Seconds since the order was created (by this machine's clock)."""
        return max(0.0, (self.clock.wall_ms() - order.created_ms) / 1000)

    def non_zero_balances(self) -> list[Balance | MarginBalance]:
        """Balances with anything in them, by asset."""
        return [self.balances[a] for a in sorted(self.balances)]

    def position_list(self) -> list[Position]:
        """Open positions, by symbol."""
        return [self.positions[k] for k in sorted(self.positions)]


def dec(value: Decimal | None) -> str | None:
    """Decimal → plain string (never exponent form, which JSON consumers misread)."""
    if value is None:
        return None
    text = format(value, "f")
    return "0" if text in ("-0", "0") else text


def account_json(account: AccountStore) -> dict[str, Any]:
    """The ``"account"`` object of ``tuimon snapshot --private`` (decimal strings).

    Spot balances are ``{"free", "locked"}``; USDⓈ-M margin balances are
    ``{"wallet", "cross_wallet"}`` (Binance reports no free/locked split for them).
    """
    balances: dict[str, dict[str, str | None]] = {}
    for balance in account.non_zero_balances():
        if isinstance(balance, Balance):
            balances[balance.asset] = {"free": dec(balance.free), "locked": dec(balance.locked)}
        else:
            balances[balance.asset] = {
                "wallet": dec(balance.wallet),
                "cross_wallet": dec(balance.cross_wallet),
            }
    orders = [
        {
            "symbol": o.symbol,
            "order_id": o.order_id,
            "client_order_id": o.client_order_id,
            "side": o.side,
            "type": o.type,
            "price": dec(o.price),
            "orig_qty": dec(o.orig_qty),
            "executed_qty": dec(o.executed_qty),
            "status": o.status,
        }
        for o in sorted(account.orders.values(), key=lambda o: (o.symbol, o.order_id))
    ]
    positions = [
        {
            "symbol": p.symbol,
            "position_side": p.position_side,
            "amount": dec(p.amount),
            "entry_price": dec(p.entry_price),
            "mark_price": dec(p.mark_price),
            "unrealized_pnl": dec(p.unrealized_pnl),
        }
        for p in account.position_list()
    ]
    return {
        "enabled": account.enabled,
        "live": account.live,
        "status": account.status,
        "balances": balances,
        "open_orders": orders,
        "positions": positions,
    }


__all__ = ["AccountStats", "AccountStore", "account_json", "dec"]
