"""Local order book and the exchange's sync rules (reference §5), with no I/O.

:class:`OrderBook` holds price levels; :class:`BookSync` decides, per diff event, whether to buffer,
skip, apply or declare a gap. The feed asks for a REST snapshot whenever ``BookSync`` says so and
feeds it back through :meth:`BookSync.on_snapshot`.

Spot (§5.1, as corrected 2025-11-12): after the snapshot drop events with ``u <= lastUpdateId``;
an event with ``U > book_id + 1`` is a gap; otherwise apply and set ``book_id = u``.
Futures (§5.2): drop events with ``u < lastUpdateId``; the first applied event must have
``U <= lastUpdateId <= u``; every later one must have ``pu`` equal to the previous ``u``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from tuimon.protocol.level_text import PRICE_CACHE, price_of, qty_of
from tuimon.protocol.models import DepthDiff, DepthSnapshot, Level, TextLevel

_ZERO = Decimal(0)
MAX_BUFFER = 250
"""Diffs a book holds while it waits for a snapshot: 25 s of a 100 ms stream. A book only needs
the diffs from the moment its snapshot request leaves (a request that waits for a REST slot or
out a 418 ban is sent afterwards, so its snapshot is newer than all but the last few diffs);
the rest only costs memory, ~1.9 KB per parsed diff. In the soak, 20 books at 1000 each
waiting out a 418 ban raised the client's RSS by 24.5 MB in one step it never gave back
(at 5000 each: ~90 MB).
Overflow drops the oldest and can only make the next snapshot "too old" (refetched, buffer
kept), never a silently skipped update."""


class OrderBook:
    """Price levels on both sides, kept sorted for best-first reads.

    Prices are Decimal keys kept in ascending lists for both sides (bids are read from the end),
    so an update is a dict write plus, only when a level appears or vanishes, one bisect and
    list insert/delete. Quantities are kept as the exchange's text and become Decimals only
    when read (:mod:`tuimon.protocol.level_text` says why): most are replaced unread.
    """

    __slots__ = ("_ask_prices", "_asks", "_bid_prices", "_bids")

    def __init__(self) -> None:
        self._bids: dict[Decimal, str] = {}
        self._asks: dict[Decimal, str] = {}
        self._bid_prices: list[Decimal] = []
        self._ask_prices: list[Decimal] = []

    def clear(self) -> None:
        """Forget every level (the book is invalid until the next snapshot)."""
        self._bids.clear()
        self._asks.clear()
        self._bid_prices.clear()
        self._ask_prices.clear()

    def load(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Replace the book with a snapshot's levels (zero quantities are not levels)."""
        # str() of a parsed Decimal is the text it was parsed from: nothing is lost.
        self._bids = {p: str(q) for p, q in bids if q != _ZERO}
        self._asks = {p: str(q) for p, q in asks if q != _ZERO}
        self._bid_prices = sorted(self._bids)
        self._ask_prices = sorted(self._asks)

    def apply(self, bids: Iterable[TextLevel], asks: Iterable[TextLevel]) -> None:
        """Set each listed level to its absolute quantity; zero removes it (absent is fine)."""
        _apply_side(self._bids, self._bid_prices, bids)
        _apply_side(self._asks, self._ask_prices, asks)

    def bids(self, depth: int | None = None) -> list[Level]:
        """Best (highest) bids first."""
        prices = self._bid_prices
        start = 0 if depth is None else max(0, len(prices) - depth)
        book = self._bids
        return [(p, qty_of(book[p])) for p in reversed(prices[start:])]

    def asks(self, depth: int | None = None) -> list[Level]:
        """Best (lowest) asks first."""
        prices = self._ask_prices if depth is None else self._ask_prices[:depth]
        book = self._asks
        return [(p, qty_of(book[p])) for p in prices]

    def best_bid(self) -> Level | None:
        """Highest bid, if any."""
        if not self._bid_prices:
            return None
        price = self._bid_prices[-1]
        return price, qty_of(self._bids[price])

    def best_ask(self) -> Level | None:
        """Lowest ask, if any."""
        if not self._ask_prices:
            return None
        price = self._ask_prices[0]
        return price, qty_of(self._asks[price])

    def __len__(self) -> int:
        return len(self._bids) + len(self._asks)

    def sizes(self) -> tuple[int, int]:
        """(bid levels, ask levels)."""
        return len(self._bids), len(self._asks)


def _apply_side(
    levels: dict[Decimal, str], prices: list[Decimal], updates: Iterable[TextLevel]
) -> None:
    known = PRICE_CACHE
    for text, qty in updates:
        price = known.get(text)
        if price is None:
            price = price_of(text)
        if not qty.strip("0."):  # zero, however it was written ("0", "0.00000000")
            if levels.pop(price, None) is not None:
                del prices[bisect_left(prices, price)]
        else:
            if price not in levels:
                prices.insert(bisect_left(prices, price), price)
            levels[price] = qty


class SyncState(Enum):
    """Where a book is in its life: only SYNCED books may be shown as live."""

    WAITING_SNAPSHOT = "waiting"
    SYNCED = "synced"


class Verdict(Enum):
    """What :meth:`BookSync.on_diff` did with an event."""

    BUFFERED = "buffered"
    APPLIED = "applied"
    STALE = "stale"
    GAP = "gap"


