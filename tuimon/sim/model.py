"""Seeded, deterministic market model: order books with update ids, trades, candles, 24 h stats.

The model knows nothing about sockets or wall time. It advances in discrete *steps* (the server
calls ``step(now_ms)`` every few tens of milliseconds); every random draw comes from per-symbol
``random.Random`` instances seeded from (seed, market, symbol), so the sequence of book updates
and trades is a pure function of the seed and the number of steps, whatever the timing or the set
of subscribers. Time only enters through ``now_ms`` (timestamps and candle boundaries).

Order-book changes are grouped into *internal updates*, each with an update id, mirroring the
matching engine: spot ids are contiguous (+1), futures ids jump by a random positive amount so
consecutive events are never contiguous (reference §5.2). A bounded history of updates (with the
previous quantity of every touched level) lets ``book_at`` rebuild the exact book after any
recent update id by undoing newer updates from the current book.
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

from tuimon.sim.candles import CandleState, Stats24h
from tuimon.sim.fmt import SymbolFormat
from tuimon.sim.klines import Candle, CandleView, HistoryParams
from tuimon.sim.markets import MarketConfig, SymbolSpec
from tuimon.sim.marks import FuturesMarks

BID = 0
ASK = 1

# Rough USD value of the quote assets, used only to size orders in a realistic way.
_QUOTE_USD = {"USDT": 1.0, "USDC": 1.0, "USD": 1.0, "FDUSD": 1.0, "BTC": 95000.0,
              "ETH": 3100.0, "BNB": 880.0}

# One level change while an update is built: (side, price, old qty, new qty).
Change = tuple[int, int, int, int]
# One internal update as kept in the history, flat: [update id, step number, then side, price,
# old qty, new qty for every change]. No timestamp per entry: a diff window always ends at the
# newest update, whose time is ``last_update_time``. An int64 array holds it in about 130 bytes
# with no int objects; nested tuples took about 350, and the 90 s history holds over 130 000
# updates on the default spot universe once the model has settled (about 30 min of steps).
# A value beyond int64 (never seen; a synthesized symbol with an absurd lot) keeps a tuple of the
# same layout, which every reader indexes the same way.
Update = Sequence[int]
_FIRST_CHANGE = 2  # index of the first change's side in an Update

# Aggregate trades kept per symbol for REST aggTrades / trades: the largest ``limit`` either
# accepts. One row is a flat int64 array [agg id, price, qty, first trade id, last trade id, time,
# buyer maker (0/1), then the qty of each underlying trade (ids first..last)], about 140 bytes;
# a deque of AggTrade objects would take about 450 per trade.
TRADES_KEPT = 1000
T_AGG, T_PRICE, T_QTY, T_FIRST, T_LAST, T_TIME, T_MAKER, T_PARTS = range(8)
TradeRow = Sequence[int]


@dataclass(frozen=True, slots=True)
class BookState:
    """A full order book after one internal update; levels best first as (price, qty) strings."""

    symbol: str
    update_id: int
    bids: tuple[tuple[str, str], ...]
    asks: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class AggTrade:
    """One taker order's fills at one price level (= one aggTrade, 1-3 underlying trades)."""

    agg_id: int
    price: int
    qty: int
    first_id: int
    last_id: int
    time: int
    buyer_maker: bool
    parts: tuple[tuple[int, int], ...]  # (trade id, qty steps)
    update_id: int


@dataclass(slots=True)
class DiffWindow:
    """Aggregated book changes between two update ids, ready for a depthUpdate event."""

    first_id: int
    last_id: int
    last_time: int
    bids: dict[int, int]
    asks: dict[int, int]


def make_spec(cfg: MarketConfig, symbol: str, seed: int) -> SymbolSpec:
    """Spec for a requested symbol: from the market's universe, or synthesized deterministically."""
    for spec in cfg.universe:
        if spec.symbol == symbol:
            return spec
    rng = random.Random(f"{seed}/{cfg.name}/{symbol}/spec")
    price = 10 ** rng.uniform(-1.5, 3.0)
    tick_exp = math.floor(math.log10(price)) - 4
    tick = Decimal(1).scaleb(tick_exp)
    price_d = (Decimal(price) / tick).to_integral_value() * tick
    tick_s = f"{tick:f}" if tick_exp < 0 else "1"
    price_s = f"{price_d:f}"
    step_s = "0.001"
    if cfg.price_decimals_pad is not None:
        tick_s = f"{tick:.8f}"
        step_s = "0.00100000"
    if cfg.name == "coinm":
        base = symbol.removesuffix("_PERP").removesuffix("USD")
        return SymbolSpec(symbol, base, "USD", price_s, tick_s, "1", 1.0, base + "USD", 10)
    quote = next((q for q in ("USDT", "USDC", "FDUSD", "BTC", "ETH", "BNB")
                  if symbol.endswith(q) and len(symbol) > len(q)), "USDT")
    return SymbolSpec(symbol, symbol.removesuffix(quote), quote, price_s, tick_s, step_s)


