"""Key problems are explained, and the secret never shows: not in logs, exceptions, statuses,
snapshot JSON, reprs or a locals-printing crash report."""

from __future__ import annotations

import io
import logging
import sys

import orjson
import pytest
from private_helpers import (
    WAIT,
    assert_converges,
    ed25519_credentials,
    fast_config,
    hmac_credentials,
    running_user,
)

from tuimon.clock import SystemClock
from tuimon.feeds.credentials import CredentialsError, load_credentials
from tuimon.feeds.user import AuthFailure
from tuimon.sim.private import TEST_ED25519_PEM, TEST_HMAC_API_KEY, TEST_HMAC_SECRET
from tuimon.store.account import account_json

PEM_BODY = TEST_ED25519_PEM.splitlines()[1]  # the base64 key material
SECRETS = (TEST_HMAC_SECRET, PEM_BODY)


def assert_clean(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"secret leaked into: {text[:300]!r}"


@pytest.mark.parametrize("market", ["spot", "usdm"])
@pytest.mark.parametrize("case,code,words", [
    ("unknown_key", -2015, "permission"),
    ("wrong_secret", -1022, "does not belong"),
    ("bad_format", -2014, "format"),
])
async def test_key_problems_are_explained_and_stop_when_asked(market, case, code, words):
    creds = {
        "unknown_key": hmac_credentials(api_key="Z" * 64),
        "wrong_secret": hmac_credentials(secret="X" * 64),
        "bad_format": hmac_credentials(api_key="not-a-key"),
    }[case]
    config = fast_config(give_up_on_auth=True)
    async with running_user(market, credentials=creds, config=config) as (sim, account, feed):
        failure = await feed.wait_failed()
        assert isinstance(failure, AuthFailure)
        assert f"({code})" in str(failure) and words in str(failure)
        assert account.status == str(failure) and not account.live
        assert sim.private.stats.rejected[code] >= 1


async def test_bad_key_keeps_retrying_slowly_by_default():
    creds = hmac_credentials(secret="X" * 64)
    async with running_user("spot", credentials=creds) as (sim, account, feed):
        assert await account.wait_until(lambda a: sim.private.stats.rejected.get(-1022, 0) >= 2,
                                        WAIT)
        assert "-1022" in account.status
        assert account.orders == {} and not account.live


class SlowClock(SystemClock):
    """A machine clock 60 s behind."""

    def wall_ms(self) -> int:
        return super().wall_ms() - 60_000


async def test_a_clock_that_cannot_be_corrected_says_so():
    config = fast_config(give_up_after=2)
    async with running_user("usdm", config=config, start=False) as (sim, account, feed):
        feed.time.clock = SlowClock()

        async def broken_measure(rest):
            return 0  # pretend the offset is fine: every signed request is 60 s late

        feed.time.measure = broken_measure
        feed.start()
        failure = await feed.wait_failed()
        assert "clock skew (-1021)" in str(failure)
        assert "NTP" in account.status


@pytest.mark.parametrize("market", ["spot", "usdm"])
@pytest.mark.parametrize("kind", ["hmac", "ed25519"])
async def test_nothing_the_worker_logs_raises_or_shows_contains_the_secret(market, kind, caplog):
    caplog.set_level(logging.DEBUG)  # everything: websockets' frame dumps, aiohttp, tuimon
    statuses = []
    creds = hmac_credentials() if kind == "hmac" else ed25519_credentials()
    async with running_user(market, credentials=creds,
                            config=fast_config(keepalive_interval=0.2)) as (sim, account, feed):
        account._mark = lambda topic: statuses.append(account.status)
        sim.private.step(5)
        await assert_converges(sim, account)
        for fault, params in [("bad_signature", {"count": 3}), ("clock_skew", {"ms": 20_000}),
                              ("disconnect_during_fills", {"fills": 2})]:
            sim.private.inject(fault, **params)
            sim.private.inject("disconnect")
            await assert_converges(sim, account, lambda a, n=account.stats.reconciles:
                                   a.stats.reconciles > n)
        snapshot = orjson.dumps({"account": account_json(account)}).decode()
        texts = [caplog.text, snapshot, feed.last_error, repr(creds), str(creds),
                 repr(feed.rest.credentials), repr(feed.credentials.signer), *statuses]
        texts += [str(r.args) for r in caplog.records]
    assert any("-1022" in s for s in statuses)  # the failures really happened
    assert "signature" in caplog.text  # the scan saw the signed traffic (frames, request URLs)
    assert_clean(*texts)


def rendered_crash_report(exc: BaseException) -> str:
    """What Textual prints on a crash: a rich traceback with every frame's locals, from the
    first tuimon frame on (the test's own frame holds the test data, secrets included)."""
    from rich.console import Console
    from rich.traceback import Traceback

    tb = exc.__traceback__
    while tb is not None and "/tuimon/" not in tb.tb_frame.f_code.co_filename:
        tb = tb.tb_next
    assert tb is not None
    buffer = io.StringIO()
    trace = Traceback.from_exception(type(exc), exc, tb, show_locals=True,
                                     locals_max_length=50, locals_max_string=10_000)
    Console(file=buffer, width=200).print(trace)
    return buffer.getvalue()


@pytest.mark.parametrize("contents", [
    f'api_key = "{TEST_HMAC_API_KEY}"\napi_secret = "{TEST_HMAC_SECRET}',  # broken TOML
    f'api_key = "{TEST_HMAC_API_KEY}"\napi_secret = "{TEST_HMAC_SECRET}"\nextra = 1\n',
    f'api_key = "{TEST_HMAC_API_KEY}"\napi_secret = "{TEST_HMAC_SECRET}"\n'
    'private_key_path = "x"\n',
    f'api_key = "bad key"\napi_secret = "{TEST_HMAC_SECRET}"\n',
])
def test_credential_errors_leave_no_secret_in_a_crash_report(tmp_path, contents):
    path = tmp_path / "keys.toml"
    path.write_text(contents)
    path.chmod(0o600)
    with pytest.raises(CredentialsError) as info:
        load_credentials({}, key_file=path)
    report = rendered_crash_report(info.value)
    assert "CredentialsError" in report and "load_credentials" in report  # locals were shown
    assert_clean(str(info.value), report)


@pytest.mark.parametrize("env", [
    {"BINANCE_API_KEY": "bad key", "BINANCE_API_SECRET": TEST_HMAC_SECRET},
    {"BINANCE_API_KEY": TEST_HMAC_API_KEY,
     "BINANCE_API_SECRET": TEST_ED25519_PEM.replace("MC4C", "!!!!")},
    {"BINANCE_API_KEY": TEST_HMAC_API_KEY, "BINANCE_API_SECRET": TEST_HMAC_SECRET + "\x01"},
])
def test_environment_errors_leave_no_secret_in_a_crash_report(env, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(CredentialsError) as info:
        load_credentials()  # os.environ: never bound to a local that a report would print
    report = rendered_crash_report(info.value)
    assert "load_credentials" in report
    assert_clean(str(info.value), report)


def test_hmac_signing_frame_holds_no_key():
    signer = hmac_credentials().signer

    def tracer(frame, event, arg):
        if event == "return" and frame.f_code.co_name == "sign":
            assert_clean(repr(frame.f_locals))
        return tracer

    sys.settrace(tracer)
    try:
        signer.sign(b"payload")
    finally:
        sys.settrace(None)
