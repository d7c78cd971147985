"""Bytes off the wire → typed records. Every frame is hostile until it parses.

``parse_frame`` never raises: anything it cannot understand becomes a :class:`BadFrame` with a
one-line reason, which the feed counts and logs. Unknown keys are ignored (Binance adds fields
without version bumps); unknown event types become :class:`Ignored`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import orjson

from tuimon.protocol import level_text
from tuimon.protocol.decimals import (
    MAX_LENGTH,
    UNSIGNED_PATTERN,
    is_exchange_decimal,
    optional_decimal,
    parse_decimal,
    refuse,
)
from tuimon.protocol.fields import (
    PARSE_ERRORS,
    PayloadError,
    expect_int,
    expect_name,
    kind_of,
    label,
    reason_of,
)
from tuimon.protocol.level_text import PRICE_CACHE, levels_ok
from tuimon.protocol.models import (
    BadFrame,
    BookTicker,
    ControlReply,
    DepthDiff,
    DepthSnapshot,
    Frame,
    Ignored,
    Kline,
    Level,
    Liquidation,
    MarkPrice,
    MiniTicker,
    ServerShutdown,
    SymbolInfo,
    TextLevel,
    Ticker24h,
    Trade,
)
from tuimon.protocol.streams import REQUEST_ID_MAX
from tuimon.protocol.typed import (
    DECODE_ERRORS,
    KlineWire,
    MiniTickerWire,
    decode_envelope,
)


def _dec(value: Any, key: str) -> Decimal:
    """Exact non-negative decimal from the exchange's string form (the grammar of decimals.py)."""
    return parse_decimal(value, key)


def parse_level_texts(raw: Any, key: str) -> tuple[TextLevel, ...]:
    """``[["price","qty"], ...]`` → checked (price, qty) texts; one bad level rejects the list.

    A depth diff keeps its levels as text (see :mod:`tuimon.protocol.level_text`).
    """
    if type(raw) is not list:
        raise PayloadError(f"{key} must be a list of [price, qty]")
    if not raw:
        return ()  # one side of most diffs is empty
    known = PRICE_CACHE
    match = _match
    levels: list[TextLevel] = []
    append = levels.append
    try:
        for item in raw:
            # A string item would unpack into its characters: insist on a JSON array.
            if type(item) is not list:
                raise PayloadError(f"{key} level must be [price, qty]")
            price, qty = item[0], item[1]
            # The grammar of decimals.py, inline (no call: a busy path). A cached price matched
            # before; an unhashable value (a list) raises TypeError here: a malformed level.
            if price not in known and (
                type(price) is not str or len(price) > MAX_LENGTH or match(price) is None
            ):
                raise refuse(price, key)
            if type(qty) is not str or len(qty) > MAX_LENGTH or match(qty) is None:
                raise refuse(qty, key)
            append((price, qty))
    except (TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, PayloadError):
            raise
        raise PayloadError(f"{key} level must be [price, qty]") from None
    return tuple(levels)


def parse_levels(raw: Any, key: str) -> tuple[Level, ...]:
    """``[["price","qty"], ...]`` → exact (price, qty) Decimals (REST snapshots)."""
    price_of, qty_of = level_text.price_of, level_text.qty_of
    return tuple([(price_of(p), qty_of(q)) for p, q in parse_level_texts(raw, key)])


_match = UNSIGNED_PATTERN.fullmatch


def _mini_ticker(d: dict[str, Any]) -> MiniTicker:
    return MiniTicker(
        expect_name(d["s"], "s"),
        expect_int(d["E"], "E"),
        _dec(d["c"], "c"),
        _dec(d["o"], "o"),
        _dec(d["h"], "h"),
        _dec(d["l"], "l"),
        _dec(d["v"], "v"),
        _dec(d["q"], "q"),
    )


