"""What ``tuimon bench`` measured, the goals it is held to, and how it is shown (table, JSON).

Pure data and formatting: no benchmark runs here, so the rendering is tested from fixed
figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tuimon.bench.book import LEVELS, LEVELS_PER_DIFF, TOP, BookResult
from tuimon.bench.ingest import LABELS, IngestResult
from tuimon.bench.machine import Machine

SCHEMA = 1
"""Version of the JSON layout (bumped when a key changes meaning or goes away)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """How long and how much: ``--quick`` (about a minute), the full run, or a smoke test."""

    name: str
    ingest_symbols: int
    ingest_seconds: float
    """Seconds of simulator traffic recorded (the simulator runs at 5x)."""
    ingest_rounds: int
    book_diffs: int
    book_runs: int
    """Whole book runs; each row keeps its best figure per column."""
    terminal: tuple[tuple[str, tuple[int, int]], ...]
    """(mode, (columns, rows)) per terminal run; mode ``demo`` or ``ui``."""
    warmup: float
    window: float
    fps: float = 10.0


@dataclass(frozen=True, slots=True)
class TerminalRun:
    """One monitor run on a pty (see :func:`tuimon.bench.terminal.measure`)."""

    mode: str
    size: str
    first_live_s: float | None
    cpu_pct: float
    bytes_per_s: float
    switch_marked_s: float | None
    switch_live_s: float | None
    exit_status: int | None
    traceback: bool

    @classmethod
    def from_measure(cls, result: dict[str, object]) -> TerminalRun:
        """From the dict :func:`~tuimon.bench.terminal.measure` returns."""

        def number(key: str) -> float | None:
            value = result.get(key)
            return float(value) if isinstance(value, int | float) else None

        status = result.get("exit_status")
        return cls(
            mode=str(result["mode"]),
            size=str(result["size"]),
            first_live_s=number("first_live_frame_s"),
            cpu_pct=number("cpu_pct_one_core") or 0.0,
            bytes_per_s=number("terminal_bytes_per_s") or 0.0,
            switch_marked_s=number("switch_marked_s"),
            switch_live_s=number("switch_live_s"),
            exit_status=status if isinstance(status, int) else None,
            traceback=bool(result.get("traceback")),
        )


@dataclass(slots=True)
class BenchReport:
    """Everything one ``tuimon bench`` run found; a section that could not run has an error."""

    plan: Plan
    machine: Machine
    started_utc: str
    elapsed_s: float = 0.0
    ingest: IngestResult | None = None
    ingest_error: str = ""
    book: BookResult | None = None
    book_error: str = ""
    terminal: list[TerminalRun] = field(default_factory=list)
    terminal_error: str = ""

    @property
    def errors(self) -> list[str]:
        """One line per section that failed."""
        named = (
            ("ingest", self.ingest_error),
            ("book", self.book_error),
            ("terminal", self.terminal_error),
        )
        return [f"{name}: {error}" for name, error in named if error]


@dataclass(frozen=True, slots=True)
class Goal:
    """One of issue 15's goals, with what this run measured (None: not measured)."""

    name: str
    target: float
    unit: str
    at_most: bool
    """True for a ceiling (CPU, bytes), False for a floor (the ingest ratio)."""
    measured: float | None

    @property
    def status(self) -> str:
        """``pass``, ``miss`` or ``not measured``."""
        if self.measured is None:
            return "not measured"
        ok = self.measured <= self.target if self.at_most else self.measured >= self.target
        return "pass" if ok else "miss"

    @property
    def target_text(self) -> str:
        """``<= 20 KB/s``, ``>= 0.70``."""
        return f"{'<=' if self.at_most else '>='} {_num(self.target, self.unit)}"

    @property
    def measured_text(self) -> str:
        """The figure in the goal's unit, or a dash."""
        return "—" if self.measured is None else _num(self.measured, self.unit)


