"""Recordings made from the simulator (kept, so tests can ask it the truth)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from tuimon.feeds.proxy import ProxyRules
from tuimon.headless import SnapshotRequest
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.record import RecordRequest, RecordSummary, record
from tuimon.sim import SimServer

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
SECONDS = 3.0


@dataclass
class Recorded:
    path: Path
    sim: SimServer
    summary: RecordSummary
    market: Market


def make_recording(path: Path, market: Market, seconds: float = SECONDS) -> Recorded:
    async def main() -> Recorded:
        sim = SimServer(market=market.value, seed=11, port=0)
        await sim.start()
        try:
            endpoints = resolve_endpoints(
                market, stream_url=sim.stream_url, rest_url=sim.rest_url, env={}
            )
            session = SnapshotRequest(SYMBOLS, endpoints, proxies=ProxyRules.direct())
            summary = await record(RecordRequest(path, session, seconds))
        finally:
            await sim.stop()
        return Recorded(path, sim, summary, market)

    return asyncio.run(main())
