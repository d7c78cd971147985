"""Control replies (market SUBSCRIBE/LIST_SUBSCRIPTIONS answers) and WS API responses under
fuzzing: an id that answers one of our requests (an int in 1..2^63-1) or null, else a bad frame;
and whatever parses is safe to hand to the code that matches replies to requests."""

from __future__ import annotations

from typing import Any

from fuzz_strategies import dumps, json_scalars, json_values
from hypothesis import example, given
from hypothesis import strategies as st

from tuimon.clock import FrozenClock
from tuimon.feeds.connection import ConnectionConfig, StreamConnection
from tuimon.feeds.proxy import ProxyRules
from tuimon.protocol.endpoints import Market, Route, resolve_endpoints
from tuimon.protocol.models import BadFrame, ControlReply
from tuimon.protocol.parse import parse_frame
from tuimon.protocol.streams import REQUEST_ID_MAX
from tuimon.protocol.user_models import WsApiReply
from tuimon.protocol.user_parse import MAX_STRING_ID, parse_user_frame

ids = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, 1, 2, REQUEST_ID_MAX, REQUEST_ID_MAX + 1, True, False, None, 1.0, 1e30]),
    json_scalars,
    json_values,
)


def valid_id(value: Any) -> bool:
    return type(value) is int and 1 <= value <= REQUEST_ID_MAX


@st.composite
def control_replies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {"id": draw(ids)}
    shape = draw(st.sampled_from(["result", "error", "flat", "neither"]))
    if shape == "result":
        body["result"] = draw(json_values)
    elif shape == "error":
        body["error"] = draw(st.one_of(
            st.fixed_dictionaries({"code": json_scalars, "msg": json_values}), json_values))
    elif shape == "flat":
        body["code"] = draw(json_values)
        body["msg"] = draw(json_values)
    body.update(draw(st.dictionaries(st.sampled_from(["status", "extra"]), json_scalars)))
    return body


def connection() -> StreamConnection:
    endpoints = resolve_endpoints(Market.SPOT, env={})
    states: list[tuple[str, bool, str]] = []
    conn = StreamConnection(
        "spot",
        endpoints,
        Route.NONE,
        on_frame=lambda name, raw: None,
        on_open=lambda c, reopened: None,
        on_state=lambda name, up, problem: states.append((name, up, problem)),
        clock=FrozenClock(),
        config=ConnectionConfig(),
        proxies=ProxyRules.direct(),
    )
    # Requests 1-3 are outstanding: a SUBSCRIBE, an UNSUBSCRIBE, a LIST_SUBSCRIPTIONS.
    conn._pending.update({1: ("SUBSCRIBE", ["a@depth"]), 2: ("UNSUBSCRIBE", ["b@depth"]),
                          3: ("LIST_SUBSCRIPTIONS", [])})
    return conn


@given(control_replies())
@example({"result": None, "id": True})  # true == 1: it would have answered request 1
@example({"result": ["x"], "id": 3.0})
@example({"error": {"code": 2, "msg": "x"}, "id": None})
@example({"error": {"code": [], "msg": {"a": [[[]]]}}, "id": 2})
def test_control_replies(body):
    stream, frame = parse_frame(dumps(body))
    assert stream is None
    if "result" in body or "error" in body or "code" in body:
        if body["id"] is None or valid_id(body["id"]):
            assert isinstance(frame, ControlReply), frame
        else:
            assert isinstance(frame, BadFrame) and frame.kind == "control reply id", frame
    if isinstance(frame, ControlReply):
        assert frame.request_id is None or valid_id(frame.request_id)
        assert frame.error_code is None or type(frame.error_code) is int
        assert type(frame.error_msg) is str and len(frame.error_msg) <= 200
        conn = connection()
        conn.on_reply(frame)  # matching it to a request never raises
        if frame.request_id in (1, 2, 3):
            assert frame.request_id not in conn._pending


@st.composite
def ws_api_replies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {"id": draw(st.one_of(ids, st.text(max_size=50))),
                            "status": draw(json_scalars)}
    if draw(st.booleans()):
        body["result"] = draw(json_values)
    if draw(st.booleans()):
        body["error"] = draw(st.one_of(
            st.fixed_dictionaries({"code": json_scalars, "msg": json_values}), json_values))
    return body


@given(ws_api_replies())
@example({"id": True, "status": 200, "result": {}})
@example({"id": "x" * 50, "status": 400, "error": {"code": -1022, "msg": "bad"}})
def test_ws_api_replies(body):
    frame = parse_user_frame(dumps(body))
    rid = body["id"]
    if rid is None or valid_id(rid) or type(rid) is str:
        assert isinstance(frame, WsApiReply), frame
        expected = rid[:MAX_STRING_ID] if type(rid) is str else rid
        assert frame.request_id == expected
        assert type(frame.status) is int and type(frame.error_msg) is str
        assert frame.error_code is None or type(frame.error_code) is int
    else:
        assert isinstance(frame, BadFrame) and frame.kind == "response id", frame
