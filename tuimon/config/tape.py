"""``[tape]``: when a trade counts as a large print (highlighted in the trades tape).

```toml
[tape]
large = { USDT = 250000, BTC = "2.5" }   # notional in the quote asset, per quote asset
```

Read only: tuimon never writes this table. A quote asset not listed gets the default below; a
bad value is an error naming its key (the file is then not written, as for every other error).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tuimon.config.context import Context
from tuimon.protocol.decimals import is_exchange_decimal

TAPE = "tape"
_TAPE_KEYS = ("large",)

_STABLE = Decimal(100_000)
DEFAULT_LARGE: Mapping[str, Decimal] = {
    # Dollar-like quotes: a 100k print moves a liquid book's top levels.
    **dict.fromkeys(("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USDP", "DAI", "USD"), _STABLE),
    "EUR": Decimal(100_000),
    "BTC": Decimal(1),
    "ETH": Decimal(30),
    "BNB": Decimal(200),
    "TRY": Decimal(3_000_000),
    "BRL": Decimal(500_000),
    "JPY": Decimal(15_000_000),
}
"""Notional (in the quote asset) from which a print is large, by quote asset: about
100,000 US dollars each, rounded."""


def large_threshold(quote: str, overrides: Mapping[str, Decimal]) -> Decimal | None:
    """The large-print notional for a quote asset (None: no highlight for unknown quotes)."""
    found = overrides.get(quote)
    return found if found is not None else DEFAULT_LARGE.get(quote)


def parse_tape(table: Mapping[str, Any], ctx: Context) -> dict[str, Decimal]:
    """``[tape]`` → the per-quote ``large`` overrides (errors and warnings go to ``ctx``)."""
    for key in table:
        if key not in _TAPE_KEYS:
            ctx.unknown(TAPE, key, _TAPE_KEYS)
    raw = table.get("large", {})
    if not isinstance(raw, dict):
        ctx.error("key 'tape.large' must be a table like { USDT = 100000 }", TAPE, "large")
        return {}
    large: dict[str, Decimal] = {}
    for quote, value in raw.items():
        amount = _amount(value)
        if amount is None or amount <= 0:
            ctx.error(
                f"key 'tape.large.{quote}' must be a positive number (an integer or a decimal "
                'string like "2.5")',
                TAPE,
                "large",
            )
            continue
        large[str(quote).upper()] = amount
    return large


def _amount(value: Any) -> Decimal | None:
    if type(value) is int:
        return Decimal(value)
    if type(value) is float:
        # TOML floats are binary; their shortest repr is what the person wrote ("0.5").
        text = repr(value)
        return Decimal(text) if is_exchange_decimal(text) else None
    if type(value) is str and is_exchange_decimal(value):
        return Decimal(value)
    return None
