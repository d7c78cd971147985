"""Integer units <-> Binance decimal strings.

The model keeps every price and quantity as an integer count of ticks / lot steps, so book state
never touches floats and equal prices always compare equal. This module owns the one-way
conversion to the strings that go on the wire ("95287.69000000" on spot, "95270.10" on futures).
"""

from __future__ import annotations

from decimal import Decimal

from tuimon.sim.markets import MarketConfig, SymbolSpec


def decimals_of(value: str) -> int:
    """Digits after the point, trailing zeros included ("0.10" -> 2): the display precision."""
    _, _, frac = value.partition(".")
    return len(frac)


def fmt_units(n: int, d: int) -> str:
    """Render integer ``n`` counted in units of 10**-d as a fixed-point string with d decimals."""
    if d == 0:
        return str(n)
    sign = "-" if n < 0 else ""
    s = str(-n if n < 0 else n)
    if len(s) <= d:
        s = "0" * (d + 1 - len(s)) + s
    return f"{sign}{s[:-d]}.{s[-d:]}"


class SymbolFormat:
    """Conversions for one symbol; built once, used on every payload."""

    __slots__ = (
        "price_dec", "qty_dec", "quote_dec", "tick_units", "step_units", "_quote_div",
        "contract_size", "tick", "step", "_cm_scale",
    )
    price_dec: int
    qty_dec: int
    quote_dec: int
    tick_units: int
    step_units: int
    _quote_div: int
    _cm_scale: int
    contract_size: int | None
    tick: Decimal
    step: Decimal

    def __init__(self, spec: SymbolSpec, cfg: MarketConfig) -> None:
        pad = cfg.price_decimals_pad
        self.tick = Decimal(spec.tick_size)
        self.step = Decimal(spec.step_size)
        # Spot prints everything with 8 decimals; futures print with the filter's own decimals.
        self.price_dec = pad if pad is not None else decimals_of(spec.tick_size)
        self.qty_dec = pad if pad is not None else decimals_of(spec.step_size)
        self.tick_units = int(self.tick.scaleb(self.price_dec))
        self.step_units = int(self.step.scaleb(self.qty_dec))
        self.contract_size = spec.contract_size
        # COIN-M quote volume is base-asset volume with 8 decimals; linear markets use the price
        # precision (futures) or 8 (spot).
        if spec.contract_size is not None:
            self.quote_dec = 8
        else:
            self.quote_dec = pad if pad is not None else self.price_dec
        self._quote_div = 10 ** (self.price_dec + self.qty_dec - self.quote_dec)
        self._cm_scale = 10 ** (self.quote_dec + self.price_dec)

    def price(self, ticks: int) -> str:
        return fmt_units(ticks * self.tick_units, self.price_dec)

    def qty(self, steps: int) -> str:
        return fmt_units(steps * self.step_units, self.qty_dec)

    def quote_units(self, ticks: int, steps: int) -> int:
        """Quote volume of one fill, in units of 10**-quote_dec (floored per fill)."""
        if self.contract_size is not None:
            # COIN-M: contracts * contract size (USD) / price = base-asset amount.
            num = steps * self.contract_size * self._cm_scale
            return num // (ticks * self.tick_units)
        return ticks * self.tick_units * steps * self.step_units // self._quote_div

    def quote(self, units: int) -> str:
        return fmt_units(units, self.quote_dec)

    def price_decimal(self, ticks: int) -> Decimal:
        return self.tick * ticks

    def price_from_decimal(self, value: Decimal) -> str:
        """Quantize an arbitrary Decimal (VWAP, price change) to the display precision."""
        q = value.quantize(Decimal(1).scaleb(-self.price_dec))
        return f"{q:f}"

    def vwap(self, quote_units: int, qty_steps: int, fallback_ticks: int) -> str:
        if qty_steps <= 0:
            return self.price(fallback_ticks)
        quote = Decimal(quote_units).scaleb(-self.quote_dec)
        qty = self.step * qty_steps
        if self.contract_size is not None:
            # volume in contracts, quote in base asset: vwap = contracts * size / base.
            if quote == 0:
                return self.price(fallback_ticks)
            return self.price_from_decimal(qty * self.contract_size / quote)
        return self.price_from_decimal(quote / qty)


def percent(change: int, base: int) -> str:
    """Binance's priceChangePercent: 3 decimals, sign kept."""
    if base == 0:
        return "0.000"
    value = (Decimal(change) * 100 / Decimal(base)).quantize(Decimal("0.001"))
    return f"{value:f}"
