"""Fixtures for the market-worker tests (helpers live in feed_helpers.py)."""

from __future__ import annotations

import pytest
from feed_helpers import SYMBOLS


@pytest.fixture
def symbols() -> list[str]:
    return SYMBOLS
