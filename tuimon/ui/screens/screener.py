"""Screener: every symbol of the market from ``!miniTicker@arr``, sorted and filtered.

A full screen (400+ rows need the whole terminal). The app streams ``!miniTicker@arr`` only
while this screen is open and hands it each frame's dirty topics (:meth:`flush`); the table
re-reads the store only when the market topic changed. Enter watches and selects the symbol
under the cursor and returns to the main screen with it selected.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tuimon.store import Store
from tuimon.ui.screener_rows import SORTS, quote_assets
from tuimon.ui.widgets.screener_table import ScreenerTable


class ScreenerScreen(Screen[str | None]):
    """Whole-market screener; dismisses with the chosen symbol (None: closed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("r", "reverse", "Reverse"),
        Binding("u", "cycle_quote", "Quote"),
        Binding("slash", "filter", "Filter"),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__(id="screener")
        self.store = store
        self.table = ScreenerTable(store, id="screener-table")
        self.status = Static("", id="screener-status", markup=False)
        self.filter = Input(
            placeholder="/ filter by symbol or asset, e.g. ETH", id="screener-filter"
        )

    def compose(self) -> ComposeResult:
        """Status line, filter, table, footer with this screen's keys."""
        yield self.status
        yield self.filter
        yield self.table
        yield Footer()

    def on_mount(self) -> None:
        """Show what the store has; the table takes the keys."""
        self.table.focus()
        self.flush(set())

    def flush(self, dirty: set[str]) -> None:
        """One frame (called by the app's frame timer while this screen is on top)."""
        self.table.flush(dirty)
        self._describe()

    def _describe(self) -> None:
        text = f"Screener {self.store.market} · {self.table.describe()}"
        if not self.store.market_tickers:
            text = f"Screener {self.store.market} · waiting for !miniTicker@arr…"
        self.status.update(text, layout=False)

    # ------------------------------------------------------------------ actions

    def action_close(self) -> None:
        """Back to the main screen (the app unsubscribes ``!miniTicker@arr``)."""
        if self.focused is self.filter:
            self.table.focus()  # escape in the filter leaves the filter first
            return
        self.dismiss(None)

    def action_cycle_sort(self) -> None:
        """24 h change → quote volume → range → 24 h change."""
        sort = SORTS[(SORTS.index(self.table.sort) + 1) % len(SORTS)]
        self.table.set_view(sort=sort)
        self._describe()

    def action_reverse(self) -> None:
        """Flip the sort direction."""
        self.table.set_view(descending=not self.table.descending)
        self._describe()

    def action_cycle_quote(self) -> None:
        """All quote assets → the most common one → the next → … → all."""
        quotes: list[str | None] = [None, *quote_assets(self.store.symbols)]
        current = self.table.quote if self.table.quote in quotes else None
        self.table.set_view(quote=quotes[(quotes.index(current) + 1) % len(quotes)])
        self._describe()

    def action_filter(self) -> None:
        """Type to filter by symbol; enter or escape returns to the table."""
        self.filter.focus()

    @on(Input.Changed, "#screener-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_view(text=event.value)
        self._describe()

    @on(Input.Submitted, "#screener-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    @on(ScreenerTable.Chosen)
    def _chosen(self, event: ScreenerTable.Chosen) -> None:
        self.dismiss(event.symbol)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letters go to the filter while it has focus."""
        letters = ("cycle_sort", "reverse", "cycle_quote", "filter")
        return not (self.focused is self.filter and action in letters)


__all__ = ["ScreenerScreen"]
