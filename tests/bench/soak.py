"""Compressed-time soak: the real headless client against the simulator, under random faults.

Not collected by pytest (``norecursedirs``). Run::

    .venv/bin/python tests/bench/soak.py                          # spot, 10^6 messages
    .venv/bin/python tests/bench/soak.py --market usdm --messages 300000
    .venv/bin/python tests/bench/soak.py --market coinm --messages 300000 --seed 3
    .venv/bin/python tests/bench/soak.py --messages 400000 --trace both   # + tracemalloc

Two processes, so each RSS is one side's:

* this one runs the simulator (``SimServer``) in-process, so it injects faults directly
  (``SimServer.inject``, ``sim.private.inject``) and reads the truth directly (``book_at``, the
  account model). It also drives the demo account (one seeded action per tick) and draws the
  faults (``soak_faults.py``). Its RSS is the simulator's plus this small driver.
* the child (``soak_client.py``) is what ``tuimon watch`` runs: ``market_session`` = Store +
  market worker + user worker (spot, usdm; the simulator's published test key from the
  environment), 20 symbols (COIN-M lists 12), books and 1m klines for every one.

It prints a row every ``--every`` client messages (market frames + account events): elapsed
time, both RSS values, the client's reconnects, resyncs and user sessions, faults so far. At
the end it clears the faults, stops the account, waits (event-driven, in the client, with a
ceiling) until every book is live and the account equals the truth, and compares: each client
book, whole, with ``book_at(last_update_id)`` (``tests/feeds/feed_helpers.assert_books_true``),
the account with the simulator's (``tests/private/private_helpers.normalized``). Exit status 0
only if both RSS growths after warm-up are under ``--rss-goal`` MB and there are no differences.

Warm-up: the first ``--warmup`` messages (default 2x10^5). By then the simulator's bounded
book history (90 s of market time) has filled many times over, every book has been resynced
a few times and the connections have been replaced at least once, so every cache the client
keeps has reached its working size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for helpers in (ROOT / "tests" / "feeds", ROOT / "tests" / "private", HERE):
    sys.path.insert(0, str(helpers))

REFERENCE_DEPTH_MS = 100
"""The simulator's reference cadence (depth@100ms); --depth-interval-ms below it compresses."""


# --------------------------------------------------------------------------- measuring


