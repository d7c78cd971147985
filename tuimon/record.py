"""``tuimon record FILE SYMBOL...``: write the market traffic of some symbols into a recording.

Every raw stream frame with its receive time, the connection events, and the REST responses
the books and klines were seeded from (exchangeInfo, depth snapshots, klines, stall checks),
exactly as the exchange sent them. Market data only: the user-data worker never runs here and
no key is read. Ends on ``--seconds`` or SIGINT/SIGTERM, then says how much it wrote. Exit
codes as ``tuimon snapshot``: 0 ok, 2 bad input, 1 the exchange stayed unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tuimon import __version__
from tuimon.clock import SystemClock
from tuimon.feeds.market import FeedConfig, FeedError
from tuimon.feeds.rest import RestError
from tuimon.headless import SnapshotRequest, UsageError, market_session
from tuimon.recording.file import RecordingWriter
from tuimon.recording.format import Header
from tuimon.recording.recorder import Recorder, public_url

FLUSH_EVERY = 1.0
"""Seconds between flushes to disk: a recorder killed outright loses at most this much."""


@dataclass(slots=True)
class RecordRequest:
    """What ``tuimon record`` was asked for."""

    path: Path
    session: SnapshotRequest
    """Symbols, endpoints, interval, --demo and seed (its ``seconds`` is not used)."""
    seconds: float | None = None
    """None: until a signal."""


@dataclass(slots=True)
class RecordSummary:
    """What was written."""

    frames: int
    rest: int
    seconds: float
    compressed_bytes: int
    raw_bytes: int

    def line(self, path: Path) -> str:
        """The one line the command prints."""
        ratio = self.raw_bytes / self.compressed_bytes if self.compressed_bytes else 0.0
        return (
            f"recorded {self.frames} frames and {self.rest} REST responses in "
            f"{self.seconds:.1f} s: {_size(self.compressed_bytes)} written to {path} "
            f"({_size(self.raw_bytes)} of payload, {ratio:.1f}x compressed)"
        )


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB"):
        if count < 1000 or unit == "MB":
            return f"{count} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000  # type: ignore[assignment]
    return f"{count} B"  # pragma: no cover


def _header(request: RecordRequest, started_ms: int) -> Header:
    session = request.session
    endpoints = session.endpoints
    return Header(
        market=endpoints.market.value,
        symbols=tuple(dict.fromkeys(s.strip().upper() for s in session.symbols)),
        interval=session.interval,
        depth_speed_ms=FeedConfig().depth_speed_ms,
        started_ms=started_ms,
        tuimon_version=__version__,
        source="demo" if session.demo else "live",
        endpoints={}
        if session.demo
        else {
            "stream": public_url(endpoints.stream_base),
            "rest": public_url(endpoints.rest_base),
        },
    )


async def record(request: RecordRequest, stop: asyncio.Event | None = None) -> RecordSummary:
    """Record until ``seconds`` pass or ``stop`` is set; the file is complete on return."""
    stop = stop or asyncio.Event()
    session = request.session
    if session.private:
        raise UsageError("recordings hold market data only (no --private)")
    clock = SystemClock()
    # One instant for both: replayed wall times (latency, the clock) line up with live ones.
    started, started_ms = clock.monotonic(), clock.wall_ms()
    try:
        writer = RecordingWriter(request.path, _header(request, started_ms))
    except OSError as exc:
        raise UsageError(f"cannot write {request.path}: {exc.strerror or exc}") from None
    recorder = Recorder(writer, clock, started)
    useful = False
    try:
        async with market_session(session, clock=clock, tap=recorder) as (_store, feed, _s, _u):
            useful = True
            failed = asyncio.ensure_future(feed.wait_failed())
            stopped = asyncio.ensure_future(stop.wait())
            deadline = None if request.seconds is None else started + request.seconds
            try:
                while not failed.done() and not stopped.done():
                    wait = FLUSH_EVERY
                    if deadline is not None:
                        wait = min(wait, deadline - clock.monotonic())
                        if wait <= 0:
                            break
                    await asyncio.wait({failed, stopped}, timeout=wait)
                    writer.flush()
            finally:
                failed.cancel()
                stopped.cancel()
            if failed.done() and not failed.cancelled():
                raise FeedError(str(failed.result()))
    except BaseException:
        if useful:
            writer.close()  # what was recorded stays readable, with its END record
        else:
            writer.abandon()
            with contextlib.suppress(OSError):
                request.path.unlink()
        raise
    writer.close()
    return RecordSummary(
        frames=writer.counts["ws"],
        rest=writer.counts["rest"],
        seconds=clock.monotonic() - started,
        compressed_bytes=request.path.stat().st_size,
        raw_bytes=writer.raw_bytes,
    )


def run_record(request: RecordRequest, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``tuimon record``; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr

    async def main() -> RecordSummary:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        return await record(request, stop)

    try:
        summary = asyncio.run(main())
    except UsageError as exc:
        print(f"tuimon record: {exc}", file=err)
        return 2
    except (FeedError, RestError) as exc:
        print(f"tuimon record: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        return 130
    print(summary.line(request.path), file=out)
    out.flush()
    return 0
