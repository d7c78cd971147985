"""``tuimon snapshot``: stream for N seconds, print one JSON object. No Textual.

The contract tests use, and the command scripts and cron jobs run over SSH. Exit codes:
0 success, 2 bad input (symbol, market, interval, URL), 1 the exchange stayed unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson

from tuimon.clock import Clock, SystemClock
from tuimon.feeds.connection import ConnectionConfig, GiveUp
from tuimon.feeds.credentials import NO_KEYS_HELP, Credentials, CredentialsError, load_credentials
from tuimon.feeds.hooks import Tap
from tuimon.feeds.market import FeedConfig, FeedError, MarketFeed, Watch
from tuimon.feeds.proxy import ProxyConfigError, ProxyRules, run_proxies
from tuimon.feeds.rest import RestClient, RestError
from tuimon.feeds.user import AuthFailure, UserFeed, UserFeedConfig, make_user_feed
from tuimon.protocol.endpoints import Endpoints, Market, with_bases
from tuimon.protocol.streams import FUTURES_KLINE_INTERVALS, KLINE_INTERVALS
from tuimon.store import Store
from tuimon.store.account import account_json


class UsageError(Exception):
    """Bad user input; the message is one line, the exit code 2."""


@dataclass(slots=True)
class SnapshotRequest:
    """What ``tuimon snapshot`` was asked for."""

    symbols: list[str]
    endpoints: Endpoints
    seconds: float = 5.0
    depth: int = 20
    interval: str = "1m"
    trades: int = 50
    """Aggregate trades per symbol in the JSON (``--trades``); 0 streams none."""
    demo: bool = False
    seed: int = 7
    sync_grace: float = 10.0
    """Extra seconds to wait for books still syncing when the time is up."""
    give_up_after: int = 5
    """Failed attempts (REST calls, stream connects) before the exchange counts as unreachable."""
    persistent: bool = False
    """A long-running session (``tuimon watch``): once started, the streams and the user-data
    worker reconnect for ever (backoff capped at 30 s) instead of giving up after
    ``give_up_after`` failed connects in a row; a bounded outage must not end an unattended
    process. REST calls stay bounded, so an exchange unreachable at start still exits 1."""
    private: bool = False
    """Also run the user-data worker and report the account (needs API keys, or --demo)."""
    env: Mapping[str, str] | None = None
    """Where API keys are read from (None: the process environment)."""
    key_file: Path | None = None
    """The config's ``[account] key_file`` (used when the environment names no keys)."""
    private_key_path: Path | None = None
    """The config's ``[account] private_key_path``."""
    proxies: ProxyRules | None = None
    """Proxy settings (None: the process environment's). ``demo`` never uses a proxy."""


def check_interval(market: Market, interval: str) -> str:
    """The interval if the market supports it, else a UsageError naming the valid ones."""
    valid = KLINE_INTERVALS if market is Market.SPOT else FUTURES_KLINE_INTERVALS
    if interval not in valid:
        raise UsageError(f"unknown interval {interval!r} for {market.value}: {' '.join(valid)}")
    return interval


@contextlib.asynccontextmanager
async def demo_endpoints(
    endpoints: Endpoints, seed: int, *, account_autoplay: float | None = None
) -> AsyncIterator[Endpoints]:
    """Start the simulator in this loop and point the endpoints at it.

    ``account_autoplay`` (seconds) makes the simulator's demo account trade on its own.
    """
    from tuimon.sim import SimServer  # the simulator is only needed with --demo

    sim = SimServer(market=endpoints.market.value, seed=seed, port=0)
    await sim.start()
    if account_autoplay is not None:
        sim.private.start_autoplay(account_autoplay)
    try:
        yield with_bases(endpoints, stream=sim.stream_url, rest=sim.rest_url, ws_api=sim.ws_api_url)
    finally:
        await sim.stop()


def _credentials(request: SnapshotRequest) -> Credentials:
    """API keys for --private: the simulator's published test keys with --demo."""
    env = request.env
    if request.demo:
        from tuimon.sim.private import DEMO_ENV

        env = DEMO_ENV
    try:
        credentials = load_credentials(
            env,
            key_file=None if request.demo else request.key_file,
            private_key_path=None if request.demo else request.private_key_path,
        )
    except CredentialsError as exc:
        raise UsageError(str(exc)) from None
    if credentials is None:
        raise UsageError(f"--private needs API keys: {NO_KEYS_HELP}")
    if request.endpoints.market not in (Market.SPOT, Market.USDM):
        raise UsageError(f"--private supports spot and usdm, not {request.endpoints.market.value}")
    return credentials


