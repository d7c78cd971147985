"""Market-worker ingest rate vs a bare websockets+orjson loop on the same feed (a benchmark).

Run by ``tuimon bench`` and by ``tests/bench/bench_ingest.py [--symbols 20] [--seconds 20]``.

1. Record: the real MarketFeed watches N symbols (miniTicker, depth@100ms, kline_1m) on the
   simulator, running 5x faster than real time, and every raw frame it receives is recorded,
   together with each book's state at the start of the recording.
2. Replay: a separate process writes the recorded frames, serialised once, to each client's
   socket in one go (so the producer is not what is measured):
   - bare:   websockets recv(decode=False) + orjson.loads, nothing else;
   - tuimon: the real StreamConnection -> MarketFeed.ingest -> Store path, books preloaded with
     the recorded starting state so every diff is sequence-checked and applied;
   - and, to show where the time goes, tuimon's transport with a no-op handler and websockets'
     recv() alone.
Prints messages/s side by side and the ratio (target >= 0.7), then the book-apply figures.
"""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import websockets

from tuimon.feeds import wire
from tuimon.feeds.connection import ConnectionConfig
from tuimon.feeds.market import FeedConfig, MarketFeed, Watch
from tuimon.feeds.rest import RestClient
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.protocol.models import DepthSnapshot
from tuimon.protocol.parse import parse_frame
from tuimon.protocol.typed import decode_envelope
from tuimon.sim import SimServer
from tuimon.store import Store

Echo = Callable[[str], None]


def _quiet(line: str) -> None:
    """The default echo: progress lines go nowhere."""


async def record(symbols: int, seconds: float) -> tuple[list[bytes], dict[str, DepthSnapshot]]:
    async with SimServer(market="spot", seed=5, port=0, depth_interval_ms=20) as sim:
        names = sim.symbols[:symbols]
        endpoints = resolve_endpoints(
            Market.SPOT, stream_url=sim.stream_url, rest_url=sim.rest_url, env={}
        )
        store = Store("spot")
        feed = MarketFeed(store, endpoints, rest=RestClient(endpoints))
        await feed.load_symbols()
        every = frozenset(names)
        feed.set_watch(Watch(every, every, every, "1m"))
        synced = lambda s: all(s.books[n].synced for n in names)  # noqa: E731
        assert await store.wait_until(synced, 30), "books did not sync"
        frames: list[bytes] = []
        starts: dict[str, DepthSnapshot] = {}
        for name in names:
            sync = store.books[name]
            starts[name] = DepthSnapshot(
                sync.last_update_id, tuple(sync.book.bids()), tuple(sync.book.asks())
            )
        original = feed.ingest

        def tap(route: str, raw: bytes) -> object:
            frames.append(raw)
            return original(route, raw)

        for connection in feed._connections.values():
            connection._deliver = functools.partial(tap, connection.name)
            connection.request_rotation()  # the replacement socket delivers through the tap
        # Books restart after the rotation: take the starting state once they are synced again.
        await asyncio.sleep(0)
        assert await store.wait_until(lambda s: len(frames) > 0 and synced(s), 30)
        frames.clear()
        for name in names:
            sync = store.books[name]
            starts[name] = DepthSnapshot(
                sync.last_update_id, tuple(sync.book.bids()), tuple(sync.book.asks())
            )
        deadline = time.monotonic() + seconds
        await store.wait_until(lambda s: time.monotonic() > deadline, seconds + 5)
        await feed.close()
        return frames, starts


def start_replay(frames: list[bytes]) -> tuple[subprocess.Popen[bytes], int, Path]:
    tmp = Path(tempfile.mkstemp(suffix=".frames")[1])
    tmp.write_bytes(b"\n".join(frames) + b"\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimon.bench.replay_server", str(tmp)], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, port, tmp


async def bare(port: int, loads: Callable[[bytes], object] = orjson.loads) -> tuple[int, float]:
    count = 0
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/stream",
        compression=None,
        max_size=None,
        max_queue=256,
        ping_interval=None,
    ) as ws:
        start = time.perf_counter()
        try:
            while True:
                loads(await ws.recv(decode=False))
                count += 1
        except websockets.ConnectionClosed:
            pass
        return count, time.perf_counter() - start


