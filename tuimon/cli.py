"""Command line: ``tuimon [SYMBOL...]`` (the monitor), ``tuimon snapshot``, ``tuimon sim``,
``tuimon watch``, ``tuimon record`` and ``tuimon serve`` (the monitor in a browser).

Textual is imported only when the monitor itself starts, so ``snapshot`` and ``--help`` stay
fast and headless.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tuimon import __version__
from tuimon.config.model import Config
from tuimon.feeds.proxy import ProxyRules
from tuimon.protocol.endpoints import (
    ENV_OVERRIDES,
    EndpointError,
    Endpoints,
    parse_market,
    resolve_endpoints,
)

log = logging.getLogger("tuimon.cli")

SUBCOMMANDS = ("snapshot", "watch", "sim", "record", "serve", "bench")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--market", default="spot", help="spot, usdm (USDⓈ-M futures) or coinm (default: spot)"
    )
    parser.add_argument("--testnet", action="store_true", help="use the market's testnet hosts")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against the built-in simulator (no keys, no network)",
    )
    parser.add_argument("--interval", default="1m", help="kline interval (default: 1m)")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed with --demo")
    parser.add_argument("--stream-url", help="market stream base URL, e.g. ws://127.0.0.1:9000")
    parser.add_argument("--rest-url", help="REST base URL, e.g. http://127.0.0.1:9000")
    parser.add_argument("--ws-api-url", help="WebSocket API base URL")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more to stderr")


_OVERRIDE_FLAGS = (
    ("stream_url", "--stream-url"),
    ("rest_url", "--rest-url"),
    ("ws_api_url", "--ws-api-url"),
    ("testnet", "--testnet"),
)


def _endpoints(args: argparse.Namespace) -> Endpoints:
    """The endpoints from the options and the environment.

    ``--demo`` runs its own simulator, so endpoint settings have nothing to point at. What was
    typed on this command line is never silently ignored (combining it with ``--demo`` is an
    error); what merely sits in the environment (``TUIMON_*_URL``, perhaps exported for a real
    session) is ignored, and ``-v`` says so.
    """
    market = parse_market(args.market)
    if args.demo:
        typed = [flag for attr, flag in _OVERRIDE_FLAGS if getattr(args, attr)]
        if typed:
            raise EndpointError(
                f"--demo runs the built-in simulator; {typed[0]} cannot be combined with it"
            )
        for name in ENV_OVERRIDES:
            if os.environ.get(name):
                log.info("--demo: ignoring %s (the simulator's own endpoints are used)", name)
        return resolve_endpoints(market, env={})
    return resolve_endpoints(
        market,
        testnet=args.testnet,
        stream_url=args.stream_url,
        rest_url=args.rest_url,
        ws_api_url=args.ws_api_url,
    )


def _bounded(kind: type[int] | type[float], high: float) -> object:
    """An argparse type: a finite number in (0, high]. ``float()`` takes "nan", "inf" and
    "1e300", none of which is a duration or a rate."""

    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number: {text!r}")
        if not 0 < value <= high:
            raise argparse.ArgumentTypeError(f"must be above 0 and at most {high:g}: {text!r}")
        return value

    return convert


def _count(high: int) -> object:
    """An argparse type: an integer in [0, high] (``--trades 0`` turns trades off)."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not 0 <= value <= high:
            raise argparse.ArgumentTypeError(f"must be 0 to {high}: {text!r}")
        return value

    return convert


MAX_SECONDS = 86_400.0
"""A day: snapshot-style commands are for scripts and cron, not for running unattended forever."""
MAX_FPS = 60.0
"""Terminals and SSH gain nothing past this; the default is 10."""
MAX_DEPTH = 5000
"""Binance's largest depth snapshot."""
MAX_TRADES = 500
"""Trades a tape keeps per symbol (the REST seed returns at most 1000)."""


