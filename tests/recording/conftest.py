"""Recordings made once per module (see recording_helpers.py)."""

from __future__ import annotations

import pytest
from recording_helpers import Recorded, make_recording

from tuimon.protocol.endpoints import Market


@pytest.fixture(scope="module")
def spot_recording(tmp_path_factory) -> Recorded:
    return make_recording(tmp_path_factory.mktemp("rec") / "spot.tmrec", Market.SPOT)


@pytest.fixture(scope="module")
def usdm_recording(tmp_path_factory) -> Recorded:
    return make_recording(tmp_path_factory.mktemp("rec") / "usdm.tmrec", Market.USDM)
