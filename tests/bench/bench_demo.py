"""Benchmark the monitor the way a user runs it: in a real pseudo-terminal, over the simulator.

Not collected by pytest (``norecursedirs``). Run::

    .venv/bin/python tests/bench/bench_demo.py            # both modes, 120x40, 20 s window
    .venv/bin/python tests/bench/bench_demo.py --seconds 60 --size 160x48

Two modes:

* ``demo``: ``tuimon --demo`` (simulator inside the same process: CPU includes the simulator).
* ``ui``: the simulator in its own process (``tuimon sim``), ``tuimon`` pointed at it with the URL
  overrides: the CPU figure is the monitor alone.

Figures: time to first output and to the first live frame (the ladder says ``● live``, which
needs exchangeInfo, tickers, a synced book and a connected stream), CPU % of one core and
terminal bytes/s over a steady-state window, time for a symbol switch to show on screen, and
the exit status and time after ``q``.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TUIMON = [str(ROOT / ".venv" / "bin" / "tuimon")]
LIVE = "● live".encode()
RESYNC = "⟳ RESYNCING".encode()
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    """Output captured from one run."""

    proc: subprocess.Popen[bytes]
    master: int
    t0: float
    chunks: list[tuple[float, int]] = field(default_factory=list)
    output: bytearray = field(default_factory=bytearray)

    def pump(self, timeout: float) -> None:
        """Read whatever the terminal got within ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                break
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            self.chunks.append((time.monotonic(), len(data)))
            self.output += data

    def wait_for(self, needle: bytes, timeout: float, since: int = 0) -> float | None:
        """Seconds until ``needle`` is in the output after byte ``since`` (None on timeout)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.output.find(needle, since) >= 0:
                return time.monotonic() - start
            if self.proc.poll() is not None:
                return None
            self.pump(0.02)
        return None

    def time_of(self, offset: int) -> float:
        """Monotonic time at which output byte ``offset`` arrived."""
        total = 0
        for at, size in self.chunks:
            total += size
            if total > offset:
                return at
        return time.monotonic()

    def bytes_between(self, a: float, b: float) -> int:
        """Terminal bytes written between two monotonic times."""
        return sum(n for t, n in self.chunks if a <= t < b)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def start(cmd: list[str], size: tuple[int, int], env: dict[str, str]) -> Run:
    """Start ``cmd`` on a new pty of ``size`` (columns, rows)."""
    master, slave = pty.openpty()
    cols, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    return Run(proc=proc, master=master, t0=t0)


def measure(mode: str, seconds: float, size: tuple[int, int], fps: float) -> dict[str, object]:
    """One full run: launch, first live frame, steady window, symbol switch, quit."""
    tmp_dir = tempfile.TemporaryDirectory(prefix="tuimon-bench-")
    tmp = tmp_dir.name
    env = dict(os.environ)
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        TUIMON_CONFIG=str(Path(tmp) / "config.toml"),
        LANG="C.UTF-8",
    )
    env.pop("NO_COLOR", None)
    sim: subprocess.Popen[str] | None = None
    cmd = [*TUIMON, "--fps", str(fps)]
    if mode == "demo":
        cmd.append("--demo")
    else:
        sim = subprocess.Popen(
            [*TUIMON, "sim", "--markets", "spot"], stdout=subprocess.PIPE, text=True, env=env
        )
        assert sim.stdout is not None
        urls = json.loads(sim.stdout.readline())
        cmd += [
            "--rest-url",
            urls["rest_url"],
            "--stream-url",
            urls["stream_url"],
            "--ws-api-url",
            urls["ws_api_url"],
        ]
    run = start(cmd, size, env)
    result: dict[str, object] = {"mode": mode, "size": f"{size[0]}x{size[1]}", "fps": fps}
    try:
        first = run.wait_for(b"\x1b", 15)
        result["first_output_s"] = round(first, 3) if first is not None else None
        live = run.wait_for(LIVE, 30)  # searched from the very first byte
        result["first_live_frame_s"] = (
            round(run.time_of(run.output.find(LIVE)) - run.t0, 3) if live is not None else None
        )
        run.pump(max(0.0, 5.0 - (time.monotonic() - run.t0)))  # warm-up to t0 + 5 s
        cpu0, w0 = cpu_seconds(run.proc.pid), time.monotonic()
        run.pump(seconds)
        cpu1, w1 = cpu_seconds(run.proc.pid), time.monotonic()
        result["window_s"] = round(w1 - w0, 1)
        result["cpu_pct_one_core"] = round(100 * (cpu1 - cpu0) / (w1 - w0), 1)
        result["terminal_bytes_per_s"] = round(run.bytes_between(w0, w1) / (w1 - w0))
        # Symbol switch: the ladder must say RESYNCING (not show the old book) at once,
        # then live again once the new snapshot is in.
        sent, mark = time.monotonic(), len(run.output)
        os.write(run.master, b"j")
        marked = run.wait_for(RESYNC, 5, since=mark)
        at = run.output.find(RESYNC, mark)
        relive = run.wait_for(LIVE, 10, since=max(at, mark))
        back = run.output.find(LIVE, max(at, mark))
        result["switch_marked_s"] = round(run.time_of(at) - sent, 3) if marked is not None else None
        result["switch_live_s"] = round(run.time_of(back) - sent, 3) if relive is not None else None
        run.pump(1.0)
        quit_at = time.monotonic()
        os.write(run.master, b"q")
        deadline = quit_at + 10
        while run.proc.poll() is None and time.monotonic() < deadline:
            run.pump(0.05)
        result["exit_status"] = run.proc.poll()
        result["exit_s"] = round(time.monotonic() - quit_at, 3)
        result["traceback"] = b"Traceback" in run.output
    finally:
        if run.proc.poll() is None:
            os.killpg(run.proc.pid, signal.SIGKILL)
        os.close(run.master)
        if sim is not None:
            sim.send_signal(signal.SIGINT)
            try:
                sim.wait(5)
            except subprocess.TimeoutExpired:
                sim.kill()
        tmp_dir.cleanup()
    return result


def main() -> int:
    """Run the requested modes and print one JSON object per run, then a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="steady-state window")
    parser.add_argument("--size", default="120x40", help="terminal COLSxROWS")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--modes", default="demo,ui")
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))
    results = []
    for mode in args.modes.split(","):
        result = measure(mode, args.seconds, (cols, rows), args.fps)
        print(json.dumps(result), flush=True)  # noqa: T201
        results.append(result)
    print()  # noqa: T201
    keys = [
        "mode",
        "size",
        "fps",
        "first_live_frame_s",
        "cpu_pct_one_core",
        "terminal_bytes_per_s",
        "switch_marked_s",
        "switch_live_s",
        "exit_status",
        "exit_s",
    ]
    print(" | ".join(keys))  # noqa: T201
    for result in results:
        print(" | ".join(str(result.get(k)) for k in keys))  # noqa: T201
    return 0 if all(r.get("exit_status") == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
