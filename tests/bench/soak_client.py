"""The client half of the soak benchmark (``tests/bench/soak.py``), in its own process.

What runs here is what ``tuimon watch`` runs: :func:`tuimon.headless.market_session` puts the
Store, the market worker and (spot, usdm) the user worker together, with the real timings
(silence watchdog 15 s, keepalive 30 min, backoff...): only the simulator's time is compressed.
The API key comes from the environment (``BINANCE_API_KEY``/``BINANCE_API_SECRET``, the
simulator's published test key), as a user's would, so this process never imports the
simulator and its RSS is the client's alone.

Protocol with the parent, one JSON object per line:

- stdout: ``{"type": "ready", "symbols": [...]}`` once; ``{"type": "progress", ...}`` every
  ``--report-every`` s (counters); ``{"type": "failed", "error": ...}`` if a worker gave up;
  ``{"type": "dump", ...}`` in answer to ``settle``; ``{"type": "heap", ...}`` to ``heap``.
- stdin: ``{"cmd": "settle", "account": TRUTH|null, "within": S}``: wait (event-driven, at most
  S seconds) until every book is synced and live and the account is live and equal to TRUTH,
  then dump the books (with their last update ids) and the account, with the RSS read just
  before the dump was built. ``{"cmd": "heap"}``: a
  tracemalloc snapshot diff (needs ``--trace``). ``{"cmd": "stop"}``: leave.

The Store's ``wait_until`` re-checks its predicate on every store change; the settle waits use it
only at the end, so the per-message path carries no waiter while the counters are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
import tracemalloc
from collections import Counter
from dataclasses import asdict
from typing import Any

import orjson
from account_compare import normalized

from tuimon.feeds.market import MarketFeed
from tuimon.feeds.proxy import ProxyRules
from tuimon.feeds.user import UserFeed
from tuimon.headless import SnapshotRequest, book_json, market_session
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.store import Store
from tuimon.store.account import account_json

BOOK_DEPTH = 1000
"""Levels per side dumped for the comparison: the whole book a 1000-level snapshot seeds."""


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(obj).decode() + "\n")
    sys.stdout.flush()


def counters(store: Store, user: UserFeed | None) -> dict[str, Any]:
    """What the parent prints: messages in, and how often the client had to recover."""
    health = store.health
    account = store.account
    market_frames = health.messages
    user_events = account.stats.events
    return {
        "type": "progress",
        "messages": market_frames + user_events,
        "market_frames": market_frames,
        "user_events": user_events,
        "reconnects": health.reconnects,
        "resyncs": store.resyncs,
        "bad_frames": health.bad_frames + account.stats.bad_frames,
        "user_sessions": user.sessions if user is not None else 0,
        "user_reconciles": account.stats.reconciles,
        "listen_keys": user.listen_keys_created if user is not None else 0,
        "books_synced": sum(1 for b in store.books.values() if b.synced),
        # Diffs held by books waiting for a snapshot (bounded: BookSync's max_buffer each).
        "buffered": sum(b.buffered() for b in store.books.values()),
        "account_live": account.live,
    }


def settled(store: Store, symbols: list[str], truth: dict[str, Any] | None) -> bool:
    """Every book synced and live; the account live and (if given) equal to the truth."""
    if not all(store.book_freshness(s) == "live" for s in symbols):
        return False
    if truth is None:
        return True
    account = store.account
    return account.live and normalized(account_json(account)) == normalized(truth)


class Heap:
    """tracemalloc diffs between ``heap`` commands (the first one is the baseline)."""

    def __init__(self, top: int) -> None:
        self.top = top
        self.snapshot: tracemalloc.Snapshot | None = None
        self.types: Counter[str] = Counter()

    def report(self) -> list[str]:
        if not tracemalloc.is_tracing():
            return ["tracemalloc is off (run with --trace)"]
        gc.collect()
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        types = Counter(type(o).__name__ for o in gc.get_objects())
        lines: list[str] = []
        if self.snapshot is not None:
            lines += [str(stat) for stat in snap.compare_to(self.snapshot, "lineno")[: self.top]]
            grown = (types - self.types).most_common(self.top)
            lines.append("object count growth: " + ", ".join(f"{n} +{c}" for n, c in grown))
        current, peak = tracemalloc.get_traced_memory()
        lines.append(f"traced {current / 2**20:.1f} MB (peak {peak / 2**20:.1f} MB)")
        self.snapshot, self.types = snap, types
        return lines


async def client(args: argparse.Namespace) -> int:
    market = Market(args.market)
    endpoints = resolve_endpoints(
        market,
        rest_url=args.rest_url,
        stream_url=args.stream_url,
        ws_api_url=args.ws_api_url,
        env={},
    )
    private = market in (Market.SPOT, Market.USDM)
    request = SnapshotRequest(
        symbols=args.symbols.split(","),
        endpoints=endpoints,
        interval="1m",
        private=private,
        env=os.environ,
        proxies=ProxyRules.direct(),
        persistent=True,  # as tuimon watch: reconnect for ever
    )
    heap = Heap(args.top)
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(commands), os.fdopen(0, "rb", buffering=0)
    )
    async with market_session(request) as session:
        store, feed, symbols, user = session
        emit({"type": "ready", "symbols": symbols, "private": user is not None})
        failures = [asyncio.ensure_future(feed.wait_failed())]
        if user is not None:
            failures.append(asyncio.ensure_future(user.wait_failed()))
        reporting = asyncio.create_task(_report(store, user, args.report_every, failures))
        try:
            while line := await commands.readline():
                command = orjson.loads(line)
                cmd = command["cmd"]
                if cmd == "stop":
                    break
                if cmd == "heap":
                    emit({"type": "heap", "lines": heap.report()})
                elif cmd == "settle":
                    truth = command.get("account") if user is not None else None
                    ok = await store.wait_until(
                        lambda s, truth=truth: settled(s, symbols, truth), command["within"]
                    )
                    # Settled RSS before the dump: the dump (20 whole books as JSON) is the
                    # benchmark's own allocation, not the client's, and Python keeps its peak.
                    rss = rss_mb()
                    emit({**_dump(store, feed, symbols, user, ok), "settled_rss_mb": rss})
        finally:
            reporting.cancel()
            for task in failures:
                task.cancel()
    return 0


async def _report(
    store: Store, user: UserFeed | None, every: float, failures: list[asyncio.Future[Any]]
) -> None:
    said: set[int] = set()
    while True:
        emit(counters(store, user))
        for i, task in enumerate(failures):
            if task.done() and i not in said:
                said.add(i)
                emit({"type": "failed", "worker": "market" if i == 0 else "user",
                      "error": str(task.result())})
        await asyncio.sleep(every)


def rss_mb() -> float:
    """This process's VmRSS in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise LookupError("no VmRSS")


