"""Benchmark the monitor the way a user runs it: in a real pseudo-terminal, over the simulator.

Run by ``tuimon bench`` and by::

    .venv/bin/python tests/bench/bench_demo.py            # both modes, 120x40, 20 s window
    .venv/bin/python tests/bench/bench_demo.py --seconds 60 --size 160x48

The monitor runs as ``sys.executable -m tuimon``: the same install as the benchmark, wherever
it is (a venv, a wheel, a checkout).

Two modes:

* ``demo``: ``tuimon --demo`` (simulator inside the same process: CPU includes the simulator).
* ``ui``: the simulator in its own process (``tuimon sim``), ``tuimon`` pointed at it with the URL
  overrides: the CPU figure is the monitor alone.

Figures: time to first output and to the first live frame (the ladder says ``● live``, which
needs exchangeInfo, tickers, a synced book and a connected stream), CPU % of one core and
terminal bytes/s over a steady-state window after a warm-up (8 s by default, from the start),
time for a symbol switch to show on screen, and the exit status and time after ``q``.
Linux only: CPU time is read from ``/proc/PID/stat``.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

TUIMON = [sys.executable, "-m", "tuimon"]
LIVE = "● live".encode()
RESYNC = "⟳ RESYNCING".encode()
WARMUP = 8.0
"""Seconds from the start before the steady-state window opens (issue 15's method)."""


class TerminalBenchError(Exception):
    """The terminal benchmark cannot run here (one line: no pty, no /proc, no simulator)."""


def check_platform() -> None:
    """Raise :class:`TerminalBenchError` unless a pty and ``/proc`` CPU times are available."""
    try:
        import fcntl  # noqa: F401
        import pty
        import termios  # noqa: F401
    except ImportError:
        raise TerminalBenchError("needs a POSIX pseudo-terminal (pty): none here") from None
    if not Path(f"/proc/{os.getpid()}/stat").exists():
        raise TerminalBenchError("needs /proc/PID/stat for CPU times (Linux)")
    try:
        master, slave = pty.openpty()
    except OSError as exc:
        raise TerminalBenchError(f"cannot open a pseudo-terminal: {exc.strerror or exc}") from None
    os.close(master)
    os.close(slave)


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


def _last_words(run: Run) -> str:
    """What the run printed last, escapes removed (for a one-line error)."""
    status = run.proc.poll()
    text = re.sub(rb"\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b[@-_]", b"", bytes(run.output[-2000:]))
    lines = [ln.strip() for ln in text.decode("utf-8", "replace").splitlines() if ln.strip()]
    said = lines[-1][:120] if lines else "no output"
    return f"exit status {status}: {said}" if status is not None else f"still running: {said}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(cmd: list[str], size: tuple[int, int], env: dict[str, str]) -> Run:
    """Start ``cmd`` on a new pty of ``size`` (columns, rows)."""
    import fcntl
    import pty
    import termios

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


def measure(
    mode: str, seconds: float, size: tuple[int, int], fps: float, warmup: float = 5.0
) -> dict[str, object]:
    """One full run: launch, first live frame, steady window, symbol switch, quit.

    ``warmup`` defaults to the 5 s this function always used (``bench_serve.py``'s terminal
    row matches its browser row with it); ``tuimon bench`` and ``bench_demo.py`` pass
    :data:`WARMUP`, the issue's 8 s.
    """
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
        line = sim.stdout.readline()
        try:
            urls = json.loads(line)
        except ValueError:
            sim.kill()
            sim.wait()
            tmp_dir.cleanup()
            raise TerminalBenchError(
                f"the simulator did not start (it printed {line.strip()[:80]!r})"
            ) from None
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
    result["warmup_s"] = warmup
    try:
        first = run.wait_for(b"\x1b", 15)
        result["first_output_s"] = round(first, 3) if first is not None else None
        live = run.wait_for(LIVE, 30)  # searched from the very first byte
        if live is None:
            raise TerminalBenchError(
                f"tuimon --{'demo' if mode == 'demo' else 'stream-url …'} never showed a live "
                f"book within 30 s ({_last_words(run)})"
            )
        result["first_live_frame_s"] = (
            round(run.time_of(run.output.find(LIVE)) - run.t0, 3) if live is not None else None
        )
        run.pump(max(0.0, warmup - (time.monotonic() - run.t0)))  # warm-up to t0 + warmup
        try:
            cpu0, w0 = cpu_seconds(run.proc.pid), time.monotonic()
            run.pump(seconds)
            cpu1, w1 = cpu_seconds(run.proc.pid), time.monotonic()
        except OSError:  # /proc/PID is gone: the monitor died under measurement
            stopped = f"tuimon stopped during the run ({_last_words(run)})"
            raise TerminalBenchError(stopped) from None
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


KEYS = [
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
"""The columns ``tests/bench/bench_demo.py`` prints."""


def report_lines(results: list[dict[str, object]]) -> list[str]:
    """The " | "-separated table ``tests/bench/bench_demo.py`` always printed."""
    lines = [" | ".join(KEYS)]
    for result in results:
        lines.append(" | ".join(str(result.get(k)) for k in KEYS))
    return lines