async def wire_only(port: int, expected: int) -> tuple[int, float]:
    """tuimon's transport with a no-op handler: where the time goes, transport vs ingest."""
    count = 0
    times: list[float] = []
    done = asyncio.get_running_loop().create_future()

    def on_message(raw: bytes) -> None:
        nonlocal count
        if not count:
            times.append(time.perf_counter())
        count += 1
        if count == expected:
            done.set_result(time.perf_counter())

    conn = await wire.connect(f"ws://127.0.0.1:{port}/stream", on_message)
    end = await asyncio.wait_for(done, 120)
    await conn.close()
    return count, end - times[0]


async def tuimon_path(
    port: int,
    expected: int,
    names: list[str],
    starts: dict[str, DepthSnapshot],
    echo: Echo = _quiet,
) -> tuple[int, float]:
    endpoints = resolve_endpoints(
        Market.SPOT, stream_url=f"ws://127.0.0.1:{port}", rest_url="http://127.0.0.1:9", env={}
    )
    store = Store("spot")
    config = FeedConfig(connection=ConnectionConfig(give_up_after=1))
    feed = MarketFeed(store, endpoints, rest=RestClient(endpoints), config=config)
    every = frozenset(names)
    for name in names:
        store.series(name, "1m")  # klines present: no REST seeding during the run
    reset_books = feed._on_open

    def preload(connection: object, reopened: bool) -> None:
        # The worker drops books on connect; put the recorded starting state back before the
        # first frame is read, so the replayed diffs chain instead of waiting for REST.
        reset_books(connection, reopened)  # type: ignore[arg-type]
        for name in names:
            store.book(name).on_snapshot(starts[name])
        # The clock starts here, as bare's starts once connected: before the first byte.
        first.append(time.perf_counter())

    feed._on_open = preload  # type: ignore[method-assign]
    first: list[float] = []
    finished = asyncio.get_running_loop().create_future()
    seen = 0
    # Every frame is counted in the route's health once per TCP read, through this call:
    # counting here instead of Store.wait_until keeps a predicate off the measured path.
    note_messages = store.note_messages

    def timed_note(
        route: str, count: int, event_time: int | None, now: float | None = None
    ) -> float:
        nonlocal seen
        received = note_messages(route, count, event_time, now)
        seen += count
        if seen >= expected and not finished.done():
            finished.set_result(time.perf_counter())
        return received

    store.note_messages = timed_note  # type: ignore[method-assign]
    feed.set_watch(Watch(every, every, every, "1m"))
    try:
        elapsed = await asyncio.wait_for(finished, 120) - first[0]
        done = True
    except TimeoutError:
        elapsed, done = 0.0, False
    applied = sum(store.books[n].stats.applied for n in names)
    gaps = sum(store.books[n].stats.gaps for n in names)
    await feed.close()
    assert done, f"ingested {store.health.messages} of {expected}"
    assert gaps == 0, "replayed diffs must chain: the benchmark would measure resyncs"
    echo(f"  (tuimon applied {applied} diffs, {gaps} gaps)")
    return store.health.messages, elapsed


LABELS = (
    ("bare", "bare websockets + orjson.loads"),
    ("tuimon", "tuimon worker -> Store"),
    ("wire", "  of which: transport alone"),
    ("recv", "bare websockets recv() alone"),
)
"""The four paths, in the order they run and print."""


@dataclass(slots=True)
class IngestResult:
    """Best messages/s of each path over the rounds, and what the feed was."""

    symbols: int
    seconds: float
    frames: int
    average_bytes: float
    kinds: dict[str, int]
    best: dict[str, float] = field(default_factory=dict)
    """messages/s by path label (bare, tuimon, wire, recv)."""
    stages: dict[str, float] = field(default_factory=dict)
    """µs per message of each in-process stage (:func:`stages`), no socket."""

    @property
    def ratio(self) -> float:
        """tuimon / bare: the issue's figure (target >= 0.70)."""
        return self.best["tuimon"] / self.best["bare"]


