"""Recording files: a zstandard stream written as records arrive, read back as a stream.

zstandard (not gzip): it streams, compresses market JSON ~8x at level 3 for a fraction of
gzip's CPU, and a stream that was cut (a killed recorder, a half-copied file) still decodes up
to the last flushed block. The writer flushes a block every second, so a recorder killed with
SIGKILL loses at most that second.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import orjson
import zstandard

from tuimon.recording.format import (
    MAGIC,
    ZSTD_MAGIC,
    Decoder,
    Header,
    Kind,
    Record,
    RecordingError,
    encode,
)

READ_CHUNK = 16 * 1024
"""Decompressed bytes per read: small, so a corrupt block costs at most this much before it."""
WRITE_BATCH = 64 * 1024
"""Encoded bytes gathered before one call into the compressor."""


class RecordingWriter:
    """Appends records to a new recording file (header first, END on :meth:`close`)."""

    def __init__(self, path: Path, header: Header, *, level: int = 3) -> None:
        self.path = path
        self.header = header
        self._file: BinaryIO = path.open("wb")
        compressor = zstandard.ZstdCompressor(level=level, write_checksum=True)
        self._zstd = compressor.stream_writer(self._file, closefd=False)
        self._batch = bytearray(MAGIC)
        self._batch += encode(Kind.HEADER, 0, b"", header.to_json())
        self.counts: dict[str, int] = {"ws": 0, "rest": 0, "events": 0}
        self.raw_bytes = 0
        self.last_t_us = 0
        self.closed = False
        self.flush()

    def add(self, kind: Kind, t_us: int, meta: bytes, body: bytes) -> None:
        """One record (buffered; written by the next batch or :meth:`flush`)."""
        if self.closed:
            return
        self._batch += encode(kind, t_us, meta, body)
        self.last_t_us = t_us
        self.raw_bytes += len(body)
        if kind is Kind.WS:
            self.counts["ws"] += 1
        elif kind is Kind.REST:
            self.counts["rest"] += 1
        else:
            self.counts["events"] += 1
        if len(self._batch) >= WRITE_BATCH:
            self._zstd.write(self._batch)
            self._batch.clear()

    def flush(self) -> None:
        """Everything so far onto the disk as complete zstandard blocks (readable if cut)."""
        if self.closed:
            return
        if self._batch:
            self._zstd.write(self._batch)
            self._batch.clear()
        self._zstd.flush(zstandard.FLUSH_BLOCK)
        self._file.flush()

    def close(self) -> None:
        """Write the END record, end the zstandard frame, close the file."""
        if self.closed:
            return
        self.add(Kind.END, self.last_t_us, b"", _end_body(self.counts))
        self._zstd.write(self._batch)
        self._batch.clear()
        self._zstd.flush(zstandard.FLUSH_FRAME)
        self._file.close()
        self.closed = True

    def abandon(self) -> None:
        """Close without an END record (the command failed before recording anything)."""
        if not self.closed:
            self.closed = True
            self._file.close()

    def compressed_bytes(self) -> int:
        """Bytes on disk so far."""
        return self._file.tell() if not self._file.closed else self.path.stat().st_size


def _end_body(counts: dict[str, int]) -> bytes:
    return orjson.dumps(counts)


class RecordingReader:
    """Reads a recording: :attr:`header` at once, then :meth:`records` as a stream.

    Refusals (``RecordingError``, one line): a missing or unreadable file, not zstandard, not a
    recording, a version this tuimon does not read, damage before the header ends. Damage
    after the header is not a refusal: the records before it are given and :attr:`damage`
    says what happened (also when the file simply stops without its END record).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._file: BinaryIO = path.open("rb")
        except IsADirectoryError:
            raise RecordingError(f"{path}: is a directory, not a recording") from None
        except OSError as exc:
            raise RecordingError(f"{path}: {exc.strerror or exc}") from None
        try:
            self.header = self._open()
        except BaseException:
            self._file.close()
            raise
        self.damage: str | None = None
        self.ended = False
        """True once the END record was read (the recording stopped cleanly)."""
        self.last_t_us = 0

    def _open(self) -> Header:
        start = self._file.read(len(ZSTD_MAGIC))
        if not start:
            raise RecordingError(f"{self.path}: empty file, not a recording")
        if start != ZSTD_MAGIC:
            raise RecordingError(f"{self.path}: not a tuimon recording (not zstandard data)")
        self._file.seek(0)
        decompressor = zstandard.ZstdDecompressor()
        self._stream = decompressor.stream_reader(self._file, read_across_frames=True)
        self._decoder = Decoder()
        self._pending: Iterator[Record] = iter(())
        while True:
            chunk = self._read()
            if chunk is None:
                raise RecordingError(f"{self.path}: damaged before its header ends")
            if not chunk:
                try:
                    self._decoder.finish()
                except RecordingError as exc:
                    raise RecordingError(f"{self.path}: {exc}") from None
                raise RecordingError(f"{self.path}: cut short before its header ends")
            try:
                records = self._decoder.feed(chunk)
                first = next(records, None)
            except RecordingError as exc:
                raise RecordingError(f"{self.path}: {exc}") from None
            if first is not None:
                break
            if self._decoder.damage is not None:
                raise RecordingError(f"{self.path}: damaged before its header ends")
        if first.kind is not Kind.HEADER:
            raise RecordingError(f"{self.path}: not a tuimon recording (no header record)")
        try:
            header = Header.from_json(first.body)
        except RecordingError as exc:
            raise RecordingError(f"{self.path}: {exc}") from None
        self._pending = records
        return header

    def _read(self) -> bytes | None:
        """The next decompressed chunk; b"" at the end; None when zstandard found damage."""
        try:
            return self._stream.read(READ_CHUNK)
        except zstandard.ZstdError:
            return None

    def records(self) -> Iterator[Record]:
        """Every record after the header, in order, up to the END record or the damage."""
        decoder = self._decoder
        pending = self._pending
        self._pending = iter(())
        try:
            while True:
                for record in pending:
                    if record.kind is Kind.END:
                        self.ended = True
                        self.last_t_us = record.t_us
                        return
                    if record.kind is Kind.HEADER:
                        self.damage = "a second header record (two recordings joined?)"
                        return
                    self.last_t_us = record.t_us
                    yield record
                if decoder.damage is not None:
                    self.damage = decoder.damage
                    return
                chunk = self._read()
                if chunk is None:
                    self.damage = f"compressed data damaged after record #{decoder.records}"
                    return
                if not chunk:
                    decoder.finish()
                    self.damage = decoder.damage or "the file stops without its end record"
                    return
                pending = decoder.feed(chunk)
        finally:
            self.close()

    def close(self) -> None:
        """Release the file."""
        self._file.close()

    def __enter__(self) -> RecordingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
