"""``tuimon --replay FILE [--speed X]``: the monitor over a recording.

The same app, panes and market worker as live; the worker's connections and REST calls are fed
from the file (:mod:`tuimon.recording.replay`). Nothing in it pretends to be live: the health
bar starts with a ``REPLAY`` badge (play state, speed, position), the ladder labels a current
book ``● replay`` instead of ``● live``, the clock shows the recording's wall time, and the
account pane is off (recordings hold market data only). Alert rules from the config are not
loaded and no desktop notification or hook runs: replayed prices must not page anyone.

Keys (besides the monitor's): ``space`` pause/resume, ``+``/``]`` faster, ``-``/``[`` slower
(x2 steps), ``R`` restart from the beginning (``r`` stays the grid's reverse sort).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType

from tuimon.config import Settings, load_settings
from tuimon.feeds.market import Watch
from tuimon.headless import UsageError, check_interval
from tuimon.protocol.models import SymbolInfo
from tuimon.recording.file import RecordingReader
from tuimon.recording.format import Header, RecordingError
from tuimon.recording.replay import Playhead
from tuimon.recording.session import (
    ReplayMarket,
    check_recorded_symbols,
    open_recording,
    recorded_market,
    replay_market,
)
from tuimon.store import Store
from tuimon.ui.app import TuimonApp
from tuimon.ui.logbridge import CapturedLog, captured_logging

log = logging.getLogger(__name__)

REPLAY_LIVE_TEXT = "● replay"
SPEED_STEP = 2.0


def fmt_position(seconds: float) -> str:
    """``1:02.3`` (minutes, seconds, tenths); hours when needed."""
    tenths = int(seconds * 10)
    minutes, tenth_seconds = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    rest = f"{tenth_seconds // 10:02d}.{tenth_seconds % 10}"
    return f"{hours}:{minutes:02d}:{rest}" if hours else f"{minutes}:{rest}"


def fmt_speed(speed: float) -> str:
    """``1x``, ``4x``, ``0.25x``."""
    return f"{speed:g}x"


class ReplayController:
    """One recording played in the monitor: the worker over it, and the keys' actions."""

    def __init__(self, reader: RecordingReader, playhead: Playhead) -> None:
        self.path = reader.path
        self.header: Header = reader.header
        self.playhead = playhead
        self.market: ReplayMarket = replay_market(reader, playhead)
        self.store: Store = self.market.store
        self.store.account.disable("replay: recordings hold market data only")
        self.driver: asyncio.Task[None] | None = None
        self.ended = False
        self.on_end: Callable[[str], None] | None = None
        """Told once per pass: the recording ended (or where it was damaged)."""
        self.restarts = 0

    def start(self) -> None:
        """Start delivering records (the first call only, per pass)."""
        if self.driver is None:
            self.ended = False
            self.driver = asyncio.create_task(self._drive(), name="replay-driver")

    async def _drive(self) -> None:
        source = self.market.source
        await source.run()
        self.ended = True
        position = fmt_position(self.playhead.position())
        if source.damage is not None:
            message = f"replay: {self.path.name}: {source.damage}; replayed up to {position}"
            log.warning("%s", message)
        else:
            message = f"replay: end of {self.path.name} at {position}"
        if self.on_end is not None:
            self.on_end(message)

    def badge(self) -> str:
        """``REPLAY ▶ 2x 0:12.3`` (``⏸`` paused, ``■`` ended)."""
        playhead = self.playhead
        state = "■" if self.ended else "⏸" if playhead.paused else "▶"
        return f"REPLAY {state} {fmt_speed(playhead.speed)} {fmt_position(playhead.position())}"

    def toggle_pause(self) -> bool:
        """Pause or resume; True when now paused."""
        if self.playhead.paused:
            self.market.source.resume()
        else:
            self.market.source.pause()
        return self.playhead.paused

    def change_speed(self, factor: float) -> float:
        """Multiply the speed (bounded); returns the new speed."""
        return self.playhead.set_speed(self.playhead.speed * factor)

    def widen(self, watch: Watch) -> Watch:
        """Everything recorded streams, whatever is selected: a book selected later is then
        already synced (its snapshot came at the start of the recording, not on selection)."""
        recorded = frozenset(self.header.symbols)
        klines = watch.klines | recorded if watch.interval == self.header.interval else watch.klines
        return Watch(watch.tickers | recorded, watch.books | recorded, klines, watch.interval)

    async def restart(self, watch: Watch | None) -> None:
        """From the beginning: a fresh worker over a fresh read of the file, the same Store
        (emptied), monotonic time going on."""
        reader = RecordingReader(self.path)  # RecordingError: the caller says so
        await self.stop()
        self.playhead.rewind()
        self.store.reset()
        self.market = replay_market(reader, self.playhead, self.store)
        self.restarts += 1
        self.start()
        await self.market.feed.load_symbols()
        if watch is not None:
            self.market.feed.set_watch(self.widen(watch))

    async def stop(self) -> None:
        """Stop delivering and close the worker."""
        driver, self.driver = self.driver, None
        if driver is not None:
            driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await driver
        self.market.source.reader.close()
        await self.market.feed.close()


