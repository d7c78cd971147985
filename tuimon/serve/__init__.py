"""``tuimon serve``: the monitor in a browser, through textual-serve.

Each browser tab that opens the page gets its own monitor process, the same command line as
``tuimon`` in a terminal (``python -m tuimon --demo ...``), drawn by textual-serve's xterm.js
front end over one WebSocket. Runs until SIGINT or SIGTERM, then stops every monitor and
exits 0. Textual itself is only imported by those monitor processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from typing import TextIO

from tuimon.serve.server import MonitorServer, ServeRequest

__all__ = ["ServeRequest", "run_serve"]


def run_serve(request: ServeRequest, *, out: TextIO | None = None) -> int:
    """Serve until a signal; the exit status (0, or 1 if the address cannot be bound)."""
    return asyncio.run(_serve(request, out or sys.stdout))


async def _serve(request: ServeRequest, out: TextIO) -> int:
    server = MonitorServer(request)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    try:
        url = await server.start()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(
            f"tuimon serve: cannot listen on {request.host} port {request.port}: {reason}",
            file=sys.stderr,
        )
        return 1
    print(
        f"tuimon serve: open {url} (each browser tab runs its own monitor; Ctrl-C stops)",
        file=out,
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await server.close()
    print("tuimon serve: stopped", file=out, flush=True)
    return 0
