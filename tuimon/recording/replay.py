"""Replay a recording through the real market worker.

The recorded frames go through the same :meth:`MarketFeed.ingest` as live traffic, delivered
by :class:`ReplayConnection` objects the worker makes through its connection factory; the
worker's REST calls (exchangeInfo, depth snapshots, klines, stall checks) are answered by
:class:`ReplayRest` with the recorded responses, each no earlier than it arrived in the
recording. So the sequence checks, buffering and resyncs all run as they did live.

Time is a :class:`Playhead`: the recording's own clock, moved by the driver to each record's
receive time and between records by the loop's clock times ``speed``. It can pause, change
speed and restart. :class:`ReplayClock` shows it to the Store as a :class:`~tuimon.clock.Clock`:
wall time is the recording's (so ages and the health bar clock are as of the replay
position), and monotonic time never goes backwards, across restarts too.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import orjson

from tuimon.clock import Clock
from tuimon.feeds.rest import RestError
from tuimon.protocol.endpoints import Endpoints, Route
from tuimon.protocol.models import ControlReply
from tuimon.recording.file import RecordingReader
from tuimon.recording.format import Header, Kind, Record, RestRequest, request_key

log = logging.getLogger(__name__)

MIN_SPEED = 1 / 16
MAX_SPEED = 256.0
MAX_SLEEP = 0.1
"""Real seconds the driver sleeps at most before looking again (pause and speed keys act
within this)."""
YIELD_EVERY = 64
"""Records delivered back to back (a replay behind its schedule) before the driver lets the
rest of the loop run once."""
FIRST_CONNECTION_GRACE = 30.0
"""Loop seconds the driver holds the first stream record for the worker's first connection
(the monitor may still be starting); past it, frames of unopened connections are dropped."""


class Playhead:
    """Position in the recording (seconds since its start), moved by a loop clock x speed.

    ``limit`` caps the position at the next undelivered record, so a replay that cannot keep
    up slows down rather than running its clock ahead of its data.
    """

    def __init__(self, now: Callable[[], float], speed: float = 1.0) -> None:
        self._now = now
        self.speed = speed
        self.paused = False
        self._anchor_pos = 0.0
        self._anchor_real = now()
        self.limit = 0.0
        self.epoch = 1000.0
        """Monotonic seconds at position 0 (moved forward by each restart)."""
        self.end = 0.0
        """The last record's time, once known (the end of the recording)."""

    def position(self) -> float:
        """Seconds since the recording started, as of now."""
        if self.paused:
            position = self._anchor_pos
        else:
            position = self._anchor_pos + (self._now() - self._anchor_real) * self.speed
        return position if position < self.limit else self.limit

    def _reanchor(self) -> None:
        self._anchor_pos = self.position()
        self._anchor_real = self._now()

    def set_limit(self, limit: float) -> None:
        """The next record is at ``limit``: time may run up to it, not past it."""
        self._reanchor()
        self.limit = limit

    def arrive(self, t: float) -> None:
        """The driver delivers a record of time ``t``: the position is exactly ``t``."""
        self.limit = t
        self._anchor_pos = t
        self._anchor_real = self._now()

    def wait_for(self, t: float) -> float | None:
        """Loop seconds until the position reaches ``t`` (None while paused)."""
        if self.paused:
            return None
        return (t - self.position()) / self.speed

    def pause(self) -> None:
        """Stop the clock."""
        self._reanchor()
        self.paused = True

    def resume(self) -> None:
        """Start it again."""
        self._reanchor()
        self.paused = False

    def set_speed(self, speed: float) -> float:
        """Change the speed (bounded); returns the new one."""
        self._reanchor()
        self.speed = min(MAX_SPEED, max(MIN_SPEED, speed))
        return self.speed

    def rewind(self) -> None:
        """Back to position 0; monotonic time goes on from where it was."""
        self.epoch += self.position() + 1.0
        self.limit = 0.0
        self._anchor_pos = 0.0
        self._anchor_real = self._now()


