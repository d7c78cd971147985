"""``tuimon serve`` refuses what it cannot or should not serve, in one line with exit 2,
before it listens; and the command each browser session runs is an argument vector."""

from __future__ import annotations

import sys

import pytest

from tuimon import cli
from tuimon.serve import hosts


def _refused(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("tuimon serve: ")
    return err


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "example.com", "localhost.example.com"]
)
def test_a_remote_bind_is_refused_without_allow_remote(capsys, monkeypatch, host) -> None:
    monkeypatch.setattr("tuimon.serve.run_serve", _must_not_serve)
    err = _refused(capsys, ["--demo", "--host", host])
    assert "--allow-remote" in err and "account" in err


@pytest.mark.parametrize(
    "port", ["x", "-1", "65536", "99999", "1e3", "8000.0", "", " 80", "8_000", "٨٠"]
)
def test_a_bad_port_is_refused(capsys, monkeypatch, port) -> None:
    monkeypatch.setattr("tuimon.serve.run_serve", _must_not_serve)
    assert "--port" in _refused(capsys, ["--demo", "--port", port])


@pytest.mark.parametrize("host", ["", "a b", "evil\nhost", "[::1]", "-x.com", "a..b", "x" * 300])
def test_a_bad_host_is_refused(capsys, monkeypatch, host) -> None:
    monkeypatch.setattr("tuimon.serve.run_serve", _must_not_serve)
    err = _refused(capsys, ["--demo", f"--host={host}"])
    assert "--host" in err and "\n" not in repr(err)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--demo", "--stream-url", "ws://127.0.0.1:1"], "--demo"),
        (["--demo", "--interval", "7m"], "interval"),
        (["--demo", "--market", "moon"], "moon"),
    ],
)
def test_what_the_monitor_would_refuse_is_refused_before_listening(
    capsys, monkeypatch, argv, needle
) -> None:
    monkeypatch.setattr("tuimon.serve.run_serve", _must_not_serve)
    assert needle in _refused(capsys, argv)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.1.2.3", "::1", "LOCALHOST"])
def test_loopback_hosts_serve_without_a_warning(capsys, monkeypatch, host) -> None:
    served = []
    monkeypatch.setattr("tuimon.serve.run_serve", lambda request: served.append(request) or 0)
    assert cli.main(["serve", "--demo", "--host", host, "--port", "0"]) == 0
    assert capsys.readouterr().err == ""
    assert served[0].host == host and served[0].port == 0


def test_allow_remote_serves_with_a_warning_line(capsys, monkeypatch) -> None:
    served = []
    monkeypatch.setattr("tuimon.serve.run_serve", lambda request: served.append(request) or 0)
    assert cli.main(["serve", "--demo", "--host", "0.0.0.0", "--allow-remote"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tuimon serve: warning: ")
    assert "anyone" in err and "account" in err and "0.0.0.0 port 8000" in err
    assert served[0].port == 8000


def test_each_session_runs_the_monitor_from_an_argument_vector(monkeypatch) -> None:
    """Symbols and URLs stay single arguments whatever they hold (no shell parses them), and
    a value that starts with '-' cannot be read as an option."""
    served = []
    monkeypatch.setattr("tuimon.serve.run_serve", lambda request: served.append(request) or 0)
    cli.main(
        [
            "serve",
            "--market=usdm",
            "--interval=5m",
            "--fps=4",
            "--rest-url=http://127.0.0.1:9/$(touch x); a",
            "--",
            "BTCUSDT",
            "-ETH;rm -rf ~",
        ]
    )
    argv = served[0].monitor_argv
    assert argv[:3] == (sys.executable, "-m", "tuimon")
    assert "--market=usdm" in argv and "--interval=5m" in argv and "--fps=4.0" in argv
    assert "--rest-url=http://127.0.0.1:9/$(touch x); a" in argv
    assert argv[-3:] == ("--", "BTCUSDT", "-ETH;rm -rf ~")
    assert "--demo" not in argv
    # The monitor's own parser reads it back as the same options.
    args = cli.monitor_parser().parse_args(argv[3:])
    assert args.symbols == ["BTCUSDT", "-ETH;rm -rf ~"] and args.market == "usdm"
    assert args.fps == 4.0 and args.rest_url.endswith("; a")


def test_demo_sessions_run_the_same_seeded_demo(monkeypatch) -> None:
    served = []
    monkeypatch.setattr("tuimon.serve.run_serve", lambda request: served.append(request) or 0)
    cli.main(["serve", "--demo", "--seed", "11", "-v", "ETHUSDT"])
    args = cli.monitor_parser().parse_args(served[0].monitor_argv[3:])
    assert args.demo and args.seed == 11 and args.verbose and args.symbols == ["ETHUSDT"]


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True),
        ("localhost.", True),
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("128.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("localhost.example.com", False),
        ("mylaptop", False),
    ],
)
def test_which_hosts_are_loopback(host, local) -> None:
    assert hosts.is_loopback(host) is local


@pytest.mark.parametrize(
    ("header", "loopback_only", "allowed"),
    [
        ("127.0.0.1:8000", True, True),
        ("localhost:8000", True, True),
        ("[::1]:8000", True, True),
        ("localhost", True, True),
        ("evil.example:8000", True, False),  # a rebound DNS name
        ("127.0.0.1.evil.example:8000", True, False),
        ("evil.example:8000", False, True),  # --allow-remote: any well-formed name
        ("10.0.0.5:8000", False, True),
        ("", True, False),
        (None, True, False),
        ("127.0.0.1:80x", True, False),
        ("user@127.0.0.1:8000", True, False),
        ("127.0.0.1/x", True, False),
        ("<script>:1", False, False),
    ],
)
def test_which_host_headers_are_answered(header, loopback_only, allowed) -> None:
    assert hosts.request_host_allowed(header, loopback_only=loopback_only) is allowed


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://LOCALHOST:8000", "localhost:8000", True),
        ("https://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", False),
        ("https://evil.example", "127.0.0.1:8000", False),
        ("null", "127.0.0.1:8000", False),
        (None, "127.0.0.1:8000", False),
        ("file://127.0.0.1:8000", "127.0.0.1:8000", False),
    ],
)
def test_a_websocket_must_come_from_the_served_page(origin, host, same) -> None:
    assert hosts.same_origin(origin, host) is same


def _must_not_serve(request: object) -> int:
    raise AssertionError(f"served {request!r}")


def test_without_chromium_the_browser_test_skips_but_ci_fails(monkeypatch) -> None:
    """A developer without chromium is told why; a CI run can never pass without it."""
    from browser_helpers import chromium_path

    monkeypatch.setenv("TUIMON_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no executable chromium"):
        chromium_path()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        chromium_path()
