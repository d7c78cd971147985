"""Run the real ``tuimon`` in a pseudo-terminal: what a person at a terminal sees and types.

Waits read the terminal's output until a marker appears (with a deadline), never fixed sleeps.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

LIVE = "● live".encode()


class PtyRun:
    """One ``python -m tuimon ...`` on its own pty."""

    def __init__(self, args: list[str], env: dict[str, str], size: tuple[int, int] = (120, 40)):
        master, slave = pty.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tuimon", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()

    def _pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            self.output += data

    def wait_for(self, needle: bytes, timeout: float = 30.0) -> None:
        """Until ``needle`` has been written to the terminal; fails on timeout or exit."""
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            assert self.proc.poll() is None, f"tuimon exited ({self.proc.returncode}) first"
            assert time.monotonic() < deadline, f"{needle!r} not on screen in {timeout} s"
            self._pump(0.05)

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_exit(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            assert time.monotonic() < deadline, "tuimon did not exit"
            self._pump(0.05)
        self._pump(0)
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def config_env(path: Path) -> dict[str, str]:
    return {"TUIMON_CONFIG": str(path), "NO_COLOR": "1"}
