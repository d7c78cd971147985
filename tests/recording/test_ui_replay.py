"""The monitor over a recording: badge, ladder label, pause, speed, restart, the end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from recording_helpers import SYMBOLS
from textual.pilot import Pilot

from tuimon.cli import main
from tuimon.recording.file import RecordingReader
from tuimon.recording.replay import Playhead
from tuimon.ui.replay import ReplayApp, ReplayController, replay_settings
from tuimon.ui.widgets.health_bar import RateMeter


async def until(pilot: Pilot, condition: Callable[[], bool], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.02)


def replay_app(path, speed=1.0) -> ReplayApp:
    reader = RecordingReader(path)
    playhead = Playhead(asyncio.get_running_loop().time, speed)
    controller = ReplayController(reader, playhead)
    settings = replay_settings(reader.header, list(reader.header.symbols), "1m", 10.0)
    return ReplayApp(settings, controller=controller, live=True)


async def test_the_replay_monitor_never_claims_live_and_its_keys_work(spot_recording):
    app = replay_app(spot_recording.path)
    controller = app.controller
    async with app.run_test(size=(140, 40)) as pilot:
        main_screen = app.main
        await until(pilot, lambda: main_screen.ladder.freshness == "live")
        header = main_screen.ladder._header_item(80)[1][1][0]
        assert "● replay" in header
        assert "live" not in header
        assert main_screen.health.text(140).startswith(" REPLAY ▶ 1x 0:0")
        assert app.store.account.enabled is False  # no private data in a recording
        assert set(app.store.tickers) <= set(SYMBOLS)

        await pilot.press("space")
        assert controller.playhead.paused
        held = controller.playhead.position()
        frames = controller.market.source.frames
        await pilot.pause(0.3)
        assert controller.playhead.position() == held  # the clock stands still...
        assert controller.market.source.frames == frames  # ...and so do the frames
        assert "REPLAY ⏸" in main_screen.health.text(140)
        await pilot.press("space")
        assert not controller.playhead.paused

        await pilot.press("plus")
        assert controller.playhead.speed == 2.0
        await pilot.press("right_square_bracket")
        assert controller.playhead.speed == 4.0
        await pilot.press("minus", "left_square_bracket", "minus")
        assert controller.playhead.speed == 0.5
        assert "REPLAY ▶ 0.5x" in main_screen.health.text(140)

        await until(pilot, lambda: controller.playhead.position() > 0.5)
        before = app.clock.monotonic()
        await pilot.press("R")
        await until(pilot, lambda: controller.restarts == 1)
        assert controller.playhead.position() < 0.5
        assert app.clock.monotonic() > before  # monotonic time never goes back
        await until(pilot, lambda: main_screen.ladder.freshness == "live")
        symbol = app.symbol
        assert app.store.books[symbol].last_update_id > 0
        await pilot.press("q")


async def test_the_end_of_the_recording_is_said(spot_recording):
    app = replay_app(spot_recording.path, speed=64)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.controller.ended)
        # The bar shows the end at its next frame (10 Hz): wait for it, not a fixed 50 ms.
        await until(pilot, lambda: app.main.health.text(140).startswith(" REPLAY ■"))
        assert app.main.health.text(140).startswith(" REPLAY ■ 64x")
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("replay: end of spot.tmrec at 0:0") for m in messages)
        # Every recorded book is synced by the end, selected or not.
        assert all(app.store.books[s].synced for s in SYMBOLS)


def test_a_file_that_is_not_a_recording_is_one_line(tmp_path, capsys):
    path = tmp_path / "x.tmrec"
    path.write_bytes(b"nope")
    assert main(["--replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tuimon: ") and "not a tuimon recording" in err
    assert err.count("\n") == 1


def test_a_symbol_outside_the_recording_is_refused(spot_recording, capsys):
    assert main(["DOGEUSDT", "--replay", str(spot_recording.path)]) == 2
    assert "not in the recording: DOGEUSDT" in capsys.readouterr().err


def test_replay_badge_snapshot(snap_compare, tmp_path):
    """The end of the converted real USDⓈ-M capture: REPLAY badge, '● replay', the end toast."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from recorded_data import data_root

    from tuimon.recording.convert import CAPTURES, convert_capture

    ws_file, rest_files, market = CAPTURES["usdm"]
    root = data_root() / "cryptofeed-sample-data"
    path = tmp_path / "usdm.tmrec"
    convert_capture(root / ws_file, [root / r for r in rest_files], path, market)
    reader = RecordingReader(path)
    # Any clock: the snapshot shows the state at the end, where time is the recording's own.
    controller = ReplayController(reader, Playhead(time.monotonic, 256.0))
    settings = replay_settings(reader.header, list(reader.header.symbols), "1m", 10.0)
    app = ReplayApp(settings, controller=controller, live=False)

    async def run_to_the_end(pilot: Pilot) -> None:
        # msg/s is measured from the first drawn frame, whose position in the recording
        # depends on real time (x256): measure from position 0 instead, so the figure is the
        # recording's own (messages / 31 s) and the snapshot does not flicker between two
        # roundings (it did once the trades tape added aggTrade frames).
        await app.replay_feed.load_symbols()
        app.replay_feed.set_watch(app.current_watch())
        assert controller.driver is not None
        await controller.driver
        await pilot.pause()
        app.main.health.meter = RateMeter(t0=controller.playhead.epoch, n0=0)
        app.flush_frame()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_to_the_end)
