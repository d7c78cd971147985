"""Nothing in the simulator grows for the whole session (issue 16 §5).

Each test drives one structure far past its cap (stepped clock, direct calls, or many
connections) and asserts its size stays at the cap, while what the exchange's behaviour needs
(klines up to the REST limit, 90 s of book history) is still served.
"""

from __future__ import annotations

import asyncio
import random
import sys
from array import array

import aiohttp
import orjson
import pytest
from sim_helpers import request, running, ws_connect

from tuimon.sim import SimServer
from tuimon.sim.candles import CandleState, frozen
from tuimon.sim.faults import FAULT_LOG_KEPT
from tuimon.sim.klines import INTERVAL_MS, K_T, HistoryParams
from tuimon.sim.markets import market_config
from tuimon.sim.model import TRADES_KEPT, MarketModel
from tuimon.sim.private import TEST_HMAC_API_KEY
from tuimon.sim.private.account import MAX_OPEN_ORDERS, FuturesAccount, SpotAccount
from tuimon.sim.private.conn import MAX_QUEUE as PRIVATE_MAX_QUEUE
from tuimon.sim.private.conn import PrivateConn
from tuimon.sim.private.sim import DEAD_LISTEN_KEYS_KEPT
from tuimon.sim.ws import MAX_QUEUE_BYTES, StreamConn

START = 1_768_003_200_000  # 2026-01-10 00:00:00 UTC
SPOT = market_config("spot")
USDM = market_config("usdm")


def _candles(keep: int) -> CandleState:
    hp = HistoryParams(100_000, 1000.0, 10.0, lambda ticks, steps: ticks * steps)
    return CandleState(SPOT.intervals, "t", START, 100_000, hp, 1000, 5, keep=keep)


# ----------------------------------------------------------------------- candles


def test_closed_candles_stop_at_the_rest_klines_limit():
    m = MarketModel(SPOT, 7, ["BTCUSDT"], START, 100)
    sm = m.symbols["BTCUSDT"]
    # 40 minutes of market at 1 s per step: 2400 closed 1s candles without a cap.
    now = START
    for _ in range(2400):
        now += 1000
        m.step(now)
    closed = sm.candles.closed
    assert len(closed["1s"]) == SPOT.klines_max
    assert len(closed["1m"]) == 40
    # The largest request the exchange accepts is still answered in full, contiguous and
    # ending with the forming candle.
    rows = sm.klines("1s", SPOT.klines_max, None, None)
    assert len(rows) == SPOT.klines_max
    opens = [r[K_T] for r in rows]
    assert opens == list(range(opens[0], opens[0] + SPOT.klines_max * 1000, 1000))
    assert rows[-1] is sm.forming["1s"]


def test_futures_keep_their_larger_klines_limit():
    m = MarketModel(USDM, 7, ["BTCUSDT"], START, 100)
    candles = m.symbols["BTCUSDT"].candles
    candles.roll(START + 2000 * INTERVAL_MS["1m"])
    assert len(candles.closed["1m"]) == USDM.klines_max == 1500
    assert len(candles.klines("1m", 1500, None, None)) == 1500


def test_a_clock_jump_builds_only_the_candles_it_keeps():
    candles = _candles(keep=1000)
    # A day in one roll: 86 400 empty 1s candles, of which the deque keeps the newest 1000.
    candles.roll(START + 86_400_000)
    one_s = candles.closed["1s"]
    assert len(one_s) == 1000
    assert [c[K_T] for c in one_s] == list(range(one_s[0][K_T], START + 86_400_000, 1000))
    assert candles.forming["1s"][K_T] == START + 86_400_000