def _num(value: float, unit: str) -> str:
    if unit == "":
        return f"{value:.2f}"
    return f"{value:.1f} {unit}"


def _run(report: BenchReport, mode: str, size: str) -> TerminalRun | None:
    return next((r for r in report.terminal if r.mode == mode and r.size == size), None)


def goals(report: BenchReport) -> list[Goal]:
    """Issue 15's goals (§1 ingest, §3 terminal) against this run's figures."""

    def terminal(mode: str, size: str, pick: Callable[[TerminalRun], float]) -> float | None:
        run = _run(report, mode, size)
        return None if run is None else round(pick(run), 1)

    def kb(run: TerminalRun) -> float:
        return run.bytes_per_s / 1000

    def cpu(run: TerminalRun) -> float:
        return run.cpu_pct

    ingest = report.ingest
    ratio = round(ingest.ratio, 2) if ingest is not None else None
    symbols = ingest.symbols if ingest is not None else report.plan.ingest_symbols
    return [
        Goal(f"ingest tuimon / bare, {symbols} symbols", 0.70, "", False, ratio),
        Goal("terminal output 120x40 --demo", 20.0, "KB/s", True, terminal("demo", "120x40", kb)),
        Goal("CPU 120x40 --demo", 7.0, "%", True, terminal("demo", "120x40", cpu)),
        Goal("CPU 120x40 monitor alone", 5.0, "%", True, terminal("ui", "120x40", cpu)),
        Goal("terminal output 160x48 --demo", 28.0, "KB/s", True, terminal("demo", "160x48", kb)),
    ]


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def render_table(report: BenchReport) -> str:
    """The side-by-side table ``tuimon bench`` prints."""
    plan = report.plan
    out = [
        f"tuimon bench ({plan.name}), {report.started_utc}, {report.elapsed_s:.0f} s",
        f"machine: {report.machine.line()}",
        "",
    ]
    ingest = report.ingest
    if ingest is not None:
        out.append(
            f"Ingest: {ingest.symbols} symbols, {ingest.frames:,} frames "
            f"({ingest.average_bytes:.0f} B average) recorded from the simulator, "
            f"replayed {plan.ingest_rounds}x"
        )
        out.append(f"  {'path':<36}{'msgs/s':>12}{'µs/msg':>10}")
        for label, text in LABELS:
            rate = ingest.best[label]
            out.append(f"  {text.strip():<36}{rate:>12,.0f}{1e6 / rate:>10.2f}")
        out.append(f"  {'ratio tuimon / bare':<36}{ingest.ratio:>12.2f}")
    else:
        out.append(f"Ingest: not measured ({report.ingest_error or 'skipped'})")
    out.append("")
    book = report.book
    if book is not None:
        out.append(
            f"Book apply: {LEVELS} levels a side, {book.diffs:,} diffs of {LEVELS_PER_DIFF} "
            f"levels, best of {plan.book_runs} (µs per diff)"
        )
        out.append(f"  {'book':<40}{'apply':>8}{'raw bytes':>11}{f'+ top {TOP}':>10}")
        for entry in book.entries:
            if isinstance(entry, str):
                out.append(f"  {entry}")
            else:
                out.append(
                    f"  {entry.name:<40}{entry.apply_us:>8.2f}{entry.raw_us:>11.2f}"
                    f"{entry.top_us:>10.2f}"
                )
        out.append(f"  {'orjson.loads alone':<40}{'':>8}{book.loads_us:>11.2f}")
        for name in book.mismatches:
            out.append(f"  MISMATCH: {name}'s top {TOP} levels differ from tuimon's")
    else:
        out.append(f"Book apply: not measured ({report.book_error or 'skipped'})")
    out.append("")
    if report.terminal:
        out.append(
            f"Terminal: the monitor on a real pty, 20 symbols, {plan.fps:g} frames/s, "
            f"{plan.window:g} s window after {plan.warmup:g} s"
        )
        out.append("  (demo: tuimon --demo; ui: the simulator in its own process, tuimon alone)")
        out.append(
            f"  {'size':<8}{'mode':<7}{'first live':>11}{'CPU 1 core':>12}{'output':>12}"
            f"{'switch':>9}{'exit':>6}"
        )
        for run in report.terminal:
            status = "—" if run.exit_status is None else str(run.exit_status)
            out.append(
                f"  {run.size:<8}{run.mode:<7}{_seconds(run.first_live_s):>11}"
                f"{run.cpu_pct:>10.1f} %{run.bytes_per_s / 1000:>7.1f} KB/s"
                f"{_seconds(run.switch_marked_s):>9}{status:>6}"
                + ("  TRACEBACK" if run.traceback else "")
            )
    if report.terminal_error:
        out.append(f"Terminal: not measured ({report.terminal_error})")
    out.append("")
    out.append("Goals (the project's performance targets)")
    out.append(f"  {'goal':<38}{'target':>12}{'measured':>12}  result")
    for goal in goals(report):
        out.append(
            f"  {goal.name:<38}{goal.target_text:>12}{goal.measured_text:>12}  {goal.status}"
        )
    return "\n".join(out)


