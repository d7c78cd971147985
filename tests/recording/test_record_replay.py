"""tuimon record, then snapshot --replay: deterministic, books synced through the real sequence
checks and equal to the simulator's own book; damaged files replay up to the damage."""

from __future__ import annotations

import io
from decimal import Decimal

import orjson
import pytest
from recording_helpers import SECONDS, SYMBOLS

from tuimon.cli import main
from tuimon.recording.file import RecordingReader
from tuimon.recording.format import Kind, RestRequest
from tuimon.recording.session import run_snapshot_replay


def replay(path, symbols=SYMBOLS, depth=10):
    out, err = io.StringIO(), io.StringIO()
    code = run_snapshot_replay(path, list(symbols), depth, None, out, err)
    return code, out.getvalue(), err.getvalue()


def last_closes(path):
    """Each symbol's last recorded miniTicker close, straight from the file."""
    closes = {}
    for record in RecordingReader(path).records():
        if record.kind is Kind.WS and b"@miniTicker" in record.body[:40]:
            data = orjson.loads(record.body)["data"]
            closes[data["s"]] = data["c"]
    return closes


def without_health(text):
    data = orjson.loads(text)
    data.pop("health")
    return orjson.dumps(data)


@pytest.mark.parametrize("name", ["spot_recording", "usdm_recording"])
def test_record_writes_header_frames_and_the_seeding_rest_responses(request, name):
    recorded = request.getfixturevalue(name)
    reader = RecordingReader(recorded.path)
    header = reader.header
    assert header.market == recorded.market.value
    assert header.symbols == tuple(SYMBOLS)
    assert header.version == 1
    assert header.tuimon_version
    assert header.started_ms > 1_600_000_000_000
    records = list(reader.records())
    assert reader.ended and reader.damage is None
    rest = [RestRequest.parse(r.meta) for r in records if r.kind is Kind.REST]
    names = [r.name for r in rest]
    assert names[0] == "exchangeInfo"  # before any stream: the symbols were checked first
    assert {dict(r.params)["symbol"] for r in rest if r.name == "depth"} == set(SYMBOLS)
    assert {dict(r.params)["symbol"] for r in rest if r.name == "klines"} == set(SYMBOLS)
    frames = [r for r in records if r.kind is Kind.WS]
    assert len(frames) == recorded.summary.frames > 20
    routes = {r.meta.decode() for r in frames}
    assert routes == ({"spot"} if name == "spot_recording" else {"public", "market"})
    assert all(r.body.startswith(b'{"stream":') for r in frames)  # raw combined frames
    assert {r.meta.decode() for r in records if r.kind is Kind.OPEN} == routes
    times = [r.t_us for r in records]
    assert times == sorted(times)
    assert times[-1] <= (SECONDS + 1) * 1_000_000
    assert recorded.summary.compressed_bytes == recorded.path.stat().st_size


@pytest.mark.parametrize("name", ["spot_recording", "usdm_recording"])
def test_snapshot_replay_is_deterministic_and_books_are_synced(request, name):
    recorded = request.getfixturevalue(name)
    first = replay(recorded.path)
    second = replay(recorded.path)
    assert first[0] == second[0] == 0, first[2]
    assert first[2] == second[2] == ""
    assert without_health(first[1]) == without_health(second[1])
    assert first[1] == second[1]  # health too, on virtual time
    out = orjson.loads(first[1])
    assert out["market"] == recorded.market.value
    for symbol in SYMBOLS:
        book = out["books"][symbol]
        assert book["synced"] is True
        assert book["last_update_id"] > 0
        assert book["freshness"] == "live"
        assert len(book["bids"]) == len(book["asks"]) == 10
        assert Decimal(book["bids"][0][0]) < Decimal(book["asks"][0][0])
        assert len(out["klines"][symbol]["closes"]) >= 100
    assert {s: t["close"] for s, t in out["tickers"].items()} == last_closes(recorded.path)
    assert out["health"]["resyncs"] == 0
    assert out["health"]["bad_frames"] == 0


@pytest.mark.parametrize("name", ["spot_recording", "usdm_recording"])
def test_replayed_books_equal_the_exchanges_book_at_their_update_id(request, name):
    recorded = request.getfixturevalue(name)
    code, text, err = replay(recorded.path, depth=5000)
    assert code == 0, err
    for symbol, book in orjson.loads(text)["books"].items():
        truth = recorded.sim.book_at(symbol, book["last_update_id"])
        bids = [[Decimal(p), Decimal(q)] for p, q in book["bids"]]
        asks = [[Decimal(p), Decimal(q)] for p, q in book["asks"]]
        assert bids == [[Decimal(p), Decimal(q)] for p, q in truth.bids][: len(bids)]
        assert asks == [[Decimal(p), Decimal(q)] for p, q in truth.asks][: len(asks)]
        assert len(bids) > 50


def test_a_subset_of_the_recorded_symbols_replays(spot_recording):
    code, text, _ = replay(spot_recording.path, ["ethusdt"])
    assert code == 0
    out = orjson.loads(text)
    assert list(out["books"]) == ["ETHUSDT"]
    assert out["books"]["ETHUSDT"]["last_update_id"] > 0


def test_a_symbol_not_in_the_recording_is_refused(spot_recording):
    code, text, err = replay(spot_recording.path, ["BTCUSDT", "DOGEUSDT"])
    assert code == 2
    assert text == ""
    assert err.startswith("tuimon snapshot: not in the recording: DOGEUSDT")
    assert err.count("\n") == 1


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_a_cut_recording_replays_up_to_the_cut_with_one_warning(spot_recording, tmp_path, fraction):
    data = spot_recording.path.read_bytes()
    cut = tmp_path / "cut.tmrec"
    cut.write_bytes(data[: int(len(data) * fraction)])
    whole = orjson.loads(replay(spot_recording.path)[1])["health"]["messages"]
    code, text, err = replay(cut)
    assert code == 0
    assert err.count("\n") == 1
    assert err.startswith("tuimon snapshot: warning: ")
    assert "replayed up to" in err
    out = orjson.loads(text)
    assert set(out["books"]) == set(SYMBOLS)
    assert out["health"]["messages"] < whole
    if fraction > 0.5:  # past the REST responses at the start: frames were replayed
        assert out["health"]["messages"] > 0


def test_a_corrupt_byte_replays_up_to_the_damage(spot_recording, tmp_path):
    data = bytearray(spot_recording.path.read_bytes())
    data[len(data) * 3 // 4] ^= 0x55
    bad = tmp_path / "bad.tmrec"
    bad.write_bytes(bytes(data))
    code, text, err = replay(bad)
    assert code == 0
    assert err.count("\n") == 1 and "warning" in err
    assert orjson.loads(text)["market"] == "spot"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b'{"market": "spot"}\n', "not a tuimon recording"),
    ],
)
def test_the_command_refuses_what_is_not_a_recording(tmp_path, capsys, content, message):
    path = tmp_path / "x.tmrec"
    path.write_bytes(content)
    assert main(["snapshot", "BTCUSDT", "--replay", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err


def test_replay_refuses_options_that_pick_an_exchange(spot_recording, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["snapshot", "BTCUSDT", "--replay", str(spot_recording.path), "--demo"])
    assert exited.value.code == 2
    assert "--demo cannot be combined" in capsys.readouterr().err


def test_the_command_prints_the_same_json_twice(spot_recording, capsys):
    outs = []
    for _ in range(2):
        assert main(["snapshot", "BTCUSDT", "--replay", str(spot_recording.path)]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]
    assert orjson.loads(outs[0])["books"]["BTCUSDT"]["last_update_id"] > 0
