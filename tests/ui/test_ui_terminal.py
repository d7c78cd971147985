"""The real output: the app on a pty with Textual's own Linux driver, its bytes fed to a
terminal emulator (pyte), at 120x40, after a resize to 80x24 and back.

The pilot tests check what Textual composes; this checks what a terminal makes of the bytes
the driver writes: a row that wraps at the last column, a glyph whose width the terminal and
Rich disagree on, or cells a resize leaves behind all make the emulator's screen differ from
the composed one. And no eighth-block glyph may sit outside the sparkline's chart (issue 12
§6). No sleeps: every wait is a select() on the pty or the child's report pipe, with a
deadline only for failing.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyte
import pytest

CHILD = Path(__file__).with_name("pty_child.py")
BLOCKS = frozenset("▁▂▃▄▅▆▇█")
WAIT_S = 30.0
"""Only a deadline for failing (2 shared cores, a cold start): a pass returns at once."""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")


class Terminal:
    """A pty whose far end runs ``pty_child.py``; what the child writes goes to pyte."""

    def __init__(self, cols: int, rows: int) -> None:
        self.master, slave = pty.openpty()
        self._set_size(cols, rows)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        read_end, write_end = os.pipe()
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env.update(TERM="xterm-256color", COLORTERM="truecolor")
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(write_end)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            pass_fds=(write_end,),
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        os.close(write_end)
        self.reports = read_end
        self._pending = b""

    def _set_size(self, cols: int, rows: int) -> None:
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def resize(self, cols: int, rows: int) -> None:
        """What a terminal does on a window resize: new size, then SIGWINCH."""
        self._set_size(cols, rows)
        self.screen.resize(rows, cols)
        # The child has no controlling terminal (its own session), so the kernel does not
        # signal it: do it as the terminal's kernel would.
        os.kill(self.proc.pid, signal.SIGWINCH)

    def _pump(self, deadline: float) -> bytes:
        """Feed whatever the pty has to the emulator; return report bytes, if any."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([self.master, self.reports], [], [], left)
        got = b""
        if self.master in ready:
            try:
                self.stream.feed(os.read(self.master, 1 << 16))
            except OSError:  # the child closed the pty (exited): nothing more will come
                raise TimeoutError from None
        if self.reports in ready:
            got = os.read(self.reports, 1 << 16)
            if not got:
                raise TimeoutError  # the child exited
        return got

    def next_report(self) -> dict:
        """The child's next 'this is what the screen should show' (size, lines, chart)."""
        deadline = time.monotonic() + WAIT_S
        while b"\n" not in self._pending:
            try:
                self._pending += self._pump(deadline)
            except TimeoutError:
                pytest.fail(f"no report from the app (exit status {self.proc.poll()})")
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)

    def wait_screen(self, lines: list[str]) -> list[str]:
        """Read until the emulator shows ``lines``; fail with both screens at the deadline."""
        want = [line.rstrip() for line in lines]
        deadline = time.monotonic() + WAIT_S
        while True:
            shown = [line.rstrip() for line in self.screen.display]
            if shown == want:
                return shown
            try:
                self._pending += self._pump(deadline)
            except TimeoutError:
                diff = [
                    f"row {y + 1}:\n  composed {a!r}\n  terminal {b!r}"
                    for y, (a, b) in enumerate(zip(want, shown, strict=False))
                    if a != b
                ]
                pytest.fail("terminal differs from the composed screen\n" + "\n".join(diff))

    def close(self) -> None:
        """Quit with the app's own key; keep reading (a full pty would block its exit)."""
        if self.proc.poll() is None:
            os.write(self.master, b"q")
            deadline = time.monotonic() + WAIT_S
            try:
                while self.proc.poll() is None:
                    self._pump(deadline)
            except TimeoutError:
                pass
            try:
                self.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.close(self.master)
        os.close(self.reports)


def stray_blocks(shown: list[str], chart: list[int]) -> list[str]:
    """Block glyphs outside the chart's region (x, y, width, height), as 'glyph at col,row'."""
    x0, y0, width, height = chart
    stray = []
    for y, line in enumerate(shown):
        for x, char in enumerate(line):
            inside = x0 <= x < x0 + width and y0 <= y < y0 + height
            if char in BLOCKS and not inside:
                stray.append(f"{char} at column {x + 1}, row {y + 1}")
    return stray


def test_real_terminal_output_matches_and_has_no_stray_glyph() -> None:
    term = Terminal(120, 40)
    try:
        for size in ((120, 40), (80, 24), (120, 40)):
            if size != (term.screen.columns, term.screen.lines):
                term.resize(*size)
            report = term.next_report()
            assert tuple(report["size"]) == size
            shown = term.wait_screen(report["lines"])
            assert stray_blocks(shown, report["chart"]) == [], size
            assert shown[0].startswith(" Symbol 13/20 " if size == (120, 40) else " Symbol 9/20 ")
    finally:
        term.close()
    assert term.proc.returncode == 0
