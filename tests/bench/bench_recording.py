"""Recording size and replay speed (a benchmark, run by hand).

Run: .venv/bin/python tests/bench/bench_recording.py [--symbols 20] [--seconds 30]

1. ``tuimon record`` of N simulator symbols (depth@100ms, miniTicker, kline_1m) for S seconds:
   frames/s, compressed bytes per frame, MB per minute.
2. ``tuimon snapshot --replay`` of that file (virtual time, as fast as the CPU goes): messages/s
   through the whole worker (sequence checks, books, Store).
3. The tap's cost per frame: MarketFeed.ingest alone vs with the recorder tap (no tap is the
   live path: the socket calls ingest directly, so not recording costs nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import time
from pathlib import Path

from tuimon.clock import SystemClock
from tuimon.feeds.market import MarketFeed, Watch
from tuimon.feeds.proxy import ProxyRules
from tuimon.headless import SnapshotRequest
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.record import RecordRequest, record
from tuimon.recording.file import RecordingReader, RecordingWriter
from tuimon.recording.format import Header, Kind
from tuimon.recording.recorder import Recorder
from tuimon.recording.session import run_snapshot_replay
from tuimon.sim import SimServer
from tuimon.store import Store


async def make(path: Path, symbols: int, seconds: float) -> list[str]:
    async with SimServer(market="spot", seed=5, port=0) as sim:
        names = sim.symbols[:symbols]
        endpoints = resolve_endpoints(
            Market.SPOT, stream_url=sim.stream_url, rest_url=sim.rest_url, env={}
        )
        session = SnapshotRequest(names, endpoints, proxies=ProxyRules.direct())
        summary = await record(RecordRequest(path, session, seconds))
    per_minute = summary.compressed_bytes / summary.seconds * 60
    raw_per_minute = summary.raw_bytes / summary.seconds * 60
    print(summary.line(path))
    print(
        f"  {summary.frames / summary.seconds:,.0f} frames/s, "
        f"{summary.compressed_bytes / max(1, summary.frames):.0f} B/frame compressed, "
        f"{per_minute / 1e6:.2f} MB per minute ({raw_per_minute / 1e6:.1f} MB of payload)"
    )
    return names


def replay_speed(path: Path, names: list[str]) -> None:
    frames = sum(1 for r in RecordingReader(path).records() if r.kind is Kind.WS)
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        code = run_snapshot_replay(path, names, 20, None, io.StringIO(), io.StringIO())
        elapsed = time.perf_counter() - start
        assert code == 0
        best = max(best, frames / elapsed)
    print(f"snapshot --replay: {frames} frames, best of 3: {best:,.0f} msgs/s (whole command)")


def tap_cost(path: Path, names: list[str]) -> None:
    raws = [(r.meta.decode(), r.body) for r in RecordingReader(path).records() if r.kind is Kind.WS]
    endpoints = resolve_endpoints(Market.SPOT, env={})
    results = {}
    for label in ("ingest", "ingest + recorder tap", "ingest", "ingest + recorder tap"):
        store = Store("spot")
        feed = MarketFeed(store, endpoints, proxies=ProxyRules.direct())
        feed._want_snapshot = lambda symbol: None  # type: ignore[method-assign]
        feed.watch = Watch(frozenset(names), frozenset(names), frozenset(names), "1m")
        handler = feed.ingest
        writer = None
        if "tap" in label:
            out = Path(tempfile.mkstemp(suffix=".tmrec")[1])
            writer = RecordingWriter(out, Header(market="spot", symbols=tuple(names)))
            feed.tap = Recorder(writer, SystemClock())
            handler = feed._tapped_ingest
        start = time.perf_counter()
        for route, raw in raws:
            handler(route, raw)
        elapsed = time.perf_counter() - start
        if writer is not None:
            writer.close()
        results[label] = min(results.get(label, 1e9), elapsed / len(raws) * 1e6)
    for label, micros in results.items():
        print(f"  {label:<24}{micros:>8.2f} µs/frame")
    print(f"  the tap adds {results['ingest + recorder tap'] - results['ingest']:.2f} µs/frame")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.tmrec"
        names = asyncio.run(make(path, args.symbols, args.seconds))
        replay_speed(path, names)
        tap_cost(path, names)


if __name__ == "__main__":
    main()
