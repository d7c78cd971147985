"""Where ``tuimon serve`` may listen, and which browsers' requests it answers. Pure: no I/O.

The page shows the account (balances, orders, positions) of whoever runs it, and has no login.
So a loopback address is the default, anything else needs ``--allow-remote``, and on loopback
the server also refuses requests whose ``Host`` is not a loopback name (DNS rebinding: a web
page that re-points its own name at 127.0.0.1) and WebSockets opened by another site's page
(browsers let any page open a WebSocket to localhost; ``Origin`` says who did).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

MAX_PORT = 65535

_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_PORT = re.compile(r"[0-9]{1,5}")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


class HostError(ValueError):
    """A host or port that cannot be used; the message is one line."""


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]") if host.startswith("[") else host)
    except ValueError:
        return None


def check_host(host: str) -> str:
    """``host`` if it is an IP address or a DNS name, else a :class:`HostError`.

    Checked here so that a typo is one line, not an ``OSError`` from the resolver; and never
    printed raw (``repr``), since it may hold control characters.
    """
    if _ip(host) is not None and not host.startswith("["):
        return host
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) <= 253 and all(_LABEL.fullmatch(label) for label in labels):
        return host
    raise HostError(f"--host: not an IP address or host name: {host!r}")


def is_loopback(host: str) -> bool:
    """True for ``localhost``, ``127.0.0.0/8`` and ``::1`` (also IPv4-mapped): only this
    machine can reach them. Any other name is not resolved here: it may mean anything."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    ip = _ip(host)
    if ip is None:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 (3.11 calls it not loopback)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def check_port(text: str) -> int:
    """A TCP port 1-65535, or 0 for "any free port" (the URL printed says which)."""
    if not _PORT.fullmatch(text):  # int() would also take " 80", "8_000" and other digits
        raise HostError(f"--port: not a port number: {text!r}")
    port = int(text)
    if port > MAX_PORT:
        raise HostError(f"--port: must be 0 (any free port) to {MAX_PORT}: {text!r}")
    return port


def remote_warning(host: str, port: int) -> str:
    """The line ``--allow-remote`` prints: what anyone reaching the port gets."""
    return (
        f"warning: listening on {host} port {port}: anyone who can reach it sees this monitor "
        "and its account (balances, open orders, positions); there is no login"
    )


def url_host(host: str) -> str:
    """``host`` as it goes into a URL (IPv6 in brackets)."""
    ip = _ip(host)
    return f"[{host}]" if ip is not None and ip.version == 6 else host


def request_host_allowed(host_header: str | None, *, loopback_only: bool) -> bool:
    """Whether to answer a request that named ``host_header`` (``Host``, with its port).

    Bound to loopback: only loopback names, so a rebound DNS name cannot reach the page.
    ``--allow-remote``: any well-formed host (the person chose to publish it).
    """
    if not host_header:
        return False
    try:
        parts = urlsplit(f"http://{host_header}")
        name = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    if not name or parts.username is not None or parts.path or parts.query:
        return False
    if host_header.startswith("["):
        ip_ok = _ip(name) is not None
    else:
        try:
            check_host(name)
            ip_ok = True
        except HostError:
            ip_ok = False
    if not ip_ok:
        return False
    return is_loopback(name) or not loopback_only


def same_origin(origin: str | None, host_header: str | None) -> bool:
    """Whether a WebSocket's ``Origin`` is the page this server sent (same host and port).

    Browsers always send ``Origin`` on a WebSocket handshake; the page of another site that
    opens one to this port has that site's origin, and is refused.
    """
    if not origin or not host_header:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.path not in ("", "/"):
        return False
    return parts.netloc.lower() == host_header.lower()