class ReplayClock(Clock):
    """The Store's clock during a replay: the playhead as wall and monotonic time."""

    def __init__(self, playhead: Playhead, started_ms: int) -> None:
        self.playhead = playhead
        self.started_ms = started_ms

    def wall_ms(self) -> int:
        """The recording's wall time at the replay position."""
        return self.started_ms + int(self.playhead.position() * 1000)

    def monotonic(self) -> float:
        """Never backwards: the epoch moves forward on restart."""
        return self.playhead.epoch + self.playhead.position()


class ReplayRest:
    """Answers the worker's REST calls from the recording (same ``get`` as RestClient).

    A request gets the oldest recorded response to the same request (name and parameters)
    not yet given out; when none has been replayed yet it waits for the next one, so it gets
    its answer when the live session did. A request the recording never answers waits until
    the recording ends and then fails like an unreachable exchange.
    """

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self._ready: dict[tuple[str, tuple[tuple[str, str], ...]], deque[bytes]] = {}
        self._waiting: dict[tuple[str, tuple[tuple[str, str], ...]], deque[asyncio.Future[bytes]]]
        self._waiting = {}
        self.finished = False
        self.served = 0

    def offer(self, request: RestRequest, body: bytes) -> None:
        """A recorded response: to the oldest waiting request for it, else kept for the next."""
        key = (request.name, request.params)
        waiting = self._waiting.get(key)
        while waiting:
            future = waiting.popleft()
            if not future.done():
                future.set_result(body)
                return
        self._ready.setdefault(key, deque()).append(body)

    def finish(self) -> None:
        """The recording ended: every open and later request fails."""
        self.finished = True
        for waiting in self._waiting.values():
            for future in waiting:
                if not future.done():
                    future.set_exception(RestError("not in the recording"))
        self._waiting.clear()

    def reset(self) -> None:
        """Forget everything (a restart); waiting requests fail."""
        self.finish()
        self._ready.clear()
        self.finished = False

    async def get(self, name: str, params: dict[str, Any] | None = None, weight: int = 1) -> Any:
        """The recorded response's parsed JSON body."""
        key = (name, request_key(params or {}))
        ready = self._ready.get(key)
        if ready:
            body = ready.popleft()
        elif self.finished:
            raise RestError(f"{name}: not in the recording")
        else:
            future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(key, deque()).append(future)
            try:
                body = await future
            except RestError:
                raise RestError(f"{name}: not in the recording") from None
        self.served += 1
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise RestError(f"{name}: response is not JSON") from None


class ReplayConnection:
    """A stream connection fed by the replay driver (see :class:`tuimon.feeds.hooks.StreamLike`)."""

    def __init__(
        self,
        source: ReplaySource,
        name: str,
        route: Route,
        on_frame: Callable[[str, bytes], object],
        on_open: Callable[[Any, bool], None],
        on_state: Callable[[str, bool, str], None],
        on_read_end: Callable[[str], object],
    ) -> None:
        self.source = source
        self.name = name
        self.route = route
        self.desired: set[str] = set()
        self._on_frame = on_frame
        self._on_read_end = on_read_end
        self.on_open = on_open
        self.on_state = on_state

    def deliver(self, raw: bytes) -> None:
        """One recorded frame, as one read (the recording keeps frames, not TCP reads)."""
        self._on_frame(self.name, raw)
        self._on_read_end(self.name)

    def set_streams(self, streams: set[str]) -> None:
        """Recorded: the streams are whatever the recording carries."""
        self.desired = set(streams)

    def on_reply(self, reply: ControlReply) -> None:
        """Control replies in the recording answered the live session's requests."""

    def request_rotation(self) -> None:
        """A recorded serverShutdown: the recording's own next OPEN record follows."""

    async def run(self) -> None:
        """Registered with the source until cancelled; catch up with a socket already open."""
        source = self.source
        source.connections[self.name] = self
        source.registered.set()
        try:
            state = source.route_state.get(self.name)
            if state is not None:
                connected, error = state
                self.on_state(self.name, connected, error)
                if connected:
                    self.on_open(self, False)
            await asyncio.Event().wait()
        finally:
            if source.connections.get(self.name) is self:
                del source.connections[self.name]


