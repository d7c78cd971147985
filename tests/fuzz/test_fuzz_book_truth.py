"""BookSync (tuimon/protocol/book.py) under fuzzing, spot and futures rules.

A truth sequence is generated from an uncrossed model book: each event sets a few levels to
absolute quantities (zero deletes, absent levels included) and, like a matching engine, removes
the other side's levels it would cross, so the truth is uncrossed after every event. Spot ids
are contiguous (U = previous u + 1); futures ids jump and chain on pu. The stream then delivers
the events with random gaps, duplicates, stale re-sends, swaps (out-of-order U/u/pu) and REST
snapshots of the truth at random moments (sometimes behind the stream), through the same
calls the Store makes. After every step:

- the book is never crossed;
- after a gap (an event that does not chain onto the live book) it is not live until a
  snapshot resynced it;
- whenever it is live, it equals the truth at its last update id, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import event, given
from hypothesis import strategies as st

from tuimon.protocol.book import BookSync, SnapshotVerdict, Verdict
from tuimon.protocol.models import DepthDiff, DepthSnapshot, Level

TICK = Decimal("0.01")
Side = dict[int, int]  # price in ticks -> quantity in lots


@dataclass(frozen=True)
class Truth:
    """The exchange: the book after each event, and the events (index 0: the start)."""

    books: list[tuple[Side, Side]]
    events: list[DepthDiff]
    """events[i] leads from books[i] to books[i + 1]."""
    final_ids: list[int]
    """final_ids[i]: the update id of books[i]."""


def levels(side: Side) -> tuple[Level, ...]:
    return tuple((Decimal(p) * TICK, Decimal(q)) for p, q in sorted(side.items()))


@st.composite
def truths(draw: st.DrawFn, futures: bool) -> Truth:
    bids: Side = {p: draw(st.integers(1, 9)) for p in range(9_990, 10_000)}
    asks: Side = {p: draw(st.integers(1, 9)) for p in range(10_001, 10_011)}
    books = [(dict(bids), dict(asks))]
    last = draw(st.integers(1, 10**12))
    final_ids = [last]
    events: list[DepthDiff] = []
    for _ in range(draw(st.integers(1, 25))):
        changes: list[tuple[bool, int, int]] = []
        for _ in range(draw(st.integers(1, 4))):
            is_bid = draw(st.booleans())
            price = draw(st.integers(9_985, 10_015))
            qty = draw(st.sampled_from([0, 0, 1, 2, 3, 7]))
            changes.append((is_bid, price, qty))
            if qty:  # what this level would cross leaves the other side
                other = asks if is_bid else bids
                crossed = [p for p in other if (p <= price if is_bid else p >= price)]
                changes.extend((not is_bid, p, 0) for p in crossed)
                for p in crossed:
                    del other[p]
            (bids if is_bid else asks).pop(price, None)
            if qty:
                (bids if is_bid else asks)[price] = qty
        # The last write of a level within an event is what the event says.
        by_level = {(b, p): q for b, p, q in changes}
        first = last + (draw(st.integers(1, 3)) if futures else 1)
        final = first + draw(st.integers(0, 3))
        events.append(
            DepthDiff(
                "BTCUSDT", 1, first, final,
                tuple((str(Decimal(p) * TICK), str(q)) for (b, p), q in by_level.items() if b),
                tuple((str(Decimal(p) * TICK), str(q)) for (b, p), q in by_level.items() if not b),
                prev_final_id=last if futures else None,
            )
        )
        assert not bids or not asks or max(bids) < min(asks)
        books.append((dict(bids), dict(asks)))
        final_ids.append(final)
        last = final
    return Truth(books, events, final_ids)


def snapshot(truth: Truth, index: int) -> DepthSnapshot:
    bids, asks = truth.books[index]
    return DepthSnapshot(truth.final_ids[index], levels(bids), levels(asks))


def check(sync: BookSync, truth: Truth) -> None:
    book = sync.book
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is None or ask is None or bid[0] < ask[0], "crossed book"
    if not sync.synced:
        assert len(book) == 0, "a book that is not live shows no levels"
        return
    index = truth.final_ids.index(sync.last_update_id)  # live: at a real update id
    bids, asks = truth.books[index]
    assert book.bids() == list(reversed(levels(bids))), "live book != truth (bids)"
    assert book.asks() == list(levels(asks)), "live book != truth (asks)"


@st.composite
def deliveries(draw: st.DrawFn, count: int) -> list[tuple[str, int]]:
    """The stream's order of events (indices) with faults, and snapshot/reconnect moments."""
    plan: list[tuple[str, int]] = []
    j = 0
    while j < count:
        kind = draw(st.sampled_from(
            ["next"] * 6 + ["gap", "duplicate", "stale", "swap", "snapshot", "reconnect"]))
        if kind == "next":
            plan.append(("diff", j))
            j += 1
        elif kind == "gap":
            j += 1  # the exchange sent it; the stream lost it
        elif kind == "duplicate":
            plan += [("diff", j), ("diff", j)]
            j += 1
        elif kind == "stale" and j:
            plan.append(("diff", draw(st.integers(0, j - 1))))
        elif kind == "swap" and j + 1 < count:
            plan += [("diff", j + 1), ("diff", j)]
            j += 2
        elif kind == "snapshot":
            plan.append(("snapshot", draw(st.integers(0, count))))  # REST behind or ahead
        elif kind == "reconnect":
            plan.append(("reconnect", 0))
    return plan


