"""The trades tape of one symbol: recent aggregate trades, liquidations and gap markers.

Aggregate trade ids (``a``) are consecutive per symbol, so a jump (after a reconnect, or a
REST seed older than the stream) is a fact worth showing: the tape records a :class:`Gap` with
the number of trades missed instead of papering over it. Duplicates and older ids (the seed
overlapping the stream, a replayed frame) are dropped, so each trade appears once, in id order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tuimon.protocol.models import Liquidation, Trade

TAPE_LENGTH = 500
"""Entries kept per symbol: a screenful many times over, and ``--trades`` at most this."""


@dataclass(frozen=True, slots=True)
class Gap:
    """Aggregate ids ``after_id + 1 … next_id - 1`` never reached the tape."""

    after_id: int
    next_id: int
    time: int
    """Trade time (ms) of the first trade after the gap."""

    @property
    def missed(self) -> int:
        """How many aggregate trades are missing."""
        return self.next_id - self.after_id - 1


TapeEntry = Trade | Gap | Liquidation


class TradeTape:
    """Bounded, oldest first; ``version`` grows on every change (readers compare it)."""

    __slots__ = ("entries", "last_id", "version")

    def __init__(self, maxlen: int = TAPE_LENGTH) -> None:
        self.entries: deque[TapeEntry] = deque(maxlen=maxlen)
        self.last_id: int | None = None
        """Aggregate id of the newest trade on the tape."""
        self.version = 0

    def add(self, trade: Trade) -> bool:
        """Append a live trade; False when it is a duplicate or older than the tape."""
        last = self.last_id
        trade_id = trade.trade_id
        if last is not None:
            if trade_id <= last:
                return False
            if trade_id != last + 1:
                self.entries.append(Gap(last, trade_id, trade.trade_time))
        self.entries.append(trade)
        self.last_id = trade_id
        self.version += 1
        return True

    def add_liquidation(self, liquidation: Liquidation) -> None:
        """A liquidation goes on the tape where it happened in time (it has no trade id)."""
        self.entries.append(liquidation)
        self.version += 1

    def seed(self, trades: Iterable[Trade]) -> None:
        """Merge a REST history (oldest first) with what the stream already delivered.

        Trades are merged by id and gaps recomputed between them; liquidations keep their
        place by time. A hole between the history's newest trade and the first streamed one is
        a genuine gap (trades happened that neither source delivered) and stays visible.
        """
        by_id: dict[int, Trade] = {t.trade_id: t for t in trades}
        others: list[Liquidation] = []
        for entry in self.entries:
            if type(entry) is Trade:
                by_id[entry.trade_id] = entry
            elif type(entry) is Liquidation:
                others.append(entry)
        merged: list[TapeEntry] = []
        last: int | None = None
        for trade_id in sorted(by_id):
            trade = by_id[trade_id]
            if last is not None and trade_id != last + 1:
                merged.append(Gap(last, trade_id, trade.trade_time))
            merged.append(trade)
            last = trade_id
        if others:
            merged = _by_time(merged, others)
        maxlen = self.entries.maxlen
        self.entries = deque(merged, maxlen=maxlen)
        # Leading gaps mean nothing once the history before them was cut away.
        while self.entries and type(self.entries[0]) is Gap:
            self.entries.popleft()
        self.last_id = last
        self.version += 1

    def trades(self) -> Iterator[Trade]:
        """The trades alone, oldest first."""
        return (e for e in self.entries if type(e) is Trade)

    def last_trades(self, count: int) -> list[Trade]:
        """The newest ``count`` trades, oldest first."""
        out: list[Trade] = []
        for entry in reversed(self.entries):
            if len(out) >= count:
                break
            if type(entry) is Trade:
                out.append(entry)
        out.reverse()
        return out


def entry_time(entry: TapeEntry) -> int:
    """Time (ms) an entry happened."""
    if type(entry) is Gap:
        return entry.time
    return entry.trade_time  # type: ignore[union-attr]


def _by_time(trades: list[TapeEntry], others: list[Liquidation]) -> list[TapeEntry]:
    """Insert liquidations among the id-ordered trades by time (stable for equal times)."""
    out: list[TapeEntry] = []
    pending = sorted(others, key=lambda liq: liq.trade_time)
    i = 0
    for entry in trades:
        while i < len(pending) and pending[i].trade_time < entry_time(entry):
            out.append(pending[i])
            i += 1
        out.append(entry)
    out.extend(pending[i:])
    return out
