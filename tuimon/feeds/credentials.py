"""API credentials: where they come from, what kind they are, and that they never print.

Sources, first match wins:

1. Environment: ``BINANCE_API_KEY`` with ``BINANCE_API_SECRET`` (HMAC secret, or a PEM
   private key pasted whole) or ``BINANCE_PRIVATE_KEY_PATH`` (Ed25519/RSA PEM file).
2. A key file (``key_file``, named in the config): a small TOML file ::

       api_key = "..."
       api_secret = "..."              # HMAC, or
       private_key_path = "ed25519.pem"  # Ed25519 / RSA PKCS#8 PEM (relative to this file)
       private_key_passphrase = "..."  # optional, for an encrypted PEM

3. A private-key path named in the config (``private_key_path``), with the API key from
   ``BINANCE_API_KEY`` or the key file.

No keys at all is not an error: :func:`load_credentials` returns None and the account pane shows
:data:`NO_KEYS_HELP`. A file holding a secret that other users can read yields a warning
(on :attr:`Credentials.warnings` and in the log), not a refusal: refusing would only teach
people to paste the secret into the environment instead.
"""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuimon.protocol.signing import (
    REDACTED,
    HmacSigner,
    KeyLoadError,
    KeyType,
    Secret,
    Signer,
    signer_from_pem,
)

log = logging.getLogger(__name__)

ENV_API_KEY = "BINANCE_API_KEY"
ENV_API_SECRET = "BINANCE_API_SECRET"
ENV_PRIVATE_KEY_PATH = "BINANCE_PRIVATE_KEY_PATH"

NO_KEYS_HELP = (
    "No API keys: account view off (market data works without keys). To see your orders and "
    "balances, create a read-only API key on Binance, then set BINANCE_API_KEY and "
    "BINANCE_API_SECRET (HMAC) or BINANCE_PRIVATE_KEY_PATH (Ed25519 PEM), or name a key file "
    "in the config. tuimon never places or cancels orders."
)

_KEY_FILE_KEYS = {"api_key", "api_secret", "private_key_path", "private_key_passphrase"}
_SECRET_FIELDS = {"api_secret", "private_key_passphrase"}
_MAX_KEY_FILE = 64 * 1024


class CredentialsError(Exception):
    """Keys are configured but unusable. One line; never contains key material."""


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """An API key and the signer for its secret. ``repr`` shows neither."""

    api_key: Secret
    """Not a secret in Binance's sense, but it names the account: kept out of logs as well."""
    signer: Signer
    source: str
    """Where the keys came from (``environment``, a file path): safe to show."""
    warnings: tuple[str, ...] = field(default=())

    @property
    def key_type(self) -> KeyType:
        """HMAC, Ed25519 or RSA."""
        return self.signer.key_type

    @property
    def key_hint(self) -> str:
        """The first four characters of the API key, for "which key is this" displays."""
        key = self.api_key.reveal()
        return f"{key[:4]}…" if len(key) > 8 else REDACTED

    def __repr__(self) -> str:
        return f"Credentials({self.key_type.value}, key={self.key_hint}, from {self.source})"

    __str__ = __repr__


def load_credentials(
    env: Mapping[str, str] | None = None,
    *,
    key_file: Path | str | None = None,
    private_key_path: Path | str | None = None,
) -> Credentials | None:
    """Credentials from the environment, a key file or a private-key path; None if none set.

    ``env`` defaults to ``os.environ``. Raises:
        CredentialsError: keys are configured but incomplete, unreadable or malformed.
    """
    # Hygiene for crash reports: Textual's tracebacks print every frame's locals, so no frame
    # here holds a secret as a plain str (or the whole environment) while it can raise.
    warnings: list[str] = []
    api_key = _env(env, ENV_API_KEY)
    secret = Secret(_env(env, ENV_API_SECRET))
    env_pem_path = _env(env, ENV_PRIVATE_KEY_PATH)

    if secret or env_pem_path:
        if not api_key:
            what = ENV_API_SECRET if secret else ENV_PRIVATE_KEY_PATH
            raise CredentialsError(f"{what} is set but {ENV_API_KEY} is not")
        if secret:
            signer = _signer_from_secret(secret, None, "environment")
            return _made(api_key, signer, "environment", warnings)
        path = _expand(env_pem_path, ENV_PRIVATE_KEY_PATH)
        signer = _signer_from_pem_file(path, None, warnings)
        return _made(api_key, signer, f"environment ({path})", warnings)

    if key_file is not None:
        return _from_key_file(_expand(key_file, "key_file"), api_key, warnings)

    if private_key_path is not None:
        if not api_key:
            raise CredentialsError(f"a private key path is configured but {ENV_API_KEY} is not set")
        path = _expand(private_key_path, "private_key_path")
        signer = _signer_from_pem_file(path, None, warnings)
        return _made(api_key, signer, str(path), warnings)

    if api_key:
        raise CredentialsError(
            f"{ENV_API_KEY} is set but neither {ENV_API_SECRET} nor {ENV_PRIVATE_KEY_PATH} is"
        )
    return None


def _expand(path: Path | str, what: str) -> Path:
    """``~`` expanded; an unknown ``~user`` (or no home at all) is a CredentialsError."""
    try:
        return Path(path).expanduser()
    except RuntimeError:  # pathlib: "Could not determine home directory"
        raise CredentialsError(f"{what}: cannot expand {_shown_path(path)}: no such home") from None


