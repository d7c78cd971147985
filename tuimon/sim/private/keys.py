"""Test key pairs the private simulator accepts, and its own signature checks.

The keys are the example keys Binance publishes in its API docs (spot docs rest-api.md
"SIGNED request example (HMAC)" and fix-api.md's Ed25519 example key), so they are public by
design and never belong to a real account. Verification here is written independently of the
client's signing module (the simulator imports nothing from the client), so a client bug cannot
be mirrored by the server that tests it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

TEST_HMAC_API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
TEST_HMAC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

TEST_ED25519_API_KEY = "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO"
TEST_ED25519_PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n"
    "-----END PRIVATE KEY-----\n"
)

# Binance API keys are 64 alphanumerics; anything else is -2014 before the key is looked up.
_KEY_FORMAT = re.compile(r"^[A-Za-z0-9]{64}$")

BAD_FORMAT = -2014
UNKNOWN_KEY = -2015
BAD_SIGNATURE = -1022


@dataclass(slots=True)
class KeyEntry:
    """One registered API key: ``hmac`` with its secret, or ``ed25519``/``rsa`` public key."""

    kind: str
    material: Any


class KeyRing:
    """API keys the simulated exchange knows."""

    def __init__(self) -> None:
        self.keys: dict[str, KeyEntry] = {}

    @classmethod
    def with_test_keys(cls) -> KeyRing:
        ring = cls()
        ring.add_hmac(TEST_HMAC_API_KEY, TEST_HMAC_SECRET)
        ring.add_private_pem(TEST_ED25519_API_KEY, TEST_ED25519_PEM.encode())
        return ring

    def add_hmac(self, api_key: str, secret: str) -> None:
        self.keys[api_key] = KeyEntry("hmac", secret.encode())

    def add_public_pem(self, api_key: str, pem: bytes) -> None:
        """Register an Ed25519 or RSA public key (what a user uploads to Binance)."""
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        key = load_pem_public_key(pem)
        if isinstance(key, ed25519.Ed25519PublicKey):
            self.keys[api_key] = KeyEntry("ed25519", key)
        elif isinstance(key, rsa.RSAPublicKey):
            self.keys[api_key] = KeyEntry("rsa", key)
        else:
            raise ValueError("only Ed25519 and RSA public keys are accepted")

    def add_private_pem(self, api_key: str, pem: bytes) -> None:
        """Register the public half of a private key (handy for tests)."""
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            PublicFormat,
            load_pem_private_key,
        )

        public = load_pem_private_key(pem, password=None).public_key()
        self.add_public_pem(api_key, public.public_bytes(Encoding.PEM,
                                                         PublicFormat.SubjectPublicKeyInfo))

    def kind(self, api_key: str) -> str | None:
        entry = self.keys.get(api_key)
        return entry.kind if entry else None

    def check_key(self, api_key: Any) -> int | None:
        """Error code for an API key that cannot be used, else None."""
        if not isinstance(api_key, str) or not _KEY_FORMAT.match(api_key):
            return BAD_FORMAT
        if api_key not in self.keys:
            return UNKNOWN_KEY
        return None

    def verify(self, api_key: str, payload: bytes, signature: str) -> int | None:
        """Error code if ``signature`` is not the key's signature of ``payload``, else None."""
        problem = self.check_key(api_key)
        if problem is not None:
            return problem
        entry = self.keys[api_key]
        if entry.kind == "hmac":
            want = hmac.new(entry.material, payload, hashlib.sha256).hexdigest()
            # HMAC signatures are case-insensitive (spot docs rest-api.md).
            return None if hmac.compare_digest(want, signature.lower()) else BAD_SIGNATURE
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return BAD_SIGNATURE
        from cryptography.exceptions import InvalidSignature

        try:
            if entry.kind == "ed25519":
                entry.material.verify(raw, payload)
            else:
                from cryptography.hazmat.primitives import hashes
                from cryptography.hazmat.primitives.asymmetric import padding

                entry.material.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return BAD_SIGNATURE
        return None


def ws_payload(params: dict[str, Any]) -> str:
    """WS API signature payload: sorted params except ``signature``, raw ``k=v`` joined by ``&``."""
    parts = []
    for key in sorted(params):
        if key == "signature":
            continue
        value = params[key]
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        parts.append(f"{key}={text}")
    return "&".join(parts)
