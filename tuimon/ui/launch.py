"""``run_monitor``: what ``tuimon [SYMBOL...]`` runs after the CLI has parsed its options.

One asyncio loop owns everything: the optional in-process simulator (``--demo``), the market
feed (started inside the app as a worker) and the Textual app. On quit the app closes the
feed's sockets; the exit stack here closes them again if the app died some other way, and
stops the simulator. Fatal start-up problems become one line on stderr and an exit status
(2 for bad input, 1 for an unreachable exchange), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from tuimon.clock import SystemClock
from tuimon.config import Settings, load_settings
from tuimon.feeds.market import MarketFeed
from tuimon.feeds.rest import RestClient
from tuimon.headless import UsageError, check_interval, demo_endpoints
from tuimon.protocol.endpoints import Endpoints
from tuimon.store import Store
from tuimon.ui.factory import build_app
from tuimon.ui.logbridge import CapturedLog, captured_logging

SHOWN_AFTER_EXIT = 5
"""Warnings printed after the UI closes (the health bar showed them live)."""


def run_monitor(args: argparse.Namespace, endpoints: Endpoints) -> int:
    """Run the monitor until the user quits; returns the process exit status."""
    try:
        check_interval(endpoints.market, args.interval)
    except UsageError as exc:
        print(f"tuimon: {exc}", file=sys.stderr)  # noqa: T201 - the CLI's error channel
        return 2
    settings = load_settings(
        market=endpoints.market.value,
        symbols=list(args.symbols),
        interval=args.interval,
        fps=float(args.fps),
    )
    verbose = bool(getattr(args, "verbose", False))
    with captured_logging() as capture:
        try:
            code, message = asyncio.run(_run(args, endpoints, settings, capture))
        except KeyboardInterrupt:
            code, message = 130, None
    level = logging.INFO if verbose else logging.WARNING
    lines = capture.lines(level)
    for line in lines if verbose else lines[-SHOWN_AFTER_EXIT:]:
        print(line, file=sys.stderr)  # noqa: T201
    if message:
        print(f"tuimon: {message}", file=sys.stderr)  # noqa: T201
    return code


async def _run(
    args: argparse.Namespace, endpoints: Endpoints, settings: Settings, capture: CapturedLog
) -> tuple[int, str | None]:
    async with contextlib.AsyncExitStack() as stack:
        if args.demo:
            try:
                endpoints = await stack.enter_async_context(demo_endpoints(endpoints, args.seed))
            except ImportError as exc:
                return 1, f"--demo needs the built-in simulator, which failed to load: {exc}"
            except OSError as exc:
                return 1, f"--demo: cannot start the simulator: {exc}"
        market = endpoints.market
        clock = SystemClock()
        store = Store(market.value, clock=clock, futures=market.is_futures)
        feed = MarketFeed(store, endpoints, rest=RestClient(endpoints, clock=clock), clock=clock)
        stack.push_async_callback(feed.close)
        app = build_app(
            settings,
            store=store,
            feed=feed,
            clock=clock,
            live=True,
            rest_base=endpoints.rest_base,
            log_capture=capture,
        )
        await app.run_async()
        return app.return_code or 0, app.exit_message
    return 1, None  # pragma: no cover - the block always returns