def _shown_path(path: Path | str) -> str:
    """A path for a one-line message: as is, or quoted when it has control characters."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def _env(env: Mapping[str, str] | None, name: str) -> str:
    return ((os.environ if env is None else env).get(name) or "").strip()


def _made(api_key: str, signer: Signer, source: str, warnings: list[str]) -> Credentials:
    for text in warnings:
        log.warning("%s", text)
    return Credentials(Secret(_check_key(api_key, source)), signer, source, tuple(warnings))


def _check_key(api_key: str, where: str) -> str:
    # Binance keys are 64 alphanumerics; be lenient on length but refuse what cannot be a header.
    if not api_key.isascii() or not api_key.isprintable() or " " in api_key:
        raise CredentialsError(f"{where}: the API key has characters an API key cannot have")
    return api_key


def _signer_from_secret(secret: Secret, passphrase: Secret | None, where: str) -> Signer:
    if "-----BEGIN" in secret.reveal():
        # A PEM key pasted into the secret variable: accept it rather than sign with HMAC.
        try:
            return signer_from_pem(secret, passphrase)
        except KeyLoadError as exc:
            raise CredentialsError(f"{where}: {exc}") from None
    if not secret.reveal().isascii() or not secret.reveal().isprintable():
        raise CredentialsError(f"{where}: the API secret has characters a secret cannot have")
    return HmacSigner(secret)


def _signer_from_pem_file(path: Path, passphrase: Secret | None, warnings: list[str]) -> Signer:
    pem = _read_private(path, warnings)
    try:
        return signer_from_pem(pem, passphrase)
    except KeyLoadError as exc:
        raise CredentialsError(f"{path}: {exc}") from None


def _read_private(path: Path, warnings: list[str]) -> Secret:
    """A file holding key material, as a Secret (its text is the key).

    Only a regular file, and at most ``_MAX_KEY_FILE`` bytes of it: ``/dev/zero`` or a FIFO
    named as a key would otherwise be read until memory runs out, or forever.
    """
    shown = _shown_path(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise CredentialsError(f"{shown}: is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise CredentialsError(f"{shown}: not a regular file")
        if info.st_size > _MAX_KEY_FILE:
            raise CredentialsError(f"{shown}: too large to be a key file")
        with path.open("rb") as handle:
            raw = handle.read(_MAX_KEY_FILE + 1)
        if len(raw) > _MAX_KEY_FILE:
            raise CredentialsError(f"{shown}: too large to be a key file")
        content = Secret(raw.decode("utf-8"))
    except FileNotFoundError:
        raise CredentialsError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise CredentialsError(f"{shown}: is a directory") from None
    except UnicodeDecodeError:
        raise CredentialsError(f"{shown}: not UTF-8 text") from None
    except ValueError:  # an embedded NUL: no such path can exist
        raise CredentialsError(f"{shown}: not a valid path") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CredentialsError(f"{shown}: cannot read: {reason}") from None
    warning = permission_warning(path, info.st_mode)
    if warning:
        warnings.append(warning)
    return content


def permission_warning(path: Path, mode: int) -> str | None:
    """A warning when a file holding a secret is readable by group or others (POSIX only)."""
    if os.name != "posix" or not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    return (
        f"{path} holds a secret but other users can read it "
        f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
    )


def _parse_key_file(content: Secret, path: Path) -> dict[str, Any]:
    """The key file's fields, with the secret ones wrapped before anything can raise."""
    try:
        data = tomllib.loads(content.reveal())
    except (tomllib.TOMLDecodeError, RecursionError):
        # The decoder's message can quote the offending line, which may be the secret.
        # RecursionError: arrays or tables nested a few hundred deep (tomllib recurses).
        data = None
    if data is None:
        raise CredentialsError(f"{path}: invalid TOML")
    return {
        key: Secret(value) if key in _SECRET_FIELDS and isinstance(value, str) else value
        for key, value in data.items()
    }


def _from_key_file(path: Path, env_api_key: str, warnings: list[str]) -> Credentials:
    fields = _parse_key_file(_read_private(path, warnings), path)
    unknown = sorted(set(fields) - _KEY_FILE_KEYS)
    if unknown:
        raise CredentialsError(
            f"{path}: unknown key {unknown[0]!r} (expected: {', '.join(sorted(_KEY_FILE_KEYS))})"
        )
    for key, value in fields.items():
        if not isinstance(value, (str, Secret)):
            raise CredentialsError(f"{path}: {key} must be a string")
    api_key = str(fields.get("api_key", "")).strip() or env_api_key
    if not api_key:
        raise CredentialsError(f"{path}: no api_key (and {ENV_API_KEY} is not set)")
    passphrase = fields.get("private_key_passphrase") or None
    secret = fields.get("api_secret") or None
    pem_path = str(fields.get("private_key_path", "")).strip()
    if secret and pem_path:
        raise CredentialsError(f"{path}: give api_secret or private_key_path, not both")
    if secret:
        signer = _signer_from_secret(Secret(secret.reveal().strip()), passphrase, str(path))
    elif pem_path:
        pem = _expand(pem_path, f"{path}: private_key_path")
        if not pem.is_absolute():
            pem = path.parent / pem
        signer = _signer_from_pem_file(pem, passphrase, warnings)
    else:
        raise CredentialsError(f"{path}: needs api_secret or private_key_path")
    return _made(api_key, signer, str(path), warnings)


__all__ = [
    "ENV_API_KEY",
    "ENV_API_SECRET",
    "ENV_PRIVATE_KEY_PATH",
    "NO_KEYS_HELP",
    "Credentials",
    "CredentialsError",
    "load_credentials",
    "permission_warning",
]