def _kline(d: dict[str, Any]) -> Kline:
    k = d["k"]
    if type(k) is not dict:
        raise PayloadError("k must be an object")
    closed = k["x"]
    if type(closed) is not bool:
        raise PayloadError("k.x must be a boolean")
    return Kline(
        symbol=expect_name(d["s"], "s"),
        event_time=expect_int(d["E"], "E"),
        interval=expect_name(k["i"], "k.i"),
        open_time=expect_int(k["t"], "k.t"),
        close_time=expect_int(k["T"], "k.T"),
        open=_dec(k["o"], "k.o"),
        high=_dec(k["h"], "k.h"),
        low=_dec(k["l"], "k.l"),
        close=_dec(k["c"], "k.c"),
        volume=_dec(k["v"], "k.v"),
        quote_volume=_dec(k["q"], "k.q"),
        trades=expect_int(k.get("n", 0), "k.n"),
        closed=closed,
    )


def _depth(d: dict[str, Any]) -> DepthDiff:
    # The busiest record: type checks are inlined and the constructor is positional.
    first, final, event_time = d["U"], d["u"], d["E"]
    if type(first) is not int or type(final) is not int or type(event_time) is not int:
        raise PayloadError("U, u and E must be integers")
    if first > final:
        raise PayloadError(f"U {first} > u {final}", kind="U > u")
    pu = d.get("pu")
    if pu is not None and type(pu) is not int:
        raise PayloadError("pu must be an integer")
    transaction_time = d.get("T")
    if transaction_time is not None and type(transaction_time) is not int:
        raise PayloadError("T must be an integer")
    return DepthDiff(
        expect_name(d["s"], "s"),
        event_time,
        first,
        final,
        parse_level_texts(d["b"], "b"),
        parse_level_texts(d["a"], "a"),
        pu,
        transaction_time,
    )


def _trade(d: dict[str, Any], aggregate: bool) -> Trade:
    maker = d["m"]
    if type(maker) is not bool:
        raise PayloadError("m must be a boolean")
    return Trade(
        symbol=expect_name(d["s"], "s"),
        event_time=expect_int(d["E"], "E"),
        trade_id=expect_int(d["a" if aggregate else "t"], "a" if aggregate else "t"),
        price=_dec(d["p"], "p"),
        qty=_dec(d["q"], "q"),
        trade_time=expect_int(d["T"], "T"),
        buyer_is_maker=maker,
        aggregate=aggregate,
    )


def _funding_rate(value: Any, key: str) -> Decimal | None:
    """A funding rate: signed; ``""`` (COIN-M delivery contracts: no funding) is None."""
    if value == "":
        return None
    return parse_decimal(value, key, signed=True)


def _mark_price(d: dict[str, Any]) -> MarkPrice:
    settle = d.get("P")
    index = d.get("i")
    return MarkPrice(
        symbol=expect_name(d["s"], "s"),
        event_time=expect_int(d["E"], "E"),
        mark_price=_dec(d["p"], "p"),
        # Documented on both futures markets; optional so an older frame without it still
        # shows the mark (the header then says "index –").
        index_price=None if index in (None, "") else _dec(index, "i"),
        funding_rate=_funding_rate(d["r"], "r"),
        next_funding_time=expect_int(d["T"], "T"),
        estimated_settle=None if settle in (None, "") else _dec(settle, "P"),
    )


def _liquidation(d: dict[str, Any]) -> Liquidation:
    o = d["o"]
    if type(o) is not dict:
        raise PayloadError("o must be an object")
    side = o["S"]
    if side not in ("BUY", "SELL"):
        raise PayloadError("o.S must be BUY or SELL", kind="o.S: bad side")
    return Liquidation(
        symbol=expect_name(o["s"], "o.s"),
        event_time=expect_int(d["E"], "E"),
        side=side,
        price=_dec(o["p"], "o.p"),
        qty=_dec(o["q"], "o.q"),
        avg_price=_dec(o["ap"], "o.ap"),
        filled=_dec(o["z"], "o.z"),
        status=label(o.get("X"), 20),
        trade_time=expect_int(o["T"], "o.T"),
    )


