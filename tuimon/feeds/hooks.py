"""Optional hooks of the market worker: a tap that sees raw traffic (``tuimon record``) and a
factory for its stream connections (replay supplies connections fed from a file).

Both are passed in, never subclassed, so the live path stays the same code and costs nothing
extra when they are absent: without a tap the connections call ``MarketFeed.ingest`` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from tuimon.clock import Clock
from tuimon.protocol.endpoints import Endpoints, Route
from tuimon.protocol.models import ControlReply


class Tap(Protocol):
    """Sees market traffic exactly as it arrived. Public market data only: the user-data
    worker and signed requests have no tap."""

    def frame(self, route: str, raw: bytes) -> None:
        """A raw stream frame on the connection named ``route``, before it is parsed."""
        ...

    def opened(self, route: str, reopened: bool) -> None:
        """A connection (re)opened; its books restart from a fresh snapshot."""
        ...

    def state(self, route: str, connected: bool, error: str) -> None:
        """A connection's state changed (``error`` says why, or is empty)."""
        ...

    def rest(self, name: str, url: str, params: dict[str, Any], body: bytes) -> None:
        """A REST response (status 200) with its exact body."""
        ...


class StreamLike(Protocol):
    """What the market worker needs from a stream connection."""

    name: str
    route: Route

    def set_streams(self, streams: set[str]) -> None:
        """Streams this connection should carry."""
        ...

    def on_reply(self, reply: ControlReply) -> None:
        """A control reply arrived for this connection."""
        ...

    def request_rotation(self) -> None:
        """Replace the socket (serverShutdown)."""
        ...

    async def run(self) -> None:
        """Deliver frames until cancelled."""
        ...


class ConnectionFactory(Protocol):
    """Makes the worker's stream connections (default: a real WebSocket per route)."""

    def __call__(
        self,
        name: str,
        endpoints: Endpoints,
        route: Route,
        *,
        on_frame: Callable[[str, bytes], object],
        on_open: Callable[[Any, bool], None],
        on_state: Callable[[str, bool, str], None],
        clock: Clock,
        config: Any,
        proxies: Any,
        on_read_end: Callable[[str], object],
    ) -> StreamLike:
        """A connection that calls the callbacks as a StreamConnection does."""
        ...
