"""[[alerts]] and [notify] in the config: strict reading, and edits that keep the person's text."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tuimon.config import AlertPrefs, NotifyPrefs, read_config, update_alerts

ALERTS = """\
# my alerts
[[alerts]]
rule = "BTCUSDT spread_bps >= 5"   # wide spread

[[alerts]]
# the big one
rule = "ethusdt price crosses 3000"
cooldown = 300

[spot]
watchlist = ["BTCUSDT"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_alerts_are_read_in_canonical_form(tmp_path) -> None:
    loaded = read_config(_write(tmp_path, ALERTS))
    assert loaded.savable and not loaded.warnings
    assert loaded.config.alerts == (
        AlertPrefs("BTCUSDT spread_bps >= 5"),
        AlertPrefs("ETHUSDT price crosses 3000", cooldown=300.0),
    )


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        (
            '[[alerts]]\nrule = "BTCUSDT moon >> 3"\n',
            "bad alert 'BTCUSDT moon >> 3': unknown metric 'moon'",
            2,
        ),
        ("[[alerts]]\nenabled = true\n", "[[alerts]] needs rule", 1),
        ('[[alerts]]\nrule = "BTCUSDT price > 1"\nenabled = "yes"\n', "alerts.enabled", 3),
        ('[[alerts]]\nrule = "BTCUSDT price > 1"\ncooldown = -5\n', "alerts.cooldown", 3),
        (
            '[[alerts]]\nrule = "A1 price > 1"\n[[alerts]]\nrule = "A1 price > nan"\n',
            "bad value",
            4,
        ),
        ('alerts = "BTCUSDT price > 1"\n', "must be [[alerts]] tables", 1),
        ('[notify]\ncommand = "notify-send tuimon"\n', "argv list", 2),
        ('[notify]\ndesktop = "growl"\n', "osc9, osc777, off", 2),
        ("[notify]\ncommand_timeout = 0\n", "command_timeout", 2),
        ("[notify]\nbell = 1\n", "notify.bell", 2),
    ],
)
def test_bad_alerts_and_notify_are_errors_with_a_line(tmp_path, text, fragment, line) -> None:
    path = _write(tmp_path, text)
    loaded = read_config(path)
    assert not loaded.savable
    assert any(fragment in e and f"{path}:{line}:" in e for e in loaded.errors), loaded.errors


def test_notify_defaults_and_values(tmp_path) -> None:
    assert read_config(_write(tmp_path, "")).config.notify == NotifyPrefs()
    text = '[notify]\nbell = false\ndesktop = "osc777"\ncommand = ["logger", "-t", "tuimon"]\n'
    notify = read_config(_write(tmp_path, text)).config.notify
    assert notify == NotifyPrefs(
        bell=False, desktop="osc777", command=("logger", "-t", "tuimon"), command_timeout=5.0
    )


def test_duplicate_alerts_are_a_warning(tmp_path) -> None:
    text = '[[alerts]]\nrule = "A1 price > 1"\n[[alerts]]\nrule = "a1  price >  1"\n'
    loaded = read_config(_write(tmp_path, text))
    assert loaded.savable and len(loaded.config.alerts) == 1
    assert "listed twice" in loaded.warnings[0]


def test_update_alerts_keeps_comments_and_order(tmp_path) -> None:
    path = _write(tmp_path, ALERTS)
    update_alerts(
        path,
        [
            AlertPrefs("BTCUSDT spread_bps >= 5", enabled=False),
            AlertPrefs("ETHUSDT price crosses 3000", cooldown=300.0),
            AlertPrefs("SOLUSDT move_pct_5m > 2", cooldown=30.0),
        ],
    )
    text = path.read_text()
    assert text.startswith(
        '# my alerts\n[[alerts]]\nrule = "BTCUSDT spread_bps >= 5"   # wide spread\n'
        "enabled = false\n"
    )
    assert '# the big one\nrule = "ethusdt price crosses 3000"\ncooldown = 300\n' in text
    data = tomllib.loads(text)
    assert data["spot"] == {"watchlist": ["BTCUSDT"]}
    assert data["alerts"][2] == {"rule": "SOLUSDT move_pct_5m > 2", "cooldown": 30}
    assert len(read_config(path).config.alerts) == 3


def test_update_alerts_deletes_only_the_removed_one(tmp_path) -> None:
    path = _write(tmp_path, ALERTS)
    update_alerts(path, [AlertPrefs("ETHUSDT price crosses 3000", cooldown=300.0)])
    text = path.read_text()
    assert "spread_bps" not in text and "# the big one" in text
    assert read_config(path).config.alerts == (
        AlertPrefs("ETHUSDT price crosses 3000", cooldown=300.0),
    )
    update_alerts(path, [])
    assert "alerts" not in tomllib.loads(path.read_text())
    assert tomllib.loads(path.read_text())["spot"] == {"watchlist": ["BTCUSDT"]}


def test_update_alerts_into_a_new_file(tmp_path) -> None:
    path = tmp_path / "new" / "config.toml"
    assert update_alerts(path, [AlertPrefs("BTCUSDT price > 1")])
    assert read_config(path).config.alerts == (AlertPrefs("BTCUSDT price > 1"),)
    assert not update_alerts(path, [AlertPrefs("BTCUSDT price > 1")])  # nothing changed


def test_update_alerts_refuses_a_broken_file(tmp_path) -> None:
    from tuimon.config import ConfigError

    path = _write(tmp_path, '[[alerts]]\nrule = "BTCUSDT moon > 1"\n')
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="not saved"):
        update_alerts(path, [AlertPrefs("BTCUSDT price > 1")])
    assert path.read_bytes() == before
