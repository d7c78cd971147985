"""Alerts in the monitor: the form, the list, delivery, saving (pilot, frozen clock, no sleeps)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static
from ui_helpers import sample_app, settle, watches

from tuimon.config import AlertPrefs, Config, NotifyPrefs, read_config
from tuimon.ui.app import TuimonApp
from tuimon.ui.screens.alert_form import AlertFormScreen
from tuimon.ui.screens.alerts import AlertsScreen

SIZE = (120, 40)

PERSON_WROTE = """\
# my tuimon settings
[spot]
watchlist = ["BTCUSDT", "ETHUSDT"]  # the two I trade

[[alerts]]
# wake me up
rule = "ETHUSDT price > 1"
cooldown = 300

[notify]
bell = true
"""
BOTH = ["ETHUSDT price > 1", "BTCUSDT spread_bps >= 5"]


def _files(folder: Path) -> list[Path]:
    return list(folder.iterdir())


def alert_app(
    *,
    alerts: tuple[AlertPrefs, ...] = (),
    notify: NotifyPrefs | None = None,
    config_path: Path | None = None,
) -> TuimonApp:
    return sample_app(
        config=Config(alerts=alerts, notify=notify or NotifyPrefs()), config_path=config_path
    )


class Delivered:
    """Records the bell and terminal writes (headless apps write nothing)."""

    def __init__(self, app: TuimonApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bells = 0
        self.written: list[str] = []
        monkeypatch.setattr(app, "bell", self._bell)
        monkeypatch.setattr(app, "write_terminal", self.written.append)

    def _bell(self) -> None:
        self.bells += 1


def _status(app: TuimonApp) -> Static:
    return app.screen.query_one("#alert-form-status", Static)


async def test_form_adds_a_rule_on_the_selected_symbol_and_saves_it_in_place(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(PERSON_WROTE)
    app = alert_app(alerts=(AlertPrefs("ETHUSDT price > 1", True, 300.0),), config_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert isinstance(app.screen, AlertFormScreen)
        line = app.screen.query_one(Input)
        assert line.value == "BTCUSDT "
        await pilot.press(*"spread_bps >= 5")
        assert str(_status(app).render()) == "ok: BTCUSDT spread_bps >= 5"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.main
        assert [p.rule for p in app.alerts.prefs] == BOTH
        assert [r.text for r in app.alerts.engine.rules][-1] == "BTCUSDT spread_bps >= 5"
    text = path.read_text()
    assert text.startswith(PERSON_WROTE.split("[notify]")[0].rstrip("\n"))  # untouched above
    assert "# wake me up" in text and "# the two I trade" in text and "bell = true" in text
    assert 'rule = "BTCUSDT spread_bps >= 5"' in text
    reread = read_config(path)
    assert reread.errors == () and reread.warnings == ()
    assert [a.rule for a in reread.config.alerts] == BOTH
    assert reread.config.alerts[0].cooldown == 300.0


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("moon > 3", "unknown metric 'moon'"),
        ("price >> 3", "unknown operator '>>'"),
        ("price > 1e9", "bad value '1e9'"),
        ("funding_rate > 0", "funding_rate is a futures metric"),
        ("price", "expected 'SYMBOL METRIC OP VALUE'"),
    ],
)
async def test_form_says_what_is_wrong_and_does_not_add(
    typed: str, problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = alert_app()
    delivered = Delivered(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *typed)
        status = _status(app)
        assert problem in str(status.render())
        assert status.has_class("-error")
        await pilot.press("enter")
        assert isinstance(app.screen, AlertFormScreen)  # still open, nothing added
        assert delivered.bells == 1
        await pilot.press("escape")
        assert app.screen is app.main
        assert app.alerts.prefs == []


async def test_form_refuses_a_duplicate_and_an_unknown_symbol() -> None:
    app = alert_app(alerts=(AlertPrefs("BTCUSDT price > 1"),))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"price > 1")
        assert "already a rule: BTCUSDT price > 1" in str(_status(app).render())
        line = app.screen.query_one(Input)
        line.value = "NOPEUSDT price > 1"
        await pilot.pause()
        assert "unknown symbol on spot: NOPEUSDT" in str(_status(app).render())


async def test_a_rule_fires_once_through_every_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    got = tmp_path / "hook.json"
    hook = ("/bin/sh", "-c", f"cat >> '{got}'")
    app = alert_app(
        alerts=(AlertPrefs("BTCUSDT price > 1"),),
        notify=NotifyPrefs(toast=True, bell=True, desktop="osc777", command=hook),
    )
    delivered = Delivered(app, monkeypatch)
    monkeypatch.delenv("TMUX", raising=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        fired = app.alerts.check()
        assert [e.rule.text for e in fired] == ["BTCUSDT price > 1"]
        assert app.alerts.check() == []  # still true: no second alert
        await app.alerts.hook.idle()
        await pilot.pause()
        toasts = list(app.screen.query("Toast"))
        assert len(toasts) == 1
        assert delivered.bells == 1
        assert delivered.written == [
            f"\x1b]777;notify;tuimon: BTCUSDT;{fired[0].summary}\x07"
        ]
        app.flush_frame()
        assert "alert: BTCUSDT price > 1 (now " in app.main.health.text(200)
    assert got.read_text().count('"rule":"BTCUSDT price > 1"') == 1


async def test_channels_follow_notify_prefs(monkeypatch: pytest.MonkeyPatch) -> None:
    app = alert_app(
        alerts=(AlertPrefs("BTCUSDT price > 1"),),
        notify=NotifyPrefs(toast=False, bell=False, desktop="off"),
    )
    delivered = Delivered(app, monkeypatch)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert len(app.alerts.check()) == 1
        await pilot.pause()
        assert list(app.screen.query("Toast")) == []
        assert delivered.bells == 0 and delivered.written == []


async def test_alerts_fire_while_a_modal_is_up(monkeypatch: pytest.MonkeyPatch) -> None:
    app = alert_app(alerts=(AlertPrefs("BTCUSDT price > 1"),))
    Delivered(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert app.screen is not app.main
        assert len(app.alerts.check()) == 1


async def test_the_list_shows_values_toggles_and_deletes(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(PERSON_WROTE)
    app = alert_app(
        alerts=(AlertPrefs("ETHUSDT price > 1", True, 300.0), AlertPrefs("* fill > 0")),
        config_path=path,
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.alerts.check()
        await pilot.press("N")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        table = screen.query_one(DataTable)
        eth = table.get_row("ETHUSDT price > 1")
        assert eth[0] == "✓" and eth[2] == str(app.store.tickers["ETHUSDT"].close)
        assert eth[3] == "0s ago" and eth[4] == "300s"
        fill = table.get_row("* fill > 0")
        assert fill[2] == "—"
        await pilot.press("space")  # the cursor starts on the first rule
        assert table.get_row("ETHUSDT price > 1")[0] == "✗"
        assert app.alerts.prefs[0].enabled is False
        assert read_config(path).config.alerts[0].enabled is False
        assert "# wake me up" in path.read_text()
        await pilot.press("down", "x")
        assert [p.rule for p in app.alerts.prefs] == ["ETHUSDT price > 1"]
        assert table.row_count == 1
        await pilot.press("escape")
        assert app.screen is app.main
    assert [a.rule for a in read_config(path).config.alerts] == ["ETHUSDT price > 1"]


async def test_rules_stream_what_they_read() -> None:
    app = alert_app()
    seen: list = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("n", *["backspace"] * 8, *"ETHUSDT spread_bps >= 5", "enter")
        await pilot.pause()
        assert app.alerts.prefs[-1].rule == "ETHUSDT spread_bps >= 5"
        assert watches(seen)[-1].books == {"BTCUSDT", "ETHUSDT"}


async def test_demo_keeps_rules_in_memory(tmp_path: Path) -> None:
    # No config path (as --demo runs): the rule works, nothing is written anywhere.
    app = alert_app(config_path=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"price > 1", "enter")
        await pilot.pause()
        assert [p.rule for p in app.alerts.prefs] == ["BTCUSDT price > 1"]
    assert _files(tmp_path) == []
