"""Depth sequencing on the wire and book truth (reference §5)."""

from __future__ import annotations

import pytest
from sim_helpers import (
    RefBook,
    collect,
    data,
    get_json,
    is_depth,
    recv_until,
    running,
    truth_tuples,
    ws_connect,
)


@pytest.mark.parametrize("stream", ["btcusdt@depth@100ms", "btcusdt@depth"])
async def test_spot_diff_ids_are_contiguous(spot, stream):
    async with ws_connect(f"{spot.stream_url}/ws/{stream}") as ws:
        events = await collect(ws, is_depth, 25 if stream.endswith("100ms") else 4)
    for prev, cur in zip(events, events[1:], strict=False):
        assert cur["U"] == prev["u"] + 1
        assert cur["U"] <= cur["u"]
        assert cur["E"] >= prev["E"]
    assert set(events[0]) == {"e", "E", "s", "U", "u", "b", "a"}


@pytest.mark.parametrize("stream", ["btcusdt@depth@100ms", "btcusdt@depth",
                                    "btcusdt@depth@500ms"])
async def test_futures_diffs_chain_on_pu_and_ids_jump(usdm, stream):
    async with ws_connect(f"{usdm.stream_url}/public/ws/{stream}") as ws:
        events = await collect(ws, is_depth, 6)
    for prev, cur in zip(events, events[1:], strict=False):
        assert cur["pu"] == prev["u"]
        assert cur["U"] > prev["u"] + 1, "futures ids are not contiguous between events"
    assert set(events[0]) == {"e", "E", "T", "s", "U", "u", "pu", "b", "a"}
    assert all(e["T"] <= e["E"] for e in events)


async def test_each_speed_has_its_own_chain(usdm):
    url = f"{usdm.stream_url}/public/stream?streams=ethusdt@depth@100ms/ethusdt@depth"
    async with ws_connect(url) as ws:
        frames = await collect(ws, lambda m: is_depth(data(m)), 30)
    by_stream: dict[str, list[dict]] = {}
    for f in frames:
        by_stream.setdefault(f["stream"], []).append(f["data"])
    assert set(by_stream) == {"ethusdt@depth@100ms", "ethusdt@depth"}
    for events in by_stream.values():
        for prev, cur in zip(events, events[1:], strict=False):
            assert cur["pu"] == prev["u"]


@pytest.mark.parametrize("market", ["spot", "usdm"])
async def test_snapshot_id_falls_strictly_inside_the_next_event(market, http):
    """Paused, hand-stepped server: a snapshot between two emission ticks sees updates that the
    next event carries, so U < lastUpdateId < u (the case the client's sync rules exist for)."""
    async with running(market, paused=True) as sim:
        base = "/public" if market == "usdm" else ""
        prefix = sim.cfg.rest_prefix
        async with ws_connect(f"{sim.stream_url}{base}/ws/btcusdt@depth@100ms") as ws:
            await sim.advance(2)  # step 2: an event is emitted (every 2 steps)
            first = await recv_until(ws, is_depth)
            await sim.advance(1)  # step 3: internal updates, no event yet
            _, snap, _ = await get_json(http, f"{sim.rest_url}{prefix}/depth",
                                        symbol="BTCUSDT", limit=1000)
            await sim.advance(1)  # step 4: the event covering steps 3 and 4
            nxt = await recv_until(ws, is_depth)
    last_id = snap["lastUpdateId"]
    assert first["u"] < nxt["U"] < last_id < nxt["u"]
    if market == "usdm":
        assert nxt["pu"] == first["u"]
        assert set(snap) == {"lastUpdateId", "E", "T", "bids", "asks"}
    else:
        assert nxt["U"] == first["u"] + 1
        assert set(snap) == {"lastUpdateId", "bids", "asks"}


async def sync_and_compare(sim, http, market: str, events_after: int) -> None:
    """Client-style sync with an independent applier, then compare with sim.book_at()."""
    base = "/public" if market == "usdm" else ""
    prefix = sim.cfg.rest_prefix
    async with ws_connect(f"{sim.stream_url}{base}/ws/solusdt@depth@100ms") as ws:
        buffered = [await recv_until(ws, is_depth)]
        _, snap, _ = await get_json(http, f"{sim.rest_url}{prefix}/depth", symbol="SOLUSDT",
                                    limit=1000)
        last_id = snap["lastUpdateId"]
        while buffered[-1]["u"] < last_id:
            buffered.append(await recv_until(ws, is_depth))
        book = RefBook(snap["bids"], snap["asks"])
        book_id = last_id
        first = True
        applied = 0
        for ev in buffered:
            if ev["u"] < last_id or (market == "spot" and ev["u"] <= last_id):
                continue
            if market == "usdm":
                if first:
                    assert ev["U"] <= last_id <= ev["u"]
                else:
                    assert ev["pu"] == book_id
            else:
                assert ev["U"] <= book_id + 1
            book.apply(ev)
            book_id = ev["u"]
            first = False
            applied += 1
        while applied < events_after:
            ev = await recv_until(ws, is_depth)
            if market == "usdm":
                assert ev["pu"] == book_id
            else:
                assert ev["U"] == book_id + 1
            book.apply(ev)
            book_id = ev["u"]
            applied += 1
            if applied % 10 == 0:
                assert book.as_tuples() == truth_tuples(sim.book_at("SOLUSDT", book_id))
    truth = sim.book_at("SOLUSDT", book_id)
    assert truth.update_id == book_id
    assert book.as_tuples() == truth_tuples(truth)


async def test_spot_sync_matches_book_at(spot, http):
    await sync_and_compare(spot, http, "spot", 40)


async def test_futures_sync_matches_book_at(usdm, http):
    await sync_and_compare(usdm, http, "usdm", 40)


async def test_snapshot_equals_book_at_its_id(usdm, http):
    _, snap, _ = await get_json(http, f"{usdm.rest_url}/fapi/v1/depth", symbol="ETHUSDT",
                                limit=1000)
    truth = usdm.book_at("ETHUSDT", snap["lastUpdateId"])
    assert [tuple(x) for x in snap["bids"]] == list(truth.bids)
    assert [tuple(x) for x in snap["asks"]] == list(truth.asks)


async def test_snapshot_limit_truncates_each_side(spot, http):
    _, snap, _ = await get_json(http, f"{spot.rest_url}/api/v3/depth", symbol="BTCUSDT",
                                limit=7)
    assert len(snap["bids"]) == 7 and len(snap["asks"]) == 7
    _, snap, _ = await get_json(http, f"{spot.rest_url}/api/v3/depth", symbol="BTCUSDT")
    assert len(snap["bids"]) == 100  # default limit


async def test_book_ticker_u_tracks_the_book(spot):
    async with ws_connect(f"{spot.stream_url}/ws/bnbusdt@bookTicker") as ws:
        ticks = await collect(ws, lambda m: "u" in m and "b" in m, 10)
    assert all(b["u"] > a["u"] for a, b in zip(ticks, ticks[1:], strict=False))
    t = ticks[-1]
    truth = spot.book_at("BNBUSDT", t["u"])
    assert (t["b"], t["B"]) == truth.bids[0]
    assert (t["a"], t["A"]) == truth.asks[0]
    assert set(t) == {"u", "s", "b", "B", "a", "A"}  # spot bookTicker: no e/E