def test_closed_candles_are_kept_compact():
    m = MarketModel(SPOT, 7, ["BTCUSDT"], START, 100)
    sm = m.symbols["BTCUSDT"]
    now = START
    for _ in range(300):
        now += 1000
        m.step(now)
    one_s = sm.candles.closed["1s"]
    assert len(one_s) == 300
    # Flat int64 arrays, not lists of int objects: what lets 1000 per interval stay small.
    assert all(isinstance(c, array) and sys.getsizeof(c) < 200 for c in one_s)
    # The final kline of each closed candle went out from the live list, with the same values.
    closing = sm.step_closed[0][1]
    assert list(one_s[-1]) == closing and one_s[-1] is not closing
    # A value beyond int64 keeps the list.
    huge = [2**70] * 13
    assert frozen(huge) is huge


def test_candle_keep_must_be_positive():
    with pytest.raises(ValueError, match="keep"):
        _candles(keep=0)


def test_trade_history_is_capped():
    # REST trades/aggTrades read from it; the largest limit either accepts is 1000.
    m = MarketModel(market_config("spot"), 7, ["BTCUSDT"], START, 100)
    sm = m.symbols["BTCUSDT"]
    now = START
    first = sm.agg_id
    while sm.agg_id < first + TRADES_KEPT + 200:
        now += 50
        m.step(now)
    assert len(sm.trades) == TRADES_KEPT
    assert sm.trades[-1][0] == sm.agg_id - 1


# ----------------------------------------------------------------------- fault logs


def test_fault_log_keeps_the_most_recent_records():
    sim = SimServer("spot", symbols=["BTCUSDT"])  # not started: "clear" needs no loop
    records = [sim.inject("clear") for _ in range(FAULT_LOG_KEPT + 500)]
    assert len(sim.fault_log) == FAULT_LOG_KEPT
    assert sim.fault_log[-1] is records[-1]
    assert sim.fault_log[0] is records[500]


def test_private_fault_log_keeps_the_most_recent_records():
    sim = SimServer("spot", symbols=["BTCUSDT"])
    records = [sim.private.inject("clear") for _ in range(FAULT_LOG_KEPT + 10)]
    assert len(sim.private.fault_log) == FAULT_LOG_KEPT
    assert sim.private.fault_log[-1] is records[-1]


# ----------------------------------------------------------------------- account


@pytest.mark.parametrize("cls,market", [(SpotAccount, "spot"), (FuturesAccount, "usdm")])
def test_demo_account_open_orders_stay_under_the_cap(cls, market):
    # The uncapped walk passes 50 open orders within 1 100 (spot) / 25 000 (usdm) actions.
    account = cls(random.Random(f"private:{market}:7"), lambda: START)
    peak = 0
    for _ in range(30_000):
        account.step()
        peak = max(peak, len(account.orders))
    assert peak == MAX_OPEN_ORDERS  # reached, never passed
    assert account.actions == 30_000


# ----------------------------------------------------------------------- per-connection buffers


class _Transport:
    """Enough of an asyncio transport for abort()."""

    def __init__(self) -> None:
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True


