"""``tuimon bench``'s table and JSON, from fixed figures (no benchmark runs here)."""

from __future__ import annotations

import json

import pytest

from tuimon.bench.book import BookResult, Row, best_of
from tuimon.bench.command import FULL, QUICK, parser
from tuimon.bench.ingest import IngestResult
from tuimon.bench.machine import Machine, cpu_model
from tuimon.bench.report import BenchReport, TerminalRun, goals, render_table, to_json

MACHINE = Machine(
    cpu="AMD EPYC 7763 64-Core Processor",
    cores=2,
    python="3.11.7 (CPython)",
    system="Linux 6.1 x86_64",
    tuimon="0.1.0",
    load_average=(3.1, 2.5, 1.0),
)


def _run(mode: str, size: str, cpu: float, rate: float) -> TerminalRun:
    return TerminalRun(mode, size, 0.66, cpu, rate, 0.02, 0.5, 0, False)


def full_report() -> BenchReport:
    ingest = IngestResult(20, 20.0, 14_600, 236.0, {"depth@100ms": 12_000})
    ingest.best.update(bare=220_000.0, tuimon=110_000.0, wire=410_000.0, recv=290_000.0)
    top = ([], [])
    book = BookResult(
        seed=1,
        diffs=20_000,
        entries=[
            Row("tuimon (BookSync, sequence-checked)", 3.0, 11.2, 12.0, top),
            "cryptofeed order-book: not installed (pip install 'tuimon[bench]')",
            Row("sortedcontainers.SortedDict, Decimal", 22.0, 40.9, 57.0, top),
        ],
        loads_us=2.5,
        mismatches=[],
    )
    return BenchReport(
        plan=FULL,
        machine=MACHINE,
        started_utc="2026-12-07 14:00 UTC",
        elapsed_s=231.0,
        ingest=ingest,
        book=book,
        terminal=[
            _run("demo", "120x40", 7.5, 14_400),
            _run("ui", "120x40", 4.9, 13_300),
            _run("demo", "160x48", 9.0, 19_700),
        ],
    )


def test_goals_pass_miss_and_not_measured() -> None:
    by_name = {goal.name: goal for goal in goals(full_report())}
    ratio = by_name["ingest tuimon / bare, 20 symbols"]
    assert (ratio.measured, ratio.status, ratio.target_text) == (0.5, "miss", ">= 0.70")
    output = by_name["terminal output 120x40 --demo"]
    assert (output.measured, output.status, output.target_text) == (14.4, "pass", "<= 20.0 KB/s")
    assert by_name["CPU 120x40 --demo"].status == "miss"  # 7.5 > 7
    assert by_name["CPU 120x40 monitor alone"].status == "pass"  # 4.9 <= 5
    assert by_name["terminal output 160x48 --demo"].measured == 19.7
    empty = BenchReport(plan=QUICK, machine=MACHINE, started_utc="x")
    assert {goal.status for goal in goals(empty)} == {"not measured"}


def test_table_shows_the_machine_every_section_and_the_goals() -> None:
    table = render_table(full_report())
    lines = table.splitlines()
    assert lines[0] == "tuimon bench (full), 2026-12-07 14:00 UTC, 231 s"
    assert lines[1] == (
        "machine: AMD EPYC 7763 64-Core Processor, 2 cores, Python 3.11.7 (CPython), "
        "Linux 6.1 x86_64, tuimon 0.1.0, load average 3.10 2.50 1.00 at start"
    )
    ratio = next(line for line in lines if line.startswith("  ratio tuimon / bare"))
    assert ratio.split()[-1] == "0.50"
    assert any(line.startswith("  tuimon worker -> Store") and "110,000" in line for line in lines)
    assert "  cryptofeed order-book: not installed (pip install 'tuimon[bench]')" in lines
    row = next(line for line in lines if line.startswith("  120x40  ui"))
    assert row.split() == [
        "120x40", "ui", "0.66", "s", "4.9", "%", "13.3", "KB/s", "0.02", "s", "0"
    ]
    goal = next(line for line in lines if line.startswith("  CPU 120x40 --demo"))
    assert goal.split()[-3:] == ["7.5", "%", "miss"]
    assert all(len(line) <= 100 for line in lines[2:])


