"""The market worker: every market stream of one market, into the Store.

One :class:`MarketFeed` per market. It keeps one combined-stream connection per route (spot:
one unrouted host; USDⓈ-M: ``/public`` for depth, ``/market`` for tickers and klines), shards a
route past the per-connection stream cap, changes subscriptions live when the watched symbols
change, and keeps every watched book sequence-checked: buffer, snapshot, replay, resync on any
gap without blocking other symbols.

Stalls: a book whose own diffs stop while its connection stays live is shown ``silent`` by the
Store. The worker then asks REST once per quiet spell whether the exchange's book moved on
(``_check_stall``). No explicit resync follows a stall: when diffs resume, the sequence rule
decides. Diffs that link prove the book exact (the ids are contiguous: nothing was missed), so a
snapshot would only blank the ladder and spend weight; diffs that do not link (the exchange
dropped them) are a gap, and the gap rule resyncs the book.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from typing import cast

from tuimon.clock import Clock, SystemClock
from tuimon.feeds.bad_frames import BadFrameLog
from tuimon.feeds.connection import ConnectionConfig, StreamConnection
from tuimon.feeds.hooks import ConnectionFactory, StreamLike, Tap
from tuimon.feeds.proxy import ProxyRules
from tuimon.feeds.rest import ApiError, RestClient, RestError, depth_weight, futures_depth_limit
from tuimon.protocol.book import BUFFERED, GAP, SnapshotVerdict
from tuimon.protocol.endpoints import Endpoints, Market, Route
from tuimon.protocol.models import (
    BadFrame,
    ControlReply,
    DepthDiff,
    Kline,
    Liquidation,
    MarkPrice,
    MiniTicker,
    ServerShutdown,
    SymbolInfo,
    Trade,
)
from tuimon.protocol.parse import (
    PayloadError,
    parse_agg_trades,
    parse_depth_snapshot,
    parse_exchange_info,
    parse_frame,
    parse_klines,
    parse_premium_index,
    parse_ticker_24h,
)
from tuimon.protocol.streams import (
    ALL_MINI_TICKERS,
    STREAM_CAP,
    agg_trade_stream,
    depth_stream,
    force_order_stream,
    kline_stream,
    mark_price_stream,
    mini_ticker_stream,
    route_of,
)
from tuimon.store import Store, topics

log = logging.getLogger(__name__)

STALL_CHECK = 0.25
"""Seconds between the worker's looks for stalled books (a fraction of the 1.5 s floor)."""
STALL_PROBE_LIMIT = 5
"""Levels a stall check asks for: only ``lastUpdateId`` matters (weight 5 spot, 2 futures)."""
STALL_GRACE = 0.5
"""Seconds, beyond one update period, for diffs already in flight to reach a book that a stall
check found behind the exchange (a snapshot can be ahead of the stream by one event)."""


class FeedError(Exception):
    """A problem the user must fix (unknown symbol, unreachable endpoint); one line."""


@dataclass(slots=True)
class FeedConfig:
    """What the market worker streams and how it paces itself."""

    depth_speed_ms: int = 100
    snapshot_limit: int = 1000
    kline_history: int = 120
    trade_history: int = 100
    """Aggregate trades a tape is seeded with from REST (the weight does not depend on it)."""
    max_streams_per_connection: int | None = None
    """Shard past this many streams per connection (None: the market's documented cap)."""
    connection: ConnectionConfig = field(default_factory=ConnectionConfig)


@dataclass(slots=True)
class Watch:
    """What is watched: tickers for all; books, klines, trades and (futures) marks for some;
    one kline interval.

    ``trades`` streams ``@aggTrade`` (and ``@forceOrder`` on futures) into tapes seeded from
    REST; ``marks`` streams ``@markPrice@1s`` seeded from ``premiumIndex`` (futures only).
    """

    tickers: frozenset[str] = frozenset()
    books: frozenset[str] = frozenset()
    klines: frozenset[str] = frozenset()
    interval: str = "1m"
    trades: frozenset[str] = frozenset()
    marks: frozenset[str] = frozenset()
    all_tickers: bool = False
    """Stream ``!miniTicker@arr`` (the screener is open)."""


