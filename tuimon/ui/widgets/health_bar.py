"""Health bar: market, connection per route, message rate, latency, counters, uptime, clock.

Recomputed each frame but repainted at most once per wall-clock second (the finest thing it
shows), or at once when a route's state changes; a repaint is ``refresh()`` of a fixed-size
widget, never a layout pass (the same cost as ``Static.update(..., layout=False)``, but the
text is laid out in ``render`` for the current width, so a resize needs no new data).
The ``-disconnected`` and ``-stale`` classes turn it red (``health_bar.tcss``); the text says
the same with glyphs, so it reads without colour. A book whose own stream stalled while its
connection stays up also makes the bar ``stale``, naming the book: the route glyphs alone
would say all is well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.content import Content
from textual.geometry import Region
from textual.widget import Widget

from tuimon.clock import Clock
from tuimon.store import Store
from tuimon.store.state import RouteHealth
from tuimon.ui.driver import OutputMeter
from tuimon.ui.format import fmt_bytes_rate, fmt_clock, fmt_latency, fmt_rate, fmt_uptime

STALE_AFTER = 5.0
"""Seconds without a frame on a connected route before it counts as stale."""
STATUS_SECONDS = 30.0
"""How long a new problem line stays up."""
HINTS = "? help  / search  a add  d del  e screener  i interval  n alert  q quit "


@dataclass(slots=True)
class RateMeter:
    """Messages per second over the last whole second, from a cumulative counter."""

    t0: float | None = None
    n0: int = 0
    rate: float = 0.0

    def sample(self, now: float, count: int) -> float:
        """Feed the current total; the rate updates once a second."""
        if self.t0 is None:
            self.t0, self.n0 = now, count
        elif now - self.t0 >= 1.0:
            self.rate = max(0, count - self.n0) / (now - self.t0)
            self.t0, self.n0 = now, count
        return self.rate


def route_state(record: RouteHealth, now: float) -> str:
    """``up``, ``stale`` or ``down`` for one route."""
    if not record.connected:
        return "down"
    last = record.last_message_mono
    if last is not None and now - last > STALE_AFTER:
        return "stale"
    return "up"


GLYPH = {"up": "●", "stale": "◌", "down": "✕"}


class HealthBar(Widget):
    """Two lines: metrics, then the latest problem (or key hints)."""

    DEFAULT_CSS = """
    HealthBar { height: 2; dock: bottom; }
    """

    def __init__(self, store: Store, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.clock = clock
        self.state = "connecting"
        """``ok``, ``connecting``, ``stale`` or ``disconnected``: also the CSS class."""
        self.meter = RateMeter()
        self.output: OutputMeter | None = None
        """Bytes the driver wrote (the monitor's own terminal output); None: not shown."""
        self.output_meter = RateMeter()
        self._output_text = ""
        self._output_second = -1
        self._lines: tuple[str, str] | None = None
        self._width = 0
        """Both lines as last painted, and the width they were laid out for."""
        self.parts: dict[str, str] = {}
        """What the bar shows, field by field (tests read it)."""
        self.status_line = ""
        self._key: tuple[object, ...] | None = None
        self._status_seen = ""
        self._status_since = 0.0
        self._note = ""
        self._note_since = 0.0
        self._pinned = ""
        self.badge: Callable[[], str] | None = None
        """A replay's badge (``REPLAY ▶ 2x 0:12.3``), shown first; None when live."""

    def note(self, text: str) -> None:
        """A line from the app itself (config problem, start-up step), shown like a problem."""
        self._note = text
        self._note_since = self.clock.monotonic()

    def pin(self, text: str) -> None:
        """A line that stays whenever nothing newer is shown (a config that is not being
        saved must not be forgotten once its toast is gone)."""
        self._pinned = text

    def flush(self, now: float, *, force: bool = False) -> None:
        """Recompute; repaint only when the shown text or state changes."""
        store = self.store
        health = store.health
        wall = self.clock.wall_ms()
        rate = self.meter.sample(now, health.messages)
        output = self.output
        out_rate = self.output_meter.sample(now, output.bytes) if output is not None else None
        routes = [(name, route_state(r, now)) for name, r in sorted(health.routes.items())]
        states = {s for _, s in routes}
        stalled = tuple(symbol for symbol in sorted(store.books) if store.book_stalled(symbol))
        if not routes:
            state = "connecting"
        elif "down" in states:
            state = "disconnected"
        elif "stale" in states or stalled:
            state = "stale"
        else:
            state = "ok"
        if health.status != self._status_seen:
            self._status_seen = health.status
            self._status_since = now
        lines = [(self._status_since, health.status), (self._note_since, self._note)]
        since, status = max(((t, text) for t, text in lines if text), default=(0.0, ""))
        show_status = bool(status) and now - since < STATUS_SECONDS
        if not show_status and self._pinned:
            status, show_status = self._pinned, True
        badge = self.badge() if self.badge is not None else ""
        if out_rate is None:
            self._output_text = ""
        elif wall // 1000 != self._output_second or not self._output_text:
            # In step with the clock's second: a rate moving on its own phase would repaint
            # the bar twice a second.
            self._output_second = wall // 1000
            self._output_text = fmt_bytes_rate(out_rate)
        output_text = self._output_text
        key = (
            state,
            tuple(routes),
            stalled,
            wall // 1000,
            show_status and status,
            badge,
            output_text,  # moves once a second at most, like the clock
        )
        if key == self._key and not force:
            return
        self._key = key
        if state != self.state:
            for name in ("connecting", "stale", "disconnected"):
                self.set_class(state == name, f"-{name}")
            self.state = state
        latency = [r.latency_ms for r in health.routes.values() if r.latency_ms is not None]
        self.parts = {
            "badge": badge,
            "market": store.market.upper(),
            "routes": " ".join(f"{GLYPH[s]}{name}" for name, s in routes) or "◌ connecting",
            "rate": fmt_rate(rate),
            "latency": fmt_latency(max(latency) if latency else None),
            "reconnects": str(health.reconnects),
            "resyncs": str(store.resyncs),
            "bad": str(health.bad_frames),
            "uptime": fmt_uptime(now - health.started_mono),
            "clock": fmt_clock(wall),
            "output": output_text,
        }
        label = {"disconnected": "DISCONNECTED", "stale": "STALE", "connecting": "CONNECTING"}
        if state in label:
            quiet = f"{', '.join(stalled)} book silent" if stalled else "no live data"
            self.status_line = f"{label[state]}: " + (status if show_status else quiet)
        elif show_status:
            self.status_line = f"⚠ {status}"
        else:
            self.status_line = ""
        self._repaint()

    def _repaint(self) -> None:
        """Repaint what changed: usually just the first line (the clock and rates); the
        second (a problem, or the key hints) seldom changes. Never a layout pass."""
        width = self.size.width
        line1, _, line2 = self.text(width).partition("\n")
        before = self._lines
        self._lines = (line1, line2)
        if before is not None and before[1] == line2 and self._width == width:
            if before[0] != line1:
                self.refresh(Region(0, 0, width, 1))
            return
        self._width = width
        self.refresh()

    def text(self, width: int) -> str:
        """Both lines for a width: the long form if it fits, else the compact one."""
        p = self.parts
        if not p:
            return ""
        line1 = (
            f" {p['market']} │ {p['routes']} │ {p['rate']} msg/s │ lat {p['latency']} │ "
            f"reconnects {p['reconnects']} │ resyncs {p['resyncs']} │ "
            f"bad frames {p['bad']} │ up {p['uptime']} │ {p['clock']}"
        )
        # The monitor's own output rate only when it fits: the rest says more about the feed.
        if p["output"] and len(line1) + 7 + len(p["output"]) <= width:
            line1 += f" │ out {p['output']}"
        if len(line1) > width:
            line1 = (
                f" {p['market']} {p['routes']} {p['rate']}/s lat {p['latency']} "
                f"rc {p['reconnects']} rs {p['resyncs']} bad {p['bad']} "
                f"up {p['uptime']} {p['clock']}"
            )
            if p["output"] and len(line1) + 5 + len(p["output"]) <= width:
                line1 += f" out {p['output']}"
        if p["badge"]:
            line1 = f" {p['badge']} │{line1}"
        line2 = f" {self.status_line}" if self.status_line else ""
        if len(line2) + 2 + len(HINTS) <= width:
            line2 = line2.ljust(width - len(HINTS)) + HINTS
        return f"{line1[:width]}\n{line2[:width]}"

    def render(self) -> Content:
        """Laid out for the current width (so a resize needs no new data)."""
        return Content(self.text(self.size.width))
