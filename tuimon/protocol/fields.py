"""Field readers shared by the market and user-data parsers: hostile input, one-line reasons."""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

PARSE_ERRORS = (KeyError, TypeError, ValueError, InvalidOperation, IndexError, AttributeError)
"""What reading a malformed payload can raise; parsers turn these into one-line reasons."""


class PayloadError(ValueError):
    """A REST body or frame payload with the wrong shape; the message says what was wrong."""


def expect_int(value: Any, key: str) -> int:
    """An integer field; a JSON ``true`` is refused although bool subclasses int."""
    if type(value) is not int:
        raise PayloadError(f"{key} must be an integer, got {type(value).__name__}")
    return value


def expect_name(value: Any, key: str) -> str:
    """A non-empty string field (symbols, event names)."""
    if type(value) is not str or not value:
        raise PayloadError(f"{key} must be a non-empty string")
    return value


def reason_of(exc: BaseException) -> str:
    """One line saying why a payload did not parse."""
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}"
    if isinstance(exc, InvalidOperation):
        return "invalid decimal"
    return str(exc)[:200] or type(exc).__name__
