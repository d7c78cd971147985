"""RSS over time of ``tuimon sim`` and of a headless client, side by side (issue 16 §5).

Not collected by pytest (``norecursedirs``). Run::

    .venv/bin/python tests/bench/rss_series.py                      # 3 min, reference speed
    .venv/bin/python tests/bench/rss_series.py --minutes 3 --depth-interval-ms 20
    .venv/bin/python tests/bench/rss_series.py --minutes 2 --trace sim   # + what grows in sim
    .venv/bin/python tests/bench/rss_series.py --trace both --trace-frames 0  # gc counts only

Two processes:

* the simulator: ``tuimon sim --markets spot --autoplay 1.0`` (the demo account trades once a
  second, as in ``tuimon --demo``). With ``--trace sim`` the same CLI runs under tracemalloc in
  a small wrapper (``rss_series.py _child sim ...``) that answers SIGUSR1 with a heap report.
  tracemalloc slows a process several times (the simulator then falls behind at the reference
  speed); ``--trace-frames 0`` reports only gc-tracked object counts per type, which costs
  nothing between reports.
* the client (``rss_series.py _child client ...``): what ``tuimon`` runs without the UI, put
  together by ``tuimon.headless.market_session``: Store, market worker and user worker (the
  simulator's published test key). Like the monitor: tickers for 20 symbols, the order book and
  klines of the first one (``--books N`` widens the books).

Every ``--every`` seconds it prints both VmRSS values (from /proc/<pid>/status) and the CPU
each process used since the previous row (% of one core); at the end, the growth after
``--warmup`` seconds in MB/min (least-squares slope, so one GC bump does not decide it). The
default warm-up is the time the simulator's 90 s book history takes to fill (90 s at the
reference speed, scaled by ``--depth-interval-ms``/100) plus 20 s. A run longer than 1020 s
also prints the growth after the spot 1s candles have reached their cap (1000 closed candles,
on the wall clock), the last thing in the simulator that fills.

Before/after comparisons: run this file with ``PYTHONPATH=<other checkout>`` and both children
import tuimon from there (the simulator is the ``tuimon`` script next to ``sys.executable``).
Children get SIGTERM if the benchmark dies, so an interrupted run leaves nothing behind.

Time compression: ``--depth-interval-ms`` below 100 steps the simulator's market faster (every
stream cadence and the model steps scale together, so the history fills sooner and each minute
carries more events); wall-clock things do not scale (candles close on the clock, the account
acts once a second, listenKeys and pings keep their periods).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

# The console script next to the running interpreter, so the benchmark measures the same
# ``tuimon sim`` whichever venv (or PYTHONPATH tree, for a before/after run) it is started from.
TUIMON = str(Path(sys.executable).parent / "tuimon")
HISTORY_S = 90.0  # the simulator's book history at the reference speed (SimServer default)
# Spot keeps the newest 1000 closed candles per interval (its REST klines limit); the 1s ones
# close on the wall clock, so that deque fills 1000 s after start whatever the market speed.
CANDLES_FULL_S = 1000.0
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


# --------------------------------------------------------------------------- measuring


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MB (None once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (from /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def die_with_parent() -> None:
    """In a child before exec: SIGTERM when the benchmark dies, even by SIGKILL (no orphans
    left running at full speed, as a killed run used to leave)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def slope_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) points in MB/min."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    if var == 0:
        return None
    cov = sum((t - mx) * (v - my) for t, v in points)
    return cov / var * 60


# --------------------------------------------------------------------------- heap reports


