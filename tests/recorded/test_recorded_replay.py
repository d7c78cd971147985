"""The real captures, converted into recordings, replay into synced books through the worker's
own sequence checks (no gaps, no resyncs, every diff up to the capture's last applied)."""

from __future__ import annotations

import io
from decimal import Decimal

import orjson
import pytest
from recorded_data import data_root, ws_records

from tuimon.recording.convert import CAPTURES, convert_capture
from tuimon.recording.file import RecordingReader
from tuimon.recording.session import run_snapshot_replay


@pytest.mark.parametrize("name", list(CAPTURES))
def test_converted_real_capture_replays_into_synced_books(name, tmp_path):
    ws_file, rest_files, market = CAPTURES[name]
    root = data_root() / "cryptofeed-sample-data"
    out = tmp_path / f"{name}.tmrec"
    converted = convert_capture(root / ws_file, [root / r for r in rest_files], out, market)
    records = ws_records(ws_file)
    assert converted.frames == len(records)
    header = RecordingReader(out).header
    assert header.market == market.value
    assert header.symbols == converted.symbols
    assert converted.synthesized_exchange_info == (market.value == "spot")

    stdout, stderr = io.StringIO(), io.StringIO()
    code = run_snapshot_replay(out, list(converted.symbols), 5, None, stdout, stderr)
    assert code == 0, stderr.getvalue()
    assert stderr.getvalue() == ""
    snapshot = orjson.loads(stdout.getvalue())
    health = snapshot["health"]
    assert health["messages"] == len(records)
    assert health["bad_frames"] == 0
    assert health["resyncs"] == 0
    last_u: dict[str, int] = {}
    for record in records:
        frame = orjson.loads(record.raw)
        data = frame["data"]
        if data.get("e") == "depthUpdate":
            last_u[data["s"]] = data["u"]
    for symbol in converted.symbols:
        book = snapshot["books"][symbol]
        assert book["synced"] is True, symbol
        assert book["last_update_id"] == last_u[symbol]  # every diff up to the last applied
        assert book["bids"] and book["asks"]
        assert Decimal(book["bids"][0][0]) < Decimal(book["asks"][0][0])


def test_a_converted_capture_replays_identically_twice(tmp_path):
    ws_file, rest_files, market = CAPTURES["usdm"]
    root = data_root() / "cryptofeed-sample-data"
    out = tmp_path / "usdm.tmrec"
    converted = convert_capture(root / ws_file, [root / r for r in rest_files], out, market)
    outputs = []
    for _ in range(2):
        stdout = io.StringIO()
        assert run_snapshot_replay(out, list(converted.symbols), 20, None, stdout) == 0
        outputs.append(stdout.getvalue())
    assert outputs[0] == outputs[1]
