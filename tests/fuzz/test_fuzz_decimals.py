"""The grammar itself under fuzzing: parse_decimal, is_exchange_decimal and the copy inlined in
parse_levels' hot loop (with its caches) accept exactly the same strings, with the same value."""

from __future__ import annotations

import re
from decimal import Decimal

from fuzz_strategies import decimalish, grammar_decimals
from hypothesis import given
from hypothesis import strategies as st

from tuimon.protocol.decimals import MAX_LENGTH, is_exchange_decimal, parse_decimal
from tuimon.protocol.fields import PayloadError
from tuimon.protocol.parse import parse_levels

# An independent statement of the grammar (not the module's pattern): what the brief says.
UNSIGNED = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)
SIGNED = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)

strings = st.one_of(decimalish, st.text(max_size=45), grammar_decimals(), grammar_decimals(True))


def expected(text: str, signed: bool) -> bool:
    pattern = SIGNED if signed else UNSIGNED
    return len(text) <= MAX_LENGTH and pattern.fullmatch(text) is not None


@given(strings, st.booleans())
def test_parse_decimal_accepts_exactly_the_grammar(text, signed):
    assert is_exchange_decimal(text, signed=signed) == expected(text, signed)
    try:
        value = parse_decimal(text, "x", signed=signed)
    except PayloadError:
        assert not expected(text, signed)
    else:
        assert expected(text, signed) and value == Decimal(text) and value.is_finite()


@given(strings, strings)
def test_the_hot_path_agrees_with_the_grammar(price, qty):
    for _ in range(2):  # the second time through the caches
        try:
            levels = parse_levels([[price, qty]], "b")
        except PayloadError:
            assert not (expected(price, False) and expected(qty, False))
        else:
            assert expected(price, False) and expected(qty, False)
            assert levels == ((Decimal(price), Decimal(qty)),)
