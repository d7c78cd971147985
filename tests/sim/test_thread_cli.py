"""SimThread (sync callers) and the ``python -m tuimon.sim`` entry point."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest

from tuimon.sim import SimThread
from tuimon.sim.__main__ import build_parser


def fetch(url: str, data: bytes | None = None) -> tuple[int, object]:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_sim_thread_round_trip():
    with SimThread(market="usdm", seed=7, depth_interval_ms=20) as sim:
        assert sim.market == "usdm" and "BTCUSDT" in sim.symbols
        status, snap = fetch(f"{sim.rest_url}/fapi/v1/depth?symbol=BTCUSDT&limit=1000")
        assert status == 200
        truth = sim.book_at("BTCUSDT", snap["lastUpdateId"])  # thread-safe hop to the loop
        assert [tuple(x) for x in snap["bids"]] == list(truth.bids)
        record = sim.inject("rest_429", count=1)
        status, body = fetch(f"{sim.rest_url}/fapi/v1/ping")
        assert status == 429 and body["code"] == -1003
        assert record.applied == 1 and sim.stats.rest_429_injected == 1
        assert sim.current_update_id("BTCUSDT") >= snap["lastUpdateId"]
        with pytest.raises(ValueError):
            sim.inject("no_such_fault")


def test_sim_thread_reports_start_errors():
    with pytest.raises(RuntimeError), SimThread(market="nope"):
        pass


def test_cli_parser_defaults():
    args = build_parser().parse_args([])
    assert args.markets == "spot,usdm,coinm" and args.spot_port == 0 and args.seed == 7


def test_cli_process_prints_urls_and_stops_on_sigint():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimon.sim", "--markets", "spot,usdm"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = [json.loads(proc.stdout.readline()) for _ in range(2)]
        assert [x["market"] for x in lines] == ["spot", "usdm"]
        spot, usdm = lines
        assert fetch(spot["rest_url"] + "/api/v3/ping") == (200, {})
        assert fetch(usdm["rest_url"] + "/fapi/v1/ping") == (200, {})
        status, record = fetch(usdm["rest_url"] + "/_sim/fault",
                               json.dumps({"fault": "rest_429"}).encode())
        assert status == 200 and record["kind"] == "rest_429"
        assert fetch(usdm["rest_url"] + "/fapi/v1/ping")[0] == 429
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sim_imports_stay_independent_of_the_client():
    code = ("import sys, tuimon.sim; "
            "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.') "
            "or m.startswith(('tuimon.feeds', 'tuimon.store', 'tuimon.protocol', 'tuimon.ui'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
