"""Hypothesis strategies shared by the fuzz tests: hostile JSON, decimal-ish strings, recorded
payloads with one field replaced, and checks that a parsed record holds only sane values.

A plain module (not conftest.py), imported by name: tests/fuzz/conftest.py puts this folder on
``sys.path``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from hypothesis import strategies as st
from recorded_data import data_root, http_records, ws_records

from tuimon.protocol.decimals import MAX_LENGTH

# ----------------------------------------------------------------------------- decimals

HOSTILE_DECIMALS = (
    "",
    " ",
    ".",
    "-",
    ".5",
    "5.",
    "1.2.3",
    "1e5",
    "1E-5",
    "1e999999",
    "1E-999999",
    "-1e999999",
    "1_000",
    " 1 ",
    "1\n",
    "+1",
    "--1",
    "-0",
    "-0.00000000",
    "١٢٣",
    "１２",
    "1²",
    "NaN",
    "sNaN",
    "-Infinity",
    "Infinity",
    "inf",
    "0x1",
    "9" * (MAX_LENGTH + 1),
    "1" * 100_000,
)
"""What Decimal() accepts (or nearly) and the exchange grammar refuses."""


def _digits(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=min_size, max_size=max_size)


@st.composite
def grammar_decimals(draw: st.DrawFn, signed: bool = False) -> str:
    """Any string of the exchange grammar, biased towards its bounds (40 chars, 1e-38)."""
    sign = "-" if signed and draw(st.booleans()) else ""
    room = MAX_LENGTH - len(sign)
    kind = draw(st.sampled_from(["any", "largest", "smallest", "integer"]))
    if kind == "largest":
        return sign + "9" * room
    if kind == "smallest":
        return sign + "0." + "0" * (room - 3) + "1"
    whole = draw(_digits(1, room))
    if kind == "integer" or len(whole) >= room - 1:
        return sign + whole
    return sign + whole + "." + draw(_digits(1, room - len(whole) - 1))


decimalish = st.one_of(
    st.sampled_from(HOSTILE_DECIMALS),
    grammar_decimals(),
    grammar_decimals(signed=True),
    st.text(alphabet="0123456789.-+eE_ \t\n١２²", max_size=45),
)
"""Strings a decimal field might hold: valid, hostile, and random mixes of their characters."""

# ----------------------------------------------------------------------------- JSON

KNOWN_KEYS = (
    # market events and envelopes
    "e", "E", "s", "U", "u", "pu", "b", "a", "B", "A", "p", "q", "c", "o", "h", "l", "v", "k",
    "x", "i", "t", "T", "m", "n", "f", "L", "stream", "data", "id", "result", "error", "code",
    "msg", "lastUpdateId", "bids", "asks", "symbols", "symbol", "filters", "filterType",
    "tickSize", "stepSize", "status",
    # user events and WS API envelopes
    "event", "subscriptionId", "S", "C", "X", "z", "Z", "P", "N", "O", "ap", "sp", "rp", "R",
    "ps", "wb", "cw", "pa", "ep", "bep", "up", "mt", "listenKey", "aid", "caid", "at",
)
EVENT_TYPES = (
    "depthUpdate", "24hrMiniTicker", "kline", "trade", "aggTrade", "bookTicker",
    "serverShutdown", "executionReport", "outboundAccountPosition", "balanceUpdate",
    "eventStreamTerminated", "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "TRADE_LITE",
    "ALGO_UPDATE", "listenKeyExpired", "markPriceUpdate",
)

json_keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=6))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**70),  # past u64: orjson reads those as floats
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    decimalish,
    st.sampled_from(EVENT_TYPES),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(json_keys, children, max_size=6),
    max_leaves=24,
)
"""Any JSON value, biased towards Binance's keys, event names and decimal-like strings."""


@st.composite
def event_shaped(draw: st.DrawFn) -> dict[str, Any]:
    """An object with a known event type and random known fields: reaches the builders."""
    body = draw(st.dictionaries(st.sampled_from(KNOWN_KEYS), json_values, max_size=12))
    body["e"] = draw(st.sampled_from(EVENT_TYPES))
    return body


def dumps(value: Any) -> bytes:
    """JSON bytes of a generated value (the standard library: any int size)."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")

raw_frames = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(dumps),
    event_shaped().map(dumps),
    event_shaped().map(lambda e: dumps({"stream": "x@depth", "data": e})),
    event_shaped().map(lambda e: dumps({"subscriptionId": 0, "event": e})),
)
"""Bytes a socket might deliver: noise, text, JSON, and event-shaped JSON in each envelope."""

# ----------------------------------------------------------------------------- mutation


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside a JSON document (the root excluded)."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def replaced(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A deep copy of ``doc`` with the value at ``path`` replaced."""
    copy = orjson.loads(orjson.dumps(doc))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copy


