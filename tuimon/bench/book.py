"""Book apply, tuimon next to the libraries users would pick instead (a benchmark, not a test).

Run by ``tuimon bench`` and by ``tests/bench/bench_book.py``. The peer rows need
``pip install 'tuimon[bench]'``; without it they say so and tuimon's row still runs.

One seeded workload for every row: a 1000-level-a-side snapshot, then 20,000 spot diffs of 12
levels each (~10 % deletions, some inserts beyond the edge), prices and quantities as Binance
sends them (8-decimal strings). Columns, in µs per diff:

- apply: levels already decoded into the row's own types, applied.
- raw bytes: from the frame's bytes: ``orjson.loads``, exact decimals (each library's way), apply.
- + top 10: the raw-bytes path plus one read of the best 10 levels a side after every diff (what a
  depth ladder needs; python-binance's DepthCache sorts on every read).

tuimon's rows also check every diff's ``U``/``u`` link against the book (the others do not
sequence-check at all), and its raw path validates every decimal string against the strict
exchange grammar. After the run every row's top 10 levels are compared: they must be equal.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

import orjson

from tuimon.protocol.book import BookSync
from tuimon.protocol.models import DepthDiff, DepthSnapshot
from tuimon.protocol.parse import parse_frame

LEVELS = 1000
DIFFS = 20_000
LEVELS_PER_DIFF = 12  # a busy spot @depth@100ms event touches roughly this many levels
DELETE_SHARE = 0.10
TOP = 10

Pair = tuple[Decimal, Decimal]
Top = tuple[list[Pair], list[Pair]]


def _q8(value: Decimal) -> str:
    return f"{value:.8f}"


def build(seed: int = 1, diffs: int = DIFFS) -> tuple[DepthSnapshot, list[bytes]]:
    """The snapshot and the raw frames (combined-stream envelopes, as the wire carries them)."""
    rng = random.Random(seed)
    tick = Decimal("0.01")
    mid = 95_000_00  # in ticks

    def size() -> Decimal:
        return Decimal(rng.randint(1, 5000)) / 1000

    bids = [(Decimal(mid - i) * tick, size()) for i in range(1, LEVELS + 1)]
    asks = [(Decimal(mid + i) * tick, size()) for i in range(1, LEVELS + 1)]
    snapshot = DepthSnapshot(last_update_id=1000, bids=tuple(bids), asks=tuple(asks))
    frames = []
    next_id = 1001
    for _ in range(diffs):
        b: list[list[str]] = []
        a: list[list[str]] = []
        for _ in range(LEVELS_PER_DIFF):
            side = b if rng.random() < 0.5 else a
            offset = rng.randint(1, LEVELS + 20)  # a few beyond the edge: inserts
            price = Decimal(mid - offset if side is b else mid + offset) * tick
            qty = Decimal(0) if rng.random() < DELETE_SHARE else size()
            side.append([_q8(price), _q8(qty)])
        count = rng.randint(1, 5)
        frame = {"e": "depthUpdate", "E": 1, "s": "BTCUSDT", "U": next_id,
                 "u": next_id + count - 1, "b": b, "a": a}
        frames.append(orjson.dumps({"stream": "btcusdt@depth@100ms", "data": frame}))
        next_id += count
    return snapshot, frames


@dataclass(slots=True)
class Row:
    name: str
    apply_us: float
    raw_us: float
    top_us: float
    top: Top


def _time(run: Callable[[], None], count: int) -> float:
    gc.collect()
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) / count * 1e6


def _decimal_levels(levels: Iterable[list[str]]) -> list[Pair]:
    return [(Decimal(p), Decimal(q)) for p, q in levels]


# ---------------------------------------------------------------------------- tuimon


def bench_tuimon(snapshot: DepthSnapshot, frames: list[bytes]) -> Row:
    parsed: list[DepthDiff] = [parse_frame(raw)[1] for raw in frames]  # type: ignore[misc]

    def fresh() -> BookSync:
        sync = BookSync(futures=False)
        sync.on_snapshot(snapshot)
        return sync

    sync = fresh()

    def apply() -> None:
        for diff in parsed:
            sync.on_diff(diff)

    apply_us = _time(apply, len(parsed))
    assert sync.synced and sync.stats.applied == len(parsed)
    sync = fresh()

    def raw() -> None:
        for data in frames:
            sync.on_diff(parse_frame(data)[1])  # type: ignore[arg-type]

    raw_us = _time(raw, len(frames))
    sync = fresh()

    def top() -> None:
        book = sync.book
        for data in frames:
            sync.on_diff(parse_frame(data)[1])  # type: ignore[arg-type]
            book.bids(TOP)
            book.asks(TOP)

    top_us = _time(top, len(frames))
    assert sync.synced
    return Row("tuimon (BookSync, sequence-checked)", apply_us, raw_us, top_us,
               (sync.book.bids(TOP), sync.book.asks(TOP)))


# ---------------------------------------------------------------------------- peers


class SidesBook:
    """A book as two sorted maps keyed by Decimal (cryptofeed's order-book, SortedDict)."""

    def __init__(
        self, make: Callable[[], tuple[object, object]], top: Callable[..., Top]
    ) -> None:
        self.make = make
        self.read_top = top
        self.bids, self.asks = make()

    def load(self, snapshot: DepthSnapshot) -> None:
        self.bids, self.asks = self.make()
        for price, qty in snapshot.bids:
            self.bids[price] = qty  # type: ignore[index]
        for price, qty in snapshot.asks:
            self.asks[price] = qty  # type: ignore[index]

    def apply(self, bids: list[Pair], asks: list[Pair]) -> None:
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for price, qty in levels:
                if qty:
                    side[price] = qty  # type: ignore[index]
                elif price in side:  # type: ignore[operator]
                    del side[price]  # type: ignore[attr-defined]


def bench_sides(name: str, book: SidesBook, snapshot: DepthSnapshot, frames: list[bytes]) -> Row:
    decoded = [orjson.loads(raw)["data"] for raw in frames]
    parsed = [(_decimal_levels(d["b"]), _decimal_levels(d["a"])) for d in decoded]
    book.load(snapshot)

    def apply() -> None:
        for bids, asks in parsed:
            book.apply(bids, asks)

    apply_us = _time(apply, len(parsed))
    book.load(snapshot)

    def raw() -> None:
        for data in frames:
            diff = orjson.loads(data)["data"]
            book.apply(_decimal_levels(diff["b"]), _decimal_levels(diff["a"]))

    raw_us = _time(raw, len(frames))
    book.load(snapshot)

    def top() -> None:
        for data in frames:
            diff = orjson.loads(data)["data"]
            book.apply(_decimal_levels(diff["b"]), _decimal_levels(diff["a"]))
            book.read_top(book)

    top_us = _time(top, len(frames))
    return Row(name, apply_us, raw_us, top_us, book.read_top(book))


def order_book_row(snapshot: DepthSnapshot, frames: list[bytes]) -> Row | str:
    try:
        from order_book import OrderBook
    except ImportError:
        return "cryptofeed order-book: not installed (pip install 'tuimon[bench]')"

    def make() -> tuple[object, object]:
        ob = OrderBook()
        return ob.bids, ob.asks

    def top(book: SidesBook) -> Top:
        bids, asks = book.bids, book.asks
        count_b, count_a = min(TOP, len(bids)), min(TOP, len(asks))  # type: ignore[arg-type]
        return ([bids.index(i) for i in range(count_b)],  # type: ignore[attr-defined]
                [asks.index(i) for i in range(count_a)])  # type: ignore[attr-defined]

    return bench_sides("cryptofeed order-book (C), Decimal", SidesBook(make, top), snapshot,
                       frames)


def sorted_dict_row(snapshot: DepthSnapshot, frames: list[bytes]) -> Row | str:
    try:
        from sortedcontainers import SortedDict
    except ImportError:
        return "sortedcontainers: not installed (pip install 'tuimon[bench]')"

    def make() -> tuple[object, object]:
        return SortedDict(), SortedDict()

    def top(book: SidesBook) -> Top:
        bids, asks = book.bids, book.asks
        n = len(bids)  # type: ignore[arg-type]
        best_bids = [bids.peekitem(n - 1 - i) for i in range(min(TOP, n))]  # type: ignore[attr-defined]
        best_asks = [asks.peekitem(i) for i in range(min(TOP, len(asks)))]  # type: ignore[attr-defined,arg-type]
        return best_bids, best_asks

    return bench_sides("sortedcontainers.SortedDict, Decimal", SidesBook(make, top), snapshot,
                       frames)


def depth_cache_row(snapshot: DepthSnapshot, frames: list[bytes]) -> Row | str:
    try:
        from binance.ws.depthcache import DepthCache
    except ImportError:
        try:
            from binance.depthcache import DepthCache  # type: ignore[no-redef]
        except ImportError:
            return "python-binance DepthCache: not installed (pip install 'tuimon[bench]')"

    def fresh() -> DepthCache:
        cache = DepthCache("BTCUSDT", conv_type=Decimal)  # exact, not its float default
        for price, qty in snapshot.bids:
            cache.add_bid([_q8(price), _q8(qty)])
        for price, qty in snapshot.asks:
            cache.add_ask([_q8(price), _q8(qty)])
        return cache

    decoded = [orjson.loads(raw)["data"] for raw in frames]
    cache = fresh()

    def apply_levels(diff: dict[str, list[list[str]]]) -> None:
        # What python-binance's depth cache manager does per event (its own loop body).
        for bid in diff["b"]:
            cache.add_bid(bid)
        for ask in diff["a"]:
            cache.add_ask(ask)

    def apply() -> None:
        for diff in decoded:
            apply_levels(diff)

    apply_us = _time(apply, len(decoded))
    cache = fresh()

    def raw() -> None:
        for data in frames:
            apply_levels(orjson.loads(data)["data"])

    raw_us = _time(raw, len(frames))
    cache = fresh()

    def top() -> None:
        for data in frames:
            apply_levels(orjson.loads(data)["data"])
            cache.get_bids()[:TOP]
            cache.get_asks()[:TOP]

    top_us = _time(top, len(frames))
    best = ([tuple(x) for x in cache.get_bids()[:TOP]], [tuple(x) for x in cache.get_asks()[:TOP]])
    return Row("python-binance DepthCache, Decimal", apply_us, raw_us, top_us, best)  # type: ignore[arg-type]


@dataclass(slots=True)
class BookResult:
    """One run: each entry a measured row, or the line saying its library is not installed."""

    seed: int
    diffs: int
    entries: list[Row | str]
    loads_us: float
    mismatches: list[str]

    @property
    def rows(self) -> list[Row]:
        """The measured rows (tuimon's first)."""
        return [entry for entry in self.entries if isinstance(entry, Row)]

    @property
    def missing(self) -> list[str]:
        """One line per peer library that is not installed."""
        return [entry for entry in self.entries if isinstance(entry, str)]


def run(seed: int = 1, diffs: int = DIFFS) -> BookResult:
    """Build the workload and time every row on it (peers only when installed)."""
    snapshot, frames = build(seed, diffs)
    entries: list[Row | str] = [
        bench_tuimon(snapshot, frames),
        order_book_row(snapshot, frames),
        sorted_dict_row(snapshot, frames),
        depth_cache_row(snapshot, frames),
    ]
    loads_us = _time(lambda: [orjson.loads(raw) for raw in frames], len(frames))
    rows = [entry for entry in entries if isinstance(entry, Row)]
    mismatches = [row.name for row in rows[1:] if row.top != rows[0].top]
    return BookResult(seed, diffs, entries, loads_us, mismatches)


def best_of(results: list[BookResult]) -> BookResult:
    """Each row's fastest figure per column over several runs of the same workload (a busy
    machine's preemptions only ever add time)."""
    first = results[0]
    entries: list[Row | str] = []
    for index, entry in enumerate(first.entries):
        if isinstance(entry, str):
            entries.append(entry)
            continue
        same = [r.entries[index] for r in results]
        rows = [row for row in same if isinstance(row, Row)]
        entries.append(
            Row(
                entry.name,
                min(row.apply_us for row in rows),
                min(row.raw_us for row in rows),
                min(row.top_us for row in rows),
                entry.top,
            )
        )
    mismatches = sorted({name for r in results for name in r.mismatches})
    loads_us = min(r.loads_us for r in results)
    return BookResult(first.seed, first.diffs, entries, loads_us, mismatches)


def report_lines(result: BookResult) -> list[str]:
    """The benchmark's own printout (the lines ``tests/bench/bench_book.py`` always printed)."""
    lines = [
        f"workload: {LEVELS} levels a side, {result.diffs} diffs x {LEVELS_PER_DIFF} levels, "
        f"{DELETE_SHARE:.0%} deletions, seed {result.seed}; µs per diff",
        f"{'book':<40} {'apply':>8} {'raw bytes':>10} {'+ top 10':>9}",
    ]
    for r in result.entries:
        if isinstance(r, str):
            lines.append(r)
            continue
        lines.append(f"{r.name:<40} {r.apply_us:8.2f} {r.raw_us:10.2f} {r.top_us:9.2f}")
    lines.append(f"{'orjson.loads alone':<40} {'':8} {result.loads_us:10.2f}")
    for name in result.mismatches:
        lines.append(f"MISMATCH: {name}'s top {TOP} differs from tuimon's")
    if not result.mismatches:
        count = len(result.rows)
        lines.append(f"top {TOP} levels a side after the run: equal in all {count} books")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = run(args.seed)
    for line in report_lines(result):
        print(line)  # noqa: T201
    return 1 if result.mismatches else 0
