"""The page ``tuimon serve`` sends: its WebSocket URL is the host the browser used (so
``--allow-remote`` on 0.0.0.0 works from another machine), it loads nothing from elsewhere, it
cannot be framed, and a loopback server answers loopback names only. In-process, no monitor."""

from __future__ import annotations

import sys

import aiohttp
import pytest

from tuimon.serve.page import render_page
from tuimon.serve.server import MonitorServer, ServeRequest

NEVER = (sys.executable, "-c", "raise SystemExit(9)")  # no test here opens a session


async def _get(url: str, host: str, path: str = "/") -> tuple[int, str, dict[str, str]]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(url.rstrip("/") + path, headers={"Host": host}) as response,
    ):
        return response.status, await response.text(), dict(response.headers)


@pytest.mark.parametrize(
    ("bind", "host_header", "websocket_url"),
    [
        ("127.0.0.1", "127.0.0.1:{port}", "ws://127.0.0.1:{port}/ws"),
        ("127.0.0.1", "localhost:{port}", "ws://localhost:{port}/ws"),
        ("0.0.0.0", "192.0.2.7:{port}", "ws://192.0.2.7:{port}/ws"),
        ("0.0.0.0", "monitor.example:{port}", "ws://monitor.example:{port}/ws"),
    ],
)
async def test_the_page_points_at_the_host_the_browser_used(
    bind, host_header, websocket_url
) -> None:
    server = MonitorServer(ServeRequest(host=bind, port=0, monitor_argv=NEVER))
    url = await server.start()
    port = url.rsplit(":", 1)[1].rstrip("/")
    try:
        status, html, headers = await _get(
            url.replace(bind, "127.0.0.1"), host_header.format(port=port)
        )
    finally:
        await server.close()
    assert status == 200
    assert f'data-session-websocket-url="{websocket_url.format(port=port)}"' in html
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
    assert "https://" not in html and "http://" not in html  # nothing from another host


async def test_a_loopback_server_refuses_other_host_names() -> None:
    server = MonitorServer(ServeRequest(host="127.0.0.1", port=0, monitor_argv=NEVER))
    url = await server.start()
    try:
        for path in ("/", "/ws"):
            status, text, _ = await _get(url, "attacker.example", path)
            assert status == 403 and "loopback" in text
        status, _, _ = await _get(url, "127.0.0.1", "/static/js/textual.js")
        assert status == 200  # the front end itself is textual-serve's
    finally:
        await server.close()
    assert not server.sessions


def test_values_in_the_page_are_escaped() -> None:
    html = render_page(title="<b>", websocket_url='ws://x/"><script>', size=16)
    assert "<b>" not in html and "<script>" not in html
    assert "&lt;b&gt;" in html and "&quot;&gt;&lt;script&gt;" in html
