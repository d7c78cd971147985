"""Symbol search: type to filter every symbol of the market, enter to watch and select it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

MAX_RESULTS = 50


def search_symbols(
    query: str, symbols: Iterable[str], watched: Iterable[str] = (), limit: int = MAX_RESULTS
) -> list[str]:
    """Symbols matching ``query``, best first.

    Order: an exact match, then prefix matches (watched ones first, short before long), then
    symbols containing the query. An empty query lists the watchlist, then the whole market.
    """
    needle = query.strip().upper()
    every = sorted(symbols)
    watched_set = set(watched)
    if not needle:
        known = set(every)
        watched_list = [s for s in watched if s in known]
        return [*watched_list, *(s for s in every if s not in watched_set)][:limit]
    prefix = [s for s in every if s.startswith(needle)]
    inner = [s for s in every if needle in s and not s.startswith(needle)]
    prefix.sort(key=lambda s: (s != needle, s not in watched_set, len(s), s))
    inner.sort(key=lambda s: (s not in watched_set, len(s), s))
    return [*prefix, *inner][:limit]


class SearchScreen(ModalScreen[str | None]):
    """Modal search over ``store.symbols``; dismisses with the chosen symbol or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close search", show=False),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("enter", "choose", show=False, priority=True),
    ]

    def __init__(self, symbols: Iterable[str], watched: Iterable[str]) -> None:
        super().__init__(id="search")
        self.symbols = sorted(symbols)
        self.watched = list(watched)
        self.results: list[str] = []

    def compose(self) -> ComposeResult:
        """Input, result list, count."""
        with Vertical(id="search-box"):
            yield Static("Add / select a symbol", id="search-title")
            yield Input(placeholder="type a symbol, e.g. ETH", id="search-input")
            yield OptionList(id="search-results")
            yield Static("", id="search-count", markup=False)

    def on_mount(self) -> None:
        """Start with the watchlist, then the whole market."""
        self._refill("")
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._refill(event.value)

    def _refill(self, query: str) -> None:
        self.results = search_symbols(query, self.symbols, self.watched)
        watched = set(self.watched)
        results = self.query_one("#search-results", OptionList)
        results.clear_options()
        results.add_options(
            Option(f"{'✓' if s in watched else ' '} {s}", id=s) for s in self.results
        )
        if self.results:
            results.highlighted = 0
        total = len(self.symbols)
        count = f"{len(self.results)} of {total} · enter: watch & select · esc: close"
        if not total:
            count = "no symbols loaded yet (exchangeInfo pending)"
        self.query_one("#search-count", Static).update(count, layout=False)

    def action_move(self, delta: int) -> None:
        """Move the highlight while typing."""
        results = self.query_one("#search-results", OptionList)
        if not self.results:
            return
        current = results.highlighted or 0
        results.highlighted = max(0, min(len(self.results) - 1, current + delta))

    def action_choose(self) -> None:
        """Watch and select the highlighted symbol."""
        results = self.query_one("#search-results", OptionList)
        index = results.highlighted
        if index is None or not self.results:
            self.app.bell()
            return
        self.dismiss(self.results[index])

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Close without a choice."""
        self.dismiss(None)
