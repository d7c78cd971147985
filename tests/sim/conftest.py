"""Fixtures for the simulator tests: fast servers and an HTTP session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from sim_helpers import running

from tuimon.sim import SimServer


@pytest.fixture
async def spot() -> AsyncIterator[SimServer]:
    async with running("spot") as sim:
        yield sim


@pytest.fixture
async def usdm() -> AsyncIterator[SimServer]:
    async with running("usdm") as sim:
        yield sim


@pytest.fixture
async def coinm() -> AsyncIterator[SimServer]:
    async with running("coinm") as sim:
        yield sim


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
