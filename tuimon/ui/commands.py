"""Command-palette provider: watch any symbol of the market, switch interval, sort."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tuimon.ui.app import TuimonApp

MAX_HITS = 40


MARKETS = (("spot", "spot"), ("usdm", "USDⓈ-M"), ("coinm", "COIN-M"))
SCREENER = "Screener: the whole market"
MARKET_HELP = "Switch market without restarting (key m cycles spot → USDⓈ-M → COIN-M)"
SCREENER_HELP = "Every symbol from !miniTicker@arr: sort, filter, Enter watches (key e)"


class SymbolCommands(Provider):
    """``Watch ETHUSDT`` for every symbol in exchangeInfo, the screener, plus intervals."""

    @property
    def tuimon(self) -> TuimonApp:
        """The app, typed."""
        from tuimon.ui.app import TuimonApp

        app = self.app
        assert isinstance(app, TuimonApp)
        return app

    def _markets(self) -> list[tuple[str, str]]:
        """("usdm", "Market: USDⓈ-M") for every market but the current one."""
        current = self.tuimon.store.market
        return [(m, f"Market: {label}") for m, label in MARKETS if m != current]

    async def discover(self) -> Hits:
        """A few useful commands before anything is typed."""
        app = self.tuimon
        yield DiscoveryHit(SCREENER, app.action_screener, help=SCREENER_HELP)
        for market, text in self._markets():
            yield DiscoveryHit(text, partial(app.switch_market, market), help=MARKET_HELP)
        for interval in app.INTERVALS:
            yield DiscoveryHit(
                f"Interval {interval}",
                partial(app.set_interval_to, interval),
                help="Kline interval of the sparkline",
            )

    async def search(self, query: str) -> Hits:
        """Symbols first (prefix matches score highest), then intervals."""
        app = self.tuimon
        needle = query.strip().upper()
        matcher = self.matcher(query)
        hits = 0
        if needle:
            watched = set(app.watchlist)
            for symbol in sorted(app.store.symbols):
                if needle not in symbol:
                    continue
                score = 1.0 if symbol == needle else 0.9 if symbol.startswith(needle) else 0.5
                verb = "Select" if symbol in watched else "Watch"
                text = f"{verb} {symbol}"
                yield Hit(
                    score - len(symbol) / 1000,
                    matcher.highlight(text),
                    partial(app.add_symbol, symbol),
                    text=text,
                    help="in the watchlist" if symbol in watched else "add to the watchlist",
                )
                hits += 1
                if hits >= MAX_HITS:
                    break
        for market, text in self._markets():
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    partial(app.switch_market, market),
                    text=text,
                    help=MARKET_HELP,
                )
        score = matcher.match(SCREENER)
        if score > 0:
            yield Hit(
                score,
                matcher.highlight(SCREENER),
                app.action_screener,
                text=SCREENER,
                help=SCREENER_HELP,
            )
        for interval in app.INTERVALS:
            text = f"Interval {interval}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(app.set_interval_to, interval))
