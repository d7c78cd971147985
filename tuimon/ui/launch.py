"""``run_monitor``: what ``tuimon [SYMBOL...]`` runs after the CLI has parsed its options.

One asyncio loop owns everything: the optional in-process simulator (``--demo``), the market
feed (started inside the app as a worker), the user-data feed (when API keys are configured)
and the Textual app. On quit the app closes both feeds' sockets; the exit stack here closes
them again if the app died some other way, and stops the simulator. Fatal start-up problems
become one line on stderr and an exit status (2 for bad input, 1 for an unreachable
exchange), never a traceback.

API keys (see :mod:`tuimon.feeds.credentials`): the environment, else the key file or PEM
path named in the config's ``[account]`` table. No keys is not an error: the account pane
says how to add them. Unusable keys disable the account with the one-line reason (never the
key material). ``--demo`` uses only the simulator's published test key, whatever the
environment or the config say, so a real key is never sent to the simulator; its demo
account trades on its own once a second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Mapping
from dataclasses import replace

from tuimon.clock import SystemClock
from tuimon.config import AccountPrefs, Settings, load_settings
from tuimon.feeds.credentials import Credentials, CredentialsError, load_credentials
from tuimon.feeds.market import MarketFeed
from tuimon.feeds.proxy import ProxyConfigError, ProxyRules, run_proxies
from tuimon.feeds.rest import RestClient
from tuimon.feeds.user import make_user_feed
from tuimon.headless import UsageError, check_interval, demo_endpoints
from tuimon.protocol.endpoints import Endpoints
from tuimon.store import Store
from tuimon.store.account import AccountStore
from tuimon.ui.factory import build_app
from tuimon.ui.logbridge import CapturedLog, captured_logging

SHOWN_AFTER_EXIT = 5
"""Warnings printed after the UI closes (the health bar showed them live)."""

DEMO_AUTOPLAY = 1.0
"""Seconds between the demo account's actions (place, fill, cancel, deposit)."""


def account_credentials(
    account: AccountStore,
    prefs: AccountPrefs,
    *,
    demo: bool = False,
    env: Mapping[str, str] | None = None,
) -> Credentials | None:
    """The API keys to use, or None (then ``account`` is disabled when they are unusable).

    ``demo``: the simulator's published test key only (never the user's real key).
    A :class:`CredentialsError` is one line without key material; it becomes the account's
    status, and the market side runs on regardless.
    """
    try:
        if demo:
            from tuimon.sim.private import DEMO_ENV  # the simulator ships the test key

            return load_credentials(DEMO_ENV)
        return load_credentials(
            env, key_file=prefs.key_file_path, private_key_path=prefs.private_key_file
        )
    except CredentialsError as exc:
        account.disable(str(exc))
        return None


def run_monitor(
    args: argparse.Namespace, endpoints: Endpoints, *, proxies: ProxyRules | None = None
) -> int:
    """Run the monitor until the user quits; returns the process exit status.

    ``proxies``: the run's proxy settings (None: the environment's, checked here).
    """
    try:
        check_interval(endpoints.market, args.interval)
        proxies = run_proxies(endpoints, private=True, demo=bool(args.demo), proxies=proxies)
    except (UsageError, ProxyConfigError) as exc:
        print(f"tuimon: {exc}", file=sys.stderr)  # noqa: T201 - the CLI's error channel
        return 2
    demo = bool(args.demo)
    settings = load_settings(
        market=endpoints.market.value,
        symbols=list(args.symbols),
        interval=args.interval,
        fps=float(args.fps),
        # A demo runs on a simulator that lists other symbols than the exchange: it reads the
        # person's watchlist but keeps every change in memory, never in their file.
        save=not demo,
    )
    if demo:
        logging.getLogger(__name__).info("--demo: the config is read, never written")
    verbose = bool(getattr(args, "verbose", False))
    with captured_logging() as capture:
        try:
            code, message = asyncio.run(_run(args, endpoints, settings, capture, proxies))
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
    args: argparse.Namespace,
    endpoints: Endpoints,
    settings: Settings,
    capture: CapturedLog,
    proxies: ProxyRules,
) -> tuple[int, str | None]:
    async with contextlib.AsyncExitStack() as stack:
        if args.demo:
            try:
                endpoints = await stack.enter_async_context(
                    demo_endpoints(endpoints, args.seed, account_autoplay=DEMO_AUTOPLAY)
                )
            except ImportError as exc:
                return 1, f"--demo needs the built-in simulator, which failed to load: {exc}"
            except OSError as exc:
                return 1, f"--demo: cannot start the simulator: {exc}"
        market = endpoints.market
        clock = SystemClock()
        store = Store(market.value, clock=clock, futures=market.is_futures)
        rest = RestClient(endpoints, clock=clock, proxies=proxies)
        feed = MarketFeed(store, endpoints, rest=rest, clock=clock, proxies=proxies)
        stack.push_async_callback(feed.close)
        credentials = account_credentials(
            store.account, settings.config.account, demo=bool(args.demo)
        )
        user = None
        if store.account.enabled:  # not disabled by unusable keys: None means "no keys"
            # One IP, one Retry-After: a 429 on the market side stops the account's REST too.
            user = make_user_feed(
                store.account, endpoints, credentials, proxies=proxies, cooldown=rest.cooldown
            )
        if user is not None:
            stack.push_async_callback(user.close)
        if credentials is not None and credentials.warnings:
            # Key files other users can read: shown like config problems (health bar, toast).
            settings = replace(settings, problems=(*settings.problems, *credentials.warnings))
        app = build_app(
            settings,
            store=store,
            feed=feed,
            clock=clock,
            live=True,
            rest_base=endpoints.rest_base,
            log_capture=capture,
            user_feed=user,
        )
        await app.run_async()
        return app.return_code or 0, app.exit_message
    return 1, None  # pragma: no cover - the block always returns
