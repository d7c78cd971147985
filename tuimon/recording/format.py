"""The recording format, with no I/O: a header and length-prefixed, checksummed records.

A recording is one zstandard stream whose decompressed bytes are::

    MAGIC  record(HEADER)  record(...)  ...  record(END)

Every record is ``kind u8 | t_us u64 | meta_len u16 | body_len u32 | crc32 u32 | meta | body``
(little-endian). ``t_us`` is the receive time in microseconds since the recording started
(monotonic), ``meta`` says where the bytes came from (a stream connection's name, or a REST
request as JSON) and ``body`` is the payload exactly as the exchange sent it. Length prefixes
instead of JSON lines: a payload is written as received, never escaped, so the hot path is one
``struct.pack`` and a CRC. The CRC (over the head, meta and body) pins damage to the record:
zstandard's own checksum covers whole frames only, and a recording that was killed has none.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import orjson

FORMAT = "tuimon-recording"
VERSION = 1
"""The format version this tuimon writes and reads."""
MAGIC = b"TUIMONREC\n"
"""First bytes of the decompressed stream: a file without them is not a recording."""
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
"""First bytes of a zstandard frame (RFC 8878 §3.1.1)."""

_HEAD = struct.Struct("<BQHII")
HEAD_SIZE = _HEAD.size
_HEAD_NO_CRC = HEAD_SIZE - 4
MAX_META = 0xFFFF
MAX_BODY = 64 * 2**20
"""Larger than any Binance payload (exchangeInfo is ~2 MB): a bigger length is damage."""


class Kind(IntEnum):
    """What a record holds."""

    HEADER = 0
    """body: the header as JSON (always the first record)."""
    WS = 1
    """meta: the connection's name (``spot``, ``public``, ``market#2``); body: the raw frame."""
    REST = 2
    """meta: ``{"name", "path", "params"}`` as JSON; body: the response body (status 200)."""
    OPEN = 3
    """meta: the connection's name; body: ``{"reopened": bool}`` (a socket (re)opened)."""
    STATE = 4
    """meta: the connection's name; body: ``{"connected": bool, "error": str}``."""
    END = 5
    """body: counts as JSON. Written on a clean stop: its absence means the file was cut."""


class RecordingError(Exception):
    """The file cannot be replayed at all (not a recording, unknown version, damaged header);
    ``str()`` is one line for the user."""


@dataclass(frozen=True, slots=True)
class Header:
    """What a recording is of. Market data only: no keys, no account, no private streams."""

    market: str
    symbols: tuple[str, ...]
    interval: str = "1m"
    depth_speed_ms: int = 100
    started_ms: int = 0
    """Wall time (epoch ms) of ``t_us == 0``."""
    tuimon_version: str = ""
    source: str = ""
    """``live``, ``demo`` (the built-in simulator) or what a capture was converted from."""
    endpoints: dict[str, str] = field(default_factory=dict)
    """Base URLs the recording came from (credentials in a URL are never kept)."""
    version: int = VERSION

    def to_json(self) -> bytes:
        """The header record's body."""
        return orjson.dumps(
            {
                "format": FORMAT,
                "version": self.version,
                "market": self.market,
                "symbols": list(self.symbols),
                "interval": self.interval,
                "depth_speed_ms": self.depth_speed_ms,
                "started_ms": self.started_ms,
                "tuimon_version": self.tuimon_version,
                "source": self.source,
                "endpoints": self.endpoints,
            }
        )

    @classmethod
    def from_json(cls, body: bytes) -> Header:
        """Read a header record's body; RecordingError if it is not one this tuimon reads."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise RecordingError("not a tuimon recording (its header is not JSON)") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RecordingError("not a tuimon recording (no tuimon-recording header)")
        version = data.get("version")
        if version != VERSION:
            raise RecordingError(
                f"recording format version {version!r} is not supported "
                f"(this tuimon reads version {VERSION})"
            )
        try:
            symbols = data["symbols"]
            endpoints = data.get("endpoints") or {}
            header = cls(
                market=_str(data["market"]),
                symbols=tuple(_str(s) for s in symbols),
                interval=_str(data.get("interval", "1m")),
                depth_speed_ms=_int(data.get("depth_speed_ms", 100)),
                started_ms=_int(data.get("started_ms", 0)),
                tuimon_version=_str(data.get("tuimon_version", "")),
                source=_str(data.get("source", "")),
                endpoints={_str(k): _str(v) for k, v in endpoints.items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RecordingError(f"recording header is malformed ({exc})") from None
        return header


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class Record:
    """One decoded record."""

    kind: Kind
    t_us: int
    meta: bytes
    body: bytes


def encode(kind: int, t_us: int, meta: bytes, body: bytes) -> bytes:
    """One record's bytes."""
    if len(meta) > MAX_META or len(body) > MAX_BODY:
        raise ValueError(f"record too large ({len(meta)} + {len(body)} bytes)")
    head = _HEAD.pack(kind, t_us, len(meta), len(body), 0)[:_HEAD_NO_CRC]
    crc = zlib.crc32(body, zlib.crc32(meta, zlib.crc32(head)))
    return b"".join((head, crc.to_bytes(4, "little"), meta, body))