def book_json(store: Store, symbol: str, depth: int) -> dict[str, Any]:
    """A book as the snapshot contract shows it: decimal strings, best first.

    ``freshness`` is ``live``, ``syncing``, ``silent`` or ``disconnected`` (a synced book
    can be frozen: only ``live`` is current); ``age_s`` is the seconds since the book was last
    known exact (its last diff, by receive time), or null when not synced.
    """
    sync = store.books.get(symbol)
    freshness = store.book_freshness(symbol)
    if sync is None or not sync.synced:
        # Never present a book we cannot vouch for: no levels, and say so.
        return {
            "last_update_id": 0,
            "synced": False,
            "bids": [],
            "asks": [],
            "freshness": freshness,
            "age_s": None,
        }
    age = store.book_age(symbol)
    return {
        "last_update_id": sync.last_update_id,
        "synced": True,
        "bids": [[str(p), str(q)] for p, q in sync.book.bids(depth)],
        "asks": [[str(p), str(q)] for p, q in sync.book.asks(depth)],
        "freshness": freshness,
        "age_s": None if age is None else round(age, 3),
    }


def trades_json(store: Store, symbol: str, count: int) -> list[dict[str, Any]]:
    """The newest ``count`` aggregate trades, oldest first: ``id`` (ascending), ``time`` (ms),
    decimal strings, and the taker's ``side`` (``m: true`` = the buyer was the maker, so the
    taker sold)."""
    tape = store.tapes.get(symbol)
    if tape is None or count <= 0:
        return []
    return [
        {
            "id": t.trade_id,
            "time": t.trade_time,
            "price": str(t.price),
            "qty": str(t.qty),
            "side": "sell" if t.buyer_is_maker else "buy",
        }
        for t in tape.last_trades(count)
    ]


def marks_json(store: Store, symbols: list[str]) -> dict[str, Any]:
    """Futures marks: decimal strings and integer ms (``funding_rate`` null on delivery
    contracts, which have no funding; ``next_funding_time`` is then 0, as the exchange says)."""
    marks: dict[str, Any] = {}
    for symbol in symbols:
        mark = store.marks.get(symbol)
        if mark is None:
            continue
        marks[symbol] = {
            "mark_price": str(mark.mark_price),
            "index_price": None if mark.index_price is None else str(mark.index_price),
            "funding_rate": None if mark.funding_rate is None else str(mark.funding_rate),
            "next_funding_time": mark.next_funding_time,
        }
    return marks


def snapshot_json(
    store: Store, symbols: list[str], depth: int, interval: str, trades: int = 50
) -> dict[str, Any]:
    """The whole snapshot object of the contract (``marks`` on futures only)."""
    tickers: dict[str, Any] = {}
    klines: dict[str, Any] = {}
    for symbol in symbols:
        ticker = store.tickers.get(symbol)
        if ticker is not None:
            tickers[symbol] = {
                "close": str(ticker.close),
                "open": str(ticker.open),
                "high": str(ticker.high),
                "low": str(ticker.low),
                "volume": str(ticker.volume),
                "quote_volume": str(ticker.quote_volume),
                "event_time": ticker.event_time,
            }
        series = store.klines.get((symbol, interval))
        candles = list(series.candles) if series else []
        klines[symbol] = {
            "interval": interval,
            "closes": [str(c.close) for c in candles],
            "open_times": [c.open_time for c in candles],
        }
    health = store.health
    result: dict[str, Any] = {
        "market": store.market,
        "books": {symbol: book_json(store, symbol, depth) for symbol in symbols},
        "tickers": tickers,
        "klines": klines,
        "trades": {symbol: trades_json(store, symbol, trades) for symbol in symbols},
        "health": {
            "connected": health.connected,
            "reconnects": health.reconnects,
            "resyncs": store.resyncs,
            "messages": health.messages,
            "bad_frames": health.bad_frames,
        },
    }
    if store.futures:
        result["marks"] = marks_json(store, symbols)
    return result


