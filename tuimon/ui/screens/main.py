"""The main screen: ticker grid, depth ladder, sparkline, orders pane and health bar."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen

from tuimon.clock import Clock
from tuimon.store import Store
from tuimon.ui.widgets.depth_ladder import DepthLadder
from tuimon.ui.widgets.health_bar import HealthBar
from tuimon.ui.widgets.kline_spark import KlineSpark
from tuimon.ui.widgets.orders_pane import OrdersPane
from tuimon.ui.widgets.ticker_grid import TickerGrid


class MainScreen(Screen[None]):
    """Everything at once; the layout (narrow or wide) lives in ``styles/app.tcss``."""

    def __init__(self, store: Store, clock: Clock) -> None:
        super().__init__(id="main")
        self.store = store
        self.clock = clock
        self.grid = TickerGrid(store, clock, id="grid")
        self.ladder = DepthLadder(store, id="ladder")
        self.spark = KlineSpark(store, id="spark-pane")
        self.orders = OrdersPane(store, clock, id="orders")
        self.health = HealthBar(store, clock, id="health")

    def compose(self) -> ComposeResult:
        """Four panes in a grid, health bar docked at the bottom."""
        with Container(id="body"):
            yield self.grid
            yield self.ladder
            yield self.spark
            yield self.orders
        yield self.health

    def on_mount(self) -> None:
        """Once the panes are mounted and styled (after the first refresh), the app may start
        pushing state into them."""
        ready = getattr(self.app, "main_ready", None)
        if ready is not None:
            self.call_after_refresh(ready)

    def on_screen_resume(self) -> None:
        """Back from a modal: show what changed behind it at once, not at the next tick."""
        flush = getattr(self.app, "flush_frame", None)
        if flush is not None and getattr(self.app, "frame_timer", None) is not None:
            flush()

    def flush(self, dirty: set[str], now: float) -> None:
        """One frame: each pane re-reads only what its topics say changed."""
        self.grid.flush(dirty, now)
        self.ladder.flush(dirty, now=now)
        self.spark.flush(dirty)
        self.orders.flush(dirty)
        self.health.flush(now)
        self.grid.set_class(self.health.state in ("stale", "disconnected"), "-stale")