def _add_monitor_options(parser: argparse.ArgumentParser) -> None:
    """The live monitor's own options: ``tuimon`` and ``tuimon serve`` (which passes them on to
    the monitor each browser tab runs) take the same ones."""
    parser.add_argument("symbols", nargs="*", metavar="SYMBOL", help="symbols to watch")
    _add_common(parser)
    parser.add_argument(
        "--fps", type=_bounded(float, MAX_FPS), default=10.0, help="max frames/s (10)"
    )


def monitor_parser() -> argparse.ArgumentParser:
    """Parser of the monitor itself."""
    parser = argparse.ArgumentParser(
        prog="tuimon",
        description="Terminal monitor for Binance live market data.",
        epilog="Other commands: 'tuimon snapshot --help', 'tuimon watch --help', "
        "'tuimon record --help', 'tuimon serve --help', 'tuimon sim --help', "
        "'tuimon bench --help'.",
    )
    _add_monitor_options(parser)
    parser.add_argument(
        "--replay",
        metavar="FILE",
        type=Path,
        help="play a 'tuimon record' file instead of connecting (space pause, +/- speed, "
        "R restart); SYMBOLs default to the recorded ones",
    )
    parser.add_argument(
        "--speed",
        type=_bounded(float, 256.0),
        default=None,
        help="replay speed, e.g. 0.5 or 4 (default 1)",
    )
    parser.add_argument("--version", action="version", version=f"tuimon {__version__}")
    return parser


def snapshot_parser() -> argparse.ArgumentParser:
    """Parser of ``tuimon snapshot``."""
    parser = argparse.ArgumentParser(
        prog="tuimon snapshot",
        description="Stream for N seconds, then print books, tickers, klines and health as JSON.",
    )
    parser.add_argument("symbols", nargs="+", metavar="SYMBOL")
    _add_common(parser)
    parser.add_argument(
        "--seconds", type=_bounded(float, MAX_SECONDS), default=5.0, help="default 5"
    )
    parser.add_argument(
        "--depth", type=_bounded(int, MAX_DEPTH), default=20, help="levels per side (20)"
    )
    parser.add_argument(
        "--trades",
        type=_count(MAX_TRADES),
        default=50,
        help="aggregate trades per symbol, newest last (50; 0: none)",
    )
    parser.add_argument(
        "--private",
        action="store_true",
        help="add the account (balances, open orders, positions); needs BINANCE_API_KEY and "
        "BINANCE_API_SECRET or BINANCE_PRIVATE_KEY_PATH, or --demo",
    )
    parser.add_argument(
        "--replay",
        metavar="FILE",
        type=Path,
        help="no network: replay a 'tuimon record' file as fast as possible and print the "
        "snapshot as of its end (its market and interval; the same output every run)",
    )
    return parser


def watch_parser() -> argparse.ArgumentParser:
    """Parser of ``tuimon watch``."""
    parser = argparse.ArgumentParser(
        prog="tuimon watch",
        description="Headless alerts: print one JSON line per alert fired, until --seconds or "
        "a signal. Rules: the config's [[alerts]] plus every --alert.",
    )
    parser.add_argument("symbols", nargs="*", metavar="SYMBOL", help="also watch these")
    _add_common(parser)
    parser.add_argument(
        "--alert",
        action="append",
        default=[],
        metavar="RULE",
        help="'SYMBOL METRIC OP VALUE', e.g. 'BTCUSDT spread_bps >= 5' (repeatable)",
    )
    parser.add_argument(
        "--seconds", type=_bounded(float, MAX_WATCH_SECONDS), default=None, help="default: forever"
    )
    return parser


MAX_WATCH_SECONDS = 366 * 86_400.0
"""A year: watch is meant to run unattended; the bound only refuses inf, nan and 1e300."""


