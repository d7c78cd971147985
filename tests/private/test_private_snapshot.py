"""``tuimon snapshot --private``: the account in the JSON equals the simulator's true account,
through the same session the command runs, with private faults injected; and the contract."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest
from private_helpers import WAIT, normalized

from tuimon.headless import SnapshotRequest, market_session, snapshot_json
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.sim import SimServer, SimThread
from tuimon.sim.private import DEMO_ENV
from tuimon.store.account import account_json

FAULTS = [
    ("disconnect_during_fills", {"fills": 3}),
    ("listen_key_expired", {}),
    ("stream_terminated", {}),
    ("bad_signature", {"count": 1}),
]


@pytest.mark.parametrize("market", ["spot", "usdm"])
@pytest.mark.parametrize(("fault", "params"), FAULTS, ids=[f for f, _ in FAULTS])
async def test_private_snapshot_equals_truth_after_fault(market, fault, params):
    if (fault, market) in {("listen_key_expired", "spot"), ("stream_terminated", "usdm")}:
        pytest.skip("fault exists on the other market only (spot has no listenKey)")
    async with SimServer(market=market, seed=3, port=0) as sim:
        endpoints = resolve_endpoints(
            Market(market),
            stream_url=sim.stream_url,
            rest_url=sim.rest_url,
            ws_api_url=sim.ws_api_url,
            env={},
        )
        request = SnapshotRequest(["BTCUSDT"], endpoints, private=True, env=DEMO_ENV)
        async with market_session(request) as (store, _feed, symbols, user):
            assert user is not None
            assert await user.wait_live(WAIT)
            sim.private.step(4)
            record = sim.private.inject(fault, **params)
            sim.private.step(3)

            def converged(account: object) -> bool:
                return store.account.live and normalized(account_json(store.account)) == (
                    normalized(sim.private.true_account())
                )

            assert await store.account.wait_until(converged, WAIT), (
                account_json(store.account),
                sim.private.true_account(),
            )
            assert record.applied >= 1 or fault == "bad_signature"
            result = snapshot_json(store, symbols, 5, "1m")
            result["account"] = account_json(store.account)
        assert normalized(result["account"]) == normalized(sim.private.true_account())


def test_private_contract_from_the_real_command():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tuimon",
            "snapshot",
            "BTCUSDT",
            "--demo",
            "--private",
            "--seconds",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    account = orjson.loads(done.stdout)["account"]
    assert account["live"] is True
    assert account["balances"]
    for amounts in account["balances"].values():
        assert set(amounts) == {"free", "locked"}
    for order in account["open_orders"]:
        assert set(order) == {
            "symbol",
            "order_id",
            "client_order_id",
            "side",
            "type",
            "price",
            "orig_qty",
            "executed_qty",
            "status",
        }
        assert isinstance(order["order_id"], int)
    assert DEMO_ENV["BINANCE_API_SECRET"] not in done.stdout + done.stderr


def test_private_without_keys_is_a_usage_error():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tuimon",
            "snapshot",
            "BTCUSDT",
            "--private",
            "--rest-url",
            "http://127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert "BINANCE_API_KEY" in done.stderr
    assert "Traceback" not in done.stderr


def test_private_keys_from_the_config_key_file(tmp_path):
    """`[account] key_file` in the config is honoured by the headless command too."""
    secret = DEMO_ENV["BINANCE_API_SECRET"]
    keys = tmp_path / "keys.toml"
    keys.write_text(f'api_key = "{DEMO_ENV["BINANCE_API_KEY"]}"\napi_secret = "{secret}"\n')
    keys.chmod(0o600)
    config = tmp_path / "config.toml"
    config.write_text('[account]\nkey_file = "keys.toml"\n')
    env = {"PATH": "/usr/bin:/bin", "TUIMON_CONFIG": str(config)}
    with SimThread(market="spot", seed=3) as sim:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tuimon",
                "snapshot",
                "BTCUSDT",
                "--private",
                "--seconds",
                "1",
                "--rest-url",
                sim.rest_url,
                "--stream-url",
                sim.stream_url,
                "--ws-api-url",
                sim.ws_api_url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
        )
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout)["account"]["live"] is True
    assert secret not in done.stdout + done.stderr