async def test_stream_queue_is_bounded_in_bytes():
    sim = SimServer("spot", symbols=["BTCUSDT"])
    transport = _Transport()
    conn = StreamConn(sim, None, transport, None, False)  # type: ignore[arg-type]
    frame = b"x" * 2**20  # a MiB: far under the frame-count cap, over the byte cap
    for _ in range(MAX_QUEUE_BYTES // len(frame) + 1):
        conn.push(frame)
    assert conn.closed and transport.aborted
    assert sim.stats.slow_consumer_closes == 1
    assert not conn.out and conn.queued_bytes == 0  # the backlog is freed at once
    conn.push(frame)
    assert not conn.out


def test_private_queue_is_bounded():
    transport = _Transport()
    conn = PrivateConn(None, transport, "ws-api", START)  # type: ignore[arg-type]
    for i in range(PRIVATE_MAX_QUEUE + 1):
        conn.push(b'{"e":"x","i":%d}' % i)
    assert conn.closed and transport.aborted
    assert not conn.out


# ----------------------------------------------------------------------- timers, listenKeys


async def test_fired_fault_timers_are_forgotten():
    async with running("spot", symbols=["BTCUSDT"]) as sim:
        for _ in range(3):
            async with ws_connect(f"{sim.stream_url}/ws/btcusdt@depth") as ws:
                sim.inject("server_shutdown", delay=0.05)
                await asyncio.wait_for(ws.wait_closed(), 5)
                assert ws.close_code == 1001
            await sim.wait_connections(0)
            assert not sim.timers
        # Not fired yet: kept, so that stop() cancels it.
        async with ws_connect(f"{sim.stream_url}/ws/btcusdt@depth") as ws:
            sim.inject("server_shutdown", delay=60)
            assert len(sim.timers) == 1


async def test_expired_listen_keys_are_forgotten():
    async with running("usdm", symbols=["BTCUSDT"]) as sim, aiohttp.ClientSession() as http:
        url = f"{sim.rest_url}/fapi/v1/listenKey"
        headers = {"X-MBX-APIKEY": TEST_HMAC_API_KEY}
        keys = []
        for _ in range(DEAD_LISTEN_KEYS_KEPT + 20):
            async with http.post(url, headers=headers) as resp:
                keys.append(orjson.loads(await resp.read())["listenKey"])
            sim.private.inject("listen_key_expired")
        assert len(set(keys)) == len(keys)
        kept = sim.private.listen_keys
        assert len(kept) == DEAD_LISTEN_KEYS_KEPT
        assert list(kept) == keys[-DEAD_LISTEN_KEYS_KEPT:]
        # A forgotten key is refused exactly like a kept expired one.
        for key in (keys[0], keys[-1]):
            async with http.put(f"{url}?listenKey={key}", headers=headers) as resp:
                assert orjson.loads(await resp.read())["code"] == -1125
            async with http.get(f"{sim.stream_url}/private/ws/{key}") as resp:
                assert resp.status == 400


# ----------------------------------------------------------------------- connection churn


async def test_connection_churn_leaves_no_per_connection_state():
    async with running("spot", symbols=["BTCUSDT", "ETHUSDT"]) as sim:
        base = f"{sim.stream_url}/stream?streams=btcusdt@depth@100ms/ethusdt@trade"
        for i in range(40):
            ws = await ws_connect(base)
            reply = await request(ws, "SUBSCRIBE", ["btcusdt@kline_1s", "ethusdt@bookTicker"],
                                  req_id=i)
            assert reply["result"] is None
            if i % 2:
                await ws.close()
            else:
                ws.transport.abort()  # the client vanishes: no close frame
            api = await ws_connect(f"{sim.ws_api_url}/ws-api/v3")
            await api.send(orjson.dumps({"id": i, "method": "ping"}).decode())
            assert orjson.loads(await asyncio.wait_for(api.recv(), 5))["status"] == 200
            if i % 2:
                await api.close()
            else:
                api.transport.abort()
        sim.private.step(5)  # events for sockets that have gone must not be queued anywhere
        await asyncio.wait_for(sim.wait_connections(0), 10)
        assert not sim.conns and not sim.private.conns
        assert sim.subscribers == {}
        assert sim.stats.connections_opened == sim.stats.connections_closed == 40
        assert sim.private.stats.ws_api_connections == 40


# ----------------------------------------------------------------------- book history


def test_history_entries_are_compact_and_read_back_exactly():
    m = MarketModel(SPOT, 7, ["BTCUSDT"], START, 1800)
    for i in range(200):
        m.step(START + (i + 1) * 50)
    sm = m.symbols["BTCUSDT"]
    assert all(type(u).__name__ == "array" for u in sm.history)
    # A value beyond int64 keeps the same flat layout in a tuple; readers see no difference.
    before = sm.last_id
    huge = 2**70
    sm._commit([(0, huge, 0, huge)])
    assert type(sm.history[-1]) is tuple
    window = sm.changes_since(before)
    assert window is not None and window.bids == {huge: huge}
    assert sm.book_at(before).update_id == before  # undoing the huge level drops it again
