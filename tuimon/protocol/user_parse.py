"""Private frames and REST bodies → typed records. Hostile until parsed, like market data.

:func:`parse_user_frame` never raises: what it cannot understand becomes a
:class:`~tuimon.protocol.models.BadFrame` with a one-line reason; unknown event types become
:class:`~tuimon.protocol.models.Ignored`. It accepts every envelope the private side uses:

- spot WebSocket API events ``{"subscriptionId": 0, "event": {...}}`` (and the connection-level
  ``{"event": {"e": "serverShutdown"}}``);
- WebSocket API responses ``{"id": ..., "status": 200, "result": ...}`` / ``"error"``;
- bare USDⓈ-M listenKey events ``{"e": "ORDER_TRADE_UPDATE", ...}``;
- combined-stream wrappers ``{"stream": ..., "data": {...}}``.

REST parsers raise :class:`~tuimon.protocol.parse.PayloadError` with a one-line reason. Values
that Binance sends as ``null`` where a number usually is (``N``, ``sp``, ``n`` on futures) are
read as "absent", never as garbage.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import orjson

from tuimon.protocol.decimals import exact_product, optional_decimal, parse_decimal
from tuimon.protocol.fields import (
    PARSE_ERRORS,
    PayloadError,
    expect_int,
    expect_name,
    kind_of,
    label,
    reason_of,
)
from tuimon.protocol.models import BadFrame, Ignored, ServerShutdown
from tuimon.protocol.streams import REQUEST_ID_MAX
from tuimon.protocol.user_models import (
    AlgoUpdate,
    Balance,
    BalanceDelta,
    FuturesAccountUpdate,
    ListenKeyExpired,
    MarginBalance,
    Order,
    OrderUpdate,
    Position,
    SpotBalances,
    StreamTerminated,
    TradeLite,
    UserEvent,
    WsApiReply,
)

UserFrame = UserEvent | ServerShutdown | WsApiReply | BadFrame | Ignored
T = TypeVar("T")

_ZERO = Decimal(0)
MAX_STRING_ID = 36
"""The spot WS API's longest string request id."""

# ----------------------------------------------------------------------------- field readers


def _text(value: Any, key: str) -> str:
    """A string that may be empty (client order ids can be ``""``); null reads as empty."""
    if value is None:
        return ""
    if type(value) is not str:
        raise PayloadError(f"{key} must be a string")
    return value


def _bool(value: Any, key: str) -> bool:
    if type(value) is not bool:
        raise PayloadError(f"{key} must be a boolean")
    return value


# The exchange-decimal grammar (decimals.py): a leading "-" only where ``signed``.
_num = parse_decimal
_opt_num = optional_decimal


