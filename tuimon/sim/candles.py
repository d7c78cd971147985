"""Per-symbol candles for every interval plus the rolling 24 h stats, fed by live trades.

Split from the book model because it has its own lifecycle: candles roll on *time* (the sim
clock), the book moves on *steps*. History before the simulator started is generated lazily per
interval, backward from an anchor fixed at start, so REST klines are deterministic whatever the
order or timing of requests.
"""

from __future__ import annotations

import random
from array import array
from collections import deque

from tuimon.sim.klines import (
    INTERVAL_MS,
    K_C,
    K_CT,
    K_F,
    K_H,
    K_L,
    K_LID,
    K_N,
    K_O,
    K_Q,
    K_T,
    K_TBQ,
    K_TBV,
    K_V,
    Candle,
    CandleView,
    HistoryParams,
    backward_history,
    candle_open,
    empty_candle,
    forming_candle,
    next_open,
)

MAX_HISTORY = 1500  # pre-start candles per interval (futures klines max limit)


def frozen(c: Candle) -> CandleView:
    """A closed candle as a flat int64 array: about 180 bytes instead of about 500 for the list
    and its int objects. The deques hold up to 1000 closed candles per interval and symbol (the
    1s ones fill in 17 minutes: 13 MB as lists on the spot universe, under 5 MB as arrays).
    A value beyond int64 (never seen) keeps the list, which every reader indexes the same way.
    """
    try:
        return array("q", c)
    except OverflowError:
        return c


class Stats24h:
    """Rolling 24 h ticker numbers. Seeded from hourly history, then moved by live trades.

    Trades never roll out of the window (sessions are short next to 24 h); only the window's
    open/close times follow the clock.
    """

    __slots__ = ("o", "h", "l", "c", "last_qty", "v", "q", "n", "first_id", "last_id", "changed")

    def __init__(self) -> None:
        self.o = self.h = self.l = self.c = 0
        self.last_qty = self.v = self.q = self.n = 0
        self.first_id = self.last_id = -1
        self.changed = False


