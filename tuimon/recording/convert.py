"""Turn cryptofeed raw captures (``../shared/data/binance-recorded``) into tuimon recordings.

cryptofeed's format, one record per line (see that directory's README):

* WebSocket file: ``<wss url> <-> <ts>`` (the connect), then ``<ts>: <raw frame>``;
* REST file: ``<url> -> <ts>: <response body>``;

``<ts>`` is the local receive time in seconds. Frames are copied byte for byte; each goes to
the connection tuimon would carry it on today (USDⓈ-M depth on ``/public``, klines on
``/market``: the 2021 capture predates the routed paths), opened at the capture's connect time.
A capture without exchangeInfo (the spot files) gets a minimal one built from its depth
snapshots (symbol, tick and step size), and the header's ``source`` says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from tuimon import __version__
from tuimon.protocol.endpoints import Market
from tuimon.protocol.streams import route_of
from tuimon.recording.file import RecordingWriter
from tuimon.recording.format import Header, Kind, rest_meta


@dataclass(frozen=True, slots=True)
class Line:
    """One captured item: receive time (s), kind, and its payload."""

    received: float
    kind: Kind
    meta: bytes
    body: bytes


@dataclass(slots=True)
class Converted:
    """What a conversion wrote."""

    path: Path
    symbols: tuple[str, ...]
    frames: int
    rest: int
    synthesized_exchange_info: bool


def _ws_lines(path: Path, market: Market) -> tuple[float, list[str], list[Line]]:
    connected = 0.0
    streams: list[str] = []
    lines: list[Line] = []
    routes: set[str] = set()
    for raw in path.read_bytes().splitlines():
        if raw.startswith(b"configuration"):
            continue
        if b" <-> " in raw:
            url, _, stamp = raw.partition(b" <-> ")
            connected = float(stamp)
            query = dict(parse_qsl(urlsplit(url.decode()).query))
            streams = [s for s in query.get("streams", "").split("/") if s]
            continue
        head, sep, frame = raw.partition(b": ")
        if not sep:
            continue
        try:
            received = float(head)
        except ValueError:
            continue
        try:
            stream = str(orjson.loads(frame).get("stream", ""))
        except (orjson.JSONDecodeError, AttributeError):
            stream = ""
        route = route_of(market, stream).value or market.value
        routes.add(route)
        lines.append(Line(received, Kind.WS, route.encode(), frame))
    opens = []
    for route in sorted(routes):
        state = orjson.dumps({"connected": True, "error": ""})
        opens.append(Line(connected, Kind.STATE, route.encode(), state))
        opens.append(Line(connected, Kind.OPEN, route.encode(), b'{"reopened":false}'))
    return connected, streams, opens + lines


def _rest_lines(path: Path) -> list[Line]:
    lines = []
    for raw in path.read_bytes().splitlines():
        if b" -> " not in raw:
            continue
        url, _, rest = raw.partition(b" -> ")
        stamp, _, body = rest.partition(b": ")
        parts = urlsplit(url.decode())
        name = parts.path.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        meta = rest_meta(name, parts.path, params)
        lines.append(Line(float(stamp), Kind.REST, meta, body))
    return lines


def _decimals(values: Iterable[str]) -> int:
    places = 0
    for value in values:
        _, _, fraction = value.partition(".")
        places = max(places, len(fraction.rstrip("0")))
    return places


def synthesized_exchange_info(snapshots: dict[str, bytes]) -> bytes:
    """A minimal exchangeInfo for captured symbols: tick and step from their snapshots."""
    symbols = []
    for symbol, body in sorted(snapshots.items()):
        data = orjson.loads(body)
        levels = data.get("bids", []) + data.get("asks", [])
        tick = Decimal(1).scaleb(-_decimals(p for p, _ in levels))
        step = Decimal(1).scaleb(-_decimals(q for _, q in levels))
        symbols.append(
            {
                "symbol": symbol,
                "status": "TRADING",
                "filters": [
                    {"filterType": "PRICE_FILTER", "tickSize": f"{tick:f}"},
                    {"filterType": "LOT_SIZE", "stepSize": f"{step:f}"},
                ],
            }
        )
    return orjson.dumps({"timezone": "UTC", "symbols": symbols})


def convert_capture(
    ws_file: Path,
    rest_files: list[Path],
    out: Path,
    market: Market,
) -> Converted:
    """Write ``out`` from one WebSocket capture and the REST captures taken with it."""
    connected, streams, ws = _ws_lines(ws_file, market)
    rest = [line for path in rest_files for line in _rest_lines(path)]
    symbols = tuple(
        dict.fromkeys(s.split("@", 1)[0].upper() for s in streams if "@depth" in s)
    )
    synthesized = not any(b'"name":"exchangeInfo"' in line.meta for line in rest)
    source = f"cryptofeed capture {ws_file.name}"
    if synthesized:
        snapshots = {}
        for line in rest:
            if b'"name":"depth"' in line.meta:
                params = orjson.loads(line.meta)["params"]
                snapshots[str(params.get("symbol", "")).upper()] = line.body
        body = synthesized_exchange_info(snapshots)
        path = "/fapi/v1/exchangeInfo" if market is Market.USDM else "/api/v3/exchangeInfo"
        meta = rest_meta("exchangeInfo", path, {})
        rest.append(Line(connected, Kind.REST, meta, body))
        source += " (exchangeInfo synthesized from its depth snapshots: not in the capture)"
    start = min([connected, *(line.received for line in rest)])
    # Stable sort by receive time; at equal times REST (exchangeInfo) goes first, as live.
    items = sorted(rest + ws, key=lambda line: (line.received, line.kind is not Kind.REST))
    header = Header(
        market=market.value,
        symbols=symbols,
        started_ms=round(start * 1000),
        tuimon_version=__version__,
        source=source,
    )
    writer = RecordingWriter(out, header)
    for line in items:
        t_us = max(0, round((line.received - start) * 1_000_000))
        writer.add(line.kind, t_us, line.meta, line.body)
    writer.close()
    return Converted(out, symbols, writer.counts["ws"], writer.counts["rest"], synthesized)


CAPTURES = {
    "spot": ("BINANCE.ws.1.0.txt", ["BINANCE.http.0.0.txt"], Market.SPOT),
    "binance-us": ("BINANCE_US.ws.1.0.txt", ["BINANCE_US.http.0.0.txt"], Market.SPOT),
    "usdm": (
        "BINANCE_FUTURES.ws.1.0.txt",
        ["BINANCE_FUTURES.0.txt", "BINANCE_FUTURES.http.0.0.txt"],
        Market.USDM,
    ),
    "coinm": (
        "BINANCE_DELIVERY.ws.1.0.txt",
        ["BINANCE_DELIVERY.0.txt", "BINANCE_DELIVERY.http.0.0.txt"],
        Market.COINM,
    ),
}
"""The captures in ``binance-recorded/cryptofeed-sample-data``: name → (ws, rest, market)."""


def convert_all(capture_dir: Path, out_dir: Path) -> list[Converted]:
    """Every known capture in ``capture_dir`` into ``out_dir/<name>.tmrec``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for name, (ws, rest, market) in CAPTURES.items():
        done.append(
            convert_capture(
                capture_dir / ws,
                [capture_dir / r for r in rest],
                out_dir / f"{name}.tmrec",
                market,
            )
        )
    return done
