"""``tuimon snapshot`` trades and marks (issue 13 §1, §3): the JSON shape against the simulator,
``--trades`` validation, and a reconnect's missed trades shown as a gap, never papered over."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import orjson
import pytest
from feed_helpers import WAIT

from tuimon.headless import SnapshotRequest, market_session, snapshot_json
from tuimon.protocol.decimals import is_exchange_decimal
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.sim import SimServer
from tuimon.store.tape import Gap

TRADE_KEYS = {"id", "time", "price", "qty", "side"}
MARK_KEYS = {"mark_price", "index_price", "funding_rate", "next_funding_time"}


def tuimon(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tuimon", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def check_trades(rows: list[dict[str, object]], count: int) -> None:
    assert len(rows) == count
    for row in rows:
        assert set(row) == TRADE_KEYS
        assert type(row["id"]) is int and type(row["time"]) is int
        assert isinstance(row["price"], str) and is_exchange_decimal(row["price"])
        assert isinstance(row["qty"], str) and is_exchange_decimal(row["qty"])
        assert Decimal(row["qty"]) > 0
        assert row["side"] in ("buy", "sell")
    ids = [row["id"] for row in rows]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # ascending: newest last
    times = [row["time"] for row in rows]
    assert times == sorted(times)


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_trades_and_marks_from_the_real_command(market: str) -> None:
    done = tuimon(
        "snapshot", "BTCUSDT", "ETHUSDT", "--demo", "--market", market, "--seconds", "2",
        "--trades", "7", "--depth", "3",
    )
    assert done.returncode == 0, done.stderr
    out = orjson.loads(done.stdout)
    assert set(out["trades"]) == {"BTCUSDT", "ETHUSDT"}
    for symbol, rows in out["trades"].items():
        check_trades(rows, 7)
        # The simulator trades at prices its book had: near the book's top now.
        best_bid = Decimal(out["books"][symbol]["bids"][0][0])
        assert abs(Decimal(rows[-1]["price"]) - best_bid) / best_bid < Decimal("0.01")
    if market == "spot":
        assert "marks" not in out
        return
    assert set(out["marks"]) == {"BTCUSDT", "ETHUSDT"}
    for symbol, mark in out["marks"].items():
        assert set(mark) == MARK_KEYS
        assert is_exchange_decimal(mark["mark_price"])
        assert is_exchange_decimal(mark["funding_rate"], signed=True)
        assert type(mark["next_funding_time"]) is int
        assert mark["next_funding_time"] > out["trades"][symbol][-1]["time"]
        mid = (Decimal(out["books"][symbol]["bids"][0][0]) + Decimal(
            out["books"][symbol]["asks"][0][0])) / 2
        assert abs(Decimal(mark["mark_price"]) - mid) / mid < Decimal("0.01")


def test_trades_zero_streams_none() -> None:
    done = tuimon("snapshot", "BTCUSDT", "--demo", "--seconds", "1", "--trades", "0")
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout)["trades"] == {"BTCUSDT": []}


@pytest.mark.parametrize("value", ["-1", "x", "501", "2.5", "1e3", ""])
def test_bad_trades_count_is_one_line_and_exit_2(value: str) -> None:
    done = tuimon("snapshot", "BTCUSDT", "--demo", "--trades", value, timeout=20)
    assert done.returncode == 2
    assert "--trades" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


async def test_a_reconnect_shows_a_gap_in_the_tape() -> None:
    async with SimServer(market="spot", seed=11, port=0) as sim:
        endpoints = resolve_endpoints(
            Market.SPOT, stream_url=sim.stream_url, rest_url=sim.rest_url, env={}
        )
        request = SnapshotRequest(symbols=["BTCUSDT"], endpoints=endpoints, trades=20)
        async with market_session(request) as (store, feed, symbols, _user):
            await feed.wait_seeded(WAIT)
            assert await store.wait_until(lambda s: len(s.tapes["BTCUSDT"].entries) > 3, WAIT)
            tape = store.tapes["BTCUSDT"]
            assert not any(type(e) is Gap for e in tape.entries)
            before = tape.last_id
            record = sim.inject("disconnect", None)
            assert await store.wait_until(lambda s: record.applied >= 1, WAIT)
            assert await store.wait_until(
                lambda s: any(type(e) is Gap for e in s.tapes["BTCUSDT"].entries), WAIT
            )
            gap = next(e for e in tape.entries if type(e) is Gap)
            assert gap.after_id >= before and gap.missed >= 1
            result = snapshot_json(store, symbols, 5, "1m", trades=500)
        rows = result["trades"]["BTCUSDT"]
        ids = [row["id"] for row in rows]
        assert ids == sorted(ids)
        assert gap.after_id in ids and gap.next_id in ids  # both sides of the hole are shown


def test_watch_fires_funding_rate_rules_from_the_mark_stream() -> None:
    """Before marks were streamed a funding_rate rule never had a value to fire on."""
    done = tuimon(
        "watch", "--demo", "--market", "usdm", "--alert", "BTCUSDT funding_rate > -1",
        "--seconds", "3",
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    event = orjson.loads(line)
    assert event["metric"] == "funding_rate"
    assert is_exchange_decimal(event["value"], signed=True)
