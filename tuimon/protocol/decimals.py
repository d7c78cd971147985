"""The one grammar for exchange decimals, and the arithmetic context that its bounds make safe.

Binance sends prices and quantities as plain decimal strings (``"27000.01"``, ``"0.00210000"``).
:class:`~decimal.Decimal` itself accepts far more: exponents (``"1e999999"``, which later
overflows arithmetic or formats as a million characters), surrounding whitespace, underscores
(``"1_000"``), non-ASCII digits (``"١٢٣"``), ``NaN`` and ``Infinity``, and strings of any length.
None of that is an exchange value, so nothing reaches ``Decimal()`` before it matched:

- ASCII digits, then optionally one dot followed by ASCII digits (``[0-9]`` not ``\\d``, which
  matches every script's digits); no exponent, whitespace, underscore, ``+``, or bare dot
  (``".5"``, ``"5."``);
- a leading ``-`` only where Binance sends signed values (balance deltas, PnL, position amounts,
  wallet balances, commissions); prices and quantities are unsigned;
- at most :data:`MAX_LENGTH` characters, checked before the pattern runs, so a 10 MB digit
  string costs one ``len()``.

Bounds: an accepted value has at most 40 significant digits and lies in [1e-38, 1e40) in
magnitude when non-zero. A product of two accepted values is therefore at most 80 digits
between 1e-76 and 1e80: :data:`EXACT` (80 digits of precision, the usual exponent range) holds it
exactly, whatever the thread's default context is. Every parser product goes through it.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal
from typing import Any

from tuimon.protocol.fields import PayloadError

MAX_LENGTH = 40
"""Characters in the longest accepted decimal string (Binance's are under 25)."""

UNSIGNED_PATTERN = re.compile(r"[0-9]+(?:\.[0-9]+)?")
"""An unsigned exchange decimal (with ``fullmatch``): prices, quantities, volumes."""
SIGNED_PATTERN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
"""A signed exchange decimal (with ``fullmatch``): deltas, PnL, position amounts."""

EXACT = Context(prec=2 * MAX_LENGTH, Emax=999_999, Emin=-999_999)
"""Holds any product of two accepted values exactly (see the module docstring)."""

_SHOWN = 24
"""Characters of a refused value quoted in a reason (a 10 MB string is not copied into it)."""

_unsigned = UNSIGNED_PATTERN.fullmatch
_signed = SIGNED_PATTERN.fullmatch


def is_exchange_decimal(text: str, *, signed: bool = False) -> bool:
    """True when ``text`` is an exchange decimal of the grammar (signed or not)."""
    if len(text) > MAX_LENGTH:
        return False
    return (_signed if signed else _unsigned)(text) is not None


def shown(text: str) -> str:
    """A refused value for a one-line reason: quoted, and cut short if long."""
    if len(text) <= _SHOWN:
        return repr(text)
    return f"{text[:_SHOWN]!r}… ({len(text)} chars)"


def refuse(value: Any, key: str, *, signed: bool = False) -> PayloadError:
    """The error for a value that is not an exchange decimal (the caller raises it).

    The reason quotes the value (shortened); the kind (the worker logs each kind once) names
    only the field, so a flood of different garbage in one field is one kind.
    """
    if type(value) is not str:
        return PayloadError(
            f"{key} must be a decimal string, got {type(value).__name__}",
            kind=f"{key}: not a decimal string",
        )
    what = "a plain decimal" if signed else "a plain non-negative decimal"
    return PayloadError(f"{key} must be {what}, got {shown(value)}", kind=f"{key}: bad decimal")


def parse_decimal(value: Any, key: str, *, signed: bool = False) -> Decimal:
    """An exchange decimal field → exact :class:`~decimal.Decimal`, or :class:`PayloadError`.

    ``signed`` allows a leading ``-``. ``Decimal()`` of a matched string is exact (construction
    never rounds) and cannot fail.
    """
    if type(value) is not str or len(value) > MAX_LENGTH:
        raise refuse(value, key, signed=signed)
    if (_signed if signed else _unsigned)(value) is None:
        raise refuse(value, key, signed=signed)
    return Decimal(value)


def optional_decimal(value: Any, key: str, *, signed: bool = False) -> Decimal | None:
    """Like :func:`parse_decimal`, with a JSON ``null`` (or an absent key) read as None."""
    return None if value is None else parse_decimal(value, key, signed=signed)


def exact_product(a: Decimal, b: Decimal) -> Decimal:
    """``a * b`` of two parsed values, exact and never raising (see the module docstring)."""
    return EXACT.multiply(a, b)


__all__ = [
    "EXACT",
    "MAX_LENGTH",
    "SIGNED_PATTERN",
    "UNSIGNED_PATTERN",
    "exact_product",
    "is_exchange_decimal",
    "optional_decimal",
    "parse_decimal",
    "refuse",
    "shown",
]
