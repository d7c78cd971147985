"""Where each market lives: base URLs, REST paths and futures stream routes.

Endpoints are configuration, never special cases: a local simulator or the real exchange differ
only in the base URLs. Overrides name a *base* (``ws://127.0.0.1:9000``); tuimon appends the
paths the real exchange uses, so a faithful local server works unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import urlsplit


class Market(StrEnum):
    """The three Binance market families tuimon understands."""

    SPOT = "spot"
    USDM = "usdm"
    COINM = "coinm"

    @property
    def is_futures(self) -> bool:
        """Futures books chain on ``pu``; spot books chain on ``U``."""
        return self is not Market.SPOT


class Route(StrEnum):
    """USDⓈ-M stream routes (mandatory since 2026-04-23). ``NONE`` = unrouted host."""

    NONE = ""
    PUBLIC = "public"
    MARKET = "market"
    PRIVATE = "private"


class EndpointError(ValueError):
    """A URL override or market name that cannot be used."""


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Base URLs for one market on one environment, plus the REST path prefix."""

    market: Market
    stream_base: str
    rest_base: str
    ws_api_base: str
    rest_prefix: str
    ws_api_path: str
    routed: bool
    """True where streams must be split by route (USDⓈ-M production and its faithful copies)."""

    def rest(self, name: str) -> str:
        """Full REST URL for an endpoint name such as ``depth`` or ``ticker/24hr``."""
        return f"{self.rest_base}{self.rest_prefix}/{name}"

    def stream_path(self, route: Route) -> str:
        """Base URL of one stream route (``.../public``), or the host for unrouted markets."""
        if not self.routed or route is Route.NONE:
            return self.stream_base
        return f"{self.stream_base}/{route.value}"

    def ws_api(self) -> str:
        """Full WebSocket API URL (spot user data lives here)."""
        return f"{self.ws_api_base}{self.ws_api_path}"


_LIVE: dict[Market, tuple[str, str, str]] = {
    Market.SPOT: (
        "wss://stream.binance.com:9443",
        "https://api.binance.com",
        "wss://ws-api.binance.com:443",
    ),
    Market.USDM: (
        "wss://fstream.binance.com",
        "https://fapi.binance.com",
        "wss://ws-fapi.binance.com",
    ),
    Market.COINM: (
        "wss://dstream.binance.com",
        "https://dapi.binance.com",
        "wss://ws-dapi.binance.com",
    ),
}

# Testnet hosts per reference §1.1-§1.3. The spot testnet REST host is documented as
# ``https://testnet.binance.vision/api``; tuimon appends ``/api/v3`` itself: the base is the host.
_TESTNET: dict[Market, tuple[str, str, str]] = {
    Market.SPOT: (
        "wss://stream.testnet.binance.vision",
        "https://testnet.binance.vision",
        "wss://ws-api.testnet.binance.vision",
    ),
    Market.USDM: (
        "wss://fstream.binancefuture.com",
        "https://testnet.binancefuture.com",
        "wss://testnet.binancefuture.com",
    ),
    Market.COINM: (
        "wss://dstream.binancefuture.com",
        "https://testnet.binancefuture.com",
        "wss://testnet.binancefuture.com",
    ),
}

_PATHS: dict[Market, tuple[str, str, bool]] = {
    # market: (REST prefix, WS API path, routed streams)
    Market.SPOT: ("/api/v3", "/ws-api/v3", False),
    Market.USDM: ("/fapi/v1", "/ws-fapi/v1", True),
    # COIN-M had no route split as of the reference (§1.3).
    Market.COINM: ("/dapi/v1", "/ws-dapi/v1", False),
}

ENV_STREAM = "TUIMON_STREAM_URL"
ENV_REST = "TUIMON_REST_URL"
ENV_WS_API = "TUIMON_WS_API_URL"
ENV_OVERRIDES = (ENV_STREAM, ENV_REST, ENV_WS_API)


def parse_market(text: str) -> Market:
    """Market from user text, with a one-line error naming the valid choices."""
    try:
        return Market(text.strip().lower())
    except ValueError:
        choices = ", ".join(m.value for m in Market)
        raise EndpointError(f"unknown market {text!r}: choose one of {choices}") from None


def _check_base(url: str, schemes: tuple[str, ...], what: str) -> str:
    """Validate an override base URL and strip any trailing slash."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError on a non-numeric port
    except ValueError as exc:
        raise EndpointError(f"bad {what} URL {url!r}: {exc}") from None
    if parts.scheme not in schemes or not parts.hostname:
        wanted = " or ".join(f"{s}://host[:port]" for s in schemes)
        raise EndpointError(f"bad {what} URL {url!r}: expected {wanted}")
    if parts.query or parts.fragment:
        raise EndpointError(f"bad {what} URL {url!r}: give a base URL without ?query or #fragment")
    del port
    return url.strip().rstrip("/")


def resolve_endpoints(
    market: Market,
    *,
    testnet: bool = False,
    stream_url: str | None = None,
    rest_url: str | None = None,
    ws_api_url: str | None = None,
    env: dict[str, str] | None = None,
) -> Endpoints:
    """Endpoints for a market: defaults, then env overrides, then explicit (CLI) overrides."""
    environ = os.environ if env is None else env
    stream, rest, ws_api = (_TESTNET if testnet else _LIVE)[market]
    prefix, ws_api_path, routed = _PATHS[market]
    stream = stream_url or environ.get(ENV_STREAM) or stream
    rest = rest_url or environ.get(ENV_REST) or rest
    ws_api = ws_api_url or environ.get(ENV_WS_API) or ws_api
    return Endpoints(
        market=market,
        stream_base=_check_base(stream, ("ws", "wss"), "stream"),
        rest_base=_check_base(rest, ("http", "https"), "REST"),
        ws_api_base=_check_base(ws_api, ("ws", "wss"), "WebSocket API"),
        rest_prefix=prefix,
        ws_api_path=ws_api_path,
        routed=routed,
    )


def with_bases(endpoints: Endpoints, *, stream: str, rest: str, ws_api: str) -> Endpoints:
    """Same market and paths on other hosts (the in-process simulator)."""
    return replace(
        endpoints,
        stream_base=_check_base(stream, ("ws", "wss"), "stream"),
        rest_base=_check_base(rest, ("http", "https"), "REST"),
        ws_api_base=_check_base(ws_api, ("ws", "wss"), "WebSocket API"),
    )
