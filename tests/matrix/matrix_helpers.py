"""One cell of the fault matrix: a real worker against a fresh simulator, one fault, and a record
of what the screen showed while it lasted.

A cell starts a seeded simulator and the real worker (:class:`MarketFeed` or :class:`UserFeed`),
waits until the state is right (books live and equal to the simulator's truth; the account
converged), injects the fault, and waits (event-driven: the Store's and AccountStore's waiters,
never a sleep) until the state is right again. Every store change on the way is sampled through
the real widgets, unmounted: the :class:`HealthBar`, fed from a :class:`CapturedLog` exactly as
``TuimonApp.flush_frame`` feeds it, for the market worker; the :class:`OrdersPane` (and the same
log line) for the user worker. A sample is what the screen would say at that moment; only
changes are kept, so a probe's ``samples`` are the health transitions of the cell.

Timing model (every figure in seconds, by ``time.monotonic``):

- ``shown``: the first sample where the case's ``shows`` holds: the health shows the fault (or,
  for a fault tuimon absorbs, the fault has visibly taken effect while everything stayed live).
- ``origin``: when recovery can start: ``shown``, or the fault's end for a fault that lasts
  (``ends_after``), whichever is later.
- ``recovered``: the first sample from ``origin`` on where the state is right again.

A cell asserts ``shown - injected <= detect``, ``recovered - origin <= bound``, that no ``never``
sample appeared (a false alarm, or another book dragged along), and the exact state afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from feed_helpers import assert_books_true, progressed, running_feed
from private_helpers import assert_converges, fast_config, hmac_credentials, matches_truth

from tuimon.feeds.backoff import Backoff
from tuimon.feeds.user import UserFeed
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.sim import SimServer
from tuimon.store import Store
from tuimon.store.freshness import SILENT_FLOOR
from tuimon.ui.logbridge import CapturedLog
from tuimon.ui.widgets.health_bar import HealthBar, route_state
from tuimon.ui.widgets.orders_pane import OrdersPane

Worker = Literal["market", "user"]
MARKETS: tuple[str, ...] = ("spot", "usdm", "coinm")
USER_MARKETS: tuple[str, ...] = ("spot", "usdm")
NO_USER_WORKER = (
    "coinm: no user-data worker (make_user_feed disables the account view there) and no "
    "private simulator side"
)

# ----------------------------------------------------------------------------- fast simulator

SEED = 7
_LINEAR = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
SYMBOLS: dict[str, list[str]] = {
    "spot": _LINEAR,
    "usdm": _LINEAR,
    "coinm": ["BTCUSD_PERP", "ETHUSD_PERP", "SOLUSD_PERP"],
}
"""The books (and tickers, klines) each cell watches."""


def faulted(market: str) -> str:
    """The book a symbol-scoped fault hits; the others must stay live meanwhile."""
    return SYMBOLS[market][0]


DEPTH_MS = 20
"""The simulator's diff cadence: 5x the reference @100ms, so a resync takes milliseconds."""
DIFF_PERIOD = DEPTH_MS / 1000
PING, PONG = 1.0, 3.0
"""Server pings every second (the reference: 20 s spot, 3 min futures), so every cell also
proves the pings are answered through the fault."""
WAIT = 20.0
"""Ceiling for an event wait; a cell returns as soon as its event happens."""

# ----------------------------------------------------------------------------- bounds

_DOCUMENTED = Backoff()
FIRST_DELAY = _DOCUMENTED.base
"""The first reconnect after a working connection waits ``base * 2**0 * jitter``, jitter in
[0.5, 1): under 0.5 s (tuimon/feeds/backoff.py; reference §3, §8)."""
RESYNC = 1.5
"""Ceiling for the work after the decision to reconnect or resync: a loopback WebSocket
handshake, the REST snapshot (one depth snapshot per book; on the user side the account's two
to three signed GETs, after the listenKey POST on usdm) and the first diff that links. Measured
0.02-0.3 s on this 2-core machine when idle; the rest is room for the other suites and a soak
benchmark on the same cores. What it still catches: any wait the protocol does not ask for
(a second Retry-After, a backoff grown past its first round, the 60 s auth retry)."""
SLACK = 0.5
"""Ceiling for the health to show a fault beyond the fault's own timing: an event-loop turn and a
frame or two on busy cores."""
REST_RETRY = 1.0
"""RestClient.get pauses ``0.5 * (1 + random())`` s (< 1 s) before its first retry, then waits
out whatever Retry-After remains."""
SIGNED_RETRY = 0.5
"""SignedRestClient._send pauses 0.5 s before its first retry, then waits out Retry-After."""


