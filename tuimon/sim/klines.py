"""Candle arithmetic and the seeded backward history behind REST klines.

Candles are plain lists (see the ``K_*`` indices) because thousands of them are touched per second
by the trade path; a dataclass would cost an attribute lookup chain per field.

History is generated *backward* from the price at simulator start, so the newest historical candle
closes exactly where the live stream begins and REST klines join the stream without a jump.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

# Candle layout: [open_time, close_time, o, h, l, c, v, q, n, V, Q, first_id, last_id]
K_T, K_CT, K_O, K_H, K_L, K_C, K_V, K_Q, K_N, K_TBV, K_TBQ, K_F, K_LID = range(13)
Candle = list[int]
# A candle only read from here on (a closed one: see candles.CandleState.roll); indexed like
# a Candle.
CandleView = Sequence[int]
QuoteFn = Callable[[int, int], int]  # (price ticks, qty steps) -> quote units

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
INTERVAL_MS: dict[str, int] = {
    "1s": SECOND, "1m": MINUTE, "3m": 3 * MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE,
    "30m": 30 * MINUTE, "1h": HOUR, "2h": 2 * HOUR, "4h": 4 * HOUR, "6h": 6 * HOUR,
    "8h": 8 * HOUR, "12h": 12 * HOUR, "1d": DAY, "3d": 3 * DAY, "1w": 7 * DAY,
    "1M": 31 * DAY,  # nominal only; months are calendar-aligned below
}
_MONDAY_OFFSET = 4 * DAY  # 1970-01-01 was a Thursday; weekly candles open on Monday 00:00 UTC


def _month_index(t_ms: int) -> int:
    dt = datetime.fromtimestamp(t_ms / 1000, tz=UTC)
    return dt.year * 12 + dt.month - 1


def _month_start(index: int) -> int:
    year, month0 = divmod(index, 12)
    return int(datetime(year, month0 + 1, 1, tzinfo=UTC).timestamp() * 1000)


def candle_open(interval: str, t_ms: int) -> int:
    """Open time of the candle of ``interval`` that contains ``t_ms``."""
    if interval == "1M":
        return _month_start(_month_index(t_ms))
    size = INTERVAL_MS[interval]
    if interval == "1w":
        return (t_ms - _MONDAY_OFFSET) // size * size + _MONDAY_OFFSET
    return t_ms // size * size


def next_open(interval: str, open_ms: int) -> int:
    if interval == "1M":
        return _month_start(_month_index(open_ms) + 1)
    return open_ms + INTERVAL_MS[interval]


def prev_open(interval: str, open_ms: int) -> int:
    if interval == "1M":
        return _month_start(_month_index(open_ms) - 1)
    return open_ms - INTERVAL_MS[interval]


def empty_candle(interval: str, open_ms: int, price: int) -> Candle:
    """A candle without trades: Binance repeats the previous close and reports ids -1."""
    return [open_ms, next_open(interval, open_ms) - 1, price, price, price, price,
            0, 0, 0, 0, 0, -1, -1]


class HistoryParams:
    """Per-symbol scales for synthetic history: hourly volatility and traded volume."""

    __slots__ = ("p0", "steps_per_hour", "trade_steps", "quote_units")

    def __init__(self, p0: int, steps_per_hour: float, trade_steps: float,
                 quote_units: QuoteFn) -> None:
        self.p0 = p0
        self.steps_per_hour = steps_per_hour
        self.trade_steps = max(1.0, trade_steps)
        self.quote_units = quote_units


def _synth(rng: random.Random, interval: str, open_ms: int, o: int, c: int, frac: float,
           hp: HistoryParams, last_id: int) -> Candle:
    """Fill in h/l/volumes for a candle whose open and close prices are already chosen."""
    hours = INTERVAL_MS[interval] / HOUR * frac
    sigma = 0.01 * math.sqrt(max(hours, 1e-6))
    hi = max(o, c)
    lo = min(o, c)
    h = max(hi, round(hi * (1 + abs(rng.gauss(0, sigma / 2)))))
    low = max(1, min(lo, round(lo * (1 - abs(rng.gauss(0, sigma / 2))))))
    vol = max(0, round(hp.steps_per_hour * hours * rng.lognormvariate(0, 0.35)))
    n = 0 if vol == 0 else max(1, round(vol / hp.trade_steps))
    tbv = round(vol * rng.uniform(0.35, 0.65))
    mid = (o + c + h + low) // 4
    q = hp.quote_units(mid, vol) if vol else 0
    tbq = hp.quote_units(mid, tbv) if tbv else 0
    first = last_id - n + 1 if n else -1
    last = last_id if n else -1
    return [open_ms, next_open(interval, open_ms) - 1, o, h, low, c, vol, q, n, tbv, tbq,
            first, last]


def _step_back(rng: random.Random, price: int, p0: int, sigma: float) -> int:
    # Log random walk with gentle pull toward the seed price so that 1500 monthly candles do not
    # wander to zero or to absurd values.
    x = math.log(price / p0)
    x += rng.gauss(0, sigma) - 0.03 * x
    return max(1, round(p0 * math.exp(x)))


def forming_candle(rng: random.Random, interval: str, start_ms: int, price: int,
                   hp: HistoryParams, last_trade_id: int) -> Candle:
    """The candle that is already open when the simulator starts, ending at ``price``."""
    open_ms = candle_open(interval, start_ms)
    length = next_open(interval, open_ms) - open_ms
    frac = (start_ms - open_ms) / length
    hours = length / HOUR * frac
    o = _step_back(rng, price, hp.p0, 0.01 * math.sqrt(max(hours, 1e-6)))
    if frac <= 0:
        return empty_candle(interval, open_ms, price)
    return _synth(rng, interval, open_ms, o, price, frac, hp, last_trade_id)


def backward_history(rng: random.Random, interval: str, first_open: int, first_open_price: int,
                     count: int, hp: HistoryParams, last_trade_id: int) -> list[Candle]:
    """``count`` closed candles ending right before ``first_open``, oldest first.

    The newest candle closes at ``first_open_price`` (the open of the forming candle).
    """
    out: list[Candle] = []
    open_ms = first_open
    close = first_open_price
    tid = last_trade_id
    hours = INTERVAL_MS[interval] / HOUR
    sigma = min(0.25, 0.01 * math.sqrt(hours))
    for _ in range(count):
        open_ms = prev_open(interval, open_ms)
        if open_ms < 0:
            break
        o = _step_back(rng, close, hp.p0, sigma)
        candle = _synth(rng, interval, open_ms, o, close, 1.0, hp, tid)
        if candle[K_N]:
            tid = candle[K_F] - 1
        out.append(candle)
        close = o
    out.reverse()
    return out