def test_json_has_every_figure_and_round_trips() -> None:
    data = json.loads(json.dumps(to_json(full_report())))
    assert set(data) == {
        "schema", "plan", "started_utc", "elapsed_s", "machine", "ingest", "book", "terminal",
        "goals",
    }
    assert data["machine"]["cores"] == 2 and data["machine"]["load_average"] == [3.1, 2.5, 1.0]
    assert data["ingest"]["msgs_per_s"] == {
        "bare": 220_000, "tuimon": 110_000, "wire": 410_000, "recv": 290_000
    }
    assert data["ingest"]["ratio_tuimon_bare"] == 0.5
    assert [row["name"] for row in data["book"]["rows"]] == [
        "tuimon (BookSync, sequence-checked)", "sortedcontainers.SortedDict, Decimal"
    ]
    assert data["book"]["not_installed"] == [
        "cryptofeed order-book: not installed (pip install 'tuimon[bench]')"
    ]
    assert [run["bytes_per_s"] for run in data["terminal"]["runs"]] == [14_400, 13_300, 19_700]
    assert [goal["status"] for goal in data["goals"]] == ["miss", "pass", "miss", "pass", "pass"]


def test_a_section_that_could_not_run_says_why_in_one_line() -> None:
    report = full_report()
    report.terminal = []
    report.terminal_error = "needs a POSIX pseudo-terminal (pty): none here"
    report.ingest = None
    report.ingest_error = "OSError: [Errno 98] address in use"
    table = render_table(report)
    assert "Terminal: not measured (needs a POSIX pseudo-terminal (pty): none here)" in table
    assert "Ingest: not measured (OSError: [Errno 98] address in use)" in table
    assert report.errors == [
        "ingest: OSError: [Errno 98] address in use",
        "terminal: needs a POSIX pseudo-terminal (pty): none here",
    ]
    data = to_json(report)
    assert data["ingest"] == {"error": "OSError: [Errno 98] address in use"}
    assert data["terminal"]["error"].startswith("needs a POSIX")  # type: ignore[index]


def test_cpu_model_from_proc_cpuinfo() -> None:
    assert cpu_model("processor\t: 0\nmodel name\t: Intel(R)  Xeon(R) CPU @ 2.20GHz\n") == (
        "Intel(R) Xeon(R) CPU @ 2.20GHz"
    )
    assert cpu_model("Processor\t: ARMv7\nHardware\t: BCM2835\n") == "BCM2835"
    assert cpu_model("") == ""


def test_seconds_must_be_a_sane_duration() -> None:
    for bad in ("0", "-1", "nan", "inf", "1e9", "x"):
        with pytest.raises(SystemExit) as exc:
            parser().parse_args(["--seconds", bad])
        assert exc.value.code == 2
    assert parser().parse_args(["--quick", "--seconds", "3"]).seconds == 3.0


def test_book_best_of_keeps_each_rows_fastest_figure_per_column() -> None:
    top = ([], [])
    missing = "python-binance DepthCache: not installed (pip install 'tuimon[bench]')"

    def result(apply_us: float, raw_us: float, top_us: float, loads_us: float) -> BookResult:
        row = Row("tuimon (BookSync, sequence-checked)", apply_us, raw_us, top_us, top)
        return BookResult(1, 2_000, [row, missing], loads_us, [])

    best = best_of([result(3.0, 14.0, 12.0, 2.6), result(3.4, 11.0, 12.5, 2.4)])
    (row,) = best.rows
    assert (row.apply_us, row.raw_us, row.top_us, best.loads_us) == (3.0, 11.0, 12.0, 2.4)
    assert best.missing == [missing] and best.mismatches == []