class SnapshotVerdict(Enum):
    """What :meth:`BookSync.on_snapshot` did with a snapshot."""

    SYNCED = "synced"
    TOO_OLD = "too_old"
    """The snapshot predates the first buffered event: fetch another, keep the buffer."""
    GAP = "gap"
    """The buffered events do not chain from the snapshot: resync."""


# Python 3.11 reads an Enum member off its class through a descriptor, ~180 ns each time (3.12
# stores members plainly): the per-diff paths compare against these module constants instead.
WAITING = SyncState.WAITING_SNAPSHOT
SYNCED = SyncState.SYNCED
BUFFERED = Verdict.BUFFERED
APPLIED = Verdict.APPLIED
STALE = Verdict.STALE
GAP = Verdict.GAP


@dataclass(slots=True)
class SyncStats:
    """Counters a health display and tests read."""

    applied: int = 0
    stale: int = 0
    gaps: int = 0
    snapshots: int = 0
    resyncs: int = 0
    buffer_overflows: int = 0


class BookSync:
    """Sequence-checked local book for one symbol.

    Args:
        futures: use the futures ``pu`` chain rule instead of the spot ``U`` rule.
        max_buffer: events kept while waiting for a snapshot; older ones are dropped, which makes
            the next snapshot "too old" if it matters, so the book never silently skips updates.
    """

    __slots__ = (
        "_buffer",
        "_first_after_snapshot",
        "book",
        "futures",
        "last_update_id",
        "state",
        "stats",
    )

    def __init__(self, *, futures: bool, max_buffer: int = MAX_BUFFER) -> None:
        self.futures = futures
        self.book = OrderBook()
        self.state = SyncState.WAITING_SNAPSHOT
        self.last_update_id = 0
        self.stats = SyncStats()
        self._buffer: deque[DepthDiff] = deque(maxlen=max_buffer)
        self._first_after_snapshot = False

    @property
    def synced(self) -> bool:
        """True while the book may be shown as live."""
        return self.state is SYNCED

    def buffered(self) -> int:
        """Events waiting for a snapshot."""
        return len(self._buffer)

    def invalidate(self) -> None:
        """Drop the book and buffer (after a reconnect); the caller fetches a new snapshot."""
        if self.state is SYNCED:
            self.stats.resyncs += 1
        self.state = SyncState.WAITING_SNAPSHOT
        self.book.clear()
        self._buffer.clear()

    def on_diff(self, diff: DepthDiff) -> Verdict:
        """Route one diff event: buffer it, apply it, skip it as stale, or report a gap."""
        if self.state is WAITING:
            if len(self._buffer) == self._buffer.maxlen:
                self.stats.buffer_overflows += 1
            self._buffer.append(diff)
            return BUFFERED
        verdict = self._chain(diff)
        if verdict is GAP:
            self._gap(diff)
        return verdict

    def on_snapshot(self, snapshot: DepthSnapshot) -> SnapshotVerdict:
        """Load a snapshot and replay the buffer through the chain rules."""
        self.stats.snapshots += 1
        last = snapshot.last_update_id
        buffer = self._buffer
        # Drop events the snapshot already contains. Spot: u <= lastUpdateId. Futures:
        # u < lastUpdateId (an event ending exactly at lastUpdateId is the documented first event).
        if self.futures:
            while buffer and buffer[0].final_id < last:
                buffer.popleft()
        else:
            while buffer and buffer[0].final_id <= last:
                buffer.popleft()
        if buffer:
            first = buffer[0]
            too_old = first.first_id > last if self.futures else first.first_id > last + 1
            if too_old:
                return SnapshotVerdict.TOO_OLD
        self.book.load(snapshot.bids, snapshot.asks)
        self.last_update_id = last
        self.state = SyncState.SYNCED
        self._first_after_snapshot = True
        pending = list(buffer)
        buffer.clear()
        for diff in pending:
            if self._chain(diff) is GAP:
                self._gap(diff)
                return SnapshotVerdict.GAP
        return SnapshotVerdict.SYNCED

    def _chain(self, diff: DepthDiff) -> Verdict:
        book_id = self.last_update_id
        if self.futures:
            if self._first_after_snapshot:
                if diff.final_id < book_id:
                    self.stats.stale += 1
                    return STALE
                if diff.first_id > book_id:
                    return GAP
            elif diff.final_id <= book_id:
                # A duplicate or replayed older event: the book already holds it.
                self.stats.stale += 1
                return STALE
            elif diff.prev_final_id != book_id:
                return GAP
        else:
            if diff.final_id <= book_id:
                self.stats.stale += 1
                return STALE
            if diff.first_id > book_id + 1:
                return GAP
        book = self.book
        if diff.bids:  # one side of most diffs is empty: skip the call
            _apply_side(book._bids, book._bid_prices, diff.bids)
        if diff.asks:
            _apply_side(book._asks, book._ask_prices, diff.asks)
        self.last_update_id = diff.final_id
        self._first_after_snapshot = False
        self.stats.applied += 1
        return APPLIED

    def _gap(self, diff: DepthDiff) -> None:
        """Drop the book; the event that revealed the gap starts the new buffer (§5.1 step 1)."""
        self.stats.gaps += 1
        self.invalidate()
        self._buffer.append(diff)
