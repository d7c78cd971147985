"""Key files (tuimon/feeds/credentials.py) under fuzzing: typed Credentials or CredentialsError,
and the secret never in the error text (nor in the Credentials' repr).

Inputs: TOML documents with the key file's keys (and others) holding random values, random
text, random bytes; private_key_path pointing at nothing, a directory, /dev/null, a character
device, the key file itself, a garbage file or a real Ed25519 PEM. Found by this fuzzer:
tomllib's RecursionError on deep nesting, an embedded NUL's ValueError, ``~nosuchuser``'s
RuntimeError, and /dev/zero read until memory ran out.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import event, example, given
from hypothesis import strategies as st

from tuimon.feeds.credentials import (
    ENV_API_KEY,
    ENV_API_SECRET,
    ENV_PRIVATE_KEY_PATH,
    Credentials,
    CredentialsError,
    load_credentials,
)
from tuimon.sim.private import TEST_ED25519_PEM

SECRET = "Zq7SECRETvalueXk93"
"""Planted as api_secret / passphrase: must never come back in an error or a repr."""
API_KEY = "Ak4keyvalueNotPrinted0"
TEST_PEM = TEST_ED25519_PEM.replace("-----\n", f"-----\n{SECRET[:4]}", 1)  # a corrupted PEM



def toml_values(*planted: str) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.text(max_size=20),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=False),
        st.booleans(),
        st.sampled_from(["", " ", "-----BEGIN PRIVATE KEY-----", "~nosuchuser/x", *planted]),
    )
    return st.recursive(
        scalars,
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=8,
    )


anything = toml_values(SECRET, API_KEY)
no_secret = toml_values()
"""A path is shown in errors by design ("x.pem: no such file"): no secret planted there."""
PEM_TARGETS = ("ed25519.pem", "garbage.pem", "missing.pem", "sub", "/dev/null", "/dev/zero",
               "fifo.pem", "self", "a\x00b", "~nosuchuser/k.pem", "")
def mostly(value: Any, other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``value`` (seven times in eight), else anything from ``other``."""
    usual = value if isinstance(value, st.SearchStrategy) else st.just(value)
    return st.integers(0, 7).flatmap(lambda n: usual if n else other)


@st.composite
def key_documents(draw: st.DrawFn) -> str:
    """Mostly well-formed key files (so the deep branches run), each part sometimes broken."""
    doc: dict[str, Any] = {}
    if draw(st.integers(0, 9)):
        doc["api_key"] = draw(mostly(API_KEY, anything))
    shape = draw(st.sampled_from(["secret", "pem", "both", "neither"]))
    if shape in ("secret", "both"):
        doc["api_secret"] = draw(mostly(SECRET, anything))
    if shape in ("pem", "both"):
        doc["private_key_path"] = draw(mostly(st.sampled_from(PEM_TARGETS), no_secret))
    if draw(st.booleans()):
        doc["private_key_passphrase"] = draw(mostly(SECRET, anything))
    if not draw(st.integers(0, 9)):
        doc[draw(st.sampled_from(["other", "API_KEY", "api_secret "]))] = draw(anything)
    try:
        return tomlkit.dumps(doc)
    except Exception:  # a value tomlkit cannot write (it is the generator's limit, not ours)
        return f'api_secret = "{SECRET}"\n'


key_file_contents = st.one_of(
    key_documents().map(lambda t: t.encode()),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    st.just(b"api_key = " + b"[" * 2000 + b"]" * 2000),  # tomllib: RecursionError
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("keys")
    (root / "ed25519.pem").write_text(TEST_ED25519_PEM)
    (root / "garbage.pem").write_bytes(os.urandom(64))
    (root / "sub").mkdir()
    os.mkfifo(root / "fifo.pem")  # opening it to read would wait for a writer forever
    for path in root.iterdir():
        path.chmod(0o700 if path.is_dir() else 0o600)
    return root


counter = itertools.count()


def check_no_secret(text: str) -> None:
    assert SECRET not in text, text
    assert API_KEY not in text, text
    assert "\n" not in text and text, text


@given(key_file_contents)
@example(b'api_key = "k"\nprivate_key_path = "/dev/zero"\n')
@example(b'api_key = "k"\nprivate_key_path = "a\\u0000b"\n')
@example(b'api_key = "k"\nprivate_key_path = "~nosuchuser/x"\n')
@example(f'api_key = "{API_KEY}"\napi_secret = "{SECRET}\\u0007"\n'.encode())
@example(f'api_key = "{API_KEY}"\napi_secret = "{SECRET}"\nbad line {SECRET}\n'.encode())
def test_key_files(folder, content):
    path = folder / f"k{next(counter)}.toml"
    path.write_bytes(content.replace(b'"self"', f'"{path.name}"'.encode()))
    path.chmod(0o600)
    try:
        credentials = load_credentials({}, key_file=path)
    except CredentialsError as exc:
        check_no_secret(str(exc))
        event(str(exc).split(": ", 1)[-1][:30])  # --hypothesis-show-statistics: what was hit
        return
    finally:
        path.unlink()
    event("credentials")
    assert isinstance(credentials, Credentials)
    check_no_secret(repr(credentials))
    check_no_secret(str(credentials))


@pytest.mark.parametrize("target", PEM_TARGETS)
@pytest.mark.parametrize("passphrase", [None, SECRET])
def test_every_kind_of_private_key_path(folder, target, passphrase):
    """Hypothesis favours the first of a sampled list; each target is tried here for sure."""
    doc = {"api_key": API_KEY, "private_key_path": target}
    if passphrase:
        doc["private_key_passphrase"] = passphrase
    path = folder / f"k{next(counter)}.toml"
    path.write_text(tomlkit.dumps(doc).replace('"self"', f'"{path.name}"'))
    path.chmod(0o600)
    try:
        credentials = load_credentials({}, key_file=path)
    except CredentialsError as exc:
        check_no_secret(str(exc))
        assert target != "ed25519.pem" or passphrase, exc
        return
    finally:
        path.unlink()
    assert target == "ed25519.pem" and credentials.key_type.value == "ed25519"
    check_no_secret(repr(credentials))


environments = st.fixed_dictionaries(
    {},
    optional={
        ENV_API_KEY: st.one_of(st.text(max_size=30), st.just(API_KEY)),
        ENV_API_SECRET: st.one_of(st.text(max_size=30), st.just(SECRET), st.just(TEST_PEM)),
        ENV_PRIVATE_KEY_PATH: st.one_of(st.text(max_size=30), st.sampled_from(PEM_TARGETS)),
    },
)


@given(environments, st.sampled_from([None, "ed25519.pem", "garbage.pem", "sub", "/dev/zero"]))
def test_environment_and_configured_pem(folder, env, pem):
    env = {k: v.replace("\x00", "") for k, v in env.items()}  # a real environment has no NUL
    try:
        credentials = load_credentials(
            env, private_key_path=None if pem is None else Path(folder, pem)
        )
    except CredentialsError as exc:
        check_no_secret(str(exc))
        return
    if credentials is not None:
        check_no_secret(repr(credentials))
