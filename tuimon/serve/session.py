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
        env = self._build_environment(width=width, height=height)
        self._process = self.process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=PIPE,
            stdout=PIPE,
            stderr=PIPE,
            env=env,
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

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
        try:
            await asyncio.wait_for(self._quit(), QUIT_GRACE_S)
        except (TimeoutError, OSError, RuntimeError) as exc:
            log.info("monitor did not quit in time (%s); terminating it", type(exc).__name__)
        if process is None:
            return
        for sig, grace in ((signal.SIGTERM, TERM_GRACE_S), (signal.SIGKILL, None)):
            if process.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)  # its own session: the group is the monitor's
            if grace is None:
                await process.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), grace)

    async def _quit(self) -> None:
        await self.stop()  # textual-serve's: the quit message, then its output to the end
        if self.process is not None:
            await self.process.wait()
