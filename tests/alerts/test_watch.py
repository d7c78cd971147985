"""``tuimon watch``: JSON lines for fired alerts over the simulator, exit codes, signals."""

from __future__ import annotations

import asyncio
import io
import signal
import subprocess
import sys

import orjson
import pytest

from tuimon import cli
from tuimon.alerts.rules import parse_rule
from tuimon.feeds.market import FeedError
from tuimon.headless import SnapshotRequest
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.sim import SimServer
from tuimon.sim.private import DEMO_ENV
from tuimon.watch import WatchRequest, watch


class Lines(io.StringIO):
    """stdout that wakes a waiter on every alert line."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def flush(self) -> None:
        self.changed.set()

    def events(self) -> list[dict]:
        return [orjson.loads(line) for line in self.getvalue().splitlines()]


async def _until(out: Lines, count: int, within: float = 20.0) -> None:
    async def wait() -> None:
        while len(out.events()) < count:
            out.changed.clear()
            await out.changed.wait()

    await asyncio.wait_for(wait(), within)


async def test_alerts_fire_once_each_and_fills_are_seen() -> None:
    sim = SimServer(market="spot", seed=7, port=0)
    await sim.start()
    try:
        endpoints = resolve_endpoints(
            Market.SPOT,
            stream_url=sim.stream_url,
            rest_url=sim.rest_url,
            ws_api_url=sim.ws_api_url,
            env={},
        )
        rules = [
            parse_rule(t) for t in ("BTCUSDT spread_bps >= 0", "ETHUSDT price > 0", "* fill > 0")
        ]
        request = WatchRequest(
            endpoints, rules, snapshot=SnapshotRequest([], endpoints, env=DEMO_ENV)
        )
        out, stop = Lines(), asyncio.Event()
        task = asyncio.ensure_future(watch(request, out, stop=stop))
        await _until(out, 2)
        assert {e["rule"] for e in out.events()} == {"BTCUSDT spread_bps >= 0", "ETHUSDT price > 0"}
        sim.private.step(1, "place")
        sim.private.step(1, "fill")
        await _until(out, 3)
        fill = out.events()[2]
        assert fill["rule"] == "* fill > 0" and fill["metric"] == "fill"
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0
        events = out.events()
        assert len(events) == 3  # true all along: each level rule fired once
        for event in events:
            assert set(event) == {"rule", "symbol", "metric", "value", "time"}
            assert isinstance(event["time"], int) and isinstance(event["value"], str)
        spread = next(e for e in events if e["metric"] == "spread_bps")
        assert spread["symbol"] == "BTCUSDT" and float(spread["value"]) >= 0
    finally:
        await sim.stop()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--alert", "BTCUSDT moon >> 3"], "bad alert 'BTCUSDT moon >> 3': unknown metric 'moon'"),
        (["--alert", "BTCUSDT price"], "bad alert 'BTCUSDT price': expected"),
        (["--demo"], "no alert rules"),
        (["--demo", "--alert", "BTCUSDT funding_rate > 0"], "funding_rate is a futures metric"),
        (["--seconds", "inf", "--alert", "BTCUSDT price > 1"], "finite"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, args, needle) -> None:
    try:
        code = cli.main(["watch", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_config_rules_are_watched_and_a_broken_config_refused(
    tmp_path, monkeypatch, capsys
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[alerts]]\nrule = "BTCUSDT moon > 1"\n')
    monkeypatch.setenv("TUIMON_CONFIG", str(path))
    with pytest.raises(SystemExit) as info:
        cli.main(["watch", "--demo", "--seconds", "1"])
    assert info.value.code == 2
    assert "unknown metric 'moon'" in capsys.readouterr().err


def test_sigterm_ends_watch_cleanly(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[alerts]]\nrule = "BTCUSDT price > 0"\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimon", "watch", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**__import__("os").environ, "TUIMON_CONFIG": str(config)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the first alert: the app is running
        assert orjson.loads(line)["rule"] == "BTCUSDT price > 0"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert b"Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_config_hook_runs_for_each_alert(tmp_path) -> None:
    got = tmp_path / "hook.jsonl"
    config = tmp_path / "config.toml"
    config.write_text(
        '[[alerts]]\nrule = "BTCUSDT price > 0"\n\n'
        f'[notify]\ncommand = ["/bin/sh", "-c", "cat >> {got}"]\n'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimon", "watch", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**__import__("os").environ, "TUIMON_CONFIG": str(config)},
    )
    try:
        assert proc.stdout is not None
        printed = orjson.loads(proc.stdout.readline())
        proc.send_signal(signal.SIGTERM)  # the hook still runs for what was printed
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [orjson.loads(line) for line in got.read_bytes().splitlines()] == [printed]


async def test_watch_sessions_reconnect_for_ever_but_snapshot_gives_up() -> None:
    # tuimon watch runs unattended: a bounded outage (more failed connects in a row than a
    # one-shot snapshot allows) must not end it. Found by the soak: the user worker gave up
    # after 5 failed sessions during a 429/418 storm.
    from tuimon.headless import market_session

    sim = SimServer(market="spot", seed=7, port=0)
    await sim.start()
    try:
        endpoints = resolve_endpoints(
            Market.SPOT, stream_url=sim.stream_url, rest_url=sim.rest_url,
            ws_api_url=sim.ws_api_url, env={},
        )
        for persistent, expected in ((True, None), (False, 5)):
            request = SnapshotRequest(
                ["BTCUSDT"], endpoints, private=True, env=DEMO_ENV, persistent=persistent
            )
            async with market_session(request) as (_store, feed, _symbols, user):
                assert feed.config.connection.give_up_after == expected
                assert user is not None and user.config.give_up_after == expected
    finally:
        await sim.stop()


async def test_an_account_worker_that_gives_up_ends_the_watch() -> None:
    # Found by the soak (tests/bench/soak.py): the user worker gave up and watch ran on without
    # it, so fill rules could never fire again, and nothing said so.
    sim = SimServer(market="spot", seed=7, port=0)
    await sim.start()
    try:
        sim.private.inject("bad_signature", count=0)  # every signed request refused (-1022)
        endpoints = resolve_endpoints(
            Market.SPOT,
            stream_url=sim.stream_url,
            rest_url=sim.rest_url,
            ws_api_url=sim.ws_api_url,
            env={},
        )
        request = WatchRequest(
            endpoints,
            [parse_rule("* fill > 0")],
            snapshot=SnapshotRequest([], endpoints, env=DEMO_ENV),
        )
        with pytest.raises(FeedError, match=r"^account: .*signature"):
            await asyncio.wait_for(watch(request, Lines(), stop=asyncio.Event()), 20)
    finally:
        await sim.stop()