class ReplayFeed:
    """The app's feed (:class:`tuimon.ui.app.FeedLike`) during a replay."""

    def __init__(self, controller: ReplayController) -> None:
        self.controller = controller
        self.watch: Watch | None = None
        self._never = asyncio.Event()

    async def load_symbols(self) -> dict[str, SymbolInfo]:
        """The recorded exchangeInfo (starts the replay: it is the first record)."""
        self.controller.start()
        return await self.controller.market.feed.load_symbols()

    async def top_symbols(self, count: int = 20, quote: str = "USDT") -> list[str]:
        """The recorded symbols: nothing else has data."""
        return list(self.controller.header.symbols[:count])

    def check_symbols(self, symbols: Iterable[str]) -> list[str]:
        """As the live worker checks them."""
        return self.controller.market.feed.check_symbols(symbols)

    def set_watch(self, watch: Watch) -> None:
        """Remember the app's watch; stream it plus everything recorded."""
        self.watch = watch
        self.controller.market.feed.set_watch(self.controller.widen(watch))

    async def wait_failed(self) -> BaseException:
        """A recording cannot become unreachable: never resolves."""
        await self._never.wait()
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        """Stop the replay."""
        await self.controller.stop()


class ReplayApp(TuimonApp):
    """The monitor with replay keys and badges."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *TuimonApp.BINDINGS,
        Binding("space", "replay_pause", "Replay: pause / resume"),
        Binding("plus,right_square_bracket,equals_sign", "replay_faster", "Replay: faster (x2)"),
        Binding("minus,left_square_bracket", "replay_slower", "Replay: slower (/2)"),
        Binding("R", "replay_restart", "Replay: restart from the beginning"),
    ]

    def __init__(
        self, settings: Settings, *, controller: ReplayController, **kwargs: object
    ) -> None:
        self.controller = controller
        self.replay_feed = ReplayFeed(controller)
        super().__init__(
            settings,
            store=controller.store,
            feed=self.replay_feed,
            clock=controller.market.clock,
            **kwargs,  # type: ignore[arg-type]
        )
        self.title = f"tuimon — REPLAY of {controller.path.name}"
        self.main.health.badge = controller.badge
        self.main.ladder.live_text = REPLAY_LIVE_TEXT
        controller.on_end = self._replay_ended

    def _replay_ended(self, message: str) -> None:
        self.main.health.note(message)
        self.notify(message, title="replay", timeout=10)

    def action_replay_pause(self) -> None:
        """Space: hold or release the replay clock and its frames."""
        paused = self.controller.toggle_pause()
        self.main.health.note("replay paused" if paused else "")
        self.flush_frame()

    def action_replay_faster(self) -> None:
        """Twice as fast (up to 256x)."""
        self.controller.change_speed(SPEED_STEP)
        self.flush_frame()

    def action_replay_slower(self) -> None:
        """Half as fast (down to 1/16x)."""
        self.controller.change_speed(1 / SPEED_STEP)
        self.flush_frame()

    async def action_replay_restart(self) -> None:
        """From the beginning of the recording."""
        try:
            await self.controller.restart(self.replay_feed.watch)
        except (RecordingError, UsageError) as exc:
            self.notify(f"replay: cannot restart: {exc}", severity="error")
            return
        except Exception as exc:  # noqa: BLE001 - the replay is gone, the app stays up
            self.notify(f"replay: cannot restart: {exc}", severity="error")
            log.exception("replay restart")
            return
        self.main.health.note(f"replay: restarted {self.controller.path.name}")
        self.flush_frame()


def replay_settings(header: Header, symbols: list[str], interval: str, fps: float) -> Settings:
    """The monitor's settings for a replay: the recording's market and symbols, nothing saved,
    no alert rules and no desktop notification or hook."""
    settings = load_settings(
        market=header.market, symbols=symbols, interval=interval, fps=fps, save=False
    )
    config = settings.config
    quiet = replace(config.notify, desktop="off", command=())
    return replace(settings, config=replace(config, alerts=(), notify=quiet))


def run_replay_monitor(args: argparse.Namespace, interval: str | None) -> int:
    """Run the monitor over ``args.replay``; exit status 0, or 2 with one line when the file
    cannot be replayed."""
    path = Path(args.replay)
    try:
        reader = open_recording(path)
        header = reader.header
        interval = interval or header.interval
        check_interval(recorded_market(header), interval)
        symbols = check_recorded_symbols(header, list(args.symbols or header.symbols))
    except UsageError as exc:
        print(f"tuimon: {exc}", file=sys.stderr)  # noqa: T201 - the CLI's error channel
        return 2
    settings = replay_settings(header, symbols, interval, float(args.fps))
    speed = float(getattr(args, "speed", None) or 1.0)
    with captured_logging() as capture:
        try:
            code = asyncio.run(_run(reader, settings, speed, capture))
        except KeyboardInterrupt:
            code = 130
    for line in capture.lines(logging.WARNING)[-5:]:
        print(line, file=sys.stderr)  # noqa: T201
    return code


async def _run(
    reader: RecordingReader, settings: Settings, speed: float, capture: CapturedLog
) -> int:
    playhead = Playhead(asyncio.get_running_loop().time, speed)
    controller = ReplayController(reader, playhead)
    app = ReplayApp(
        settings,
        controller=controller,
        live=True,
        rest_base=f"the recording {controller.path.name}",
        log_capture=capture,
    )
    try:
        await app.run_async()
    finally:
        await controller.stop()
    return app.return_code or 0
