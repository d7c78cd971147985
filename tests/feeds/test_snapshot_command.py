"""``tuimon snapshot``: the JSON contract, its books against the simulator's truth under every
fault, and clear one-line errors for bad input."""

from __future__ import annotations

import io
import subprocess
import sys
from decimal import Decimal

import orjson
import pytest
from feed_helpers import WAIT, all_synced

from tuimon.headless import SnapshotRequest, market_session, run, snapshot_json
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.sim import SimServer

SYMBOLS = ["BTCUSDT", "ETHUSDT"]


def tuimon(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tuimon", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_contract_from_the_real_command():
    done = tuimon("snapshot", "BTCUSDT", "ethusdt", "--demo", "--seconds", "2", "--depth", "5")
    assert done.returncode == 0, done.stderr
    out = orjson.loads(done.stdout)
    assert set(out) >= {"market", "books", "tickers", "klines", "health"}
    assert out["market"] == "spot"
    assert set(out["books"]) == {"BTCUSDT", "ETHUSDT"}
    for book in out["books"].values():
        assert isinstance(book["last_update_id"], int)
        assert book["last_update_id"] > 0
        assert book["freshness"] == "live"
        assert 0 <= book["age_s"] < 1.5  # a liquid book: its last diff a moment ago
        assert len(book["bids"]) == len(book["asks"]) == 5
        bids = [Decimal(p) for p, _ in book["bids"]]
        asks = [Decimal(p) for p, _ in book["asks"]]
        assert bids == sorted(bids, reverse=True)
        assert asks == sorted(asks)
        assert bids[0] < asks[0]
        assert all(isinstance(q, str) for _, q in book["bids"] + book["asks"])
    ticker = out["tickers"]["BTCUSDT"]
    assert set(ticker) == {"close", "open", "high", "low", "volume", "quote_volume", "event_time"}
    assert Decimal(ticker["low"]) <= Decimal(ticker["close"]) <= Decimal(ticker["high"])
    klines = out["klines"]["ETHUSDT"]
    assert klines["interval"] == "1m"
    assert len(klines["closes"]) == len(klines["open_times"]) >= 100
    assert klines["open_times"] == sorted(klines["open_times"])
    health = out["health"]
    assert health["connected"] is True
    assert health["messages"] > 0
    assert set(health) == {"connected", "reconnects", "resyncs", "messages", "bad_frames"}


STREAM_FAULTS = [
    ("gap", {}),
    ("stale", {"count": 2}),
    ("duplicate", {"count": 2}),
    ("disconnect", {}),
    ("malformed", {"kinds": ["not_json", "truncated", "wrong_types", "huge"]}),
]


@pytest.mark.parametrize("market", ["spot", "usdm"])
@pytest.mark.parametrize(("fault", "params"), STREAM_FAULTS, ids=[f for f, _ in STREAM_FAULTS])
async def test_snapshot_books_equal_truth_under_faults(market, fault, params):
    async with SimServer(market=market, seed=11, port=0) as sim:
        endpoints = resolve_endpoints(
            Market(market), stream_url=sim.stream_url, rest_url=sim.rest_url, env={}
        )
        request = SnapshotRequest(symbols=SYMBOLS, endpoints=endpoints, depth=30)
        async with market_session(request) as (store, _feed, symbols, _user):
            assert await store.wait_until(all_synced(symbols), WAIT)
            record = sim.inject(fault, None, **params)
            assert await store.wait_until(lambda s: record.applied >= 1, WAIT)
            mark = {s: store.books[s].stats.applied for s in symbols}
            assert await store.wait_until(
                lambda s: (
                    all_synced(symbols)(s)
                    and all(s.books[x].stats.applied > mark[x] + 2 for x in symbols)
                ),
                WAIT,
            )
            result = snapshot_json(store, symbols, 30, "1m")
        for symbol, book in result["books"].items():
            truth = sim.book_at(symbol, book["last_update_id"])
            assert book["bids"] == [list(level) for level in truth.bids[:30]], symbol
            assert book["asks"] == [list(level) for level in truth.asks[:30]], symbol
        if fault == "malformed":
            assert result["health"]["bad_frames"] >= 3
        if fault in ("gap", "disconnect"):
            assert result["health"]["resyncs"] >= 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["snapshot", "NOPE", "--demo", "--seconds", "1"], "unknown symbol"),
        (["snapshot", "币安人生", "--demo", "--seconds", "1"], "unknown symbol"),
        (["snapshot", "BTCUSDT", "--market", "margin"], "unknown market"),
        (["snapshot", "BTCUSDT", "--rest-url", "htp:/x"], "bad REST URL"),
        (["snapshot", "BTCUSDT", "--stream-url", "ws://h:port"], "bad stream URL"),
        (["snapshot", "BTCUSDT", "--demo", "--interval", "7m"], "unknown interval"),
        (
            ["snapshot", "BTCUSDT", "--demo", "--market", "usdm", "--interval", "1s"],
            "unknown interval",
        ),
        (["snapshot", "BTCUSDT", "--seconds", "-1"], "must be above 0"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, needle):
    done = tuimon(*args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_unreachable_endpoint_exits_1_after_the_retry_cap():
    endpoints = resolve_endpoints(
        Market.SPOT, rest_url="http://127.0.0.1:9", stream_url="ws://127.0.0.1:9", env={}
    )
    out, err = io.StringIO(), io.StringIO()
    code = run(SnapshotRequest(["BTCUSDT"], endpoints, give_up_after=2), out, err)
    assert code == 1
    assert out.getvalue() == ""
    message = err.getvalue().strip()
    assert "\n" not in message
    assert "cannot connect to 127.0.0.1:9" in message
    assert "gave up after 2 attempts" in message
