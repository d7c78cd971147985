"""Command-line arguments: finite and bounded numbers, ``--demo`` and endpoint overrides, and
commands that read the config refusing a broken one."""

from __future__ import annotations

import logging

import pytest

from tuimon import cli


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    return int(info.value.code or 0)


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e300", "0", "-1", "x"])
def test_snapshot_seconds_must_be_finite_and_bounded(capsys, value) -> None:
    assert _exit_code(["snapshot", "BTCUSDT", "--demo", f"--seconds={value}"]) == 2
    err = capsys.readouterr().err
    assert "--seconds" in err and "Traceback" not in err
    assert any(word in err for word in ("finite", "above 0", "not a number"))


@pytest.mark.parametrize("value", ["nan", "inf", "1e300", "0", "61"])
def test_monitor_fps_must_be_finite_and_bounded(capsys, value) -> None:
    assert _exit_code([f"--fps={value}"]) == 2
    assert "--fps" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "5001", "1.5", "nan"])
def test_snapshot_depth_is_an_integer_within_binance_limits(capsys, value) -> None:
    assert _exit_code(["snapshot", "BTCUSDT", "--depth", value]) == 2
    assert "--depth" in capsys.readouterr().err


def test_bounds_are_inclusive_where_they_should_be() -> None:
    seconds = cli._bounded(float, cli.MAX_SECONDS)
    assert seconds("86400") == 86400.0  # type: ignore[operator]
    assert seconds("0.001") == 0.001  # type: ignore[operator]


@pytest.mark.parametrize(
    "flags",
    [["--stream-url", "ws://127.0.0.1:1"], ["--rest-url", "garbage"], ["--testnet"]],
)
def test_demo_refuses_endpoint_flags_typed_with_it(capsys, flags) -> None:
    assert _exit_code(["snapshot", "BTCUSDT", "--demo", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--demo" in err and flags[0] in err


def test_demo_ignores_endpoint_overrides_in_the_environment(monkeypatch, caplog) -> None:
    """Issue: `TUIMON_STREAM_URL=garbage tuimon snapshot BTCUSDT --demo` exited 2 over a URL
    --demo does not use. The environment is ignored under --demo, and -v says so."""
    monkeypatch.setenv("TUIMON_STREAM_URL", "garbage")
    monkeypatch.setenv("TUIMON_REST_URL", "also garbage")
    parser = cli.snapshot_parser()
    args = parser.parse_args(["BTCUSDT", "--demo"])
    with caplog.at_level(logging.INFO, logger="tuimon.cli"):
        endpoints = cli._endpoints(args)
    assert "garbage" not in endpoints.stream_base and "garbage" not in endpoints.rest_base
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "ignoring TUIMON_STREAM_URL" in said and "ignoring TUIMON_REST_URL" in said


def test_demo_snapshot_runs_with_garbage_overrides(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TUIMON_STREAM_URL", "garbage")
    code = cli.main(["snapshot", "BTCUSDT", "--demo", "--seconds", "0.5", "--depth", "2"])
    assert code == 0
    assert '"BTCUSDT"' in capsys.readouterr().out


def test_without_demo_a_garbage_override_is_still_refused(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TUIMON_STREAM_URL", "garbage")
    assert _exit_code(["snapshot", "BTCUSDT"]) == 2
    assert "stream URL" in capsys.readouterr().err


def test_snapshot_private_refuses_a_broken_config(tmp_path, monkeypatch, capsys) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[account\nkey_file = 'k.toml'\n")
    monkeypatch.setenv("TUIMON_CONFIG", str(path))
    assert _exit_code(["snapshot", "BTCUSDT", "--private"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "invalid TOML" in err and str(path) in err


def test_snapshot_private_warns_about_unknown_keys_and_goes_on(
    tmp_path, monkeypatch, capsys
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[account]\nkey_file = "missing.toml"\ntheme = "nord"\n')
    monkeypatch.setenv("TUIMON_CONFIG", str(path))
    code = cli.main(["snapshot", "BTCUSDT", "--private", "--rest-url", "http://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert f"warning: {path}:3: unknown key 'account.theme'" in err
    assert "missing.toml" in err  # it went on to read the key file, which is not there
    assert code == 2
