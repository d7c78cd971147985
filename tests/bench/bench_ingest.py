"""Market-worker ingest rate vs a bare websockets+orjson loop on the same feed (a benchmark).

Run: .venv/bin/python tests/bench/bench_ingest.py [--symbols 20] [--seconds 20]
(the code is tuimon/bench/ingest.py, which ``tuimon bench`` runs too)

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

import argparse
import asyncio

from tuimon.bench import book as bench_book
from tuimon.bench.ingest import (  # noqa: F401 - the names this script always offered
    IngestResult,
    bare,
    record,
    report_lines,
    run,
    start_replay,
    tuimon_path,
    wire_only,
)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    result = await run(args.symbols, args.seconds, echo=print)
    print()
    for line in report_lines(result):
        print(line)
    print()
    for line in bench_book.report_lines(bench_book.run()):
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
