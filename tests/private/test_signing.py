"""Signing against the vectors Binance publishes, never against our own output.

Sources (binance/binance-spot-api-docs, commit a5e0bc3, 2026-07-21):
- rest-api.md "SIGNED Endpoint Examples for POST /api/v3/order", HMAC Keys: two payloads
  (ASCII, and a non-ASCII symbol percent-encoded) with their HMAC-SHA256 signatures.
- web-socket-api.md "SIGNED request example (HMAC)": two WS API requests, their sorted
  payloads and signatures.
- web-socket-api.md "SIGNED Request Example (Ed25519)": the sorted payload text for the
  example request (the private key of that example is not published, so its signature cannot
  be reproduced; the payload construction is what is checked).
- fix-api.md (Logon <A> message signature): a published Ed25519 private key, the payload
  fields and the computed signature: the Ed25519 primitive plus PEM loading.
- RFC 8032 §7.1 TEST 1 for the Ed25519 primitive itself.
RSA: the docs publish RSA signatures but not the private key, so RSA is checked by verifying
our signature with the matching public key (and the payload rules shared with HMAC).
"""

from __future__ import annotations

import base64
import pickle

import pytest

from tuimon.protocol.signing import (
    REDACTED,
    HmacSigner,
    KeyLoadError,
    KeyType,
    Secret,
    explain_error,
    param_text,
    rest_payload,
    signed_query,
    signed_ws_params,
    signer_from_pem,
    ws_api_payload,
)

DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
ED_API_KEY = "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO"
FULLWIDTH = "１２３４５６"
FIX_ED25519_PEM = (
    b"-----BEGIN PRIVATE KEY-----\n"
    b"MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n"
    b"-----END PRIVATE KEY-----\n"
)


def hmac_signer():
    return HmacSigner(Secret(DOC_SECRET))


# ----------------------------------------------------------------------------- REST (HMAC)

REST_PARAMS = [("symbol", "LTCBTC"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"),
               ("quantity", "1"), ("price", "0.1"), ("recvWindow", 5000),
               ("timestamp", 1499827319559)]


def test_rest_hmac_ascii_vector():
    payload = rest_payload(REST_PARAMS)
    assert payload == ("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
                       "&recvWindow=5000&timestamp=1499827319559")
    assert hmac_signer().sign(payload.encode()) == (
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")


def test_rest_hmac_non_ascii_vector_is_percent_encoded_before_signing():
    params = [("symbol", FULLWIDTH), *REST_PARAMS[1:]]
    payload = rest_payload(params)
    assert payload == ("symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY"
                       "&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000"
                       "&timestamp=1499827319559")
    assert hmac_signer().sign(payload.encode()) == (
        "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3")
    # The query sent is exactly the signed payload plus the signature.
    query = signed_query(hmac_signer(), params)
    assert query == payload + (
        "&signature=e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3")


# ----------------------------------------------------------------------------- WS API (HMAC)

WS_ASCII = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.01000000", "price": "52000.00", "recvWindow": 100,
            "timestamp": 1645423376532, "apiKey": DOC_API_KEY,
            "signature": "------ FILL ME ------"}
WS_NON_ASCII = {"symbol": FULLWIDTH, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                "quantity": "1.00000000", "price": "0.10000000", "recvWindow": 5000,
                "timestamp": 1645423376532, "apiKey": DOC_API_KEY}


def test_ws_api_hmac_ascii_vector():
    assert ws_api_payload(WS_ASCII) == (
        f"apiKey={DOC_API_KEY}&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL"
        "&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT")
    signed = signed_ws_params(hmac_signer(), WS_ASCII)
    assert signed["signature"] == (
        "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24")
    assert signed["recvWindow"] == 100  # values keep their JSON types


def test_ws_api_hmac_non_ascii_vector_signs_raw_utf8():
    payload = ws_api_payload(WS_NON_ASCII)
    assert f"&symbol={FULLWIDTH}&" in payload  # no percent-encoding on the WS API
    assert signed_ws_params(hmac_signer(), WS_NON_ASCII)["signature"] == (
        "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd")


def test_ws_api_ed25519_payload_text():
    params = {**WS_ASCII, "apiKey": ED_API_KEY}
    assert ws_api_payload(params) == (
        "apiKey=4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO&price=52000.00"
        "&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC"
        "&timestamp=1645423376532&type=LIMIT")


# ----------------------------------------------------------------------------- Ed25519


def test_ed25519_published_fix_vector():
    signer = signer_from_pem(FIX_ED25519_PEM)
    assert signer.key_type is KeyType.ED25519
    payload = "\x01".join(["A", "EXAMPLE", "SPOT", "1", "20240627-11:17:25.223"]).encode()
    assert signer.sign(payload) == (
        "4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5UdlGPrQHrgtS3CvsRURC1oj73j8gCA==")


def test_ed25519_rfc8032_test_1():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    pem = Ed25519PrivateKey.from_private_bytes(seed).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    signature = base64.b64decode(signer_from_pem(pem).sign(b""))
    assert signature.hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")


def test_ed25519_signature_in_a_query_is_percent_encoded():
    query = signed_query(signer_from_pem(FIX_ED25519_PEM), [("timestamp", 1)])
    signature = query.split("signature=", 1)[1]
    assert "+" not in signature and "/" not in signature and "=" not in signature
    assert "%" in signature


# ----------------------------------------------------------------------------- RSA


def test_rsa_signs_pkcs1v15_sha256_base64():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    signer = signer_from_pem(pem)
    assert signer.key_type is KeyType.RSA
    payload = rest_payload(REST_PARAMS).encode()
    key.public_key().verify(base64.b64decode(signer.sign(payload)), payload, padding.PKCS1v15(),
                            hashes.SHA256())


def test_bad_pem_errors_carry_no_key_material():
    with pytest.raises(KeyLoadError) as info:
        signer_from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA-not-a-key\n-----END PRIVATE KEY-----")
    assert "AAAA" not in str(info.value)
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    with pytest.raises(KeyLoadError, match="unsupported private key type"):
        signer_from_pem(ec_pem)


# ----------------------------------------------------------------------------- secrets, values


def test_secret_never_renders():
    secret = Secret(DOC_SECRET)
    signer = HmacSigner(secret)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr(signer),
                 repr(signer_from_pem(FIX_ED25519_PEM)), str([secret]), str({"s": secret})):
        assert DOC_SECRET not in text
    assert REDACTED in str(secret)
    assert secret.reveal() == DOC_SECRET
    assert secret == Secret(DOC_SECRET) and secret != Secret("other")
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        pickle.dumps(signer_from_pem(FIX_ED25519_PEM))


def test_param_text():
    from decimal import Decimal

    assert param_text(True) == "true" and param_text(False) == "false"
    assert param_text(Decimal("0.00001")) == "0.00001"
    assert param_text(Decimal("1E+2")) == "100"
    with pytest.raises(TypeError):
        param_text(0.1)
    # None means "not sent".
    assert rest_payload({"a": 1, "b": None}) == "a=1"


def test_error_explanations():
    assert "clock" in explain_error(-1021)
    assert "-1022" in explain_error(-1022)
    assert "format" in explain_error(-2014)
    assert "permission" in explain_error(-2015)
    assert explain_error(-1121) is None
