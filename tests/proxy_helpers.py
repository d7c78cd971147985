"""Tiny local proxies for the proxy tests: an HTTP proxy (CONNECT, plus plain forwarding for
``http://`` URLs, which HTTP clients send as absolute-form requests instead of tunnelling) and
a SOCKS5 proxy. Each records every tunnel it opened (kind, target host:port) and every refusal,
and can demand credentials or refuse everything with a given status.

Both can map host names to addresses (``resolve``), so a test can use a name this machine cannot
resolve: only the proxy can, which proves the name reached it (HTTP CONNECT, socks5h).

Also: a throw-away CA and server certificate for a TLS endpoint behind the proxy.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

WAIT = 20.0


@dataclass(frozen=True, slots=True)
class Tunnel:
    kind: str
    """``CONNECT``, ``GET``/``POST``/... (forwarded), ``socks-domain`` or ``socks-ip``."""
    target: str
    """host:port as the client asked for it."""
    path: str = ""
    """The request path: of a forwarded request, or of the first request sent through a
    tunnel when it is plain HTTP (a REST call, a WebSocket handshake); "" for TLS."""


@dataclass
class _TinyProxy:
    username: str | None = None
    password: str | None = None
    refuse_with: int | None = None
    """Refuse every request with this status (HTTP) or reply code (SOCKS)."""
    resolve: dict[str, str] = field(default_factory=dict)
    tunnels: list[Tunnel] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _changed: asyncio.Condition | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._changed = asyncio.Condition()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def __aenter__(self) -> _TinyProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_for(self, predicate, within: float = WAIT) -> bool:
        """Wait (on the proxy's own events, no polling) until ``predicate(self)`` holds."""
        assert self._changed is not None
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    await self._changed.wait_for(lambda: predicate(self))
        return predicate(self)

    async def _note(self, tunnel: Tunnel | None = None, refused: str | None = None) -> None:
        if tunnel is not None:
            self.tunnels.append(tunnel)
        if refused is not None:
            self.refused.append(refused)
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await self._handle(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _open(self, host: str, port: int):
        return await asyncio.open_connection(self.resolve.get(host, host), port)

    async def _tunnel(self, kind, target, client_r, client_w, upstream_r, upstream_w) -> None:
        """Note the tunnel (with the path of its first plain-HTTP request), then pipe it."""
        first = await client_r.read(65536)  # HTTP, WebSocket and TLS clients all speak first
        words = first.split(b" ", 2)
        path = words[1].decode("latin-1") if len(words) == 3 and words[0].isalpha() else ""
        await self._note(Tunnel(kind, target, path))
        upstream_w.write(first)
        await self._pipe(client_r, client_w, upstream_r, upstream_w)

    async def _pipe(self, client_r, client_w, upstream_r, upstream_w) -> None:
        self._writers.add(upstream_w)

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(OSError):
                if dst.can_write_eof():
                    dst.write_eof()

        try:
            await asyncio.gather(copy(client_r, upstream_w), copy(upstream_r, client_w))
        finally:
            self._writers.discard(upstream_w)
            upstream_w.close()


class HttpProxy(_TinyProxy):
    """HTTP proxy: CONNECT tunnels; absolute-form requests forwarded one per connection."""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ")
        headers = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if self.refuse_with is not None:
            await self._refuse(writer, self.refuse_with, target)
            return
        if self.username is not None:
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            if headers.get("proxy-authorization") != f"Basic {expected}":
                await self._refuse(writer, 407, target)
                return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream_r, upstream_w = await self._open(host.strip("[]"), int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await self._tunnel("CONNECT", target, reader, writer, upstream_r, upstream_w)
            return
        await self._forward(method, target, header_lines, headers, reader, writer)

    async def _forward(self, method, target, header_lines, headers, reader, writer) -> None:
        # http://host:port/path -> connect to host:port, send the request in origin form,
        # one request per connection (Connection: close), relay the answer.
        rest = target.split("://", 1)[1]
        hostport, slash, path = rest.partition("/")
        host, _, port = hostport.rpartition(":")
        body = b""
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        kept = [
            line
            for line in header_lines
            if line
            and line.split(":", 1)[0].strip().lower()
            not in ("proxy-authorization", "proxy-connection", "connection")
        ]
        upstream_r, upstream_w = await self._open(host, int(port))
        await self._note(Tunnel(method, hostport, slash + path))
        request = f"{method} {slash}{path} HTTP/1.1\r\n" + "\r\n".join(kept)
        upstream_w.write(request.encode("latin-1") + b"\r\nConnection: close\r\n\r\n" + body)
        await upstream_w.drain()
        self._writers.add(upstream_w)
        try:
            while data := await upstream_r.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(upstream_w)
            upstream_w.close()

    async def _refuse(self, writer: asyncio.StreamWriter, status: int, target: str) -> None:
        reason = {407: "Proxy Authentication Required", 403: "Forbidden", 502: "Bad Gateway"}
        extra = 'Proxy-Authenticate: Basic realm="test"\r\n' if status == 407 else ""
        writer.write(
            f"HTTP/1.1 {status} {reason.get(status, 'Refused')}\r\n{extra}"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        await self._note(refused=f"{status} {target}")


class Socks5Proxy(_TinyProxy):
    """SOCKS5 (RFC 1928) CONNECT, with username/password authentication (RFC 1929)."""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        assert version == 5
        if self.username is not None:
            if 2 not in methods:
                writer.write(b"\x05\xff")
                await self._note(refused="no auth offered")
                return
            writer.write(b"\x05\x02")
            _ver, ulen = await reader.readexactly(2)
            user = (await reader.readexactly(ulen)).decode()
            (plen,) = await reader.readexactly(1)
            password = (await reader.readexactly(plen)).decode()
            if (user, password) != (self.username, self.password):
                writer.write(b"\x01\x01")
                await self._note(refused="bad credentials")
                return
            writer.write(b"\x01\x00")
        else:
            writer.write(b"\x05\x00")
        _ver, command, _rsv, kind = await reader.readexactly(4)
        if kind == 1:
            host, how = socket.inet_ntoa(await reader.readexactly(4)), "socks-ip"
        elif kind == 4:
            host, how = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16)), "socks-ip"
        else:
            (length,) = await reader.readexactly(1)
            host, how = (await reader.readexactly(length)).decode(), "socks-domain"
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if self.refuse_with is not None or command != 1:
            code = self.refuse_with or 7
            writer.write(bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0]))
            await self._note(refused=f"{code} {target}")
            return
        upstream_r, upstream_w = await self._open(host, port)
        writer.write(b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00")
        await writer.drain()
        await self._tunnel(how, target, reader, writer, upstream_r, upstream_w)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True, slots=True)
class TestTls:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_tls(directory: Path, hostname: str) -> TestTls:
    """A throw-away CA and a server certificate for ``hostname`` signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tuimon test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    tls = TestTls(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    tls.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tls


__all__ = ["HttpProxy", "Socks5Proxy", "Tunnel", "closed_port", "make_tls"]