class ReplaySource:
    """Reads a recording and delivers it at the playhead's pace: frames to the worker's
    connections, REST responses to :class:`ReplayRest`, socket events to the worker."""

    def __init__(self, reader: RecordingReader, playhead: Playhead, rest: ReplayRest) -> None:
        self.reader = reader
        self.header: Header = reader.header
        self.playhead = playhead
        self.rest = rest
        self.connections: dict[str, ReplayConnection] = {}
        self.route_state: dict[str, tuple[bool, str]] = {}
        self.registered = asyncio.Event()
        self.resumed = asyncio.Event()
        self.done = asyncio.Event()
        self.frames = 0
        self.dropped = 0
        """Frames of connections the replaying worker did not open."""
        self.damage: str | None = None

    def connection(
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
    ) -> ReplayConnection:
        """The worker's connection factory (:class:`tuimon.feeds.hooks.ConnectionFactory`)."""
        return ReplayConnection(self, name, route, on_frame, on_open, on_state, on_read_end)

    async def run(self) -> None:
        """Deliver every record at its time; ``done`` is set at the end (or the damage)."""
        playhead = self.playhead
        gated = False
        burst = 0
        try:
            for record in self.reader.records():
                t = record.t_us / 1_000_000
                if t > playhead.limit:
                    playhead.set_limit(t)
                while True:
                    wait = playhead.wait_for(t)
                    if wait is None:
                        self.resumed.clear()
                        await self.resumed.wait()
                        continue
                    if wait <= 1e-6:
                        break
                    burst = 0
                    await asyncio.sleep(min(wait, MAX_SLEEP))
                if not gated and record.kind in (Kind.WS, Kind.OPEN, Kind.STATE):
                    gated = True
                    if not self.connections:
                        try:
                            await asyncio.wait_for(
                                self.registered.wait(), FIRST_CONNECTION_GRACE
                            )
                        except TimeoutError:
                            log.info("replay: no connection opened; frames are dropped")
                playhead.arrive(t)
                self.deliver(record)
                burst += 1
                if burst >= YIELD_EVERY:
                    burst = 0
                    await asyncio.sleep(0)
            self.damage = self.reader.damage
        finally:
            playhead.end = playhead.position()
            self.rest.finish()
            self.done.set()

    def deliver(self, record: Record) -> None:
        """One record, now."""
        kind = record.kind
        if kind is Kind.WS:
            connection = self.connections.get(record.meta.decode())
            if connection is None:
                self.dropped += 1
                return
            self.frames += 1
            connection.deliver(record.body)
        elif kind is Kind.REST:
            try:
                request = RestRequest.parse(record.meta)
            except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
                log.warning("replay: skipped a REST record with unreadable meta")
                return
            self.rest.offer(request, record.body)
        elif kind is Kind.OPEN or kind is Kind.STATE:
            self._socket_event(record)

    def _socket_event(self, record: Record) -> None:
        name = record.meta.decode()
        try:
            data = orjson.loads(record.body)
        except orjson.JSONDecodeError:
            return
        if not isinstance(data, dict):
            return
        connection = self.connections.get(name)
        if record.kind is Kind.STATE:
            connected = bool(data.get("connected"))
            error = str(data.get("error", ""))
            self.route_state[name] = (connected, error)
            if connection is not None:
                connection.on_state(name, connected, error)
        elif connection is not None:
            connection.on_open(connection, bool(data.get("reopened")))

    def pause(self) -> None:
        """Hold the clock and the frames."""
        self.playhead.pause()

    def resume(self) -> None:
        """Go on."""
        self.playhead.resume()
        self.resumed.set()