def _book_ticker(d: dict[str, Any]) -> BookTicker:
    event_time = d.get("E")
    return BookTicker(
        symbol=expect_name(d["s"], "s"),
        update_id=expect_int(d["u"], "u"),
        bid=_dec(d["b"], "b"),
        bid_qty=_dec(d["B"], "B"),
        ask=_dec(d["a"], "a"),
        ask_qty=_dec(d["A"], "A"),
        event_time=None if event_time is None else expect_int(event_time, "E"),
    )


def _shutdown(d: dict[str, Any]) -> ServerShutdown:
    return ServerShutdown(event_time=expect_int(d["E"], "E"))


_BY_EVENT: dict[str, Callable[[dict[str, Any]], Any]] = {
    "24hrMiniTicker": _mini_ticker,
    "kline": _kline,
    "depthUpdate": _depth,
    "trade": lambda d: _trade(d, aggregate=False),
    "aggTrade": lambda d: _trade(d, aggregate=True),
    "bookTicker": _book_ticker,
    "serverShutdown": _shutdown,
    "markPriceUpdate": _mark_price,
    "forceOrder": _liquidation,
}


def parse_payload(data: Any, stream: str | None = None) -> Frame:
    """Parse one unwrapped payload (an event object, or the array of ``!miniTicker@arr``)."""
    try:
        if type(data) is list:
            # Two all-market arrays exist: !miniTicker@arr and (futures) !markPrice@arr.
            if data and type(data[0]) is dict and data[0].get("e") == "markPriceUpdate":
                return [_mark_price(item) for item in data]
            return [_mini_ticker(item) for item in data]
        if type(data) is not dict:
            what = type(data).__name__
            return BadFrame(f"payload is a {what}, not an object", stream, "payload not an object")
        kind = data.get("e")
        if kind is None:
            # Spot bookTicker carries no "e"; recognise it by its keys.
            if "u" in data and "b" in data and "a" in data and "s" in data:
                return _book_ticker(data)
            return Ignored("no event type")
        builder = _BY_EVENT.get(kind) if type(kind) is str else None
        if builder is None:
            return Ignored(label(kind))
        return builder(data)  # type: ignore[no-any-return]
    except PARSE_ERRORS as exc:
        return BadFrame(reason_of(exc), stream, kind_of(exc))


def _control(d: dict[str, Any]) -> ControlReply | BadFrame:
    request_id = d.get("id")
    # Our requests carry ids 1, 2, 3...: anything else cannot answer one of them. A bool (an
    # int subclass: true == 1 would match request 1), a float (a huge integer that went through
    # a float) or a list is a bad frame; null is kept, the server's "could not read your id".
    if request_id is not None and (
        type(request_id) is not int or not 1 <= request_id <= REQUEST_ID_MAX
    ):
        what = type(request_id).__name__ if type(request_id) is not int else "out of range"
        return BadFrame(f"control reply id is not a request id ({what})", None, "control reply id")
    error = d.get("error")
    if isinstance(error, dict):
        return ControlReply(request_id, False, None, _code(error), label(error.get("msg"), 200))
    if "code" in d and "result" not in d:  # flat error shape seen in third-party logs (§2)
        return ControlReply(request_id, False, None, _code(d), label(d.get("msg"), 200))
    if "result" not in d:
        return ControlReply(request_id, False, None, None, "reply without result")
    return ControlReply(request_id, True, d["result"])


def _code(d: dict[str, Any]) -> int | None:
    code = d.get("code")
    return code if type(code) is int else None


