"""The main screen: ticker grid, depth ladder, sparkline and trades tape, orders pane, health
bar, and on futures a header line with mark price and funding."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widget import Widget

from tuimon.clock import Clock
from tuimon.store import Store
from tuimon.ui.widgets.depth_ladder import DepthLadder
from tuimon.ui.widgets.futures_header import FuturesHeader
from tuimon.ui.widgets.health_bar import HealthBar
from tuimon.ui.widgets.kline_spark import KlineSpark
from tuimon.ui.widgets.orders_pane import OrdersPane
from tuimon.ui.widgets.ticker_grid import TickerGrid
from tuimon.ui.widgets.trade_tape import TradeTape


class ChartSlot(Container):
    """The sparkline and the trades tape in one grid cell.

    The tape is off until asked for (class ``-chart``; ``-tape`` when on, see ``app.tcss``):
    ``t`` toggles it, and ``tab`` moving on from the chart turns it on and focuses it, so every
    pane stays reachable by ``tab``. Wide screens then show it beside the chart, narrow ones
    (80x24) in the chart's place. Off by default because its repaints are not free.
    """

    def __init__(self, spark: KlineSpark, tape: TradeTape) -> None:
        super().__init__(spark, tape, id="chart-slot", classes="-chart")
        self.spark = spark
        self.tape = tape

    @property
    def showing_tape(self) -> bool:
        """The tape is on."""
        return self.has_class("-tape")

    def show(self, tape: bool) -> None:
        """Turn the tape on (beside or instead of the chart) or off."""
        self.set_class(tape, "-tape")
        self.set_class(not tape, "-chart")
        if tape:
            self.tape.flush(set(), force=True)

    def step_focus(self, focused: Widget | None, forward: bool) -> bool:
        """``tab`` from the chart to a hidden tape (``shift+tab`` back): switch and focus it.

        Returns False when this slot has nothing to do with the move (normal focus chain).
        """
        spark, tape = self.spark, self.tape
        if forward and focused is spark and not tape.display:
            self.show(True)
            self.call_after_refresh(tape.focus)
            return True
        if not forward and focused is tape and not spark.display:
            self.show(False)
            self.call_after_refresh(spark.focus)
            return True
        return False


class MainScreen(Screen[None]):
    """Everything at once; the layout (narrow or wide) lives in ``styles/app.tcss``."""

    def __init__(
        self, store: Store, clock: Clock, large_prints: Mapping[str, Decimal] | None = None
    ) -> None:
        super().__init__(id="main")
        self.store = store
        self.clock = clock
        self.futures_header = FuturesHeader(store, clock, id="futures-header")
        self.grid = TickerGrid(store, clock, id="grid")
        self.ladder = DepthLadder(store, id="ladder")
        self.spark = KlineSpark(store, id="spark-pane")
        self.tape = TradeTape(store, clock, large=large_prints, id="tape")
        self.slot = ChartSlot(self.spark, self.tape)
        self.orders = OrdersPane(store, clock, id="orders")
        self.health = HealthBar(store, clock, id="health")

    def compose(self) -> ComposeResult:
        """Four cells in a grid (chart and tape share one), health bar docked at the bottom,
        the futures line at the top (futures only)."""
        yield self.futures_header
        with Container(id="body"):
            yield self.grid
            yield self.ladder
            yield self.slot
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
        self.tape.flush(dirty, now=now, beat=self.ladder.built_at == now)
        self.futures_header.flush(dirty)
        self.orders.flush(dirty)
        self.health.flush(now)
        self.grid.set_class(self.health.state in ("stale", "disconnected"), "-stale")
