"""Write the README screenshots (SVG) from the real app over seeded data and a frozen clock.

Usage: ``.venv/bin/python scripts/export_screenshots.py [OUT_DIR]`` (default ``screenshots/``).
The same factory and sample data as the snapshot tests, so README and tests show the same app:
the sample market plus the sample demo account (open orders, balances, fills; positions on
USDⓈ-M), built through the AccountStore's own mutators. No keys are involved, so none can
appear in a screenshot (``tests/ui/test_ui_account_live.py`` checks that anyway).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from tuimon.ui.app import TuimonApp
from tuimon.ui.sample import build_sample_app, sample_alert_config

Step = Callable[[Pilot[None]], Awaitable[None]]


async def _nothing(pilot: Pilot[None]) -> None:
    return None


async def _help(pilot: Pilot[None]) -> None:
    await pilot.press("question_mark")


async def _search(pilot: Pilot[None]) -> None:
    await pilot.press("slash", "e", "t", "h")
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


async def _alert_fired(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, TuimonApp)
    app.alerts.check()
    app.flush_frame()


async def _alert_list(pilot: Pilot[None]) -> None:
    await _alert_fired(pilot)
    await pilot.press("N")


async def _alert_form(pilot: Pilot[None]) -> None:
    await pilot.press("n", *"spread_bps >= 5")
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


async def _screener(pilot: Pilot[None]) -> None:
    await pilot.press("e")
    await pilot.pause()
    app = pilot.app
    assert isinstance(app, TuimonApp)
    app.flush_frame()
    for widget in app.screen.query(Input):
        widget.cursor_blink = False


def _whole_market() -> TuimonApp:
    return build_sample_app(market_size=420)


def _alerting() -> TuimonApp:
    return build_sample_app(config=sample_alert_config())


SHOTS: list[tuple[str, tuple[int, int], Callable[[], TuimonApp], Step]] = [
    ("main-80x24", (80, 24), build_sample_app, _nothing),
    ("main-160x48", (160, 48), build_sample_app, _nothing),
    ("help", (100, 40), build_sample_app, _help),
    ("stale-disconnected", (120, 36), lambda: build_sample_app(stale=True), _nothing),
    ("symbol-search", (100, 30), build_sample_app, _search),
    ("account-usdm", (160, 48), lambda: build_sample_app(market="usdm"), _nothing),
    ("account-no-keys", (80, 24), lambda: build_sample_app(account="none"), _nothing),
    ("alert-fired", (120, 40), _alerting, _alert_fired),
    ("alert-list", (110, 30), _alerting, _alert_list),
    ("alert-form", (100, 30), build_sample_app, _alert_form),
    ("screener", (100, 30), _whole_market, _screener),
]


async def export(out: Path) -> list[Path]:
    """Render every screen and save it as ``<out>/<name>.svg`` (``out`` must exist)."""
    written: list[Path] = []
    for name, size, make, step in SHOTS:
        app = make()
        async with app.run_test(size=size) as pilot:
            while app.frame_timer is None:  # state is pushed once the main screen is styled
                await pilot.pause()
            app.flush_frame()
            await pilot.pause()
            await step(pilot)
            await pilot.pause()
            path = out / f"{name}.svg"
            app.save_screenshot(filename=path.name, path=str(out))
            written.append(path)
    return written


def main() -> int:
    """Export into the directory given, else ``screenshots/`` beside this script's parent."""
    out = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parent.parent / ("screenshots")
    )
    out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(export(out)):
        print(path)  # noqa: T201 - a script's output
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
