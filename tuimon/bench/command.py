"""``tuimon bench``: the ingest, book and terminal benchmarks on this machine, one table.

So that someone about to run the monitor on a small VPS can see what it costs there before
trusting it. ``--quick`` takes about a minute; the default run about five. Progress goes to
stderr, the table (or ``--json``) to stdout. A section that cannot run here (no pty, say)
prints one line saying why and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from tuimon.bench.machine import this_machine
from tuimon.bench.report import BenchReport, Plan, TerminalRun, render_table, to_json

QUICK = Plan(
    name="quick",
    ingest_symbols=20,
    ingest_seconds=5.0,
    ingest_rounds=5,  # a replay pass is ~30 ms: best of 5 rides out a busy machine's stalls
    book_diffs=2_000,
    book_runs=2,
    terminal=(("demo", (120, 40)), ("ui", (120, 40)), ("demo", (160, 48))),
    warmup=5.0,
    window=6.0,
)
FULL = Plan(
    name="full",
    ingest_symbols=20,
    ingest_seconds=20.0,
    ingest_rounds=5,
    book_diffs=20_000,
    book_runs=2,
    terminal=(
        ("demo", (120, 40)),
        ("ui", (120, 40)),
        ("demo", (160, 48)),
        ("ui", (160, 48)),
    ),
    warmup=8.0,
    window=20.0,
)
SMOKE = Plan(
    name="smoke",
    ingest_symbols=3,
    ingest_seconds=1.0,
    ingest_rounds=1,
    book_diffs=200,
    book_runs=1,
    terminal=(("demo", (120, 40)),),
    warmup=1.5,
    window=1.0,
)
"""For the test suite only (hidden ``--smoke``): every section, as little of each as works."""

MAX_SECONDS = 600.0


def parser() -> argparse.ArgumentParser:
    """Parser of ``tuimon bench``."""
    p = argparse.ArgumentParser(
        prog="tuimon bench",
        description="Benchmark tuimon on this machine: ingest rate against a bare websockets "
        "loop, book apply against other libraries (when installed: pip install "
        "'tuimon[bench]'), and the monitor itself on a pseudo-terminal (CPU, bytes/s). "
        "Prints one table, with the project's performance goals: target, measured, pass or miss.",
    )
    p.add_argument("--quick", action="store_true", help="about a minute (default: about five)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument(
        "--seconds",
        type=_seconds,
        default=None,
        metavar="N",
        help="steady-state window of each terminal run and seconds of feed recorded for "
        "the ingest run (quick: 6 and 5, full: 20 and 20)",
    )
    p.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    return p


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_SECONDS:g}: {text!r}")
    return value


def _progress(line: str) -> None:
    print(f"tuimon bench: {line}", file=sys.stderr, flush=True)  # noqa: T201


def run_bench(plan: Plan) -> BenchReport:
    """Run every section of ``plan``; a section that fails is recorded, not raised."""
    report = BenchReport(
        plan=plan,
        machine=this_machine(),  # load average before anything of ours runs
        started_utc=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    start = time.monotonic()
    _progress(
        f"ingest: recording {plan.ingest_symbols} symbols for {plan.ingest_seconds:g} s, "
        f"then {plan.ingest_rounds} replay round(s)"
    )
    from tuimon.bench import ingest

    try:
        report.ingest = asyncio.run(
            ingest.run(plan.ingest_symbols, plan.ingest_seconds, plan.ingest_rounds)
        )
    except Exception as exc:  # noqa: BLE001 - one line in the table, the other sections run on
        report.ingest_error = _one_line(exc)
    _progress(f"book: {plan.book_diffs:,} diffs per row, best of {plan.book_runs} run(s)")
    from tuimon.bench import book

    try:
        report.book = book.best_of([book.run(diffs=plan.book_diffs) for _ in range(plan.book_runs)])
    except Exception as exc:  # noqa: BLE001
        report.book_error = _one_line(exc)
    from tuimon.bench import terminal

    try:
        terminal.check_platform()
        for mode, size in plan.terminal:
            _progress(
                f"terminal: {mode} at {size[0]}x{size[1]}, {plan.warmup:g} s warm-up and "
                f"{plan.window:g} s window"
            )
            result = terminal.measure(mode, plan.window, size, plan.fps, plan.warmup)
            report.terminal.append(TerminalRun.from_measure(result))
    except terminal.TerminalBenchError as exc:
        report.terminal_error = str(exc)
    except Exception as exc:  # noqa: BLE001
        report.terminal_error = _one_line(exc)
    report.elapsed_s = time.monotonic() - start
    return report


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "no message"
    return f"{type(exc).__name__}: {text}"[:200]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tuimon bench``; 0 when every section ran (goals do not change it)."""
    args = parser().parse_args(argv)
    plan = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.seconds is not None:
        plan = replace(plan, window=args.seconds, ingest_seconds=args.seconds)
    # SIGTERM unwinds like Ctrl-C, so each run's cleanup stops the monitor and simulator it
    # started (a killed parent would leave them running on their ptys).
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        report = run_bench(plan)
    except KeyboardInterrupt:
        print("tuimon bench: interrupted", file=sys.stderr)  # noqa: T201
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    for error in report.errors:
        print(f"tuimon bench: {error}", file=sys.stderr)  # noqa: T201
    if args.json:
        print(json.dumps(to_json(report), indent=2, ensure_ascii=False))  # noqa: T201
    else:
        print(render_table(report))  # noqa: T201
    return 1 if report.errors else 0
