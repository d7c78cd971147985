"""Fault switches: what a test asked for, and bookkeeping of what really happened.

A fault is injected by name (``SimServer.inject`` or ``POST /_sim/fault``). Some act at once
(disconnect, server_shutdown, malformed); the others arm pending state here that the stream
emitter or the REST middleware consumes when the next matching event or request occurs. Every
injection returns a ``FaultRecord`` whose ``applied`` counter grows each time the fault actually
takes effect, so tests can assert the difference between "asked" and "done".

Faults (``symbol`` = one symbol, or None = all):

- ``gap(count=1, ttl=10)``: drop the next ``count`` diff events of every depth speed of the
  symbol(s) that has a listener; ids still advance, so the next event's U (spot) / pu (futures)
  shows the hole. Unfired arms expire after ``ttl`` seconds of market time.
- ``stale(age=3, count=1, ttl=10)``: after the next diff event, re-send the one sent ``age``
  events earlier (byte-identical).
- ``duplicate(count=1, ttl=10)``: send the next diff event twice.
- ``disconnect(abrupt=True, code=1001)``: drop every stream connection (or those carrying the
  symbol) without a close frame; ``abrupt=False`` closes cleanly with ``code``.
- ``silence(seconds=5)``: no data frames (for the symbol, or at all) for that long; sockets stay
  open, pings/pongs and control replies continue.
- ``slow_rest(seconds=2, count=1)``: delay the next ``count`` REST responses (0 = until clear).
- ``rest_429(count=1, retry_after=1)``: the next ``count`` REST requests get 429 + Retry-After;
  requests during the cool-down count toward the 418 escalation, like real hammering.
- ``rest_418(count=1, retry_after=2)``: the next request starts an IP ban of ``retry_after`` s.
- ``server_shutdown(delay=0.5)``: spot only; send ``serverShutdown`` on every connection and
  close them (1001) after ``delay`` seconds.
- ``malformed(kinds=all, huge_bytes=1_000_000)``: send garbage frames (see MALFORMED_KINDS).
- ``clear()``: disarm everything pending and lift REST cool-downs and bans.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

FAULT_NAMES: tuple[str, ...] = (
    "gap", "stale", "duplicate", "disconnect", "silence", "slow_rest", "rest_429", "rest_418",
    "server_shutdown", "malformed", "clear",
)

# Garbage frame kinds for the "malformed" fault, in the order they are sent when none are named.
# "non_utf8" (a text frame that is not UTF-8) makes compliant clients fail the connection with
# close code 1007, so it goes last.
MALFORMED_KINDS: tuple[str, ...] = (
    "not_json", "truncated", "wrong_types", "unknown_event", "huge", "binary", "non_utf8",
)

# FaultRecords kept in ``FaultState.log`` (oldest dropped first). Tests read the records they
# just made (inject() also returns each one); a soak that injects a fault every few seconds for
# hours must not keep them all. 1000 covers any test and the last hour of a fault every 4 s.
FAULT_LOG_KEPT = 1000

# Parameters each fault accepts (anything else is rejected so typos do not pass silently).
FAULT_PARAMS: dict[str, frozenset[str]] = {
    "gap": frozenset({"count", "ttl"}),
    "stale": frozenset({"age", "count", "ttl"}),
    "duplicate": frozenset({"count", "ttl"}),
    "disconnect": frozenset({"abrupt", "code"}),
    "silence": frozenset({"seconds"}),
    "slow_rest": frozenset({"seconds", "count"}),
    "rest_429": frozenset({"count", "retry_after"}),
    "rest_418": frozenset({"count", "retry_after"}),
    "server_shutdown": frozenset({"delay"}),
    "malformed": frozenset({"kinds", "huge_bytes"}),
    "clear": frozenset(),
}


@dataclass(slots=True)
class FaultRecord:
    """One inject() call: its arguments and what it has done so far."""

    kind: str
    symbol: str | None
    params: dict[str, Any]
    at_ms: int
    applied: int = 0  # times the fault took effect (events dropped, connections closed, ...)
    targets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "symbol": self.symbol, "params": self.params, "at_ms": self.at_ms,
            "applied": self.applied, "targets": list(self.targets), "notes": list(self.notes),
        }


@dataclass(slots=True)
class DepthFault:
    """Pending gap/stale/duplicate for one (symbol, depth cadence) diff stream."""

    kind: str
    remaining: int
    expires_step: int
    record: FaultRecord
    age: int = 3


@dataclass(slots=True)
class RestFault:
    """Pending slow_rest / rest_429 / rest_418; ``remaining`` 0 means until cleared."""

    kind: str
    remaining: int
    value: float  # delay seconds or Retry-After seconds
    symbol: str | None
    record: FaultRecord


@dataclass(slots=True)
class DepthActions:
    """What the emitter must do with the diff event it is about to send."""

    drop: bool = False
    duplicate: bool = False
    stale_age: int = 0  # >0: also re-send the event from this many events ago


class FaultState:
    """Armed faults, consumed by the emitter (depth, silence) and the REST middleware."""

    def __init__(self) -> None:
        self.depth: dict[tuple[str, str], list[DepthFault]] = {}
        self.silence_until: dict[str | None, float] = {}  # None = every symbol
        self.rest: list[RestFault] = []
        self.log: deque[FaultRecord] = deque(maxlen=FAULT_LOG_KEPT)

    def clear(self) -> None:
        self.depth.clear()
        self.silence_until.clear()
        self.rest.clear()

    # ---------------------------------------------------------------- depth faults
    def arm_depth(self, kind: str, symbols: list[str], suffixes: list[str], count: int,
                  expires_step: int, record: FaultRecord, age: int = 3) -> None:
        for sym in symbols:
            for suffix in suffixes:
                key = (sym, suffix)
                self.depth.setdefault(key, []).append(
                    DepthFault(kind, count, expires_step, record, age))
                record.targets.append(f"{sym}@depth{suffix}")

    def depth_actions(self, symbol: str, suffix: str, step: int) -> DepthActions | None:
        """Consume the pending faults for the next delivered event of (symbol, suffix)."""
        pending = self.depth.get((symbol, suffix))
        if not pending:
            return None
        actions = DepthActions()
        keep: list[DepthFault] = []
        for f in pending:
            if f.expires_step < step:
                f.record.notes.append(f"{symbol}@depth{suffix}: expired unapplied")
                continue
            if f.kind == "gap":
                actions.drop = True
            elif f.kind == "duplicate":
                actions.duplicate = True
            else:
                actions.stale_age = max(actions.stale_age, f.age)
            f.record.applied += 1
            f.remaining -= 1
            if f.remaining > 0:
                keep.append(f)
        if keep:
            self.depth[(symbol, suffix)] = keep
        else:
            del self.depth[(symbol, suffix)]
        return actions

    def expire(self, step: int) -> None:
        for key in [k for k, v in self.depth.items() if all(f.expires_step < step for f in v)]:
            for f in self.depth.pop(key):
                f.record.notes.append(f"{key[0]}@depth{key[1]}: expired unapplied")

    # ---------------------------------------------------------------- silence
    def silenced(self, symbol: str | None, now: float) -> bool:
        if not self.silence_until:
            return False
        until = self.silence_until.get(None, 0.0)
        if symbol is not None:
            until = max(until, self.silence_until.get(symbol, 0.0))
        return until > now

    # ---------------------------------------------------------------- REST
    def take_rest(self, kind: str, symbol: str | None) -> RestFault | None:
        """Consume one use of the first pending REST fault of ``kind`` matching ``symbol``."""
        for f in self.rest:
            if f.kind != kind or (f.symbol is not None and f.symbol != symbol):
                continue
            f.record.applied += 1
            if f.remaining > 0:
                f.remaining -= 1
                if f.remaining == 0:
                    self.rest.remove(f)
            return f
        return None
