"""Pure formatting for the monitor: exact decimals, signs that read without colour.

Prices are never floats: they are quantized with :class:`~decimal.Decimal` to the symbol's tick
size. Up and down always carry a glyph (``▲``/``▼``) or a sign (``+``/``−``), so the display
reads the same with ``NO_COLOR`` or on a 16-colour terminal.
"""

from __future__ import annotations

import time
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

UP = "▲"
DOWN = "▼"
FLAT = " "
MINUS = "−"  # U+2212: same width as "+", unlike "-" in some fonts
DASH = "—"

INTERVAL_MS = {
    "1s": 1_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
}
"""Fixed-length intervals (weeks and months vary, so they are not gap-checked)."""

_CTX = Context(prec=40, rounding=ROUND_HALF_EVEN)
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)
_COMPACT = (
    (Decimal(10) ** 12, "T"),
    (Decimal(10) ** 9, "B"),
    (Decimal(10) ** 6, "M"),
    (Decimal(10) ** 3, "K"),
)


def decimals_of(step: Decimal | None, default: int = 2) -> int:
    """Decimal places of a tick or step size, after stripping trailing zeros.

    ``0.01000000`` → 2, ``1.00000000`` → 0, ``0.00001`` → 5. Unknown or zero → ``default``.
    """
    if step is None or not step.is_finite() or step <= _ZERO:
        return default
    exponent = step.normalize(_CTX).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def quantize(value: Decimal, decimals: int) -> Decimal:
    """``value`` rounded half-even to ``decimals`` places, exactly."""
    try:
        return value.quantize(Decimal(1).scaleb(-decimals), context=_CTX)
    except InvalidOperation:
        return value


def fmt_decimal(value: Decimal | None, decimals: int, *, grouping: bool = True) -> str:
    """A fixed-point decimal string with ``decimals`` places (and thousands separators)."""
    if value is None:
        return DASH
    q = quantize(value, decimals)
    return f"{q:,f}" if grouping else f"{q:f}"


def fmt_change_pct(close: Decimal | None, open_: Decimal | None) -> tuple[str, int]:
    """24 h change as ``+1.23%``/``−0.45%`` and its sign (1, -1 or 0)."""
    if close is None or open_ is None or open_ == _ZERO:
        return DASH, 0
    pct = quantize((close - open_) * _HUNDRED / open_, 2)
    if pct > _ZERO:
        return f"+{pct:f}%", 1
    if pct < _ZERO:
        return f"{MINUS}{-pct:f}%", -1
    return f"{abs(pct):f}%", 0


def fmt_compact(value: Decimal | None) -> str:
    """Large amounts short: ``1.23B``, ``456.7M``, ``12.35K``, ``987.65``."""
    if value is None:
        return DASH
    magnitude = abs(value)
    for size, suffix in _COMPACT:
        if magnitude >= size:
            scaled = value / size
            places = 2 if abs(scaled) < 100 else 1
            return f"{quantize(scaled, places):f}{suffix}"
    return f"{quantize(value, 2):f}"


def fmt_qty(value: Decimal, decimals: int, width: int) -> str:
    """A size that fits ``width`` cells: full precision if it fits, else compact."""
    text = fmt_decimal(value, decimals)
    if len(text) <= width:
        return text
    text = fmt_decimal(value, decimals, grouping=False)
    if len(text) <= width:
        return text
    return fmt_compact(value)


def sign_glyph(sign: int) -> str:
    """``▲`` for up, ``▼`` for down, a space for no move."""
    return UP if sign > 0 else DOWN if sign < 0 else FLAT


def fmt_uptime(seconds: float) -> str:
    """``1d02:03:04`` or ``02:03:04``."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}d{clock}" if days else clock


def fmt_clock(wall_ms: int) -> str:
    """UTC wall clock ``HH:MM:SSZ`` (exchange times are UTC)."""
    return time.strftime("%H:%M:%SZ", time.gmtime(wall_ms // 1000))


def fmt_rate(per_second: float) -> str:
    """Messages per second, short: ``0``, ``12``, ``1.2k``."""
    if per_second >= 1000:
        return f"{per_second / 1000:.1f}k"
    return f"{per_second:.0f}"


def fmt_bytes_rate(per_second: float) -> str:
    """Terminal output rate, short: ``850B/s``, ``12.3KB/s`` (KB = 1000 bytes)."""
    if per_second >= 1000:
        return f"{per_second / 1000:.1f}KB/s"
    return f"{per_second:.0f}B/s"


def fmt_latency(ms: int | None) -> str:
    """Event-time latency, ``—`` when unknown."""
    if ms is None:
        return DASH
    if abs(ms) >= 10_000:
        return f"{ms / 1000:.0f}s"
    return f"{ms}ms"


def fmt_signed(value: Decimal | None, decimals: int) -> str:
    """A signed amount (PnL): ``+12.34``, ``−5.60``, ``0.00``; grouped."""
    if value is None:
        return DASH
    q = quantize(value, decimals)
    if q > _ZERO:
        return f"+{q:,f}"
    if q < _ZERO:
        return f"{MINUS}{-q:,f}"
    return f"{abs(q):,f}"


def significant_places(value: Decimal, max_decimals: int = 8) -> int:
    """Decimals ``value`` needs (at most ``max_decimals``): ``1.50000000`` → 1, ``3`` → 0."""
    if not value.is_finite():
        return 0
    exponent = quantize(value, max_decimals).normalize(_CTX).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def fmt_amount(value: Decimal, width: int, decimals: int | None = None) -> str:
    """An asset amount fitted to ``width`` cells.

    Balances have no tick size of their own: show ``decimals`` places (default: every
    significant one, at most 8), fewer when too wide, then go compact (``1.23M``).
    """
    places = significant_places(value) if decimals is None else decimals
    for decimals in range(places, -1, -1):
        text = fmt_decimal(value, decimals)
        if len(text) <= width:
            return text
    return fmt_compact(value)


def fmt_age(seconds: float) -> str:
    """An age in at most four cells: ``7s``, ``59s``, ``12m``, ``3h``, ``45d``."""
    total = max(0, int(seconds))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m"
    if total < 86400:
        return f"{total // 3600}h"
    return f"{total // 86400}d"


def fmt_book_age(seconds: float) -> str:
    """A book's age: tenths below 10 s (``0.1s``, ``9.8s``: a liquid book moves every 100 ms),
    then as :func:`fmt_age` (``12s``, ``3m``)."""
    if seconds < 10:
        return f"{max(0.0, seconds):.1f}s"
    return fmt_age(seconds)
