"""An alert reaches the real terminal: OSC 9 (and tmux's passthrough) in the bytes of
``tuimon --demo`` on a pty (the bell and the toast are checked with Pilot)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pty_helpers import LIVE, PtyRun, config_env

CONFIG = """\
[[alerts]]
rule = "BTCUSDT price > 1"

[notify]
desktop = "osc9"
"""


@pytest.mark.parametrize(
    ("tmux", "expected"),
    [
        (False, b"\x1b]9;tuimon: BTCUSDT BTCUSDT price > 1 (now "),
        (True, b"\x1bPtmux;\x1b\x1b]9;tuimon: BTCUSDT BTCUSDT price > 1 (now "),
    ],
)
def test_an_alert_writes_its_notification_to_the_terminal(
    tmp_path: Path, tmux: bool, expected: bytes
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    env = config_env(config)
    if tmux:
        env["TMUX"] = "/tmp/tmux-0/default,1,0"
    run = PtyRun(["--demo", "BTCUSDT", "ETHUSDT"], env, size=(100, 30))
    try:
        run.wait_for(LIVE)
        run.wait_for(expected)
        start = run.output.index(expected)
        end = run.output.index(b"\x07", start)  # the OSC's own terminator
        body = run.output[start:end]
        assert b"\n" not in body and body.count(b"\x1b]") == 1
        if tmux:
            assert run.output[end + 1 : end + 3] == b"\x1b\\"  # the passthrough's ST
        run.press("q")
        assert run.wait_exit() == 0
    finally:
        run.close()
    assert config.read_text() == CONFIG  # --demo never writes the config