def record_parser() -> argparse.ArgumentParser:
    """Parser of ``tuimon record``."""
    parser = argparse.ArgumentParser(
        prog="tuimon record",
        description="Record the market traffic of some symbols into FILE (zstandard): every raw "
        "stream frame with its receive time and the REST responses the books and klines were "
        "seeded from. Market data only: no API key is read, no account or private stream is "
        "recorded. Replay it with 'tuimon --replay FILE', 'tuimon snapshot --replay FILE' or "
        "'tuimon sim --replay FILE'.",
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="the recording to write")
    parser.add_argument("symbols", nargs="+", metavar="SYMBOL")
    _add_common(parser)
    parser.add_argument(
        "--seconds",
        type=_bounded(float, MAX_WATCH_SECONDS),
        default=None,
        help="stop after N seconds (default: at Ctrl-C)",
    )
    return parser


def serve_parser() -> argparse.ArgumentParser:
    """Parser of ``tuimon serve``: the monitor's own options plus where to listen."""
    parser = argparse.ArgumentParser(
        prog="tuimon serve",
        description="Serve the monitor to a web browser (textual-serve): each browser tab runs "
        "its own 'tuimon' with these options. Listens on this machine only unless "
        "--allow-remote; stops on Ctrl-C or SIGTERM.",
    )
    _add_monitor_options(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", default="8000", help="TCP port (8000; 0: any free port)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than localhost/127.x/::1: anyone who can reach the port "
        "sees the monitor and its account (there is no login)",
    )
    return parser


def _monitor_argv(args: argparse.Namespace) -> tuple[str, ...]:
    """The command line each browser session runs: this Python, ``-m tuimon``, the options as
    parsed (``--opt=value``, so no value is read as an option), then ``--`` and the symbols.
    An argument vector, never a shell string."""
    argv = [sys.executable, "-m", "tuimon", f"--market={args.market}"]
    argv += [f"--interval={args.interval}", f"--fps={args.fps!r}"]
    if args.demo:
        argv += ["--demo", f"--seed={args.seed}"]
    if args.testnet:
        argv.append("--testnet")
    for attr, flag in _OVERRIDE_FLAGS[:3]:  # the URLs
        if getattr(args, attr):
            argv.append(f"{flag}={getattr(args, attr)}")
    if args.verbose:
        argv.append("--verbose")
    return (*argv, "--", *args.symbols)


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """``tuimon serve``: what a monitor would refuse is refused here, before listening."""
    from tuimon.headless import UsageError, check_interval
    from tuimon.serve.hosts import HostError, check_host, check_port, is_loopback, remote_warning

    try:
        host = check_host(args.host)
        port = check_port(args.port)
        check_interval(parse_market(args.market), args.interval)
    except (HostError, UsageError, EndpointError) as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    if not is_loopback(host):
        if not args.allow_remote:
            parser.exit(
                2,
                f"{parser.prog}: --host {host} is reachable from other machines and the page "
                "shows the account; add --allow-remote to serve it there\n",
            )
        print(f"{parser.prog}: {remote_warning(host, port)}", file=sys.stderr, flush=True)
    from tuimon.serve import ServeRequest, run_serve

    return run_serve(ServeRequest(host=host, port=port, monitor_argv=_monitor_argv(args)))


