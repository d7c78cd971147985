"""REST over ``requests``, run in worker threads so the event loop never blocks.

Pacing follows the exchange's own accounting (reference §5.3-§5.4): every response reports the
weight used this minute in ``X-MBX-USED-WEIGHT-1M``; we stop before the limit, and on 429/418 we
stop *every* request until ``Retry-After`` has passed (continuing after a 429 earns a ban).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from tuimon.clock import Clock, SystemClock
from tuimon.feeds.hooks import Tap
from tuimon.feeds.proxy import Proxy, ProxyRules
from tuimon.protocol.endpoints import Endpoints, Market

log = logging.getLogger(__name__)

# urllib3's words when a proxy answers CONNECT with an error status ("407 Proxy Authentication
# Required"); the rest of its message is noise.
_TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: (\d{3}[\w ]*)")

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
class Cooldown:
    """Until when no request may go out (monotonic seconds): the last 429/418's Retry-After.

    The exchange counts limits per IP and says to stop *every* request from it for that long
    (§5.4), so the REST clients of one exchange in a process (market and user data) share one.
    """

    until: float = 0.0


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
        proxies: ProxyRules | None = None,
        cooldown: Cooldown | None = None,
        tap: Tap | None = None,
    ) -> None:
        """``cooldown``: share another client's 429/418 stop (None: a fresh one of its own).
        ``tap`` sees each successful response's exact body (``tuimon record``); this client sends
        no keys and signs nothing: it is market data only."""
        self.endpoints = endpoints
        self.tap = tap
        self.clock: Clock = clock or SystemClock()
        self.weight_limit = weight_limit or DEFAULT_WEIGHT_LIMIT[endpoints.market]
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.stats = RestStats()
        self.cooldown = cooldown if cooldown is not None else Cooldown()
        self._window_start = self.clock.monotonic()
        self._local = threading.local()
        self._slots = asyncio.Semaphore(concurrency)
        # Every REST URL shares the base's host, so one answer covers them all. None: the
        # environment's settings (a bad proxy URL raises ProxyConfigError here).
        rules = proxies if proxies is not None else ProxyRules.from_environ()
        self.proxy = rules.for_url(endpoints.rest_base)
        self._proxies = rules.requests_proxies(endpoints.rest_base)

    # -------------------------------------------------------------- thread side

    def _session(self) -> requests.Session:
        # requests.Session is not documented as thread-safe: one per worker thread.
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = "tuimon"
            # Our proxy rule, not requests' own reading of the environment: REST and the
            # WebSockets must agree on NO_PROXY. trust_env=False stops that reading (and .netrc,
            # which Binance never uses); the CA bundle variables requests would read stay.
            session.trust_env = False
            session.proxies = dict(self._proxies)
            session.verify = (
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            )
        return session

    def _get_blocking(self, url: str, params: dict[str, Any]) -> requests.Response:
        return self._session().get(url, params=params, timeout=self.timeout)

    # -------------------------------------------------------------- loop side

    async def _pace(self, weight: int) -> None:
        """Wait out a ban/Retry-After, and the minute window if this request would exceed it.

        Called while holding a connection slot, right before sending: a request that waited
        for its slot must still see a 429 that came back in the meantime.
        """
        while True:
            now = self.clock.monotonic()
            if now - self._window_start >= 60:
                self._window_start = now
                self.stats.used_weight = 0
            wait = self.cooldown.until - now
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
            try:
                async with self._slots:
                    await self._pace(weight)
                    self.stats.requests += 1
                    response = await asyncio.to_thread(self._get_blocking, url, params)
            except requests.RequestException as exc:
                problem = f"{name}: {_describe(exc, url, self.proxy)}"
            else:
                self._account(response, weight)
                if response.status_code == 200:
                    try:
                        body = orjson.loads(response.content)
                    except orjson.JSONDecodeError:
                        problem = f"{name}: response is not JSON"
                    else:
                        if self.tap is not None:
                            self.tap.rest(name, url, params, response.content)
                        return body
                elif response.status_code in (429, 418):
                    self._back_off(response)
                    problem = f"{name}: HTTP {response.status_code} (rate limited)"
                elif response.status_code == 407 and self.proxy is not None:
                    problem = f"{name}: {proxy_refused(self.proxy, url)}"
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
        self.cooldown.until = max(self.cooldown.until, self.clock.monotonic() + seconds)
        log.warning("REST HTTP %d: all requests paused %.0f s", response.status_code, seconds)


def proxy_refused(proxy: Proxy, url: str) -> str:
    """A plain-http request the proxy answered with 407 itself (https would tunnel, and fail as
    a refused CONNECT): a proxy problem, retried like one, never an exchange error."""
    return f"proxy {proxy} refused the request to {urlsplit(url).netloc}: 407 (credentials)"


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


def _describe(exc: requests.RequestException, url: str, proxy: Proxy | None = None) -> str:
    """requests' messages run to several hundred characters; say what happened in a few words.

    Through a proxy the message names it (redacted) and, when the proxy refused the CONNECT,
    its status line: what the user needs to fix the proxy settings.
    """
    host = urlsplit(url).netloc
    via = f" through proxy {proxy}" if proxy is not None else ""
    if isinstance(exc, requests.Timeout):
        return f"timed out talking to {host}{via}"
    if isinstance(exc, requests.ConnectionError):
        refused = _TUNNEL_REFUSED.search(str(exc)) if proxy is not None else None
        if refused:
            return f"proxy {proxy} refused the tunnel to {host}: {refused.group(1).strip()}"
        return f"cannot connect to {host}{via}"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""
