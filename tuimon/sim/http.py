"""Binance-style HTTP answers shared by the simulator's REST modules.

Every error the simulator sends over HTTP is JSON ``{"code": ..., "msg": ...}`` like the
exchange's, never aiohttp's HTML pages: clients parse the body of a 4xx to find the code.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

UNKNOWN_ERROR = "An unknown error occurred while processing the request."


class ApiError(Exception):
    """A Binance-style error body {"code": ..., "msg": ...} with its HTTP status."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.code = code
        self.msg = msg


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status,
                        content_type="application/json", charset="UTF-8")


def http_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    """aiohttp's own 4xx/5xx as Binance answers them.

    An unknown path and a known path with the wrong method are both HTTP 404 with -5000
    "Path <path>, Method <method> is invalid", as the futures hosts answer (observed on the
    wire, not in Binance's docs; spot's body for unknown paths is not documented and uses the
    same form here rather than an HTML page).
    """
    if exc.status in (404, 405):
        return json_response({"code": -5000, "msg": f"Path {request.path}, Method "
                                                    f"{request.method} is invalid"}, 404)
    return json_response({"code": -1000, "msg": exc.reason or UNKNOWN_ERROR}, exc.status)


__all__ = ["ApiError", "UNKNOWN_ERROR", "http_error", "json_response"]