def backoff_ceiling(failures: int) -> float:
    """The longest delay the documented backoff picks after ``failures`` (>= 1) in a row."""
    return min(_DOCUMENTED.cap, _DOCUMENTED.base * 2 ** (failures - 1))


def rest_wait(retry_after: float, first_retry: float) -> float:
    """Time a refused request keeps a REST client waiting: the first retry pause or the
    Retry-After, whichever ends later (both start at the refusal)."""
    return max(retry_after, first_retry)


# ----------------------------------------------------------------------------- samples


@dataclass(frozen=True, slots=True)
class RouteView:
    """One connection as the health bar shows it."""

    name: str
    state: str
    """``up``, ``stale`` or ``down`` (health_bar.route_state)."""
    reconnects: int


@dataclass(frozen=True, slots=True)
class MarketSample:
    """What the market side of the screen says at one moment (``at`` is not compared)."""

    at: float = field(compare=False)
    faulted: str
    """The symbol a symbol-scoped fault hits."""
    bar: str
    """HealthBar.state: ``ok``, ``connecting``, ``stale`` or ``disconnected``."""
    line: str
    """HealthBar.status_line: the problem line (``DISCONNECTED: ...``, ``⚠ ...``)."""
    routes: tuple[RouteView, ...]
    resyncs: int
    bad_frames: int
    books: tuple[tuple[str, str], ...]
    """(symbol, Store.book_freshness): ``live`` is the only state the ladder draws as live."""
    gaps: int
    """The faulted book's gaps (BookSync stats, not on screen: proof the fault took effect)."""
    skipped: int
    """The faulted book's stale/duplicate events skipped (likewise)."""

    def book(self) -> str:
        """The faulted book's freshness."""
        return dict(self.books)[self.faulted]

    def others_live(self) -> bool:
        return all(state == "live" for name, state in self.books if name != self.faulted)

    @property
    def reconnects(self) -> int:
        return sum(r.reconnects for r in self.routes)

    def any_down(self) -> bool:
        return any(r.state == "down" for r in self.routes)

    def all_reconnected_since(self, before: MarketSample) -> bool:
        """Every route has reconnected at least once more than in ``before``."""
        old = {r.name: r.reconnects for r in before.routes}
        return bool(self.routes) and all(r.reconnects > old.get(r.name, 0) for r in self.routes)


@dataclass(frozen=True, slots=True)
class AccountSample:
    """What the account side of the screen says at one moment (``at`` is not compared)."""

    at: float = field(compare=False)
    pane: str
    """OrdersPane.state: ``live`` or ``stale`` (drawn ``⚠ NOT LIVE`` with the status)."""
    status: str
    """AccountStore.status: the line the pane shows while not live."""
    reconciles: int
    note: str
    """Newest warning in the log: the health bar's problem line shows it."""


Sample = MarketSample | AccountSample
S = TypeVar("S", MarketSample, AccountSample)
Check = Callable[[Any, Any], bool]
"""A predicate over (the sample before injection, a sample during the cell)."""


# ----------------------------------------------------------------------------- the table's row