def _config_or_exit(parser: argparse.ArgumentParser) -> Config:
    """The config for a command that needs it: a broken file is refused (exit 2, one line);
    unknown keys are printed as warnings and the command goes on."""
    from tuimon.config import ConfigError, config_path, read_config

    loaded = read_config(config_path())
    try:
        config = loaded.checked()
    except ConfigError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    for warning in loaded.warnings:
        print(f"{parser.prog}: warning: {warning}", file=sys.stderr)
    return config


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="tuimon: %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tuimon`` script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = args_list[0] if args_list and args_list[0] in SUBCOMMANDS else None
    if command == "sim":
        from tuimon.sim.__main__ import main as sim_main

        return sim_main(args_list[1:])
    if command == "bench":
        from tuimon.bench.command import main as bench_main

        return bench_main(args_list[1:])
    parsers = {
        "snapshot": snapshot_parser,
        "watch": watch_parser,
        "record": record_parser,
        "serve": serve_parser,
    }
    parser = parsers.get(command or "", monitor_parser)()
    args = parser.parse_args(args_list[1:] if command else args_list)
    _setup_logging(args.verbose)
    if getattr(args, "replay", None) is not None:
        return _replay(parser, args, args_list)
    try:
        endpoints = _endpoints(args)
    except EndpointError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    from tuimon.feeds.proxy import ProxyConfigError, run_proxies

    try:
        # Every URL the command will use, before anything connects (--demo: never a proxy).
        # The monitor may open the account socket (keys can come from the config): check it.
        private = command not in ("snapshot", "record") or getattr(args, "private", False)
        proxies = run_proxies(endpoints, private=private, demo=args.demo)
    except ProxyConfigError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    if command == "serve":
        return _serve(parser, args)
    if command == "snapshot":
        from tuimon.headless import SnapshotRequest, run

        account = _config_or_exit(parser).account if args.private and not args.demo else None
        return run(
            SnapshotRequest(
                symbols=args.symbols,
                endpoints=endpoints,
                seconds=args.seconds,
                depth=args.depth,
                interval=args.interval,
                trades=args.trades,
                demo=args.demo,
                seed=args.seed,
                private=args.private,
                key_file=account.key_file_path if account else None,
                private_key_path=account.private_key_file if account else None,
                proxies=proxies,
            )
        )
    if command == "watch":
        return _watch(parser, args, endpoints, proxies)
    if command == "record":
        from tuimon.headless import SnapshotRequest
        from tuimon.record import RecordRequest, run_record

        session = SnapshotRequest(
            symbols=args.symbols,
            endpoints=endpoints,
            interval=args.interval,
            demo=args.demo,
            seed=args.seed,
            proxies=proxies,
        )
        return run_record(RecordRequest(args.file, session, args.seconds))
    from tuimon.ui.launch import run_monitor  # imports Textual

    return run_monitor(args, endpoints, proxies=proxies)


_NOT_WITH_REPLAY = (
    "--demo",
    "--testnet",
    "--stream-url",
    "--rest-url",
    "--ws-api-url",
    "--private",
    "--seconds",
    "--market",
    "--seed",
)


def _replay(parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str]) -> int:
    """``--replay FILE``: the recording is the exchange; options that pick one are refused."""
    typed = [
        flag
        for flag in _NOT_WITH_REPLAY
        if any(a == flag or a.startswith(f"{flag}=") for a in argv)
    ]
    if typed:
        parser.exit(
            2, f"{parser.prog}: --replay plays a recording; {typed[0]} cannot be combined with it\n"
        )
    interval = args.interval if any(a.startswith("--interval") for a in argv) else None
    if parser.prog == "tuimon snapshot":
        from tuimon.recording.session import run_snapshot_replay

        return run_snapshot_replay(
            args.replay, args.symbols, args.depth, interval, trades=args.trades
        )
    from tuimon.ui.replay import run_replay_monitor  # imports Textual

    return run_replay_monitor(args, interval)


def _watch(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    endpoints: Endpoints,
    proxies: ProxyRules,
) -> int:
    from tuimon.headless import SnapshotRequest, UsageError
    from tuimon.watch import WatchRequest, rules_from, run_watch

    config = _config_or_exit(parser)
    try:
        rules = rules_from(args.alert, config.alerts)
    except UsageError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    account = config.account
    keys = SnapshotRequest(
        [],
        endpoints,
        key_file=account.key_file_path,
        private_key_path=account.private_key_file,
        proxies=proxies,
    )
    request = WatchRequest(
        endpoints=endpoints,
        rules=rules,
        symbols=list(args.symbols),
        seconds=args.seconds,
        demo=args.demo,
        seed=args.seed,
        snapshot=keys,
        hook=config.notify.command,
        hook_timeout=config.notify.command_timeout,
    )
    return run_watch(request)