def to_json(report: BenchReport) -> dict[str, object]:
    """The same figures as a JSON-ready dict (``tuimon bench --json``)."""
    machine = report.machine
    plan = report.plan
    ingest = report.ingest
    book = report.book
    return {
        "schema": SCHEMA,
        "plan": plan.name,
        "started_utc": report.started_utc,
        "elapsed_s": round(report.elapsed_s, 1),
        "machine": {
            "cpu": machine.cpu,
            "cores": machine.cores,
            "python": machine.python,
            "system": machine.system,
            "tuimon": machine.tuimon,
            "load_average": list(machine.load_average),
        },
        "ingest": {
            "symbols": ingest.symbols,
            "recorded_s": ingest.seconds,
            "frames": ingest.frames,
            "average_bytes": round(ingest.average_bytes, 1),
            "rounds": plan.ingest_rounds,
            "msgs_per_s": {label: round(rate) for label, rate in ingest.best.items()},
            "ratio_tuimon_bare": round(ingest.ratio, 3),
            "stage_us_per_msg": {label: round(us, 2) for label, us in ingest.stages.items()},
        }
        if ingest is not None
        else {"error": report.ingest_error or "skipped"},
        "book": {
            "levels": LEVELS,
            "diffs": book.diffs,
            "runs": plan.book_runs,
            "rows": [
                {
                    "name": row.name,
                    "apply_us": round(row.apply_us, 3),
                    "raw_us": round(row.raw_us, 3),
                    "top_us": round(row.top_us, 3),
                }
                for row in book.rows
            ],
            "not_installed": book.missing,
            "orjson_loads_us": round(book.loads_us, 3),
            "tops_equal": not book.mismatches,
        }
        if book is not None
        else {"error": report.book_error or "skipped"},
        "terminal": {
            "fps": plan.fps,
            "warmup_s": plan.warmup,
            "window_s": plan.window,
            "runs": [
                {
                    "mode": run.mode,
                    "size": run.size,
                    "first_live_s": run.first_live_s,
                    "cpu_pct_one_core": run.cpu_pct,
                    "bytes_per_s": round(run.bytes_per_s),
                    "switch_marked_s": run.switch_marked_s,
                    "switch_live_s": run.switch_live_s,
                    "exit_status": run.exit_status,
                    "traceback": run.traceback,
                }
                for run in report.terminal
            ],
            **({"error": report.terminal_error} if report.terminal_error else {}),
        },
        "goals": [
            {
                "goal": goal.name,
                "target": goal.target,
                "unit": goal.unit,
                "at_most": goal.at_most,
                "measured": goal.measured,
                "status": goal.status,
            }
            for goal in goals(report)
        ],
    }
