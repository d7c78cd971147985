"""The recording format: records round-trip, damage is pinned to a record, refusals are one line."""

from __future__ import annotations

import gzip

import pytest
import zstandard

from tuimon.recording.file import RecordingReader, RecordingWriter
from tuimon.recording.format import (
    MAGIC,
    Decoder,
    Header,
    Kind,
    RecordingError,
    encode,
)

HEADER = Header(market="spot", symbols=("BTCUSDT",), started_ms=1_700_000_000_000)


def write(path, count=500, *, close=True):
    writer = RecordingWriter(path, HEADER)
    for i in range(count):
        writer.add(Kind.WS, i * 1000, b"spot", b'{"stream":"x","data":{"i":%d}}' % i)
        if i % 100 == 0:
            writer.flush()
    writer.add(Kind.REST, count * 1000, b'{"name":"depth","params":{}}', b'{"lastUpdateId":1}')
    if close:
        writer.close()
    else:
        writer.flush()
        writer.abandon()
    return path


def test_records_round_trip(tmp_path):
    reader = RecordingReader(write(tmp_path / "a.tmrec"))
    assert reader.header == HEADER
    records = list(reader.records())
    assert len(records) == 501
    assert records[7].kind is Kind.WS
    assert records[7].t_us == 7000
    assert records[7].meta == b"spot"
    assert records[7].body == b'{"stream":"x","data":{"i":7}}'
    assert records[-1].kind is Kind.REST
    assert reader.ended
    assert reader.damage is None


def test_a_recorder_that_died_leaves_what_it_flushed(tmp_path):
    reader = RecordingReader(write(tmp_path / "a.tmrec", close=False))
    records = list(reader.records())
    assert len(records) == 501  # flushed before it stopped: nothing lost
    assert not reader.ended
    assert reader.damage == "the file stops without its end record"


def test_a_file_cut_in_half_gives_the_records_before_the_cut(tmp_path):
    path = write(tmp_path / "a.tmrec", 5000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    reader = RecordingReader(path)
    records = list(reader.records())
    assert 100 < len(records) < 5000
    assert [r.t_us for r in records] == [i * 1000 for i in range(len(records))]
    assert reader.damage is not None


def test_a_flipped_byte_stops_at_the_damaged_record():
    body = b"".join(encode(Kind.WS, i, b"spot", b"payload %d" % i) for i in range(10))
    damaged = bytearray(MAGIC + body)
    damaged[len(MAGIC) + 5 * (19 + 4 + 9) + 25] ^= 0x01  # inside record #6's payload
    decoder = Decoder()
    records = list(decoder.feed(bytes(damaged)))
    assert len(records) == 5
    assert decoder.damage == "damaged record #6 (checksum mismatch)"


def test_records_split_across_chunks_decode_the_same():
    data = MAGIC + b"".join(encode(Kind.WS, i, b"m", b"x" * i) for i in range(50))
    decoder = Decoder()
    records = [r for i in range(0, len(data), 7) for r in decoder.feed(data[i : i + 7])]
    decoder.finish()
    assert [len(r.body) for r in records] == list(range(50))
    assert decoder.damage is None


def test_an_impossible_length_is_damage_not_a_huge_allocation():
    decoder = Decoder()
    head = bytes([1]) + bytes(8) + bytes(2) + (2**31).to_bytes(4, "little") + bytes(4)
    assert list(decoder.feed(MAGIC + head)) == []
    assert decoder.damage == "damaged record #1 (impossible header)"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file, not a recording"),
        (b"hello, world\n" * 10, "not a tuimon recording (not zstandard data)"),
        (gzip.compress(b"x" * 100), "not a tuimon recording (not zstandard data)"),
        (zstandard.compress(b'{"not": "a recording"}'), "not a tuimon recording (wrong magic"),
        (zstandard.compress(MAGIC[:4]), "not a tuimon recording (too short)"),
    ],
)
def test_what_is_not_a_recording_is_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "x.tmrec"
    path.write_bytes(content)
    with pytest.raises(RecordingError) as caught:
        RecordingReader(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_format_version_is_refused(tmp_path):
    path = tmp_path / "v2.tmrec"
    RecordingWriter(path, Header(market="spot", symbols=("BTCUSDT",), version=2)).close()
    with pytest.raises(RecordingError, match="format version 2 is not supported"):
        RecordingReader(path)


def test_a_missing_file_and_a_directory_are_refused(tmp_path):
    with pytest.raises(RecordingError, match="No such file"):
        RecordingReader(tmp_path / "nope.tmrec")
    with pytest.raises(RecordingError, match="is a directory"):
        RecordingReader(tmp_path)
