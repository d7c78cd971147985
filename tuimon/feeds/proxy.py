"""Which proxy a connection goes through, and the tunnel through it.

One rule for every socket tuimon opens (REST, the market streams, the user-data stream), read
from the environment as curl and requests read it:

* ``https://`` and ``wss://`` use ``HTTPS_PROXY``, ``http://`` and ``ws://`` use ``HTTP_PROXY``;
  either falls back to ``ALL_PROXY``. Lower-case names win over upper-case ones (the standard
  library's :func:`urllib.request.getproxies_environment` reads them).
* ``NO_PROXY``: ``*``, host names, domain suffixes (``example.com`` and ``.example.com`` both
  cover ``api.example.com``), IP addresses, ``host:port``
  (:func:`urllib.request.proxy_bypass_environment`), and CIDR blocks (``10.0.0.0/8``, as
  requests and curl accept).
* Proxy URLs: ``http://`` (HTTP CONNECT), ``socks5://`` (this machine resolves the exchange's
  name) and ``socks5h://`` (the proxy resolves it); a bare ``host:port`` means ``http://``.
  Default ports: 80 for http, 1080 for SOCKS. ``user:password@`` is percent-decoded and never
  shown: every message and ``repr`` prints ``***@``.

Why our own rule and not each library's: requests and websockets both read the environment by
themselves, differently (websockets prefers ``WSS_PROXY`` and ``SOCKS_PROXY``, ignores
``ALL_PROXY``, and sends ``ws://`` to ``HTTPS_PROXY`` first; requests has its own ``NO_PROXY``
matcher). Resolving once here and passing the result explicitly gives every socket the same
answer. The tunnel for both WebSocket paths is python-socks' (SOCKS5 and HTTP CONNECT), so they
also fail the same way, with the same one-line message.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from tuimon.protocol.endpoints import Endpoints, Market
from tuimon.protocol.signing import Secret

SCHEMES = ("http", "socks5", "socks5h")
_DEFAULT_PORT = {"http": 80, "socks5": 1080, "socks5h": 1080}
_USE = "use http://, socks5:// or socks5h://"
_TARGET_PORT = {"http": 80, "ws": 80, "https": 443, "wss": 443}


class ProxyConfigError(ValueError):
    """A proxy variable that cannot be used. One line naming the variable; no credentials."""


class ProxyFailure(OSError):
    """The tunnel could not be opened (proxy unreachable, CONNECT or SOCKS request refused).

    An ``OSError``, so every worker treats it as it treats an unreachable exchange: a one-line
    reason, then the normal retry and backoff.
    """


@dataclass(frozen=True, slots=True, repr=False)
class Proxy:
    """One proxy. ``str()`` and ``repr()`` redact the credentials."""

    scheme: str
    """``http``, ``socks5`` or ``socks5h``."""
    host: str
    port: int
    username: Secret | None = None
    password: Secret | None = None
    variable: str = ""
    """The environment variable it came from (``HTTPS_PROXY``), for messages."""

    @property
    def remote_dns(self) -> bool:
        """socks5h: the proxy resolves the exchange's host name."""
        return self.scheme == "socks5h"

    def url(self) -> str:
        """The URL with its credentials, percent-encoded, for requests. Never log it."""
        auth = ""
        if self.username is not None:
            password = self.password.reveal() if self.password is not None else ""
            auth = f"{quote(self.username.reveal(), safe='')}:{quote(password, safe='')}@"
        return f"{self.scheme}://{auth}{_host_port(self.host, self.port)}"

    def __str__(self) -> str:
        auth = "***@" if self.username is not None else ""
        return f"{self.scheme}://{auth}{_host_port(self.host, self.port)}"

    def __repr__(self) -> str:
        return f"Proxy({self})"


@dataclass(frozen=True, slots=True)
class _Unusable:
    """A proxy variable that is set but cannot be parsed; raised only if a URL would use it."""

    message: str


