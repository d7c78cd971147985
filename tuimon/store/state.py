"""Plain state records held by the Store. No I/O, no Textual."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from tuimon.protocol.models import Kline


class KlineSeries:
    """Recent candles for one symbol and interval, oldest first, bounded.

    The forming candle is updated in place (same open time replaces the last candle); a candle
    with an older open time than the last is a replay and is ignored.
    """

    __slots__ = ("candles", "interval", "symbol")

    def __init__(self, symbol: str, interval: str, maxlen: int = 500) -> None:
        self.symbol = symbol
        self.interval = interval
        self.candles: deque[Kline] = deque(maxlen=maxlen)

    def load(self, candles: list[Kline]) -> None:
        """Seed from REST history, keeping any live candle that is newer than the history."""
        newer = [c for c in self.candles if candles and c.open_time > candles[-1].open_time]
        self.candles.clear()
        self.candles.extend(candles)
        self.candles.extend(newer)

    def apply(self, kline: Kline) -> bool:
        """Apply a live update; returns True when the series changed."""
        candles = self.candles
        if candles:
            last = candles[-1]
            if kline.open_time == last.open_time:
                if kline.event_time < last.event_time and not last.closed:
                    return False
                candles[-1] = kline
                return True
            if kline.open_time < last.open_time:
                return False
        candles.append(kline)
        return True


@dataclass(slots=True)
class RouteHealth:
    """Connection health of one stream connection (route or shard)."""

    name: str
    connected: bool = False
    reconnects: int = 0
    messages: int = 0
    bad_frames: int = 0
    last_message_mono: float | None = None
    latency_ms: int | None = None
    last_error: str = ""


@dataclass(slots=True)
class Health:
    """Connection health of the whole market feed."""

    routes: dict[str, RouteHealth] = field(default_factory=dict)
    started_mono: float = 0.0
    last_bad_frame: str = ""
    status: str = ""
    """Latest one-line problem worth showing (REST failing, unknown symbol...)."""

    def route(self, name: str) -> RouteHealth:
        """The health record of a route, created on first use."""
        record = self.routes.get(name)
        if record is None:
            record = self.routes[name] = RouteHealth(name)
        return record

    @property
    def connected(self) -> bool:
        """True only when every route is connected."""
        return bool(self.routes) and all(r.connected for r in self.routes.values())

    @property
    def reconnects(self) -> int:
        """Reconnects across routes."""
        return sum(r.reconnects for r in self.routes.values())

    @property
    def messages(self) -> int:
        """Frames received across routes."""
        return sum(r.messages for r in self.routes.values())

    @property
    def bad_frames(self) -> int:
        """Frames that failed to parse, across routes."""
        return sum(r.bad_frames for r in self.routes.values())

    def last_message_mono(self) -> float | None:
        """Monotonic time of the most recent frame on any route."""
        times = [r.last_message_mono for r in self.routes.values() if r.last_message_mono]
        return max(times) if times else None
