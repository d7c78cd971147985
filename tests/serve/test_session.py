"""A session's process is always stopped and reaped: a monitor that ignores ``quit`` and
SIGTERM is killed, and a stop that comes while the process is starting still stops it."""

from __future__ import annotations

import asyncio
import sys

import pytest
from textual_serve.download_manager import DownloadManager

from tuimon.serve import session as session_module
from tuimon.serve.session import MonitorSession, bounded_cells

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups")

STUBBORN = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('__GANGLION__', flush=True)\n"
    "time.sleep(600)\n"
)


def _session(code: str) -> MonitorSession:
    async def _ignore(*_: object) -> None:
        return None

    return MonitorSession(
        [sys.executable, "-c", code],
        write_bytes=_ignore,
        write_str=_ignore,
        close=_ignore,
        download_manager=DownloadManager(),
    )


async def test_a_monitor_that_ignores_quit_and_sigterm_is_killed(monkeypatch) -> None:
    monkeypatch.setattr(session_module, "QUIT_GRACE_S", 0.2)
    monkeypatch.setattr(session_module, "TERM_GRACE_S", 0.2)
    session = _session(STUBBORN)
    await session.start(80, 24)
    process = session.process
    assert process is not None and process.returncode is None
    await asyncio.wait_for(session.close(), 10)
    assert process.returncode == -9  # SIGKILL, after quit and SIGTERM were ignored
    await session.close()  # a second close is a no-op


async def test_a_stop_while_the_process_starts_still_stops_it() -> None:
    session = _session(STUBBORN)
    starting = asyncio.ensure_future(session.start(80, 24))
    await asyncio.sleep(0)  # start() is inside create_subprocess_exec now
    await session.close()
    with pytest.raises(ConnectionAbortedError):
        await starting
    assert session.process is None  # never handed over: terminated and reaped in start()


async def test_no_process_starts_after_a_stop() -> None:
    session = _session(STUBBORN)
    await session.close()
    with pytest.raises(ConnectionAbortedError):
        await session.start(80, 24)
    assert session.process is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(120, 120), ("48", 48), (0, 80), (-3, 80), (10**9, 80), ("1e3", 80), (True, 80), (None, 80)],
)
def test_terminal_sizes_from_the_browser_are_bounded(value, expected) -> None:
    assert bounded_cells(value, 80) == expected


async def test_a_monitor_that_exits_at_once_ends_the_browser_session() -> None:
    """The page says "Session ended" (its socket closes) instead of staying blank."""
    from websockets.asyncio.client import connect

    from tuimon.serve.server import MonitorServer, ServeRequest

    argv = (sys.executable, "-c", "import sys; print('no such symbol', file=sys.stderr); exit(2)")
    server = MonitorServer(ServeRequest(host="127.0.0.1", port=0, monitor_argv=argv))
    url = await server.start()
    try:
        origin = url.rstrip("/")
        async with connect(origin.replace("http", "ws") + "/ws", origin=origin) as ws:
            (session,) = server.sessions
            async with asyncio.timeout(20):
                async for _ in ws:  # ends when the server closes the socket
                    pass
        await asyncio.wait_for(session.close(), 20)  # the handler's own close, shared
        assert session.process is not None and session.process.returncode == 2
    finally:
        await server.close()
