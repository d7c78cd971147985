"""Orders and balances pane: laid out now, filled by the private-data work later."""

from __future__ import annotations

from textual.widgets import Static

PLACEHOLDER = (
    "Orders & balances\n"
    "Private data: not connected.\n"
    "Set BINANCE_API_KEY and BINANCE_API_SECRET (coming soon)."
)


class OrdersPane(Static, can_focus=True):
    """Honest placeholder for open orders and balances."""

    DEFAULT_CSS = """
    OrdersPane { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(PLACEHOLDER, id=id, markup=False)