def rest_meta(name: str, path: str, params: dict[str, Any]) -> bytes:
    """A REST record's meta: the endpoint's name, its URL path and the query parameters."""
    return orjson.dumps({"name": name, "path": path, "params": params})


@dataclass(frozen=True, slots=True)
class RestRequest:
    """A REST record's meta, read back."""

    name: str
    path: str
    params: tuple[tuple[str, str], ...]
    """Sorted (key, value-as-text): the lookup key, whatever types the caller passed."""

    @classmethod
    def parse(cls, meta: bytes) -> RestRequest:
        """Decode; ValueError if malformed."""
        data = orjson.loads(meta)
        if not isinstance(data, dict):
            raise ValueError("REST meta is not an object")
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("REST params are not an object")
        return cls(_str(data["name"]), _str(data.get("path", "")), request_key(params))


def request_key(params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Query parameters as a lookup key: the same request gives the same key."""
    return tuple(sorted((str(k), str(v)) for k, v in params.items()))


class Decoder:
    """Incremental record decoder over decompressed bytes (fed in chunks of any size).

    Stops at the first damage: a bad checksum, an impossible length or a short read at the end
    (:meth:`finish`); ``damage`` then says what, in one line, and no record after it is given.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._offset = 0
        self._magic_seen = False
        self.damage: str | None = None
        self.records = 0
        self.last_t_us = 0

    def feed(self, chunk: bytes) -> Iterator[Record]:
        """Records completed by this chunk."""
        if self.damage is not None:
            return
        buffer = self._buffer
        buffer += chunk
        if not self._magic_seen:
            if len(buffer) < len(MAGIC):
                if not MAGIC.startswith(bytes(buffer)):
                    raise RecordingError("not a tuimon recording (wrong magic bytes)")
                return
            if not buffer.startswith(MAGIC):
                raise RecordingError("not a tuimon recording (wrong magic bytes)")
            self._magic_seen = True
            self._offset = len(MAGIC)
        view = memoryview(buffer)
        offset = self._offset
        end = len(buffer)
        unpack = _HEAD.unpack_from
        crc32 = zlib.crc32
        try:
            while end - offset >= HEAD_SIZE:
                kind, t_us, meta_len, body_len, crc = unpack(buffer, offset)
                if body_len > MAX_BODY or kind > Kind.END:
                    self.damage = f"damaged record #{self.records + 1} (impossible header)"
                    return
                stop = offset + HEAD_SIZE + meta_len + body_len
                if stop > end:
                    break
                meta_at = offset + HEAD_SIZE
                body_at = meta_at + meta_len
                meta = bytes(view[meta_at:body_at])
                body = bytes(view[body_at:stop])
                check = crc32(body, crc32(meta, crc32(view[offset : offset + _HEAD_NO_CRC])))
                if check != crc:
                    self.damage = f"damaged record #{self.records + 1} (checksum mismatch)"
                    return
                offset = stop
                self.records += 1
                self.last_t_us = t_us
                yield Record(Kind(kind), t_us, meta, body)
        finally:
            view.release()
            # Compact now and then, not per record: the buffer holds at most one chunk's worth.
            del buffer[:offset]
            self._offset = 0

    def finish(self) -> None:
        """The input ended: leftover bytes are a record cut short."""
        if self.damage is None and (len(self._buffer) > self._offset or not self._magic_seen):
            if not self._magic_seen:
                raise RecordingError("not a tuimon recording (too short)")
            self.damage = f"cut short inside record #{self.records + 1}"
