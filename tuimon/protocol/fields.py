"""Field readers shared by the market and user-data parsers: hostile input, one-line reasons."""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

PARSE_ERRORS = (KeyError, TypeError, ValueError, InvalidOperation, IndexError, AttributeError)
"""What reading a malformed payload can raise; parsers turn these into one-line reasons."""


class PayloadError(ValueError):
    """A REST body or frame payload with the wrong shape; the message says what was wrong.

    ``kind`` is the reason's category without the hostile value in it (``"o.ap: bad decimal"``
    for ``"o.ap must be a plain decimal, got '1e999999'"``): workers log each kind once, so
    garbage that varies from frame to frame cannot flood the log.
    """

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind if kind is not None else message


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


def label(value: Any, limit: int = 40) -> str:
    """A short text for a value that should be a string (an event type, an error message).

    Never ``str()`` of a structure: a list nested a thousand deep (orjson allows 1024) would
    raise RecursionError, and a big one would be copied whole before it was cut.
    """
    if type(value) is str:
        return value[:limit]
    return "" if value is None else f"<{type(value).__name__}>"


def reason_of(exc: BaseException) -> str:
    """One line saying why a payload did not parse."""
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}"
    if isinstance(exc, InvalidOperation):
        return "invalid decimal"
    return " ".join(str(exc)[:200].split()) or type(exc).__name__


def kind_of(exc: BaseException) -> str:
    """The category of :func:`reason_of`'s reason, free of hostile values (see PayloadError)."""
    if isinstance(exc, PayloadError):
        return exc.kind
    if isinstance(exc, KeyError):
        return reason_of(exc)  # the keys looked up are the parser's own constants
    return type(exc).__name__
