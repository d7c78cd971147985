"""The record command itself: its summary line, a clean stop on a signal, clear refusals."""

from __future__ import annotations

import asyncio

import pytest

from tuimon.cli import main
from tuimon.feeds.proxy import ProxyRules
from tuimon.headless import SnapshotRequest, UsageError
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.record import RecordRequest, record
from tuimon.recording.file import RecordingReader
from tuimon.recording.format import Kind
from tuimon.recording.recorder import Recorder


def test_record_demo_says_what_it_wrote(tmp_path, capsys):
    path = tmp_path / "demo.tmrec"
    assert main(["record", str(path), "btcusdt", "--demo", "--seconds", "1.5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("recorded ")
    assert f"written to {path}" in out
    assert out.count("\n") == 1
    reader = RecordingReader(path)
    assert reader.header.source == "demo"
    assert reader.header.symbols == ("BTCUSDT",)
    assert reader.header.endpoints == {}  # the in-process simulator's URLs mean nothing later
    kinds = {r.kind for r in reader.records()}
    assert {Kind.WS, Kind.REST, Kind.OPEN} <= kinds
    assert reader.ended


async def test_a_stop_signal_ends_the_recording_cleanly(tmp_path, monkeypatch):
    from tuimon.sim import SimServer

    stop = asyncio.Event()
    original = Recorder.frame
    seen = []

    def frame(self, route, raw):
        original(self, route, raw)
        seen.append(raw)
        if len(seen) == 10:
            stop.set()  # what SIGINT/SIGTERM do in run_record

    monkeypatch.setattr(Recorder, "frame", frame)
    async with SimServer(market="spot", seed=3, port=0) as sim:
        endpoints = resolve_endpoints(
            Market.SPOT, stream_url=sim.stream_url, rest_url=sim.rest_url, env={}
        )
        session = SnapshotRequest(["BTCUSDT"], endpoints, proxies=ProxyRules.direct())
        summary = await record(RecordRequest(tmp_path / "r.tmrec", session), stop)
    assert summary.frames >= 10
    reader = RecordingReader(tmp_path / "r.tmrec")
    frames = [r for r in reader.records() if r.kind is Kind.WS]
    assert len(frames) == summary.frames
    assert reader.ended  # the END record: a clean stop, not a cut file


def test_an_unknown_symbol_is_refused_and_leaves_no_file(tmp_path, capsys):
    path = tmp_path / "x.tmrec"
    assert main(["record", str(path), "NOPEUSDT", "--demo", "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tuimon record: unknown symbol")
    assert err.count("\n") == 1
    assert not path.exists()


def test_an_unwritable_path_is_one_line(tmp_path, capsys):
    path = tmp_path / "no" / "such" / "dir.tmrec"
    assert main(["record", str(path), "BTCUSDT", "--demo", "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tuimon record: cannot write")
    assert err.count("\n") == 1


async def test_private_data_is_never_recorded(tmp_path):
    endpoints = resolve_endpoints(Market.SPOT, env={})
    session = SnapshotRequest(["BTCUSDT"], endpoints, private=True)
    with pytest.raises(UsageError, match="market data only"):
        await record(RecordRequest(tmp_path / "p.tmrec", session, 1.0))


def test_signed_parameters_never_reach_the_file(tmp_path):
    from tuimon.clock import FrozenClock
    from tuimon.recording.file import RecordingWriter
    from tuimon.recording.format import Header

    path = tmp_path / "s.tmrec"
    writer = RecordingWriter(path, Header(market="spot", symbols=("BTCUSDT",)))
    recorder = Recorder(writer, FrozenClock())
    recorder.rest("account", "https://x/api/v3/account", {"timestamp": 1, "signature": "ab"}, b"{}")
    recorder.rest("depth", "https://x/api/v3/depth", {"symbol": "BTCUSDT"}, b"{}")
    writer.close()
    records = list(RecordingReader(path).records())
    assert [r.kind for r in records] == [Kind.REST]
    assert b"signature" not in path.read_bytes()
