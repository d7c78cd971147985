"""Delivery: escape sequences that cannot be broken out of, and a hook that never stalls."""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from tuimon.alerts.engine import AlertEvent
from tuimon.alerts.notify import (
    HOOK_QUEUE,
    HookRunner,
    clean_text,
    desktop_sequence,
    osc9,
    osc777,
    tmux_passthrough,
)
from tuimon.alerts.rules import parse_rule

EVENT = AlertEvent(parse_rule("BTCUSDT spread_bps >= 5"), "BTCUSDT", Decimal("5.2"), 1_700_000)


def test_osc9_and_osc777_shapes() -> None:
    assert osc9("hello") == "\x1b]9;hello\x07"
    assert osc777("tuimon", "BTC up") == "\x1b]777;notify;tuimon;BTC up\x07"


def test_text_cannot_end_the_sequence_or_inject_fields() -> None:
    hostile = "币安\x07\x1b]52;c;ZXZpbA==\x07;x\x9c\x00"
    cleaned = clean_text(hostile)
    assert cleaned == "币安]52cZXZpbA==x"
    sequence = osc777(hostile, hostile)
    # Exactly one terminator, at the end, and exactly the three separators of the format.
    assert sequence.count("\x07") == 1 and sequence.endswith("\x07")
    assert sequence.count("\x1b") == 1
    assert sequence.count(";") == 3
    assert len(clean_text("x" * 10_000)) == 200


def test_tmux_wraps_and_doubles_escapes() -> None:
    wrapped = tmux_passthrough("\x1b]9;hi\x07")
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;hi\x07\x1b\\"
    plain = desktop_sequence("osc9", EVENT, env={})
    in_tmux = desktop_sequence("osc9", EVENT, env={"TMUX": "/tmp/tmux-0/default,1,0"})
    assert plain == "\x1b]9;tuimon: BTCUSDT BTCUSDT spread_bps >= 5 (now 5.2)\x07"
    assert in_tmux == tmux_passthrough(plain)
    assert desktop_sequence("osc777", EVENT, env={}).startswith("\x1b]777;notify;tuimon: BTCUSDT;")
    assert desktop_sequence("off", EVENT, env={}) is None


def _script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "hook.py"
    path.write_text(body)
    return [sys.executable, str(path)]


async def test_hook_gets_the_alert_as_json_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "got.json"
    argv = _script(tmp_path, f"import sys; open({str(out)!r}, 'ab').write(sys.stdin.buffer.read())")
    reports: list[str] = []
    runner = HookRunner(argv, 10.0, reports.append)
    runner.submit(EVENT)
    runner.submit(EVENT)
    await runner.idle()
    await runner.close()
    lines = out.read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == [EVENT.as_json()] * 2
    assert reports == [] and runner.ran == 2 and runner.failed == 0


async def test_a_failing_hook_is_reported_in_one_line(tmp_path: Path) -> None:
    argv = _script(tmp_path, "import sys; sys.stderr.write('token expired\\n'); sys.exit(3)")
    reports: list[str] = []
    runner = HookRunner(argv, 10.0, reports.append)
    runner.submit(EVENT)
    await runner.idle()
    await runner.close()
    assert len(reports) == 1
    assert reports[0].endswith("exit status 3: token expired")
    assert "\n" not in reports[0]


async def test_a_missing_command_is_reported() -> None:
    reports: list[str] = []
    runner = HookRunner(["/nonexistent/tuimon-hook"], 1.0, reports.append)
    runner.submit(EVENT)
    await runner.idle()
    await runner.close()
    assert len(reports) == 1 and "cannot start" in reports[0]


async def test_a_hanging_hook_is_killed_at_its_timeout_and_the_loop_stays_free(
    tmp_path: Path,
) -> None:
    # The hook and its child both hang; the whole process group must go.
    argv = _script(
        tmp_path,
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "time.sleep(60)\n",
    )
    reports: list[str] = []
    runner = HookRunner(argv, 0.5, reports.append)
    runner.submit(EVENT)
    loop = asyncio.get_running_loop()
    started = loop.time()
    ticks = 0
    done = asyncio.ensure_future(runner.idle())
    while not done.done():  # the event loop keeps turning while the hook hangs
        ticks += 1
        await asyncio.wait({done}, timeout=0.05)
    await runner.close()
    assert reports == [f"alert hook {argv[0]!r}: killed after 0.5 s"]
    assert loop.time() - started < 5
    assert ticks > 3


async def test_a_full_queue_drops_the_oldest_and_says_so(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    argv = ["/bin/sh", "-c", f"while [ ! -e '{gate}' ]; do sleep 0.01; done"]
    reports: list[str] = []
    runner = HookRunner(argv, 30.0, reports.append, queue_size=5)
    for _ in range(5 + 3):
        runner.submit(EVENT)
    # The first alert may already be running (it left the queue); the queue is full either way.
    assert runner.dropped in (2, 3)
    assert reports[-1] == f"alert hook busy: dropped an alert ({runner.dropped} so far)"
    gate.touch()
    await runner.idle()
    await runner.close()
    assert runner.ran == 5 + 3 - runner.dropped
    assert HOOK_QUEUE >= 5  # the default is larger than what the test needs


@pytest.mark.parametrize("argv", [[], ()])
async def test_no_command_no_task(argv: list[str]) -> None:
    runner = HookRunner(argv, 1.0, lambda _: None)
    runner.submit(EVENT)
    assert runner._task is None
