"""Alert metrics read from the Store: exact Decimals (or None when the data is not there).

None means "not known now" (no ticker yet, a book that is not live, too little history for a
move window): a rule is then neither true nor false, so it neither fires nor re-arms. A book that
is not live is never used: an alert on a stale spread would be the silent staleness tuimon
exists to avoid.
"""

from __future__ import annotations

import bisect
from collections import deque
from decimal import Decimal

from tuimon.alerts.rules import MOVE_WINDOWS, Metric, Rule
from tuimon.store import Store

IMBALANCE_BPS = Decimal(10)
"""``imbalance`` counts the notional within this many basis points of the mid."""
_BPS = Decimal(10_000)
_HUNDRED = Decimal(100)
HISTORY_MS = max(MOVE_WINDOWS.values()) + 120_000
"""Price samples kept per symbol: the longest window plus two minutes of slack."""


class PriceHistory:
    """(time ms, price) samples of one symbol, oldest first, bounded to :data:`HISTORY_MS`."""

    def __init__(self) -> None:
        self.times: deque[int] = deque()
        self.prices: deque[Decimal] = deque()

    def add(self, time_ms: int, price: Decimal) -> None:
        if self.times and time_ms <= self.times[-1]:
            if time_ms == self.times[-1]:
                self.prices[-1] = price
            return  # older than what we have: the ticker's own event-time order wins
        self.times.append(time_ms)
        self.prices.append(price)
        horizon = time_ms - HISTORY_MS
        while len(self.times) > 1 and self.times[1] <= horizon:
            self.times.popleft()
            self.prices.popleft()

    def seed(self, samples: list[tuple[int, Decimal]]) -> None:
        """Older samples (e.g. 1m kline closes from REST) before the live ones."""
        first = self.times[0] if self.times else None
        older = sorted(s for s in samples if first is None or s[0] < first)
        for time_ms, price in reversed(older):
            self.times.appendleft(time_ms)
            self.prices.appendleft(price)

    def at(self, time_ms: int) -> Decimal | None:
        """The price at ``time_ms``: the last sample at or before it (None if none is)."""
        index = bisect.bisect_right(self.times, time_ms) - 1
        return self.prices[index] if index >= 0 else None


def _mid_and_top(store: Store, symbol: str) -> tuple[Decimal, Decimal, Decimal] | None:
    if store.book_freshness(symbol) != "live":
        return None
    book = store.books[symbol].book
    bid, ask = book.best_bid(), book.best_ask()
    if bid is None or ask is None:
        return None
    return (bid[0] + ask[0]) / 2, bid[0], ask[0]


def spread_bps(store: Store, symbol: str) -> Decimal | None:
    top = _mid_and_top(store, symbol)
    if top is None or not top[0]:
        return None
    mid, bid, ask = top
    return ((ask - bid) / mid * _BPS).quantize(Decimal("0.01"))


def imbalance(store: Store, symbol: str) -> Decimal | None:
    """(bid notional - ask notional) / (sum), within :data:`IMBALANCE_BPS` of the mid."""
    top = _mid_and_top(store, symbol)
    if top is None:
        return None
    mid = top[0]
    low = mid * (1 - IMBALANCE_BPS / _BPS)
    high = mid * (1 + IMBALANCE_BPS / _BPS)
    book = store.books[symbol].book
    bids = sum((p * q for p, q in book.bids(500) if p >= low), Decimal(0))
    asks = sum((p * q for p, q in book.asks(500) if p <= high), Decimal(0))
    total = bids + asks
    if not total:
        return None
    return ((bids - asks) / total).quantize(Decimal("0.0001"))


def stale_seconds(store: Store, symbol: str) -> Decimal:
    """Age of the symbol's freshest data we hold: its book's last diff when the book is watched,
    else its ticker's event time; since start when nothing ever came."""
    now_ms = store.clock.wall_ms()
    age_of_book = getattr(store, "book_age", None)
    if symbol in store.books and age_of_book is not None:
        age = age_of_book(symbol)
        if age is not None:
            return Decimal(f"{age:.1f}")
    ticker = store.tickers.get(symbol)
    if ticker is not None:
        return Decimal(max(0, now_ms - ticker.event_time)) / 1000
    started = store.clock.monotonic() - store.health.started_mono
    return Decimal(f"{max(0.0, started):.1f}")


def change_pct(store: Store, symbol: str) -> Decimal | None:
    ticker = store.tickers.get(symbol)
    if ticker is None or not ticker.open:
        return None
    return ((ticker.close - ticker.open) / ticker.open * _HUNDRED).quantize(Decimal("0.01"))


def move_pct(history: PriceHistory | None, now_ms: int, window_ms: int) -> Decimal | None:
    if history is None or not history.times:
        return None
    then = history.at(now_ms - window_ms)
    now = history.prices[-1]
    if then is None or not then:
        return None
    return ((now - then) / then * _HUNDRED).quantize(Decimal("0.01"))


def funding_rate(store: Store, symbol: str) -> Decimal | None:
    marks = getattr(store, "marks", None)
    mark = marks.get(symbol) if marks else None
    return getattr(mark, "funding_rate", None)


def read_metric(store: Store, rule: Rule, histories: dict[str, PriceHistory]) -> Decimal | None:
    """The rule's metric now (``fill`` is an event: see the engine)."""
    metric, symbol = rule.metric, rule.symbol
    if metric is Metric.PRICE:
        ticker = store.tickers.get(symbol)
        return ticker.close if ticker is not None else None
    if metric is Metric.CHANGE_PCT:
        return change_pct(store, symbol)
    if metric is Metric.MOVE_PCT:
        assert rule.window_ms is not None
        return move_pct(histories.get(symbol), store.clock.wall_ms(), rule.window_ms)
    if metric is Metric.SPREAD_BPS:
        return spread_bps(store, symbol)
    if metric is Metric.IMBALANCE:
        return imbalance(store, symbol)
    if metric is Metric.STALE_S:
        return stale_seconds(store, symbol)
    if metric is Metric.FUNDING_RATE:
        return funding_rate(store, symbol)
    return None
