"""Book sync replayed on real recorded Binance traffic (spot, USDⓈ-M, COIN-M, Binance.US).

The captures follow the documented order (stream first, snapshot after), so buffering, dropping
stale events, the first-event rule and the chain rule all run on real sequences. The books are
checked against an independent naive book and against the exchange's own bookTicker frames.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from recorded_data import http_records, ws_records

from tuimon.protocol.book import BookSync, SnapshotVerdict, Verdict
from tuimon.protocol.models import BookTicker, DepthDiff
from tuimon.protocol.parse import parse_depth_snapshot, parse_frame

# (ws capture, REST capture, futures rules, bookTicker frames whose u equals the book id).
# Spot @depth@100ms aggregates many ids per event, so bookTicker ids rarely coincide there.
CAPTURES = [
    ("BINANCE.ws.1.0.txt", "BINANCE.http.0.0.txt", False, 0),
    ("BINANCE_US.ws.1.0.txt", "BINANCE_US.http.0.0.txt", False, 0),
    ("BINANCE_FUTURES.ws.1.0.txt", "BINANCE_FUTURES.http.0.0.txt", True, 0),
    ("BINANCE_DELIVERY.ws.1.0.txt", "BINANCE_DELIVERY.http.0.0.txt", True, 5),
]


def _symbol_of(url: str) -> str:
    return url.split("symbol=")[1].split("&")[0]


class NaiveBook:
    """Reference: dicts of decimal strings, sorted only when read."""

    def __init__(self, bids, asks):
        self.bids = {Decimal(p): Decimal(q) for p, q in bids if Decimal(q) != 0}
        self.asks = {Decimal(p): Decimal(q) for p, q in asks if Decimal(q) != 0}

    def apply(self, bids, asks):
        for side, updates in ((self.bids, bids), (self.asks, asks)):
            for p, q in updates:
                if Decimal(q) == 0:
                    side.pop(Decimal(p), None)
                else:
                    side[Decimal(p)] = Decimal(q)

    def top(self, n):
        return (sorted(self.bids.items(), reverse=True)[:n], sorted(self.asks.items())[:n])


@pytest.mark.parametrize(("ws_file", "http_file", "futures", "ticker_matches"), CAPTURES)
def test_replay_recorded_depth(ws_file, http_file, futures, ticker_matches):
    snapshots = {_symbol_of(r.url): r for r in http_records(http_file)}
    syncs: dict[str, BookSync] = {}
    naive: dict[str, NaiveBook] = {}
    snapshot_done: set[str] = set()
    verdicts: dict[str, list[Verdict]] = defaultdict(list)
    ticker_checks = 0

    def take_snapshot(symbol: str) -> None:
        record = snapshots[symbol]
        snap = parse_depth_snapshot(record.body)
        assert syncs[symbol].on_snapshot(snap) is SnapshotVerdict.SYNCED
        naive[symbol] = NaiveBook(record.body["bids"], record.body["asks"])
        snapshot_done.add(symbol)

    for record in ws_records(ws_file):
        # Snapshots arrived at their recorded receive time: apply any that are due first.
        for symbol, snap in snapshots.items():
            if symbol in syncs and symbol not in snapshot_done and snap.received <= record.received:
                take_snapshot(symbol)
        stream, frame = parse_frame(record.raw)
        if isinstance(frame, DepthDiff):
            if frame.symbol not in snapshots:
                continue
            sync = syncs.setdefault(frame.symbol, BookSync(futures=futures))
            before = sync.last_update_id
            verdict = sync.on_diff(frame)
            verdicts[frame.symbol].append(verdict)
            if verdict is Verdict.APPLIED and frame.symbol in naive:
                naive[frame.symbol].apply(
                    [[str(p), str(q)] for p, q in frame.bids],
                    [[str(p), str(q)] for p, q in frame.asks],
                )
            assert verdict is not Verdict.GAP, (
                f"{frame.symbol}: gap at U={frame.first_id} after {before}"
            )
        elif isinstance(frame, BookTicker):
            sync = syncs.get(frame.symbol)
            # bookTicker u is the book's update id: when they coincide, the tops must agree.
            if sync is not None and sync.synced and frame.update_id == sync.last_update_id:
                assert sync.book.best_bid()[0] == frame.bid
                assert sync.book.best_ask()[0] == frame.ask
                assert sync.book.best_bid()[1] == frame.bid_qty
                ticker_checks += 1
    assert syncs, "no depth frames matched the snapshots"
    for symbol, sync in syncs.items():
        if symbol not in snapshot_done:
            continue
        assert sync.synced
        assert sync.stats.gaps == 0
        assert sync.stats.applied > 0
        assert Verdict.APPLIED in verdicts[symbol]
        bids, asks = sync.book.bids(20), sync.book.asks(20)
        assert (bids, asks) == naive[symbol].top(20)
        assert bids[0][0] < asks[0][0], f"{symbol}: crossed book"
    assert len(snapshot_done) >= 2
    assert ticker_checks == ticker_matches
