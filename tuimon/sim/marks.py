"""Futures extras of one simulated symbol: index, mark price, funding rate and liquidations.

Binance's mark price is built from the index (a spot average from other venues) plus a smoothed
basis, and the funding rate from the premium of mark over index, clamped around the interest
rate (UM docs "Mark Price", "Funding Rate"). The simulator follows that shape with its own
numbers: the index is the model's hidden fair value times a slowly wandering basis, the mark is
the index plus an exponential average of (mid - index), held inside the touch so that it always
stays near the mid, and the funding rate follows the averaged premium.

Liquidations are taker orders of the exchange's liquidation engine: an IOC limit order at the
bankruptcy price that walks the book like any taker (so its fills are ordinary aggTrades at
prices the book had), reported on ``@forceOrder`` with its average fill price.

Everything draws from its own seeded ``random.Random`` so the book's event sequence is a pure
function of the seed whatever the futures extras do with theirs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuimon.sim.model import SymbolModel

EIGHT_HOURS = 8 * 3600 * 1000
INTEREST_RATE = 0.0001  # 0.01 % per 8 h, Binance's default interest rate
Q8 = Decimal("0.00000001")
_BASIS_ALPHA = 0.02  # mark basis EMA per 50 ms step: about 2.5 s
_PREMIUM_ALPHA = 0.0005  # premium average per step: about 100 s
_LIQ_PER_STEP = 1 / 2400  # liquidations per step at activity 1: about one in 2 minutes
_MAX_RATE = 0.003  # clamp of the simulated funding rate (the real caps are per symbol)


def fmt8(value: float) -> str:
    """A float model value as Binance prints marks and rates: 8 decimals, exact string."""
    return f"{Decimal(value).quantize(Q8, ROUND_HALF_EVEN):f}"


def price8(ticks: float, tick: Decimal) -> str:
    """A price in (fractional) ticks as an 8-decimal string, like markPrice and indexPrice."""
    return f"{(Decimal(ticks) * tick).quantize(Q8, ROUND_HALF_EVEN):f}"


def next_funding_time(now_ms: int) -> int:
    """Funding happens at 00:00, 08:00 and 16:00 UTC."""
    return (now_ms // EIGHT_HOURS + 1) * EIGHT_HOURS


def funding_rate_at(key: str, funding_time: int) -> str:
    """A settled rate of the past: deterministic per (seed, market, symbol, time), no storage."""
    rng = random.Random(f"{key}/funding/{funding_time}")
    rate = min(_MAX_RATE, max(-_MAX_RATE, INTEREST_RATE + rng.gauss(0.0, 0.00012)))
    return fmt8(rate)


@dataclass(frozen=True, slots=True)
class Liquidation:
    """One liquidation order as @forceOrder reports it (prices in ticks, quantities in steps)."""

    side: str  # "SELL" liquidates a long, "BUY" a short
    price: int  # the order's limit (bankruptcy) price
    qty: int
    filled: int
    quote: int  # sum of price * qty over the fills, in ticks * steps (average = quote / filled)
    time: int


class FuturesMarks:
    """Index, mark, funding and liquidation state of one futures symbol; stepped with the book."""

    __slots__ = ("sm", "rng", "key", "bias", "basis", "premium", "liquidation", "liq_seq")

    def __init__(self, sm: SymbolModel, key: str) -> None:
        self.sm = sm
        self.key = key
        self.rng = random.Random(f"{key}/marks")
        self.bias = self.rng.uniform(-0.0012, 0.0012)  # index below/above the book, as a share
        self.basis = 0.0  # EMA of (mid - index), in ticks
        self.premium = self.bias
        self.liquidation: Liquidation | None = None
        self.liq_seq = 0  # bumps on every liquidation: the emitter's "new since last push"

    # ------------------------------------------------------------------ prices (in ticks)
    def index(self) -> float:
        return self.sm.fair * (1.0 - self.bias)

    def mark(self) -> float:
        sm = self.sm
        bb, ba = sm.bids_px[-1], sm.asks_px[0]
        return min(float(ba), max(float(bb), self.index() + self.basis))

    def funding_rate(self) -> float:
        p = self.premium
        rate = p + min(0.0005, max(-0.0005, INTEREST_RATE - p))
        return min(_MAX_RATE, max(-_MAX_RATE, rate))

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        sm = self.sm
        rng = self.rng
        # A mean-reverting walk with a standard deviation of about 0.1 %: the premium then leaves
        # the +-0.05 % band around the interest rate now and then, so the funding rate moves.
        self.bias = 0.9995 * self.bias + rng.gauss(0.0, 0.00003)
        index = self.index()
        mid = (sm.bids_px[-1] + sm.asks_px[0]) / 2
        self.basis += _BASIS_ALPHA * (mid - index - self.basis)
        if index > 0:
            self.premium += _PREMIUM_ALPHA * ((self.mark() - index) / index - self.premium)
        if rng.random() < _LIQ_PER_STEP * sm.activity:
            self.liquidate()

    def liquidate(self) -> None:
        """A forced close: sells when the price is falling (longs are hit), buys when rising."""
        sm = self.sm
        rng = self.rng
        mid = (sm.bids_px[-1] + sm.asks_px[0]) / 2
        buy = rng.random() < (0.7 if sm.fair > mid else 0.3)
        qty = max(1, int(3 * sm.trade_lot * rng.lognormvariate(0.0, 0.8)))
        # The bankruptcy price lies a little beyond the touch; the IOC fills up to it.
        slack = max(1, round(mid * rng.uniform(0.0005, 0.003)))
        limit = sm.asks_px[0] + slack if buy else max(1, sm.bids_px[-1] - slack)
        fills = sm.take(buy, limit=limit, qty=qty, max_levels=8, rng=rng)
        if not fills:
            return
        filled = sum(q for _, q in fills)
        quote = sum(p * q for p, q in fills)
        self.liquidation = Liquidation("BUY" if buy else "SELL", limit, qty, filled, quote,
                                       sm.now)
        self.liq_seq += 1


__all__ = ["EIGHT_HOURS", "INTEREST_RATE", "FuturesMarks", "Liquidation", "fmt8", "price8",
           "funding_rate_at", "next_funding_time"]
