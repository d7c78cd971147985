"""Simulator step cost, and a digest of everything it emits, for each market. One run.

Not collected by pytest. Run::

    .venv/bin/python tests/bench/bench_sim.py [--steps 2000] [--repeat 5]

Each market's SimServer (seed 7, all its symbols) is stepped by hand on a fake clock (50 ms
a step, one jump of an hour halfway so that every interval up to 1h rolls) with two sets of
subscribers that only hash what they are sent:

* ``demo``: what ``tuimon --demo`` streams: 20 mini tickers, the selection's book and klines;
* ``full``: every stream of six symbols plus the market-wide ones.

Printed per market and set: CPU microseconds per step (process time, best of ``--repeat``)
and a digest of every frame sent plus the final books, 24 h stats and klines of every
interval. An efficiency change to the simulator must leave every digest as it was (its
output for a seed is what tests, snapshots and book truth compare against); the step time is
what it saves. ``--paced`` also times steps 50 ms apart, as they run for real: other
processes then evict the caches between steps and a step costs about 2-3 times more.

The machine is shared: compare runs made back to back, and read the digests first.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time

from tuimon.sim.server import SimServer
from tuimon.sim.streams import SymbolNames

START_MS = 1_700_000_000_000
MARKET_WIDE = ("!miniTicker@arr", "!ticker@arr", "!bookTicker", "!markPrice@arr", "!forceOrder@arr")


class HashingConn:
    """Stands in for a stream connection: hashes every frame it is pushed."""

    combined = True

    def __init__(self, digest: hashlib._Hash) -> None:
        self.digest = digest
        self.frames = 0

    def push(self, raw: bytes) -> None:
        self.digest.update(raw)
        self.frames += 1


def subscribe(server: SimServer, conn: HashingConn, full: bool) -> None:
    symbols = list(server.model.symbols)
    if not full:
        for symbol in symbols[:20]:
            server.index(SymbolNames(server.cfg, symbol).mini_ticker, conn)
        names = SymbolNames(server.cfg, symbols[0])
        server.index(names.depth.get("@100ms", names.depth[""]), conn)
        server.index(names.kline["1m"], conn)
        return
    for symbol in symbols[:6]:
        names = SymbolNames(server.cfg, symbol)
        streams = [*names.depth.values(), names.trade, names.agg_trade, names.book_ticker,
                   names.mini_ticker, names.ticker, *names.kline.values(),
                   *names.mark_price.values(), names.force_order]
        streams += [name for levels in names.partial.values() for _, name in levels]
        for name in streams:
            server.index(name, conn)
    for name in MARKET_WIDE:
        server.index(name, conn)


def run(market: str, steps: int, full: bool, pause: float = 0.0) -> tuple[float, str, int]:
    """(CPU us per step, digest, frames) of one run."""
    now = [START_MS]
    server = SimServer(market, seed=7, clock=lambda: now[0], paused=True)
    digest = hashlib.sha256()
    conn = HashingConn(digest)
    subscribe(server, conn, full)
    spent = 0.0
    for i in range(steps):
        now[0] += 50 if i != steps // 2 else 50 + 3_600_000
        t0 = time.process_time()
        server._step()
        spent += time.process_time() - t0
        if pause:
            time.sleep(pause)
    for model in server.model.symbols.values():
        stats = model.stats
        state = (model.last_id, sorted(model.bids.items())[:50], sorted(model.asks.items())[:50],
                 [getattr(stats, name) for name in stats.__slots__])
        digest.update(repr(state).encode())
        for interval in server.cfg.intervals:
            rows = [list(c) for c in model.klines(interval, 50, None, None)]
            digest.update(repr(rows).encode())
    return spent / steps * 1e6, digest.hexdigest()[:16], conn.frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--paced", action="store_true", help="also time steps 50 ms apart")
    args = parser.parse_args()
    print("market | set  | us/step (best) | frames | digest")
    for market in ("spot", "usdm", "coinm"):
        for full in (False, True):
            runs = [run(market, args.steps, full) for _ in range(max(1, args.repeat))]
            if len({digest for _, digest, _ in runs}) != 1:
                print(f"{market}: the digest differs between runs of one seed", file=sys.stderr)
                return 1
            best = min(us for us, _, _ in runs)
            _, digest, frames = runs[0]
            label = "full" if full else "demo"
            print(f"{market:6} | {label} | {best:14.1f} | {frames:6} | {digest}")
    if args.paced:
        us, _, _ = run("spot", 200, False, pause=0.05)
        print(f"spot demo, steps 50 ms apart: {us:.1f} us/step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