async def run(symbols: int, seconds: float, rounds: int = 3, echo: Echo = _quiet) -> IngestResult:
    """Record the feed, then replay it to each path ``rounds`` times (best of each kept)."""
    echo(f"recording {symbols} symbols for {seconds:.0f} s (sim at 5x speed)...")
    frames, starts = await record(symbols, seconds)
    kinds: dict[str, int] = {}
    for raw in frames:
        stream = orjson.loads(raw).get("stream", "?")
        kind = stream.split("@", 1)[1] if "@" in stream else stream
        kinds[kind] = kinds.get(kind, 0) + 1
    average = sum(map(len, frames)) / len(frames)
    echo(f"recorded {len(frames)} frames, {average:.0f} B average: {kinds}")
    result = IngestResult(symbols, seconds, len(frames), average, kinds)
    proc, port, tmp = start_replay(frames)
    try:
        results = []
        for label in tuple(label for label, _ in LABELS) * rounds:
            if label == "bare":
                count, elapsed = await bare(port)
            elif label == "recv":
                count, elapsed = await bare(port, loads=len)
            elif label == "wire":
                count, elapsed = await wire_only(port, len(frames))
            else:
                count, elapsed = await tuimon_path(
                    port, len(frames), list(starts), starts, echo=echo
                )
            results.append((label, count, elapsed))
    finally:
        proc.kill()
        proc.wait()
        tmp.unlink()
    for label, count, elapsed in results:
        rate = count / elapsed
        result.best[label] = max(result.best.get(label, 0.0), rate)
    result.stages = stages(frames, starts)
    return result


STAGES = (
    ("loads", "orjson.loads (what bare does)"),
    ("decode", "msgspec typed decode"),
    ("parse", "parse_frame: decode + grammar + records"),
    ("ingest", "MarketFeed.ingest: parse + books + Store"),
)
"""The in-process stages, cumulative from the second on, in the order they print."""


def stages(
    frames: list[bytes], starts: dict[str, DepthSnapshot], rounds: int = 5
) -> dict[str, float]:
    """Best µs per message of each stage on the recorded frames, in this process (no socket).

    Shows where tuimon's time goes next to the transport figure of the live run: the stages
    are cumulative (ingest includes parse includes decode), books preloaded as in the live run.
    """
    endpoints = resolve_endpoints(
        Market.SPOT, stream_url="ws://127.0.0.1:9", rest_url="http://127.0.0.1:9", env={}
    )
    data = [bytes(raw) for raw in frames]

    def ingest_all() -> Callable[[bytes], object]:
        store = Store("spot")
        for name, start in starts.items():
            store.series(name, "1m")
            store.book(name).on_snapshot(start)
        feed = MarketFeed(store, endpoints, rest=RestClient(endpoints))
        return functools.partial(feed.ingest, "bench")

    makers: dict[str, Callable[[], Callable[[bytes], object]]] = {
        "loads": lambda: orjson.loads,
        "decode": lambda: decode_envelope,
        "parse": lambda: parse_frame,
        "ingest": ingest_all,
    }
    result: dict[str, float] = {}
    for label, make in makers.items():
        best = float("inf")
        for _ in range(rounds):
            step = make()  # fresh books each round: every diff applies, none is stale
            start = time.perf_counter()
            for raw in data:
                step(raw)
            best = min(best, time.perf_counter() - start)
        result[label] = best / len(data) * 1e6
    return result


def report_lines(result: IngestResult) -> list[str]:
    """The table ``tests/bench/bench_ingest.py`` always printed (scripts read the ratio line)."""
    best = result.best
    lines = [f"{'path':<34}{'msgs/s':>12}{'µs/msg':>10}"]
    for label, text in LABELS:
        lines.append(f"{text:<34}{best[label]:>12,.0f}{1e6 / best[label]:>10.2f}")
    lines.append(f"{'ratio tuimon / bare':<34}{result.ratio:>12.2f}   (target >= 0.70)")
    if result.stages:
        lines.append("in-process stages on the same frames (no socket), µs/msg:")
        for label, text in STAGES:
            lines.append(f"  {text:<42}{result.stages[label]:>8.2f}")
    return lines