def parse_frame(raw: bytes | str) -> tuple[str | None, Frame]:
    """Parse one WebSocket text frame; returns (stream name or None, record).

    The busy events (depth diffs, mini tickers, klines in a combined-stream envelope) decode
    straight into typed Structs (:mod:`tuimon.protocol.typed`): one C pass instead of
    ``orjson.loads`` plus per-field type checks in Python. Whatever that path does not take
    whole (another event, any malformed field, a non-ASCII frame) is parsed again by
    :func:`parse_frame_general`, so the records and the one-line reasons are the general
    parser's in every case. Non-ASCII frames go that way because msgspec does not check the
    UTF-8 of keys it skips (orjson refuses such a frame as invalid JSON); the one difference
    left is a number outside the float range (``1e999``) in a key tuimon does not read, which
    msgspec skips and orjson refuses.
    """
    if not raw.isascii():
        return parse_frame_general(raw)
    try:
        envelope = decode_envelope(raw)
    except DECODE_ERRORS:
        return parse_frame_general(raw)
    d = envelope.data
    try:
        # One function for the hot path: the builders are inline (a call is ~0.1 µs, and so
        # is typing.cast: ``type(d) is`` narrows without one).
        if type(d) is DepthDiff:
            # The record itself, decoded: it is handed out once its values are checked.
            diff = d
            if diff.first_id <= diff.final_id and diff.symbol:
                b, a = diff.bids, diff.asks
                # msgspec checked that each level is two strings; one side is often empty.
                if (not b or levels_ok(b)) and (not a or levels_ok(a)):
                    return envelope.stream, diff
        elif type(d) is MiniTickerWire:
            t = d
            if t.s:
                ticker = MiniTicker(
                    t.s, t.E, _price(t.c, "c"), _price(t.o, "o"), _price(t.h, "h"),
                    _price(t.l, "l"), _dec(t.v, "v"), _dec(t.q, "q"),
                )  # fmt: skip
                return envelope.stream, ticker
        else:
            line = cast(KlineWire, d)  # the last member of the union
            k = line.k
            if line.s and k.i:
                kline = Kline(
                    line.s, line.E, k.i, k.t, k.T, _price(k.o, "k.o"), _price(k.h, "k.h"),
                    _price(k.l, "k.l"), _price(k.c, "k.c"), _dec(k.v, "k.v"), _dec(k.q, "k.q"),
                    k.n, k.x,
                )  # fmt: skip
                return envelope.stream, kline
    except PayloadError:
        pass
    # Not the common well-formed case: the general parser says what is wrong.
    return parse_frame_general(raw)


def _price(value: str, key: str) -> Decimal:
    """A ticker or candle price through the level price cache: open, high and low repeat from
    frame to frame, and the close is often a price the books hold."""
    p = PRICE_CACHE.get(value)
    if p is None:
        if type(value) is not str or not is_exchange_decimal(value):
            raise refuse(value, key)
        p = level_text.price_of(value)
    return p


def parse_frame_general(raw: bytes | str) -> tuple[str | None, Frame]:
    """Parse any WebSocket text frame (orjson, then the record builders); never raises.

    The reference behaviour: :func:`parse_frame` gives exactly this result, faster for the
    busy events.
    """
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return None, BadFrame(f"invalid JSON: {str(exc)[:120]}", None, "invalid JSON")
    if type(data) is dict:
        if "stream" in data and "data" in data:
            stream = data["stream"]
            if type(stream) is not str:
                return None, BadFrame("stream name is not a string", None, "stream not a string")
            payload = data["data"]
            if type(payload) is dict and payload.get("e") == "depthUpdate":
                # Fast path for the busiest frame: skip the generic dispatch.
                try:
                    return stream, _depth(payload)
                except PARSE_ERRORS as exc:
                    return stream, BadFrame(reason_of(exc), stream, kind_of(exc))
            return stream, parse_payload(payload, stream)
        if "id" in data and ("result" in data or "error" in data or "code" in data):
            return None, _control(data)
    return None, parse_payload(data)


# ----------------------------------------------------------------------------- REST bodies


