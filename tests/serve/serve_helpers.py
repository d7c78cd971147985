"""A real ``tuimon serve`` process for the tests: started on a free port, its URL read from
its first line, stopped with a signal. No sleeps: waits are select() on its output or on
process exit, with deadlines only for failing."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

START_S = 30.0
"""Deadline for the URL line (2 shared cores, a cold import)."""
STOP_S = 20.0
"""Deadline for a clean stop: the monitors' quit, then the server."""

URL_LINE = re.compile(rb"open (http://\S+/) ")


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    url: str

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")

    @property
    def ws_url(self) -> str:
        return "ws://" + self.url.removeprefix("http://") + "ws"

    def children(self) -> list[int]:
        """The server's child processes (each a browser session's monitor)."""
        pids: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            text = (task / "children").read_text()
            pids += [int(p) for p in text.split()]
        return pids

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Send ``sig``; the exit status and the rest of stdout and stderr."""
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=STOP_S)
        return self.proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def read_line(proc: subprocess.Popen[bytes], deadline: float) -> bytes:
    """One line of ``proc``'s stdout, waiting with select() until ``deadline``."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, left))
        if not ready:
            raise AssertionError(f"no line from tuimon serve in time (so far: {line!r})")
        chunk = os.read(fd, 1)
        if not chunk:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise AssertionError(f"tuimon serve ended: {line!r} {err}")
        line += chunk
    return line


@contextmanager
def serving(*args: str) -> Iterator[Served]:
    """``tuimon serve --port 0 ARGS`` until the block ends (then SIGKILL if still running)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimon", "serve", "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        match = URL_LINE.search(read_line(proc, time.monotonic() + START_S))
        assert match, "tuimon serve printed no URL"
        yield Served(proc, match.group(1).decode())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def alive(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