@st.composite
def mutated(draw: st.DrawFn, docs: list[Any]) -> Any:
    """One of ``docs`` with one field (anywhere in it) replaced by a random JSON value."""
    doc = draw(st.sampled_from(docs))
    where = list(paths(doc))
    if not where:
        return draw(json_values)
    return replaced(doc, draw(st.sampled_from(where)), draw(json_values))


# ----------------------------------------------------------------------------- recorded data

WS_FILES = (
    "BINANCE.ws.1.0.txt",
    "BINANCE_US.ws.1.0.txt",
    "BINANCE_FUTURES.ws.1.0.txt",
    "BINANCE_DELIVERY.ws.1.0.txt",
)
HTTP_DEPTH_FILES = (
    "BINANCE.http.0.0.txt",
    "BINANCE_US.http.0.0.txt",
    "BINANCE_FUTURES.http.0.0.txt",
    "BINANCE_DELIVERY.http.0.0.txt",
)


@cache
def recorded_market_frames() -> tuple[Any, ...]:
    """Every recorded market frame (cryptofeed captures and nautilus single messages), decoded."""
    frames = [orjson.loads(r.raw) for name in WS_FILES for r in ws_records(name)]
    for path in sorted((data_root() / "nautilus-trader" / "ws_messages").glob("*.json")):
        if "execution_report" in path.name or "order_update" in path.name:
            continue
        if "trade_lite" in path.name or "algo_update" in path.name:
            continue
        frames.append(orjson.loads(path.read_bytes()))
    return tuple(frames)


@cache
def recorded_user_frames() -> tuple[Any, ...]:
    """Every recorded private message (nautilus ws_messages: spot and futures user data)."""
    folder = data_root() / "nautilus-trader" / "ws_messages"
    names = ("execution_report", "order_update", "trade_lite", "algo_update")
    return tuple(
        orjson.loads(p.read_bytes())
        for p in sorted(folder.glob("*.json"))
        if any(n in p.name for n in names)
    )


@cache
def recorded_http(name: str) -> Any:
    """One nautilus http_responses body."""
    return orjson.loads((data_root() / "nautilus-trader" / "http_responses" / name).read_bytes())


@cache
def recorded_depth_snapshots() -> tuple[Any, ...]:
    """Every recorded REST depth snapshot (cryptofeed) and the nautilus ones."""
    bodies = [r.body for name in HTTP_DEPTH_FILES for r in http_records(name)]
    bodies += [recorded_http("http_spot_market_depth.json")]
    bodies += [recorded_http("http_futures_market_depth.json")]
    return tuple(bodies)


# ----------------------------------------------------------------------------- record checks

LIMIT = Decimal(10) ** MAX_LENGTH
SMALLEST = Decimal(10) ** -(MAX_LENGTH - 2)
PRODUCT_FIELDS = frozenset({"cum_quote"})
"""Fields a parser computes as the product of two grammar values (decimals.exact_product)."""


def check_decimals(record: Any, signed_fields: frozenset[str] = frozenset()) -> None:
    """Every Decimal in a parsed record is one the grammar allows: finite, at most 40 digits,
    within [1e-38, 1e40) when non-zero (products: 80 digits, [1e-76, 1e80)), and negative only
    in ``signed_fields``."""
    for name, value in _fields(record):
        if not isinstance(value, Decimal):
            continue
        power = 2 if name in PRODUCT_FIELDS else 1
        assert value.is_finite(), (name, value)
        assert len(value.as_tuple().digits) <= power * MAX_LENGTH, (name, value)
        # copy_abs(): abs() would round to the context's 28 digits (40 nines -> 1E+40).
        magnitude = value.copy_abs()
        assert value.is_zero() or SMALLEST**power <= magnitude < LIMIT**power, (name, value)
        if name not in signed_fields:
            assert not value.is_signed(), (name, value)


def _fields(value: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _fields(getattr(value, f.name), f.name)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _fields(item, name)
    else:
        yield name, value


def check_one_line(text: str, limit: int = 400) -> None:
    """A reason is one non-empty line of bounded length."""
    assert text, "empty reason"
    assert "\n" not in text and "\r" not in text, text
    assert len(text) <= limit, len(text)
