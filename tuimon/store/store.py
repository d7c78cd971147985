"""The one shared state: feeds write, readers (widgets, ``tuimon snapshot``) read.

Writers call ``apply_*``/``note_*`` and the store marks topics dirty; readers call
:meth:`Store.take_dirty` at their own pace (the UI at frame rate) and then read plain state.
Everything runs on one asyncio loop and no mutator awaits, so a reader always sees a state
between two whole updates: consistent without locks. Ingest never waits on rendering.
"""

from __future__ import annotations

from collections.abc import Callable

from tuimon.clock import Clock, SystemClock
from tuimon.protocol.book import APPLIED, GAP, STALE, BookSync, SnapshotVerdict, Verdict
from tuimon.protocol.models import (
    DepthDiff,
    DepthSnapshot,
    Kline,
    Liquidation,
    MarkPrice,
    MiniTicker,
    SymbolInfo,
    Trade,
)
from tuimon.protocol.streams import depth_period
from tuimon.store import topics
from tuimon.store.account import AccountStore
from tuimon.store.freshness import BookPulse
from tuimon.store.state import Health, KlineSeries
from tuimon.store.tape import TradeTape
from tuimon.store.waiters import Waiters

ROUTE_SILENCE = 5.0
"""Seconds without any frame on a book's connection before its books count as silent."""


