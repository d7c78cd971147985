"""The formatters never raise, and never build a huge string, for any value a parser accepts.

Issue 12: a ticker price of 1e999999 made fmt_change_pct raise Overflow and fmt_decimal build
a 1.3-million-character string. The grammar now bounds every parsed value (40 characters), so
the formatters are fuzzed over that whole range, products of two values included (notional,
the user parser's average x executed).
"""

from __future__ import annotations

from decimal import Decimal

from fuzz_strategies import grammar_decimals
from hypothesis import example, given
from hypothesis import strategies as st

from tuimon.protocol.decimals import exact_product, parse_decimal
from tuimon.ui import format as fmt

LONGEST = 120
"""Characters a formatted grammar value may take: 40 digits, 13 separators, sign, decimals."""
LONGEST_PRODUCT = 2 * LONGEST


def values(signed: bool = True) -> st.SearchStrategy[Decimal]:
    return grammar_decimals(signed=signed).map(lambda t: parse_decimal(t, "v", signed=True))


decimals = st.integers(min_value=0, max_value=38)  # decimals_of() of any grammar tick size
widths = st.integers(min_value=1, max_value=24)


def formatted(value: Decimal, places: int, width: int) -> list[str]:
    texts = [
        fmt.fmt_decimal(value, places),
        fmt.fmt_decimal(value, places, grouping=False),
        fmt.fmt_signed(value, places),
        fmt.fmt_compact(value),
        fmt.fmt_qty(value, places, width),
        fmt.fmt_amount(value, width),
        fmt.fmt_amount(value, width, places),
    ]
    assert 0 <= fmt.significant_places(value) <= 8
    assert 0 <= fmt.decimals_of(value) <= 2 * 40
    assert fmt.quantize(value, places).is_finite()
    return texts


@given(values(), decimals, widths)
@example(Decimal("9" * 40), 38, 1)
@example(Decimal("1e-38"), 38, 1)
@example(Decimal("-" + "9" * 39), 8, 5)
def test_every_formatter_on_every_grammar_value(value, places, width):
    for text in formatted(value, places, width):
        assert isinstance(text, str) and 0 < len(text) <= LONGEST, (value, places, text)


@given(values(signed=False), values(signed=False), decimals, widths)
@example(Decimal("9" * 40), Decimal("9" * 40), 38, 1)
@example(Decimal("1e-38"), Decimal("1e-38"), 38, 1)
def test_products_of_two_values_format_too(a, b, places, width):
    for text in formatted(exact_product(a, b), places, width):
        assert 0 < len(text) <= LONGEST_PRODUCT, (a, b, text)


@given(values(signed=False), values(signed=False))
@example(Decimal("9" * 40), Decimal("1e-38"))  # the largest change the grammar allows
@example(Decimal("1e-38"), Decimal("9" * 40))
@example(Decimal(0), Decimal(0))
@example(Decimal(1), Decimal(0))
def test_change_pct_never_raises(close, open_):
    text, sign = fmt.fmt_change_pct(close, open_)
    assert sign in (-1, 0, 1)
    assert 0 < len(text) <= LONGEST, (close, open_, text)
    if open_ and sign:
        assert (sign > 0) == (close > open_)
