"""Request signing for Binance's private endpoints (reference §6.1), and secrets that never print.

Two payload rules, because the exchange has two:

- **WebSocket API**: every param except ``signature``, sorted by name, joined as ``k=v`` with
  ``&``, values as raw UTF-8 (no percent-encoding).
- **REST**: the query string (plus the body, with no separator) with every value
  percent-encoded *before* signing; since ~2026-01-15 a signature over the raw text is -1022.
  The signed text is exactly the text that is sent.

Three key types: HMAC-SHA256 (lowercase hex), Ed25519 (base64) and RSA PKCS#1 v1.5 with SHA-256
(base64). The key material lives in :class:`Secret` or inside a ``cryptography`` private-key
object, neither of which ever renders its contents: ``repr``/``str``/``format`` say
``<redacted>``, pickling is refused, so a secret cannot leak through a log line, an exception
message, a crash report or a snapshot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, NoReturn, Protocol
from urllib.parse import quote

REDACTED = "<redacted>"

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000


class Secret:
    """A secret string that never shows itself: only :meth:`reveal` returns the text.

    Why a class and not a convention: a ``str`` ends up in an f-string, a ``logging`` call or a
    traceback's locals sooner or later. This one renders as ``<redacted>`` everywhere.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        """The secret text, for the one place that signs with it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        # Constant-time, so comparing secrets does not leak them through timing either.
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


class KeyType(StrEnum):
    """The API key types Binance accepts."""

    HMAC = "hmac"
    ED25519 = "ed25519"
    RSA = "rsa"


class Signer(Protocol):
    """Signs payload bytes; ``key_type`` decides how the worker authenticates."""

    key_type: KeyType

    def sign(self, payload: bytes) -> str:
        """The signature text Binance expects for this key type."""
        ...


class HmacSigner:
    """HMAC-SHA256 with the API secret → lowercase hex."""

    __slots__ = ("_secret",)
    key_type = KeyType.HMAC

    def __init__(self, secret: Secret) -> None:
        self._secret = secret

    def sign(self, payload: bytes) -> str:
        """Hex HMAC-SHA256 of ``payload``."""
        # No local holds the key: crash reports that print locals must not show it.
        return hmac.new(self._secret.reveal().encode(), payload, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return f"HmacSigner({REDACTED})"


class _AsymmetricSigner:
    """Shared shell of the Ed25519 and RSA signers: a private-key object, never rendered."""

    __slots__ = ("_key",)
    key_type: KeyType

    def __init__(self, key: Any) -> None:
        self._key = key

    def __repr__(self) -> str:
        return f"{type(self).__name__}({REDACTED})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a private key cannot be pickled")


class Ed25519Signer(_AsymmetricSigner):
    """Ed25519 → base64 (case-sensitive)."""

    __slots__ = ()
    key_type = KeyType.ED25519

    def sign(self, payload: bytes) -> str:
        """Base64 Ed25519 signature of ``payload``."""
        return base64.b64encode(self._key.sign(payload)).decode("ascii")