class SymbolModel:
    """Book, trades, candles and stats of one symbol."""

    def __init__(self, spec: SymbolSpec, cfg: MarketConfig, seed: int, start_ms: int,
                 history_steps: int) -> None:
        self.spec = spec
        self.symbol = spec.symbol
        self.cfg = cfg
        self.seed = seed
        self.fmt = SymbolFormat(spec, cfg)
        self.futures = cfg.futures
        self.history_steps = history_steps
        rng = self.rng = random.Random(f"{seed}/{cfg.name}/{spec.symbol}/book")

        tick = Decimal(spec.tick_size)
        self.p0 = max(1, int(Decimal(spec.price) / tick))
        self.gap = max(1, round(self.p0 * 2.5e-5))  # mean spacing of levels, in ticks
        self.sd = self.p0 * 3.5e-5  # fair-value move per step (about 1 %/hour at 50 ms steps)
        self.activity = spec.activity
        # Per-step constants of the dynamics (step() runs 20 times a second per symbol).
        self._fair_floor = max(0.2 * self.p0, 3.0 * self.gap)
        self._half_gap = self.gap / 2
        lam = 0.9 * self.activity
        self._p_more = lam / (1.0 + lam)  # chance of one more random event in a step
        self._tight = max(1, self.gap // 3)  # a spread market makers leave alone
        usd = float(spec.price) * _QUOTE_USD.get(spec.quote, 1.0)
        if spec.contract_size is not None:
            step_usd = float(spec.contract_size)
        else:
            step_usd = max(1e-12, usd * float(spec.step_size))
        self.lot = max(1.0, 4000.0 * spec.activity / step_usd)  # median level size, steps
        self.trade_lot = max(1.0, 600.0 / step_usd)  # median taker order, steps

        if self.futures:
            self.last_id = 500_000_000_000 + rng.randrange(10**11)
        else:
            self.last_id = 4_000_000_000 + rng.randrange(10**9)
        self.trade_id = rng.randrange(10**8, 10**9)  # next trade id
        self.agg_id = rng.randrange(10**8, 5 * 10**8)  # next aggregate trade id

        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.bids_px: list[int] = []  # ascending; best bid is the last element
        self.asks_px: list[int] = []  # ascending; best ask is the first element
        self._seed_book()
        self.fair = float(self.p0)
        self.base_id = self.last_id  # book_at can rebuild any id >= base_id
        self.history: deque[Update] = deque()
        self.step_no = 0
        self.now = start_ms
        self.last_update_time = start_ms
        self.top = self._top()

        # Per-step outputs, read by the server right after step().
        self.step_trades: list[AggTrade] = []
        self.step_tops: list[tuple[int, int, int, int, int]] = []  # (uid, bid, bq, ask, aq)

        self.trades: deque[TradeRow] = deque(maxlen=TRADES_KEPT)
        self.last_trade_time = start_ms
        self.last_price = self.p0
        self.last_qty = max(1, round(self.trade_lot))
        self.candles = CandleState(cfg.intervals, f"{seed}/{cfg.name}/{spec.symbol}", start_ms,
                                   self.p0, self._hist_params(), self.trade_id, self.last_qty,
                                   keep=cfg.klines_max)
        self.marks = FuturesMarks(self, f"{seed}/{cfg.name}/{spec.symbol}") if cfg.futures \
            else None

    # ----------------------------------------------------------------- book primitives
    def _sample_qty(self, scale: float) -> int:
        return max(1, int(scale * self.rng.lognormvariate(0.0, 0.9)))

    def _seed_book(self) -> None:
        rng = self.rng
        spread = rng.randint(1, max(1, self.gap // 3))
        bid = max(1, self.p0 - spread // 2)
        ask = bid + spread
        wide = max(1, 2 * self.gap - 1)
        px = bid
        for _ in range(rng.randint(150, 250)):
            if px < 1:
                break
            self.bids[px] = self._sample_qty(self.lot)
            px -= rng.randint(1, wide)
        px = ask
        for _ in range(rng.randint(150, 250)):
            self.asks[px] = self._sample_qty(self.lot)
            px += rng.randint(1, wide)
        self.bids_px = sorted(self.bids)
        self.asks_px = sorted(self.asks)

    def _set(self, side: int, px: int, qty: int, changes: list[Change]) -> None:
        if side == BID:
            book, pxs = self.bids, self.bids_px
        else:
            book, pxs = self.asks, self.asks_px
        old = book.get(px, 0)
        if qty == old:
            return
        if qty:
            if not old:
                insort(pxs, px)
            book[px] = qty
        else:
            del book[px]
            del pxs[bisect_left(pxs, px)]
        changes.append((side, px, old, qty))

    def _top(self) -> tuple[int, int, int, int]:
        bb = self.bids_px[-1]
        ba = self.asks_px[0]
        return (bb, self.bids[bb], ba, self.asks[ba])

    def _commit(self, changes: list[Change]) -> int:
        """Turn a batch of level changes into one internal update with a fresh id."""
        uid = self.last_id + (self.rng.randint(2, 40) if self.futures else 1)
        self.last_id = uid
        self.last_update_time = self.now
        flat = (uid, self.step_no, *chain.from_iterable(changes))
        try:
            entry: Update = array("q", flat)
        except OverflowError:
            entry = flat
        self.history.append(entry)
        top = self._top()
        if top != self.top:
            self.top = top
            self.step_tops.append((uid, *top))
        return uid

    # ----------------------------------------------------------------- dynamics
    def step(self, step_no: int, now_ms: int) -> None:
        self.step_no = step_no
        self.now = now_ms
        if self.step_trades:  # most steps have none: no new empty lists
            self.step_trades = []
        if self.step_tops:
            self.step_tops = []
        self.candles.roll(now_ms)
        rng = self.rng
        fair = self.fair + (rng.gauss(0.0, self.sd) + 0.001 * (self.p0 - self.fair))  # as +=
        self.fair = fair = max(fair, self._fair_floor)
        half = self._half_gap
        if self.asks_px[0] < fair - half:
            self.take(True, limit=math.floor(fair), qty=None, max_levels=4)
        elif self.bids_px[-1] > fair + half:
            self.take(False, limit=math.ceil(fair), qty=None, max_levels=4)
        p_more = self._p_more
        while rng.random() < p_more:
            self._random_event()
        if self.asks_px[0] - self.bids_px[-1] > self._tight:
            self._refill_spread()
        if not (120 <= len(self.bids_px) <= 300 and 120 <= len(self.asks_px) <= 300):
            self._maintain_depth()
        if self.marks is not None:
            self.marks.step()
        cutoff = step_no - self.history_steps
        hist = self.history
        while hist and hist[0][1] <= cutoff:
            self.base_id = hist.popleft()[0]

    def _random_event(self) -> None:
        rng = self.rng
        r = rng.random()
        side = BID if rng.random() < 0.5 else ASK
        changes: list[Change] = []
        if r < 0.40:  # new order / add to a level near the touch
            offset = int(rng.expovariate(1 / 6)) * self.gap + rng.randint(0, self.gap - 1)
            px = self.bids_px[-1] - offset if side == BID else self.asks_px[0] + offset
            if px < 1:
                return
            book = self.bids if side == BID else self.asks
            self._set(side, px, book.get(px, 0) + self._sample_qty(self.lot), changes)
        elif r < 0.70:  # cancel, fully or partly, near the touch
            pxs = self.bids_px if side == BID else self.asks_px
            if len(pxs) < 20:
                return
            i = min(len(pxs) - 1, int(rng.expovariate(1 / 8)))
            px = pxs[-1 - i] if side == BID else pxs[i]
            book = self.bids if side == BID else self.asks
            old = book[px]
            new = 0 if (old == 1 or rng.random() < 0.4) else rng.randint(1, old - 1)
            self._set(side, px, new, changes)
        elif r < 0.88:  # taker order, side leaning toward the fair value
            mid = (self.bids_px[-1] + self.asks_px[0]) / 2
            lean = max(-0.3, min(0.3, (self.fair - mid) / (4 * self.gap)))
            buy = rng.random() < 0.5 + lean
            self.take(buy, limit=None, qty=self._sample_qty(self.trade_lot), max_levels=2)
            return
        else:  # requote somewhere deeper in the book
            pxs = self.bids_px if side == BID else self.asks_px
            px = pxs[rng.randrange(len(pxs))]
            self._set(side, px, self._sample_qty(self.lot), changes)
        if changes:
            self._commit(changes)

    def take(self, buy: bool, limit: int | None, qty: int | None, max_levels: int,
             rng: random.Random | None = None) -> list[tuple[int, int]]:
        """A taker order walking the opposite side; one internal update, one aggTrade per level.

        Returns the fills as (price, qty) in ticks and steps. ``rng`` splits each fill into
        trades; callers outside the book's own dynamics (liquidations) pass theirs so that the
        book's random sequence stays a function of the seed alone.
        """
        side = ASK if buy else BID
        pxs = self.asks_px if buy else self.bids_px
        book = self.asks if buy else self.bids
        changes: list[Change] = []
        fills: list[tuple[int, int]] = []
        remaining = qty
        while len(fills) < max_levels and len(pxs) > 20:
            px = pxs[0] if buy else pxs[-1]
            if limit is not None and (px > limit if buy else px < limit):
                break
            avail = book[px]
            fill = avail if remaining is None else min(remaining, avail)
            self._set(side, px, avail - fill, changes)
            fills.append((px, fill))
            if remaining is not None:
                remaining -= fill
                if remaining <= 0:
                    break
        if not changes:
            return []
        uid = self._commit(changes)
        for px, fill in fills:
            self._record_trade(px, fill, not buy, uid, rng or self.rng)
        return fills

    def _refill_spread(self) -> None:
        """Market makers step into a wide spread, on the side that is further from fair."""
        tight = self._tight
        rng = self.rng
        for _ in range(3):
            bb = self.bids_px[-1]
            ba = self.asks_px[0]
            if ba - bb <= tight:
                return
            changes: list[Change] = []
            if self.fair - bb > ba - self.fair:
                px = max(bb + 1, ba - rng.randint(1, tight))
                self._set(BID, px, self._sample_qty(self.lot), changes)
            else:
                px = min(ba - 1, bb + rng.randint(1, tight))
                self._set(ASK, px, self._sample_qty(self.lot), changes)
            if changes:
                self._commit(changes)

    def _maintain_depth(self) -> None:
        """Keep 120-300 levels per side: drop the deepest levels or extend the far end."""
        rng = self.rng
        wide = max(1, 2 * self.gap - 1)
        for side in (BID, ASK):
            pxs = self.bids_px if side == BID else self.asks_px
            changes: list[Change] = []
            if len(pxs) > 300:
                excess = len(pxs) - 280
                far = pxs[:excess] if side == BID else pxs[-excess:]
                for px in list(far):
                    self._set(side, px, 0, changes)
            elif len(pxs) < 120:
                px = pxs[0] if side == BID else pxs[-1]
                for _ in range(10):
                    px = px - rng.randint(1, wide) if side == BID else px + rng.randint(1, wide)
                    if px < 1:
                        break
                    self._set(side, px, self._sample_qty(self.lot), changes)
            if changes:
                self._commit(changes)

    # ----------------------------------------------------------------- trades, candles, stats
    def _record_trade(self, px: int, qty: int, buyer_maker: bool, uid: int,
                      rng: random.Random) -> None:
        k = min(qty, rng.randint(1, 3))
        parts: list[tuple[int, int]] = []
        left = qty
        first = self.trade_id
        for i in range(k):
            part = left if i == k - 1 else rng.randint(1, left - (k - 1 - i))
            parts.append((self.trade_id, part))
            self.trade_id += 1
            left -= part
        agg = AggTrade(self.agg_id, px, qty, first, self.trade_id - 1, self.now, buyer_maker,
                       tuple(parts), uid)
        self.agg_id += 1
        self.step_trades.append(agg)
        row = (agg.agg_id, px, qty, first, agg.last_id, self.now, int(buyer_maker),
               *(q for _, q in parts))
        try:
            self.trades.append(array("q", row))
        except OverflowError:
            self.trades.append(row)
        self.last_trade_time = self.now
        self.last_price = px
        self.last_qty = parts[-1][1]
        self.candles.on_trade(px, qty, self.fmt.quote_units(px, qty), k, first, agg.last_id,
                              not buyer_maker)
        self.candles.stats.last_qty = self.last_qty

    def _hist_params(self) -> HistoryParams:
        trades_per_hour = 72000 * 0.25 * self.activity
        return HistoryParams(self.p0, trades_per_hour * self.trade_lot * 1.3, self.trade_lot,
                             self.fmt.quote_units)

    # Views on the candle state used by the emitter, payloads and REST.
    @property
    def stats(self) -> Stats24h:
        return self.candles.stats

    @property
    def forming(self) -> dict[str, Candle]:
        return self.candles.forming

    @property
    def step_closed(self) -> list[tuple[str, Candle]]:
        return self.candles.step_closed

    def klines(self, interval: str, limit: int, start: int | None, end: int | None,
               ) -> list[CandleView]:
        return self.candles.klines(interval, limit, start, end)

    # ----------------------------------------------------------------- queries
    def snapshot(self, limit: int) -> tuple[int, list[list[str]], list[list[str]]]:
        """(lastUpdateId, bids, asks) at the current internal id, best first, ``limit`` deep."""
        price, qty = self.fmt.price, self.fmt.qty
        bids = [[price(p), qty(self.bids[p])] for p in reversed(self.bids_px[-limit:])]
        asks = [[price(p), qty(self.asks[p])] for p in self.asks_px[:limit]]
        return self.last_id, bids, asks

    def changes_since(self, after_id: int) -> DiffWindow | None:
        """Aggregate every internal update with id > after_id (last write per level wins)."""
        hist = self.history
        if not hist or hist[-1][0] <= after_id:
            return None
        start = len(hist)
        for i in range(len(hist) - 1, -1, -1):
            if hist[i][0] <= after_id:
                break
            start = i
        bids: dict[int, int] = {}
        asks: dict[int, int] = {}
        for i in range(start, len(hist)):
            u = hist[i]
            for j in range(_FIRST_CHANGE, len(u), 4):
                if u[j] == BID:
                    bids[u[j + 1]] = u[j + 3]
                else:
                    asks[u[j + 1]] = u[j + 3]
        return DiffWindow(hist[start][0], hist[-1][0], self.last_update_time, bids, asks)

    def book_at(self, update_id: int) -> BookState:
        """Exact full book after internal update ``update_id`` (or the last id before it)."""
        if update_id > self.last_id:
            raise ValueError(f"{self.symbol}: update id {update_id} is in the future "
                             f"(current {self.last_id})")
        if update_id < self.base_id:
            raise LookupError(f"{self.symbol}: update id {update_id} is older than the kept "
                              f"history (oldest {self.base_id})")
        bids = dict(self.bids)
        asks = dict(self.asks)
        state_id = self.base_id  # if every retained update is newer than update_id
        for u in reversed(self.history):
            if u[0] <= update_id:
                state_id = u[0]
                break
            for j in range(len(u) - 4, _FIRST_CHANGE - 1, -4):
                px, old = u[j + 1], u[j + 2]
                book = bids if u[j] == BID else asks
                if old:
                    book[px] = old
                else:
                    book.pop(px, None)
        price, qty = self.fmt.price, self.fmt.qty
        return BookState(
            self.symbol,
            state_id,
            tuple((price(p), qty(bids[p])) for p in sorted(bids, reverse=True)),
            tuple((price(p), qty(asks[p])) for p in sorted(asks)),
        )


class MarketModel:
    """All symbols of one market, stepped together."""

    def __init__(self, cfg: MarketConfig, seed: int, symbols: list[str] | None, start_ms: int,
                 history_steps: int) -> None:
        self.cfg = cfg
        self.seed = seed
        names = symbols if symbols is not None else [s.symbol for s in cfg.universe]
        if not names:
            raise ValueError("at least one symbol is required")
        self.symbols: dict[str, SymbolModel] = {}
        for name in names:
            name = name.upper()
            spec = make_spec(cfg, name, seed)
            self.symbols[name] = SymbolModel(spec, cfg, seed, start_ms, history_steps)
        self.step_no = 0
        self.now = start_ms

    def step(self, now_ms: int) -> None:
        self.step_no += 1
        self.now = now_ms
        for sm in self.symbols.values():
            sm.step(self.step_no, now_ms)



__all__ = ["BID", "ASK", "AggTrade", "BookState", "DiffWindow", "MarketModel",
           "SymbolModel", "Stats24h", "make_spec"]
