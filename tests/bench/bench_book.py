"""Book apply, tuimon next to the libraries users would pick instead (a benchmark, not a test).

Run: .venv/bin/pip install -q -e '.[bench]' && .venv/bin/python tests/bench/bench_book.py
(the code is tuimon/bench/book.py, which ``tuimon bench`` runs too)

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

from tuimon.bench.book import (  # noqa: F401 - the names this script always offered
    DIFFS,
    LEVELS,
    LEVELS_PER_DIFF,
    TOP,
    BookResult,
    Row,
    bench_tuimon,
    build,
    depth_cache_row,
    main,
    order_book_row,
    run,
    sorted_dict_row,
)

if __name__ == "__main__":
    raise SystemExit(main())
