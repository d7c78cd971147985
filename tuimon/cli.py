"""Command line: ``tuimon [SYMBOL...]`` (the monitor), ``tuimon snapshot``, ``tuimon sim``.

Textual is imported only when the monitor itself starts, so ``snapshot`` and ``--help`` stay
fast and headless.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from tuimon import __version__
from tuimon.protocol.endpoints import EndpointError, Endpoints, parse_market, resolve_endpoints

SUBCOMMANDS = ("snapshot", "sim")


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


def _endpoints(args: argparse.Namespace) -> Endpoints:
    market = parse_market(args.market)
    return resolve_endpoints(
        market,
        testnet=args.testnet,
        stream_url=args.stream_url,
        rest_url=args.rest_url,
        ws_api_url=args.ws_api_url,
    )


def _positive(kind: type[int] | type[float]) -> object:
    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value

    return convert


def monitor_parser() -> argparse.ArgumentParser:
    """Parser of the monitor itself."""
    parser = argparse.ArgumentParser(
        prog="tuimon",
        description="Terminal monitor for Binance live market data.",
        epilog="Other commands: 'tuimon snapshot --help', 'tuimon sim --help'.",
    )
    parser.add_argument("symbols", nargs="*", metavar="SYMBOL", help="symbols to watch")
    _add_common(parser)
    parser.add_argument("--fps", type=_positive(float), default=10.0, help="max frames/s (10)")
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
    parser.add_argument("--seconds", type=_positive(float), default=5.0, help="default 5")
    parser.add_argument("--depth", type=_positive(int), default=20, help="levels per side (20)")
    parser.add_argument(
        "--private",
        action="store_true",
        help="add the account (balances, open orders, positions); needs BINANCE_API_KEY and "
        "BINANCE_API_SECRET or BINANCE_PRIVATE_KEY_PATH, or --demo",
    )
    return parser


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
    parser = snapshot_parser() if command == "snapshot" else monitor_parser()
    args = parser.parse_args(args_list[1:] if command else args_list)
    _setup_logging(args.verbose)
    try:
        endpoints = _endpoints(args)
    except EndpointError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    from tuimon.feeds.proxy import ProxyConfigError, run_proxies

    try:
        # Every URL the command will use, before anything connects (--demo: never a proxy).
        # The monitor may open the account socket (keys can come from the config): check it.
        proxies = run_proxies(
            endpoints, private=command != "snapshot" or args.private, demo=args.demo
        )
    except ProxyConfigError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    if command == "snapshot":
        from tuimon.config import ConfigError, config_path, load_config
        from tuimon.headless import SnapshotRequest, run

        account = None
        if args.private and not args.demo:
            try:
                account = load_config(config_path()).account
            except ConfigError as exc:
                parser.exit(2, f"{parser.prog}: {exc}\n")

        return run(
            SnapshotRequest(
                symbols=args.symbols,
                endpoints=endpoints,
                seconds=args.seconds,
                depth=args.depth,
                interval=args.interval,
                demo=args.demo,
                seed=args.seed,
                private=args.private,
                key_file=account.key_file_path if account else None,
                private_key_path=account.private_key_file if account else None,
                proxies=proxies,
            )
        )
    from tuimon.ui.launch import run_monitor  # imports Textual

    return run_monitor(args, endpoints, proxies=proxies)