def _obj(value: Any, key: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise PayloadError(f"{key} must be an object")
    return value


def _list(value: Any, key: str) -> list[Any]:
    if type(value) is not list:
        raise PayloadError(f"{key} must be a list")
    return value


# ----------------------------------------------------------------------------- spot events


def _execution_report(d: dict[str, Any]) -> OrderUpdate:
    exec_type = expect_name(d["x"], "x")
    # On a cancel, "c" is the cancel request's own client id and "C" the order's (§6.2).
    client_id = _text(d.get("c"), "c")
    original = _text(d.get("C"), "C")
    if exec_type == "CANCELED" and original:
        client_id = original
    transaction_time = expect_int(d["T"], "T")
    order = Order(
        market="spot",
        symbol=expect_name(d["s"], "s"),
        order_id=expect_int(d["i"], "i"),
        client_order_id=client_id,
        side=expect_name(d["S"], "S"),
        type=expect_name(d["o"], "o"),
        time_in_force=_text(d.get("f"), "f"),
        price=_num(d["p"], "p"),
        stop_price=_opt_num(d.get("P"), "P") or _ZERO,
        orig_qty=_num(d["q"], "q"),
        executed_qty=_num(d["z"], "z"),
        cum_quote=_opt_num(d.get("Z"), "Z") or _ZERO,
        status=expect_name(d["X"], "X"),
        created_ms=expect_int(d["O"], "O") if d.get("O") is not None else transaction_time,
        update_ms=transaction_time,
    )
    return OrderUpdate(
        order=order,
        event_time=expect_int(d["E"], "E"),
        exec_type=exec_type,
        last_qty=_num(d["l"], "l"),
        last_price=_num(d["L"], "L"),
        commission=_opt_num(d.get("n"), "n") or _ZERO,
        commission_asset=_text(d.get("N"), "N"),
        trade_id=expect_int(d["t"], "t"),
        maker=_bool(d["m"], "m"),
    )


def _spot_balance(item: Any, update_ms: int) -> Balance:
    item = _obj(item, "B[]")
    return Balance(
        asset=expect_name(item["a"], "a"),
        free=_num(item["f"], "f"),
        locked=_num(item["l"], "l"),
        update_ms=update_ms,
    )


def _account_position(d: dict[str, Any]) -> SpotBalances:
    update_ms = expect_int(d["u"], "u")
    return SpotBalances(
        event_time=expect_int(d["E"], "E"),
        update_ms=update_ms,
        balances=tuple(_spot_balance(item, update_ms) for item in _list(d["B"], "B")),
    )


def _balance_update(d: dict[str, Any]) -> BalanceDelta:
    return BalanceDelta(
        event_time=expect_int(d["E"], "E"),
        asset=expect_name(d["a"], "a"),
        delta=_num(d["d"], "d", signed=True),
        clear_ms=expect_int(d["T"], "T"),
    )


def _terminated(d: dict[str, Any]) -> StreamTerminated:
    return StreamTerminated(event_time=expect_int(d["E"], "E"))


def _shutdown(d: dict[str, Any]) -> ServerShutdown:
    return ServerShutdown(event_time=expect_int(d["E"], "E"))


# ----------------------------------------------------------------------------- futures events


def _order_trade_update(d: dict[str, Any]) -> OrderUpdate:
    o = _obj(d["o"], "o")
    trade_time = expect_int(o["T"], "o.T")
    executed = _num(o["z"], "o.z")
    average = _opt_num(o.get("ap"), "o.ap") or _ZERO
    order = Order(
        market="usdm",
        symbol=expect_name(o["s"], "o.s"),
        order_id=expect_int(o["i"], "o.i"),
        client_order_id=_text(o.get("c"), "o.c"),
        side=expect_name(o["S"], "o.S"),
        type=expect_name(o["o"], "o.o"),
        time_in_force=_text(o.get("f"), "o.f"),
        price=_num(o["p"], "o.p"),
        stop_price=_opt_num(o.get("sp"), "o.sp") or _ZERO,
        orig_qty=_num(o["q"], "o.q"),
        executed_qty=executed,
        # Exact, and never Overflow: both factors are bounded by the grammar (decimals.py).
        cum_quote=exact_product(average, executed),
        status=expect_name(o["X"], "o.X"),
        # The event has no creation time; the store keeps the one it already knows.
        created_ms=trade_time,
        update_ms=trade_time,
        position_side=_text(o.get("ps"), "o.ps"),
        reduce_only=bool(o.get("R", False) is True),
    )
    trade_id = o.get("t", 0)
    return OrderUpdate(
        order=order,
        event_time=expect_int(d["E"], "E"),
        exec_type=expect_name(o["x"], "o.x"),
        last_qty=_num(o["l"], "o.l"),
        last_price=_num(o["L"], "o.L"),
        commission=_opt_num(o.get("n"), "o.n", signed=True) or _ZERO,
        commission_asset=_text(o.get("N"), "o.N"),
        trade_id=expect_int(trade_id, "o.t"),
        maker=_bool(o.get("m", False), "o.m"),
        realized_pnl=_opt_num(o.get("rp"), "o.rp", signed=True),
    )


def _futures_position(item: Any, update_ms: int) -> Position:
    p = _obj(item, "P[]")
    return Position(
        symbol=expect_name(p["s"], "P.s"),
        position_side=_text(p.get("ps"), "P.ps") or "BOTH",
        amount=_num(p["pa"], "P.pa", signed=True),
        entry_price=_num(p["ep"], "P.ep"),
        break_even_price=_opt_num(p.get("bep"), "P.bep"),
        mark_price=None,
        unrealized_pnl=_num(p.get("up", "0"), "P.up", signed=True),
        margin_type=_text(p.get("mt"), "P.mt"),
        update_ms=update_ms,
    )


def _margin_balance(item: Any, update_ms: int) -> MarginBalance:
    b = _obj(item, "B[]")
    wallet = _num(b["wb"], "B.wb", signed=True)
    cross = b.get("cw")
    return MarginBalance(
        asset=expect_name(b["a"], "B.a"),
        wallet=wallet,
        cross_wallet=wallet if cross is None else _num(cross, "B.cw", signed=True),
        update_ms=update_ms,
    )


def _account_update(d: dict[str, Any]) -> FuturesAccountUpdate:
    transaction_time = expect_int(d["T"], "T")
    a = _obj(d["a"], "a")
    return FuturesAccountUpdate(
        event_time=expect_int(d["E"], "E"),
        transaction_time=transaction_time,
        reason=_text(a.get("m"), "a.m"),
        balances=tuple(_margin_balance(b, transaction_time) for b in _list(a.get("B", []), "B")),
        positions=tuple(_futures_position(p, transaction_time) for p in _list(a.get("P", []), "P")),
    )


def _trade_lite(d: dict[str, Any]) -> TradeLite:
    return TradeLite(
        event_time=expect_int(d["E"], "E"),
        symbol=expect_name(d["s"], "s"),
        order_id=expect_int(d["i"], "i"),
        client_order_id=_text(d.get("c"), "c"),
        side=expect_name(d["S"], "S"),
        price=_num(d["p"], "p"),
        qty=_num(d["q"], "q"),
        last_price=_num(d["L"], "L"),
        last_qty=_num(d["l"], "l"),
        trade_id=expect_int(d["t"], "t"),
        maker=_bool(d["m"], "m"),
    )


def _algo_update(d: dict[str, Any]) -> AlgoUpdate:
    o = _obj(d["o"], "o")
    return AlgoUpdate(
        event_time=expect_int(d["E"], "E"),
        symbol=expect_name(o["s"], "o.s"),
        algo_id=expect_int(o["aid"], "o.aid"),
        client_algo_id=_text(o.get("caid"), "o.caid"),
        algo_type=_text(o.get("at"), "o.at"),
        order_type=_text(o.get("o"), "o.o"),
        side=expect_name(o["S"], "o.S"),
        status=expect_name(o["X"], "o.X"),
        quantity=_num(o["q"], "o.q"),
    )


def _listen_key_expired(d: dict[str, Any]) -> ListenKeyExpired:
    # E was a string in older SDK models and an integer since 2026-05 (§6.3): accept both.
    event_time = d.get("E", 0)
    if type(event_time) is str and event_time.isascii() and event_time.isdigit():
        # ASCII only (str.isdigit is true for every script's digits) and int64-sized.
        if len(event_time) > 19:
            raise PayloadError("E is too long for a time", kind="E: too long")
        event_time = int(event_time)
    return ListenKeyExpired(
        event_time=expect_int(event_time, "E"), listen_key=_text(d.get("listenKey"), "listenKey")
    )


_BY_EVENT: dict[str, Callable[[dict[str, Any]], Any]] = {
    "executionReport": _execution_report,
    "outboundAccountPosition": _account_position,
    "balanceUpdate": _balance_update,
    "eventStreamTerminated": _terminated,
    "serverShutdown": _shutdown,
    "ORDER_TRADE_UPDATE": _order_trade_update,
    "ACCOUNT_UPDATE": _account_update,
    "TRADE_LITE": _trade_lite,
    "ALGO_UPDATE": _algo_update,
    "listenKeyExpired": _listen_key_expired,
}


def parse_user_event(data: Any) -> UserFrame:
    """One unwrapped event object → record (``Ignored`` for types tuimon does not use)."""
    try:
        if type(data) is not dict:
            what = type(data).__name__
            return BadFrame(f"event is a {what}, not an object", kind="event not an object")
        kind = data.get("e")
        builder = _BY_EVENT.get(kind) if type(kind) is str else None
        if builder is None:
            return Ignored(label(kind) if kind is not None else "no event type")
        return builder(data)  # type: ignore[no-any-return]
    except PARSE_ERRORS as exc:
        return BadFrame(reason_of(exc), kind=kind_of(exc))


def _reply(d: dict[str, Any]) -> WsApiReply | BadFrame:
    request_id = d.get("id")
    # Our requests carry ids 1, 2, 3...; the spot WS API also allows string ids (never ours,
    # but an error reply to one is still worth showing) and null (the server could not read
    # the id). A bool (true == 1 would answer request 1), a float or a structure is a bad frame.
    if type(request_id) is int:
        if not 1 <= request_id <= REQUEST_ID_MAX:
            return BadFrame("response id out of range", kind="response id")
    elif type(request_id) is str:
        request_id = request_id[:MAX_STRING_ID]
    elif request_id is not None:
        what = type(request_id).__name__
        return BadFrame(f"response id is a {what}", kind="response id")
    status = d.get("status")
    status = status if type(status) is int else 0
    error = d.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        return WsApiReply(
            request_id,
            status or 400,
            None,
            code if type(code) is int else 0,
            label(error.get("msg"), 200),
        )
    if "result" not in d:
        return WsApiReply(request_id, status or 400, None, 0, "response without result")
    return WsApiReply(request_id, status, d["result"])


def parse_user_frame(raw: bytes | str) -> UserFrame:
    """Parse one private WebSocket text frame (any envelope, see the module docstring)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return BadFrame(f"invalid JSON: {str(exc)[:120]}", kind="invalid JSON")
    if type(data) is not dict:
        what = type(data).__name__
        return BadFrame(f"frame is a {what}, not an object", kind="frame not an object")
    if "event" in data:
        return parse_user_event(data["event"])
    if "status" in data and "id" in data:
        return _reply(data)
    if "stream" in data and "data" in data:
        return parse_user_event(data["data"])
    return parse_user_event(data)


# ----------------------------------------------------------------------------- REST bodies


def _rest(what: str, build: Callable[[], T]) -> T:
    try:
        return build()
    except PayloadError as exc:
        raise PayloadError(f"{what}: {exc}") from None
    except PARSE_ERRORS as exc:
        raise PayloadError(f"{what}: {reason_of(exc)}") from None


def _rest_order(r: Any, market: str) -> Order:
    """An open order from spot ``/api/v3/openOrders`` or USDⓈ-M ``/fapi/v1/openOrders``.

    The two differ only in the cumulative quote key and the futures-only position fields.
    """
    r = _obj(r, "order")
    futures = market != "spot"
    cum_quote_key = "cumQuote" if futures else "cummulativeQuoteQty"
    created = expect_int(r["time"], "time")
    return Order(
        market=market,
        symbol=expect_name(r["symbol"], "symbol"),
        order_id=expect_int(r["orderId"], "orderId"),
        client_order_id=_text(r.get("clientOrderId"), "clientOrderId"),
        side=expect_name(r["side"], "side"),
        type=expect_name(r["type"], "type"),
        time_in_force=_text(r.get("timeInForce"), "timeInForce"),
        price=_num(r["price"], "price"),
        stop_price=_opt_num(r.get("stopPrice"), "stopPrice") or _ZERO,
        orig_qty=_num(r["origQty"], "origQty"),
        executed_qty=_num(r["executedQty"], "executedQty"),
        cum_quote=_opt_num(r.get(cum_quote_key), cum_quote_key) or _ZERO,
        status=expect_name(r["status"], "status"),
        created_ms=created,
        update_ms=expect_int(r.get("updateTime", created), "updateTime"),
        position_side=_text(r.get("positionSide"), "positionSide") if futures else "",
        reduce_only=futures and r.get("reduceOnly") is True,
    )


def parse_open_orders(body: Any, market: str) -> tuple[Order, ...]:
    """``GET /api/v3/openOrders`` or ``/fapi/v1/openOrders`` → open orders."""
    return _rest("openOrders", lambda: tuple(_rest_order(r, market) for r in _list(body, "body")))


def parse_spot_account(body: Any) -> tuple[int, tuple[Balance, ...]]:
    """``GET /api/v3/account`` → (updateTime, non-zero balances)."""

    def build() -> tuple[int, tuple[Balance, ...]]:
        d = _obj(body, "body")
        update_ms = expect_int(d.get("updateTime", 0), "updateTime")
        rows = []
        for item in _list(d["balances"], "balances"):
            item = _obj(item, "balance")
            balance = Balance(
                asset=expect_name(item["asset"], "asset"),
                free=_num(item["free"], "free"),
                locked=_num(item["locked"], "locked"),
                update_ms=update_ms,
            )
            if balance.free or balance.locked:
                rows.append(balance)
        return update_ms, tuple(rows)

    return _rest("account", build)


def parse_futures_balances(body: Any) -> tuple[MarginBalance, ...]:
    """``GET /fapi/v3/balance`` (a list) or ``/fapi/v3/account`` (``assets``) → balances."""

    def build() -> tuple[MarginBalance, ...]:
        items = body["assets"] if type(body) is dict else body
        rows = []
        for item in _list(items, "balances"):
            item = _obj(item, "balance")
            wallet_raw = item["balance"] if "balance" in item else item["walletBalance"]
            wallet = _num(wallet_raw, "balance", signed=True)
            cross_raw = item.get("crossWalletBalance")
            rows.append(
                MarginBalance(
                    asset=expect_name(item["asset"], "asset"),
                    wallet=wallet,
                    cross_wallet=(
                        wallet if cross_raw is None else _num(cross_raw, "crossWallet", signed=True)
                    ),
                    update_ms=expect_int(item.get("updateTime", 0), "updateTime"),
                )
            )
        return tuple(rows)

    return _rest("balance", build)


def parse_position_risk(body: Any) -> tuple[Position, ...]:
    """``GET /fapi/v3/positionRisk`` → positions with a non-zero amount."""

    def build() -> tuple[Position, ...]:
        rows = []
        for item in _list(body, "positionRisk"):
            p = _obj(item, "position")
            amount = _num(p["positionAmt"], "positionAmt", signed=True)
            if not amount:
                continue
            margin_type = _text(p.get("marginType"), "marginType")
            if not margin_type:
                isolated = _opt_num(p.get("isolatedWallet"), "isolatedWallet", signed=True)
                margin_type = "isolated" if isolated else "cross"
            rows.append(
                Position(
                    symbol=expect_name(p["symbol"], "symbol"),
                    position_side=_text(p.get("positionSide"), "positionSide") or "BOTH",
                    amount=amount,
                    entry_price=_num(p["entryPrice"], "entryPrice"),
                    break_even_price=_opt_num(p.get("breakEvenPrice"), "breakEvenPrice"),
                    mark_price=_opt_num(p.get("markPrice"), "markPrice"),
                    unrealized_pnl=_num(p["unRealizedProfit"], "unRealizedProfit", signed=True),
                    margin_type=margin_type,
                    update_ms=expect_int(p.get("updateTime", 0), "updateTime"),
                )
            )
        return tuple(rows)

    return _rest("positionRisk", build)


def parse_server_time(body: Any) -> int:
    """``GET /api/v3/time`` / ``/fapi/v1/time`` → server time (ms)."""
    return _rest("time", lambda: expect_int(_obj(body, "body")["serverTime"], "serverTime"))


def parse_listen_key(body: Any) -> str:
    """``POST /fapi/v1/listenKey`` → the key."""
    return _rest("listenKey", lambda: expect_name(_obj(body, "body")["listenKey"], "listenKey"))


__all__ = [
    "UserFrame",
    "parse_futures_balances",
    "parse_listen_key",
    "parse_open_orders",
    "parse_position_risk",
    "parse_server_time",
    "parse_spot_account",
    "parse_user_event",
    "parse_user_frame",
]