def _dump(
    store: Store, feed: MarketFeed, symbols: list[str], user: UserFeed | None, ok: bool
) -> dict[str, Any]:
    """Books and account in one synchronous pass: one consistent moment of the client."""
    rests = {"market": feed.rest.stats}
    if user is not None:
        rests["user"] = user.rest.stats
    return {
        "type": "dump",
        "settled": ok,
        "books": {s: book_json(store, s, BOOK_DEPTH) for s in symbols},
        "account": account_json(store.account) if user is not None else None,
        "counters": counters(store, user),
        "rest": {name: asdict(stats) for name, stats in rests.items()},
        "status": store.health.status,
        "account_status": store.account.status,
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="soak.py _child")
    p.add_argument("--market", required=True)
    p.add_argument("--rest-url", required=True)
    p.add_argument("--stream-url", required=True)
    p.add_argument("--ws-api-url", required=True)
    p.add_argument("--symbols", required=True)
    p.add_argument("--report-every", type=float, default=0.2)
    p.add_argument("--trace", action="store_true", help="run under tracemalloc")
    p.add_argument("--top", type=int, default=12)
    args = p.parse_args(argv)
    # The workers' warnings (one line each) go to stderr, which the parent keeps in a file.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    if args.trace:
        tracemalloc.start(4)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(client(args))
    return 130
