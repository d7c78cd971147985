"""Loaders for the real recorded Binance payloads in ../shared/data (cryptofeed capture format)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest


def data_root() -> Path:
    """shared/data/binance-recorded, beside the checkout (CI lays shared/ next to it)."""
    env = os.environ.get("TUIMON_RECORDED_DATA")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve().parent.parent
    candidates += [
        here.parent / "shared" / "data" / "binance-recorded",
        here / "shared" / "data" / "binance-recorded",
    ]
    for path in candidates:
        if path.is_dir():
            return path
    pytest.fail("recorded Binance data not found beside the checkout (../shared/data)")


@dataclass(frozen=True)
class WsRecord:
    """One recorded frame: local receive time (s) and the raw frame bytes."""

    received: float
    raw: bytes


@dataclass(frozen=True)
class HttpRecord:
    """One recorded REST response."""

    url: str
    received: float
    body: object


def ws_records(name: str) -> list[WsRecord]:
    """Frames of a cryptofeed ``*.ws.*.txt`` capture, in order."""
    records = []
    path = data_root() / "cryptofeed-sample-data" / name
    for line in path.read_bytes().splitlines():
        head, sep, rest = line.partition(b": ")
        if not sep or b"<->" in line or line.startswith(b"configuration"):
            continue
        try:
            received = float(head)
        except ValueError:
            continue
        records.append(WsRecord(received, rest))
    return records


def http_records(name: str) -> list[HttpRecord]:
    """Responses of a cryptofeed ``*.http.*.txt`` capture."""
    records = []
    path = data_root() / "cryptofeed-sample-data" / name
    for line in path.read_bytes().splitlines():
        if b" -> " not in line:
            continue
        url, _, rest = line.partition(b" -> ")
        stamp, _, body = rest.partition(b": ")
        records.append(HttpRecord(url.decode(), float(stamp), orjson.loads(body)))
    return records
