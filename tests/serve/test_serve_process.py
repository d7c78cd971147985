"""A real ``tuimon serve --demo``: a WebSocket session runs a monitor process, SIGTERM or
SIGINT stops the server and that process (exit 0, no orphan), and requests from another
origin or for another host name are refused. No browser here (see test_browser.py)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from serve_helpers import alive, serving
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

FIRST_FRAME_S = 30.0


def _first_bytes(ws) -> bytes:
    """The monitor's first screen bytes (its start-up messages are text)."""
    while True:
        message = ws.recv(timeout=FIRST_FRAME_S)
        if isinstance(message, bytes) and len(message) > 100:
            return message


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_and_every_monitor(sig) -> None:
    with serving("--demo") as served, connect(served.ws_url, origin=served.origin) as ws:
        assert _first_bytes(ws)
        children = served.children()
        assert len(children) == 1 and alive(children[0])
        code, out, err = served.stop(sig)
        assert code == 0, err
        assert "tuimon serve: stopped" in out and "Traceback" not in out + err
        assert not alive(children[0]), "the monitor outlived the server"


def test_a_session_ends_its_monitor_when_the_browser_goes(tmp_path) -> None:
    with serving("--demo") as served:
        with connect(served.ws_url, origin=served.origin) as ws:
            _first_bytes(ws)
            (child,) = served.children()
        # The server notices the closed socket, quits the monitor and reaps it; then it has
        # no child left (a second session starts a new one).
        with connect(served.ws_url, origin=served.origin) as ws:
            _first_bytes(ws)
            assert not alive(child)
            assert child not in served.children()
        code, _, err = served.stop()
        assert code == 0, err


def test_malformed_browser_messages_are_ignored() -> None:
    with serving("--demo") as served, connect(served.ws_url, origin=served.origin) as ws:
        _first_bytes(ws)
        for junk in (
            "",
            "{",
            "[]",
            "{}",
            "[1]",
            '["stdin", 5]',
            '["resize", {"width": 1e9}]',
            '["resize", "x"]',
            '["ping", [1]]',
            '["stdin", "\\ud800"]',
            "null",
        ):
            ws.send(junk)
        ws.send(json.dumps(["ping", "42"]))
        while (reply := ws.recv(timeout=FIRST_FRAME_S)) != '["pong", "42"]':
            assert isinstance(reply, bytes), reply  # screen updates until the pong
        code, out, err = served.stop()
        assert code == 0 and "Traceback" not in out + err, out + err


def test_another_origin_or_host_name_is_refused() -> None:
    with serving("--demo") as served:
        with pytest.raises(InvalidStatus) as info:
            connect(served.ws_url, origin="https://evil.example").close()
        assert info.value.response.status_code == 403
        with pytest.raises(InvalidStatus):
            connect(served.ws_url).close()  # no Origin: not the page's browser
        # DNS rebinding: a page whose own name now points at 127.0.0.1.
        request = urllib.request.Request(served.url, headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
        with urllib.request.urlopen(served.url, timeout=10) as page:
            html = page.read().decode()
        assert f'data-session-websocket-url="{served.ws_url}"' in html
        assert "googleapis" not in html and "https://" not in html  # nothing third-party
        assert served.children() == []
        assert served.stop()[0] == 0


def test_a_port_in_use_is_one_line_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tuimon", "serve", "--demo", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and f"port {port}" in result.stderr
    assert result.stderr.startswith("tuimon serve: cannot listen on 127.0.0.1")
