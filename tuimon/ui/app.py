"""TuimonApp: key bindings, UI state, the feed worker and the one frame timer.

Data path: the feed (an asyncio task owned by this app) writes into the Store and marks topics
dirty; one app timer (``--fps``, default 10 Hz) calls :meth:`TuimonApp.flush_frame`, which takes
the dirty topics once and lets each visible pane re-read only what changed, inside one
``batch_update``. Nothing else moves data to the screen.

UI state (selected symbol, interval, watchlist) lives in this app's reactives; their watchers
push it to the panes at once (a symbol switch repaints ladder and sparkline in the same turn)
and hand the feed a new :class:`~tuimon.feeds.market.Watch` without awaiting the network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import PurePath
from typing import ClassVar, Protocol

from textual.app import App
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from tuimon.clock import Clock, SystemClock
from tuimon.config import MAX_WATCHLIST, ConfigError, Settings, update_market_prefs
from tuimon.feeds.market import FeedError, Watch
from tuimon.feeds.rest import RestError
from tuimon.feeds.session import MarketSession, Sessions, SwitchError, next_market
from tuimon.protocol.endpoints import Market
from tuimon.protocol.models import SymbolInfo
from tuimon.resources import style_paths
from tuimon.store import Store, topics
from tuimon.ui.alerting import EVALUATE_EVERY, AppAlerts
from tuimon.ui.commands import SymbolCommands
from tuimon.ui.logbridge import CapturedLog
from tuimon.ui.screens.help import HelpScreen
from tuimon.ui.screens.main import MainScreen
from tuimon.ui.screens.screener import ScreenerScreen
from tuimon.ui.screens.search import SearchScreen
from tuimon.ui.widgets.orders_pane import QUOTE
from tuimon.ui.widgets.ticker_grid import TickerGrid

log = logging.getLogger(__name__)

DEFAULT_WATCH_COUNT = 20
MAX_ACCOUNT_TICKERS = 50
"""Extra tickers streamed for the account pane (balance values, position marks), at most."""
MARKET_SEED_EVERY = 60.0
"""Seconds between REST seeds of the screener's rows (ticker/24hr costs weight 80 on spot)."""
FALLBACK_WATCHLIST = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT")


class FeedLike(Protocol):
    """What the app needs from :class:`tuimon.feeds.market.MarketFeed` (tests pass fakes)."""

    async def load_symbols(self) -> dict[str, SymbolInfo]:
        """Fetch exchangeInfo into the store."""
        ...

    async def top_symbols(self, count: int = 20, quote: str = "USDT") -> list[str]:
        """Most traded symbols by quote volume."""
        ...

    def check_symbols(self, symbols: Iterable[str]) -> list[str]:
        """Normalise symbols; raise FeedError naming unknown ones."""
        ...

    def set_watch(self, watch: Watch) -> None:
        """Change what is streamed (synchronous, non-blocking)."""
        ...

    async def wait_failed(self) -> BaseException:
        """Resolve when a connection gave up."""
        ...

    async def close(self) -> None:
        """Close every socket and task."""
        ...


class UserFeedLike(Protocol):
    """What the app needs from :class:`tuimon.feeds.user.UserFeed` (tests pass fakes)."""

    def start(self) -> object:
        """Run the worker as a task on the current loop."""
        ...

    async def close(self) -> None:
        """Stop the worker and close its socket."""
        ...


MAIN_ONLY_ACTIONS = frozenset(
    {
        "help",
        "search",
        "remove",
        "select_next",
        "select_previous",
        "select_row",
        "next_interval",
        "previous_interval",
        "cycle_sort",
        "reverse_sort",
        "new_alert",
        "alerts",
        "toggle_tape",
        "screener",
        "switch_market",
    }
)
"""Actions that act on the main screen; a modal on top disables them."""