class Store:
    """Market state for one market: tickers, books, klines, symbols and health."""

    def __init__(self, market: str, *, clock: Clock | None = None, futures: bool = False) -> None:
        self.market = market
        self.futures = futures
        self.clock: Clock = clock or SystemClock()
        self.tickers: dict[str, MiniTicker] = {}
        self.market_tickers: dict[str, MiniTicker] = {}
        """Every symbol of the market from ``!miniTicker@arr`` (the screener's rows); bounded by
        the exchangeInfo table once it is known."""
        self.books: dict[str, BookSync] = {}
        self._book_topics: dict[str, str] = {}
        self._pulses: dict[str, BookPulse] = {}
        self._retired_resyncs = 0
        self.book_routes: dict[str, str] = {}
        """Health-record name of the connection carrying each book's depth stream."""
        self.klines: dict[tuple[str, str], KlineSeries] = {}
        self.symbols: dict[str, SymbolInfo] = {}
        self.tapes: dict[str, TradeTape] = {}
        """Trades tapes of the symbols whose trades are watched."""
        self.marks: dict[str, MarkPrice] = {}
        """Futures mark price, index and funding per symbol (latest event)."""
        self.health = Health(started_mono=self.clock.monotonic())
        self.account = AccountStore(market, mark=self.mark, clock=self.clock)
        """Private data (orders, balances, positions); disabled until a user feed runs."""
        self._dirty: set[str] = set()
        self._waiters: Waiters[Store] = Waiters()
        self._monotonic = self.clock.monotonic
        self._wall_offset_ms = 0.0
        self._sync_wall_offset()

    # ------------------------------------------------------------------ change tracking

    def mark(self, topic: str) -> None:
        """Mark a topic changed."""
        self._dirty.add(topic)
        if self._waiters:  # one truthiness test on the hot path when nobody waits
            self._waiters.wake(self)

    async def wait_until(self, predicate: Callable[[Store], bool], within: float) -> bool:
        """Wait (event-driven, re-checked on every store change) until ``predicate(store)``.

        Returns False if ``within`` seconds pass first.
        """
        return await self._waiters.wait_until(self, predicate, within)

    def take_dirty(self) -> set[str]:
        """Topics changed since the last call (and forget them)."""
        dirty, self._dirty = self._dirty, set()
        self._sync_wall_offset()
        return dirty

    def reset(self) -> None:
        """Forget all market state, as if just made (a replay restarting from its start).

        Every topic that had data is marked, so readers repaint from the empty state.
        """
        gone = {*self._book_topics.values()}
        gone.update(topics.klines_topic(*key) for key in self.klines)
        gone.update(topics.trades_topic(symbol) for symbol in self.tapes)
        self.tapes = {}
        self.marks = {}
        self.tickers = {}
        self.market_tickers = {}
        self.books = {}
        self._book_topics = {}
        self._pulses = {}
        self._retired_resyncs = 0
        self.book_routes = {}
        self.klines = {}
        self.symbols = {}
        self.health = Health(started_mono=self.clock.monotonic())
        self._sync_wall_offset()
        for topic in (*gone, topics.TICKERS, topics.SYMBOLS, topics.HEALTH, topics.MARKS):
            self.mark(topic)

    def switch_market(self, market: str, *, futures: bool) -> None:
        """Become the Store of another market: every market and account state is dropped
        (a new AccountStore: orders, balances and positions belong to one market)."""
        self.market = market
        self.futures = futures
        self.reset()
        self.account = AccountStore(market, mark=self.mark, clock=self.clock)
        self.mark(topics.ACCOUNT)

    # ------------------------------------------------------------------ symbols

    def set_symbols(self, table: dict[str, SymbolInfo]) -> None:
        """Replace the exchangeInfo symbol table."""
        self.symbols = table
        self.mark(topics.SYMBOLS)

    # ------------------------------------------------------------------ tickers

    def apply_mini_ticker(self, ticker: MiniTicker) -> None:
        """Latest 24 h mini ticker of a symbol (older event times are ignored)."""
        current = self.tickers.get(ticker.symbol)
        if current is not None and ticker.event_time < current.event_time:
            return
        self.tickers[ticker.symbol] = ticker
        self.mark(topics.TICKERS)

    def apply_market_tickers(self, tickers: list[MiniTicker]) -> None:
        """One ``!miniTicker@arr`` frame (only the symbols that changed) or a REST seed.

        Symbols outside exchangeInfo are dropped (after the CM migration USDⓈ-M arrays may
        carry COIN-M contracts); watched tickers are refreshed too, as their own stream would.
        """
        known = self.symbols
        rows = self.market_tickers
        watched = self.tickers
        changed = False
        for ticker in tickers:
            symbol = ticker.symbol
            if known and symbol not in known:
                continue
            current = rows.get(symbol)
            if current is not None and ticker.event_time < current.event_time:
                continue
            rows[symbol] = ticker
            changed = True
            seen = watched.get(symbol)
            if seen is not None and ticker.event_time >= seen.event_time:
                watched[symbol] = ticker
                self.mark(topics.TICKERS)
        if changed:
            self.mark(topics.MARKET)

    # ------------------------------------------------------------------ books

    def book(self, symbol: str) -> BookSync:
        """The book of a symbol, created (waiting for a snapshot) on first use."""
        sync = self.books.get(symbol)
        if sync is None:
            sync = self.books[symbol] = BookSync(futures=self.futures)
            self._book_topics[symbol] = topics.book_topic(symbol)
            # Kept across resyncs: how often a symbol's book moves outlives one snapshot.
            self._pulses.setdefault(symbol, BookPulse())
        return sync

    def route_book(self, symbol: str, route: str, stream: str) -> None:
        """The connection (health-record name) and diff stream carrying a book's depth.

        The stream name gives the update period, the shortest normal gap between diffs.
        """
        self.book(symbol)
        self.book_routes[symbol] = route
        self._pulses[symbol].set_period(depth_period(stream, futures=self.futures))

    def pulse(self, symbol: str) -> BookPulse | None:
        """When a book last moved and its normal gap between diffs (read-only for callers)."""
        return self._pulses.get(symbol)

    def drop_book(self, symbol: str) -> None:
        """Forget a symbol's book (no longer watched)."""
        sync = self.books.pop(symbol, None)
        if sync is not None:
            self._retired_resyncs += sync.stats.resyncs  # the health total never goes down
        self._book_topics.pop(symbol, None)
        self._pulses.pop(symbol, None)
        self.book_routes.pop(symbol, None)
        self.mark(topics.book_topic(symbol))

    def apply_depth(self, diff: DepthDiff, now: float | None = None) -> Verdict:
        """Feed one diff through the symbol's sync rules.

        ``now`` is the frame's receive time (monotonic) when the caller has already read the
        clock for it (the market worker reads it once per TCP read).
        """
        symbol = diff.symbol
        sync = self.books.get(symbol)
        if sync is None:
            return STALE  # not watched (late frame after UNSUBSCRIBE)
        verdict = sync.on_diff(diff)
        if verdict is APPLIED:
            self._pulses[symbol].beat(self._monotonic() if now is None else now)
            self._dirty.add(self._book_topics[symbol])  # mark(), inlined: per message
            if self._waiters:
                self._waiters.wake(self)
        elif verdict is GAP:
            self._dirty.add(self._book_topics[symbol])
            if self._waiters:
                self._waiters.wake(self)
        return verdict

    def apply_snapshot(self, symbol: str, snapshot: DepthSnapshot) -> SnapshotVerdict:
        """Load a REST snapshot into a symbol's book and replay its buffer."""
        verdict = self.book(symbol).on_snapshot(snapshot)
        if verdict is SnapshotVerdict.SYNCED:
            self._pulses[symbol].restart(self._monotonic())
        self.mark(topics.book_topic(symbol))
        return verdict

    def confirm_book(self, symbol: str) -> None:
        """The exchange's book (a REST check) has not moved past ours: the book is exact now,
        and its quiet spell was genuine (it teaches the book's normal gap)."""
        pulse = self._pulses.get(symbol)
        sync = self.books.get(symbol)
        if pulse is None or sync is None or not sync.synced:
            return
        pulse.confirm(self._monotonic())
        self.mark(topics.book_topic(symbol))

    def book_freshness(self, symbol: str, max_silence: float = ROUTE_SILENCE) -> str:
        """``live``, ``syncing`` (no vouched book yet), ``silent`` or ``disconnected``.

        ``silent``: no frame for ``max_silence`` s on the book's connection, or the connection is
        live but the book has had no diff for longer than its own limit (a few update periods
        for a liquid book, correspondingly longer for a quiet one: see
        :mod:`tuimon.store.freshness`). Only ``live`` may be shown as live.
        """
        state = self._freshness(symbol, max_silence)
        return "silent" if state == "stalled" else state

    def book_stalled(self, symbol: str) -> bool:
        """The book is overdue while its connection is live: its own stream has stalled (or
        the book is quieter than it has ever been; a REST check tells which)."""
        return self._freshness(symbol, ROUTE_SILENCE) == "stalled"

    def _freshness(self, symbol: str, max_silence: float) -> str:
        sync = self.books.get(symbol)
        if sync is None or not sync.synced:
            return "syncing"
        route = self.book_routes.get(symbol)
        record = self.health.routes.get(route) if route else None
        if record is None or not record.connected:
            return "disconnected"
        now = self._monotonic()
        last = record.last_message_mono
        if last is None or now - last > max_silence:
            return "silent"
        pulse = self._pulses.get(symbol)
        if pulse is not None and pulse.overdue(now):
            return "stalled"
        return "live"

    def book_age(self, symbol: str) -> float | None:
        """Seconds since a synced book was last known exact (its last diff, snapshot or REST
        check), by receive time; None while it is not synced."""
        sync = self.books.get(symbol)
        pulse = self._pulses.get(symbol)
        if sync is None or not sync.synced or pulse is None or pulse.last is None:
            return None
        return max(0.0, self._monotonic() - pulse.last)

    @property
    def resyncs(self) -> int:
        """Times a live book was dropped and rebuilt (gaps, reconnects), ever."""
        return self._retired_resyncs + sum(s.stats.resyncs for s in self.books.values())

    # ------------------------------------------------------------------ klines

    def series(self, symbol: str, interval: str) -> KlineSeries:
        """Candles of a symbol at an interval, created on first use."""
        key = (symbol, interval)
        series = self.klines.get(key)
        if series is None:
            series = self.klines[key] = KlineSeries(symbol, interval)
        return series

    def load_klines(self, symbol: str, interval: str, candles: list[Kline]) -> None:
        """Seed candles from REST."""
        self.series(symbol, interval).load(candles)
        self.mark(topics.klines_topic(symbol, interval))

    def drop_klines(self, symbol: str, interval: str) -> None:
        """Forget candles no longer watched, so watching them again reloads full history."""
        if self.klines.pop((symbol, interval), None) is not None:
            self.mark(topics.klines_topic(symbol, interval))

    def apply_kline(self, kline: Kline) -> None:
        """Live candle update (the forming candle updates in place)."""
        if self.series(kline.symbol, kline.interval).apply(kline):
            self.mark(topics.klines_topic(kline.symbol, kline.interval))

    # ------------------------------------------------------------------ trades, marks

    def tape(self, symbol: str) -> TradeTape:
        """The trades tape of a symbol, created on first use."""
        tape = self.tapes.get(symbol)
        if tape is None:
            tape = self.tapes[symbol] = TradeTape()
        return tape

    def drop_tape(self, symbol: str) -> None:
        """Forget a tape no longer watched: watching it again starts (and seeds) afresh, so
        the trades missed meanwhile are not shown as one huge gap."""
        if self.tapes.pop(symbol, None) is not None:
            self.mark(topics.trades_topic(symbol))

    def apply_trade(self, trade: Trade) -> None:
        """A live aggregate trade of a watched symbol (others are late frames: ignored)."""
        tape = self.tapes.get(trade.symbol)
        if tape is not None and tape.add(trade):
            self.mark(topics.trades_topic(trade.symbol))

    def seed_trades(self, symbol: str, trades: list[Trade]) -> None:
        """Merge a REST history into a watched symbol's tape."""
        tape = self.tapes.get(symbol)
        if tape is not None:
            tape.seed(trades)
            self.mark(topics.trades_topic(symbol))

    def apply_liquidation(self, liquidation: Liquidation) -> None:
        """A liquidation order of a watched symbol goes on its tape."""
        tape = self.tapes.get(liquidation.symbol)
        if tape is not None:
            tape.add_liquidation(liquidation)
            self.mark(topics.trades_topic(liquidation.symbol))

    def drop_mark(self, symbol: str) -> None:
        """Forget a mark no longer streamed: a frozen mark must not value a position or show
        in the header as if current (the ticker's last price stands in again)."""
        if self.marks.pop(symbol, None) is not None:
            self.mark(topics.MARKS)

    def apply_mark(self, mark: MarkPrice) -> None:
        """Latest mark price of a symbol (an older event time is ignored)."""
        current = self.marks.get(mark.symbol)
        if current is not None and mark.event_time < current.event_time:
            return
        self.marks[mark.symbol] = mark
        self.mark(topics.MARKS)

    # ------------------------------------------------------------------ health

    def note_message(self, route: str, event_time: int | None) -> float:
        """One frame arrived on a route; ``event_time`` (ms) gives the feed latency.

        Returns the monotonic receive time, for :meth:`apply_depth`.
        """
        return self.note_messages(route, 1, event_time)

    def note_messages(
        self, route: str, count: int, event_time: int | None, now: float | None = None
    ) -> float:
        """``count`` frames arrived together on a route (one TCP read); the newest event time
        among them (ms, None if none had one) gives the feed latency.

        The market worker calls this once per read, not per frame. ``now`` is the read's
        receive time if the caller already read the clock. The receive wall time is derived
        from the monotonic reading and a wall-minus-monotonic offset refreshed every 4096
        frames and on every ``take_dirty`` (so a wall-clock step is picked up within a frame
        or two). Returns the monotonic receive time.
        """
        record = self.health.routes.get(route) or self.health.route(route)
        if now is None:
            now = self._monotonic()
        before = record.messages
        record.messages = before + count
        record.last_message_mono = now
        if event_time is not None:
            record.latency_ms = int(now * 1000.0 + self._wall_offset_ms) - event_time
        if (before ^ record.messages) >> 12:  # crossed a multiple of 4096
            self._sync_wall_offset()
        self._dirty.add(topics.HEALTH)
        if self._waiters:
            self._waiters.wake(self)
        return now

    def _sync_wall_offset(self) -> None:
        self._wall_offset_ms = self.clock.wall_ms() - self.clock.monotonic() * 1000.0

    def note_bad_frame(self, route: str, reason: str) -> None:
        """A frame failed to parse."""
        self.health.route(route).bad_frames += 1
        self.health.last_bad_frame = reason
        self.mark(topics.HEALTH)

    def set_connected(self, route: str, connected: bool, error: str = "") -> None:
        """A route connected or dropped."""
        record = self.health.route(route)
        record.connected = connected
        if error:
            record.last_error = error
        self.mark(topics.HEALTH)

    def note_reconnect(self, route: str) -> None:
        """A route is reconnecting after a drop."""
        self.health.route(route).reconnects += 1
        self.mark(topics.HEALTH)

    def set_status(self, text: str) -> None:
        """Latest one-line problem worth showing."""
        self.health.status = text
        self.mark(topics.HEALTH)