def rss_mb(pid: int | str = "self") -> float:
    """VmRSS of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for {pid}")


@dataclass(slots=True)
class Row:
    messages: int
    elapsed: float
    client_mb: float
    sim_mb: float
    progress: dict[str, Any]
    faults: int
    buffered_peak: int
    """Most diffs held by books waiting for a snapshot, at any report since the last row."""


@dataclass(slots=True)
class Compression:
    """What runs faster than on the exchange, and by how much."""

    depth_interval_ms: int
    ping_interval: float
    pong_timeout: float
    max_lifetime: float
    listen_key_ttl: float
    account_every: float
    ban_seconds: float

    @property
    def factor(self) -> float:
        return REFERENCE_DEPTH_MS / self.depth_interval_ms

    def describe(self, market: str) -> list[str]:
        f = self.factor
        spot = market == "spot"
        lines = [
            f"market time x{f:g}: depth@100ms every {self.depth_interval_ms} ms, and every "
            "other stream cadence, model step and the 90 s book history with it",
            f"server ping every {self.ping_interval:g} s (exchange {20 if spot else 180} s), "
            f"pong deadline {self.pong_timeout:g} s (exchange {60 if spot else 600} s)",
            f"connection lifetime {self.max_lifetime:g} s (exchange 24 h)",
            f"demo account acts every {self.account_every:g} s (--demo: 1 s)",
            f"429-escalation ban {self.ban_seconds:g} s (simulator default 120 s)",
        ]
        if market == "usdm":
            lines.append(f"listenKey TTL {self.listen_key_ttl:g} s (exchange 60 min); the "
                         "client's 30 min keepalive is not compressed, so keys expire on their own")
        lines.append("not compressed: the client (15 s silence watchdog, backoff, REST pacing, "
                     "1m candles on the wall clock)")
        return lines


# --------------------------------------------------------------------------- the child


@dataclass
class Child:
    """The client process and the lines it sends."""

    proc: asyncio.subprocess.Process
    log: Path
    progress: dict[str, Any] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    replies: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    fresh: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False
    buffered_peak: int = 0

    async def read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            msg = json.loads(line)
            kind = msg["type"]
            if kind == "progress":
                self.progress = msg
                self.buffered_peak = max(self.buffered_peak, msg["buffered"])
                self.fresh.set()
            elif kind == "failed":
                self.failures.append(msg)
                print(f"!! client {msg['worker']} worker gave up: {msg['error']}", flush=True)
            else:
                await self.replies.put(msg)
        self.ended = True
        self.fresh.set()

    def send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(command) + "\n").encode())

    async def ask(self, command: dict[str, Any], within: float) -> dict[str, Any]:
        self.send(command)
        return await asyncio.wait_for(self.replies.get(), within)

    async def next_progress(self) -> dict[str, Any]:
        self.fresh.clear()
        await self.fresh.wait()
        if self.ended:
            raise RuntimeError(f"the client exited (status {self.proc.returncode}); see {self.log}")
        return self.progress


async def start_child(args: argparse.Namespace, sim: Any, symbols: list[str]) -> Child:
    from tuimon.sim.private import DEMO_ENV

    log = Path(tempfile.gettempdir()) / f"soak-{args.market}-{os.getpid()}.client.log"
    cmd = [sys.executable, str(HERE / "soak.py"), "_child", "--market", args.market,
           "--rest-url", sim.rest_url, "--stream-url", sim.stream_url,
           "--ws-api-url", sim.ws_api_url, "--symbols", ",".join(symbols)]
    if args.trace in ("client", "both"):
        cmd.append("--trace")
    env = {**os.environ, **DEMO_ENV, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err,
            env=env, limit=64 * 2**20,
        )
    return Child(proc, log)


# --------------------------------------------------------------------------- comparing


class DumpedBook:
    """A dumped client book with the shape ``assert_books_true`` reads from a BookSync."""

    def __init__(self, dumped: dict[str, Any]) -> None:
        self.synced: bool = dumped["synced"]
        self.last_update_id: int = dumped["last_update_id"]
        self.book = self
        self._bids = [(Decimal(p), Decimal(q)) for p, q in dumped["bids"]]
        self._asks = [(Decimal(p), Decimal(q)) for p, q in dumped["asks"]]

    def bids(self, depth: int) -> list[tuple[Decimal, Decimal]]:
        return self._bids[:depth]

    def asks(self, depth: int) -> list[tuple[Decimal, Decimal]]:
        return self._asks[:depth]


def book_differences(sim: Any, books: dict[str, Any]) -> list[str]:
    """One line per client book that is not the simulator's book at its last update id."""
    from feed_helpers import assert_books_true
    from soak_client import BOOK_DEPTH

    problems = []
    for symbol, dumped in books.items():
        if dumped["freshness"] != "live":
            problems.append(f"{symbol}: {dumped['freshness']}, not live")
            continue
        store = SimpleNamespace(books={symbol: DumpedBook(dumped)})
        truth = sim.book_at(symbol, dumped["last_update_id"])
        if max(len(truth.bids), len(truth.asks)) > BOOK_DEPTH:
            problems.append(f"{symbol}: the true book is deeper than the {BOOK_DEPTH} compared")
        try:
            assert_books_true(sim, store, [symbol], depth=BOOK_DEPTH)
        except AssertionError as exc:
            problems.append(f"{symbol}: {exc}".splitlines()[0])
        except LookupError as exc:  # the update id fell out of the bounded history
            problems.append(f"{symbol}: no truth at {dumped['last_update_id']}: {exc}")
    return problems


def account_differences(sim: Any, account: dict[str, Any] | None) -> list[str]:
    """One line per balance, order or position where the client differs from the truth."""
    if account is None:
        return []
    from private_helpers import normalized

    got, want = normalized(account), normalized(sim.private.true_account())
    problems = []
    for asset in sorted(set(got["balances"]) | set(want["balances"])):
        if got["balances"].get(asset) != want["balances"].get(asset):
            problems.append(f"balance {asset}: client {got['balances'].get(asset)}, "
                            f"truth {want['balances'].get(asset)}")
    for key in ("open_orders", "positions"):
        extra = sorted(set(got[key]) - set(want[key]))
        missing = sorted(set(want[key]) - set(got[key]))
        problems += [f"{key}: client only {row}" for row in extra]
        problems += [f"{key}: truth only {row}" for row in missing]
    if not account["live"]:
        problems.append(f"account not live: {account['status']}")
    return problems


# --------------------------------------------------------------------------- the run


