"""A market worker over a recording, and ``tuimon snapshot --replay``."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson

from tuimon.feeds.market import FeedConfig, FeedError, MarketFeed, Watch
from tuimon.feeds.proxy import ProxyRules
from tuimon.feeds.rest import RestError
from tuimon.headless import UsageError, check_interval, snapshot_json
from tuimon.protocol.endpoints import EndpointError, Market, parse_market, resolve_endpoints
from tuimon.recording.file import RecordingReader
from tuimon.recording.format import Header, RecordingError
from tuimon.recording.replay import Playhead, ReplayClock, ReplayRest, ReplaySource
from tuimon.recording.vtime import VirtualTimeLoop
from tuimon.store import Store


def open_recording(path: Path) -> RecordingReader:
    """The reader, or UsageError (one line) when the file cannot be replayed at all."""
    try:
        reader = RecordingReader(path)
    except RecordingError as exc:
        raise UsageError(str(exc)) from None
    try:
        parse_market(reader.header.market)
    except EndpointError:
        reader.close()
        raise UsageError(f"{path}: unknown market {reader.header.market!r}") from None
    return reader


def recorded_market(header: Header) -> Market:
    """The recording's market."""
    return parse_market(header.market)


@dataclass(slots=True)
class ReplayMarket:
    """Store, worker and driver over one pass through a recording."""

    store: Store
    feed: MarketFeed
    source: ReplaySource
    rest: ReplayRest
    playhead: Playhead
    clock: ReplayClock


def replay_market(
    reader: RecordingReader, playhead: Playhead, store: Store | None = None
) -> ReplayMarket:
    """The real MarketFeed on replayed connections and REST (nothing connects anywhere).

    ``store``: reuse one (a restart of the monitor); else a new one on the replay clock.
    """
    header = reader.header
    market = recorded_market(header)
    # Endpoints only name routes and REST paths here: no socket or request leaves this process.
    endpoints = resolve_endpoints(market, env={})
    clock = ReplayClock(playhead, header.started_ms)
    if store is None:
        store = Store(market.value, clock=clock, futures=market.is_futures)
    rest = ReplayRest(endpoints)
    source = ReplaySource(reader, playhead, rest)
    config = FeedConfig(depth_speed_ms=header.depth_speed_ms)
    feed = MarketFeed(
        store,
        endpoints,
        rest=rest,  # type: ignore[arg-type]  # the same get() as RestClient
        config=config,
        clock=clock,
        proxies=ProxyRules.direct(),
        connect=source.connection,
    )
    return ReplayMarket(store, feed, source, rest, playhead, clock)


def check_recorded_symbols(header: Header, symbols: list[str]) -> list[str]:
    """Upper-cased, de-duplicated symbols, all in the recording (else UsageError)."""
    wanted = list(dict.fromkeys(s.strip().upper() for s in symbols))
    missing = [s for s in wanted if s not in header.symbols]
    if missing:
        raise UsageError(
            f"not in the recording: {', '.join(missing[:5])} "
            f"(it has {', '.join(header.symbols[:10])})"
        )
    return wanted


async def collect_replay(
    reader: RecordingReader,
    symbols: list[str],
    depth: int,
    interval: str | None,
    trades: int = 50,
) -> dict[str, Any]:
    """Replay the whole recording as fast as possible; the snapshot as of its end."""
    header = reader.header
    interval = interval or header.interval
    check_interval(recorded_market(header), interval)
    wanted = check_recorded_symbols(header, symbols)
    playhead = Playhead(asyncio.get_running_loop().time)
    session = replay_market(reader, playhead)
    driver = asyncio.create_task(session.source.run(), name="replay-driver")
    try:
        try:
            await session.feed.load_symbols()
        except RestError as exc:
            raise UsageError(f"{reader.path}: cannot replay: exchangeInfo {exc}") from None
        try:
            wanted = session.feed.check_symbols(wanted)
        except FeedError as exc:
            raise UsageError(str(exc)) from None
        every = frozenset(wanted)
        futures = session.store.futures
        session.feed.set_watch(
            Watch(
                every,
                every,
                every,
                interval,
                trades=every if trades > 0 else frozenset(),
                marks=every if futures else frozenset(),
            )
        )
        await driver
        return snapshot_json(session.store, wanted, depth, interval, trades)
    finally:
        driver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await driver
        await session.feed.close()


def run_snapshot_replay(
    path: Path,
    symbols: list[str],
    depth: int,
    interval: str | None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    trades: int = 50,
) -> int:
    """``tuimon snapshot SYMBOL... --replay FILE``: 0 (a damaged file: one warning line), 2
    when the file or a symbol cannot be replayed."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        reader = open_recording(path)
        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
            result = runner.run(collect_replay(reader, symbols, depth, interval, trades))
    except UsageError as exc:
        print(f"tuimon snapshot: {exc}", file=err)
        return 2
    except KeyboardInterrupt:
        return 130
    if reader.damage is not None:
        print(
            f"tuimon snapshot: warning: {path}: {reader.damage}; "
            f"replayed up to {reader.last_t_us / 1e6:.1f} s",
            file=err,
        )
    out.write(orjson.dumps(result).decode() + "\n")
    out.flush()
    return 0