def live_index(sync: BookSync, truth: Truth) -> int | None:
    return truth.final_ids.index(sync.last_update_id) if sync.synced else None


@given(st.data(), st.booleans(), st.sampled_from([5000, 3]))
def test_book_sync_against_the_truth(data, futures, max_buffer):
    truth = data.draw(truths(futures), label="truth")
    count = len(truth.events)
    plan = data.draw(deliveries(count), label="plan")
    sync = BookSync(futures=futures, max_buffer=max_buffer)
    for op, j in plan:
        if op == "diff":
            before = live_index(sync, truth)
            diff = truth.events[j]
            # Futures, first event after a snapshot: the documented rule (reference §5.2) wants
            # U <= lastUpdateId <= u, so the event after a snapshot taken on an event boundary
            # (pu == lastUpdateId, U above it) is refused when the boundary event itself was
            # lost or comes later: a resync, never a wrong book.
            strict = futures and sync._first_after_snapshot and diff.first_id > sync.last_update_id
            verdict = sync.on_diff(diff)
            after = live_index(sync, truth)
            if before is None:
                assert verdict is Verdict.BUFFERED and after is None
            elif j < before:  # already in the book: stale (futures: an idempotent re-apply)
                assert after == before, (j, before, verdict)
            elif j == before and strict:
                assert verdict is Verdict.GAP and after is None
                event("futures: strict first event after a snapshot")
            elif j == before:  # the next event: applied
                assert verdict is Verdict.APPLIED and after == before + 1
            else:  # events before it were lost: a gap, not live until resynced
                assert verdict is Verdict.GAP and after is None, (j, before, verdict)
                event(f"{'futures' if futures else 'spot'}: gap while live")
        elif op == "snapshot":
            if sync.synced:
                continue  # the feed asks for a snapshot only for a book that is not live
            verdict = sync.on_snapshot(snapshot(truth, j))
            assert sync.synced == (verdict is SnapshotVerdict.SYNCED)
            event(f"snapshot {verdict.value}")
        else:
            sync.invalidate()  # a reconnect: the Store drops every book of the socket
            assert not sync.synced
        check(sync, truth)
    # Whatever happened, a snapshot of the exchange's present state makes the book live, at it.
    if not sync.synced:
        assert sync.on_snapshot(snapshot(truth, count)) is SnapshotVerdict.SYNCED
    check(sync, truth)
    # Live but behind: the stream's events from the one the book ends with (the documented
    # first event after a futures snapshot contains lastUpdateId) all chain on.
    for diff in truth.events[max(0, live_index(sync, truth) - 1) :]:
        assert sync.on_diff(diff) in (Verdict.APPLIED, Verdict.STALE) and sync.synced
    assert live_index(sync, truth) == count
    check(sync, truth)
