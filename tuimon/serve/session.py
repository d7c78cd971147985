"""One browser session: a monitor process driven by textual-serve's ``AppService`` protocol.

textual-serve starts its command through a shell (``create_subprocess_shell``). Here the
process is started from an argument vector instead (no shell ever parses user input), in its
own session, so that Ctrl-C in the terminal that runs ``tuimon serve`` reaches the server
alone and the server stops each monitor itself: a ``quit`` message first (the monitor closes
its sockets and exits as if ``q`` was pressed), then SIGTERM and SIGKILL to its process group
if it does not end in time. The process is always waited for: no orphan, no zombie.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from asyncio.subprocess import PIPE, Process
from collections.abc import Sequence

from textual_serve.app_service import AppService

log = logging.getLogger("tuimon.serve")

QUIT_GRACE_S = 5.0
"""Seconds a monitor has to exit after ``quit`` before it is sent SIGTERM."""
TERM_GRACE_S = 3.0
"""Seconds after SIGTERM before SIGKILL."""

MAX_CELLS = 1000
"""Largest terminal width or height a browser may ask for (a 4K screen at font size 6)."""


def bounded_cells(value: object, default: int) -> int:
    """A terminal width or height from the browser: a small positive int, else ``default``."""
    if isinstance(value, bool):
        return default
    if isinstance(value, str):
        try:
            value = int(value, 10)
        except ValueError:
            return default
    if isinstance(value, int) and 1 <= value <= MAX_CELLS:
        return value
    return default


class MonitorSession(AppService):
    """textual-serve's app service, started from ``argv`` without a shell."""

    def __init__(self, argv: Sequence[str], **kwargs: object) -> None:
        super().__init__(" ".join(argv), **kwargs)  # type: ignore[arg-type]  # name in logs only
        self.argv = tuple(argv)
        self.process: Process | None = None
        self._closed: asyncio.Future[None] | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        # Overrides textual-serve's shell start; the environment (its WebDriver, the size) is
        # textual-serve's own.
        if self._closed is not None:
            raise ConnectionAbortedError("the server is stopping")
        env = self._build_environment(width=width, height=height)
        process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=PIPE,
            stdout=PIPE,
            stderr=PIPE,
            env=env,
            start_new_session=True,
        )
        if self._closed is not None:  # close() ran while it started: it had nothing to stop
            await _terminate(process)
            raise ConnectionAbortedError("the server is stopping")
        self._process = self.process = process
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """textual-serve's reader, then the browser's socket is closed: a monitor that ended
        (``q``, or an error before its first frame) ends the page's session too, instead of
        leaving a blank page connected to nothing."""
        try:
            await super().run()
        finally:
            with contextlib.suppress(Exception):
                await self.remote_close()

    async def close(self) -> None:
        """Stop the monitor: ``quit``, then SIGTERM, then SIGKILL; returns once it is reaped.

        The server's shutdown and the session's own end may both call this: one stop runs,
        and it runs to the end even if a caller is cancelled.
        """
        if self._closed is None:
            self._closed = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closed)

    async def _close(self) -> None:
        process = self.process
        if process is None:  # never started (or still starting: see _open_app_process)
            return
        # Not textual-serve's stop(): it waits without a bound, and its reader swallows the
        # cancellation a timeout would send it.
        await self.send_meta({"type": "quit"})  # False once the monitor has gone: fine
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), QUIT_GRACE_S)
        if process.returncode is None:
            log.info("monitor did not quit within %.0f s; terminating it", QUIT_GRACE_S)
        await _terminate(process)
        reader, self._task = self._task, None
        if reader is not None:  # its output to the end (EOF now that the process is gone)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), TERM_GRACE_S)
            if not reader.done():
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)


async def _terminate(process: Process) -> None:
    """SIGTERM to the process group, SIGKILL after a grace; returns once it is reaped."""
    for sig, grace in ((signal.SIGTERM, TERM_GRACE_S), (signal.SIGKILL, None)):
        if process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)  # its own session: the group is the monitor's
        if grace is None:
            await process.wait()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), grace)
