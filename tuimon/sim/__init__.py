"""Binance-compatible local market-data simulator (spot, USDⓈ-M, COIN-M).

Pure asyncio + aiohttp + orjson; no dependency on the client packages. See README-level docs in
``tuimon.sim.server.SimServer`` and the fault list in ``tuimon.sim.faults``.
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
