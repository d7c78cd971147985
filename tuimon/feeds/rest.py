"""REST over ``requests``, run in worker threads so the event loop never blocks.

Pacing follows the exchange's own accounting (reference §5.3-§5.4): every response reports the
weight used this minute in ``X-MBX-USED-WEIGHT-1M``; we stop before the limit, and on 429/418 we
stop *every* request until ``Retry-After`` has passed (continuing after a 429 earns a ban).
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from tuimon.clock import Clock, SystemClock
from tuimon.protocol.endpoints import Endpoints, Market

log = logging.getLogger(__name__)

DEFAULT_WEIGHT_LIMIT = {Market.SPOT: 6000, Market.USDM: 2400, Market.COINM: 2400}
_FUTURES_DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)


class RestError(Exception):
    """A REST call that failed for good; ``str()`` is one line for the user."""


class ApiError(RestError):
    """The exchange answered with an error body (``{"code": -1121, "msg": "Invalid symbol."}``)."""

    def __init__(self, status: int, code: int | None, msg: str, path: str) -> None:
        self.status = status
        self.code = code
        self.msg = msg
        super().__init__(f"{path}: HTTP {status}, code {code}: {msg}")


def depth_weight(market: Market, limit: int) -> int:
    """Request weight of a depth snapshot (§5.3)."""
    if market is Market.SPOT:
        if limit <= 100:
            return 5
        if limit <= 500:
            return 25
        return 50 if limit <= 1000 else 250
    if limit <= 50:
        return 2
    return {100: 5, 500: 10}.get(limit, 20)


def futures_depth_limit(requested: int) -> int:
    """Futures depth accepts only fixed limits: the smallest allowed one that covers the request."""
    for allowed in _FUTURES_DEPTH_LIMITS:
        if allowed >= requested:
            return allowed
    return _FUTURES_DEPTH_LIMITS[-1]


@dataclass(slots=True)
class RestStats:
    """Counters for health display and tests."""

    requests: int = 0
    throttled: int = 0
    retries: int = 0
    used_weight: int = 0


class RestClient:
    """Async facade over ``requests`` with weight pacing, Retry-After and bounded retries."""

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        clock: Clock | None = None,
        weight_limit: int | None = None,
        max_attempts: int = 4,
        timeout: float = 10.0,
        concurrency: int = 4,
    ) -> None:
        self.endpoints = endpoints
        self.clock: Clock = clock or SystemClock()
        self.weight_limit = weight_limit or DEFAULT_WEIGHT_LIMIT[endpoints.market]
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.stats = RestStats()
        self._blocked_until = 0.0  # monotonic seconds; all requests wait for it
        self._window_start = self.clock.monotonic()
        self._local = threading.local()
        self._slots = asyncio.Semaphore(concurrency)

    # -------------------------------------------------------------- thread side

    def _session(self) -> requests.Session:
        # requests.Session is not documented as thread-safe: one per worker thread.
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = "tuimon"
        return session

    def _get_blocking(self, url: str, params: dict[str, Any]) -> requests.Response:
        return self._session().get(url, params=params, timeout=self.timeout)

    # -------------------------------------------------------------- loop side

    async def _pace(self, weight: int) -> None:
        """Wait out a ban/Retry-After, and the minute window if this request would exceed it."""
        while True:
            now = self.clock.monotonic()
            if now - self._window_start >= 60:
                self._window_start = now
                self.stats.used_weight = 0
            wait = self._blocked_until - now
            if wait <= 0 and self.stats.used_weight + weight > self.weight_limit * 0.9:
                wait = 60 - (now - self._window_start)
            if wait <= 0:
                return
            self.stats.throttled += 1
            await asyncio.sleep(min(wait, 5.0))

    async def get(self, name: str, params: dict[str, Any] | None = None, weight: int = 1) -> Any:
        """GET a REST endpoint (``depth``, ``klines``...) and return its parsed JSON body."""
        url = self.endpoints.rest(name)
        params = params or {}
        delay = 0.5
        for attempt in range(1, self.max_attempts + 1):
            await self._pace(weight)
            try:
                async with self._slots:
                    self.stats.requests += 1
                    response = await asyncio.to_thread(self._get_blocking, url, params)
            except requests.RequestException as exc:
                problem = f"{name}: {_describe(exc, url)}"
            else:
                self._account(response, weight)
                if response.status_code == 200:
                    try:
                        return orjson.loads(response.content)
                    except orjson.JSONDecodeError:
                        problem = f"{name}: response is not JSON"
                elif response.status_code in (429, 418):
                    self._back_off(response)
                    problem = f"{name}: HTTP {response.status_code} (rate limited)"
                elif 400 <= response.status_code < 500:
                    raise _api_error(response, name)
                else:  # 5XX: outcome unknown; safe to retry a GET
                    problem = f"{name}: HTTP {response.status_code}"
            if attempt == self.max_attempts:
                raise RestError(f"{problem} (gave up after {attempt} attempts)")
            self.stats.retries += 1
            log.warning("REST retry %d: %s", attempt, problem)
            await asyncio.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 8.0)
        raise RestError(f"{name}: no attempts made")  # pragma: no cover - max_attempts >= 1

    def _account(self, response: requests.Response, weight: int) -> None:
        used = response.headers.get("X-MBX-USED-WEIGHT-1M")
        if used is not None and used.isdigit():
            self.stats.used_weight = int(used)
        else:
            self.stats.used_weight += weight

    def _back_off(self, response: requests.Response) -> None:
        retry_after = response.headers.get("Retry-After", "")
        seconds = float(retry_after) if retry_after.isdigit() else 60.0
        self._blocked_until = max(self._blocked_until, self.clock.monotonic() + seconds)
        log.warning("REST HTTP %d: all requests paused %.0f s", response.status_code, seconds)


def _api_error(response: requests.Response, name: str) -> ApiError:
    code: int | None = None
    msg = response.reason or "client error"
    try:
        body = orjson.loads(response.content)
        if isinstance(body, dict):
            code = body.get("code") if isinstance(body.get("code"), int) else None
            msg = str(body.get("msg", msg))[:200]
    except orjson.JSONDecodeError:
        pass
    return ApiError(response.status_code, code, msg, name)


def _describe(exc: requests.RequestException, url: str) -> str:
    """requests' messages run to several hundred characters; say what happened in a few words."""
    host = urlsplit(url).netloc
    if isinstance(exc, requests.Timeout):
        return f"timed out talking to {host}"
    if isinstance(exc, requests.ConnectionError):
        return f"cannot connect to {host}"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""
