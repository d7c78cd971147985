"""The fault matrix (issue 12 §5): every simulator fault x market x worker, table-driven.

Each cell runs the real worker against a fresh seeded simulator, injects one fault and asserts
(see matrix_helpers for the timing model):

a) recovery within the bound the protocol and the documented backoff imply (FIRST_DELAY: the
   first reconnect, under 0.5 s; RESYNC: connect + snapshot; plus Retry-After where the
   exchange says so), measured from when the fault ends or showed;
b) the exact state afterwards: every book equal to the simulator's truth at its last update id,
   the account equal to the simulator's (balances, open orders, positions);
c) the health showed the fault while it lasted: the real HealthBar / OrdersPane, sampled at
   every store change between injection and recovery, reached the state the row names (and
   never showed what ``never`` forbids: a false alarm, another book dragged along).

A cell that does not exist on a market is absent from TABLE by construction (``markets=``, with
the reason in ``absent=``); test_the_table_covers_every_simulator_fault checks against the
simulators themselves that every fault they have is in the table wherever it exists.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from feed_helpers import assert_books_true
from matrix_helpers import (
    DEPTH_MS,
    DIFF_PERIOD,
    FIRST_DELAY,
    MARKETS,
    NO_USER_WORKER,
    PING,
    PONG,
    REST_RETRY,
    RESYNC,
    SEED,
    SIGNED_RETRY,
    SILENT_FLOOR,
    SLACK,
    SYMBOLS,
    USER_MARKETS,
    WAIT,
    AccountSample,
    FaultCase,
    MarketSample,
    backoff_ceiling,
    faulted,
    rest_wait,
    run_cell,
    sim_faults,
)
from private_helpers import assert_converges, fast_config, hmac_credentials

from tuimon.clock import SystemClock
from tuimon.config import Settings
from tuimon.feeds.backoff import Backoff
from tuimon.feeds.market import MarketFeed
from tuimon.feeds.user import UserFeed
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.sim import SimServer
from tuimon.sim.faults import FAULT_NAMES
from tuimon.sim.private import PRIVATE_FAULT_NAMES
from tuimon.store import Store
from tuimon.ui.app import TuimonApp
from tuimon.ui.factory import build_app

NOT_FAULTS = {
    "clear": "a control, not a fault: it disarms pending faults and lifts REST bans; every cell "
    "starts on a fresh simulator instead",
}
"""Simulator verbs that are not faults, with the reason they have no row (both simulators)."""

RETRY_AFTER = 1  # seconds: the smallest Retry-After (the header is whole seconds)
SLOW_REST = 0.3  # seconds a slow REST response is held (under RestClient's 10 s timeout)
SILENCE_TIMEOUT = 0.5  # the market watchdog, for the silence row (default 15 s)
SILENCE = 1.0  # seconds the whole market is silent: twice the watchdog timeout
STALL = 1.8  # seconds one book is silent: past its 1.5 s limit, then it must come back
KEEPALIVE = 0.4  # usdm listenKey PUT period for the silent-expiry row (default 30 min)
AUTH_RETRY = 0.5  # UserFeedConfig.auth_retry_delay for the bad-signature row (default 60 s)
LOST = 4  # account actions right after a private fault: only a reconcile can recover them


# ----------------------------------------------------------------------------- injections


def market(fault: str, *, one_book: bool = False, **params: object):
    """A market fault, on the faulted book alone or on everything."""
    return lambda sim: sim.inject(fault, faulted(sim.market) if one_book else None, **params)


def rest_then_gap(fault: str, **params: object):
    """A REST fault is latent until a REST call: a gap makes the worker fetch one snapshot."""

    def inject(sim: SimServer) -> None:
        sim.inject(fault, **params)
        sim.inject("gap", faulted(sim.market))

    return inject


def private(fault: str, *, then_disconnect: bool = False, **params: object):
    """A private fault, then account activity the client can only learn from a reconcile."""

    def inject(sim: SimServer) -> None:
        sim.private.inject(fault, **params)
        if then_disconnect:  # the fault bites on the reconnect's signed requests
            sim.private.inject("disconnect")
        sim.private.step(LOST)

    return inject


def rest_on_reconnect(fault: str, **params: object):
    """A REST fault on the account snapshot: armed, then the private socket dropped."""

    def inject(sim: SimServer) -> None:
        sim.inject(fault, **params)
        sim.private.inject("disconnect")
        sim.private.step(LOST)

    return inject


# ----------------------------------------------------------------------------- what shows


def book_resyncing(before: MarketSample, s: MarketSample) -> bool:
    return s.book() == "syncing" and s.resyncs > before.resyncs


def other_book_not_live(before: MarketSample, s: MarketSample) -> bool:
    return not s.others_live()


def absorbed(count: int):
    """The events were skipped (a client counter) while every book and the bar stayed live."""
    return lambda before, s: s.skipped >= before.skipped + count and s.bar == "ok"


def any_alarm(before: MarketSample, s: MarketSample) -> bool:
    return (s.bar != "ok" or any(state != "live" for _, state in s.books)
            or s.resyncs > before.resyncs or s.reconnects > before.reconnects)


def bar_disconnected(before: MarketSample, s: MarketSample) -> bool:
    return s.bar == "disconnected" and s.any_down() and s.line.startswith("DISCONNECTED")


def bar_silent(before: MarketSample, s: MarketSample) -> bool:
    return bar_disconnected(before, s) and "silent for" in s.line


def book_stalled(before: MarketSample, s: MarketSample) -> bool:
    return s.book() == "silent" and s.bar == "stale" and f"{s.faulted} book silent" in s.line


def replaced(before: MarketSample, s: MarketSample) -> bool:
    return s.reconnects > before.reconnects and s.resyncs > before.resyncs


def route_down(before: MarketSample, s: MarketSample) -> bool:
    return s.any_down()


def bad_frames_counted(count: int):
    return lambda before, s: s.bad_frames >= before.bad_frames + count and s.bar == "ok"


def rate_limited(code: int):
    def shows(before: MarketSample, s: MarketSample) -> bool:
        return book_resyncing(before, s) and f"HTTP {code}" in s.line

    return shows


def not_live(*words: str):
    """The pane says NOT LIVE with a status containing every word."""

    def shows(before: AccountSample, s: AccountSample) -> bool:
        return s.pane == "stale" and all(w in s.status for w in words)

    return shows


def not_live_noting(code: int):
    def shows(before: AccountSample, s: AccountSample) -> bool:
        return s.pane == "stale" and f"HTTP {code}" in s.note

    return shows


# ----------------------------------------------------------------------------- the table

_SPOT_ONLY = "serverShutdown exists on spot only (reference §3: none documented on futures)"

TABLE: list[FaultCase] = [
    # ---------------------------------------------------------------- market worker
    FaultCase(
        name="gap", fault="gap", worker="market", markets=MARKETS, absent="",
        inject=market("gap", one_book=True),
        does="drops one diff of one book; ids still advance, so the next U (spot) / pu "
        "(futures) shows the hole",
        answer="the gap rule drops that book alone, refetches its snapshot and replays; the "
        "others stay live",
        shows=book_resyncing, shows_text="that book syncing, resyncs +1",
        # The drop hits the next diff and the one after it shows the hole.
        detect=2 * DIFF_PERIOD + SLACK, bound=RESYNC, never=other_book_not_live,
    ),
    FaultCase(
        name="stale", fault="stale", worker="market", markets=MARKETS, absent="",
        inject=market("stale", one_book=True, count=3, age=3),
        does="re-sends, byte for byte, the diff sent 3 events earlier (3 times)",
        answer="skipped by the sequence rule (u <= book id): nothing to show, no resync",
        shows=absorbed(3), shows_text="every book and the bar live, 3 events skipped",
        detect=4 * DIFF_PERIOD + SLACK, bound=0.0, never=any_alarm,
    ),
    FaultCase(
        name="duplicate", fault="duplicate", worker="market", markets=MARKETS, absent="",
        inject=market("duplicate", one_book=True, count=3),
        does="sends each of the next 3 diffs twice",
        answer="the copy is skipped by the sequence rule: nothing to show, no resync",
        shows=absorbed(3), shows_text="every book and the bar live, 3 copies skipped",
        detect=4 * DIFF_PERIOD + SLACK, bound=0.0, never=any_alarm,
    ),
    FaultCase(
        name="disconnect-abrupt", fault="disconnect", worker="market", markets=MARKETS,
        absent="", inject=market("disconnect", abrupt=True),
        does="cuts every stream socket without a close frame (a network cut)",
        answer="route down at once; reconnect after the first backoff; every book resynced",
        shows=bar_disconnected, shows_text="DISCONNECTED, the route ✕",
        detect=SLACK, bound=FIRST_DELAY + RESYNC, reconnect=True,
    ),
    FaultCase(
        name="disconnect-clean", fault="disconnect", worker="market", markets=MARKETS,
        absent="", inject=market("disconnect", abrupt=False, code=1001),
        does="closes every stream socket cleanly (1001 going away)",
        answer="as the abrupt cut: reconnect after the first backoff, books resynced",
        shows=bar_disconnected, shows_text="DISCONNECTED, the route ✕",
        detect=SLACK, bound=FIRST_DELAY + RESYNC, reconnect=True,
    ),
    FaultCase(
        name="silence", fault="silence", worker="market", markets=MARKETS, absent="",
        inject=market("silence", seconds=SILENCE),
        does=f"no data frames at all for {SILENCE:g} s; sockets stay open, pings continue",
        answer="the silence watchdog drops the quiet socket and reconnects until data flows",
        shows=bar_silent, shows_text="DISCONNECTED: ... silent for 0.5 s",
        # The watchdog looks every timeout/4 s.
        detect=SILENCE_TIMEOUT * 1.25 + SLACK,
        # Counted from the silence's end: a socket opened meanwhile may have tripped the
        # watchdog again, so the backoff can be in its second round.
        bound=backoff_ceiling(2) + RESYNC, ends_after=SILENCE, reconnect=True,
        options={"silence_timeout": SILENCE_TIMEOUT},
    ),
    FaultCase(
        name="silence-one-book", fault="silence", worker="market", markets=MARKETS, absent="",
        inject=market("silence", one_book=True, seconds=STALL),
        does=f"one book's diffs stop for {STALL:g} s while the same socket carries the others",
        answer="that book turns silent at its 1.5 s limit (bar STALE naming it), a REST check "
        "confirms the stall; when diffs resume the gap rule resyncs it",
        shows=book_stalled, shows_text="STALE: <symbol> book silent",
        detect=SILENT_FLOOR + SLACK,
        # From the stall's end: the first diff after it does not link (the simulator dropped
        # the silenced ones), so the book resyncs.
        bound=2 * DIFF_PERIOD + RESYNC, ends_after=STALL, never=other_book_not_live,
        options={"settled": True},
    ),
    FaultCase(
        name="slow_rest", fault="slow_rest", worker="market", markets=MARKETS, absent="",
        inject=rest_then_gap("slow_rest", seconds=SLOW_REST, count=1),
        does=f"holds the next REST response {SLOW_REST:g} s (here: a gap's depth snapshot)",
        answer="that book stays syncing (never shown live) until the snapshot arrives",
        shows=book_resyncing, shows_text="that book syncing",
        detect=2 * DIFF_PERIOD + SLACK, bound=SLOW_REST + RESYNC, never=other_book_not_live,
    ),
    FaultCase(
        name="rest_429", fault="rest_429", worker="market", markets=MARKETS, absent="",
        inject=rest_then_gap("rest_429", retry_after=RETRY_AFTER, count=1),
        does=f"answers the next REST request 429, Retry-After {RETRY_AFTER} s",
        answer="every REST request pauses for Retry-After (no 418 escalation); the book "
        "resyncs after it",
        shows=rate_limited(429), shows_text="book syncing; ⚠ REST HTTP 429: all requests paused",
        detect=2 * DIFF_PERIOD + SLACK, bound=rest_wait(RETRY_AFTER, REST_RETRY) + RESYNC,
        never=other_book_not_live,
    ),
    FaultCase(
        name="rest_418", fault="rest_418", worker="market", markets=MARKETS, absent="",
        inject=rest_then_gap("rest_418", retry_after=RETRY_AFTER, count=1),
        does=f"bans the IP: the next REST request gets 418, Retry-After {RETRY_AFTER} s",
        answer="every REST request waits out the ban; the book resyncs after it",
        shows=rate_limited(418), shows_text="book syncing; ⚠ REST HTTP 418: all requests paused",
        detect=2 * DIFF_PERIOD + SLACK, bound=rest_wait(RETRY_AFTER, REST_RETRY) + RESYNC,
        never=other_book_not_live,
    ),
    FaultCase(
        name="server_shutdown", fault="server_shutdown", worker="market", markets=("spot",),
        absent=_SPOT_ONLY, inject=market("server_shutdown", delay=0.5),
        does="sends serverShutdown on every socket, closes them 0.5 s later",
        answer="a replacement socket opens at once, before the old one closes: the route is "
        "never down; books resync on the new socket",
        shows=replaced, shows_text="reconnects +1, resyncs (route never ✕)",
        # No backoff: a rotation reconnects at once.
        detect=SLACK + RESYNC, bound=RESYNC, never=route_down,
    ),
    FaultCase(
        name="malformed", fault="malformed", worker="market", markets=MARKETS, absent="",
        inject=market("malformed", kinds=["not_json", "truncated", "wrong_types",
                                          "unknown_event", "huge", "binary"]),
        does="sends garbage: HTML, truncated JSON, wrong types, an unknown event, 1 MB, binary",
        answer="each bad frame is counted (bar: bad frames) and dropped; nothing else changes",
        shows=bad_frames_counted(4), shows_text="bad frames +4 or more, all live",
        detect=SLACK, bound=0.0, never=any_alarm,
    ),
    FaultCase(
        name="malformed-non-utf8", fault="malformed", worker="market", markets=MARKETS,
        absent="", inject=market("malformed", kinds=["non_utf8"]),
        does="sends a text frame that is not UTF-8",
        answer="the socket is failed, as RFC 6455 §8.1 requires of a client (1007, the reason "
        "shown), and replaced after the first backoff; its books resync, nothing is lost",
        shows=lambda before, s: bar_disconnected(before, s) and "UTF-8" in s.line,
        shows_text="DISCONNECTED: ... Invalid UTF-8 text message, the route ✕",
        detect=SLACK, bound=FIRST_DELAY + RESYNC, reconnect=True,
    ),
    # ---------------------------------------------------------------- user worker
    FaultCase(
        name="user-disconnect-abrupt", fault="disconnect", worker="user", markets=USER_MARKETS,
        absent=NO_USER_WORKER, inject=private("disconnect", abrupt=True),
        does="cuts the private socket without a close frame; account activity follows",
        answer="NOT LIVE (reconnecting); after the first backoff: subscribe, buffer, REST "
        "snapshot, replay",
        shows=not_live("reconnecting"), shows_text="⚠ NOT LIVE reconnecting: ...",
        detect=SLACK, bound=FIRST_DELAY + RESYNC,
    ),
    FaultCase(
        name="user-disconnect-clean", fault="disconnect", worker="user", markets=USER_MARKETS,
        absent=NO_USER_WORKER, inject=private("disconnect", abrupt=False),
        does="closes the private socket cleanly (1001); account activity follows",
        answer="as the abrupt cut",
        shows=not_live("reconnecting"), shows_text="⚠ NOT LIVE reconnecting: ...",
        detect=SLACK, bound=FIRST_DELAY + RESYNC,
    ),
    FaultCase(
        name="user-disconnect_during_fills", fault="disconnect_during_fills", worker="user",
        markets=USER_MARKETS, absent=NO_USER_WORKER,
        inject=private("disconnect_during_fills", fills=3),
        does="drops the private socket, then fills orders nobody hears about",
        answer="the reconcile's REST snapshot carries the fills; nothing is lost",
        shows=not_live("reconnecting"), shows_text="⚠ NOT LIVE reconnecting: ...",
        detect=SLACK, bound=FIRST_DELAY + RESYNC,
    ),
    FaultCase(
        name="user-bad_signature", fault="bad_signature", worker="user", markets=USER_MARKETS,
        absent=NO_USER_WORKER, inject=private("bad_signature", count=1, then_disconnect=True),
        does="the next signed request (after a reconnect) fails -1022",
        answer="NOT LIVE with what to fix (signature rejected); retried after auth_retry_delay "
        "(60 s by default, 0.5 s here)",
        shows=not_live("-1022"), shows_text="⚠ NOT LIVE signature rejected (-1022) ...",
        detect=FIRST_DELAY + RESYNC, bound=AUTH_RETRY + RESYNC,
        options={"auth_retry_delay": AUTH_RETRY},
    ),
    FaultCase(
        name="user-clock_skew", fault="clock_skew", worker="user", markets=USER_MARKETS,
        absent=NO_USER_WORKER, inject=private("clock_skew", ms=30_000, then_disconnect=True),
        does="the exchange clock jumps 30 s ahead: requests timed by the old offset fail -1021",
        answer="re-measures the time offset and retries once; only the reconnect shows",
        shows=not_live("reconnecting"), shows_text="⚠ NOT LIVE reconnecting: ...",
        detect=SLACK, bound=FIRST_DELAY + RESYNC,
    ),
    FaultCase(
        name="user-server_shutdown", fault="server_shutdown", worker="user", markets=("spot",),
        absent=_SPOT_ONLY + "; " + NO_USER_WORKER,
        inject=private("server_shutdown", delay=0.5),
        does="serverShutdown on the WebSocket API session, closed 0.5 s later",
        answer="a new session at once (no backoff), resubscribed and reconciled",
        shows=lambda before, s: s.pane == "stale", shows_text="⚠ NOT LIVE",
        detect=SLACK, bound=RESYNC,
    ),
    FaultCase(
        name="user-stream_terminated", fault="stream_terminated", worker="user",
        markets=("spot",),
        absent="eventStreamTerminated is an event of the spot WebSocket API only (reference "
        "§6.1); " + NO_USER_WORKER,
        inject=private("stream_terminated"),
        does="ends the user-data subscription (eventStreamTerminated); the socket stays open",
        answer="resubscribes on the same socket and reconciles (events in between are lost "
        "to the stream, not to the account)",
        shows=lambda before, s: s.pane == "stale", shows_text="⚠ NOT LIVE",
        detect=SLACK, bound=RESYNC,
    ),
    FaultCase(
        name="user-listen_key_expired", fault="listen_key_expired", worker="user",
        markets=("usdm",),
        absent="listenKeys exist on USDⓈ-M only: spot user data is the WebSocket API "
        "(reference §0, §6.1); " + NO_USER_WORKER,
        inject=private("listen_key_expired", notify=True),
        does="expires the listenKey: listenKeyExpired, then the socket delivers nothing",
        answer="a new listenKey, a new socket at once (no backoff), a reconcile",
        shows=lambda before, s: s.pane == "stale", shows_text="⚠ NOT LIVE",
        detect=SLACK, bound=RESYNC,
    ),
    FaultCase(
        name="user-listen_key_expired-silent", fault="listen_key_expired", worker="user",
        markets=("usdm",),
        absent="listenKeys exist on USDⓈ-M only (reference §6.1); " + NO_USER_WORKER,
        inject=private("listen_key_expired", notify=False),
        does="expires the listenKey without telling: the socket just stops delivering",
        answer="found by the next keepalive PUT (-1125; every 30 min by default, 0.4 s here): "
        "a new key, a new socket, a reconcile",
        shows=lambda before, s: s.pane == "stale", shows_text="⚠ NOT LIVE",
        detect=KEEPALIVE + SLACK, bound=RESYNC, options={"keepalive_interval": KEEPALIVE},
    ),
    FaultCase(
        name="user-slow_rest", fault="slow_rest", worker="user", markets=USER_MARKETS,
        absent=NO_USER_WORKER, inject=rest_on_reconnect("slow_rest", seconds=SLOW_REST),
        does=f"holds the first REST response of the reconnect {SLOW_REST:g} s",
        answer="NOT LIVE until the account snapshot is in",
        shows=not_live(), shows_text="⚠ NOT LIVE",
        detect=SLACK, bound=FIRST_DELAY + SLOW_REST + RESYNC,
    ),
    FaultCase(
        name="user-rest_429", fault="rest_429", worker="user", markets=USER_MARKETS,
        absent=NO_USER_WORKER, inject=rest_on_reconnect("rest_429", retry_after=RETRY_AFTER),
        does=f"429 (Retry-After {RETRY_AFTER} s) on the reconnect's first REST request (the "
        "account snapshot; the listenKey POST on usdm)",
        answer="NOT LIVE; every REST request waits out Retry-After, then the reconcile",
        shows=not_live_noting(429), shows_text="⚠ NOT LIVE; ⚠ REST HTTP 429",
        detect=FIRST_DELAY + RESYNC,
        bound=rest_wait(RETRY_AFTER, SIGNED_RETRY) + RESYNC,
    ),
    FaultCase(
        name="user-rest_418", fault="rest_418", worker="user", markets=USER_MARKETS,
        absent=NO_USER_WORKER, inject=rest_on_reconnect("rest_418", retry_after=RETRY_AFTER),
        does=f"418 ban (Retry-After {RETRY_AFTER} s) on the reconnect's first REST request",
        answer="NOT LIVE; every REST request waits out the ban, then the reconcile",
        shows=not_live_noting(418), shows_text="⚠ NOT LIVE; ⚠ REST HTTP 418",
        detect=FIRST_DELAY + RESYNC,
        bound=rest_wait(RETRY_AFTER, SIGNED_RETRY) + RESYNC,
    ),
]

CELLS = [(m, case) for case in TABLE for m in case.markets]


# ----------------------------------------------------------------------------- the table itself


def test_table_rows_are_well_formed():
    names = [case.name for case in TABLE]
    assert len(names) == len(set(names)), "row names must be unique"
    for case in TABLE:
        allowed = MARKETS if case.worker == "market" else USER_MARKETS
        assert case.markets and set(case.markets) <= set(MARKETS), case.name
        # A market left out says why, in the row itself.
        left_out = set(MARKETS) - set(case.markets)
        assert bool(case.absent) == bool(left_out), case.name
        assert set(case.markets) <= set(allowed), case.name
        assert case.does and case.answer and case.shows_text, case.name
        assert case.detect > 0 and case.bound >= 0, case.name
        names_of = FAULT_NAMES if case.worker == "market" else (*PRIVATE_FAULT_NAMES, *FAULT_NAMES)
        assert case.fault in names_of, case.name


async def test_the_table_covers_every_simulator_fault():
    """Every fault a simulator has is in the table on every market where that simulator has
    it, and nowhere it does not: a new fault (or a fault on a new market) cannot be forgotten."""
    for fault in NOT_FAULTS:
        assert fault in FAULT_NAMES and fault in PRIVATE_FAULT_NAMES, fault
    sides = (("market", FAULT_NAMES), ("user", PRIVATE_FAULT_NAMES))
    for worker, names in sides:
        faults = [f for f in names if f not in NOT_FAULTS]
        for m in MARKETS:
            there = sim_faults(m, faults, worker)
            for fault in faults:
                rows = [c.name for c in TABLE
                        if c.worker == worker and c.fault == fault and m in c.markets]
                exists = fault in there
                assert bool(rows) == exists, (
                    f"{worker} fault {fault!r} on {m}: the simulator "
                    f"{'has' if exists else 'refuses'} it, the table has {rows or 'no row'}"
                )
    # The REST faults also hit the user worker's signed requests (the same REST middleware).
    for fault in ("slow_rest", "rest_429", "rest_418"):
        assert any(c.worker == "user" and c.fault == fault for c in TABLE), fault


# ----------------------------------------------------------------------------- the cells


@pytest.mark.parametrize(
    ("market", "case"), CELLS, ids=[f"{case.name}-{m}" for m, case in CELLS]
)
async def test_fault_cell(market, case):
    result = await run_cell(market, case)
    assert result.recovery <= case.bound  # (checked inside too; the figure is the point)


# ----------------------------------------------------------------------------- the real screen


@dataclass(frozen=True, slots=True)
class Frame:
    """What one painted frame of the running app showed."""

    at: float
    bar: str
    line: str
    ladder: str
    pane: str


class Frames:
    """Every frame the app flushes, and event-driven waits on them (the frame is the event)."""

    def __init__(self, app: TuimonApp) -> None:
        self.app = app
        self.seen: list[Frame] = []
        self._want: tuple[Callable[[list[Frame]], bool], asyncio.Event] | None = None
        flush = app.flush_frame

        def flush_and_record() -> None:
            flush()
            main = app.main
            self.seen.append(Frame(time.monotonic(), main.health.state,
                                   main.health.status_line, main.ladder.freshness,
                                   main.orders.state))
            if self._want is not None and self._want[0](self.seen):
                self._want[1].set()

        # Before mounting: the frame timer takes the attribute when the app mounts.
        app.flush_frame = flush_and_record  # type: ignore[method-assign]

    async def until(self, condition: Callable[[list[Frame]], bool]) -> float:
        """Wait for a frame after which ``condition(frames)`` holds; returns its time."""
        event = asyncio.Event()
        self._want = (condition, event)
        try:
            await asyncio.wait_for(event.wait(), WAIT)
        finally:
            self._want = None
        return self.seen[-1].at


def since(frames: list[Frame], start: float) -> list[Frame]:
    return [f for f in frames if f.at >= start]


async def test_the_running_app_shows_a_cut_on_each_worker(tmp_path):
    """Two cells through the real app (10 frames/s): a market cut paints the bar DISCONNECTED
    and the ladder not live until the book is back; a private cut paints the account pane NOT
    LIVE until it is reconciled. Both windows (the first backoff, 0.25-0.5 s) span frames."""
    sim = SimServer(market="spot", seed=SEED, port=0, depth_interval_ms=DEPTH_MS,
                    ping_interval=PING, pong_timeout=PONG)
    await sim.start()
    endpoints = resolve_endpoints(Market.SPOT, stream_url=sim.stream_url,
                                  rest_url=sim.rest_url, ws_api_url=sim.ws_api_url, env={})
    clock = SystemClock()
    store = Store("spot", clock=clock)
    feed = MarketFeed(store, endpoints, clock=clock)
    user = UserFeed(store.account, endpoints, hmac_credentials(), config=fast_config(),
                    backoff=Backoff(rng=random.Random(SEED)))
    symbols = SYMBOLS["spot"][:2]
    settings = Settings(market="spot", watchlist=tuple(symbols), selected=symbols[0],
                        config_path=tmp_path / "config.toml")
    app = build_app(settings, store=store, feed=feed, clock=clock, live=True, user_feed=user)
    frames = Frames(app)
    try:
        async with app.run_test(size=(120, 40)):
            def all_live(seen: list[Frame]) -> bool:
                last = seen[-1]
                return last.bar == "ok" and last.ladder == "live" and last.pane == "live"

            await frames.until(all_live)

            cut = time.monotonic()
            sim.inject("disconnect")
            back = await frames.until(lambda seen: any(f.bar == "disconnected"
                                                       for f in since(seen, cut))
                                      and all_live(seen))
            painted = since(frames.seen, cut)
            assert any(f.bar == "disconnected" and f.line.startswith("DISCONNECTED")
                       and f.ladder != "live" for f in painted), painted
            # A frame paints what the store says within 1/fps s of it.
            assert back - cut <= FIRST_DELAY + RESYNC + 0.1
            assert_books_true(sim, store, symbols[:1])  # the app books the selected symbol

            sim.private.step(3)
            cut = time.monotonic()
            sim.private.inject("disconnect")
            sim.private.step(4)
            back = await frames.until(lambda seen: any(f.pane == "stale"
                                                       for f in since(seen, cut))
                                      and all_live(seen))
            assert any(f.pane == "stale" for f in since(frames.seen, cut))
            assert back - cut <= FIRST_DELAY + RESYNC + 0.1
            await assert_converges(sim, store.account)
    finally:
        await user.close()
        await feed.close()
        await sim.stop()
