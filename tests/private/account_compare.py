"""Account views compared by value, with nothing heavy imported.

The soak's client process imports this: pulling in private_helpers (the simulator, aiohttp) at
the end of a soak added ~11 MB to the client RSS it was measuring.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def normalized(view: dict[str, Any]) -> dict[str, Any]:
    """Compare by value: "0.50000000" and "0.5" are the same amount."""
    return {
        "balances": {
            asset: {k: Decimal(v) for k, v in amounts.items()}
            for asset, amounts in view["balances"].items()
        },
        "open_orders": sorted(
            (o["symbol"], o["order_id"], o["client_order_id"], o["side"], o["type"],
             Decimal(o["price"]), Decimal(o["orig_qty"]), Decimal(o["executed_qty"]), o["status"])
            for o in view["open_orders"]
        ),
        "positions": sorted(
            (p["symbol"], p["position_side"], Decimal(p["amount"]), Decimal(p["entry_price"]),
             Decimal(p["unrealized_pnl"]))
            for p in view["positions"]
        ),
    }