@contextlib.asynccontextmanager
async def market_session(
    request: SnapshotRequest,
    *,
    clock: Clock | None = None,
    books: frozenset[str] | None = None,
    klines: frozenset[str] | None = None,
    trades: frozenset[str] | None = None,
    tap: Tap | None = None,
) -> AsyncIterator[tuple[Store, MarketFeed, list[str], UserFeed | None]]:
    """Store + market worker (+ user worker with ``private``) on the request's symbols.

    Tickers stream for every symbol; books, klines and trades (with ``request.trades``) too
    unless ``books``/``klines``/``trades`` say which; marks for every symbol on futures.
    ``tap`` sees the market worker's raw traffic (``tuimon record``; never the user worker's).
    """
    endpoints = request.endpoints
    market = endpoints.market
    check_interval(market, request.interval)
    if request.depth < 1:
        raise UsageError("--depth must be at least 1")
    if request.trades < 0:
        raise UsageError("--trades must be 0 or more")
    credentials = _credentials(request) if request.private else None
    try:
        proxies = run_proxies(
            endpoints, private=request.private, demo=request.demo, proxies=request.proxies
        )
    except ProxyConfigError as exc:
        raise UsageError(str(exc)) from None
    async with contextlib.AsyncExitStack() as stack:
        if request.demo:
            autoplay = 1.0 if request.private else None
            endpoints = await stack.enter_async_context(
                demo_endpoints(endpoints, request.seed, account_autoplay=autoplay)
            )
        clock = clock or SystemClock()
        store = Store(market.value, clock=clock, futures=market.is_futures)
        rest = RestClient(
            endpoints, max_attempts=request.give_up_after, proxies=proxies, tap=tap
        )
        give_up = None if request.persistent else request.give_up_after
        config = FeedConfig(
            connection=ConnectionConfig(give_up_after=give_up),
            trade_history=max(request.trades, 1),
        )
        feed = MarketFeed(
            store, endpoints, rest=rest, config=config, clock=clock, proxies=proxies, tap=tap
        )
        stack.push_async_callback(feed.close)
        try:
            await feed.load_symbols()
        except RestError as exc:
            raise FeedError(f"cannot load exchangeInfo from {endpoints.rest_base}: {exc}") from None
        try:
            symbols = feed.check_symbols(request.symbols)
        except FeedError as exc:
            raise UsageError(str(exc)) from None
        every = frozenset(symbols)
        if trades is None:
            trades = every if request.trades > 0 else frozenset()
        feed.set_watch(
            Watch(
                every,
                every if books is None else books,
                every if klines is None else klines,
                request.interval,
                trades=trades,
                marks=every if market.is_futures else frozenset(),
            )
        )
        user = make_user_feed(
            store.account,
            endpoints,
            credentials,
            config=UserFeedConfig(give_up_on_auth=True, give_up_after=give_up),
            proxies=proxies,
            cooldown=rest.cooldown,  # one IP: a 429 on either side stops both
        )
        if user is not None:
            user.start()
            stack.push_async_callback(user.close)
        yield store, feed, symbols, user


async def collect(request: SnapshotRequest, *, clock: Clock | None = None) -> dict[str, Any]:
    """Run the market worker for the requested time and return the snapshot object."""
    async with market_session(request, clock=clock) as session:
        store, feed, symbols, user = session
        failed = asyncio.ensure_future(feed.wait_failed())
        try:
            done, _ = await asyncio.wait({failed}, timeout=request.seconds)
            if not done:
                await store.wait_until(
                    lambda s: failed.done() or _all_synced(s, symbols), request.sync_grace
                )
            if failed.done():
                raise FeedError(str(failed.result()))
        finally:
            failed.cancel()
        # The REST seeds fill tapes and marks; wait for them like for the books (bounded).
        await feed.wait_seeded(request.sync_grace)
        result = snapshot_json(store, symbols, request.depth, request.interval, request.trades)
        if user is not None:
            try:
                live = await user.wait_live(request.sync_grace)
            except (AuthFailure, GiveUp) as exc:
                raise FeedError(f"account: {exc}") from None
            if not live:
                raise FeedError(f"account: not reconciled in time ({store.account.status})")
            result["account"] = account_json(store.account)
        return result


def _all_synced(store: Store, symbols: list[str]) -> bool:
    return all((sync := store.books.get(s)) is not None and sync.synced for s in symbols)


def run(request: SnapshotRequest, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``tuimon snapshot`` and return the process exit code (output to ``out``/``err``,
    default: the process's stdout/stderr as they are at call time, not at import time)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        result = asyncio.run(collect(request))
    except UsageError as exc:
        print(f"tuimon snapshot: {exc}", file=err)
        return 2
    except (FeedError, RestError) as exc:
        print(f"tuimon snapshot: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        return 130
    out.write(orjson.dumps(result).decode() + "\n")
    out.flush()
    return 0
