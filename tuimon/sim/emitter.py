"""Turns each model step into stream frames at the reference cadences (§4), with depth faults.

CPU discipline: nothing is serialized unless the stream name has at least one delivering
subscriber, and each payload is serialized once per tick and shared by every subscriber (the
combined-stream wrapper is built by byte concatenation, once per tick, only if needed).

Diff-depth bookkeeping: per (symbol, speed) the emitter remembers the last ``u`` it emitted
(whether or not anyone listened, so the id chain is global like on the exchange). The next event
aggregates every internal update after that id: spot ``U`` = previous ``u`` + 1, futures ``pu`` =
previous ``u``. A REST snapshot taken between ticks sees internal updates that the next event
will carry, so its ``lastUpdateId`` falls inside that event's ``[U, u]``.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

import orjson

from tuimon.sim import payloads
from tuimon.sim.model import AggTrade, SymbolModel
from tuimon.sim.streams import SymbolNames

if TYPE_CHECKING:
    from tuimon.sim.server import SimServer
    from tuimon.sim.ws import StreamConn

BASE_STEP_MS = 50  # model step at the reference speed (depth_interval_ms=100)


def cadence_steps(ms: int) -> int:
    """Cadence in model steps; all cadences scale together with depth_interval_ms."""
    return max(1, round(ms / BASE_STEP_MS))


class Emitter:
    def __init__(self, server: SimServer) -> None:
        self.server = server
        cfg = self.cfg = server.cfg
        self.model = server.model
        self.index: dict[str, set[StreamConn]] = server.subscribers
        self.stats = server.stats
        self.faults = server.faults
        self.names = {sym: SymbolNames(cfg, sym) for sym in self.model.symbols}
        self.depth_steps = {sfx: cadence_steps(ms) for sfx, ms in cfg.depth_cadences.items()}
        self.kline_steps = cadence_steps(cfg.kline_ms)
        self.kline_1s_steps = cadence_steps(cfg.kline_1s_ms)
        self.mini_steps = cadence_steps(cfg.mini_ticker_ms)
        self.ticker_steps = cadence_steps(cfg.ticker_ms)
        self.arr_steps = cadence_steps(cfg.arr_ms)
        self.agg_steps = cadence_steps(cfg.agg_trade_ms) if cfg.agg_trade_ms else 0
        self.all_bt_steps = cadence_steps(cfg.all_book_ticker_ms)
        self.mark_steps = {"": cadence_steps(cfg.mark_price_ms), "@1s": cadence_steps(1000)}
        # forceOrder pushes at most the latest liquidation per symbol per 1000 ms (§4.2): the
        # liquidation counter last pushed per symbol tells whether a newer one happened.
        self.force_steps = cadence_steps(1000)
        self.force_seen: dict[str, int] = {sym: 0 for sym in self.model.symbols}
        # Last emitted u per (symbol, speed suffix): the chain every depth event continues.
        self.last_u: dict[tuple[str, str], int] = {
            (sym, sfx): sm.last_id for sym, sm in self.model.symbols.items()
            for sfx in cfg.depth_cadences
        }
        # Recently *sent* diff payloads per (symbol, speed), for the stale fault.
        self.sent: dict[tuple[str, str], deque[bytes]] = {}
        self.agg_buf: dict[str, list[AggTrade]] = {}
        self.mono = 0.0

    # ------------------------------------------------------------------ fan-out
    def publish(self, name: str, symbol: str | None, raw: bytes) -> None:
        conns = self.index.get(name)
        if not conns:
            return
        if self.faults.silence_until and self.faults.silenced(symbol, self.mono):
            self.stats.frames_silenced += len(conns)
            return
        wrapped: bytes | None = None
        for conn in conns:
            if conn.combined:
                if wrapped is None:
                    wrapped = b'{"stream":"' + name.encode() + b'","data":' + raw + b"}"
                conn.push(wrapped)
            else:
                conn.push(raw)

    # ------------------------------------------------------------------ per step
    def emit(self, now: int) -> None:
        self.mono = time.monotonic()
        s = self.model.step_no
        idx = self.index
        cfg = self.cfg
        # What is due this step is the same for every symbol: decided once, not per symbol.
        depth_due = [sfx for sfx, steps in self.depth_steps.items() if s % steps == 0]
        mini_due = s % self.mini_steps == 0
        ticker_due = s % self.ticker_steps == 0
        marks_due = (
            [sfx for sfx, steps in self.mark_steps.items() if s % steps == 0]
            if cfg.futures
            else []
        )
        for sym, sm in self.model.symbols.items():
            n = self.names[sym]
            if sm.step_tops and n.book_ticker in idx:
                for top in sm.step_tops:
                    self.publish(n.book_ticker, sym, payloads.book_ticker(sm, top, now))
            self._trades(sm, n, s, now)
            for sfx in depth_due:
                self._depth(sm, n, sfx, s, now)
            self._klines(sm, n, s, now)
            if mini_due and n.mini_ticker in idx:
                self.publish(n.mini_ticker, sym,
                             orjson.dumps(payloads.mini_ticker_dict(sm, now)))
            if ticker_due and n.ticker in idx:
                self.publish(n.ticker, sym, orjson.dumps(payloads.ticker_dict(sm, now)))
            for sfx in marks_due:
                name = n.mark_price[sfx]
                if name in idx:
                    self.publish(name, sym, orjson.dumps(payloads.mark_price_dict(sm, now)))
        self._market_wide(s, now)
        if cfg.futures and s % self.force_steps == 0:
            self._force_orders(now)
        if s % 20 == 0:
            self.faults.expire(s)

    def _force_orders(self, now: int) -> None:
        idx = self.index
        all_name = "!forceOrder@arr"
        for sym, sm in self.model.symbols.items():
            marks = sm.marks
            if marks is None or marks.liq_seq == self.force_seen[sym]:
                continue
            self.force_seen[sym] = marks.liq_seq
            liq = marks.liquidation
            name = self.names[sym].force_order
            if liq is None or (name not in idx and all_name not in idx):
                continue
            raw = payloads.force_order(sm, liq, now)
            self.publish(name, sym, raw)
            self.publish(all_name, None, raw)  # one event per message, like the per-symbol one

    def _trades(self, sm: SymbolModel, n: SymbolNames, s: int, now: int) -> None:
        idx = self.index
        sym = sm.symbol
        if sm.step_trades:
            if not self.cfg.futures and n.trade in idx:
                for agg in sm.step_trades:
                    for part in agg.parts:
                        self.publish(n.trade, sym, payloads.trade(sm, agg, part, now))
            if n.agg_trade in idx:
                if self.agg_steps:
                    self.agg_buf.setdefault(sym, []).extend(sm.step_trades)
                else:
                    for agg in sm.step_trades:
                        self.publish(n.agg_trade, sym, payloads.agg_trade(sm, agg, now))
        if self.agg_steps and s % self.agg_steps == 0:
            buf = self.agg_buf.pop(sym, None)
            if buf:
                for agg in buf:
                    self.publish(n.agg_trade, sym, payloads.agg_trade(sm, agg, now))

    def _depth(self, sm: SymbolModel, n: SymbolNames, sfx: str, s: int, now: int) -> None:
        idx = self.index
        sym = sm.symbol
        futures = self.cfg.futures
        if not futures:
            # Spot partial depth is a periodic top-N snapshot, sent even when nothing changed.
            for levels, pname in n.partial[sfx]:
                if pname in idx:
                    self.publish(pname, sym, payloads.partial_spot(sm, levels))
        key = (sym, sfx)
        prev_u = self.last_u[key]
        if sm.last_id == prev_u:
            return  # no book change in this interval: no event (as in the recordings)
        name = n.depth[sfx]
        partials = [(lv, p) for lv, p in n.partial[sfx] if p in idx] if futures else []
        if name not in idx and not partials:
            self.last_u[key] = sm.last_id  # nobody listens: keep the chain, skip the work
            return
        window = sm.changes_since(prev_u)
        if window is None:
            return
        self.last_u[key] = window.last_id
        for levels, pname in partials:
            self.publish(pname, sym, payloads.partial_futures(sm, levels, window, now, prev_u))
        if name not in idx:
            return
        raw = payloads.depth_diff(sm, window, now, prev_u)
        actions = self.faults.depth_actions(sym, sfx, s)
        if actions is not None and actions.drop:
            self.stats.gaps_injected += 1  # the ids advance, the event is never sent
            return
        sent = self.sent.get(key)
        if sent is None:
            sent = self.sent[key] = deque(maxlen=16)
        self.publish(name, sym, raw)
        if actions is not None:
            if actions.duplicate:
                self.publish(name, sym, raw)
                self.stats.duplicates_sent += 1
            if actions.stale_age and sent:
                old = sent[-actions.stale_age] if len(sent) >= actions.stale_age else sent[0]
                self.publish(name, sym, old)
                self.stats.stale_sent += 1
        sent.append(raw)

    def _klines(self, sm: SymbolModel, n: SymbolNames, s: int, now: int) -> None:
        idx = self.index
        sym = sm.symbol
        for interval, candle in sm.step_closed:
            name = n.kline[interval]
            if name in idx:  # the final update of the candle, x=true
                self.publish(name, sym, payloads.kline(sm, interval, candle, True, now))
        regular = s % self.kline_steps == 0
        one_sec = s % self.kline_1s_steps == 0
        if not (regular or one_sec):
            return
        for interval, name in n.kline.items():
            due = one_sec if interval == "1s" else regular
            if due and name in idx:
                candle = sm.forming[interval]
                self.publish(name, sym, payloads.kline(sm, interval, candle, False, now))

    def _market_wide(self, s: int, now: int) -> None:
        idx = self.index
        symbols = self.model.symbols.values()
        if s % self.arr_steps == 0:
            changed = [sm for sm in symbols if sm.stats.changed]
            for sm in changed:
                sm.stats.changed = False
            if changed and "!miniTicker@arr" in idx:
                self.publish("!miniTicker@arr", None, orjson.dumps(
                    [payloads.mini_ticker_dict(sm, now) for sm in changed]))
            if changed and self.cfg.futures and "!ticker@arr" in idx:
                self.publish("!ticker@arr", None, orjson.dumps(
                    [payloads.ticker_dict(sm, now) for sm in changed]))
        if not self.cfg.futures:
            return
        if s % self.all_bt_steps == 0 and "!bookTicker" in idx:
            for sm in symbols:
                self.publish("!bookTicker", None, payloads.current_book_ticker(sm, now))
        for sfx, steps in self.mark_steps.items():
            name = "!markPrice@arr" + sfx
            if s % steps == 0 and name in idx:
                self.publish(name, None, orjson.dumps(
                    [payloads.mark_price_dict(sm, now) for sm in symbols]))
