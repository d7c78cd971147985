"""Benchmark the monitor the way a user runs it: in a real pseudo-terminal, over the simulator.

Not collected by pytest (``norecursedirs``). The code is tuimon/bench/terminal.py, which
``tuimon bench`` runs too. Run::

    .venv/bin/python tests/bench/bench_demo.py            # both modes, 120x40, 20 s window
    .venv/bin/python tests/bench/bench_demo.py --seconds 60 --size 160x48

Two modes:

* ``demo``: ``tuimon --demo`` (simulator inside the same process: CPU includes the simulator).
* ``ui``: the simulator in its own process (``tuimon sim``), ``tuimon`` pointed at it with the URL
  overrides: the CPU figure is the monitor alone.

Figures: time to first output and to the first live frame (the ladder says ``● live``, which
needs exchangeInfo, tickers, a synced book and a connected stream), CPU % of one core and
terminal bytes/s over a steady-state window (after --warmup seconds from the start, 8 by
default), time for a symbol switch to show on screen, and the exit status and time after ``q``.
"""

from __future__ import annotations

import argparse
import json
import sys

from tuimon.bench.terminal import (  # noqa: F401 - the names this script always offered
    LIVE,
    RESYNC,
    TUIMON,
    WARMUP,
    Run,
    cpu_seconds,
    measure,
    report_lines,
    start,
)


def main() -> int:
    """Run the requested modes and print one JSON object per run, then a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="steady-state window")
    parser.add_argument("--size", default="120x40", help="terminal COLSxROWS")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--modes", default="demo,ui")
    parser.add_argument("--warmup", type=float, default=WARMUP, help="seconds before the window")
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))
    results = []
    for mode in args.modes.split(","):
        result = measure(mode, args.seconds, (cols, rows), args.fps, args.warmup)
        print(json.dumps(result), flush=True)
        results.append(result)
    print()
    for line in report_lines(results):
        print(line)
    return 0 if all(r.get("exit_status") == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