class MarketFeed:
    """One market's stream worker; writes only to the Store."""

    def __init__(
        self,
        store: Store,
        endpoints: Endpoints,
        *,
        rest: RestClient | None = None,
        config: FeedConfig | None = None,
        clock: Clock | None = None,
        proxies: ProxyRules | None = None,
        tap: Tap | None = None,
        connect: ConnectionFactory | None = None,
    ) -> None:
        """``tap`` sees every raw frame and connection event (``tuimon record``); ``connect``
        makes the stream connections (replay: connections fed from a recording)."""
        self.store = store
        self.endpoints = endpoints
        self.market = endpoints.market
        self.config = config or FeedConfig()
        self.clock: Clock = clock or SystemClock()
        # None: the environment's proxy settings, as requests and curl would read them.
        self.proxies = proxies if proxies is not None else ProxyRules.from_environ()
        self.proxies.check([endpoints.stream_base])  # a bad proxy URL fails here, not later
        self.rest = rest or RestClient(endpoints, proxies=self.proxies)
        self.watch = Watch()
        self.tap = tap
        self._make_connection: ConnectionFactory = connect or StreamConnection
        self._connections: dict[tuple[Route, int], StreamLike] = {}
        self._connection_tasks: dict[tuple[Route, int], asyncio.Task[None]] = {}
        self._snapshot_tasks: dict[str, asyncio.Task[None]] = {}
        self._kline_tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._seed_tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        """REST seeds of tapes (``("trades", symbol)``) and marks (``("mark", symbol)``)."""
        self._stall_tasks: dict[str, asyncio.Task[None]] = {}
        self._stall_checked: dict[str, float | None] = {}
        """Per book, the quiet spell (its pulse's ``last``) a stall check already covered."""
        self._stall_watch: asyncio.Task[None] | None = None
        self._stream_home: dict[str, tuple[Route, int]] = {}
        self._by_name: dict[str, StreamLike] = {}
        self._failure: BaseException | None = None
        self._failed = asyncio.Event()
        self.bad_frames = BadFrameLog(log)
        """Bad frames seen, each kind logged once (the Store counts them per route)."""
        # The read being delivered (see receive/end_read): its receive time, read once, its
        # messages so far and the newest event time among them.
        self._read_now: float | None = None
        self._read_count = 0
        self._read_event_time: int | None = None

    # ------------------------------------------------------------------ setup

    async def load_symbols(self) -> dict[str, SymbolInfo]:
        """Fetch exchangeInfo into the store (weight 20 spot / 1 futures)."""
        weight = 20 if self.market is Market.SPOT else 1
        body = await self.rest.get("exchangeInfo", weight=weight)
        try:
            table = parse_exchange_info(body)
        except PayloadError as exc:
            raise FeedError(f"exchangeInfo: {exc}") from None
        self.store.set_symbols(table)
        return table

    async def top_symbols(self, count: int = 20, quote: str = "USDT") -> list[str]:
        """The most traded trading symbols of a quote asset by 24 h quote volume (REST)."""
        weight = 80 if self.market is Market.SPOT else 40
        rows = parse_ticker_24h(await self.rest.get("ticker/24hr", weight=weight))
        known = self.store.symbols
        rows = [r for r in rows if _tradable_in(known.get(r.symbol), quote)]
        rows.sort(key=lambda r: r.quote_volume, reverse=True)
        return [r.symbol for r in rows[:count]]

    async def load_market_tickers(self) -> int:
        """Seed every symbol's row from REST ``ticker/24hr`` (weight 80 spot / 40 futures):
        ``!miniTicker@arr`` only carries symbols that changed, so a screener would otherwise
        fill in over minutes. Returns the number of rows."""
        weight = 80 if self.market is Market.SPOT else 40
        rows = parse_ticker_24h(await self.rest.get("ticker/24hr", weight=weight))
        self.store.apply_market_tickers(
            [
                MiniTicker(
                    r.symbol, r.close_time, r.close, r.open, r.high, r.low, r.volume, r.quote_volume
                )
                for r in rows
            ]
        )
        return len(rows)

    def check_symbols(self, symbols: Iterable[str]) -> list[str]:
        """Normalise user symbols against exchangeInfo; raise FeedError naming unknown ones."""
        known = self.store.symbols
        wanted: list[str] = []
        unknown: list[str] = []
        for raw in symbols:
            symbol = raw.strip().upper()
            if symbol in known:
                if symbol not in wanted:
                    wanted.append(symbol)
            else:
                unknown.append(raw)
        if unknown:
            shown = ", ".join(repr(s) for s in unknown[:5])
            raise FeedError(f"unknown symbol(s) on {self.market.value}: {shown}")
        return wanted

    # ------------------------------------------------------------------ watching

    def set_watch(self, watch: Watch) -> None:
        """Change what is watched; subscriptions, books and klines follow without blocking."""
        old = self.watch
        self.watch = watch
        for symbol in old.books - watch.books:
            self._cancel(self._snapshot_tasks.pop(symbol, None))
            self._cancel(self._stall_tasks.pop(symbol, None))
            self._stall_checked.pop(symbol, None)
            self.store.drop_book(symbol)
        new_pairs = {(s, watch.interval) for s in watch.klines}
        for pair in {(s, old.interval) for s in old.klines} - new_pairs:
            # An unwatched series stops updating: keep it and a later re-watch would show a
            # hole between its last candle and the live ones. Drop it; re-watching reloads.
            self._cancel(self._kline_tasks.pop(pair, None))
            self.store.drop_klines(*pair)
        for symbol in watch.books:
            self.store.book(symbol)
        for symbol in watch.klines:
            key = (symbol, watch.interval)
            if key not in self.store.klines and key not in self._kline_tasks:
                self._kline_tasks[key] = asyncio.create_task(self._seed_klines(*key))
        self._follow_trades_and_marks(old, watch)
        self._apply_streams()
        if watch.books and self._stall_watch is None:
            self._stall_watch = asyncio.create_task(self._watch_stalls(), name="stall-watch")

    def _follow_trades_and_marks(self, old: Watch, watch: Watch) -> None:
        """Tapes and marks of newly watched symbols are seeded from REST; unwatched ones are
        dropped (a later re-watch seeds afresh; a frozen mark would pass for a current one)."""
        futures = self.market is not Market.SPOT
        for symbol in old.trades - watch.trades:
            self._cancel(self._seed_tasks.pop(("trades", symbol), None))
            self.store.drop_tape(symbol)
        for symbol in old.marks - watch.marks:
            self._cancel(self._seed_tasks.pop(("mark", symbol), None))
            self.store.drop_mark(symbol)
        for symbol in watch.trades - old.trades:
            self.store.tape(symbol)
            self._seed(("trades", symbol), self._seed_trades(symbol))
        if futures:
            new_marks = watch.marks - old.marks
            if len(new_marks) == 1:
                (symbol,) = new_marks
                self._seed(("mark", symbol), self._seed_marks({symbol}))
            elif new_marks:
                # One premiumIndex without a symbol answers for all (weight 10) instead of a
                # request per symbol (USDⓈ-M 1 each, COIN-M 10 each).
                self._seed(("mark", "*"), self._seed_marks(set(new_marks)))

    async def wait_seeded(self, within: float) -> None:
        """Wait (at most ``within`` s) for the tape and mark REST seeds running now."""
        tasks = [task for task in self._seed_tasks.values() if not task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=within)

    def _seed(self, key: tuple[str, str], job: Coroutine[None, None, None]) -> None:
        self._cancel(self._seed_tasks.get(key))
        self._seed_tasks[key] = asyncio.create_task(job, name=f"seed-{key[0]}-{key[1]}")

    def streams_for(self, watch: Watch) -> set[str]:
        """Every stream name a watch needs."""
        streams = {mini_ticker_stream(s) for s in watch.tickers}
        streams |= {depth_stream(s, self.config.depth_speed_ms) for s in watch.books}
        streams |= {kline_stream(s, watch.interval) for s in watch.klines}
        streams |= {agg_trade_stream(s) for s in watch.trades}
        if self.market is not Market.SPOT:
            # Liquidations go on the tape; marks exist on futures only (all on /market, §4.2).
            streams |= {force_order_stream(s) for s in watch.trades}
            streams |= {mark_price_stream(s) for s in watch.marks}
        if watch.all_tickers:
            streams.add(ALL_MINI_TICKERS)
        return streams

    def _apply_streams(self) -> None:
        wanted = self.streams_for(self.watch)
        for stream in list(self._stream_home):
            if stream not in wanted:
                del self._stream_home[stream]
        load: dict[tuple[Route, int], int] = {}
        for home in self._stream_home.values():
            load[home] = load.get(home, 0) + 1
        cap = self.config.max_streams_per_connection or STREAM_CAP[self.market]
        for stream in sorted(wanted - set(self._stream_home)):
            route = route_of(self.market, stream)
            shard = 0
            while load.get((route, shard), 0) >= cap:
                shard += 1
            self._stream_home[stream] = (route, shard)
            load[(route, shard)] = load.get((route, shard), 0) + 1
        per_connection: dict[tuple[Route, int], set[str]] = {k: set() for k in self._connections}
        for stream, home in self._stream_home.items():
            per_connection.setdefault(home, set()).add(stream)
        for key, streams in per_connection.items():
            connection = self._connections.get(key)
            if not streams:
                if connection is not None:
                    self._disconnect(key)  # an idle socket would only trip its watchdog
                continue
            if connection is None:
                connection = self._connect(key)
            connection.set_streams(streams)
        speed = self.config.depth_speed_ms
        for symbol in self.watch.books:
            stream = depth_stream(symbol, speed)
            home = self._stream_home.get(stream)
            if home is not None:
                self.store.route_book(symbol, self._connections[home].name, stream)

    def _connect(self, key: tuple[Route, int]) -> StreamLike:
        route, shard = key
        name = route.value or self.market.value
        if shard:
            name = f"{name}#{shard + 1}"
        tap = self.tap
        connection = self._make_connection(
            name,
            self.endpoints,
            route,
            # Without a tap the socket calls receive itself: recording costs nothing when off.
            on_frame=self.receive if tap is None else self._tapped_receive,
            on_read_end=self.end_read,
            on_open=self._on_open,
            on_state=self._on_state,
            clock=self.clock,
            config=self.config.connection,
            proxies=self.proxies,
        )
        self._connections[key] = connection
        self._by_name[name] = connection
        task = asyncio.create_task(self._run_connection(connection), name=f"stream-{name}")
        self._connection_tasks[key] = task
        return connection

    def _disconnect(self, key: tuple[Route, int]) -> None:
        connection = self._connections.pop(key)
        self._by_name.pop(connection.name, None)
        self._cancel(self._connection_tasks.pop(key, None))
        self.store.health.routes.pop(connection.name, None)
        self.store.mark(topics.HEALTH)

    async def _run_connection(self, connection: StreamLike) -> None:
        try:
            await connection.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # GiveUp or a bug: surface it, never die silently
            self._failure = exc
            self._failed.set()

    def _on_open(self, connection: StreamLike, reopened: bool) -> None:
        if self.tap is not None:
            self.tap.opened(connection.name, reopened)
        if reopened:
            self.store.note_reconnect(connection.name)
        # Books carried on this socket restart from a fresh snapshot after every (re)connect.
        for symbol in self.watch.books:
            if self._stream_home.get(depth_stream(symbol, self.config.depth_speed_ms)) == (
                connection.route,
                _shard_of(connection.name),
            ):
                self._cancel(self._snapshot_tasks.pop(symbol, None))
                sync = self.store.books.get(symbol)
                if sync is not None:
                    sync.invalidate()
                    self.store.mark(f"book:{symbol}")

    def _on_state(self, name: str, connected: bool, error: str) -> None:
        if self.tap is not None:
            self.tap.state(name, connected, error)
        self.store.set_connected(name, connected, error)
        if error:
            self.store.set_status(f"{name}: {error}")

    async def wait_failed(self) -> BaseException:
        """Resolve when a connection has given up; returns why."""
        await self._failed.wait()
        assert self._failure is not None
        return self._failure

    # ------------------------------------------------------------------ ingest (hot path)

    def ingest(self, route: str, raw: bytes) -> None:
        """One raw frame as one read: parse, apply, and note it in the route's health."""
        self.receive(route, raw)
        self.end_read(route)

    def receive(self, route: str, raw: bytes) -> None:
        """One raw frame → parse → store; its health is noted by :meth:`end_read`.

        The hot path: dispatch on the exact record type, most frequent first. A socket calls
        this for each message of a TCP read and :meth:`end_read` once after them: the frames of
        one read arrived at one instant, so the clock is read once and the route's counters,
        latency and wake-up are updated once per read instead of per message.
        """
        store = self.store
        frame = parse_frame(raw)[1]
        if type(frame) is DepthDiff:  # narrows for type checkers without a cast() call
            now = self._read_now
            if now is None:
                now = self._read_now = store.clock.monotonic()
            verdict = store.apply_depth(frame, now)
            self._read_count += 1
            self._read_event_time = frame.event_time
            if verdict is BUFFERED or verdict is GAP:
                self._want_snapshot(frame.symbol)
            return
        kind = type(frame)
        event_time: int | None = None
        if kind is MiniTicker:
            ticker = cast(MiniTicker, frame)
            event_time = ticker.event_time
            store.apply_mini_ticker(ticker)
        elif kind is Kline:
            kline = cast(Kline, frame)
            event_time = kline.event_time
            store.apply_kline(kline)
        elif kind is Trade:
            trade = cast(Trade, frame)
            event_time = trade.event_time
            store.apply_trade(trade)
        elif kind is MarkPrice:
            mark = cast(MarkPrice, frame)
            event_time = mark.event_time
            if mark.symbol in self.watch.marks:  # not a late frame after UNSUBSCRIBE
                store.apply_mark(mark)
        elif kind is Liquidation:
            liquidation = cast(Liquidation, frame)
            event_time = liquidation.event_time
            store.apply_liquidation(liquidation)
        elif kind is list:
            items = cast(list[MiniTicker | MarkPrice], frame)
            if items and type(items[0]) is MarkPrice:
                watched = self.watch.marks
                for mark in cast(list[MarkPrice], items):
                    if mark.symbol in watched:  # the array carries every contract
                        store.apply_mark(mark)
            else:
                store.apply_market_tickers(cast(list[MiniTicker], items))
            if items:
                event_time = items[0].event_time
        elif kind is BadFrame:
            bad = cast(BadFrame, frame)
            store.note_bad_frame(route, bad.reason)
            self.bad_frames.note(route, bad)
            return  # not a message of the stream: not counted
        elif kind is ControlReply:
            connection = self._by_name.get(route)
            if connection is not None:
                connection.on_reply(cast(ControlReply, frame))
        elif kind is ServerShutdown:
            connection = self._by_name.get(route)
            if connection is not None:
                connection.request_rotation()  # replacement opens before this one closes
        self._read_count += 1
        if event_time is not None:
            self._read_event_time = event_time

    def end_read(self, route: str) -> None:
        """The messages :meth:`receive` took since the last call arrived together: note them."""
        count = self._read_count
        if count:
            self.store.note_messages(route, count, self._read_event_time, self._read_now)
            self._read_count = 0
            self._read_event_time = None
        self._read_now = None

    def _tapped_receive(self, route: str, raw: bytes) -> None:
        """receive, with the raw bytes shown to the tap first (exactly as received)."""
        assert self.tap is not None
        self.tap.frame(route, raw)
        self.receive(route, raw)

    # ------------------------------------------------------------------ snapshots

    def _want_snapshot(self, symbol: str) -> None:
        task = self._snapshot_tasks.get(symbol)
        if task is None or task.done():
            self._snapshot_tasks[symbol] = asyncio.create_task(
                self._sync_book(symbol), name=f"snapshot-{symbol}"
            )

    async def _sync_book(self, symbol: str) -> None:
        """Fetch snapshots until the book is synced; other symbols never wait on this one."""
        limit = self.config.snapshot_limit
        if self.market is not Market.SPOT:
            limit = futures_depth_limit(limit)
        weight = depth_weight(self.market, limit)
        delay = 0.2
        while symbol in self.store.books:
            try:
                body = await self.rest.get("depth", {"symbol": symbol, "limit": limit}, weight)
                snapshot = parse_depth_snapshot(body)
            except ApiError as exc:
                self.store.set_status(f"{symbol} book: {exc}")
                if exc.status == 400:
                    return  # the exchange refuses this symbol: retrying cannot help
                verdict = None
            except (RestError, PayloadError) as exc:
                self.store.set_status(f"{symbol} book: {exc}")
                verdict = None
            else:
                if symbol not in self.store.books:
                    return
                verdict = self.store.apply_snapshot(symbol, snapshot)
                if verdict is SnapshotVerdict.SYNCED:
                    return
                log.info(
                    "%s snapshot %s (lastUpdateId %d)",
                    symbol,
                    verdict.value,
                    snapshot.last_update_id,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    # ------------------------------------------------------------------ stalls

    async def _watch_stalls(self) -> None:
        while True:
            await asyncio.sleep(STALL_CHECK)
            for symbol in self.watch.books:
                self._maybe_check_stall(symbol)

    def _maybe_check_stall(self, symbol: str) -> None:
        """Start one REST check per quiet spell of a book that stalled on a live connection."""
        store = self.store
        if not store.book_stalled(symbol):
            return  # live, syncing, or the whole connection is quiet (its watchdog's case)
        pulse = store.pulse(symbol)
        if pulse is None or self._stall_checked.get(symbol, -1.0) == pulse.last:
            return
        for tasks in (self._stall_tasks, self._snapshot_tasks):
            task = tasks.get(symbol)
            if task is not None and not task.done():
                return
        self._stall_checked[symbol] = pulse.last
        self._stall_tasks[symbol] = asyncio.create_task(
            self._check_stall(symbol), name=f"stall-{symbol}"
        )

    async def _check_stall(self, symbol: str) -> None:
        """Tell a quiet book from a stalled stream by the exchange's ``lastUpdateId``.

        Equal to the book's: nothing happened since our last diff, so the book is exact now and
        merely quiet: the Store is told (the book is live again, and learns that such pauses
        are normal for it, so it is not flagged again soon). Above it: the exchange moved on;
        unless the diffs carrying that arrive within a grace, the stream has stalled, and the
        status line says so. The book stays ``silent`` (frozen, never live) until diffs resume.
        Below it (a REST replica behind our stream) proves nothing either way.
        """
        store = self.store
        limit = STALL_PROBE_LIMIT
        if self.market is not Market.SPOT:
            limit = futures_depth_limit(limit)
        try:
            body = await self.rest.get(
                "depth", {"symbol": symbol, "limit": limit}, depth_weight(self.market, limit)
            )
            exchange_id = parse_depth_snapshot(body).last_update_id
        except (RestError, PayloadError) as exc:
            store.set_status(f"{symbol} stall check: {exc}")
            return
        sync = store.books.get(symbol)
        pulse = store.pulse(symbol)
        if sync is None or pulse is None or not sync.synced:
            return
        ours = sync.last_update_id
        if exchange_id == ours:
            store.confirm_book(symbol)
            return
        if exchange_id < ours:
            return

        def caught_up(s: Store) -> bool:
            book = s.books.get(symbol)
            return book is None or not book.synced or book.last_update_id >= exchange_id

        if await store.wait_until(caught_up, pulse.period + STALL_GRACE):
            return
        message = (
            f"{symbol} depth stream stalled: the exchange's book is at update {exchange_id}, "
            f"ours at {ours}; not live until it resumes"
        )
        log.warning("%s", message)
        store.set_status(message)

    # ------------------------------------------------------------------ klines

    async def _seed_klines(self, symbol: str, interval: str) -> None:
        try:
            body = await self.rest.get(
                "klines",
                {"symbol": symbol, "interval": interval, "limit": self.config.kline_history},
                weight=2,
            )
            self.store.load_klines(symbol, interval, parse_klines(body, symbol, interval))
        except (RestError, PayloadError) as exc:
            self.store.set_status(f"{symbol} klines: {exc}")
        finally:
            self._kline_tasks.pop((symbol, interval), None)

    # ------------------------------------------------------------------ trades, marks

    async def _seed_trades(self, symbol: str) -> None:
        """Fill a new tape from REST ``aggTrades`` (weight 4 spot, 20 futures) so it is full at
        once; the stream's trades that arrived meanwhile are merged by id."""
        weight = 4 if self.market is Market.SPOT else 20
        params = {"symbol": symbol, "limit": min(1000, max(1, self.config.trade_history))}
        try:
            body = await self.rest.get("aggTrades", params, weight=weight)
            self.store.seed_trades(symbol, parse_agg_trades(body, symbol))
        except (RestError, PayloadError) as exc:
            self.store.set_status(f"{symbol} trades: {exc}")
        finally:
            if self._seed_tasks.get(("trades", symbol)) is asyncio.current_task():
                del self._seed_tasks[("trades", symbol)]

    async def _seed_marks(self, symbols: set[str]) -> None:
        """Mark prices at once from REST ``premiumIndex``, before the first ``@markPrice@1s``
        event: with the symbol for one (weight 1 USDⓈ-M, 10 COIN-M), without it for several
        (weight 10: every contract). COIN-M always answers a list."""
        one = next(iter(symbols)) if len(symbols) == 1 else None
        params = {"symbol": one} if one is not None else {}
        weight = 1 if one is not None and self.market is Market.USDM else 10
        key = ("mark", one or "*")
        try:
            body = await self.rest.get("premiumIndex", params, weight=weight)
            for mark in parse_premium_index(body):
                if mark.symbol in symbols and mark.symbol in self.watch.marks:
                    self.store.apply_mark(mark)
        except (RestError, PayloadError) as exc:
            self.store.set_status(f"{one or 'marks'} mark price: {exc}")
        finally:
            if self._seed_tasks.get(key) is asyncio.current_task():
                del self._seed_tasks[key]

    # ------------------------------------------------------------------ lifetime

    async def close(self) -> None:
        """Cancel every task and close every socket."""
        tasks = [
            *self._connection_tasks.values(),
            *self._snapshot_tasks.values(),
            *self._kline_tasks.values(),
            *self._seed_tasks.values(),
            *self._stall_tasks.values(),
        ]
        if self._stall_watch is not None:
            tasks.append(self._stall_watch)
            self._stall_watch = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._connection_tasks.clear()
        self._connections.clear()
        self._by_name.clear()
        self._snapshot_tasks.clear()
        self._kline_tasks.clear()
        self._seed_tasks.clear()
        self._stall_tasks.clear()
        self._stall_checked.clear()

    @staticmethod
    def _cancel(task: asyncio.Task[None] | None) -> None:
        if task is not None:
            task.cancel()


def _tradable_in(info: SymbolInfo | None, quote: str) -> bool:
    return info is not None and info.trading and info.quote_asset == quote


def _shard_of(name: str) -> int:
    return int(name.rsplit("#", 1)[1]) - 1 if "#" in name else 0
