"""Depth levels as the exchange wrote them: checked text, turned into Decimals only where needed.

A diff level is ``["price", "qty"]``. Both strings are checked against the decimal grammar of
:mod:`tuimon.protocol.decimals` when the frame is parsed (a bad one refuses the whole frame),
and then kept as text: the text *is* the exact value, so nothing is lost by not building a
:class:`~decimal.Decimal` yet. Only two things need a number:

- the book's keys, which must sort by price: :func:`price_of` turns a price text into a Decimal
  through a small cache (a book updates the same prices again and again: 85 % hits on the
  recorded feed, so most prices cost one dict lookup);
- whoever reads the book (the ladder's top levels, the alerts, ``snapshot``): :func:`qty_of`.

Quantities are mostly new strings (27 % repeats on the same feed), and a depth frame's ~6 level
strings are most of the ingest path's cost, so a quantity that is replaced before anybody reads
it (nearly all of them: the screen shows ~20 levels of one symbol, 10 times a second) never
costs a ``Decimal()``: about 130 ns, plus a cache write, saved per quantity.

Zero ("remove this level") is read from the text (the book's ``qty.strip("0.")``, inline on its
hot path): a grammar-valid decimal is zero exactly when it has no digit 1-9 (``"0"``,
``"0.00000000"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from tuimon.protocol.decimals import MAX_LENGTH, UNSIGNED_PATTERN
from tuimon.protocol.models import TextLevel

# Bounded caches of checked text -> Decimal (cleared when full): they fill within minutes and
# then stay that size, so the client's RSS is flat after warm-up (issue 16 §5: at 262,144
# prices the cache crept up ~0.45 MB/min for over an hour). 8,192 prices (~1.6 MB) cover the
# levels a 20-symbol book set touches for minutes; a clear only costs some misses. Only text
# that matched the grammar is ever a key, so a hit is also a proof that the text is valid.
PRICE_CACHE: dict[str, Decimal] = {}
PRICES_MAX = 8_192
QTY_CACHE: dict[str, Decimal] = {}
QTYS_MAX = 4_096

_match = UNSIGNED_PATTERN.fullmatch


def _cached(text: str, cache: dict[str, Decimal], limit: int) -> Decimal:
    value = cache.get(text)
    if value is None:
        if len(cache) >= limit:
            cache.clear()
        value = cache[text] = Decimal(text)
    return value


def price_of(text: str) -> Decimal:
    """A checked price text → its Decimal (cached). ``text`` must already match the grammar."""
    return _cached(text, PRICE_CACHE, PRICES_MAX)


def qty_of(text: str) -> Decimal:
    """A checked quantity text → its Decimal (cached: a level read at frame rate repeats)."""
    return _cached(text, QTY_CACHE, QTYS_MAX)


def levels_ok(levels: Iterable[TextLevel]) -> bool:
    """True when every price and quantity of ``(str, str)`` levels matches the unsigned grammar.

    The hot path of a depth frame (msgspec has already checked that each level is two strings).
    A price already in the cache matched before: one dict lookup instead of the regex.
    """
    known = PRICE_CACHE
    match = _match
    for price, qty in levels:
        if price not in known and (len(price) > MAX_LENGTH or match(price) is None):
            return False
        if len(qty) > MAX_LENGTH or match(qty) is None:
            return False
    return True


__all__ = [
    "PRICES_MAX",
    "PRICE_CACHE",
    "QTYS_MAX",
    "QTY_CACHE",
    "levels_ok",
    "price_of",
    "qty_of",
]
