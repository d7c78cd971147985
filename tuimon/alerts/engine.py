"""The alert engine: evaluates rules against the Store, with hysteresis and a cooldown.

A rule fires once when its condition becomes true. It fires again only after the condition has
been seen false *and* its cooldown has passed since it fired, so a condition that stays true
never fires every frame, and one that flickers fires at most once per cooldown. ``crosses`` is an
edge (the value went from one side of the threshold to it or beyond, between two samples); the
first sample only arms it. ``fill`` is an event: each new fill of the account whose quantity
satisfies the rule is a true sample, and the moments between fills are false ones.

Unknown values (no data, a book that is not live) are neither true nor false.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tuimon.alerts.metrics import PriceHistory, read_metric
from tuimon.alerts.rules import ANY_SYMBOL, Metric, Op, Rule
from tuimon.clock import Clock
from tuimon.store import Store


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One alert that fired."""

    rule: Rule
    symbol: str
    value: Decimal
    time_ms: int

    def as_json(self) -> dict[str, Any]:
        """The line ``tuimon watch`` prints (value as a decimal string, time in ms)."""
        return {
            "rule": self.rule.text,
            "symbol": self.symbol,
            "metric": self.rule.metric_name,
            "value": str(self.value),
            "time": self.time_ms,
        }

    @property
    def summary(self) -> str:
        """One line for a toast or a desktop notification."""
        return f"{self.rule.text} (now {self.value})"


@dataclass(slots=True)
class _State:
    fired_at: float | None = None
    fired_ms: int | None = None
    seen_false: bool = True
    last: Decimal | None = None

    def armed(self, now: float, cooldown: float) -> bool:
        return self.fired_at is None or (self.seen_false and now - self.fired_at >= cooldown)


@dataclass(slots=True)
class AlertEngine:
    """Rules plus their states; :meth:`evaluate` is called at frame rate (or on a timer)."""

    clock: Clock
    rules: list[Rule] = field(default_factory=list)
    _states: dict[str, _State] = field(default_factory=dict)
    _histories: dict[str, PriceHistory] = field(default_factory=dict)
    _fills_seen: set[tuple[str, int, int]] | None = None
    _seeded: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.set_rules(self.rules)

    def set_rules(self, rules: Iterable[Rule]) -> None:
        """Replace the rules; a rule kept (same text) keeps its state, so editing the list
        does not re-fire what already fired."""
        self.rules = list(rules)
        keep = {rule.text for rule in self.rules}
        self._states = {k: v for k, v in self._states.items() if k in keep}
        for rule in self.rules:
            self._states.setdefault(rule.text, _State())
        moving = {r.symbol for r in self.rules if r.metric is Metric.MOVE_PCT}
        self._histories = {s: h for s, h in self._histories.items() if s in moving}
        for symbol in moving:
            self._histories.setdefault(symbol, PriceHistory())

    # ------------------------------------------------------------------ what to stream

    @property
    def ticker_symbols(self) -> frozenset[str]:
        """Symbols whose ticker a rule reads (``*`` excluded)."""
        return frozenset(r.symbol for r in self.rules if r.enabled and r.symbol != ANY_SYMBOL)

    @property
    def book_symbols(self) -> frozenset[str]:
        """Symbols whose order book a rule reads (spread, imbalance, and stale_s when the
        book is what goes stale)."""
        return frozenset(
            r.symbol
            for r in self.rules
            if r.enabled and (r.metric.needs_book or r.metric is Metric.STALE_S)
        )

    @property
    def move_symbols(self) -> frozenset[str]:
        """Symbols with a move window (seed them with :meth:`seed`)."""
        return frozenset(self._histories)

    def seed(self, symbol: str, samples: list[tuple[int, Decimal]]) -> None:
        """Older prices (1m kline closes) so a move window is known from the start."""
        history = self._histories.get(symbol)
        if history is not None:
            history.seed(samples)

    def seed_from_klines(self, store: Store) -> None:
        """Seed each move window not yet seeded from the store's 1m klines, once they are
        there (the feed loads them from REST when it starts streaming the symbol)."""
        for symbol in self.move_symbols - self._seeded:
            series = store.klines.get((symbol, "1m"))
            if series is not None and series.candles:
                self.seed(symbol, [(c.close_time, c.close) for c in series.candles])
                self._seeded.add(symbol)

    # ------------------------------------------------------------------ evaluation

    def current(self, store: Store, rule: Rule) -> Decimal | None:
        """The rule's metric now, as the next evaluation would read it (None: unknown; always
        None for ``fill``, an event)."""
        return read_metric(store, rule, self._histories)

    def last_fired_ms(self, rule: Rule) -> int | None:
        """Wall time (ms) the rule last fired, None when it has not since it was added."""
        state = self._states.get(rule.text)
        return state.fired_ms if state is not None else None

    def evaluate(self, store: Store) -> list[AlertEvent]:
        """Rules that fire now."""
        now = self.clock.monotonic()
        now_ms = self.clock.wall_ms()
        for symbol, history in self._histories.items():
            ticker = store.tickers.get(symbol)
            if ticker is not None:
                history.add(ticker.event_time, ticker.close)
        new_fills = self._new_fills(store)
        fired: list[AlertEvent] = []
        for rule in self.rules:
            if not rule.enabled:
                continue
            state = self._states[rule.text]
            if rule.metric is Metric.FILL:
                fired.extend(self._fills(rule, state, new_fills, now, now_ms))
                continue
            value = read_metric(store, rule, self._histories)
            if value is None:
                continue
            if rule.op is Op.CROSSES:
                holds = state.last is not None and rule.crossed(state.last, value)
                state.last = value
            else:
                holds = rule.holds(value)
            if not holds:
                state.seen_false = True
            elif state.armed(now, rule.cooldown):
                state.fired_at, state.fired_ms, state.seen_false = now, now_ms, False
                fired.append(AlertEvent(rule, rule.symbol, value, now_ms))
        return fired

    def _new_fills(self, store: Store) -> list[Any]:
        fills = store.account.fills
        keys = {(f.symbol, f.order_id, f.trade_id) for f in fills}
        seen, self._fills_seen = self._fills_seen, keys
        if seen is None:
            return []  # fills already there when the engine started are history, not news
        return [f for f in reversed(fills) if (f.symbol, f.order_id, f.trade_id) not in seen]

    @staticmethod
    def _fills(
        rule: Rule, state: _State, fills: list[Any], now: float, now_ms: int
    ) -> list[AlertEvent]:
        out: list[AlertEvent] = []
        for fill in fills:
            if rule.symbol not in (ANY_SYMBOL, fill.symbol) or not rule.holds(fill.qty):
                continue
            if state.armed(now, rule.cooldown):
                state.fired_at, state.fired_ms = now, now_ms
                out.append(AlertEvent(rule, fill.symbol, fill.qty, fill.time_ms or now_ms))
        state.seen_false = True  # between fills the condition is false
        return out
