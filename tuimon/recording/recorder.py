"""The recorder: a market-worker tap that writes what it sees into a recording file."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from tuimon.clock import Clock
from tuimon.recording.file import RecordingWriter
from tuimon.recording.format import Kind, rest_meta

_PRIVATE_PARAMS = frozenset({"signature", "timestamp", "recvWindow", "listenKey"})
"""Never written, should a signed request ever pass a tap: the recording is market data only."""


class Recorder:
    """Implements :class:`tuimon.feeds.hooks.Tap`: every record gets its receive time,
    microseconds since the recorder started, from the worker's own clock."""

    def __init__(
        self, writer: RecordingWriter, clock: Clock, start_mono: float | None = None
    ) -> None:
        """``start_mono``: the monotonic time of the header's ``started_ms`` (default: now)."""
        self.writer = writer
        self.clock = clock
        self._start = clock.monotonic() if start_mono is None else start_mono

    def _t_us(self) -> int:
        return max(0, int((self.clock.monotonic() - self._start) * 1_000_000))

    def frame(self, route: str, raw: bytes) -> None:
        """A raw stream frame, before it is parsed."""
        self.writer.add(Kind.WS, self._t_us(), route.encode(), raw)

    def opened(self, route: str, reopened: bool) -> None:
        """A connection (re)opened."""
        body = orjson.dumps({"reopened": reopened})
        self.writer.add(Kind.OPEN, self._t_us(), route.encode(), body)

    def state(self, route: str, connected: bool, error: str) -> None:
        """A connection's state changed."""
        body = orjson.dumps({"connected": connected, "error": error})
        self.writer.add(Kind.STATE, self._t_us(), route.encode(), body)

    def rest(self, name: str, url: str, params: dict[str, Any], body: bytes) -> None:
        """A REST response with its exact body."""
        if _PRIVATE_PARAMS & params.keys():
            return
        path = urlsplit(url).path
        self.writer.add(Kind.REST, self._t_us(), rest_meta(name, path, params), body)


def public_url(url: str) -> str:
    """A base URL for the header, without any ``user:password@``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