def heap_top(base: tracemalloc.Snapshot, top: int) -> list[str]:
    snap = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    lines = [str(s) for s in snap.compare_to(base, "lineno")[:top]]
    current, peak = tracemalloc.get_traced_memory()
    return [*lines, f"traced {current / 2**20:.1f} MB (peak {peak / 2**20:.1f} MB)"]


async def drive_account(sim: Any, every: float) -> None:
    """The demo account's actions (place, fill, cancel, deposit): one seeded step per tick."""
    while True:
        await asyncio.sleep(every)
        sim.private.step()


async def inject_faults(sim: Any, plan: Any, mean: float, child: Child | None) -> None:
    """Inject until cancelled; with ``child`` (--verbose) print each one as it goes in."""
    t0 = time.monotonic()
    while True:
        await asyncio.sleep(plan.next_delay(mean))
        fault = plan.inject(sim)
        if child is not None:
            record = plan.injected[fault.label].records[-1]
            print(f"   {time.monotonic() - t0:7.1f} s {child.progress.get('messages', 0):>9,}  "
                  f"{fault.label} {record.symbol or ''} {record.params}", flush=True)


def print_row(row: Row) -> None:
    p = row.progress
    print(f"{row.messages:>9,} {row.elapsed:8.1f} {row.client_mb:10.1f} {row.sim_mb:8.1f} "
          f"{p['reconnects']:>6} {p['resyncs']:>7} {p['user_sessions']:>8} {row.faults:>7} "
          f"{row.buffered_peak:>8,}",
          flush=True)


async def soak(args: argparse.Namespace) -> int:
    from soak_faults import FaultPlan

    from tuimon.sim import SimServer

    if args.trace in ("sim", "both"):
        tracemalloc.start(4)
    factor = REFERENCE_DEPTH_MS / args.depth_interval_ms
    spot = args.market == "spot"
    squeeze = Compression(
        depth_interval_ms=args.depth_interval_ms,
        ping_interval=(20.0 if spot else 180.0) / factor,
        pong_timeout=(60.0 if spot else 600.0) / factor,
        max_lifetime=args.lifetime,
        listen_key_ttl=args.listen_key_ttl,
        account_every=1.0 / factor,
        ban_seconds=120.0 / factor,
    )
    sim = SimServer(
        market=args.market, seed=args.seed, port=0,
        depth_interval_ms=squeeze.depth_interval_ms, ping_interval=squeeze.ping_interval,
        pong_timeout=squeeze.pong_timeout, max_lifetime=squeeze.max_lifetime,
        ban_seconds=squeeze.ban_seconds,
    )
    await sim.start()
    private = sim.private.enabled
    if private:
        sim.private.listen_key_ttl = squeeze.listen_key_ttl
    symbols = sim.symbols[: args.symbols]
    plan = FaultPlan(args.market, args.seed, symbols)
    print(f"soak: {args.market}, {len(symbols)} symbols, seed {args.seed}, "
          f"{args.messages:,} messages, a fault every ~{args.fault_every:g} s "
          f"({len(plan.faults)} kinds), warm-up {args.warmup:,} messages", flush=True)
    for line in squeeze.describe(args.market):
        print(f"  compressed: {line}" if not line.startswith("not") else f"  {line}")
    child = await start_child(args, sim, symbols)
    reader = asyncio.create_task(child.read())
    tasks: list[asyncio.Task[None]] = []
    rows: list[Row] = []
    code = 1
    try:
        ready = await asyncio.wait_for(child.replies.get(), 60)
        assert ready["type"] == "ready", ready
        print(f"  client pid {child.proc.pid} (log {child.log}), sim in pid {os.getpid()}; "
              f"account: {'yes' if ready['private'] else 'none on ' + args.market}", flush=True)
        if private:
            tasks.append(asyncio.create_task(drive_account(sim, squeeze.account_every)))
        tasks.append(asyncio.create_task(
            inject_faults(sim, plan, args.fault_every, child if args.verbose else None)))
        t0 = time.monotonic()
        print(f"{'messages':>9} {'elapsed':>8} {'client_MB':>10} {'sim_MB':>8} "
              f"{'reconn':>6} {'resyncs':>7} {'sessions':>8} {'faults':>7} {'buffered':>8}",
              flush=True)
        heap_base: tracemalloc.Snapshot | None = None
        client_heap: list[str] = []
        mark = args.every
        while True:
            progress = await child.next_progress()
            if progress["messages"] < mark:
                continue
            while mark <= progress["messages"]:
                mark += args.every
            row = Row(progress["messages"], time.monotonic() - t0, rss_mb(child.proc.pid),
                      rss_mb(), progress, plan.total, child.buffered_peak)
            child.buffered_peak = 0
            rows.append(row)
            print_row(row)
            if heap_base is None and row.messages >= args.warmup:
                if args.trace in ("sim", "both"):
                    heap_base = tracemalloc.take_snapshot()
                if args.trace in ("client", "both"):
                    await child.ask({"cmd": "heap"}, 120)
            if row.messages >= args.messages:
                break
        if args.trace in ("client", "both"):
            client_heap = (await child.ask({"cmd": "heap"}, 300))["lines"]
        sim_heap = heap_top(heap_base, args.top) if heap_base is not None else []

        # Quiesce: no more faults or account actions; the market itself keeps running.
        for task in tasks:
            task.cancel()
        sim.inject("clear")
        if private:
            sim.private.inject("clear")
        t_settle = time.monotonic()
        dump = await child.ask(
            {"cmd": "settle", "account": sim.private.true_account() if private else None,
             "within": args.settle},
            args.settle + 30,
        )
        settle_s = time.monotonic() - t_settle
        # Both sides once more, settled: every book live, nothing buffered, account idle. The
        # client read its own RSS before it built the dump (whole books as JSON, ~10 MB of the
        # benchmark's own making that Python would keep as a peak).
        settled_rss = {"client_mb": dump["settled_rss_mb"], "sim_mb": rss_mb()}
        books = book_differences(sim, dump["books"])
        account = account_differences(sim, dump["account"])
        code = report(args, sim, plan, rows, settled_rss, dump, settle_s, books, account, child,
                      sim_heap, client_heap)
    finally:
        for task in tasks:
            task.cancel()
        if child.proc.returncode is None:
            with contextlib.suppress(Exception):
                child.send({"cmd": "stop"})
            try:
                await asyncio.wait_for(child.proc.wait(), 15)
            except TimeoutError:
                child.proc.kill()
                await child.proc.wait()
        reader.cancel()
        await sim.stop()
    return code