@dataclass(frozen=True, slots=True)
class FaultCase:
    """One row of the matrix: a fault, the worker it hits, where it exists, what must show."""

    name: str
    """Unique id of the row (a fault may have several: abrupt and clean disconnects)."""
    fault: str
    """The simulator's fault name (FAULT_NAMES, or PRIVATE_FAULT_NAMES for worker "user")."""
    worker: Worker
    markets: tuple[str, ...]
    absent: str
    """Why the markets left out of ``markets`` have no such cell ("" when none is left out)."""
    inject: Callable[[SimServer], object]
    """Injects the fault, and whatever makes a latent fault bite (a REST fault needs a REST
    call; a private fault is followed by account activity that only a reconcile recovers)."""
    shows: Check
    shows_text: str
    """What the screen shows while the fault lasts (for the README and failure messages)."""
    detect: float
    """Seconds from injection within which ``shows`` must hold."""
    bound: float
    """Seconds from ``origin`` (see the module docstring) to the right state again."""
    does: str
    """What the fault does (README)."""
    answer: str
    """How tuimon answers (README)."""
    ends_after: float = 0.0
    """The fault lasts this long after injection (silence); 0: it acts at once."""
    never: Check | None = None
    """Must not hold at any sample of the cell (a false alarm; another book dragged along)."""
    reconnect: bool = False
    """Market: recovered only once every route has reconnected (none may lag unnoticed)."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Worker settings: ``silence_timeout`` (market), UserFeedConfig fields (user)."""


@dataclass(slots=True)
class CellResult:
    """What one cell measured."""

    case: FaultCase
    market: str
    shown_after: float
    """Seconds from injection until the health showed the fault."""
    recovery: float
    """Seconds from origin to the right state."""
    samples: list[Any]


# ----------------------------------------------------------------------------- probes


class WarningLog(CapturedLog):
    """The app's log capture (what the health bar's problem line shows), which also tells the
    probe: a warning can change the screen without any store change (a REST 429 is logged
    while the request waits)."""

    def __init__(self) -> None:
        super().__init__()
        self.listener: Callable[[], object] | None = None
        self._thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        # Only on the loop's thread: the probe reads loop-owned state.
        if record.levelno >= logging.WARNING and self.listener is not None and (
            threading.get_ident() == self._thread
        ):
            self.listener()


@contextlib.contextmanager
def captured_warnings() -> Iterator[WarningLog]:
    """tuimon's log records, kept as the app's log bridge keeps them for the health bar."""
    capture = WarningLog()
    logger = logging.getLogger("tuimon")
    logger.addHandler(capture)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)


class Probe(Generic[S]):
    """Keeps the transitions of what a widget shows; ``on_sample`` sees every new one."""

    def __init__(self, log: WarningLog) -> None:
        self.log = log
        self.samples: list[S] = []
        self.on_sample: Callable[[S], object] | None = None
        log.listener = self.take

    def read(self) -> S:
        raise NotImplementedError

    def take(self) -> S:
        sample = self.read()
        if not self.samples or self.samples[-1] != sample:
            self.samples.append(sample)
            if self.on_sample is not None:
                self.on_sample(sample)
        return sample


class MarketProbe(Probe[MarketSample]):
    """The real HealthBar (unmounted) over a market Store, fed as the app feeds it."""

    def __init__(self, store: Store, log: WarningLog, faulted: str) -> None:
        self.store = store
        self.faulted = faulted
        self.bar = HealthBar(store, store.clock)
        self._warnings = 0
        super().__init__(log)

    def read(self) -> MarketSample:
        store = self.store
        if self.log.warnings != self._warnings:  # as TuimonApp.flush_frame does
            self._warnings = self.log.warnings
            self.bar.note(self.log.latest_warning())
        now = store.clock.monotonic()
        self.bar.flush(now)
        book = store.books.get(self.faulted)
        return MarketSample(
            at=now,
            faulted=self.faulted,
            bar=self.bar.state,
            line=self.bar.status_line,
            routes=tuple(
                RouteView(name, route_state(record, now), record.reconnects)
                for name, record in sorted(store.health.routes.items())
            ),
            resyncs=store.resyncs,
            bad_frames=store.health.bad_frames,
            books=tuple((s, store.book_freshness(s)) for s in sorted(store.books)),
            gaps=book.stats.gaps if book is not None else 0,
            skipped=book.stats.stale if book is not None else 0,
        )


