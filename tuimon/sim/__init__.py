"""Binance-compatible local market-data simulator (spot, USDⓈ-M, COIN-M).

Pure asyncio + aiohttp + orjson; no dependency on the client packages. Start with
``tuimon.sim.server.SimServer`` (or ``SimThread`` outside asyncio); faults are listed in
``tuimon.sim.faults``; ``python -m tuimon.sim`` runs all three markets.
"""

from tuimon.sim.faults import FAULT_NAMES, FAULT_PARAMS, MALFORMED_KINDS, FaultRecord
from tuimon.sim.model import BookState
from tuimon.sim.server import SimServer
from tuimon.sim.stats import SimStats
from tuimon.sim.thread import SimThread

__all__ = [
    "FAULT_NAMES",
    "FAULT_PARAMS",
    "MALFORMED_KINDS",
    "BookState",
    "FaultRecord",
    "SimServer",
    "SimStats",
    "SimThread",
]