def parse_depth_snapshot(body: Any) -> DepthSnapshot:
    """``GET depth`` body → snapshot; raises PayloadError with a one-line reason."""
    try:
        if type(body) is not dict:
            raise PayloadError("depth snapshot is not an object")
        event_time = body.get("E")
        return DepthSnapshot(
            last_update_id=expect_int(body["lastUpdateId"], "lastUpdateId"),
            bids=parse_levels(body["bids"], "bids"),
            asks=parse_levels(body["asks"], "asks"),
            event_time=None if event_time is None else expect_int(event_time, "E"),
        )
    except PayloadError:
        raise
    except PARSE_ERRORS as exc:
        raise PayloadError(f"bad depth snapshot: {reason_of(exc)}") from None


def _filter_value(filters: list[Any], kind: str, key: str) -> Decimal:
    for item in filters:
        if isinstance(item, dict) and item.get("filterType") == kind:
            return _dec(item.get(key, "0"), f"{kind}.{key}")
    return Decimal(0)


def _text(value: Any) -> str:
    """A string field that may be absent (read as ""); any other type is a malformed entry."""
    if value is None:
        return ""
    if type(value) is not str:
        raise PayloadError(f"expected a string, got {type(value).__name__}")
    return value


def parse_exchange_info(body: Any) -> dict[str, SymbolInfo]:
    """exchangeInfo body → symbol table. Malformed symbol entries are skipped, not fatal."""
    if type(body) is not dict or type(body.get("symbols")) is not list:
        raise PayloadError("exchangeInfo has no symbols list")
    table: dict[str, SymbolInfo] = {}
    for item in body["symbols"]:
        try:
            filters = item.get("filters") or []
            info = SymbolInfo(
                symbol=expect_name(item["symbol"], "symbol"),
                status=_text(item.get("status") or item.get("contractStatus") or "UNKNOWN"),
                base_asset=_text(item.get("baseAsset")),
                quote_asset=_text(item.get("quoteAsset")),
                tick_size=_filter_value(filters, "PRICE_FILTER", "tickSize"),
                step_size=_filter_value(filters, "LOT_SIZE", "stepSize"),
                contract_size=_contract_size(item.get("contractSize")),
            )
        except PARSE_ERRORS:
            continue
        table[info.symbol] = info
    return table


def _contract_size(value: Any) -> Decimal | None:
    """COIN-M ``contractSize`` (a JSON integer there, e.g. 100 for BTCUSD); absent elsewhere."""
    if value is None:
        return None
    if type(value) is int and value > 0:
        return Decimal(value)
    return _dec(value, "contractSize")


def parse_klines(body: Any, symbol: str, interval: str) -> list[Kline]:
    """REST klines rows ``[openTime, o, h, l, c, v, closeTime, q, n, ...]`` → Kline records."""
    if type(body) is not list:
        raise PayloadError("klines body is not a list")
    rows: list[Kline] = []
    try:
        for row in body:
            rows.append(
                Kline(
                    symbol=symbol,
                    event_time=expect_int(row[6], "closeTime"),
                    interval=interval,
                    open_time=expect_int(row[0], "openTime"),
                    close_time=expect_int(row[6], "closeTime"),
                    open=_dec(row[1], "open"),
                    high=_dec(row[2], "high"),
                    low=_dec(row[3], "low"),
                    close=_dec(row[4], "close"),
                    volume=_dec(row[5], "volume"),
                    quote_volume=_dec(row[7], "quoteVolume"),
                    trades=expect_int(row[8], "trades"),
                    closed=True,
                )
            )
    except PayloadError:
        raise
    except PARSE_ERRORS as exc:
        raise PayloadError(f"bad kline row: {reason_of(exc)}") from None
    return rows