@dataclass(frozen=True, slots=True)
class ProxyRules:
    """The proxy settings of one run: which proxy (or none) each URL goes through."""

    https: Proxy | _Unusable | None = None
    http: Proxy | _Unusable | None = None
    all: Proxy | _Unusable | None = None
    no_proxy: str = ""

    @classmethod
    def direct(cls) -> ProxyRules:
        """No proxy for anything (``--demo``: the simulator is in-process on loopback)."""
        return cls()

    @classmethod
    def from_environ(cls) -> ProxyRules:
        """The rules the process environment sets (a bad URL is reported when it would be used)."""
        found = urllib.request.getproxies_environment()
        entries: dict[str, Proxy | _Unusable | None] = {}
        for key in ("https", "http", "all"):
            value = found.get(key)
            if value is None:
                entries[key] = None
                continue
            variable = _variable_name(key, value)
            try:
                entries[key] = parse_proxy(value, variable)
            except ProxyConfigError as exc:
                entries[key] = _Unusable(str(exc))
        no_proxy = found.get("no", "")
        return cls(
            https=entries["https"],
            http=entries["http"],
            all=entries["all"],
            no_proxy=no_proxy,
        )

    def for_url(self, url: str) -> Proxy | None:
        """The proxy ``url`` goes through, or None for a direct connection.

        Raises :class:`ProxyConfigError` if the variable that applies is unusable (a variable
        no URL uses is never an error, as with curl).
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname
        if host is None or scheme not in _TARGET_PORT:
            return None
        specific = self.https if scheme in ("https", "wss") else self.http
        entry = specific if specific is not None else self.all
        if entry is None or self.bypassed(host, parts.port or _TARGET_PORT[scheme]):
            return None
        if isinstance(entry, _Unusable):
            raise ProxyConfigError(entry.message)
        return entry

    def check(self, urls: Iterable[str]) -> None:
        """Raise :class:`ProxyConfigError` if any of ``urls`` would use an unusable proxy."""
        for url in urls:
            self.for_url(url)

    def bypassed(self, host: str, port: int) -> bool:
        """NO_PROXY covers ``host:port``."""
        if not self.no_proxy:
            return False
        if urllib.request.proxy_bypass_environment(f"{host}:{port}", {"no": self.no_proxy}):
            return True
        networks = _cidr_entries(self.no_proxy)
        if not networks:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in networks)

    def requests_proxies(self, url: str) -> dict[str, str]:
        """The ``proxies`` mapping requests needs for ``url`` ({} for a direct connection)."""
        proxy = self.for_url(url)
        if proxy is None:
            return {}
        return {"http": proxy.url(), "https": proxy.url()}


def run_proxies(
    endpoints: Endpoints, *, private: bool, demo: bool = False, proxies: ProxyRules | None = None
) -> ProxyRules:
    """The proxy settings of one run, checked for every URL it will use.

    ``proxies`` None: the process environment's. ``private``: the account's socket too.
    ``demo`` is always direct: the simulator is in-process on loopback. Raises
    :class:`ProxyConfigError` (one line naming the variable) for an unusable proxy URL.
    """
    if demo:
        return ProxyRules.direct()
    rules = proxies if proxies is not None else ProxyRules.from_environ()
    urls = [endpoints.stream_base, endpoints.rest_base]  # USDⓈ-M user data: the stream host
    if private and endpoints.market is Market.SPOT:
        urls.append(endpoints.ws_api_base)  # spot user data is on the WebSocket API
    rules.check(urls)
    return rules


def parse_proxy(value: str, variable: str) -> Proxy:
    """A proxy URL from ``variable``; :class:`ProxyConfigError` says what is wrong in one line."""
    text = value.strip()
    shown = _redact(text)
    if not text or not text.isascii() or not text.isprintable() or " " in text:
        raise ProxyConfigError(
            f"{variable}: not a proxy URL: {shown!r} (spaces or non-ASCII characters: "
            "percent-encode them)"
        )
    if "://" not in text:
        text = f"http://{text}"  # curl and requests read a bare host:port as an HTTP proxy
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError:
        # Not the library's message: it quotes the text, which may hold the password.
        raise ProxyConfigError(f"{variable}: bad port in proxy URL {shown!r}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ProxyConfigError(f"{variable}: unsupported proxy scheme {scheme!r} ({_USE})")
    if not parts.hostname:
        raise ProxyConfigError(f"{variable}: no host in proxy URL {shown!r}")
    if port == 0:
        raise ProxyConfigError(f"{variable}: bad port in proxy URL {shown!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ProxyConfigError(
            f"{variable}: a proxy URL is scheme://[user:password@]host:port, not {shown!r}"
        )
    username = password = None
    if parts.username is not None:
        username = Secret(unquote(parts.username))
        password = Secret(unquote(parts.password or ""))
    return Proxy(
        scheme, parts.hostname, port or _DEFAULT_PORT[scheme], username, password, variable
    )


async def open_tunnel(proxy: Proxy, host: str, port: int) -> socket.socket:
    """A TCP socket to ``host:port`` through ``proxy``, ready for TLS or the WebSocket handshake.

    Failures are one-line :class:`ProxyFailure` errors naming the proxy (redacted) and why.
    The caller bounds the time (``asyncio.timeout``), as it bounds a direct connection.
    """
    # Imported here: only a proxied connection needs it (keeps start-up lean).
    from python_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError, ProxyType
    from python_socks.async_.asyncio import Proxy as SocksProxy

    kind = ProxyType.HTTP if proxy.scheme == "http" else ProxyType.SOCKS5
    client = SocksProxy(
        kind,
        proxy.host,
        proxy.port,
        proxy.username.reveal() if proxy.username is not None else None,
        proxy.password.reveal() if proxy.password is not None else None,
        rdns=proxy.remote_dns,
    )
    target = _host_port(host, port)
    try:
        return await client.connect(host, port)
    except ProxyConnectionError as exc:
        cause = exc.__cause__
        why = cause.strerror if isinstance(cause, OSError) and cause.strerror else "unreachable"
        raise ProxyFailure(f"cannot reach proxy {proxy}: {why}") from None
    except ProxyTimeoutError:
        raise ProxyFailure(f"proxy {proxy}: no answer") from None
    except ProxyError as exc:
        why = _first_line(exc) or "closed the connection"
        raise ProxyFailure(f"proxy {proxy} refused the tunnel to {target}: {why}") from None
    except OSError as exc:  # e.g. socks5:// cannot resolve the exchange's name here
        raise ProxyFailure(f"proxy {proxy}, tunnel to {target}: {_first_line(exc)}") from None


def _variable_name(key: str, value: str) -> str:
    """The variable a value came from: lower-case names win, as getproxies_environment reads."""
    lower = f"{key}_proxy"
    return lower if os.environ.get(lower) == value else lower.upper()


def _cidr_entries(no_proxy: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for entry in no_proxy.split(","):
        entry = entry.strip()
        if "/" in entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                continue  # not a CIDR block: urllib's matcher has already looked at it
    return tuple(networks)


def _redact(text: str) -> str:
    """``scheme://***@host:port``: the text with any user information hidden."""
    head, at, tail = text.rpartition("@")
    if not at:
        return text
    scheme, sep, _ = head.partition("://")
    return f"{scheme}://***@{tail}" if sep else f"***@{tail}"


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""
