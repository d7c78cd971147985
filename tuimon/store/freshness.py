"""Per-book freshness: when a book last moved, and how long a pause is normal for it.

A diff depth stream sends an event only when the book changed, at most once per update period
(100 ms / 250 ms / 500 ms / 1000 ms from the stream name). So "no diff" is normal for an
illiquid book and alarming for a liquid one: a book is overdue when its last diff is older than
``max(SILENT_GAPS x its normal gap, SILENT_FLOOR)``. The connection's own liveness (frames from
other streams on the same socket) is judged separately by the Store; an overdue book on a live
connection is a stalled stream.

The normal gap is an asymmetric EWMA of inter-arrival gaps (receive times, monotonic: the
exchange's event times come from another clock). It rises fast and falls slowly, so it tracks a
high quantile rather than the mean: a burst of diffs on a quiet book does not collapse it (the
next quiet spell would be flagged), while a liquid book still settles to its update period
within a few seconds. A gap longer than the limit is counted as the limit only, so one stall
does not teach the book that stalls are normal; a quiet spell the REST snapshot proved genuine
(:meth:`BookPulse.confirm`) counts in full.
"""

from __future__ import annotations

from dataclasses import dataclass

SILENT_GAPS = 10.0
"""A book is overdue after this many normal gaps without a diff."""
SILENT_FLOOR = 1.5
"""...and never before this many seconds: 15 update periods at 100 ms, well past ordinary
network jitter (a lost TCP segment costs a retransmission timeout of 0.2-1 s)."""
WARMUP_GAP = 0.5
"""The normal gap assumed before any diff was seen (a limit of 5 s): a quiet book just after its
snapshot is not flagged at once, and a liquid one converges to its period within ~4 s."""
GAP_RISE = 0.25
"""EWMA weight of a gap longer than the estimate (quiet spells are learnt within a few)."""
GAP_FALL = 0.05
"""EWMA weight of a gap shorter than the estimate (a burst barely moves it)."""
MAX_GAP = 60.0
"""Ceiling of the estimate: even a dead-quiet book is re-checked every 10 minutes."""


@dataclass(slots=True)
class BookPulse:
    """When one book last changed (received, monotonic s) and its normal gap between diffs."""

    period: float = 0.1
    """The stream's update period: no normal gap is shorter."""
    gap: float = WARMUP_GAP
    """Estimated normal gap between diffs (s)."""
    last: float | None = None
    """Monotonic time the book was last known to match the exchange (a diff, a snapshot, a
    REST check); None before the first."""

    def limit(self) -> float:
        """Seconds without a diff after which the book is overdue."""
        limit = SILENT_GAPS * self.gap
        return limit if limit > SILENT_FLOOR else SILENT_FLOOR

    def overdue(self, now: float) -> bool:
        """True when the book has had no diff for longer than its limit."""
        last = self.last
        return last is not None and now - last > self.limit()

    def set_period(self, period: float) -> None:
        """The stream's update period (from its name); the estimate never goes below it."""
        self.period = period
        if self.gap < period:
            self.gap = period

    def beat(self, now: float) -> None:
        """A diff was applied at ``now``. Per message: plain arithmetic, no calls."""
        last = self.last
        self.last = now
        if last is None:
            return
        sample = now - last
        gap = self.gap
        limit = SILENT_GAPS * gap
        if limit < SILENT_FLOOR:
            limit = SILENT_FLOOR
        if sample > limit:
            sample = limit  # a stall is not this book's normal pace
        if sample > gap:
            gap += GAP_RISE * (sample - gap)
            self.gap = gap if gap < MAX_GAP else MAX_GAP
        else:
            gap += GAP_FALL * (sample - gap)
            self.gap = gap if gap > self.period else self.period

    def restart(self, now: float) -> None:
        """A snapshot made the book exact at ``now``: no gap sample (the pause was ours)."""
        self.last = now

    def confirm(self, now: float) -> None:
        """A REST check proved the book unchanged since ``last``: the quiet spell was genuine,
        so it counts in full towards the normal gap."""
        last = self.last
        self.last = now
        if last is None:
            return
        sample = now - last
        if sample > self.gap:
            self.gap = min(MAX_GAP, self.gap + GAP_RISE * (sample - self.gap))