class AccountProbe(Probe[AccountSample]):
    """The real OrdersPane (unmounted) over the Store whose account the worker writes."""

    def __init__(self, store: Store, log: WarningLog) -> None:
        self.store = store
        self.pane = OrdersPane(store, store.clock)
        super().__init__(log)

    def read(self) -> AccountSample:
        account = self.store.account
        self.pane.flush({"account"})
        return AccountSample(
            at=self.store.clock.monotonic(),
            pane=self.pane.state,
            status=account.status,
            reconciles=account.stats.reconciles,
            note=self.log.latest_warning(),
        )


# ----------------------------------------------------------------------------- the cell


async def watch_fault(
    case: FaultCase,
    market: str,
    probe: MarketProbe | AccountProbe,
    wait_until: Callable[[Callable[[Any], bool], float], Awaitable[bool]],
    healthy: Check,
    inject: Callable[[], object],
) -> CellResult:
    """Inject, sample every change until the state is right again, and check the timings."""
    before = probe.take()
    injected = time.monotonic()
    ends = injected + case.ends_after
    shown: Any = None
    recovered: Any = None
    alarms: list[Any] = []

    def seen(sample: Any) -> None:
        nonlocal shown
        if case.never is not None and case.never(before, sample):
            alarms.append(sample)
        if shown is None and case.shows(before, sample):
            shown = sample

    def done(_: object) -> bool:
        # Called on every store change; recovery always comes with one.
        nonlocal recovered
        sample = probe.take()
        if shown is None or sample.at < ends or not healthy(before, sample):
            return False
        recovered = sample
        return True

    probe.on_sample = seen
    try:
        inject()
        finished = await wait_until(done, WAIT)
    finally:
        probe.on_sample = None
    where = f"{case.name} on {market}"
    trail = "\n  ".join(map(repr, probe.samples[-12:]))
    assert shown is not None, f"{where}: the health never showed {case.shows_text!r}:\n  {trail}"
    assert finished, f"{where}: not recovered within {WAIT} s:\n  {trail}"
    assert not alarms, f"{where}: must not show {alarms[0]!r}"
    shown_after = shown.at - injected
    recovery = recovered.at - max(shown.at, ends)
    assert shown_after <= case.detect, (
        f"{where}: shown after {shown_after:.3f} s > {case.detect:.3f} s:\n  {trail}"
    )
    assert recovery <= case.bound, (
        f"{where}: recovered {recovery:.3f} s after the fault > bound {case.bound:.3f} s:\n"
        f"  {trail}"
    )
    return CellResult(case, market, shown_after, recovery, list(probe.samples))


def _market_healthy(case: FaultCase) -> Check:
    def healthy(before: MarketSample, sample: MarketSample) -> bool:
        if sample.bar != "ok" or any(state != "live" for _, state in sample.books):
            return False
        return not case.reconnect or sample.all_reconnected_since(before)

    return healthy


async def run_market_cell(market: str, case: FaultCase) -> CellResult:
    """The market worker (tickers, books, 1m klines of SYMBOLS[market]) through one fault."""
    options = dict(case.options)
    silence_timeout = float(options.pop("silence_timeout", 15.0))
    settled = bool(options.pop("settled", False))
    assert not options, f"unknown market options {options}"
    symbols = SYMBOLS[market]
    async with running_feed(
        market,
        symbols,
        silence_timeout=silence_timeout,
        seed=SEED,
        depth_interval_ms=DEPTH_MS,
        ping_interval=PING,
        pong_timeout=PONG,
    ) as (sim, store, feed):
        for connection in feed._connections.values():
            connection._backoff.rng.seed(SEED)  # the documented backoff, its jitter seeded
        with captured_warnings() as log:
            probe = MarketProbe(store, log, faulted(market))

            def steady(s: Store) -> bool:
                # With ``settled``, liquid books whose cadence estimate has come down to the
                # floor (half a second here), so a stall is flagged at its documented 1.5 s.
                return all(
                    (sync := s.books.get(x)) is not None
                    and sync.synced
                    and s.book_freshness(x) == "live"
                    and (not settled or s.pulse(x).limit() == SILENT_FLOOR)  # type: ignore[union-attr]
                    for x in symbols
                ) and probe.take().bar == "ok"

            assert await store.wait_until(steady, WAIT), probe.samples[-3:]
            assert_books_true(sim, store, symbols)
            result = await watch_fault(
                case, market, probe, store.wait_until, _market_healthy(case),
                lambda: case.inject(sim),
            )
            # Exact state: every book equals the simulator's truth at its last update id, now
            # and again after more diffs (the stream really flows again).
            assert_books_true(sim, store, symbols)
            assert await store.wait_until(progressed(store, symbols, 3), WAIT)
            assert_books_true(sim, store, symbols)
            assert store.health.connected
    return result


