"""Pure formatting: exact decimals from tick sizes, signs that read without colour."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tuimon.ui.format import (
    decimals_of,
    fmt_book_age,
    fmt_change_pct,
    fmt_clock,
    fmt_compact,
    fmt_decimal,
    fmt_latency,
    fmt_qty,
    fmt_rate,
    fmt_uptime,
    sign_glyph,
)


@pytest.mark.parametrize(
    ("tick", "places"),
    [
        ("0.01000000", 2),
        ("1.00000000", 0),
        ("0.00001000", 5),
        ("0.00000001", 8),
        ("10.00000000", 0),
        ("0.5", 1),
        ("0", 2),
    ],
)
def test_decimals_of_tick_size(tick, places) -> None:
    assert decimals_of(Decimal(tick)) == places


def test_decimals_of_unknown_uses_default() -> None:
    assert decimals_of(None) == 2
    assert decimals_of(None, default=4) == 4


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        ("97123.45000000", 2, "97,123.45"),
        ("0.00001987", 8, "0.00001987"),
        ("2.34165", 4, "2.3416"),  # half-even, exact: no float rounding artefacts
        ("2.34175", 4, "2.3418"),
        ("1.005", 2, "1.00"),  # float would print 1.00 or 1.01 depending on binary repr
        ("123456789.5", 0, "123,456,790"),
    ],
)
def test_fmt_decimal_is_exact(value, places, text) -> None:
    assert fmt_decimal(Decimal(value), places) == text


def test_fmt_decimal_none_is_dash() -> None:
    assert fmt_decimal(None, 2) == "—"


@pytest.mark.parametrize(
    ("close", "open_", "text", "sign"),
    [
        ("101", "100", "+1.00%", 1),
        ("99", "100", "−1.00%", -1),
        ("100", "100", "0.00%", 0),
        ("1", "0", "—", 0),
    ],
)
def test_change_pct_has_sign_without_colour(close, open_, text, sign) -> None:
    assert fmt_change_pct(Decimal(close), Decimal(open_)) == (text, sign)


def test_glyphs() -> None:
    assert (sign_glyph(1), sign_glyph(-1), sign_glyph(0)) == ("▲", "▼", " ")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1234", "1.23K"),
        ("75320000000", "75.32B"),
        ("852600000", "852.6M"),
        ("999.994", "999.99"),
        ("1500000000000", "1.50T"),
    ],
)
def test_compact(value, text) -> None:
    assert fmt_compact(Decimal(value)) == text


def test_qty_falls_back_to_compact_when_too_wide() -> None:
    assert fmt_qty(Decimal("0.12345"), 5, 10) == "0.12345"
    assert fmt_qty(Decimal("1234567.5"), 1, 10) == "1234567.5"
    assert fmt_qty(Decimal("123456789.5"), 1, 10) == "123.5M"


def test_small_formatters() -> None:
    assert fmt_uptime(3725) == "01:02:05"
    assert fmt_uptime(90000) == "1d01:00:00"
    assert fmt_clock(1_768_003_200_000 + 3_723_000) == "01:02:03Z"
    assert fmt_rate(12.4) == "12"
    assert fmt_rate(1530) == "1.5k"
    assert fmt_latency(None) == "—"
    assert fmt_latency(42) == "42ms"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0.0s"), (0.04, "0.0s"), (0.1, "0.1s"), (2.36, "2.4s"), (9.94, "9.9s"),
     (12.7, "12s"), (185.0, "3m"), (-0.01, "0.0s")],
)
def test_book_age_in_tenths_then_whole_units(seconds, text):
    assert fmt_book_age(seconds) == text