class CandleState:
    """Forming, closed and pre-start candles of every interval for one symbol.

    ``keep`` bounds the live closed candles per interval: the market's largest REST klines
    ``limit`` (1000 spot, 1500 futures), which is the most one request can ask for. Without it
    the 1s candles alone grew by one list per symbol per second for the whole session.
    """

    def __init__(self, intervals: tuple[str, ...], rng_key: str, start_ms: int, price: int,
                 hp: HistoryParams, next_trade_id: int, last_qty: int, keep: int) -> None:
        if keep < 1:
            raise ValueError("keep must be >= 1")
        self.hp = hp
        self.keep = keep
        self._forming: dict[str, Candle] = {}
        self.closed: dict[str, deque[CandleView]] = {}
        self.hist: dict[str, list[Candle]] = {}  # pre-start history, newest first
        self._hist_rng: dict[str, random.Random] = {}
        # Where each interval's history must end: (open of first live candle, its open price,
        # last trade id before it). Fixed now so later trades cannot change the history.
        self._anchor: dict[str, tuple[int, int, int]] = {}
        self.step_closed: list[tuple[str, Candle]] = []
        for interval in intervals:
            rng = random.Random(f"{rng_key}/kline/{interval}")
            self._hist_rng[interval] = rng
            c = forming_candle(rng, interval, start_ms, price, hp, next_trade_id - 1)
            self._forming[interval] = c
            self.closed[interval] = deque(maxlen=keep)
            self.hist[interval] = []
            tid = c[K_F] - 1 if c[K_F] >= 0 else next_trade_id - 1
            self._anchor[interval] = (c[K_T], c[K_O], tid)
        self._next_close = min(c[K_CT] for c in self._forming.values())
        """The earliest close time of any forming candle: until the clock passes it, a step
        has nothing to roll (checking all 16 intervals of 20+ symbols every 50 ms step was a
        visible share of the demo's CPU)."""
        self._pending = empty_candle("1s", 0, 0)
        """Trades not yet in the forming candles, as one candle (only its o/h/l/c, volumes,
        count and ids are used). Each trade updates this one list instead of all 16 forming
        candles; :meth:`_fold` adds it to every forming candle before anyone reads them (the
        same numbers: counts and volumes add up, high/low are max/min, the first trade of an
        empty candle gives its open)."""
        self.stats = self._init_stats(price, next_trade_id, last_qty)

    @property
    def forming(self) -> dict[str, Candle]:
        """The forming candle of every interval, up to the last trade."""
        if self._pending[K_N]:
            self._fold()
        return self._forming

    def _fold(self) -> None:
        p = self._pending
        o, h, low, c, n = p[K_O], p[K_H], p[K_L], p[K_C], p[K_N]
        v, q, tbv, tbq, first, last = p[K_V], p[K_Q], p[K_TBV], p[K_TBQ], p[K_F], p[K_LID]
        for f in self._forming.values():
            if f[K_N] == 0:
                f[K_O] = o
                f[K_H] = h
                f[K_L] = low
                f[K_F] = first
            else:
                if h > f[K_H]:
                    f[K_H] = h
                if low < f[K_L]:
                    f[K_L] = low
            f[K_C] = c
            f[K_V] += v
            f[K_Q] += q
            f[K_N] += n
            f[K_LID] = last
            f[K_TBV] += tbv
            f[K_TBQ] += tbq
        p[K_N] = p[K_V] = p[K_Q] = p[K_TBV] = p[K_TBQ] = 0

    def _init_stats(self, price: int, next_trade_id: int, last_qty: int) -> Stats24h:
        st = Stats24h()
        hourly = list(reversed(self.history("1h", 23))) + [self.forming["1h"]]
        st.o = hourly[0][K_O]
        st.h = max(c[K_H] for c in hourly)
        st.l = min(c[K_L] for c in hourly)
        st.c = price
        st.v = sum(c[K_V] for c in hourly)
        st.q = sum(c[K_Q] for c in hourly)
        st.n = sum(c[K_N] for c in hourly)
        ids = [c[K_F] for c in hourly if c[K_F] >= 0]
        st.first_id = min(ids) if ids else -1
        st.last_id = next_trade_id - 1 if st.n else -1
        st.last_qty = last_qty
        return st

    def on_trade(self, px: int, qty: int, quote: int, count: int, first: int, last: int,
                 taker_buy: bool) -> None:
        """One aggTrade (``count`` trades at ``px``) into the forming candles (through
        ``_pending``) and the stats."""
        c = self._pending
        if c[K_N] == 0:
            c[K_O] = c[K_H] = c[K_L] = px
            c[K_F] = first
        elif px > c[K_H]:
            c[K_H] = px
        elif px < c[K_L]:
            c[K_L] = px
        c[K_C] = px
        c[K_V] += qty
        c[K_Q] += quote
        c[K_N] += count
        c[K_LID] = last
        if taker_buy:
            c[K_TBV] += qty
            c[K_TBQ] += quote
        st = self.stats
        if px > st.h:
            st.h = px
        if px < st.l:
            st.l = px
        st.c = px
        st.v += qty
        st.q += quote
        st.n += count
        st.last_id = last
        if st.first_id < 0:
            st.first_id = first
        st.changed = True

    def roll(self, now_ms: int) -> None:
        """Close every candle whose time is over; closed ones are listed in ``step_closed``."""
        if now_ms <= self._next_close:  # the common case: no candle ends in this step
            if self.step_closed:
                self.step_closed = []
            return
        self.step_closed = []
        rolled = False
        forming = self.forming  # folds the pending trades into the candles about to close
        for interval, c in forming.items():
            if now_ms <= c[K_CT]:
                continue
            rolled = True
            closed = self.closed[interval]
            closed.append(frozen(c))
            self.step_closed.append((interval, c))
            # Candles without trades in between still exist, with the previous close.
            nxt = next_open(interval, c[K_T])
            target = candle_open(interval, now_ms)
            if interval != "1M":
                # After a long pause or a clock jump, only the newest ``keep`` empty candles
                # survive in the deque: do not build the ones it would drop at once.
                size = INTERVAL_MS[interval]
                nxt = max(nxt, target - self.keep * size)
            while nxt < target:
                closed.append(frozen(empty_candle(interval, nxt, c[K_C])))
                nxt = next_open(interval, nxt)
            forming[interval] = empty_candle(interval, target, c[K_C])
        if rolled:
            self._next_close = min(c[K_CT] for c in forming.values())

    def history(self, interval: str, count: int) -> list[Candle]:
        """Pre-start closed candles, newest first, generated lazily and deterministically."""
        hist = self.hist[interval]
        if len(hist) < count:
            if hist:
                first_open, price = hist[-1][K_T], hist[-1][K_O]
                # the trade id just before the oldest candle that had trades
                tid = next((c[K_F] - 1 for c in reversed(hist) if c[K_F] >= 0),
                           self._anchor[interval][2])
            else:
                first_open, price, tid = self._anchor[interval]
            more = backward_history(self._hist_rng[interval], interval, first_open, price,
                                    count - len(hist), self.hp, tid)
            hist.extend(reversed(more))
        return hist[:count]

    def klines(self, interval: str, limit: int, start: int | None, end: int | None,
               ) -> list[CandleView]:
        """REST klines: history + live closed + forming, filtered like the exchange does."""
        closed = self.closed[interval]
        live = list(closed) + [self.forming[interval]]
        oldest_live = live[0][K_T]
        size = INTERVAL_MS[interval]
        # Generate just enough history to cover the request; MAX_HISTORY plays the role of the
        # listing date.
        need = limit
        if start is not None:
            need = max(need, (oldest_live - start) // size + 2)
        if end is not None:
            need = max(need, (oldest_live - end) // size + limit + 2)
        need = max(0, min(need, MAX_HISTORY))
        if closed.maxlen is not None and len(closed) >= closed.maxlen:
            need = 0  # live candles alone cover every limit; history is no longer adjacent
        rows = list(reversed(self.history(interval, need))) + live
        if start is not None:
            rows = [c for c in rows if c[K_T] >= start]
        if end is not None:
            rows = [c for c in rows if c[K_T] <= end]
        if start is not None:
            return rows[:limit]
        return rows[-limit:]
