"""Book-apply cost per diff at 1000 levels a side (a benchmark, not a test).

Run: .venv/bin/python tests/bench/bench_book.py
Prints µs per diff for: applying parsed diffs through BookSync (chain check + levels), and the
whole path from raw frame bytes (orjson + typed parse + apply), next to orjson.loads alone.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

import orjson

from tuimon.protocol.book import BookSync
from tuimon.protocol.models import DepthSnapshot
from tuimon.protocol.parse import parse_frame

LEVELS = 1000
DIFFS = 20_000
LEVELS_PER_DIFF = 12  # a busy spot @depth@100ms event touches roughly this many levels


def build(seed: int = 1) -> tuple[DepthSnapshot, list[bytes]]:
    rng = random.Random(seed)
    tick = Decimal("0.01")
    mid = 95_000_00  # in ticks
    bids = [
        (Decimal(mid - i) * tick, Decimal(rng.randint(1, 5000)) / 1000)
        for i in range(1, LEVELS + 1)
    ]
    asks = [
        (Decimal(mid + i) * tick, Decimal(rng.randint(1, 5000)) / 1000)
        for i in range(1, LEVELS + 1)
    ]
    snapshot = DepthSnapshot(last_update_id=1000, bids=tuple(bids), asks=tuple(asks))
    frames = []
    next_id = 1001
    for _ in range(DIFFS):
        b, a = [], []
        for _ in range(LEVELS_PER_DIFF):
            side = b if rng.random() < 0.5 else a
            offset = rng.randint(1, LEVELS + 20)  # a few beyond the edge: inserts
            price = (mid - offset) if side is b else (mid + offset)
            qty = "0" if rng.random() < 0.2 else f"{rng.randint(1, 5000) / 1000:.3f}"
            side.append([f"{Decimal(price) * tick}", qty])
        count = rng.randint(1, 5)
        frame = {
            "e": "depthUpdate",
            "E": 1,
            "s": "BTCUSDT",
            "U": next_id,
            "u": next_id + count - 1,
            "b": b,
            "a": a,
        }
        frames.append(orjson.dumps({"stream": "btcusdt@depth@100ms", "data": frame}))
        next_id += count
    return snapshot, frames


def main() -> None:
    snapshot, frames = build()
    parsed = [parse_frame(raw)[1] for raw in frames]

    sync = BookSync(futures=False)
    sync.on_snapshot(snapshot)
    start = time.perf_counter()
    for diff in parsed:
        sync.on_diff(diff)  # type: ignore[arg-type]
    apply_us = (time.perf_counter() - start) / len(parsed) * 1e6
    assert sync.stats.applied == len(parsed) and sync.synced

    sync = BookSync(futures=False)
    sync.on_snapshot(snapshot)
    start = time.perf_counter()
    for raw in frames:
        sync.on_diff(parse_frame(raw)[1])  # type: ignore[arg-type]
    full_us = (time.perf_counter() - start) / len(frames) * 1e6

    start = time.perf_counter()
    for raw in frames:
        orjson.loads(raw)
    loads_us = (time.perf_counter() - start) / len(frames) * 1e6

    bid_levels, ask_levels = sync.book.sizes()
    print(f"book levels (bids/asks) after run : {bid_levels}/{ask_levels}")
    print(f"diffs                              : {len(frames)} x {LEVELS_PER_DIFF} levels")
    print(f"apply parsed diff (BookSync)       : {apply_us:7.2f} µs/diff")
    print(f"raw bytes -> parse -> apply        : {full_us:7.2f} µs/diff")
    print(f"orjson.loads alone                 : {loads_us:7.2f} µs/diff")


if __name__ == "__main__":
    main()
