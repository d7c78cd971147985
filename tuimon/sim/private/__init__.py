"""The simulator's private side: a seeded account, signed endpoints and user-data streams.

``SimServer.private`` is a :class:`PrivateSim` (spot and USDⓈ-M; inactive on COIN-M). Tests
drive the account with ``sim.private.step()``, inject faults with ``sim.private.inject()`` and
compare the client's view with ``sim.private.true_account()``. The test keys are Binance's own
published documentation examples.
"""

from tuimon.sim.private.account import ACTIONS
from tuimon.sim.private.keys import (
    TEST_ED25519_API_KEY,
    TEST_ED25519_PEM,
    TEST_HMAC_API_KEY,
    TEST_HMAC_SECRET,
)
from tuimon.sim.private.sim import PRIVATE_FAULT_NAMES, PRIVATE_FAULT_PARAMS, PrivateSim

DEMO_ENV = {"BINANCE_API_KEY": TEST_HMAC_API_KEY, "BINANCE_API_SECRET": TEST_HMAC_SECRET}
"""Environment for ``load_credentials(env=DEMO_ENV)`` in ``--demo`` mode: the simulator's
published test key (never a real account's)."""

__all__ = [
    "ACTIONS",
    "DEMO_ENV",
    "PRIVATE_FAULT_NAMES",
    "PRIVATE_FAULT_PARAMS",
    "TEST_ED25519_API_KEY",
    "TEST_ED25519_PEM",
    "TEST_HMAC_API_KEY",
    "TEST_HMAC_SECRET",
    "PrivateSim",
]