def growth(
    rows: list[Row], warmup: int, pick: str, settled: float
) -> tuple[float, float, float] | None:
    """(RSS at the first row after warm-up, growth at the settled end, peak growth), in MB.

    The end is measured settled (books live, nothing buffered), so a figure above zero is
    memory kept, not memory in use by a book that is waiting for its snapshot.
    """
    warm = [r for r in rows if r.messages >= warmup]
    if len(warm) < 2:
        return None
    base = getattr(warm[0], pick)
    peak = max([getattr(r, pick) for r in warm] + [settled])
    return base, settled - base, peak - base


def log_summary(path: Path) -> str:
    lines = path.read_text(errors="replace").splitlines()
    tracebacks = sum(1 for line in lines if line.startswith("Traceback"))
    internal = sum(1 for line in lines if "internal error" in line or "never retrieved" in line)
    return f"{len(lines)} log lines, {tracebacks} tracebacks, {internal} internal errors"


def report(args: argparse.Namespace, sim: Any, plan: Any, rows: list[Row],
           settled_rss: dict[str, float], dump: dict[str, Any], settle_s: float,
           books: list[str], account: list[str], child: Child, sim_heap: list[str],
           client_heap: list[str]) -> int:
    last = rows[-1]
    p = last.progress
    c = dump["counters"]
    print(f"\n== summary: {last.messages:,} client messages under faults in {last.elapsed:.0f} s "
          f"({last.messages / max(last.elapsed, 1e-9):,.0f}/s): {p['market_frames']:,} market "
          f"frames, {p['user_events']:,} account events; {c['messages'] - last.messages:,} more "
          "while settling")
    goal_met = True
    print(f"RSS after warm-up ({args.warmup:,} messages; goal: growth < {args.rss_goal:g} MB):")
    for name, pick in (("client", "client_mb"), ("simulator", "sim_mb")):
        g = growth(rows, args.warmup, pick, settled_rss[pick])
        if g is None:
            print(f"  {name}: n/a (fewer than two rows after warm-up)")
            goal_met = False
            continue
        base, end, peak = g
        ok = end < args.rss_goal
        goal_met &= ok
        print(f"  {name:9}: {base:.1f} MB at warm-up, {end:+.1f} MB at the end (settled), "
              f"peak {peak:+.1f} MB  [{'ok' if ok else 'GOAL MISSED'}]")
    from tuimon.protocol.book import MAX_BUFFER

    peak_buffered = max(r.buffered_peak for r in rows)
    print(f"  most diffs buffered by books waiting for a snapshot: {peak_buffered:,} "
          f"(each ~1.9 KB parsed; BookSync keeps up to {MAX_BUFFER:,} per book)")
    print(f"faults: {plan.total} injected ({'asked':>5} / applied / never took effect)")
    for label, injected in plan.injected.items():
        if injected.asked:
            print(f"  {label:32} {injected.asked:5} / {injected.applied:7} / {injected.idle:5}")
    stats = sim.stats
    print(f"client recovery: {c['reconnects']} stream reconnects, {c['resyncs']} book resyncs, "
          f"{c['user_sessions']} user sessions ({c['user_reconciles']} reconciles, "
          f"{c['listen_keys']} listenKeys), {c['bad_frames']} bad frames counted")
    rest = dump["rest"]
    for name, r in rest.items():
        print(f"  REST {name}: {r['requests']} requests, {r['retries']} retries, "
              f"{r['throttled']} waits for Retry-After/weight")
    print(f"simulator: {stats.connections_opened} stream connections, "
          f"{stats.lifetime_closes} lifetime closes, {stats.ping_timeouts} ping timeouts, "
          f"{stats.rest_requests} REST requests ({stats.rest_429} x 429, {stats.rest_418} x 418, "
          f"{sim.rest.limiter.bans} escalated bans), {stats.slow_consumer_closes} slow-consumer "
          f"closes")
    print(f"client log: {log_summary(child.log)}")
    print(f"settle: {'reached' if dump['settled'] else 'NOT reached'} in {settle_s:.1f} s "
          f"(ceiling {args.settle:g} s)")
    print(f"books vs truth: {len(dump['books'])} compared whole at their last update id, "
          f"{len(books)} differences")
    for line in books:
        print(f"  {line}")
    if dump["account"] is None:
        print(f"account vs truth: no account on {args.market}")
    else:
        a = dump["account"]
        print(f"account vs truth: {len(a['balances'])} balances, {len(a['open_orders'])} open "
              f"orders, {len(a['positions'])} positions compared, {len(account)} differences")
        for line in account:
            print(f"  {line}")
    for title, lines in (("simulator heap growth after warm-up", sim_heap),
                         ("client heap growth after warm-up", client_heap)):
        if lines:
            print(f"{title} (tracemalloc, top {args.top}):")
            for line in lines:
                print(f"  {line}")
    failed = bool(child.failures)
    ok = goal_met and not books and not account and dump["settled"] and not failed
    print(f"result: {'goals met' if ok else 'GOALS NOT MET'}")
    return 0 if ok else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--market", choices=("spot", "usdm", "coinm"), default="spot")
    p.add_argument("--messages", type=int, default=1_000_000, help="client messages to run")
    p.add_argument("--seed", type=int, default=7, help="simulator, account and fault plan")
    p.add_argument("--fault-every", type=float, default=2.0, help="mean seconds between faults")
    p.add_argument("--symbols", type=int, default=20)
    p.add_argument("--every", type=int, default=100_000, help="messages between rows")
    p.add_argument("--warmup", type=int, default=200_000, help="messages before RSS counts")
    p.add_argument("--rss-goal", type=float, default=5.0, help="MB growth allowed after warm-up")
    p.add_argument("--depth-interval-ms", type=int, default=10,
                   help="simulator depth@100ms cadence; 10 = market time x10")
    p.add_argument("--lifetime", type=float, default=180.0,
                   help="simulator connection lifetime, s (the exchange's 24 h)")
    p.add_argument("--listen-key-ttl", type=float, default=120.0, help="usdm listenKey TTL, s")
    p.add_argument("--settle", type=float, default=120.0,
                   help="ceiling, s, for the client to be live and equal to the truth")
    p.add_argument("--trace", choices=("none", "sim", "client", "both"), default="none",
                   help="tracemalloc: heap growth after warm-up (slower)")
    p.add_argument("--top", type=int, default=12)
    p.add_argument("--verbose", action="store_true", help="print every fault as it is injected")
    args = p.parse_args()
    return asyncio.run(soak(args))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        from soak_client import main as child_main

        sys.exit(child_main(sys.argv[2:]))
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
