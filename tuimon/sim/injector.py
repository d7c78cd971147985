"""Carrying out faults: validation, arming pending state, and the immediate ones.

``SimServer.inject`` delegates here. Pending faults (gap/stale/duplicate, REST faults, silence)
live in ``faults.FaultState`` and are consumed by the emitter and the REST middleware.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import orjson

from tuimon.sim.faults import FAULT_NAMES, FAULT_PARAMS, MALFORMED_KINDS, FaultRecord, RestFault
from tuimon.sim.ws import StreamConn

if TYPE_CHECKING:
    from tuimon.sim.server import SimServer


class FaultInjector:
    """Validates a fault request, records it, and dispatches to ``_fault_<name>``."""

    def __init__(self, server: SimServer) -> None:
        self.server = server

    def inject(self, fault: str, symbol: str | None = None, **params: Any) -> FaultRecord:
        if fault not in FAULT_NAMES:
            raise ValueError(f"unknown fault {fault!r}; expected one of {FAULT_NAMES}")
        unknown = set(params) - FAULT_PARAMS[fault]
        if unknown:
            raise ValueError(f"fault {fault!r} does not take {sorted(unknown)}; "
                             f"allowed: {sorted(FAULT_PARAMS[fault])}")
        sym = symbol.upper() if symbol else None
        if sym is not None and sym not in self.server.symbol_set:
            raise ValueError(f"unknown symbol {symbol!r}")
        record = FaultRecord(fault, sym, dict(params), self.server.clock())
        self.server.faults.log.append(record)
        per_kind = self.server.stats.faults_injected
        per_kind[fault] = per_kind.get(fault, 0) + 1
        getattr(self, f"_fault_{fault}")(record, sym, params)
        return record

    def _targets(self, sym: str | None) -> list[StreamConn]:
        if sym is None:
            return list(self.server.conns)
        return [c for c in self.server.conns if any(k.symbol == sym for k in c.subs.values())]

    def _arm_depth(self, kind: str, record: FaultRecord, sym: str | None,
                   params: dict[str, Any]) -> None:
        count = int(params.get("count", 1))
        ttl = float(params.get("ttl", 10.0))
        if count < 1:
            raise ValueError("count must be >= 1")
        expires = self.server.model.step_no + math.ceil(ttl * 1000 / self.server.step_ms)
        symbols = [sym] if sym is not None else self.server.symbols
        suffixes = list(self.server.cfg.depth_cadences)
        self.server.faults.arm_depth(kind, symbols, suffixes, count, expires, record,
                                     age=int(params.get("age", 3)))

    def _fault_gap(self, record: FaultRecord, sym: str | None, params: dict[str, Any]) -> None:
        self._arm_depth("gap", record, sym, params)

    def _fault_stale(self, record: FaultRecord, sym: str | None, params: dict[str, Any]) -> None:
        if int(params.get("age", 3)) < 1:
            raise ValueError("age must be >= 1")
        self._arm_depth("stale", record, sym, params)

    def _fault_duplicate(self, record: FaultRecord, sym: str | None,
                         params: dict[str, Any]) -> None:
        self._arm_depth("duplicate", record, sym, params)

    def _fault_disconnect(self, record: FaultRecord, sym: str | None,
                          params: dict[str, Any]) -> None:
        abrupt = bool(params.get("abrupt", True))
        code = int(params.get("code", 1001))
        for conn in self._targets(sym):
            if abrupt:
                conn.abort("disconnect fault")
            else:
                conn.close_soon(code, "disconnect fault")
            record.applied += 1
            self.server.stats.disconnects_injected += 1

    def _fault_silence(self, record: FaultRecord, sym: str | None,
                       params: dict[str, Any]) -> None:
        seconds = float(params.get("seconds", 5.0))
        until = time.monotonic() + seconds
        silence = self.server.faults.silence_until
        silence[sym] = max(silence.get(sym, 0.0), until)
        record.applied = 1
        self.server.stats.silences_injected += 1

    def _arm_rest(self, kind: str, record: FaultRecord, sym: str | None, value: float,
                  count: int) -> None:
        if count < 0:
            raise ValueError("count must be >= 0 (0 = until cleared)")
        self.server.faults.rest.append(RestFault(kind, count, value, sym, record))

    def _fault_slow_rest(self, record: FaultRecord, sym: str | None,
                         params: dict[str, Any]) -> None:
        self._arm_rest("slow_rest", record, sym, float(params.get("seconds", 2.0)),
                       int(params.get("count", 1)))

    def _fault_rest_429(self, record: FaultRecord, sym: str | None,
                        params: dict[str, Any]) -> None:
        self._arm_rest("rest_429", record, sym, float(params.get("retry_after", 1.0)),
                       int(params.get("count", 1)))

    def _fault_rest_418(self, record: FaultRecord, sym: str | None,
                        params: dict[str, Any]) -> None:
        self._arm_rest("rest_418", record, sym, float(params.get("retry_after", 2.0)),
                       int(params.get("count", 1)))

    def _fault_server_shutdown(self, record: FaultRecord, sym: str | None,
                               params: dict[str, Any]) -> None:
        if self.server.cfg.futures:
            raise ValueError("serverShutdown exists on spot only (reference §3)")
        delay = float(params.get("delay", 0.5))
        event = orjson.dumps({"e": "serverShutdown", "E": self.server.clock()})
        wrapped = b'{"stream":"!serverShutdown","data":' + event + b"}"
        for conn in self._targets(sym):
            conn.push(wrapped if conn.combined else event)
            record.applied += 1
            self.server.stats.shutdowns_sent += 1
            if delay <= 0:
                conn.close_soon(1001, "server shutdown")
            else:
                self.server.call_later(delay, conn.close_soon, 1001, "server shutdown")

    def _fault_malformed(self, record: FaultRecord, sym: str | None,
                         params: dict[str, Any]) -> None:
        kinds = params.get("kinds") or list(MALFORMED_KINDS)
        if isinstance(kinds, str):
            kinds = [kinds]
        bad = [k for k in kinds if k not in MALFORMED_KINDS]
        if bad:
            raise ValueError(f"unknown malformed kinds {bad}; expected {MALFORMED_KINDS}")
        huge = int(params.get("huge_bytes", 1_000_000))
        now = self.server.clock()
        for conn in self._targets(sym):
            target = sym or next((k.symbol for k in conn.subs.values() if k.symbol),
                                 self.server.symbols[0])
            stream = next((n for n, k in conn.subs.items() if k.symbol == target),
                          f"{target.lower()}@depth")
            for kind in kinds:
                self._send_garbage(conn, kind, target, stream, now, huge)
                record.applied += 1
                self.server.stats.malformed_sent += 1
        record.targets.extend(kinds)

    def _send_garbage(self, conn: StreamConn, kind: str, sym: str, stream: str, now: int,
                      huge: int) -> None:
        def wrap(obj: dict[str, Any]) -> bytes:
            data = orjson.dumps(obj)
            if conn.combined:
                return b'{"stream":"' + stream.encode() + b'","data":' + data + b"}"
            return data

        if kind == "not_json":
            conn.push(b"<html><body><h1>502 Bad Gateway</h1></body></html>")
        elif kind == "truncated":
            full = wrap({"e": "depthUpdate", "E": now, "s": sym, "U": 1, "u": 2,
                         "b": [["1.00", "2.00"]], "a": []})
            conn.push(full[: len(full) // 2])
        elif kind == "wrong_types":
            body: dict[str, Any] = {"e": "depthUpdate", "E": str(now), "s": sym, "U": "abc",
                                    "u": "abc", "b": [[95000.1, 1.5]], "a": [["1.0", None]]}
            if self.server.cfg.futures:
                body["pu"] = "abc"
                body["T"] = "x"
            conn.push(wrap(body))
        elif kind == "unknown_event":
            conn.push(wrap({"e": "simMysteryEvent", "E": now, "s": sym, "z": [1, 2, 3]}))
        elif kind == "huge":
            pad = max(0, huge - 100)
            conn.push(wrap({"e": "simHugeEvent", "E": now, "s": sym, "pad": "x" * pad}))
        elif kind == "binary":
            conn.send_binary(b"\x00\x01\x02\x03binary frame\xff")
        elif kind == "non_utf8":
            conn.send_raw_text(b'{"e":"depthUpdate","s":"\xff\xfe\xfd"}')

    def _fault_clear(self, record: FaultRecord, sym: str | None, params: dict[str, Any]) -> None:
        """Disarm every pending fault and lift REST cool-downs/bans: a clean slate."""
        self.server.faults.clear()
        limiter = self.server.rest.limiter
        limiter.cooldown_until = limiter.ban_until = limiter.violations = 0
        record.applied = 1
