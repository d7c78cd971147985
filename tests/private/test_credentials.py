"""Loading credentials: environment, key file, PEM path; errors and warnings never leak."""

from __future__ import annotations

import logging
import os

import pytest

from tuimon.feeds.credentials import (
    NO_KEYS_HELP,
    CredentialsError,
    load_credentials,
    permission_warning,
)
from tuimon.protocol.signing import KeyType
from tuimon.sim.private import (
    TEST_ED25519_API_KEY,
    TEST_ED25519_PEM,
    TEST_HMAC_API_KEY,
    TEST_HMAC_SECRET,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def write(path, text, mode=0o600):
    path.write_text(text)
    path.chmod(mode)
    return path


def test_no_keys_is_not_an_error():
    assert load_credentials({}) is None
    assert "BINANCE_API_KEY" in NO_KEYS_HELP and "never places" in NO_KEYS_HELP


def test_hmac_from_the_environment():
    creds = load_credentials({"BINANCE_API_KEY": TEST_HMAC_API_KEY,
                              "BINANCE_API_SECRET": TEST_HMAC_SECRET})
    assert creds is not None and creds.key_type is KeyType.HMAC
    assert creds.source == "environment"
    assert creds.api_key.reveal() == TEST_HMAC_API_KEY
    assert TEST_HMAC_SECRET not in repr(creds) and TEST_HMAC_API_KEY not in repr(creds)
    assert creds.key_hint == "vmPU…"


def test_pem_pasted_into_the_secret_variable():
    creds = load_credentials({"BINANCE_API_KEY": TEST_ED25519_API_KEY,
                              "BINANCE_API_SECRET": TEST_ED25519_PEM})
    assert creds is not None and creds.key_type is KeyType.ED25519


@posix_only
def test_ed25519_pem_path_from_the_environment(tmp_path):
    pem = write(tmp_path / "ed.pem", TEST_ED25519_PEM)
    creds = load_credentials({"BINANCE_API_KEY": TEST_ED25519_API_KEY,
                              "BINANCE_PRIVATE_KEY_PATH": str(pem)})
    assert creds is not None and creds.key_type is KeyType.ED25519
    assert creds.warnings == ()


@posix_only
def test_key_file_with_a_secret_and_a_world_readable_warning(tmp_path, caplog):
    path = write(tmp_path / "keys.toml",
                 f'api_key = "{TEST_HMAC_API_KEY}"\napi_secret = "{TEST_HMAC_SECRET}"\n', 0o644)
    with caplog.at_level(logging.WARNING):
        creds = load_credentials({}, key_file=path)
    assert creds is not None and creds.key_type is KeyType.HMAC
    assert len(creds.warnings) == 1 and "chmod 600" in creds.warnings[0]
    assert "chmod 600" in caplog.text
    assert TEST_HMAC_SECRET not in caplog.text


@posix_only
def test_key_file_naming_a_relative_pem(tmp_path):
    write(tmp_path / "ed.pem", TEST_ED25519_PEM, 0o640)  # group-readable: warned
    path = write(tmp_path / "keys.toml",
                 f'api_key = "{TEST_ED25519_API_KEY}"\nprivate_key_path = "ed.pem"\n')
    creds = load_credentials({}, key_file=path)
    assert creds is not None and creds.key_type is KeyType.ED25519
    assert any("ed.pem" in w for w in creds.warnings)


@posix_only
def test_private_key_path_from_the_config_with_the_key_from_the_environment(tmp_path):
    pem = write(tmp_path / "ed.pem", TEST_ED25519_PEM)
    creds = load_credentials({"BINANCE_API_KEY": TEST_ED25519_API_KEY}, private_key_path=pem)
    assert creds is not None and creds.key_type is KeyType.ED25519
    with pytest.raises(CredentialsError, match="BINANCE_API_KEY is not set"):
        load_credentials({}, private_key_path=pem)


def test_environment_wins_over_the_key_file(tmp_path):
    creds = load_credentials({"BINANCE_API_KEY": TEST_HMAC_API_KEY,
                              "BINANCE_API_SECRET": TEST_HMAC_SECRET},
                             key_file=tmp_path / "missing.toml")
    assert creds is not None and creds.source == "environment"


@pytest.mark.parametrize("env,match", [
    ({"BINANCE_API_SECRET": TEST_HMAC_SECRET}, "BINANCE_API_KEY is not"),
    ({"BINANCE_API_KEY": TEST_HMAC_API_KEY}, "neither"),
    ({"BINANCE_API_KEY": "has space", "BINANCE_API_SECRET": TEST_HMAC_SECRET}, "API key has"),
    ({"BINANCE_API_KEY": TEST_HMAC_API_KEY, "BINANCE_API_SECRET": "bad\x01secret"}, "secret has"),
    ({"BINANCE_API_KEY": TEST_ED25519_API_KEY,
      "BINANCE_API_SECRET": "-----BEGIN PRIVATE KEY-----\nZm9v" + TEST_HMAC_SECRET},
     "not a readable PEM"),
])
def test_environment_errors(env, match):
    with pytest.raises(CredentialsError, match=match) as info:
        load_credentials(env)
    assert TEST_HMAC_SECRET not in str(info.value)


@pytest.mark.parametrize("text,match", [
    (f'api_key = "{TEST_HMAC_API_KEY}"\napi_secret = "{TEST_HMAC_SECRET}', "invalid TOML"),
    (f'api_secret = "{TEST_HMAC_SECRET}"\n', "no api_key"),
    (f'api_key = "{TEST_HMAC_API_KEY}"\n', "needs api_secret"),
    (f'api_key = "{TEST_HMAC_API_KEY}"\napi_secret = "{TEST_HMAC_SECRET}"\n'
     'private_key_path = "x.pem"\n', "not both"),
    (f'api_key = "{TEST_HMAC_API_KEY}"\nsecret = "{TEST_HMAC_SECRET}"\n', "unknown key 'secret'"),
    (f'api_key = "{TEST_HMAC_API_KEY}"\napi_secret = 5\n', "must be a string"),
    (f'api_key = "{TEST_HMAC_API_KEY}"\nprivate_key_path = "nowhere.pem"\n', "no such file"),
])
def test_key_file_errors_never_quote_the_secret(tmp_path, text, match):
    path = write(tmp_path / "keys.toml", text)
    with pytest.raises(CredentialsError, match=match) as info:
        load_credentials({}, key_file=path)
    assert TEST_HMAC_SECRET not in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_key_file(tmp_path):
    with pytest.raises(CredentialsError, match="no such file"):
        load_credentials({}, key_file=tmp_path / "nope.toml")


@posix_only
def test_permission_warning_modes(tmp_path):
    assert permission_warning(tmp_path / "k", 0o100600) is None
    assert permission_warning(tmp_path / "k", 0o100400) is None
    assert "644" in permission_warning(tmp_path / "k", 0o100644)
    assert permission_warning(tmp_path / "k", 0o100604) is not None
