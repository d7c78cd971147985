"""The alert grammar: ``SYMBOL METRIC OP VALUE``, e.g. ``BTCUSDT spread_bps >= 5``.

One parser for the config, the app's form and ``tuimon watch --alert``. A bad rule is a
:class:`RuleError` whose text names the problem in one line (``unknown metric 'moon'``); the
caller adds where the rule came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

DEFAULT_COOLDOWN = 60.0
"""Seconds before a rule that fired may fire again (after its condition was false)."""
MAX_COOLDOWN = 7 * 86_400.0

MOVE_WINDOWS: dict[str, int] = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000}
"""``move_pct_<window>``: the price change over this many milliseconds."""

ANY_SYMBOL = "*"
"""Only for ``fill``: a fill of any symbol."""

_SYMBOL = re.compile(r"^[^\W_][\w\-]{0,31}$")  # Unicode letters/digits: Binance lists such symbols
_VALUE = re.compile(r"^[+-]?[0-9]{1,20}(\.[0-9]{1,20})?$")  # plain decimal: no exponent, no nan


class RuleError(ValueError):
    """A rule that does not parse; ``str()`` is one line naming the problem."""


class Op(Enum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    CROSSES = "crosses"


class Metric(Enum):
    PRICE = "price"
    CHANGE_PCT = "change_pct"
    MOVE_PCT = "move_pct"
    SPREAD_BPS = "spread_bps"
    IMBALANCE = "imbalance"
    STALE_S = "stale_s"
    FUNDING_RATE = "funding_rate"
    FILL = "fill"

    @property
    def needs_book(self) -> bool:
        """Metrics read from the order book (the feed must stream the symbol's depth)."""
        return self in (Metric.SPREAD_BPS, Metric.IMBALANCE)


METRIC_NAMES = (
    "price",
    "change_pct",
    *(f"move_pct_{w}" for w in MOVE_WINDOWS),
    "spread_bps",
    "imbalance",
    "stale_s",
    "funding_rate",
    "fill",
)
_OPS = {op.value: op for op in Op}
_UNSIGNED = {Metric.PRICE, Metric.SPREAD_BPS, Metric.STALE_S, Metric.FILL}


@dataclass(frozen=True, slots=True)
class Rule:
    """One parsed alert rule."""

    symbol: str
    metric: Metric
    op: Op
    value: Decimal
    window_ms: int | None = None
    """For ``move_pct_<window>``: the window in milliseconds."""
    enabled: bool = True
    cooldown: float = DEFAULT_COOLDOWN

    @property
    def metric_name(self) -> str:
        """The metric as written (``move_pct_5m``)."""
        if self.metric is Metric.MOVE_PCT:
            window = next(k for k, v in MOVE_WINDOWS.items() if v == self.window_ms)
            return f"move_pct_{window}"
        return self.metric.value

    @property
    def text(self) -> str:
        """The rule in its canonical form (also its identity in the config)."""
        return f"{self.symbol} {self.metric_name} {self.op.value} {self.value}"

    def holds(self, value: Decimal) -> bool:
        """The comparison (not for ``crosses``, which needs the previous value)."""
        op = self.op
        if op is Op.GT:
            return value > self.value
        if op is Op.GE:
            return value >= self.value
        if op is Op.LT:
            return value < self.value
        if op is Op.LE:
            return value <= self.value
        raise ValueError("crosses compares two samples")

    def crossed(self, before: Decimal, now: Decimal) -> bool:
        """``crosses``: the value moved from one side of the threshold to it or past it."""
        level = self.value
        return (before < level <= now) or (before > level >= now)


def parse_metric(name: str) -> tuple[Metric, int | None]:
    """A metric name and its window (``move_pct_5m`` -> MOVE_PCT, 300000)."""
    if name.startswith("move_pct_"):
        window = name.removeprefix("move_pct_")
        if window not in MOVE_WINDOWS:
            raise RuleError(
                f"unknown window {window!r} in {name!r} (use {', '.join(MOVE_WINDOWS)})"
            )
        return Metric.MOVE_PCT, MOVE_WINDOWS[window]
    try:
        metric = Metric(name)
    except ValueError:
        raise RuleError(f"unknown metric {name!r} (metrics: {', '.join(METRIC_NAMES)})") from None
    if metric is Metric.MOVE_PCT:
        raise RuleError(
            f"move_pct needs a window: {', '.join(f'move_pct_{w}' for w in MOVE_WINDOWS)}"
        )
    return metric, None


def parse_rule(text: str, *, enabled: bool = True, cooldown: float = DEFAULT_COOLDOWN) -> Rule:
    """Parse ``SYMBOL METRIC OP VALUE`` (whitespace-separated; the symbol is upper-cased).

    Raises:
        RuleError: one line naming the first problem.
    """
    if not isinstance(text, str):
        raise RuleError("a rule is a string like 'BTCUSDT price > 30000'")
    if len(text) > 200:
        raise RuleError("longer than 200 characters")
    parts = text.split()
    if len(parts) != 4:
        raise RuleError(
            f"expected 'SYMBOL METRIC OP VALUE' (e.g. 'BTCUSDT spread_bps >= 5'), got "
            f"{len(parts)} word{'s' if len(parts) != 1 else ''}"
        )
    raw_symbol, raw_metric, raw_op, raw_value = parts
    metric, window = parse_metric(raw_metric.lower())
    symbol = raw_symbol.upper()
    if symbol == ANY_SYMBOL:
        if metric is not Metric.FILL:
            raise RuleError(f"'*' (any symbol) is only for fill, not {raw_metric!r}")
    elif not _SYMBOL.match(symbol):
        raise RuleError(f"bad symbol {raw_symbol!r}")
    op = _OPS.get(raw_op.lower())
    if op is None:
        raise RuleError(f"unknown operator {raw_op!r} (use {', '.join(_OPS)})")
    if not _VALUE.match(raw_value):
        raise RuleError(f"bad value {raw_value!r} (a plain decimal number like 5 or -0.25)")
    value = Decimal(raw_value)
    if metric in _UNSIGNED and value < 0:
        raise RuleError(f"{raw_metric} is never negative: {raw_value!r}")
    if metric is Metric.IMBALANCE and not -1 <= value <= 1:
        raise RuleError(f"imbalance is between -1 and 1: {raw_value!r}")
    if metric is Metric.FILL and op is Op.CROSSES:
        raise RuleError("fill is an event, it cannot 'cross' (use 'fill > 0' for any fill)")
    if not (0 <= cooldown <= MAX_COOLDOWN):
        raise RuleError(f"cooldown must be between 0 and {MAX_COOLDOWN:g} seconds")
    return Rule(symbol, metric, op, value + 0, window, enabled, float(cooldown))


def check_market(rule: Rule, *, futures: bool) -> None:
    """Refuse a rule the market cannot evaluate (so it is not accepted and then never fires).

    Raises:
        RuleError: one line.
    """
    if rule.metric is Metric.FUNDING_RATE and not futures:
        raise RuleError("funding_rate is a futures metric")