class RsaSigner(_AsymmetricSigner):
    """RSASSA-PKCS1-v1_5 with SHA-256 → base64 (case-sensitive)."""

    __slots__ = ()
    key_type = KeyType.RSA

    def sign(self, payload: bytes) -> str:
        """Base64 RSA signature of ``payload``."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = self._key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")


class KeyLoadError(ValueError):
    """A private key that cannot be used; the message never contains key material."""


def signer_from_pem(
    pem: Secret | bytes, password: Secret | None = None
) -> Ed25519Signer | RsaSigner:
    """An asymmetric signer from a PEM private key (PKCS#8, as Binance requires for RSA).

    Pass the PEM as a :class:`Secret` so that no frame of a failure holds it in the clear.

    Raises:
        KeyLoadError: not a PEM private key, wrong password, or an unsupported key type.
    """
    # cryptography is imported here so that market-data-only runs never pay for it.
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(
            pem.reveal().encode() if isinstance(pem, Secret) else pem,
            password=password.reveal().encode() if password else None,
        )
    except TypeError:
        # cryptography says "Password was not given but private key is encrypted" or the
        # reverse; both are about the password, never about the key's content.
        raise KeyLoadError("the private key is encrypted: give its passphrase") from None
    except ValueError:
        raise KeyLoadError("not a readable PEM private key (or a wrong passphrase)") from None
    except Exception:  # noqa: BLE001 - unsupported algorithms raise assorted types
        raise KeyLoadError("unsupported private key") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return Ed25519Signer(key)
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise KeyLoadError(f"RSA key of {key.key_size} bits: Binance accepts 2048 or 4096")
        return RsaSigner(key)
    raise KeyLoadError(
        f"unsupported private key type {type(key).__name__}: use an Ed25519 or RSA key"
    )


# ----------------------------------------------------------------------------- payloads

Params = Mapping[str, Any] | Iterable[tuple[str, Any]]


def param_text(value: Any) -> str:
    """A parameter value as Binance reads it: ``true``/``false``, integers, exact decimals."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float):
        # A float's repr can be 1e-05; insist on an exact decimal for anything signed.
        raise TypeError("pass Decimal or str for fractional parameters, not float")
    raise TypeError(f"unsupported parameter type {type(value).__name__}")


def _pairs(params: Params) -> list[tuple[str, Any]]:
    items = params.items() if isinstance(params, Mapping) else params
    return [(k, v) for k, v in items if v is not None]


def ws_api_payload(params: Params) -> str:
    """WebSocket API signature payload: sorted ``k=v`` pairs, raw UTF-8, no ``signature``."""
    pairs = sorted((k, param_text(v)) for k, v in _pairs(params) if k != "signature")
    return "&".join(f"{k}={v}" for k, v in pairs)


def percent(text: str) -> str:
    """RFC 3986 percent-encoding: everything but ``A-Za-z0-9-_.~`` as ``%XX`` (upper-case)."""
    return quote(text, safe="-_.~")


def rest_payload(params: Params, body: str = "") -> str:
    """REST signature payload: ``k=v`` in the given order with values percent-encoded, then the
    (already encoded) body with no separator. Only values are encoded; ``=``/``&`` stay."""
    query = "&".join(f"{percent(k)}={percent(param_text(v))}" for k, v in _pairs(params))
    return query + body


def signed_query(signer: Signer, params: Params) -> str:
    """The full query string to send: the percent-encoded params plus ``&signature=...``.

    The base64 signatures of Ed25519/RSA contain ``+``, ``/`` and ``=``; they are
    percent-encoded too (a raw ``+`` would arrive as a space).
    """
    payload = rest_payload(params)
    signature = signer.sign(payload.encode("ascii"))
    joiner = "&" if payload else ""
    return f"{payload}{joiner}signature={percent(signature)}"


def signed_ws_params(signer: Signer, params: Mapping[str, Any]) -> dict[str, Any]:
    """WebSocket API params with ``signature`` added (values kept as given for the JSON)."""
    out = {k: v for k, v in params.items() if v is not None and k != "signature"}
    out["signature"] = signer.sign(ws_api_payload(out).encode("utf-8"))
    return out


# ----------------------------------------------------------------------------- errors

AUTH_CODES = frozenset({-1022, -2014, -2015, -2008})
"""Error codes meaning "this key cannot do this": retrying the same request will not help."""

CLOCK_CODE = -1021
LISTEN_KEY_GONE = -1125


def explain_error(code: int | None) -> str | None:
    """A one-line user-facing explanation of the signing/key error codes, else None.

    Never includes the request, the key or the secret: only what to check.
    """
    if code == CLOCK_CODE:
        return (
            "clock skew (-1021): the request time is outside Binance's receive window; "
            "tuimon re-measured the server time offset. If this repeats, sync the system "
            "clock (NTP)"
        )
    if code == -1022:
        return (
            "signature rejected (-1022): the API secret or private key does not belong to this "
            "API key, or the key type is wrong"
        )
    if code == -2014:
        return "API key format invalid (-2014): check BINANCE_API_KEY / the key file"
    if code in (-2015, -2008):
        return (
            f"API key rejected ({code}): unknown or deleted key, IP not whitelisted, or the key "
            "lacks read permission (enable 'Enable Reading' for this key)"
        )
    if code == LISTEN_KEY_GONE:
        return "listenKey does not exist (-1125): a new one is created"
    return None


__all__ = [
    "AUTH_CODES",
    "CLOCK_CODE",
    "DEFAULT_RECV_WINDOW",
    "LISTEN_KEY_GONE",
    "MAX_RECV_WINDOW",
    "REDACTED",
    "Ed25519Signer",
    "HmacSigner",
    "KeyLoadError",
    "KeyType",
    "RsaSigner",
    "Secret",
    "Signer",
    "explain_error",
    "param_text",
    "percent",
    "rest_payload",
    "signed_query",
    "signed_ws_params",
    "signer_from_pem",
    "ws_api_payload",
]
