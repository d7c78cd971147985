"""The alert grammar: SYMBOL METRIC OP VALUE, one-line errors naming the problem."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tuimon.alerts.rules import Metric, Op, RuleError, parse_rule


@pytest.mark.parametrize(
    ("text", "symbol", "metric", "op", "value", "window"),
    [
        ("BTCUSDT spread_bps >= 5", "BTCUSDT", Metric.SPREAD_BPS, Op.GE, "5", None),
        ("ethusdt price crosses 3000", "ETHUSDT", Metric.PRICE, Op.CROSSES, "3000", None),
        ("SOLUSDT move_pct_5m > 2", "SOLUSDT", Metric.MOVE_PCT, Op.GT, "2", 300_000),
        ("SOLUSDT move_pct_1h < -1.5", "SOLUSDT", Metric.MOVE_PCT, Op.LT, "-1.5", 3_600_000),
        ("BTCUSDT stale_s > 10", "BTCUSDT", Metric.STALE_S, Op.GT, "10", None),
        ("BTCUSDT imbalance <= -0.5", "BTCUSDT", Metric.IMBALANCE, Op.LE, "-0.5", None),
        ("BTCUSDT funding_rate > 0.0005", "BTCUSDT", Metric.FUNDING_RATE, Op.GT, "0.0005", None),
        ("* fill > 0", "*", Metric.FILL, Op.GT, "0", None),
        ("BTCUSDT  change_pct   >  +3 ", "BTCUSDT", Metric.CHANGE_PCT, Op.GT, "3", None),
        ("币安人生USDT price > 1", "币安人生USDT", Metric.PRICE, Op.GT, "1", None),
    ],
)
def test_rules_parse(text, symbol, metric, op, value, window) -> None:
    rule = parse_rule(text)
    assert (rule.symbol, rule.metric, rule.op, rule.value, rule.window_ms) == (
        symbol,
        metric,
        op,
        Decimal(value),
        window,
    )
    assert parse_rule(rule.text) == rule  # the canonical text parses back to the same rule


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("BTCUSDT moon >> 3", "unknown metric 'moon'"),
        ("BTCUSDT price >> 3", "unknown operator '>>'"),
        ("BTCUSDT price > 1e3", "bad value '1e3'"),
        ("BTCUSDT price > nan", "bad value 'nan'"),
        ("BTCUSDT price > 1_000", "bad value '1_000'"),
        ("BTCUSDT price > -1", "price is never negative"),
        ("BTCUSDT imbalance > 2", "imbalance is between -1 and 1"),
        ("BTCUSDT move_pct_2m > 1", "unknown window '2m'"),
        ("BTCUSDT move_pct > 1", "move_pct needs a window"),
        ("BTCUSDT price >", "expected 'SYMBOL METRIC OP VALUE'"),
        ("", "got 0 words"),
        ("* price > 1", "'*' (any symbol) is only for fill"),
        ("BTC/USDT price > 1", "bad symbol 'BTC/USDT'"),
        ("BTCUSDT fill crosses 1", "fill is an event"),
        ("X" * 201, "longer than 200"),
    ],
)
def test_bad_rules_name_the_problem_in_one_line(text, message) -> None:
    with pytest.raises(RuleError) as info:
        parse_rule(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_cooldown_bounds() -> None:
    assert parse_rule("BTCUSDT price > 1", cooldown=0).cooldown == 0
    with pytest.raises(RuleError, match="cooldown"):
        parse_rule("BTCUSDT price > 1", cooldown=-1)
    with pytest.raises(RuleError, match="cooldown"):
        parse_rule("BTCUSDT price > 1", cooldown=float("nan"))
