"""snapshot --replay carries the recorded trades and marks: the same JSON every run, ids
ascending, the REST seed and the stream joined without a gap (issue 13 §1, §3)."""

from __future__ import annotations

import io

import orjson
import pytest
from recording_helpers import SYMBOLS

from tuimon.recording.session import run_snapshot_replay


def replay(path, trades: int) -> dict:
    out, err = io.StringIO(), io.StringIO()
    code = run_snapshot_replay(path, list(SYMBOLS), 5, None, out, err, trades=trades)
    assert code == 0, err.getvalue()
    return orjson.loads(out.getvalue())


@pytest.mark.parametrize("name", ["spot_recording", "usdm_recording"])
def test_replayed_trades_are_deterministic_and_contiguous(request, name):
    recorded = request.getfixturevalue(name)
    first, second = replay(recorded.path, 30), replay(recorded.path, 30)
    assert first["trades"] == second["trades"]
    for symbol in SYMBOLS:
        rows = first["trades"][symbol]
        assert 0 < len(rows) <= 30
        ids = [row["id"] for row in rows]
        assert all(b == a + 1 for a, b in zip(ids, ids[1:], strict=False))  # no gap
        assert {row["side"] for row in rows} <= {"buy", "sell"}
    if name == "usdm_recording":
        assert first["marks"] == second["marks"]
        assert set(first["marks"]) == set(SYMBOLS)
    else:
        assert "marks" not in first
    assert replay(recorded.path, 0)["trades"] == {s: [] for s in SYMBOLS}