class TuimonApp(App[None]):
    """The monitor."""

    TITLE = "tuimon"
    INTERVALS: ClassVar[tuple[str, ...]] = ("1m", "5m", "15m", "1h", "4h", "1d")
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (140, "-wide"),
    ]
    """Wide = the full grid fits beside a 60-column ladder."""
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    COMMANDS = App.COMMANDS | {SymbolCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help: this list"),
        Binding("slash", "search", "Search any symbol, watch and select it"),
        Binding("a", "search", "Add a symbol to the watchlist (search)"),
        Binding("d", "remove", "Remove the selected symbol from the watchlist"),
        Binding("j,down", "select_next", "Next symbol"),
        Binding("k,up", "select_previous", "Previous symbol"),
        *(
            Binding(key, f"select_row({10 if key == '0' else key})", "Select row 1-9, 0 = 10th")
            for key in "1234567890"
        ),
        Binding("i", "next_interval", "Next kline interval (1m 5m 15m 1h 4h 1d)"),
        Binding("I", "previous_interval", "Previous kline interval"),
        Binding("s", "cycle_sort", "Sort the grid by the next column"),
        Binding("r", "reverse_sort", "Reverse the sort order"),
        Binding("n", "new_alert", "New alert on the selected symbol"),
        Binding("N", "alerts", "Alerts: list, enable, disable, delete"),
        Binding("t", "toggle_tape", "Trades tape on/off (narrow: instead of the chart)"),
        Binding("e", "screener", "Screener: the whole market (sort, filter, watch)"),
        Binding("m", "switch_market", "Switch market: spot → USDⓈ-M → COIN-M"),
        Binding("tab", "focus_next", "Next pane", show=False),
        Binding("shift+tab", "focus_previous", "Previous pane", show=False),
    ]

    symbol: var[str | None] = var(None, init=False)
    """The selected symbol: its book and klines are streamed and shown."""
    interval: var[str] = var("1m", init=False)
    """Kline interval of the sparkline."""
    watchlist: var[tuple[str, ...]] = var((), init=False)
    """Watched symbols in the user's order (the grid rows)."""

    class WatchChanged(Message):
        """The app asked the feed to stream something else."""

        def __init__(self, watch: Watch) -> None:
            super().__init__()
            self.watch = watch

    class FeedReady(Message):
        """Symbols are loaded and the watchlist is streaming."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store,
        feed: FeedLike | None = None,
        clock: Clock | None = None,
        live: bool = True,
        rest_base: str = "",
        log_capture: CapturedLog | None = None,
        user_feed: UserFeedLike | None = None,
        sessions: Sessions | None = None,
        session: MarketSession | None = None,
    ) -> None:
        css: list[str | PurePath] = [*style_paths()]
        super().__init__(css_path=css, watch_css=False)
        self.log_capture = log_capture
        self._warnings_seen = 0
        self.settings = settings
        self.store = store
        self.feed = feed
        self.user_feed = user_feed
        self.sessions = sessions
        """Opens another market's workers (``m``); None: this run has one market."""
        self.session = session
        """The running market's workers (closed on a switch and on quit)."""
        self.switches = 0
        """Market switches completed (tests)."""
        self._switching = False
        self._market_views: dict[str, tuple[tuple[str, ...], str | None]] = {}
        """Per market left behind: its watchlist and selection, restored on the way back."""
        self.clock: Clock = clock or SystemClock()
        self.live = live
        self.rest_base = rest_base
        self.main = MainScreen(store, self.clock, settings.config.large_prints)
        self.frame_timer: Timer | None = None
        self.frames = 0
        """Frames flushed so far (tests and the benchmark read it)."""
        self.first_live_frame: float | None = None
        """Monotonic time of the first frame that showed tickers (launch-time benchmark)."""
        self.after_live_frame: Callable[[], object] | None = None
        """Called after the first frame with tickers of each market is on screen (start-up,
        then each market switch, is over: ``tuimon`` settles its heap for the garbage
        collector then, see :func:`tuimon.ui.launch.settle_heap`)."""
        self._live_frame_due = True
        """No frame with tickers yet since start-up or the last market switch."""
        self.exit_message: str | None = None
        """One line for stderr after the terminal is restored (fatal start-up problems)."""
        self._pending: set[str] = set()
        self._feed_ready = False
        self._quitting = False
        self._watchlist_edited = False
        self._absent_from_market: tuple[str, ...] = ()
        """Config symbols the exchange did not list this time: not shown, but kept in the file."""
        self._saved = settings.config.prefs(settings.market)
        """The market's preferences as the file holds them (only changes are written)."""
        self._last_watch: Watch | None = None
        self._account_tickers: frozenset[str] = frozenset()
        self.screener: ScreenerScreen | None = None
        """The open screener: ``!miniTicker@arr`` is streamed only while it is set."""
        self._market_seeded: float | None = None
        self.alerts = AppAlerts(self)
        self.alert_timer: Timer | None = None
        self.set_reactive(TuimonApp.watchlist, tuple(settings.watchlist))
        selected = settings.selected if settings.selected in settings.watchlist else None
        if selected is None and settings.watchlist:
            selected = settings.watchlist[0]
        self.set_reactive(TuimonApp.symbol, selected)
        self.set_reactive(TuimonApp.interval, settings.interval)

    # ------------------------------------------------------------------ lifetime

    def get_driver_class(self) -> type[Driver]:
        """The platform's driver, its writes compacted (fewer escape bytes) and counted."""
        from tuimon.ui.driver import OutputMeter, compacting

        self.output_meter = OutputMeter()
        return compacting(super().get_driver_class(), self.output_meter)

    def get_default_screen(self) -> Screen[None]:
        """The main screen is the base of the stack."""
        return self.main

    def main_ready(self) -> None:
        """The main screen and its panes are mounted: push the initial state, start the
        frame timer and (when live) the feed."""
        if self.frame_timer is not None:
            return
        self._push_watchlist()
        self._push_view()
        if not self.is_headless:  # a headless run writes nothing to count
            self.main.health.output = getattr(self, "output_meter", None)
        self.frame_timer = self.set_interval(
            1 / max(0.5, self.settings.fps), self.flush_frame, name="frame", pause=not self.live
        )
        # Alerts on their own timer: they fire while a modal is up and no frame is drawn.
        self.alert_timer = self.set_interval(
            EVALUATE_EVERY, self.alerts.check, name="alerts", pause=not self.live
        )
        for problem in self.settings.problems:
            self.main.health.note(problem)
            self.notify(problem, title="config", severity="warning", timeout=10)
        if not self.settings.config_savable and self.settings.problems:
            self.main.health.pin(self.settings.problems[0])
        if self.live and self.feed is not None:
            self.main.health.note(f"loading symbols from {self.rest_base or 'the exchange'}…")
            self.run_worker(
                self._run_feed(), name="feed", group="feed", exclusive=True, exit_on_error=False
            )
        if self.live and self.user_feed is not None:
            # Its own task: it reconnects and reconciles forever, and only writes the account.
            self.user_feed.start()
        self.flush_frame()

    async def _run_feed(self) -> None:
        """Load symbols, choose the watchlist, start streaming, then watch for a failure."""
        feed = self.feed
        assert feed is not None
        try:
            await feed.load_symbols()
        except (FeedError, RestError) as exc:
            where = self.rest_base or "the exchange"
            if self.switches:
                # After a market switch the run goes on: another switch may work.
                message = f"{self.store.market}: cannot load exchangeInfo from {where}: {exc}"
                self.main.health.note(message)
                self.notify(message, severity="error", timeout=30)
                return
            await self.shutdown(1, f"cannot load exchangeInfo from {where}: {exc}")
            return
        watchlist = list(self.watchlist)
        note = ""
        if self.settings.symbols_from_cli:
            try:
                watchlist = feed.check_symbols(watchlist)
            except FeedError as exc:
                await self.shutdown(2, str(exc))
                return
        elif watchlist:
            known = self.store.symbols
            unknown = [s for s in watchlist if s not in known]
            if unknown:
                watchlist = [s for s in watchlist if s in known]
                self._absent_from_market = tuple(unknown)
                note = (
                    f"not on {self.store.market}, skipped (kept in the config): {' '.join(unknown)}"
                )
        if not watchlist:
            try:
                watchlist = await feed.top_symbols(DEFAULT_WATCH_COUNT)
            except Exception as exc:  # noqa: BLE001 - a default list is a nicety, never fatal
                note = f"top symbols unavailable ({exc}); using a fixed list"
            if not watchlist:
                watchlist = [s for s in FALLBACK_WATCHLIST if s in self.store.symbols]
                watchlist = watchlist or sorted(self.store.symbols)[:DEFAULT_WATCH_COUNT]
        self._feed_ready = True
        self.main.health.note(note)
        self.watchlist = tuple(watchlist)
        wanted = self.settings.selected
        if wanted in self.watchlist and self.symbol != wanted:
            self.symbol = wanted  # a selection saved with a default (top-volume) watchlist
        self._apply_watch()
        self.post_message(self.FeedReady())
        failure = await feed.wait_failed()
        self.main.health.note(f"market feed stopped: {failure}")
        self.notify(f"market feed stopped: {failure}", severity="error", timeout=30)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A crashed feed worker is shown, never silently ignored."""
        if event.worker.group == "feed" and event.state is WorkerState.ERROR:
            error = event.worker.error
            self.main.health.note(f"market feed crashed: {error!r}")
            log.error("market feed crashed", exc_info=error)

    async def shutdown(self, code: int = 0, message: str | None = None) -> None:
        """Save preferences, close the feed's sockets, exit with ``code``."""
        if self._quitting:
            return
        self._quitting = True
        if self.frame_timer is not None:
            self.frame_timer.stop()
        if self.alert_timer is not None:
            self.alert_timer.stop()
        await self.alerts.close()
        if code == 0:
            self.save_prefs()
        if self.session is not None:
            try:
                await self.session.close()  # its feeds, and its demo simulator
            except Exception:  # noqa: BLE001 - exiting anyway; say why in the log only
                log.exception("closing the market session")
        if self.feed is not None:
            try:
                await self.feed.close()
            except Exception:  # noqa: BLE001 - exiting anyway; say why in the log only
                log.exception("closing the market feed")
        if self.user_feed is not None:
            try:
                await self.user_feed.close()
            except Exception:  # noqa: BLE001 - exiting anyway; say why in the log only
                log.exception("closing the user-data feed")
        self.exit_message = message
        self.exit(return_code=code)

    async def action_quit(self) -> None:
        """Quit cleanly: sockets closed, exit status 0."""
        await self.shutdown(0)

    # ------------------------------------------------------------------ the frame

    def flush_frame(self) -> None:
        """Take the dirty topics once and repaint what changed (the only data→screen path)."""
        dirty = self.store.take_dirty()
        if self.screen is not self.main:
            self._pending |= dirty  # a modal is up: catch up when the main screen returns
            if self.screen is self.screener:
                with self.batch_update():
                    self.screener.flush(dirty)
                self.frames += 1
            return
        if self._pending:
            dirty |= self._pending
            self._pending = set()
        moved = topics.TICKERS in dirty or topics.MARKS in dirty
        if moved and self.store.futures and self._mark_positions():
            dirty |= self.store.take_dirty()  # just the ACCOUNT mark the PnL update made
        if topics.ACCOUNT in dirty or topics.SYMBOLS in dirty:
            self._follow_account_tickers()
        now = self.clock.monotonic()
        capture = self.log_capture
        if capture is not None and capture.warnings != self._warnings_seen:
            self._warnings_seen = capture.warnings
            self.main.health.note(capture.latest_warning())
        with self.batch_update():
            self.main.flush(dirty, now)
        self.frames += 1
        if self.first_live_frame is None and self.store.tickers:
            self.first_live_frame = now
        if self._live_frame_due and self.store.tickers:
            self._live_frame_due = False
            if self.after_live_frame is not None:
                self.call_after_refresh(self.after_live_frame)  # once the frame is shown

    def _mark_positions(self) -> bool:
        """Unrealized PnL of USDⓈ-M positions follows the market; True when any changed.

        The mark price streams for the selected symbol (``@markPrice@1s``); for the other
        positions the last price of the symbol's ticker stands in for it (close to it on
        liquid perpetuals; the REST mark from the last reconciliation is kept for symbols
        without either).
        """
        account = self.store.account
        if not account.positions:
            return False
        before = dict(account.positions)
        tickers = self.store.tickers
        marks = self.store.marks
        for symbol in {position.symbol for position in before.values()}:
            mark = marks.get(symbol)
            ticker = tickers.get(symbol)
            if mark is not None:
                account.set_mark_price(symbol, mark.mark_price)
            elif ticker is not None:
                account.set_mark_price(symbol, ticker.close)
        return account.positions != before

    def account_tickers(self) -> frozenset[str]:
        """Tickers the account pane needs beyond the watchlist: ``<ASSET>USDT`` to value each
        balance, and each position's symbol (its last price stands in for the mark price).

        Only symbols the market lists, and at most :data:`MAX_ACCOUNT_TICKERS` (an account
        with hundreds of dust assets must not flood the market connection).
        """
        account = self.store.account
        if not account.enabled:
            return frozenset()
        known = self.store.symbols
        wanted = {f"{asset}{QUOTE}" for asset in account.balances if asset != QUOTE}
        wanted.update(position.symbol for position in account.positions.values())
        return frozenset(sorted(s for s in wanted if s in known)[:MAX_ACCOUNT_TICKERS])

    def _follow_account_tickers(self) -> None:
        tickers = self.account_tickers()
        if tickers != self._account_tickers:
            self._account_tickers = tickers
            self._apply_watch()

    # ------------------------------------------------------------------ state → panes, feed

    def watch_watchlist(self) -> None:
        """Grid rows follow the watchlist; the selection stays valid."""
        self._push_watchlist()
        if self.watchlist and self.symbol not in self.watchlist:
            self.symbol = self.watchlist[0]
        elif not self.watchlist:
            self.symbol = None
        self._apply_watch()

    def watch_symbol(self) -> None:
        """Ladder and sparkline switch in this turn; the feed re-subscribes."""
        self._push_view()
        self._apply_watch()

    def watch_interval(self) -> None:
        """Sparkline switches interval; the feed re-subscribes klines."""
        self._push_view()
        self._apply_watch()

    def _push_watchlist(self) -> None:
        self.main.grid.set_symbols(self.watchlist)

    def _push_view(self) -> None:
        main = self.main
        main.grid.select(self.symbol)
        with self.batch_update():
            main.ladder.set_symbol(self.symbol)
            main.spark.set_view(self.symbol, self.interval)
            main.tape.set_symbol(self.symbol)
            main.futures_header.set_symbol(self.symbol)
            main.orders.set_symbol(self.symbol)

    def current_watch(self) -> Watch:
        """What should be streamed now: tickers for the watchlist (and what the account pane
        values with); book and klines for the selection, its trades while the tape is on; on
        futures the watchlist's marks."""
        selected = frozenset({self.symbol}) if self.symbol else frozenset()
        alert_tickers = self.alerts.tickers()
        alert_books = self.alerts.books()
        known = self.store.symbols
        if known:  # rules on another market's symbols (after a switch) stream nothing here
            alert_tickers = frozenset(s for s in alert_tickers if s in known)
            alert_books = frozenset(s for s in alert_books if s in known)
        return Watch(
            tickers=frozenset(self.watchlist) | self._account_tickers | alert_tickers,
            books=selected | alert_books,
            klines=selected,
            interval=self.interval,
            # Trades only while the tape is on: off, they would be parsed and kept for nobody
            # (turning it on seeds it from REST at once).
            trades=selected if self.main.slot.showing_tape else frozenset(),
            # Futures: the header's mark and the grid's mark column (one 1 s stream per
            # watched symbol: 20 × ~200 B/s, where !markPrice@arr@1s would bring every
            # contract, ~100 KB/s, to show 20 of them).
            marks=frozenset(self.watchlist) | selected | self.alerts.marks()
            if self.store.futures
            else frozenset(),
            all_tickers=self.screener is not None,
        )

    def follow_alert_symbols(self) -> None:
        """The rules changed: stream what they read now."""
        self._apply_watch()

    def write_terminal(self, sequence: str) -> None:
        """Write an escape sequence to the terminal (a desktop notification), as
        :meth:`bell` does; nothing when headless (tests, where it is recorded instead)."""
        if not self.is_headless and self._driver is not None:
            self._driver.write(sequence)

    def _apply_watch(self) -> None:
        if self.feed is not None and not self._feed_ready:
            return  # the feed starts streaming once symbols are loaded (see _run_feed)
        watch = self.current_watch()
        if watch == self._last_watch:
            return
        self._last_watch = watch
        if self.feed is not None:
            self.feed.set_watch(watch)
        self.post_message(self.WatchChanged(watch))

    # ------------------------------------------------------------------ selection

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The grid's cursor is the selection.

        A highlight for a row the cursor has already left is stale (two selection changes
        were in flight, e.g. rows rebuilt by a market switch, then the saved selection):
        following it would move the cursor back and start a ping-pong between the two.
        """
        table = event.data_table
        if not isinstance(table, TickerGrid) or not event.row_key.value:
            return
        if event.cursor_row != table.cursor_row:
            return
        self.symbol = event.row_key.value

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """Click a header to sort by it (again to reverse)."""
        grid = self.main.grid
        column = event.column_key.value
        if grid.sort_column == column:
            grid.reverse_sort()
        else:
            grid.set_sort(column)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Main-screen actions are off while a modal (help, search) is up."""
        return action not in MAIN_ONLY_ACTIONS or self.screen is self.main

    def _step(self, delta: int) -> None:
        order = self.main.grid.order
        if not order:
            return
        if self.symbol not in order:
            self.symbol = order[0]
            return
        index = order.index(self.symbol) + delta
        self.symbol = order[max(0, min(len(order) - 1, index))]

    def action_select_next(self) -> None:
        """Next row of the grid."""
        self._step(1)

    def action_select_previous(self) -> None:
        """Previous row of the grid."""
        self._step(-1)

    def action_select_row(self, row: int) -> None:
        """Row N (1-based) of the grid."""
        order = self.main.grid.order
        if 1 <= row <= len(order):
            self.symbol = order[row - 1]
        else:
            self.bell()

    # ------------------------------------------------------------------ watchlist

    def action_search(self) -> None:
        """Search every symbol of the market; the pick is watched and selected."""

        def picked(symbol: str | None) -> None:
            if symbol:
                self.add_symbol(symbol)

        self.push_screen(SearchScreen(self.store.symbols, self.watchlist), picked)

    def add_symbol(self, symbol: str) -> None:
        """Watch a symbol (if new) and select it."""
        symbol = symbol.strip().upper()
        if self.store.symbols and symbol not in self.store.symbols:
            self.notify(f"unknown symbol on {self.store.market}: {symbol}", severity="error")
            return
        if symbol not in self.watchlist:
            if len(self.watchlist) >= MAX_WATCHLIST:
                self.notify(f"watchlist is full ({MAX_WATCHLIST})", severity="warning")
                return
            self._watchlist_edited = True
            self.watchlist = (*self.watchlist, symbol)
            self.save_prefs()
        self.symbol = symbol

    def action_remove(self) -> None:
        """Stop watching the selected symbol; the next row becomes selected."""
        symbol = self.symbol
        if symbol is None or symbol not in self.watchlist:
            self.bell()
            return
        if len(self.watchlist) == 1:
            self.notify("the watchlist cannot be empty", severity="warning")
            return
        order = self.main.grid.order
        index = order.index(symbol) if symbol in order else 0
        rest = [s for s in order if s != symbol]
        self._watchlist_edited = True
        self.symbol = rest[min(index, len(rest) - 1)]
        self.watchlist = tuple(s for s in self.watchlist if s != symbol)
        self.save_prefs()

    def save_prefs(self) -> None:
        """Write what changed in the watchlist and selection into the person's config.

        Nothing is written when saving is off (``--demo``, tests), when the file could not be
        fully read (the start-up notice said so), or when the watchlist is a one-off from the
        command line and was not edited. Only the changed values are written; config symbols
        this exchange did not list are kept.
        """
        settings = self.settings
        path = settings.config_path
        if path is None or not settings.config_savable or not self.watchlist:
            return
        market = self.store.market
        saved = self._saved
        watchlist: tuple[str, ...] | None = None
        if self._watchlist_edited:
            # Only an edit writes the list: an untouched one (from the file, the command line
            # or the top-volume default) stays as the file has it.
            kept = tuple(s for s in self._absent_from_market if s not in self.watchlist)
            candidate = (*self.watchlist, *kept)
            if candidate != saved.watchlist:
                watchlist = candidate
        selected = None
        one_off = settings.symbols_from_cli and not self._watchlist_edited
        if self.symbol is not None and self.symbol != saved.selected and not one_off:
            selected = self.symbol
        if watchlist is None and selected is None:
            return
        try:
            update_market_prefs(path, market, watchlist=watchlist, selected=selected)
        except ConfigError as exc:
            self.notify(str(exc), title="config", severity="error")
            return
        self._saved = replace(
            saved,
            watchlist=saved.watchlist if watchlist is None else watchlist,
            selected=saved.selected if selected is None else selected,
        )

    # ------------------------------------------------------------------ interval, sort, help

    def set_interval_to(self, interval: str) -> None:
        """Switch the kline interval."""
        self.interval = interval

    def _shift_interval(self, delta: int) -> None:
        intervals = self.INTERVALS
        if self.interval in intervals:
            index = intervals.index(self.interval) + delta
        else:
            index = 0 if delta > 0 else -1
        self.interval = intervals[index % len(intervals)]

    def action_next_interval(self) -> None:
        """1m → 5m → 15m → 1h → 4h → 1d → 1m."""
        self._shift_interval(1)

    def action_previous_interval(self) -> None:
        """The other way round."""
        self._shift_interval(-1)

    def action_cycle_sort(self) -> None:
        """Sort the grid by the next column (then back to watchlist order)."""
        self.main.grid.cycle_sort()

    def action_reverse_sort(self) -> None:
        """Flip the grid's sort order."""
        self.main.grid.reverse_sort()

    def action_new_alert(self) -> None:
        """A small form: a rule on the selected symbol."""
        self.alerts.open_form()

    def action_alerts(self) -> None:
        """The rule list: enable, disable, delete, see values and when each fired."""
        self.alerts.open_list()

    def action_toggle_tape(self) -> None:
        """The trades tape on or off (beside the chart when wide, instead of it when narrow)."""
        slot = self.main.slot
        slot.show(not slot.showing_tape)
        self._apply_watch()  # the selected symbol's trades stream only while the tape is on

    def action_focus_next(self) -> None:
        """Next pane; from the chart on to the tape (turning it on)."""
        if self.screen is self.main and self.main.slot.step_focus(self.focused, forward=True):
            self._apply_watch()
            return
        super().action_focus_next()

    def action_focus_previous(self) -> None:
        """Previous pane (from the tape back to the chart where it took the chart's place)."""
        if self.screen is self.main and self.main.slot.step_focus(self.focused, forward=False):
            self._apply_watch()
            return
        super().action_focus_previous()
    def action_screener(self) -> None:
        """Every symbol of the market: ``!miniTicker@arr`` streams while the screen is open;
        Enter watches and selects a symbol."""
        if self.screener is not None:
            return
        screen = self.screener = ScreenerScreen(self.store)

        def closed(symbol: str | None) -> None:
            self.screener = None
            self._apply_watch()  # unsubscribes !miniTicker@arr
            if symbol:
                self.add_symbol(symbol)

        self.push_screen(screen, closed)
        self._apply_watch()
        self._seed_market_tickers()

    def _seed_market_tickers(self) -> None:
        """One REST ``ticker/24hr`` so every row shows at once (the stream only carries the
        symbols that changed); at most once a minute: it costs weight 80 on spot."""
        loader = getattr(self.feed, "load_market_tickers", None)
        now = self.clock.monotonic()
        if loader is None or not self.live:
            return
        if self._market_seeded is not None and now - self._market_seeded < MARKET_SEED_EVERY:
            return
        self._market_seeded = now

        async def seed() -> None:
            try:
                await loader()
            except Exception as exc:  # noqa: BLE001 - the stream fills the rows anyway
                self.main.health.note(f"screener seed failed: {exc}")

        self.run_worker(
            seed(), name="screener-seed", group="screener", exclusive=True, exit_on_error=False
        )

    async def action_switch_market(self) -> None:
        """spot → USDⓈ-M → COIN-M → spot, without restarting."""
        await self.switch_market(next_market(Market(self.store.market)).value)

    async def switch_market(self, market: str) -> bool:
        """Stop this market's workers, start ``market``'s, each market with its own watchlist
        and selection (the config's, or what it was when this run left it).

        The old session closes first (a demo runs one simulator at a time); a market this
        run cannot open (endpoints given for one market only) reopens the one it came from.
        """
        sessions = self.sessions
        if sessions is None:
            self.notify("this run has one market (restart with --market)", severity="warning")
            return False
        if self._switching or market == self.store.market:
            return False
        self._switching = True
        try:
            return await self._switch(sessions, Market(market))
        finally:
            self._switching = False

    async def _switch(self, sessions: Sessions, market: Market) -> bool:
        store = self.store
        old = store.market
        self.save_prefs()
        self._market_views[old] = (self.watchlist, self.symbol)
        # From here until the new session is in, nothing may reach the old feed: a frame's
        # _apply_watch would make the closed feed open sockets again.
        self._feed_ready = False
        self._last_watch = None
        self.workers.cancel_group(self, "feed")
        self.workers.cancel_group(self, "screener")
        previous = self.session
        try:
            if previous is not None:
                await previous.close()
            else:
                if self.feed is not None:
                    await self.feed.close()
                if self.user_feed is not None:
                    await self.user_feed.close()
        except Exception:  # noqa: BLE001 - the old market is being left anyway
            log.exception("closing the %s session", old)
        store.switch_market(market.value, futures=market.is_futures)
        try:
            session = await sessions.open(market, store)
        except (SwitchError, OSError, ValueError) as exc:
            self.notify(f"cannot open {market.value}: {exc}", severity="error", timeout=15)
            session = None
        if session is None:
            # Back to the market we came from (its session was closed: open it again).
            store.switch_market(old, futures=Market(old).is_futures)
            market = Market(old)
            try:
                session = await sessions.open(market, store)
            except Exception as exc:  # noqa: BLE001 - shown; the app stays up, without data
                self.session = None
                self.feed = None
                self.user_feed = None
                self.main.health.note(f"cannot reopen {old}: {exc}")
                return False
        self._enter(market, session)
        return market.value != old

    def _enter(self, market: Market, session: MarketSession) -> None:
        """Point the app at a freshly opened session and start its workers."""
        self.session = session
        self.feed = session.feed
        self.user_feed = session.user
        self.rest_base = session.endpoints.rest_base
        config = self.settings.config
        prefs = config.prefs(market.value)
        watchlist, selected = self._market_views.get(
            market.value, (tuple(prefs.watchlist), prefs.selected)
        )
        self.settings = replace(
            self.settings,
            market=market.value,
            watchlist=watchlist,
            selected=selected,
            symbols_from_cli=False,
        )
        self._saved = prefs
        self._feed_ready = False
        self._last_watch = None
        self._absent_from_market = ()
        self._watchlist_edited = False
        self._account_tickers = frozenset()
        self._pending = set()
        self._live_frame_due = True
        self.set_reactive(TuimonApp.watchlist, tuple(watchlist))
        self.set_reactive(TuimonApp.symbol, selected if selected in watchlist else None)
        self._push_watchlist()
        self._push_view()
        self.main.health.note(f"{market.value}: loading symbols from {self.rest_base}…")
        self.run_worker(
            self._run_feed(), name="feed", group="feed", exclusive=True, exit_on_error=False
        )
        if self.live and self.user_feed is not None:
            self.user_feed.start()
        self.switches += 1
        self.flush_frame()

    def action_help(self) -> None:
        """Every binding, generated from BINDINGS."""
        self.push_screen(HelpScreen())
