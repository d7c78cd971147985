"""The exchange-decimal grammar: what it accepts, what it refuses, and the bounds it guarantees."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest

from tuimon.protocol.decimals import (
    EXACT,
    MAX_LENGTH,
    exact_product,
    is_exchange_decimal,
    optional_decimal,
    parse_decimal,
    shown,
)
from tuimon.protocol.fields import PayloadError, kind_of

ACCEPTED = ["0", "1", "27000.01", "0.00210000", "95287.69000000", "00012.5", "9" * MAX_LENGTH]
REFUSED = [
    "",
    " ",
    ".",
    "-",
    ".5",
    "5.",
    "1.2.3",
    "1e5",
    "1E-5",
    "1e999999",
    "1E-999999",
    "1_000",
    " 1",
    "1 ",
    "1\n",
    "\t1",
    "+1",
    "--1",
    "0x10",
    "١٢٣",  # Arabic-Indic digits: Decimal() reads them as 123
    "１２",  # fullwidth digits
    "1²",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "9" * (MAX_LENGTH + 1),
    "1" * 10_000_000,  # a 10 MB digit string: refused by length before the regex runs
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_plain_decimals_are_accepted_exactly(text):
    assert is_exchange_decimal(text)
    value = parse_decimal(text, "p")
    assert value == Decimal(text)
    assert str(value) == str(Decimal(text))  # the digits as sent, trailing zeros kept


@pytest.mark.parametrize("text", REFUSED, ids=lambda t: repr(t[:12]))
def test_everything_else_is_refused(text):
    assert not is_exchange_decimal(text)
    assert not is_exchange_decimal(text, signed=True)
    with pytest.raises(PayloadError) as info:
        parse_decimal(text, "p")
    message = str(info.value)
    assert message.startswith("p must be a plain non-negative decimal")
    assert len(message) < 120 and "\n" not in message  # never the 10 MB string itself
    assert kind_of(info.value) == "p: bad decimal"  # one kind, whatever the garbage


def test_sign_only_where_signed():
    assert parse_decimal("-0.5", "d", signed=True) == Decimal("-0.5")
    assert parse_decimal("-0", "d", signed=True).is_zero()
    assert parse_decimal("12", "d", signed=True) == 12
    for text in ("-0.5", "-0", "-0.00000000"):
        with pytest.raises(PayloadError, match="non-negative"):
            parse_decimal(text, "p")
    for text in ("+1", "--1", "- 1", "-.5", "-1e5", "-" + "9" * MAX_LENGTH):
        with pytest.raises(PayloadError):
            parse_decimal(text, "d", signed=True)


@pytest.mark.parametrize("value", [1, 1.5, True, None, [], {}, b"1"])
def test_only_strings(value):
    with pytest.raises(PayloadError, match="must be a decimal string") as info:
        parse_decimal(value, "q")
    assert kind_of(info.value) == "q: not a decimal string"


def test_optional_reads_null_as_absent():
    assert optional_decimal(None, "sp") is None
    assert optional_decimal("1.5", "sp") == Decimal("1.5")
    with pytest.raises(PayloadError):
        optional_decimal("1e5", "sp")


def test_shown_cuts_long_values():
    assert shown("1e5") == "'1e5'"
    long = shown("7" * 1000)
    assert len(long) < 60 and "1000 chars" in long


LARGEST = "9" * MAX_LENGTH
SMALLEST = "0." + "0" * (MAX_LENGTH - 3) + "1"
SIGNED_LARGEST = "-" + "9" * (MAX_LENGTH - 1)


def test_the_bounds_are_what_the_docstring_says():
    assert len(SMALLEST) == MAX_LENGTH
    assert parse_decimal(SMALLEST, "q") == Decimal("1e-38")
    assert parse_decimal(LARGEST, "q") < Decimal("1e40")
    assert parse_decimal(SIGNED_LARGEST, "d", signed=True) > Decimal("-1e39")


def test_products_at_the_bounds_are_exact_and_never_overflow():
    # Whatever the thread's context says (a tiny precision and exponent range here), the
    # product of two grammar values is exact: EXACT is an explicit 80-digit context.
    EXACT.clear_flags()
    tight = decimal.Context(prec=5, Emax=50, Emin=-50, traps=[decimal.Overflow, decimal.Inexact])
    with decimal.localcontext(tight):  # expected values are built from strings: exact too
        big = parse_decimal(LARGEST, "ap")
        small = parse_decimal(SMALLEST, "z")
        assert exact_product(big, big) == Decimal(int(LARGEST) ** 2)
        assert exact_product(small, small) == Decimal("1e-76")
        assert exact_product(big, small) == Decimal(f"{LARGEST}e-38")
        negative = parse_decimal(SIGNED_LARGEST, "d", signed=True)
        assert exact_product(negative, big) == Decimal(int(SIGNED_LARGEST) * int(LARGEST))
        assert exact_product(big, Decimal(0)) == 0
    # The full-precision product needs all 80 digits: nothing was rounded.
    product = exact_product(Decimal(LARGEST), Decimal(LARGEST))
    assert len(product.as_tuple().digits) == 2 * MAX_LENGTH
    assert EXACT.flags[decimal.Inexact] is False
    assert EXACT.flags[decimal.Overflow] is False


def test_the_level_caches_stay_bounded() -> None:
    from tuimon.protocol import level_text, parse

    for start in range(0, level_text.PRICES_MAX + 5000, 1000):
        parse.parse_levels([[f"{start + i}.5", f"{start + i}.25"] for i in range(1000)], "b")
        assert len(level_text.PRICE_CACHE) <= level_text.PRICES_MAX
        assert len(level_text.QTY_CACHE) <= level_text.QTYS_MAX
    assert len(level_text.PRICE_CACHE) > 0 and len(level_text.QTY_CACHE) > 0
