"""Counters that let tests assert that something really happened on the wire.

Plain ints on one object: written only from the simulator's event loop, read from anywhere (an
int read is atomic in CPython, so SimThread callers can poll them without locks).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class SimStats:
    # connections
    connections_opened: int = 0
    connections_closed: int = 0
    connections_rejected: int = 0  # handshake refused (bad stream names, too many streams)
    rate_limit_disconnects: int = 0  # incoming message budget exceeded (§3)
    ping_timeouts: int = 0  # no pong before the deadline
    lifetime_closes: int = 0  # max_lifetime reached
    slow_consumer_closes: int = 0  # outgoing queue overflow
    pings_sent: int = 0
    pongs_received: int = 0
    # frames
    frames_sent: int = 0
    bytes_sent: int = 0
    frames_silenced: int = 0  # data frames suppressed by the silence fault
    control_replies: int = 0
    control_errors: int = 0
    # REST
    rest_requests: int = 0
    rest_429: int = 0
    rest_418: int = 0
    rest_errors: int = 0  # 4xx other than 429/418
    rest_delayed: int = 0
    # faults, as they take effect
    gaps_injected: int = 0  # diff events dropped
    stale_sent: int = 0  # old diff events re-sent
    duplicates_sent: int = 0  # diff events sent twice
    disconnects_injected: int = 0  # connections killed by the disconnect fault
    silences_injected: int = 0
    shutdowns_sent: int = 0  # serverShutdown events sent
    malformed_sent: int = 0  # garbage frames sent
    rest_429_injected: int = 0
    rest_418_injected: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)  # inject() calls per kind

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
