"""Your open orders where the price is: a marker per ladder level (issue 13 §2).

Kept apart from the ladder's drawing code: the ladder asks :func:`own_levels` once per rebuild
and draws :func:`marker_text` in the empty part of a level's row. Without keys (the account is
disabled) there is nothing here, so the ladder is exactly what it was.
"""

from __future__ import annotations

from decimal import Decimal

from tuimon.store import Store
from tuimon.ui.format import fmt_qty

MARKER = "◆"


def own_levels(store: Store, symbol: str | None) -> dict[Decimal, tuple[str, Decimal]]:
    """Per price, the side(s) and remaining quantity of your open orders on ``symbol``.

    Orders at one price add up; a price with a buy and a sell (possible on futures hedge
    mode) shows ``BS`` and the sum. Stop orders without a limit price (0) are not on the book.
    """
    account = store.account
    if symbol is None or not account.enabled or not account.orders:
        return {}
    levels: dict[Decimal, tuple[str, Decimal]] = {}
    for order in account.orders.values():
        if order.symbol != symbol or not order.price or not order.is_open:
            continue
        remaining = order.orig_qty - order.executed_qty
        if remaining <= 0:
            continue
        side = "B" if order.side == "BUY" else "S"
        known = levels.get(order.price)
        if known is not None:
            sides = known[0] if side in known[0] else "".join(sorted(known[0] + side))
            levels[order.price] = (sides, known[1] + remaining)
        else:
            levels[order.price] = (side, remaining)
    return levels


def marker_text(own: tuple[str, Decimal], qty_places: int, room: int) -> str:
    """``◆B 0.0075`` fitted to ``room`` cells (the quantity goes first, the marker never)."""
    side, remaining = own
    full = f"{MARKER}{side} {fmt_qty(remaining, qty_places, max(1, room - len(side) - 2))}"
    if len(full) <= room:
        return full
    short = f"{MARKER}{side}"
    return short if len(short) <= room else MARKER