@contextlib.asynccontextmanager
async def running_account(market: str, options: Mapping[str, Any]) -> AsyncIterator[
    tuple[SimServer, Store, UserFeed]
]:
    """Simulator + the user worker writing ``store.account`` (as the app wires it)."""
    sim = SimServer(market=market, seed=SEED, port=0, ping_interval=PING, pong_timeout=PONG)
    await sim.start()
    endpoints = resolve_endpoints(
        Market(market), stream_url=sim.stream_url, rest_url=sim.rest_url,
        ws_api_url=sim.ws_api_url, env={},
    )
    store = Store(market, futures=market != "spot")
    config = fast_config(**options)
    feed = UserFeed(store.account, endpoints, hmac_credentials(), config=config,
                    backoff=Backoff(rng=random.Random(SEED)))  # documented, jitter seeded
    feed.start()
    try:
        yield sim, store, feed
    finally:
        await feed.close()
        await sim.stop()


async def run_user_cell(market: str, case: FaultCase) -> CellResult:
    """The user-data worker through one fault; the account must equal the simulator's."""
    async with running_account(market, case.options) as (sim, store, _feed):
        account = store.account
        truth = matches_truth(sim)
        with captured_warnings() as log:
            probe = AccountProbe(store, log)
            sim.private.step(5)
            await assert_converges(sim, account)

            def healthy(before: AccountSample, sample: AccountSample) -> bool:
                # Reconciled since the fault, live, and equal to the exchange: account activity
                # during the fault reached the client through nothing but that reconcile.
                return (sample.pane == "live" and sample.reconciles > before.reconciles
                        and truth(account))

            result = await watch_fault(
                case, market, probe, account.wait_until, healthy, lambda: case.inject(sim),
            )
            # Exact state, then live events flow again.
            await assert_converges(sim, account)
            sim.private.step(3)
            await assert_converges(sim, account)
    return result


async def run_cell(market: str, case: FaultCase) -> CellResult:
    if case.worker == "market":
        return await run_market_cell(market, case)
    return await run_user_cell(market, case)


def sim_faults(market: str, names: Iterable[str], worker: Worker) -> set[str]:
    """The faults of ``names`` the simulator of ``market`` has (it refuses, with ValueError,
    those that do not exist on that market). Call inside a running loop; nothing is started,
    so a fault finds no connection to act on."""
    sim = SimServer(market=market, seed=SEED, port=0)
    accepted = set()
    try:
        for fault in names:
            try:
                if worker == "market":
                    sim.inject(fault)
                else:
                    sim.private.inject(fault)
            except ValueError:
                continue
            accepted.add(fault)
    finally:
        for handle in sim.timers:
            handle.cancel()
    return accepted


def fmt_seconds(value: float) -> str:
    return f"{value:.2f} s"


__all__ = [
    "DIFF_PERIOD",
    "FIRST_DELAY",
    "MARKETS",
    "SYMBOLS",
    "NO_USER_WORKER",
    "RESYNC",
    "REST_RETRY",
    "SIGNED_RETRY",
    "SILENT_FLOOR",
    "SLACK",
    "USER_MARKETS",
    "AccountSample",
    "CellResult",
    "FaultCase",
    "MarketSample",
    "backoff_ceiling",
    "faulted",
    "rest_wait",
    "run_cell",
    "sim_faults",
]