def parse_ticker_24h(body: Any) -> list[Ticker24h]:
    """REST ``ticker/24hr`` (object or list) → rows; malformed rows are skipped."""
    items = body if type(body) is list else [body]
    rows: list[Ticker24h] = []
    for item in items:
        try:
            rows.append(
                Ticker24h(
                    symbol=expect_name(item["symbol"], "symbol"),
                    close=_dec(item["lastPrice"], "lastPrice"),
                    open=_dec(item["openPrice"], "openPrice"),
                    high=_dec(item["highPrice"], "highPrice"),
                    low=_dec(item["lowPrice"], "lowPrice"),
                    volume=_dec(item["volume"], "volume"),
                    quote_volume=_dec(item["quoteVolume"], "quoteVolume"),
                    close_time=expect_int(item["closeTime"], "closeTime"),
                )
            )
        except PARSE_ERRORS:
            continue
    return rows


def parse_agg_trades(body: Any, symbol: str) -> list[Trade]:
    """REST ``aggTrades`` (``/api/v3``, ``/fapi/v1``, ``/dapi/v1``) → trades, oldest first.

    Rows carry no symbol or event time: the request's symbol is used and the trade time stands
    in for the event time. One malformed row rejects the list (a skipped row would show as a
    gap in the aggregate ids that the exchange never had).
    """
    if type(body) is not list:
        raise PayloadError("aggTrades body is not a list")
    trades: list[Trade] = []
    try:
        for row in body:
            if type(row) is not dict:
                raise PayloadError("aggTrades row is not an object")
            maker = row["m"]
            if type(maker) is not bool:
                raise PayloadError("m must be a boolean")
            time = expect_int(row["T"], "T")
            trades.append(
                Trade(
                    symbol=symbol,
                    event_time=time,
                    trade_id=expect_int(row["a"], "a"),
                    price=_dec(row["p"], "p"),
                    qty=_dec(row["q"], "q"),
                    trade_time=time,
                    buyer_is_maker=maker,
                    aggregate=True,
                )
            )
    except PayloadError as exc:
        raise PayloadError(f"bad aggTrades row: {exc}", kind=exc.kind) from None
    except PARSE_ERRORS as exc:
        raise PayloadError(f"bad aggTrades row: {reason_of(exc)}", kind=kind_of(exc)) from None
    trades.sort(key=lambda t: t.trade_id)
    return trades


def _premium_row(item: Any) -> MarkPrice:
    if type(item) is not dict:
        raise PayloadError("premiumIndex row is not an object")
    settle = item.get("estimatedSettlePrice")
    return MarkPrice(
        symbol=expect_name(item["symbol"], "symbol"),
        event_time=expect_int(item["time"], "time"),
        mark_price=_dec(item["markPrice"], "markPrice"),
        index_price=optional_decimal(item.get("indexPrice") or None, "indexPrice"),
        funding_rate=_funding_rate(item.get("lastFundingRate", ""), "lastFundingRate"),
        next_funding_time=expect_int(item.get("nextFundingTime", 0), "nextFundingTime"),
        estimated_settle=optional_decimal(settle or None, "estimatedSettlePrice"),
    )


def parse_premium_index(body: Any) -> list[MarkPrice]:
    """REST ``premiumIndex``: an object (USDⓈ-M with ``symbol``) or a list (USDⓈ-M without it,
    COIN-M always) → marks. In a list a malformed row is skipped; a lone object must parse."""
    if type(body) is dict:
        try:
            return [_premium_row(body)]
        except PayloadError:
            raise
        except PARSE_ERRORS as exc:
            raise PayloadError(f"bad premiumIndex: {reason_of(exc)}") from None
    if type(body) is not list:
        raise PayloadError("premiumIndex body is not an object or a list")
    marks: list[MarkPrice] = []
    for item in body:
        try:
            marks.append(_premium_row(item))
        except PARSE_ERRORS:
            continue
    return marks


__all__ = [
    "PayloadError",
    "parse_agg_trades",
    "parse_depth_snapshot",
    "parse_exchange_info",
    "parse_frame",
    "parse_frame_general",
    "parse_klines",
    "parse_level_texts",
    "parse_levels",
    "parse_payload",
    "parse_premium_index",
    "parse_ticker_24h",
]
