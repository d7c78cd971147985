"""The one shared state: feeds write, readers (widgets, ``tuimon snapshot``) read.

Writers call ``apply_*``/``note_*`` and the store marks topics dirty; readers call
:meth:`Store.take_dirty` at their own pace (the UI at frame rate) and then read plain state.
Everything runs on one asyncio loop and no mutator awaits, so a reader always sees a state
between two whole updates: consistent without locks. Ingest never waits on rendering.
"""

from __future__ import annotations

from collections.abc import Callable

from tuimon.clock import Clock, SystemClock
from tuimon.protocol.book import BookSync, SnapshotVerdict, Verdict
from tuimon.protocol.models import DepthDiff, DepthSnapshot, Kline, MiniTicker, SymbolInfo
from tuimon.store import topics
from tuimon.store.account import AccountStore
from tuimon.store.state import Health, KlineSeries
from tuimon.store.waiters import Waiters


class Store:
    """Market state for one market: tickers, books, klines, symbols and health."""

    def __init__(self, market: str, *, clock: Clock | None = None, futures: bool = False) -> None:
        self.market = market
        self.futures = futures
        self.clock: Clock = clock or SystemClock()
        self.tickers: dict[str, MiniTicker] = {}
        self.books: dict[str, BookSync] = {}
        self._book_topics: dict[str, str] = {}
        self._retired_resyncs = 0
        self.book_routes: dict[str, str] = {}
        """Health-record name of the connection carrying each book's depth stream."""
        self.klines: dict[tuple[str, str], KlineSeries] = {}
        self.symbols: dict[str, SymbolInfo] = {}
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

    # ------------------------------------------------------------------ books

    def book(self, symbol: str) -> BookSync:
        """The book of a symbol, created (waiting for a snapshot) on first use."""
        sync = self.books.get(symbol)
        if sync is None:
            sync = self.books[symbol] = BookSync(futures=self.futures)
            self._book_topics[symbol] = topics.book_topic(symbol)
        return sync

    def drop_book(self, symbol: str) -> None:
        """Forget a symbol's book (no longer watched)."""
        sync = self.books.pop(symbol, None)
        if sync is not None:
            self._retired_resyncs += sync.stats.resyncs  # the health total never goes down
        self._book_topics.pop(symbol, None)
        self.book_routes.pop(symbol, None)
        self.mark(topics.book_topic(symbol))

    def apply_depth(self, diff: DepthDiff) -> Verdict:
        """Feed one diff through the symbol's sync rules."""
        sync = self.books.get(diff.symbol)
        if sync is None:
            return Verdict.STALE  # not watched (late frame after UNSUBSCRIBE)
        verdict = sync.on_diff(diff)
        if verdict is Verdict.APPLIED or verdict is Verdict.GAP:
            self._dirty.add(self._book_topics[diff.symbol])  # mark(), inlined: per message
            if self._waiters:
                self._waiters.wake(self)
        return verdict

    def apply_snapshot(self, symbol: str, snapshot: DepthSnapshot) -> SnapshotVerdict:
        """Load a REST snapshot into a symbol's book and replay its buffer."""
        verdict = self.book(symbol).on_snapshot(snapshot)
        self.mark(topics.book_topic(symbol))
        return verdict

    def book_freshness(self, symbol: str, max_silence: float = 5.0) -> str:
        """``live``, ``syncing`` (no vouched book yet), ``silent`` (no frame for max_silence s on
        the book's connection) or ``disconnected``. Only ``live`` may be shown as live."""
        sync = self.books.get(symbol)
        if sync is None or not sync.synced:
            return "syncing"
        route = self.book_routes.get(symbol)
        record = self.health.routes.get(route) if route else None
        if record is None or not record.connected:
            return "disconnected"
        last = record.last_message_mono
        if last is None or self.clock.monotonic() - last > max_silence:
            return "silent"
        return "live"

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

    # ------------------------------------------------------------------ health

    def note_message(self, route: str, event_time: int | None) -> None:
        """One frame arrived on a route; ``event_time`` (ms) gives the feed latency.

        Called for every frame, so it reads one clock: the receive wall time is derived from
        the monotonic reading and a wall-minus-monotonic offset refreshed every 4096 frames and
        on every ``take_dirty`` (so a wall-clock step is picked up within a frame or two).
        """
        record = self.health.routes.get(route) or self.health.route(route)
        now = self._monotonic()
        record.messages += 1
        record.last_message_mono = now
        if event_time is not None:
            record.latency_ms = int(now * 1000.0 + self._wall_offset_ms) - event_time
        if record.messages & 4095 == 0:
            self._sync_wall_offset()
        self._dirty.add(topics.HEALTH)
        if self._waiters:
            self._waiters.wake(self)

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