class HeapTracer:
    """In a child: tracemalloc + gc type counts; SIGUSR1 writes a diff against the last one."""

    def __init__(self, out: Path, top: int, frames: int = 8) -> None:
        self.out = out
        self.top = top
        self.frames = frames  # 0: no tracemalloc, gc type counts only
        self.snapshot: tracemalloc.Snapshot | None = None
        self.types: Counter[str] = Counter()
        self.at = time.monotonic()

    def install(self) -> None:
        if self.frames:
            tracemalloc.start(self.frames)
        signal.signal(signal.SIGUSR1, lambda *_: self.report())

    def report(self) -> None:
        gc.collect()
        snap = None
        if self.frames:
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
        types = Counter(type(o).__name__ for o in gc.get_objects())
        now = time.monotonic()
        lines = [f"--- heap report, {now - self.at:.0f} s since the previous one ---"]
        if self.snapshot is not None and snap is not None:
            lines.append("top allocation growth by line:")
            for stat in snap.compare_to(self.snapshot, "lineno")[: self.top]:
                lines.append(f"  {stat}")
            lines.append("top allocation growth by traceback (3 frames):")
            for stat in snap.compare_to(self.snapshot, "traceback")[: max(3, self.top // 3)]:
                lines.append(f"  {stat.size_diff / 1024:+.1f} KiB {stat.count_diff:+d} blocks")
                for frame in stat.traceback.format()[-6:]:
                    lines.append(f"      {frame}")
        if self.types:
            grown = (types - self.types).most_common(self.top)
            lines.append("gc-tracked object count growth: "
                         + ", ".join(f"{name} +{n}" for name, n in grown))
        lines.append(f"gc-tracked objects now {sum(types.values())}")
        if self.frames:
            current, peak = tracemalloc.get_traced_memory()
            lines.append(f"traced now {current / 2**20:.1f} MB (peak {peak / 2**20:.1f} MB)")
        with self.out.open("a") as fh:
            fh.write("\n".join(lines) + "\n")
        self.snapshot, self.types, self.at = snap, types, now


def child_sim(argv: list[str]) -> int:
    """``tuimon sim`` under tracemalloc (arguments: report path, top N, frames, the CLI's)."""
    out, top, frames, rest = Path(argv[0]), int(argv[1]), int(argv[2]), argv[3:]
    HeapTracer(out, top, frames).install()
    from tuimon.sim.__main__ import main

    return main(rest)


def child_client(argv: list[str]) -> int:
    """The headless client; runs until SIGTERM/SIGINT."""
    p = argparse.ArgumentParser(prog="rss_series.py _child client")
    p.add_argument("--rest-url", required=True)
    p.add_argument("--stream-url", required=True)
    p.add_argument("--ws-api-url", required=True)
    p.add_argument("--symbols", required=True)
    p.add_argument("--books", type=int, default=1)
    p.add_argument("--trace", default=None, help="heap report path (enables tracemalloc)")
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--trace-frames", type=int, default=8)
    args = p.parse_args(argv)
    if args.trace:
        HeapTracer(Path(args.trace), args.top, args.trace_frames).install()
    return asyncio.run(_client(args))


async def _client(args: argparse.Namespace) -> int:
    from tuimon.headless import SnapshotRequest, market_session
    from tuimon.protocol.endpoints import Market, resolve_endpoints
    from tuimon.sim.private import DEMO_ENV

    endpoints = resolve_endpoints(
        Market.SPOT,
        rest_url=args.rest_url,
        stream_url=args.stream_url,
        ws_api_url=args.ws_api_url,
        env={},
    )
    symbols = args.symbols.split(",")
    request = SnapshotRequest(symbols=symbols, endpoints=endpoints, private=True, env=DEMO_ENV)
    books = frozenset(symbols[: args.books])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with market_session(request, books=books, klines=frozenset(symbols[:1])) as session:
        store, _feed, _symbols, _user = session
        print("client ready", flush=True)
        await stop.wait()
        print(f"client: resyncs={store.resyncs} messages={store.health.messages} "
              f"account={store.account.status}", flush=True)
    return 0


# --------------------------------------------------------------------------- the run


def sim_info(rest_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{rest_url}/_sim/info", timeout=5) as resp:
        info: dict[str, Any] = json.loads(resp.read())
    return info


def wait_reports(path: Path, count: int, timeout: float = 120.0) -> None:
    """Wait until a child has written ``count`` heap reports (a big heap's snapshot is slow)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and path.read_text().count("--- heap report") >= count:
            return
        time.sleep(0.5)
    print(f"{path.name}: heap report not written within {timeout:.0f} s", file=sys.stderr)


def stop_proc(proc: subprocess.Popen[Any], name: str) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop on SIGINT; killing it", file=sys.stderr)
            proc.kill()
            proc.wait()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=3.0)
    p.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    p.add_argument("--depth-interval-ms", type=int, default=100,
                   help="simulator speed: <100 compresses the market's time (default 100)")
    p.add_argument("--symbols", type=int, default=20, help="symbols the client watches")
    p.add_argument("--books", type=int, default=1, help="of which this many with a book")
    p.add_argument("--autoplay", type=float, default=1.0, help="demo account action period")
    p.add_argument("--warmup", type=float, default=None,
                   help="seconds excluded from the growth figure (default: history fill + 20)")
    p.add_argument("--trace", choices=("none", "sim", "client", "both"), default="none",
                   help="run under tracemalloc and print heap growth after warm-up (slower)")
    p.add_argument("--top", type=int, default=15, help="lines per heap report")
    p.add_argument("--trace-frames", type=int, default=8,
                   help="tracemalloc traceback depth; 0 = gc object counts only (cheap)")
    args = p.parse_args()
    warmup = args.warmup
    if warmup is None:
        warmup = HISTORY_S * args.depth_interval_ms / 100 + 20
    trace_sim = args.trace in ("sim", "both")
    trace_client = args.trace in ("client", "both")
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    # The pid keeps two runs at once (other worktrees) from writing into each other's reports.
    sim_report = tmp / f"rss_series.{os.getpid()}.sim.txt"
    client_report = tmp / f"rss_series.{os.getpid()}.client.txt"
    # A plain SIGTERM (timeout, kill) would end this process without its finally: clean up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    sim_args = ["sim", "--markets", "spot", "--depth-interval-ms", str(args.depth_interval_ms),
                "--autoplay", str(args.autoplay)]
    if trace_sim:
        sim_cmd = [sys.executable, __file__, "_child", "sim", str(sim_report), str(args.top),
                   str(args.trace_frames), *sim_args[1:]]
    else:
        sim_cmd = [TUIMON, *sim_args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    print(f"$ {' '.join(sim_cmd)}", flush=True)
    sim = subprocess.Popen(sim_cmd, stdout=subprocess.PIPE, text=True, env=env,
                           preexec_fn=die_with_parent)
    client: subprocess.Popen[str] | None = None
    try:
        assert sim.stdout is not None
        urls = json.loads(sim.stdout.readline())
        info = sim_info(urls["rest_url"])
        usdt = [s for s in info["symbols"] if s.endswith("USDT")]
        symbols = usdt[: args.symbols]
        client_cmd = [sys.executable, __file__, "_child", "client",
                      "--rest-url", urls["rest_url"], "--stream-url", urls["stream_url"],
                      "--ws-api-url", urls["ws_api_url"], "--symbols", ",".join(symbols),
                      "--books", str(args.books)]
        if trace_client:
            client_cmd += ["--trace", str(client_report), "--top", str(args.top),
                           "--trace-frames", str(args.trace_frames)]
        client = subprocess.Popen(client_cmd, stdout=subprocess.PIPE, text=True, env=env,
                                  preexec_fn=die_with_parent)
        assert client.stdout is not None
        ready = client.stdout.readline().strip()
        if ready != "client ready":
            print(f"client failed to start: {ready!r}", file=sys.stderr)
            return 1
        t0 = time.monotonic()
        print(f"sim pid {sim.pid}, client pid {client.pid}; {len(symbols)} symbols, "
              f"{args.books} book(s), depth_interval_ms={args.depth_interval_ms}, "
              f"autoplay={args.autoplay}s, warm-up {warmup:.0f}s", flush=True)
        print(f"{'t_s':>6} {'sim_MB':>8} {'client_MB':>10} {'sim_cpu%':>9} {'client_cpu%':>12}",
              flush=True)
        series: list[tuple[float, float, float]] = []
        last_cpu: tuple[float, float, float] | None = None
        traced_warm = False
        end = t0 + args.minutes * 60
        nxt = t0
        while True:
            now = time.monotonic()
            if now >= end + 0.01:
                break
            time.sleep(max(0.0, min(nxt, end) - now))
            t = time.monotonic() - t0
            s_mb, c_mb = rss_mb(sim.pid), rss_mb(client.pid)
            if s_mb is None or c_mb is None or sim.poll() is not None or client.poll() is not None:
                print("a process exited early", file=sys.stderr)
                return 1
            series.append((t, s_mb, c_mb))
            # CPU over the last interval, % of one core: shows whether the simulator kept up.
            cpu = (t, cpu_seconds(sim.pid) or 0.0, cpu_seconds(client.pid) or 0.0)
            s_cpu = c_cpu = "-"
            if last_cpu is not None and cpu[0] > last_cpu[0]:
                dt = cpu[0] - last_cpu[0]
                s_cpu, c_cpu = (f"{(cpu[i] - last_cpu[i]) / dt * 100:.0f}" for i in (1, 2))
            last_cpu = cpu
            print(f"{t:6.0f} {s_mb:8.1f} {c_mb:10.1f} {s_cpu:>9} {c_cpu:>12}", flush=True)
            if not traced_warm and t >= warmup:
                traced_warm = True
                for proc, on in ((sim, trace_sim), (client, trace_client)):
                    if on:
                        proc.send_signal(signal.SIGUSR1)  # baseline heap snapshot
            if nxt >= end:
                break
            nxt += args.every
        for proc, on in ((sim, trace_sim), (client, trace_client)):
            if on:
                proc.send_signal(signal.SIGUSR1)

        def fmt(x: float | None) -> str:
            return "n/a (run longer than the warm-up)" if x is None else f"{x:+.2f} MB/min"

        def growth(after: float, what: str) -> None:
            warm = [row for row in series if row[0] >= after]
            sim_slope = slope_per_min([(t, s) for t, s, _ in warm])
            client_slope = slope_per_min([(t, c) for t, _, c in warm])
            print(f"growth after {after:.0f} s{what} ({len(warm)} samples): "
                  f"sim {fmt(sim_slope)}, client {fmt(client_slope)}", flush=True)

        growth(warmup, "")
        full = CANDLES_FULL_S + 20
        if full > warmup and len([row for row in series if row[0] >= full]) >= 3:
            growth(full, ", the 1s candles full")
        for path, on in ((sim_report, trace_sim), (client_report, trace_client)):
            if on:
                wait_reports(path, 2 if traced_warm else 1)
    finally:
        if client is not None:
            stop_proc(client, "client")
            if client.stdout is not None:
                tail = client.stdout.read().strip()
                if tail:
                    print(tail)
        stop_proc(sim, "sim")
    for path, on in ((sim_report, trace_sim), (client_report, trace_client)):
        if on and path.exists():
            print(f"\n=== {path.name} ===")
            print(path.read_text())
            path.unlink()
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "_child":
        kind, rest = sys.argv[2], sys.argv[3:]
        sys.exit(child_sim(rest) if kind == "sim" else child_client(rest))
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
